//! [`Vmm`]: one guest with one vCPU, its faults and its passed-through interrupts.

use core::fmt;

use sysinit_sel4::fault::FaultKind;
use sysinit_sel4::Word;

use crate::esr::{self, MmioAccess, MmioDecodeError};
use crate::fault::{Fault, ShortMessage};
use crate::gicd::{WriteEffect, GICD_BASE_QEMU_VIRT, GICD_SIZE, NUM_IRQS};
use crate::psci::{self, Call};
use crate::vgic::Vgic;
use crate::{UserContext, VcpuKernel};

/// The guest's first program status: EL1 with its own stack pointer (EL1h), debug,
/// SError, IRQ and FIQ masked, as a boot loader hands over to an OS.
pub const GUEST_SPSR: Word = 0x3c5;

/// Channels a PD can have (`sysinit_pd_abi::MAX_CHANNEL_ID` + 1).
const CHANNELS: usize = 62;
/// The first shared peripheral interrupt: interrupts below are per CPU (SGIs, PPIs).
const FIRST_SPI: u16 = 32;

/// What to do with the faulting vCPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action<E> {
    /// Reply to the fault (a message with label 0 and no registers): the vCPU resumes.
    Resume,
    /// Do not reply: the vCPU stays stopped, for the reason given.
    Stop(Stop<E>),
}

/// Why the guest stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop<E> {
    /// PSCI `SYSTEM_OFF`: the guest finished.
    PoweredOff,
    /// PSCI `SYSTEM_RESET`: the guest asked for a restart, which this VMM does not do.
    Reset,
    /// PSCI `CPU_OFF` of the only vCPU.
    CpuOff,
    /// A fault the VMM does not handle.
    Unhandled(Unhandled),
    /// A kernel operation failed while handling a fault.
    Kernel {
        /// What the VMM was doing.
        doing: &'static str,
        /// The kernel's error.
        error: E,
    },
}

impl<E: fmt::Display> fmt::Display for Stop<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::PoweredOff => f.write_str("guest powered off (PSCI SYSTEM_OFF)"),
            Stop::Reset => f.write_str(
                "guest asked for a reset (PSCI SYSTEM_RESET); this VMM does not restart guests, the vCPU is stopped",
            ),
            Stop::CpuOff => f.write_str("guest turned its only vCPU off (PSCI CPU_OFF)"),
            Stop::Unhandled(u) => write!(f, "{u}"),
            Stop::Kernel { doing, error } => write!(f, "{doing} failed: {error}; the vCPU is stopped"),
        }
    }
}

/// A fault the VMM cannot handle, with what it knows of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unhandled {
    /// The faulting vCPU.
    pub vcpu: u8,
    /// The fault message's label.
    pub label: Word,
    /// The guest's PC at the fault, when known.
    pub pc: Option<Word>,
    /// The (guest-physical) address accessed, for memory faults.
    pub addr: Option<Word>,
    /// The syndrome (`ESR_EL2`), when the fault has one.
    pub syndrome: Option<Word>,
    /// Why it is not handled.
    pub reason: Reason,
}

/// Why a fault is not handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A data access to a guest-physical address no emulated device covers.
    NoDevice,
    /// A data access to an emulated device whose syndrome cannot be emulated.
    Mmio(MmioDecodeError),
    /// An instruction fetch from an address the guest's memory does not map.
    InstructionFetch,
    /// A trapped instruction of an exception class the VMM does not emulate.
    Trapped,
    /// An undefined or otherwise unhandled instruction.
    UserException {
        /// The kernel's exception number.
        number: Word,
    },
    /// A fault kind vCPUs do not raise (capability fault, unknown label).
    UnexpectedKind,
    /// A fault message shorter than its kind's.
    Short(ShortMessage),
    /// A fault of a vCPU this VMM does not run.
    UnknownVcpu,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NoDevice => {
                f.write_str("no memory or emulated device at this guest-physical address")
            }
            Reason::Mmio(e) => write!(f, "cannot emulate the access: {e}"),
            Reason::InstructionFetch => f.write_str(
                "instruction fetch from a guest-physical address the guest's memory does not map",
            ),
            Reason::Trapped => f.write_str("trapped instruction the VMM does not emulate"),
            Reason::UserException { number } => {
                write!(f, "unhandled exception (number {number})")
            }
            Reason::UnexpectedKind => f.write_str("a vCPU thread never raises this fault"),
            Reason::Short(s) => write!(f, "{s}"),
            Reason::UnknownVcpu => f.write_str("this VMM runs no vCPU with that id"),
        }
    }
}

