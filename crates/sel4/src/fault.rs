//! Fault messages: the label of the message the kernel sends to a thread's fault
//! endpoint on its behalf, and where each value sits among its message registers.
//!
//! The labels are `seL4_FaultType` (`sel4_arch/types.pbf`, generated into
//! `sel4_arch/types_gen.h`): the generic faults first, then the architecture's. The
//! four ARM virtualisation faults exist only in kernels with
//! `CONFIG_ARM_HYPERVISOR_SUPPORT`; like invocation labels they are a property of the
//! configuration ([`Config`]). The register layouts ([`aarch64`]) are libsel4's
//! `sel4_arch/constants.h` enumerations for aarch64, filled by the kernel's
//! `Arch_setMRs_fault` (`src/arch/arm/api/faults.c`) and, for the generic faults,
//! `setMRs_fault` (`src/api/faults.c`).

use crate::label::Config;
use crate::Word;

/// What kind of fault a fault message reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// `seL4_Fault_NullFault` (0): no fault; never sent.
    Null,
    /// `seL4_Fault_CapFault` (1): a capability lookup failed.
    Cap,
    /// `seL4_Fault_UnknownSyscall` (2): a syscall number the kernel does not know; on
    /// ARM with hypervisor support also every `hvc` of a guest.
    UnknownSyscall,
    /// `seL4_Fault_UserException` (3): an instruction the kernel does not handle.
    UserException,
    /// `seL4_Fault_VMFault` (5): a translation fault (for a guest: stage 2).
    VmFault,
    /// `seL4_Fault_VGICMaintenance` (6, ARM hypervisor): the guest ended an injected
    /// interrupt that asked for an end-of-interrupt maintenance interrupt.
    VgicMaintenance,
    /// `seL4_Fault_VCPUFault` (7, ARM hypervisor): a trapped guest instruction
    /// (`smc`, `wfi`/`wfe`, system registers), with its syndrome.
    VcpuFault,
    /// `seL4_Fault_VPPIEvent` (8, ARM hypervisor): a private peripheral interrupt for
    /// the guest, the virtual timer's.
    VppiEvent,
}

impl FaultKind {
    /// Every kind, in label order.
    pub const ALL: [FaultKind; 8] = [
        FaultKind::Null,
        FaultKind::Cap,
        FaultKind::UnknownSyscall,
        FaultKind::UserException,
        FaultKind::VmFault,
        FaultKind::VgicMaintenance,
        FaultKind::VcpuFault,
        FaultKind::VppiEvent,
    ];

    /// The kernel's name (`seL4_Fault_<name>`).
    pub const fn name(self) -> &'static str {
        match self {
            FaultKind::Null => "NullFault",
            FaultKind::Cap => "CapFault",
            FaultKind::UnknownSyscall => "UnknownSyscall",
            FaultKind::UserException => "UserException",
            FaultKind::VmFault => "VMFault",
            FaultKind::VgicMaintenance => "VGICMaintenance",
            FaultKind::VcpuFault => "VCPUFault",
            FaultKind::VppiEvent => "VPPIEvent",
        }
    }

    /// The message label of this kind in `config`, `None` where the kernel has no such fault.
    pub const fn label(self, config: Config) -> Option<Word> {
        let hyp = matches!(config.arch, sysinit_kobj::Arch::Aarch64) && config.hypervisor;
        match self {
            FaultKind::Null => Some(0),
            FaultKind::Cap => Some(1),
            FaultKind::UnknownSyscall => Some(2),
            FaultKind::UserException => Some(3),
            // Label 4 is the MCS kernels' timeout fault; ours are not MCS.
            FaultKind::VmFault => Some(5),
            FaultKind::VgicMaintenance if hyp => Some(6),
            FaultKind::VcpuFault if hyp => Some(7),
            FaultKind::VppiEvent if hyp => Some(8),
            _ => None,
        }
    }

    /// The kind a message label names in `config`.
    pub fn from_label(config: Config, label: Word) -> Option<FaultKind> {
        FaultKind::ALL
            .into_iter()
            .find(|k| k.label(config) == Some(label))
    }
}

