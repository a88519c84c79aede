//! x86 I/O ports: only on x86, inside the port space, not shared.

use sysinit_kobj::Arch;

use crate::describe;
use crate::error::{DisplayEnd, SdfError, SdfErrorKind};
use crate::model::{IoPort, Location, ProtectionDomain};
use crate::validate::disjoint::Disjoint;
use crate::validate::limits::IO_PORT_END;
use crate::validate::Ctx;

fn element(port: &IoPort, pd: &ProtectionDomain) -> String {
    describe::inside(
        &describe::element("ioport", "id", Some(&port.id.to_string())),
        &describe::pd(pd),
    )
}

/// I/O ports exist on x86 only.
pub(crate) fn check_ioports_on_board(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    if ctx.board.arch() == Arch::X86_64 {
        return;
    }
    for (pd, _) in &ctx.pds {
        for port in &pd.ioports {
            errors.push(SdfError::at(
                port.location.clone(),
                SdfErrorKind::NotOnBoard {
                    element: element(port, pd),
                    feature: "I/O ports are",
                    board: ctx.board.name().to_string(),
                    reason: format!(
                        "I/O ports exist on x86 only; this board is {}",
                        ctx.board.arch()
                    ),
                    valid: "memory-mapped device registers (a memory_region with phys_addr)",
                },
            ));
        }
    }
}

/// Port ranges are non-empty, inside 0..0x10000, and no two overlap (across all PDs).
pub(crate) fn check_ioport_ranges_and_overlaps(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    if ctx.board.arch() != Arch::X86_64 {
        return;
    }
    let mut placed: Disjoint<(&str, &Location)> = Disjoint::new();
    for (pd, _) in &ctx.pds {
        for port in &pd.ioports {
            let end = port.addr.checked_add(port.size);
            let Some(end) = end.filter(|&end| port.size > 0 && end <= IO_PORT_END) else {
                errors.push(SdfError::at(
                    port.location.clone(),
                    SdfErrorKind::IoPortOutOfRange {
                        element: element(port, pd),
                        start: port.addr,
                        end: DisplayEnd(end),
                    },
                ));
                continue;
            };
            let start = port.addr;
            if let Some((other_start, other_end, (other_pd, other_location))) =
                placed.overlapping(start, end)
            {
                errors.push(SdfError::at(
                    port.location.clone(),
                    SdfErrorKind::IoPortOverlap {
                        element: element(port, pd),
                        start,
                        end,
                        other_start,
                        other_end,
                        other_pd: other_pd.to_string(),
                        other_location: (*other_location).clone(),
                    },
                ));
                continue;
            }
            placed.insert(start, end, (&pd.name, &port.location));
        }
    }
}