impl fmt::Display for Unhandled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vCPU {}: ", self.vcpu)?;
        match FaultKind::from_label(sysinit_sel4::label::AARCH64, self.label) {
            Some(kind) => write!(f, "{kind}")?,
            None => write!(f, "fault label {}", self.label)?,
        }
        if let Some(pc) = self.pc {
            write!(f, " at pc {pc:#x}")?;
        }
        if let Some(addr) = self.addr {
            write!(f, ", address {addr:#x}")?;
        }
        if let Some(esr) = self.syndrome {
            let ec = esr::class(esr);
            write!(f, ", ESR {esr:#x} (EC {ec:#04x}: {})", esr::class_name(ec))?;
        }
        write!(f, ": {}; the vCPU is stopped", self.reason)
    }
}

/// A passthrough mapping the VMM refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The channel id is past the last channel.
    Channel(u8),
    /// The virtual interrupt is not a shared peripheral interrupt of the emulated GIC.
    Irq(u16),
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::Channel(ch) => write!(f, "channel {ch} is past the last channel (61)"),
            MapError::Irq(irq) => write!(
                f,
                "virtual interrupt {irq} is not a shared peripheral interrupt ({FIRST_SPI}..{NUM_IRQS})"
            ),
        }
    }
}

/// One guest with one vCPU.
#[derive(Clone, Debug)]
pub struct Vmm {
    vcpu: u8,
    gicd_base: Word,
    vgic: Vgic,
    /// The virtual interrupt each channel's IRQ is passed through as.
    passthrough: [Option<u16>; CHANNELS],
    /// PPIs the kernel masked when it reported them (VPPIEvent), to acknowledge when
    /// the guest ends them.
    vppi_masked: u32,
}

/// The result of one step, with the kernel error tagged by what was being done.
type Step<E> = Result<Action<E>, Stop<E>>;

impl Vmm {
    /// A VMM for vCPU `vcpu`, with the distributor where QEMU virt has it.
    pub const fn new(vcpu: u8) -> Vmm {
        Vmm::with_gicd_base(vcpu, GICD_BASE_QEMU_VIRT)
    }

    /// A VMM for vCPU `vcpu`, emulating the distributor at guest-physical `gicd_base`.
    pub const fn with_gicd_base(vcpu: u8, gicd_base: Word) -> Vmm {
        Vmm {
            vcpu,
            gicd_base,
            vgic: Vgic::new(),
            passthrough: [None; CHANNELS],
            vppi_masked: 0,
        }
    }

    /// The virtual interrupt state (distributor, list registers, queue).
    pub fn vgic(&self) -> &Vgic {
        &self.vgic
    }

    /// Passes the interrupt delivered on `channel` through to the guest as `virq`.
    pub fn map_passthrough(&mut self, channel: u8, virq: u16) -> Result<(), MapError> {
        if !(FIRST_SPI..NUM_IRQS as u16).contains(&virq) {
            return Err(MapError::Irq(virq));
        }
        let slot = self
            .passthrough
            .get_mut(channel as usize)
            .ok_or(MapError::Channel(channel))?;
        *slot = Some(virq);
        Ok(())
    }

    /// Starts the vCPU at `entry` with `x0 = dtb` (the Linux arm64 boot protocol), in
    /// EL1h with interrupts masked ([`GUEST_SPSR`]).
    pub fn start<K: VcpuKernel>(
        &mut self,
        kernel: &mut K,
        entry: Word,
        dtb: Word,
    ) -> Result<(), K::Error> {
        let regs = UserContext {
            pc: entry,
            x0: dtb,
            spsr: GUEST_SPSR,
            ..UserContext::default()
        };
        kernel.write_regs(self.vcpu, &regs, true)
    }

