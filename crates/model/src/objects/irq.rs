//! Interrupt handlers and I/O port ranges.

use serde::{Deserialize, Serialize};
use sysinit_kobj::{Arch, ObjectType};

use super::{err, Right, Want};
use crate::cap::{Cap, IoPortsCap, IrqHandlerCap};
use crate::error::{InvocationError, Sel4Error};
use crate::KernelModel;

/// The notification an IRQ handler signals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IrqTarget {
    /// The notification's address.
    pub notification: u64,
    /// The badge of the cap it was given.
    pub badge: u64,
}

impl KernelModel {
    fn empty_dest(&self, op: &'static str, dest: usize) -> Result<(), InvocationError> {
        match self.slots.get(dest) {
            None => Err(err(
                op,
                Sel4Error::FailedLookup,
                format!(
                    "destination slot {dest} is outside the root CNode (0..{})",
                    self.slots.len()
                ),
            )),
            Some(Some(_)) => Err(err(
                op,
                Sel4Error::DeleteFirst,
                format!("destination slot {dest} is not empty"),
            )),
            Some(None) => Ok(()),
        }
    }

    /// `IRQControl_Get*` (`Arch_decodeIRQControlInvocation`): an interrupt that already
    /// has a handler is RevokeFirst, then the destination must be empty. `irq` is the
    /// CPU vector on x86_64 (I/O APIC pins and MSIs share it), the interrupt number on
    /// aarch64.
    pub fn irq_get(&mut self, irq: u32, dest: usize) -> Result<(), InvocationError> {
        const OP: &str = "IRQControl_Get";
        // The range check comes first in the kernel (before RevokeFirst and the slot).
        let max = self.arch().max_user_irq();
        if irq > max {
            return Err(err(
                OP,
                Sel4Error::RangeError,
                format!("interrupt {irq} is out of range; valid: 0..={max}"),
            ));
        }
        if self.irqs.contains_key(&irq) {
            return Err(err(
                OP,
                Sel4Error::RevokeFirst,
                format!("interrupt {irq} already has a handler"),
            ));
        }
        self.empty_dest(OP, dest)?;
        self.irqs.insert(irq, None);
        self.set_root(dest, Cap::IrqHandler(IrqHandlerCap { irq }));
        Ok(())
    }

    /// `IRQHandler_SetNotification` (`invokeIRQHandler` decode): the cap must be an IRQ
    /// handler (IllegalOperation), the notification cap must have the send right
    /// (InvalidCapability).
    pub fn irq_set_notification(
        &mut self,
        handler: usize,
        ntfn: usize,
    ) -> Result<(), InvocationError> {
        const OP: &str = "IRQHandler_SetNotification";
        let irq = match self.root_cap(OP, handler, "irq handler")? {
            Cap::IrqHandler(h) => h.irq,
            other => {
                return Err(err(
                    OP,
                    Sel4Error::IllegalOperation,
                    format!(
                        "slot {handler} holds a {} cap, not an IRQ handler",
                        other.kind_name()
                    ),
                ))
            }
        };
        let n = self.typed_with(
            OP,
            ntfn,
            Want::Type(ObjectType::Notification, "notification"),
            Sel4Error::InvalidCapability,
            Right::Write,
            Sel4Error::InvalidCapability,
        )?;
        self.irqs.insert(
            irq,
            Some(IrqTarget {
                notification: n.kva,
                badge: n.badge,
            }),
        );
        Ok(())
    }

    /// `X86IOPortControl_Issue` (`decodeX86PortControlInvocation`): x86_64 only
    /// (IllegalOperation elsewhere); `last < first` is InvalidArgument; any port already
    /// issued is RevokeFirst; then the destination must be empty.
    pub fn ioports_issue(
        &mut self,
        first: u16,
        last: u16,
        dest: usize,
    ) -> Result<(), InvocationError> {
        const OP: &str = "IOPortControl_Issue";
        if self.arch != Arch::X86_64 {
            return Err(err(
                OP,
                Sel4Error::IllegalOperation,
                format!("{} has no I/O ports", self.arch),
            ));
        }
        if last < first {
            return Err(err(
                OP,
                Sel4Error::InvalidArgument,
                format!("last port {last:#x} is below first port {first:#x}"),
            ));
        }
        if let Some(&(a, b)) = self.ioports.iter().find(|&&(a, b)| a <= last && first <= b) {
            return Err(err(
                OP,
                Sel4Error::RevokeFirst,
                format!(
                    "ports {first:#x}..={last:#x} overlap {a:#x}..={b:#x}, which were already issued"
                ),
            ));
        }
        self.empty_dest(OP, dest)?;
        self.ioports.push((first, last));
        self.set_root(dest, Cap::IoPorts(IoPortsCap { first, last }));
        Ok(())
    }

    /// The notification interrupt `irq` signals, if it has a handler with one.
    pub fn irq_target(&self, irq: u32) -> Option<IrqTarget> {
        self.irqs.get(&irq).copied().flatten()
    }
}
