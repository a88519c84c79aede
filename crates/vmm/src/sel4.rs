//! [`VcpuKernel`] on seL4, through sysinit-pd's vCPU calls (which hold the unsafe IPC
//! buffer accesses) and the cap slots of sysinit-pd-abi.

use sysinit_pd::{
    irq_ack, vcpu_ack_vppi, vcpu_inject_irq, vm_read_registers, vm_write_registers, Channel,
};
use sysinit_sel4::InvocationError;

use crate::{UserContext, VcpuKernel};

/// The kernel of the PD the VMM runs in.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sel4Kernel;

impl VcpuKernel for Sel4Kernel {
    type Error = InvocationError;

    fn inject_irq(
        &mut self,
        vcpu: u8,
        virq: u16,
        priority: u8,
        group: u8,
        index: u8,
    ) -> Result<(), InvocationError> {
        vcpu_inject_irq(vcpu, virq, priority, group, index)
    }

    fn ack_vppi(&mut self, vcpu: u8, irq: u16) -> Result<(), InvocationError> {
        vcpu_ack_vppi(vcpu, irq as u64)
    }

    fn read_regs(&mut self, vcpu: u8) -> Result<UserContext, InvocationError> {
        vm_read_registers(vcpu)
    }

    fn write_regs(
        &mut self,
        vcpu: u8,
        regs: &UserContext,
        resume: bool,
    ) -> Result<(), InvocationError> {
        vm_write_registers(vcpu, regs, resume)
    }

    fn irq_ack(&mut self, channel: u8) -> Result<(), InvocationError> {
        match Channel::try_new(channel as u64) {
            Some(ch) => irq_ack(ch),
            // The VMM maps only channels that exist (Vmm::map_passthrough checks).
            None => Ok(()),
        }
    }
}
