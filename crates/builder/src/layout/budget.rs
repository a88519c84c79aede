//! What the layout will need, counted before anything is allocated: a region of
//! 2^50 pages must be refused by arithmetic, not by running out of memory.
//!
//! Two bounds every bootable system keeps: each kernel object takes at least one
//! slot of the root CNode (2^`ROOT_CNODE_SIZE_BITS` slots), and RAM-backed
//! frames (RAM regions, stacks, IPC buffers, program images) fit in the board's
//! RAM. Both are lower bounds (page tables and extra mapping caps come on top);
//! the initializer makes the exact slot check at boot.

use std::collections::BTreeMap;

use sysinit_board::Board;
use sysinit_pd_abi as abi;
use sysinit_sdf::{describe, SystemDescription};

use super::frames::{is_device, region_page_size};
use crate::error::BuildError;
use crate::LoadedImage;

/// Slots of the root CNode (2^`CONFIG_ROOT_CNODE_SIZE_BITS`, [`sysinit_kobj::ROOT_CNODE_SIZE_BITS`]):
/// no system can have more kernel objects.
pub const ROOT_CNODE_SLOTS: u64 = 1 << sysinit_kobj::ROOT_CNODE_SIZE_BITS;

/// Objects every PD has besides its pages: CNode, VSpace, notification,
/// endpoint (at most), IPC buffer and TCB.
const OBJECTS_PER_PD: u64 = 6;

/// Objects every VM has besides its page tables: VSpace and CNode, and per vCPU
/// a VCPU and a TCB.
const OBJECTS_PER_VM: u64 = 2;
const OBJECTS_PER_VCPU: u64 = 2;

/// Refuses what cannot fit before [`super::build_spec`] allocates anything.
pub(super) fn check(
    description: &SystemDescription,
    board: &Board,
    images: &BTreeMap<String, LoadedImage>,
) -> Result<(), Vec<BuildError>> {
    let mut errors = Vec::new();
    let ram = board.ram_bytes();
    let (mut objects, mut ram_needed) = (0u64, 0u64);
    for mr in &description.memory_regions {
        let element = describe::element("memory_region", "name", Some(&mr.name));
        let page = region_page_size(mr);
        let Some(frames) = mr.size.checked_div(page).filter(|_| page.is_power_of_two()) else {
            errors.push(BuildError::Internal(format!(
                "{element} has page size {page:#x}, which validation refuses"
            )));
            continue;
        };
        let device = is_device(mr);
        let reaches = mr.phys_addr.map(|p| p.checked_add(mr.size));
        if !device && mr.size > ram {
            errors.push(BuildError::RegionExceedsRam {
                location: mr.location.clone(),
                element,
                size: mr.size,
                board: board.name().to_string(),
                ram,
            });
        } else if frames > ROOT_CNODE_SLOTS {
            errors.push(BuildError::RegionTooManyFrames {
                location: mr.location.clone(),
                element,
                size: mr.size,
                page,
                frames,
                limit: ROOT_CNODE_SLOTS,
            });
        } else if reaches == Some(None) {
            errors.push(BuildError::Internal(format!(
                "{element} wraps around the physical address space, which validation refuses"
            )));
        }
        objects = objects.saturating_add(frames);
        if !device {
            ram_needed = ram_needed.saturating_add(mr.size);
        }
    }
    for (pd, _) in description.all_protection_domains() {
        let stack = pd.stack_size / abi::PAGE_SIZE;
        let image = images
            .get(&pd.name)
            .map_or(0, |i| i.image.pages().count() as u64);
        let pages = stack.saturating_add(image).saturating_add(1);
        let handlers = (pd.irqs.len() + pd.ioports.len()) as u64;
        objects = objects
            .saturating_add(OBJECTS_PER_PD + handlers)
            .saturating_add(stack)
            .saturating_add(image);
        ram_needed = ram_needed.saturating_add(pages.saturating_mul(abi::PAGE_SIZE));
        if let Some(vm) = &pd.virtual_machine {
            let vcpus = (vm.vcpus.len() as u64).saturating_mul(OBJECTS_PER_VCPU);
            objects = objects.saturating_add(OBJECTS_PER_VM + vcpus);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if objects > ROOT_CNODE_SLOTS {
        errors.push(BuildError::TooManyObjects {
            location: description.location.clone(),
            objects,
            limit: ROOT_CNODE_SLOTS,
        });
    }
    if ram_needed > ram {
        errors.push(BuildError::RamExceeded {
            location: description.location.clone(),
            needed: ram_needed,
            board: board.name().to_string(),
            ram,
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
