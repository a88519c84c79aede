//! Memory regions: sizes, page sizes and fixed physical addresses on the board.

use sysinit_kobj::{Arch, PhysRange};

use crate::describe;
use crate::error::{DisplayEnd, SdfError, SdfErrorKind};
use crate::model::MemoryRegion;
use crate::validate::disjoint::Disjoint;
use crate::validate::Ctx;

fn element(mr: &MemoryRegion) -> String {
    describe::element("memory_region", "name", Some(&mr.name))
}

/// A given page size is one the architecture has.
pub(crate) fn check_page_sizes(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for mr in &ctx.description.memory_regions {
        if let Some(page_size) = mr.page_size {
            if !ctx.page_sizes.contains(&page_size) {
                let valid: Vec<String> = ctx.page_sizes.iter().map(|p| format!("{p:#x}")).collect();
                errors.push(SdfError::at(
                    mr.location.clone(),
                    SdfErrorKind::UnsupportedPageSize {
                        element: element(mr),
                        page_size,
                        arch: ctx.board.arch().to_string(),
                        valid: valid.join(", "),
                    },
                ));
            }
        }
    }
}

/// A region is a non-zero whole number of its pages.
pub(crate) fn check_region_sizes(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for mr in &ctx.description.memory_regions {
        if mr.size == 0 {
            errors.push(SdfError::at(
                mr.location.clone(),
                SdfErrorKind::RegionSizeZero {
                    element: element(mr),
                },
            ));
        } else if let Some(page_size) = ctx.page_size(mr) {
            if !mr.size.is_multiple_of(page_size) {
                errors.push(SdfError::at(
                    mr.location.clone(),
                    SdfErrorKind::RegionSizeNotPageMultiple {
                        element: element(mr),
                        size: mr.size,
                        page_size,
                    },
                ));
            }
        }
    }
}

/// A fixed physical range is page-aligned, inside the physical address width,
/// clear of other fixed regions and of reserved memory, and device memory
/// unless the region says `ram="true"` (then it must be RAM the kernel manages).
///
/// Stops at the first problem of each region: later checks assume the earlier hold.
pub(crate) fn check_fixed_addresses(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    let board = ctx.board;
    let reserved = board.reserved_ranges();
    let usable = usable_ram(ctx);
    let mut placed: Disjoint<&MemoryRegion> = Disjoint::new();
    for mr in &ctx.description.memory_regions {
        let (Some(start), Some(page_size)) = (mr.phys_addr, ctx.sound_page_size(mr)) else {
            continue;
        };
        let location = mr.location.clone();
        if !start.is_multiple_of(page_size) {
            errors.push(SdfError::at(
                location,
                SdfErrorKind::PhysAddrMisaligned {
                    element: element(mr),
                    phys_addr: start,
                    page_size,
                },
            ));
            continue;
        }
        let end = start.checked_add(mr.size);
        let limit = board.phys_addr_end();
        let Some(end) = end.filter(|&end| end <= limit) else {
            errors.push(SdfError::at(
                location,
                SdfErrorKind::PhysAddrBeyondWidth {
                    element: element(mr),
                    start,
                    end: DisplayEnd(end),
                    bits: board.phys_addr_bits(),
                    board: board.name().to_string(),
                    limit,
                },
            ));
            continue;
        };
        let range = PhysRange::new(start, end);
        if let Some((other_start, other_end, other)) = placed.overlapping(start, end) {
            errors.push(SdfError::at(
                location,
                SdfErrorKind::PhysOverlap {
                    element: element(mr),
                    start,
                    end,
                    other: other.name.clone(),
                    other_start,
                    other_end,
                    other_location: other.location.clone(),
                },
            ));
            continue;
        }
        placed.insert(start, end, mr);
        if let Some(r) = reserved.iter().find(|r| r.range.overlaps(&range)) {
            errors.push(SdfError::at(
                location,
                SdfErrorKind::PhysInReserved {
                    element: element(mr),
                    start,
                    end,
                    reserved: r.name.clone(),
                    kind: r.kind.to_string(),
                    reserved_start: r.range.start,
                    reserved_end: r.range.end,
                    board: board.name().to_string(),
                },
            ));
            continue;
        }
        if let Some(error) = ram_or_device(ctx, mr, range, &usable) {
            errors.push(SdfError::at(location, error));
        }
    }
}