impl core::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// The capability fault message (`seL4_CapFault_Msg`, `shared_types.h`, every architecture).
pub mod cap_fault {
    /// The faulting instruction (`seL4_CapFault_IP`).
    pub const IP: usize = 0;
    /// The capability address that failed (`seL4_CapFault_Addr`).
    pub const ADDR: usize = 1;
    /// 1 if the fault happened in the receive phase (`seL4_CapFault_InRecvPhase`).
    pub const IN_RECV_PHASE: usize = 2;
    /// The lookup failure type, plus one (`seL4_CapFault_LookupFailureType`).
    pub const LOOKUP_FAILURE_TYPE: usize = 3;
    /// Bits left to resolve (`seL4_CapFault_BitsLeft`).
    pub const BITS_LEFT: usize = 4;
}

/// Message layouts of the aarch64 faults (`sel4_arch/constants.h`, aarch64): the
/// index of each value among the fault message's registers, and the message length.
pub mod aarch64 {
    /// `seL4_UnknownSyscall_Msg`: the thread's argument registers, PC, SP, LR, SPSR and
    /// the syscall number (x7). A reply with label 0 writes its registers back in the
    /// same order (as many as it has) and resumes the thread at `FAULT_IP`.
    pub mod unknown_syscall {
        /// `x0`; `x1`..`x7` follow at 1..7.
        pub const X0: usize = 0;
        /// `x7`.
        pub const X7: usize = 7;
        /// The address of the `svc`/`hvc` instruction itself (not the next one).
        pub const FAULT_IP: usize = 8;
        /// The stack pointer.
        pub const SP: usize = 9;
        /// The link register (x30).
        pub const LR: usize = 10;
        /// The saved program status.
        pub const SPSR: usize = 11;
        /// The syscall number.
        pub const SYSCALL: usize = 12;
        /// Registers in the message.
        pub const LENGTH: usize = 13;
    }

    /// `seL4_UserException_Msg`.
    pub mod user_exception {
        /// The faulting instruction.
        pub const FAULT_IP: usize = 0;
        /// The stack pointer.
        pub const SP: usize = 1;
        /// The saved program status.
        pub const SPSR: usize = 2;
        /// The exception number.
        pub const NUMBER: usize = 3;
        /// The exception code (the syndrome).
        pub const CODE: usize = 4;
        /// Registers in the message.
        pub const LENGTH: usize = 5;
    }

    /// `seL4_VMFault_Msg`.
    pub mod vm_fault {
        /// The faulting instruction.
        pub const IP: usize = 0;
        /// The faulting address (for a guest: the guest-physical address).
        pub const ADDR: usize = 1;
        /// 1 for an instruction fetch, 0 for a data access.
        pub const PREFETCH_FAULT: usize = 2;
        /// The fault status: the ESR (with hypervisor support, `ESR_EL2`).
        pub const FSR: usize = 3;
        /// Registers in the message.
        pub const LENGTH: usize = 4;
    }

    /// `seL4_VGICMaintenance_Msg`.
    pub mod vgic_maintenance {
        /// The list register whose interrupt the guest ended, or -1 (all ones) if the
        /// kernel could not tell.
        pub const IDX: usize = 0;
        /// Registers in the message.
        pub const LENGTH: usize = 1;
    }

    /// `seL4_VPPIEvent_Msg`.
    pub mod vppi_event {
        /// The interrupt number (27 for the virtual timer).
        pub const IRQ: usize = 0;
        /// Registers in the message.
        pub const LENGTH: usize = 1;
    }

    /// `seL4_VCPUFault_Msg`.
    pub mod vcpu_fault {
        /// The syndrome (`ESR_EL2`, called HSR by the kernel).
        pub const HSR: usize = 0;
        /// Registers in the message.
        pub const LENGTH: usize = 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label::{AARCH64, X86_64};

    #[test]
    fn labels_round_trip_in_each_configuration() {
        for config in [X86_64, AARCH64] {
            for kind in FaultKind::ALL {
                if let Some(label) = kind.label(config) {
                    assert_eq!(FaultKind::from_label(config, label), Some(kind));
                }
            }
        }
        assert_eq!(FaultKind::VcpuFault.label(X86_64), None);
        assert_eq!(FaultKind::from_label(X86_64, 7), None);
        assert_eq!(FaultKind::from_label(AARCH64, 4), None);
        assert_eq!(
            FaultKind::from_label(AARCH64, 8),
            Some(FaultKind::VppiEvent)
        );
    }
}
