//! Mappings: alignment, the end of the mappable address space, overlaps.

use crate::describe;
use crate::error::{DisplayEnd, SdfError, SdfErrorKind};
use crate::model::{Map, MemoryRegion};
use crate::validate::disjoint::Disjoint;
use crate::validate::limits::pd_map_limit;
use crate::validate::Ctx;

/// One address space: who owns it, its maps, and where its maps must end.
struct Space<'a> {
    owner: String,
    maps: &'a [Map],
    limit: u64,
    why: String,
    /// Whether the page at address 0 must stay unmapped (PDs: null pointers
    /// fault; a guest's physical address 0 is ordinary memory).
    keeps_null_page: bool,
}

fn spaces<'a>(ctx: &Ctx<'a>) -> Vec<Space<'a>> {
    let board = ctx.board;
    let mut spaces = Vec::new();
    for (pd, _) in &ctx.pds {
        spaces.push(Space {
            owner: describe::pd(pd),
            maps: &pd.maps,
            limit: pd_map_limit(board, pd.stack_size),
            why: format!(
                "a guard page, the {:#x}-byte stack, a guard page and the IPC buffer lie above, up to {:#x}",
                pd.stack_size,
                board.user_vaddr_end()
            ),
            keeps_null_page: true,
        });
        if let Some(vm) = &pd.virtual_machine {
            spaces.push(Space {
                owner: describe::vm(vm),
                maps: &vm.maps,
                limit: board.user_vaddr_end(),
                why: format!(
                    "the end of the guest-physical addresses the stage-2 tables hold on board '{}'",
                    board.name()
                ),
                keeps_null_page: false,
            });
        }
    }
    spaces
}

/// The map's region and page size, when both are sound (other rules report the rest).
fn sound<'a>(ctx: &Ctx<'a>, map: &Map) -> Option<(&'a MemoryRegion, u64)> {
    let mr = ctx.mr(&map.mr)?;
    Some((mr, ctx.sound_page_size(mr)?))
}

fn element(map: &Map, owner: &str) -> String {
    describe::inside(&describe::element("map", "mr", Some(&map.mr)), owner)
}

/// A map's address is a multiple of its region's page size.
pub(crate) fn check_map_alignment(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for space in spaces(ctx) {
        for map in space.maps {
            let Some((mr, page_size)) = sound(ctx, map) else {
                continue;
            };
            if !map.vaddr.is_multiple_of(page_size) {
                errors.push(SdfError::at(
                    map.location.clone(),
                    SdfErrorKind::MapMisaligned {
                        element: element(map, &space.owner),
                        vaddr: map.vaddr,
                        page_size,
                        mr: mr.name.clone(),
                    },
                ));
            }
        }
    }
}

/// End of the page at address 0, which no PD may map.
const NULL_PAGE_END: u64 = sysinit_pd_abi::PAGE_SIZE;

/// A map of a PD starts above the null page, and ends below the PD's stack
/// (PDs) or the end of the guest address space (VMs).
pub(crate) fn check_map_bounds(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for space in spaces(ctx) {
        for map in space.maps {
            let Some((mr, _)) = sound(ctx, map) else {
                continue;
            };
            if space.keeps_null_page && map.vaddr < NULL_PAGE_END {
                errors.push(SdfError::at(
                    map.location.clone(),
                    SdfErrorKind::MapNullPage {
                        element: element(map, &space.owner),
                        vaddr: map.vaddr,
                        floor: NULL_PAGE_END,
                    },
                ));
                continue;
            }
            let end = map.vaddr.checked_add(mr.size);
            if end.is_none_or(|end| end > space.limit) {
                errors.push(SdfError::at(
                    map.location.clone(),
                    SdfErrorKind::MapBeyondLimit {
                        element: element(map, &space.owner),
                        start: map.vaddr,
                        end: DisplayEnd(end),
                        limit: space.limit,
                        why: space.why.clone(),
                    },
                ));
            }
        }
    }
}

/// Maps of one address space do not overlap.
pub(crate) fn check_map_overlaps(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for space in spaces(ctx) {
        let mut placed: Disjoint<&Map> = Disjoint::new();
        for map in space.maps {
            let Some((mr, _)) = sound(ctx, map) else {
                continue;
            };
            let Some(end) = map.vaddr.checked_add(mr.size) else {
                continue; // check_map_bounds reports it
            };
            let start = map.vaddr;
            if let Some((other_start, other_end, other)) = placed.overlapping(start, end) {
                errors.push(SdfError::at(
                    map.location.clone(),
                    SdfErrorKind::MapOverlap {
                        element: element(map, &space.owner),
                        start,
                        end,
                        other: other.mr.clone(),
                        other_start,
                        other_end,
                        other_location: other.location.clone(),
                        space: format!("the address space of {}", space.owner),
                    },
                ));
            } else {
                placed.insert(start, end, map);
            }
        }
    }
}

/// Device registers must not be cached: `cached="true"` on device memory is a mistake.
pub(crate) fn check_device_maps_uncached(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for space in spaces(ctx) {
        for map in space.maps {
            let Some(mr) = ctx.mr(&map.mr) else {
                continue; // check_references reports it
            };
            if map.cached == Some(true) && mr.is_device() {
                errors.push(SdfError::at(
                    map.location.clone(),
                    SdfErrorKind::CachedDeviceMap {
                        element: element(map, &space.owner),
                        mr: mr.name.clone(),
                    },
                ));
            }
        }
    }
}
