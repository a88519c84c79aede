//! Interrupts: the right kind for the board, numbers in range, not the
//! kernel's, and each bound once.

use std::collections::HashMap;

use sysinit_board::Interrupts;

use crate::describe;
use crate::error::{SdfError, SdfErrorKind};
use crate::model::{Irq, IrqKind, Location, PciAddress, ProtectionDomain};
use crate::validate::Ctx;

fn element(irq: &Irq, pd: &ProtectionDomain) -> String {
    describe::inside(
        &describe::element("irq", "id", Some(&irq.id.to_string())),
        &describe::pd(pd),
    )
}

/// Whether the interrupt kind exists on the board's interrupt controller.
fn fits_board(kind: &IrqKind, interrupts: &Interrupts) -> bool {
    matches!(
        (kind, interrupts),
        (IrqKind::Arm { .. }, Interrupts::Gic { .. })
            | (
                IrqKind::Ioapic { .. } | IrqKind::Msi { .. },
                Interrupts::Ioapic { .. }
            )
    )
}

/// ARM interrupts on ARM boards, IOAPIC and MSI interrupts on x86 boards.
pub(crate) fn check_irq_kinds_on_board(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    let interrupts = ctx.board.interrupts();
    for (pd, _) in &ctx.pds {
        for irq in &pd.irqs {
            if fits_board(&irq.kind, interrupts) {
                continue;
            }
            let (feature, reason, valid) = match irq.kind {
                IrqKind::Arm { .. } => (
                    "ARM interrupts (irq=) are",
                    "its interrupt controller is an IOAPIC",
                    "an IOAPIC pin (pin=, vector=) or an MSI (pcidev=, handle=, vector=)",
                ),
                IrqKind::Ioapic { .. } => (
                    "IOAPIC interrupts (pin=) are",
                    "its interrupt controller is a GIC",
                    "a GIC interrupt number (irq=)",
                ),
                IrqKind::Msi { .. } => (
                    "MSI interrupts (pcidev=) are",
                    "its interrupt controller is a GIC",
                    "a GIC interrupt number (irq=)",
                ),
            };
            errors.push(SdfError::at(
                irq.location.clone(),
                SdfErrorKind::NotOnBoard {
                    element: element(irq, pd),
                    feature,
                    board: ctx.board.name().to_string(),
                    reason: reason.to_string(),
                    valid,
                },
            ));
        }
    }
}

/// Interrupt numbers, IOAPIC indices, pins and vectors exist on the board.
pub(crate) fn check_irq_ranges(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    let interrupts = ctx.board.interrupts();
    for (pd, _) in &ctx.pds {
        for irq in &pd.irqs {
            let mut check = |what: &'static str, value: u64, max: u64| {
                if value > max {
                    errors.push(SdfError::at(
                        irq.location.clone(),
                        SdfErrorKind::IrqOutOfRange {
                            element: element(irq, pd),
                            what,
                            value,
                            board: ctx.board.name().to_string(),
                            max,
                        },
                    ));
                }
            };
            match (irq.kind, interrupts) {
                (IrqKind::Arm { irq: number, .. }, Interrupts::Gic { max_irq, .. }) => {
                    check("irq", number, *max_irq)
                }
                (
                    IrqKind::Ioapic {
                        ioapic,
                        pin,
                        vector,
                        ..
                    },
                    Interrupts::Ioapic {
                        ioapics,
                        pins,
                        max_vector,
                    },
                ) => {
                    check("ioapic", ioapic, ioapics.saturating_sub(1));
                    check("pin", pin, pins.saturating_sub(1));
                    check("vector", vector, *max_vector);
                }
                (IrqKind::Msi { vector, .. }, Interrupts::Ioapic { max_vector, .. }) => {
                    check("vector", vector, *max_vector)
                }
                _ => {} // check_irq_kinds_on_board reports it
            }
        }
    }
}

/// Interrupts the kernel keeps (timer, virtualization) cannot be bound.
pub(crate) fn check_kernel_irqs(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    let Interrupts::Gic { kernel_irqs, .. } = ctx.board.interrupts() else {
        return;
    };
    for (pd, _) in &ctx.pds {
        for irq in &pd.irqs {
            let IrqKind::Arm { irq: number, .. } = irq.kind else {
                continue;
            };
            if let Some(kernel) = kernel_irqs.iter().find(|k| k.irq == number) {
                errors.push(SdfError::at(
                    irq.location.clone(),
                    SdfErrorKind::IrqReservedByKernel {
                        element: element(irq, pd),
                        irq: number,
                        name: kernel.name.clone(),
                        board: ctx.board.name().to_string(),
                    },
                ));
            }
        }
    }
}

/// What makes two interrupts the same: the kernel's IRQ slot (the GIC number or
/// the x86 vector), for the IOAPIC the pin, and for an MSI its device and handle
/// (the root task asks the kernel for each (pcidev, handle) once).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Binding {
    GicIrq(u64),
    Vector(u64),
    IoapicPin(u64, u64),
    Msi(PciAddress, u64),
}

impl Binding {
    fn describe(self) -> String {
        match self {
            Binding::GicIrq(n) => format!("irq {n}"),
            Binding::Vector(v) => format!("vector {v}"),
            Binding::IoapicPin(ioapic, pin) => format!("IOAPIC {ioapic} pin {pin}"),
            Binding::Msi(pcidev, handle) => format!("MSI pcidev {pcidev} handle {handle}"),
        }
    }
}

/// No interrupt is bound twice, in one PD or across PDs.
pub(crate) fn check_duplicate_irqs(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    let interrupts = ctx.board.interrupts();
    let mut first: HashMap<Binding, (&str, Location)> = HashMap::new();
    for (pd, _) in &ctx.pds {
        for irq in pd.irqs.iter().filter(|i| fits_board(&i.kind, interrupts)) {
            let bindings = match irq.kind {
                IrqKind::Arm { irq: n, .. } => vec![Binding::GicIrq(n)],
                IrqKind::Ioapic {
                    ioapic,
                    pin,
                    vector,
                    ..
                } => vec![Binding::IoapicPin(ioapic, pin), Binding::Vector(vector)],
                IrqKind::Msi {
                    pcidev,
                    handle,
                    vector,
                } => vec![Binding::Msi(pcidev, handle), Binding::Vector(vector)],
            };
            for binding in bindings {
                if let Some((first_pd, first_location)) = first.get(&binding) {
                    errors.push(SdfError::at(
                        irq.location.clone(),
                        SdfErrorKind::DuplicateIrq {
                            element: element(irq, pd),
                            what: binding.describe(),
                            first_pd: first_pd.to_string(),
                            first: first_location.clone(),
                        },
                    ));
                    break;
                }
                first.insert(binding, (&pd.name, irq.location.clone()));
            }
        }
    }
}
