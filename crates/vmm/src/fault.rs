//! A vCPU fault decoded from the fault message: its label and message registers.
//!
//! The layouts are sysinit-sel4's ([`sysinit_sel4::fault::aarch64`]); this module only
//! turns the registers into named values, so the handlers never index registers.

use core::fmt;

use sysinit_sel4::fault::aarch64::{
    unknown_syscall as us, user_exception as ue, vcpu_fault as vf, vgic_maintenance as vg,
    vm_fault as vm, vppi_event as vp,
};
use sysinit_sel4::fault::FaultKind;
use sysinit_sel4::label::AARCH64;
use sysinit_sel4::Word;

/// A fault of a guest's vCPU thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A stage-2 translation fault: the guest touched a guest-physical address its
    /// address space does not map (an emulated device), or fetched from one.
    VmFault {
        /// The faulting instruction's address.
        ip: Word,
        /// The guest-physical address accessed.
        addr: Word,
        /// An instruction fetch rather than a data access.
        prefetch: bool,
        /// The syndrome (`ESR_EL2`).
        esr: Word,
    },
    /// An `hvc`: seL4 treats it as a syscall it does not know.
    UnknownSyscall {
        /// `x0`..`x7` at the call.
        x: [Word; 8],
        /// The address of the `hvc` instruction.
        ip: Word,
        /// x7 (the seL4 syscall number register).
        syscall: Word,
    },
    /// An exception the kernel does not handle (undefined instruction, ...).
    UserException {
        /// The faulting instruction.
        ip: Word,
        /// The exception number.
        number: Word,
        /// The syndrome.
        code: Word,
    },
    /// The guest ended an injected interrupt: list register `index` is free again
    /// (`None`: the kernel could not tell which).
    VgicMaintenance {
        /// The list register.
        index: Option<u8>,
    },
    /// A trapped instruction (`smc`, `wfi`/`wfe`, ...).
    VcpuFault {
        /// The syndrome (`ESR_EL2`).
        esr: Word,
    },
    /// A private peripheral interrupt for the guest (the virtual timer's, 27).
    VppiEvent {
        /// The interrupt number.
        irq: Word,
    },
    /// A fault a vCPU thread should never have (capability fault, unknown label).
    Other {
        /// The message label.
        label: Word,
    },
}

/// A fault message shorter than its kind's layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShortMessage {
    /// The fault kind the label names.
    pub kind: FaultKind,
    /// Registers received.
    pub length: usize,
    /// Registers the kind has.
    pub needed: usize,
}

impl fmt::Display for ShortMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} fault message of {} registers, the kernel sends {}",
            self.kind, self.length, self.needed
        )
    }
}

impl Fault {
    /// Decodes a fault message: its `label` and its message registers `mrs` (as many as
    /// the message tag's length says).
    pub fn decode(label: Word, mrs: &[Word]) -> Result<Fault, ShortMessage> {
        let Some(kind) = FaultKind::from_label(AARCH64, label) else {
            return Ok(Fault::Other { label });
        };
        let needed = match kind {
            FaultKind::VmFault => vm::LENGTH,
            FaultKind::UnknownSyscall => us::LENGTH,
            FaultKind::UserException => ue::LENGTH,
            FaultKind::VgicMaintenance => vg::LENGTH,
            FaultKind::VcpuFault => vf::LENGTH,
            FaultKind::VppiEvent => vp::LENGTH,
            FaultKind::Null | FaultKind::Cap => return Ok(Fault::Other { label }),
        };
        if mrs.len() < needed {
            return Err(ShortMessage {
                kind,
                length: mrs.len(),
                needed,
            });
        }
        Ok(match kind {
            FaultKind::VmFault => Fault::VmFault {
                ip: mrs[vm::IP],
                addr: mrs[vm::ADDR],
                prefetch: mrs[vm::PREFETCH_FAULT] != 0,
                esr: mrs[vm::FSR],
            },
            FaultKind::UnknownSyscall => Fault::UnknownSyscall {
                x: core::array::from_fn(|i| mrs[us::X0 + i]),
                ip: mrs[us::FAULT_IP],
                syscall: mrs[us::SYSCALL],
            },
            FaultKind::UserException => Fault::UserException {
                ip: mrs[ue::FAULT_IP],
                number: mrs[ue::NUMBER],
                code: mrs[ue::CODE],
            },
            FaultKind::VgicMaintenance => Fault::VgicMaintenance {
                index: u8::try_from(mrs[vg::IDX]).ok(),
            },
            FaultKind::VcpuFault => Fault::VcpuFault { esr: mrs[vf::HSR] },
            FaultKind::VppiEvent => Fault::VppiEvent { irq: mrs[vp::IRQ] },
            FaultKind::Null | FaultKind::Cap => Fault::Other { label },
        })
    }

    /// The fault's kind, `None` for a label the kernel does not send to vCPU handlers.
    pub fn kind(&self) -> Option<FaultKind> {
        Some(match self {
            Fault::VmFault { .. } => FaultKind::VmFault,
            Fault::UnknownSyscall { .. } => FaultKind::UnknownSyscall,
            Fault::UserException { .. } => FaultKind::UserException,
            Fault::VgicMaintenance { .. } => FaultKind::VgicMaintenance,
            Fault::VcpuFault { .. } => FaultKind::VcpuFault,
            Fault::VppiEvent { .. } => FaultKind::VppiEvent,
            Fault::Other { .. } => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_decodes_from_its_registers() {
        assert_eq!(
            Fault::decode(5, &[0x4000_0010, 0x800_0004, 0, 0x9380_0046]),
            Ok(Fault::VmFault {
                ip: 0x4000_0010,
                addr: 0x800_0004,
                prefetch: false,
                esr: 0x9380_0046
            })
        );
        let mut syscall = [0; 13];
        syscall[0] = 0x8400_0000;
        syscall[8] = 0x4000_0100;
        syscall[12] = 7;
        assert_eq!(
            Fault::decode(2, &syscall),
            Ok(Fault::UnknownSyscall {
                x: [0x8400_0000, 0, 0, 0, 0, 0, 0, 0],
                ip: 0x4000_0100,
                syscall: 7
            })
        );
        assert_eq!(
            Fault::decode(6, &[2]),
            Ok(Fault::VgicMaintenance { index: Some(2) })
        );
        assert_eq!(
            Fault::decode(6, &[u64::MAX]),
            Ok(Fault::VgicMaintenance { index: None })
        );
        assert_eq!(
            Fault::decode(7, &[0x5e00_0000]),
            Ok(Fault::VcpuFault { esr: 0x5e00_0000 })
        );
        assert_eq!(Fault::decode(8, &[27]), Ok(Fault::VppiEvent { irq: 27 }));
        assert_eq!(Fault::decode(1, &[]), Ok(Fault::Other { label: 1 }));
        assert_eq!(Fault::decode(42, &[]), Ok(Fault::Other { label: 42 }));
    }

    #[test]
    fn a_short_message_is_refused_with_both_lengths() {
        let err = Fault::decode(5, &[1, 2]).unwrap_err();
        assert_eq!(
            err,
            ShortMessage {
                kind: FaultKind::VmFault,
                length: 2,
                needed: 4
            }
        );
        extern crate std;
        assert_eq!(
            std::format!("{err}"),
            "VMFault fault message of 2 registers, the kernel sends 4"
        );
    }
}
