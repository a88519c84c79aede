//! Interrupts and I/O ports: a handler object per `<irq>` signalling the PD's
//! notification with bit `id`, an I/O port object per `<ioport>`.

use sysinit_pd_abi as abi;
use sysinit_sdf::{IrqKind, Polarity, ProtectionDomain, Trigger};
use sysinit_spec::{Cap, IoPorts, Irq, IrqSource, Object};

use super::pd::PdObjects;
use super::Layout;

/// The spec's source of the interrupt `kind` (validation keeps every number in range).
fn source(kind: &IrqKind) -> IrqSource {
    match *kind {
        IrqKind::Arm { irq, trigger } => IrqSource::Arm {
            irq: u32::try_from(irq).unwrap_or(u32::MAX),
            edge_triggered: trigger == Trigger::Edge,
        },
        IrqKind::Ioapic {
            ioapic,
            pin,
            trigger,
            polarity,
            vector,
        } => IrqSource::IoApic {
            ioapic: u32::try_from(ioapic).unwrap_or(u32::MAX),
            pin: u32::try_from(pin).unwrap_or(u32::MAX),
            level_triggered: trigger == Trigger::Level,
            active_low: polarity == Polarity::Low,
            vector: u32::try_from(vector).unwrap_or(u32::MAX),
        },
        IrqKind::Msi {
            pcidev,
            handle,
            vector,
        } => IrqSource::Msi {
            pci_bus: pcidev.bus,
            pci_dev: pcidev.device,
            pci_func: pcidev.function,
            handle,
            vector: u32::try_from(vector).unwrap_or(u32::MAX),
        },
    }
}

/// Adds `pd`'s interrupt handlers, each at `BASE_IRQ_CAP + id`. An interrupt bound
/// twice never gets here: validation (`check_duplicate_irqs`) refuses it at its element.
pub(super) fn add_irqs(layout: &mut Layout, pd: &ProtectionDomain, o: &PdObjects) {
    for irq in &pd.irqs {
        let source = source(&irq.kind);
        let handler = layout.b.add(
            format!("pd.{}.irq{}", pd.name, irq.id),
            Object::Irq(Irq {
                source,
                notification: Some(Cap::new(o.notification).with_badge(1 << irq.id)),
            }),
        );
        layout.set_slot(o.cnode, abi::BASE_IRQ_CAP + irq.id, Cap::new(handler));
    }
}

/// Adds `pd`'s I/O port ranges, one object each at `BASE_IOPORT_CAP + id`.
pub(super) fn add_ioports(layout: &mut Layout, pd: &ProtectionDomain, o: &PdObjects) {
    for port in &pd.ioports {
        let first = u16::try_from(port.addr).unwrap_or(u16::MAX);
        let last =
            u16::try_from(port.addr.saturating_add(port.size.max(1) - 1)).unwrap_or(u16::MAX);
        let ports = layout.b.add(
            format!("pd.{}.ioport{}", pd.name, port.id),
            Object::IoPorts(IoPorts { first, last }),
        );
        layout.set_slot(o.cnode, abi::BASE_IOPORT_CAP + port.id, Cap::new(ports));
    }
}
