//! The virtual interrupts on their way to the guest: the emulated distributor's
//! pending state, the vCPU's list registers they are injected into, and a queue for
//! those that find every list register taken.
//!
//! An interrupt is injected when it is pending, enabled and the distributor is on. It
//! then holds its list register (marked active here) until the guest ends it: the
//! kernel asks for a maintenance interrupt on every injection and reports it as a
//! `VGICMaintenance` fault naming the list register, which frees it for the queue.
//! An interrupt is never in two list registers, nor queued twice; one raised again
//! while it is in a list register stays pending and goes in after the guest ends it.

use crate::gicd::{Distributor, NUM_IRQS};
use crate::VcpuKernel;

/// List registers of QEMU's GICv2 virtual CPU interface (`GICH_VTR.ListRegs` + 1).
pub const NUM_LIST_REGS: usize = 4;
/// Interrupts that can wait for a list register; more stay pending in the distributor
/// and are picked up the next time a list register frees.
pub const QUEUE_LEN: usize = 16;

/// The injection group: group 0, as libvmm injects (the guest's `GICV_CTLR` decides
/// how group 0 is signalled; with `FIQEn` clear, as an IRQ).
const GROUP: u8 = 0;

/// Pending state, list registers and the overflow queue of one vCPU.
#[derive(Clone, Debug)]
pub struct Vgic {
    /// The emulated distributor.
    pub dist: Distributor,
    lrs: [Option<u16>; NUM_LIST_REGS],
    queue: [u16; QUEUE_LEN],
    queued: usize,
}

impl Default for Vgic {
    fn default() -> Self {
        Vgic::new()
    }
}

impl Vgic {
    /// Nothing pending, every list register free.
    pub const fn new() -> Vgic {
        Vgic {
            dist: Distributor::new(),
            lrs: [None; NUM_LIST_REGS],
            queue: [0; QUEUE_LEN],
            queued: 0,
        }
    }

    /// The interrupt in list register `index`, if any.
    pub fn list_register(&self, index: usize) -> Option<u16> {
        self.lrs.get(index).copied().flatten()
    }

    /// The interrupts waiting for a list register, oldest first.
    pub fn queued(&self) -> &[u16] {
        &self.queue[..self.queued]
    }

    fn in_list_register(&self, irq: u16) -> bool {
        self.lrs.contains(&Some(irq))
    }

    /// Makes `irq` pending and injects it if it is deliverable.
    pub fn raise<K: VcpuKernel>(
        &mut self,
        kernel: &mut K,
        vcpu: u8,
        irq: u16,
    ) -> Result<(), K::Error> {
        self.dist.set_pending(irq, true);
        self.deliver(kernel, vcpu, irq)
    }

    /// Injects (or queues) every deliverable interrupt: after the guest enabled
    /// something, and after a list register freed.
    pub fn deliver_all<K: VcpuKernel>(&mut self, kernel: &mut K, vcpu: u8) -> Result<(), K::Error> {
        for irq in 0..NUM_IRQS as u16 {
            if self.dist.deliverable(irq) {
                self.deliver(kernel, vcpu, irq)?;
            }
        }
        Ok(())
    }

    fn deliver<K: VcpuKernel>(
        &mut self,
        kernel: &mut K,
        vcpu: u8,
        irq: u16,
    ) -> Result<(), K::Error> {
        if !self.dist.deliverable(irq) || self.in_list_register(irq) || self.queued().contains(&irq)
        {
            return Ok(());
        }
        match self.lrs.iter().position(Option::is_none) {
            Some(index) => self.inject(kernel, vcpu, irq, index),
            None => {
                if self.queued < QUEUE_LEN {
                    self.queue[self.queued] = irq;
                    self.queued += 1;
                }
                Ok(())
            }
        }
    }

    fn inject<K: VcpuKernel>(
        &mut self,
        kernel: &mut K,
        vcpu: u8,
        irq: u16,
        index: usize,
    ) -> Result<(), K::Error> {
        kernel.inject_irq(vcpu, irq, self.dist.lr_priority(irq), GROUP, index as u8)?;
        self.lrs[index] = Some(irq);
        self.dist.set_pending(irq, false);
        self.dist.set_active(irq, true);
        Ok(())
    }

    /// The guest ended the interrupt in list register `index`: frees it and returns
    /// the interrupt that was there. Call [`Vgic::refill`] after acting on it.
    pub fn end_of_interrupt(&mut self, index: u8) -> Option<u16> {
        let irq = self.lrs.get_mut(index as usize)?.take()?;
        self.dist.set_active(irq, false);
        Some(irq)
    }

    /// Moves queued interrupts into free list registers (dropping those the guest
    /// disabled or cleared meanwhile: they stay in the distributor's state), then
    /// delivers whatever else is deliverable.
    pub fn refill<K: VcpuKernel>(&mut self, kernel: &mut K, vcpu: u8) -> Result<(), K::Error> {
        while self.queued > 0 && self.lrs.iter().any(Option::is_none) {
            let irq = self.queue[0];
            self.queue.copy_within(1..self.queued, 0);
            self.queued -= 1;
            self.deliver(kernel, vcpu, irq)?;
        }
        self.deliver_all(kernel, vcpu)
    }
}
