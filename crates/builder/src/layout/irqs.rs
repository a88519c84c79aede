//! Interrupts and I/O ports: a handler object per `<irq>` signalling the PD's
//! notification with bit `id`, an I/O port object per `<ioport>`.

use std::collections::BTreeMap;

use sysinit_pd_abi as abi;
use sysinit_sdf::{describe, IrqKind, Location, Polarity, ProtectionDomain, Trigger};
use sysinit_spec::{Cap, IoPorts, Irq, IrqSource, Object};

use super::pd::PdObjects;
use super::Layout;
use crate::error::BuildError;

/// An interrupt source or vector one `<irq>` binds; the kernel gives each to one handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Claim {
    Arm(u32),
    IoApicPin(u32, u32),
    Vector(u32),
    Msi(u8, u8, u8, u64),
}

impl std::fmt::Display for Claim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Claim::Arm(irq) => write!(f, "interrupt {irq}"),
            Claim::IoApicPin(ioapic, pin) => write!(f, "I/O APIC {ioapic} pin {pin}"),
            Claim::Vector(vector) => write!(f, "vector {vector}"),
            Claim::Msi(bus, dev, func, handle) => {
                write!(f, "MSI {bus:02x}:{dev:02x}.{func} handle {handle}")
            }
        }
    }
}

/// What the `<irq>`s laid out so far bind, and where: the same rules the spec's
/// validation applies, checked here so that a clash validation let through is
/// refused at its element rather than as an inconsistent spec.
#[derive(Default)]
pub(super) struct IrqClaims(BTreeMap<Claim, (Location, String)>);

impl IrqClaims {
    /// Records what `source` binds for `element`; the first clash as an error.
    fn claim(&mut self, source: &IrqSource, at: &Location, element: &str) -> Option<BuildError> {
        let claims = match *source {
            IrqSource::Arm { irq, .. } => vec![Claim::Arm(irq)],
            IrqSource::IoApic {
                ioapic,
                pin,
                vector,
                ..
            } => vec![Claim::IoApicPin(ioapic, pin), Claim::Vector(vector)],
            IrqSource::Msi {
                pci_bus,
                pci_dev,
                pci_func,
                handle,
                vector,
            } => vec![
                Claim::Msi(pci_bus, pci_dev, pci_func, handle),
                Claim::Vector(vector),
            ],
        };
        if let Some((claim, (first_at, first))) = claims
            .iter()
            .find_map(|c| self.0.get(c).map(|first| (c, first)))
        {
            return Some(BuildError::IrqClaimed {
                location: at.clone(),
                element: element.to_string(),
                what: claim.to_string(),
                first: first.clone(),
                first_location: first_at.clone(),
            });
        }
        for c in claims {
            self.0.insert(c, (at.clone(), element.to_string()));
        }
        None
    }
}

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

/// Adds `pd`'s interrupt handlers, each at `BASE_IRQ_CAP + id`, unless what
/// one binds is bound already.
pub(super) fn add_irqs(
    layout: &mut Layout,
    claims: &mut IrqClaims,
    pd: &ProtectionDomain,
    o: &PdObjects,
) {
    for irq in &pd.irqs {
        let source = source(&irq.kind);
        let own = describe::element("irq", "id", Some(&irq.id.to_string()));
        let element = describe::inside(&own, &describe::pd(pd));
        if let Some(clash) = claims.claim(&source, &irq.location, &element) {
            layout.errors.push(clash);
            continue;
        }
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
