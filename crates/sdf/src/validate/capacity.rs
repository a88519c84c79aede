//! What the board can hold at all: RAM for RAM-backed regions and root CNode
//! slots for frames.
//!
//! Checked before anything is built, so that `check` refuses what `build` could
//! not do, and `build` never sizes anything from a region it cannot place (a
//! 2^62-byte region once made `build` try to allocate petabytes). These are
//! necessary bounds only: every other object needs RAM and a slot too, which
//! the planner accounts for exactly.

use crate::describe;
use crate::error::{SdfError, SdfErrorKind};
use crate::validate::Ctx;

/// Regions backed by RAM fit the RAM the kernel hands to user level, and all
/// regions' frames fit the root CNode. Each is reported once, at the region
/// where the running total (in file order) first goes over.
pub(crate) fn check_region_capacity(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    let board = ctx.board;
    let free = board.free_ram_bytes();
    let max_frames = 1u64 << board.root_cnode_size_bits();
    let (mut ram_total, mut frame_total) = (0u128, 0u128);
    let (mut ram_reported, mut frames_reported) = (false, false);
    for mr in &ctx.description.memory_regions {
        let Some(page_size) = ctx.sound_page_size(mr) else {
            continue; // check_region_sizes and check_page_sizes report it
        };
        let element = describe::element("memory_region", "name", Some(&mr.name));
        let ram_backed = mr.phys_addr.is_none() || mr.ram;
        let mut reported_here = false;
        if ram_backed {
            ram_total += u128::from(mr.size);
            if !ram_reported && ram_total > u128::from(free) {
                ram_reported = true;
                reported_here = true;
                errors.push(SdfError::at(
                    mr.location.clone(),
                    SdfErrorKind::RamExhausted {
                        element: element.clone(),
                        total: ram_total,
                        free,
                        board: board.name().to_string(),
                        ram: board.ram_bytes(),
                        max_ram: board.ram_limits().1,
                    },
                ));
            }
        }
        let frames = mr.size / page_size;
        frame_total += u128::from(frames);
        // One message per mistake: a region refused for its RAM is not also
        // refused for its frames (nor is a later one, for the same frames).
        if !frames_reported && frame_total > u128::from(max_frames) {
            frames_reported = true;
            if reported_here {
                continue;
            }
            errors.push(SdfError::at(
                mr.location.clone(),
                SdfErrorKind::TooManyFrames {
                    element,
                    frames,
                    page_size,
                    total: frame_total,
                    max: max_frames,
                    board: board.name().to_string(),
                },
            ));
        }
    }
}