    /// The interrupt on `channel` fired: injects its virtual interrupt. Returns false
    /// if the channel is not a passthrough interrupt (the PD handles it otherwise).
    pub fn notified<K: VcpuKernel>(
        &mut self,
        kernel: &mut K,
        channel: u8,
    ) -> Result<bool, K::Error> {
        let Some(virq) = self.passthrough.get(channel as usize).copied().flatten() else {
            return Ok(false);
        };
        self.vgic.raise(kernel, self.vcpu, virq)?;
        Ok(true)
    }

    /// Handles a fault of `vcpu` with message `label` and registers `mrs` (as many as the
    /// message's length).
    pub fn handle_fault<K: VcpuKernel>(
        &mut self,
        kernel: &mut K,
        vcpu: u8,
        label: Word,
        mrs: &[Word],
    ) -> Action<K::Error> {
        let unhandled = |reason| Unhandled {
            vcpu,
            label,
            pc: None,
            addr: None,
            syndrome: None,
            reason,
        };
        if vcpu != self.vcpu {
            return Action::Stop(Stop::Unhandled(unhandled(Reason::UnknownVcpu)));
        }
        let fault = match Fault::decode(label, mrs) {
            Ok(fault) => fault,
            Err(short) => return Action::Stop(Stop::Unhandled(unhandled(Reason::Short(short)))),
        };
        let step = match fault {
            Fault::VmFault {
                ip,
                addr,
                prefetch,
                esr,
            } => self.vm_fault(kernel, label, ip, addr, prefetch, esr),
            Fault::UnknownSyscall { .. } => self.smccc(kernel),
            Fault::VcpuFault { esr } => self.vcpu_fault(kernel, label, esr),
            Fault::VppiEvent { irq } => self.vppi_event(kernel, irq),
            Fault::VgicMaintenance { index } => self.maintenance(kernel, index),
            Fault::UserException { ip, number, code } => Err(Stop::Unhandled(Unhandled {
                pc: Some(ip),
                syndrome: Some(code),
                ..unhandled(Reason::UserException { number })
            })),
            Fault::Other { .. } => Err(Stop::Unhandled(unhandled(Reason::UnexpectedKind))),
        };
        match step {
            Ok(action) => action,
            Err(stop) => Action::Stop(stop),
        }
    }

    fn vm_fault<K: VcpuKernel>(
        &mut self,
        kernel: &mut K,
        label: Word,
        ip: Word,
        addr: Word,
        prefetch: bool,
        esr: Word,
    ) -> Step<K::Error> {
        let unhandled = |reason| {
            Stop::Unhandled(Unhandled {
                vcpu: self.vcpu,
                label,
                pc: Some(ip),
                addr: Some(addr),
                syndrome: Some(esr),
                reason,
            })
        };
        if prefetch {
            return Err(unhandled(Reason::InstructionFetch));
        }
        let offset = addr.wrapping_sub(self.gicd_base);
        if offset >= GICD_SIZE {
            return Err(unhandled(Reason::NoDevice));
        }
        let access = MmioAccess::decode(esr).map_err(|e| unhandled(Reason::Mmio(e)))?;
        let dist = &mut self.vgic.dist;
        advance(kernel, self.vcpu, |regs| {
            if access.write {
                // An SGI the write raises is pending in the distributor now, and
                // delivered below with everything else.
                let value = regs.x(access.register) & access.mask();
                let _: WriteEffect = dist.write(offset, access.size, value);
            } else {
                let value = dist.read(offset, access.size);
                regs.set_x(access.register, access.load_result(value));
            }
        })?;
        if access.write {
            // Enabling the distributor or an interrupt, or setting one pending, may
            // make interrupts deliverable.
            self.vgic
                .deliver_all(kernel, self.vcpu)
                .map_err(kernel_err("injecting a virtual interrupt"))?;
        }
        Ok(Action::Resume)
    }

