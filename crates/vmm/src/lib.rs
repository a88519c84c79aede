//! Virtual machine monitor runtime for sysinit guest PDs on aarch64.
//!
//! A VMM PD owns one virtual machine: its vCPU threads fault to the PD's input
//! endpoint (`sysinit_pd_abi::FAULT_BADGE | vcpu id`) and the PD's `fault` handler
//! passes each fault to [`Vmm::handle_fault`], which says whether to reply (resuming
//! the vCPU) or to leave it stopped. What the VMM emulates:
//! - the GICv2 distributor ([`gicd`]): the guest's accesses to it fault (it is not
//!   mapped) and are decoded from the data abort's syndrome ([`esr`]) and the vCPU
//!   thread's registers; the CPU interface is the hardware's virtual one;
//! - virtual interrupts ([`vgic`]): pending, enabled interrupts are injected into the
//!   vCPU's list registers, queued when all are taken, and re-injected when the guest
//!   ends one; the virtual timer's PPI is acknowledged to the kernel and a passed-through
//!   interrupt to its seL4 IRQ handler when the guest ends it;
//! - PSCI over SMC and HVC ([`psci`]) and trapped WFI/WFE.
//!
//! The kernel is reached only through [`VcpuKernel`], so all of it runs on the host
//! against a fake kernel in the tests. The `sel4` feature adds [`Sel4Kernel`] (aarch64
//! targets), which implements it with sysinit-pd's vCPU calls.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod esr;
pub mod fault;
pub mod gicd;
pub mod psci;
pub mod vgic;
mod vmm;

#[cfg(all(feature = "sel4", target_arch = "aarch64"))]
mod sel4;
#[cfg(all(feature = "sel4", target_arch = "aarch64"))]
pub use sel4::Sel4Kernel;

pub use fault::Fault;
pub use sysinit_sel4::invocation::aarch64::UserContext;
pub use vmm::{Action, MapError, Reason, Stop, Unhandled, Vmm, GUEST_SPSR};

/// The kernel operations the VMM needs, on vCPUs by id and IRQ handlers by channel.
pub trait VcpuKernel {
    /// What a failed operation reports.
    type Error;

    /// Makes virtual interrupt `virq` pending in list register `index` of `vcpu`, with
    /// `priority` (0..31) and `group` (`ARM_VCPU_InjectIRQ`).
    fn inject_irq(
        &mut self,
        vcpu: u8,
        virq: u16,
        priority: u8,
        group: u8,
        index: u8,
    ) -> Result<(), Self::Error>;

    /// Unmasks virtual PPI `irq` of `vcpu` after the guest ended it (`ARM_VCPU_AckVPPI`).
    fn ack_vppi(&mut self, vcpu: u8, irq: u16) -> Result<(), Self::Error>;

    /// The user registers of `vcpu`'s thread (`TCB_ReadRegisters`).
    fn read_regs(&mut self, vcpu: u8) -> Result<UserContext, Self::Error>;

    /// Sets the user registers of `vcpu`'s thread; `resume` also starts it
    /// (`TCB_WriteRegisters`).
    fn write_regs(&mut self, vcpu: u8, regs: &UserContext, resume: bool)
        -> Result<(), Self::Error>;

    /// Lets the interrupt delivered on `channel` fire again (`IRQHandler_Ack`).
    fn irq_ack(&mut self, channel: u8) -> Result<(), Self::Error>;
}