/// RAM the kernel hands out as device memory is neither RAM nor a device to user
/// level; other RAM needs `ram="true"`, and `ram="true"` needs usable RAM.
fn ram_or_device(
    ctx: &Ctx<'_>,
    mr: &MemoryRegion,
    range: PhysRange,
    usable: &[PhysRange],
) -> Option<SdfErrorKind> {
    let board = ctx.board;
    let (start, end) = (range.start, range.end);
    let list = |ranges: &[PhysRange]| {
        let names: Vec<String> = ranges.iter().map(|r| r.to_string()).collect();
        names.join(", ")
    };
    if let Some(area) = board
        .device_untyped_ram()
        .into_iter()
        .find(|a| a.range.overlaps(&range))
    {
        return Some(SdfErrorKind::RamAsDevice {
            element: element(mr),
            start,
            end,
            area: area.name,
            area_start: area.range.start,
            area_end: area.range.end,
            board: board.name().to_string(),
            usable: list(usable),
        });
    }
    let ram = board.configured_ram_ranges();
    match (mr.ram, ram.iter().find(|r| r.overlaps(&range))) {
        (false, Some(r)) => Some(SdfErrorKind::PhysInRam {
            element: element(mr),
            start,
            end,
            ram_start: r.start,
            ram_end: r.end,
            board: board.name().to_string(),
        }),
        (true, _) if !usable.iter().any(|r| r.start <= start && end <= r.end) => {
            Some(SdfErrorKind::RamFlagNotRam {
                element: element(mr),
                start,
                end,
                board: board.name().to_string(),
                ram: list(usable),
            })
        }
        _ => None,
    }
}

/// The RAM `ram="true"` may name: all RAM but what the kernel hands out as device memory.
fn usable_ram(ctx: &Ctx<'_>) -> Vec<PhysRange> {
    let mut pieces = ctx.board.configured_ram_ranges();
    for area in ctx.board.device_untyped_ram() {
        let cut = area.range;
        pieces = pieces
            .into_iter()
            .flat_map(|r| {
                let left = PhysRange::new(r.start, r.end.min(cut.start));
                let right = PhysRange::new(r.start.max(cut.end), r.end);
                [left, right].into_iter().filter(|p| !p.is_empty())
            })
            .collect();
    }
    pieces
}

/// `ram="true"` only makes sense with a fixed address.
pub(crate) fn check_ram_flag_needs_phys_addr(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for mr in &ctx.description.memory_regions {
        if mr.ram && mr.phys_addr.is_none() {
            errors.push(SdfError::at(
                mr.location.clone(),
                SdfErrorKind::RamFlagWithoutPhysAddr {
                    element: element(mr),
                },
            ));
        }
    }
}

/// On x86 the physical address of a region without `phys_addr` is only known at
/// boot, so `<setvar region_paddr>` needs a fixed region (the manual).
pub(crate) fn check_setvar_paddr_known(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    if ctx.board.arch() != Arch::X86_64 {
        return;
    }
    for (pd, _) in &ctx.pds {
        for setvar in &pd.setvars {
            let Some(mr) = ctx.mr(&setvar.region_paddr) else {
                continue; // check_references reports it
            };
            if mr.phys_addr.is_none() {
                let own = describe::element("setvar", "symbol", Some(&setvar.symbol));
                errors.push(SdfError::at(
                    setvar.location.clone(),
                    SdfErrorKind::SetvarPaddrNotFixed {
                        element: describe::inside(&own, &describe::pd(pd)),
                        mr: mr.name.clone(),
                        arch: ctx.board.arch().to_string(),
                    },
                ));
            }
        }
    }
}