    /// An SMC Calling Convention call (`hvc` or `smc`): PSCI, or `NOT_SUPPORTED`.
    fn smccc<K: VcpuKernel>(&mut self, kernel: &mut K) -> Step<K::Error> {
        let regs = kernel
            .read_regs(self.vcpu)
            .map_err(kernel_err("reading the vCPU's registers"))?;
        match psci::call(regs.x0 as u32, [regs.x1, regs.x2, regs.x3]) {
            Call::Return(value) => {
                advance(kernel, self.vcpu, |r| r.x0 = value as u64)?;
                Ok(Action::Resume)
            }
            Call::SystemOff => Err(Stop::PoweredOff),
            Call::SystemReset => Err(Stop::Reset),
            Call::CpuOff => Err(Stop::CpuOff),
        }
    }

    fn vcpu_fault<K: VcpuKernel>(
        &mut self,
        kernel: &mut K,
        label: Word,
        esr: Word,
    ) -> Step<K::Error> {
        match esr::class(esr) {
            esr::EC_SMC64 => self.smccc(kernel),
            esr::EC_WFX => {
                // One vCPU and no scheduling of our own: waiting is resuming.
                advance(kernel, self.vcpu, |_| {})?;
                Ok(Action::Resume)
            }
            _ => Err(Stop::Unhandled(Unhandled {
                vcpu: self.vcpu,
                label,
                pc: kernel.read_regs(self.vcpu).ok().map(|r| r.pc),
                addr: None,
                syndrome: Some(esr),
                reason: Reason::Trapped,
            })),
        }
    }

    fn vppi_event<K: VcpuKernel>(&mut self, kernel: &mut K, irq: Word) -> Step<K::Error> {
        let Some(ppi) = u16::try_from(irq)
            .ok()
            .filter(|&i| (16..FIRST_SPI).contains(&i))
        else {
            // Not a PPI: nothing to inject or acknowledge; the kernel only sends PPIs.
            return Ok(Action::Resume);
        };
        self.vppi_masked |= 1 << ppi;
        self.vgic
            .raise(kernel, self.vcpu, ppi)
            .map_err(kernel_err("injecting a virtual interrupt"))?;
        Ok(Action::Resume)
    }

    fn maintenance<K: VcpuKernel>(&mut self, kernel: &mut K, index: Option<u8>) -> Step<K::Error> {
        // No index: the kernel saw no ended list register; nothing to do.
        if let Some(irq) = index.and_then(|i| self.vgic.end_of_interrupt(i)) {
            if irq < FIRST_SPI && self.vppi_masked & (1 << irq) != 0 {
                self.vppi_masked &= !(1 << irq);
                kernel
                    .ack_vppi(self.vcpu, irq)
                    .map_err(kernel_err("acknowledging the virtual PPI"))?;
            } else if let Some(channel) = self.passthrough.iter().position(|&v| v == Some(irq)) {
                kernel
                    .irq_ack(channel as u8)
                    .map_err(kernel_err("acknowledging the passed-through interrupt"))?;
            }
        }
        self.vgic
            .refill(kernel, self.vcpu)
            .map_err(kernel_err("injecting a virtual interrupt"))?;
        Ok(Action::Resume)
    }
}

fn kernel_err<E>(doing: &'static str) -> impl FnOnce(E) -> Stop<E> {
    move |error| Stop::Kernel { doing, error }
}

/// Reads `vcpu`'s registers, lets `edit` change them, advances the PC past the trapped
/// instruction (all are 4 bytes in AArch64) and writes them back.
fn advance<K: VcpuKernel>(
    kernel: &mut K,
    vcpu: u8,
    edit: impl FnOnce(&mut UserContext),
) -> Result<(), Stop<K::Error>> {
    let mut regs = kernel
        .read_regs(vcpu)
        .map_err(kernel_err("reading the vCPU's registers"))?;
    edit(&mut regs);
    regs.pc = regs.pc.wrapping_add(4);
    kernel
        .write_regs(vcpu, &regs, false)
        .map_err(kernel_err("writing the vCPU's registers"))
}
