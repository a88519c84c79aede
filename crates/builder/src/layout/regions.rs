//! Memory regions: one frame per page of every region, then each `<map>` of a PD.

use std::collections::BTreeMap;

use sysinit_sdf::{ProtectionDomain, SystemDescription};
use sysinit_spec::ObjectId;

use super::frames::{is_device, mapping_cap, region_frame, region_page_size};
use super::pd::PdObjects;
use super::{map_element, Layout, Mapping, MappingSource};
use crate::error::BuildError;

/// A region's frames, in address order, with their page size and kind.
pub(super) struct RegionFrames {
    frames: Vec<ObjectId>,
    page: u64,
    device: bool,
}

/// Adds every region's frames (file order), by region name.
pub(super) fn add_frames<'d>(
    layout: &mut Layout,
    description: &'d SystemDescription,
) -> BTreeMap<&'d str, RegionFrames> {
    let mut regions = BTreeMap::new();
    for mr in &description.memory_regions {
        let page = region_page_size(mr);
        let count = mr.size / page;
        let mut frames = Vec::with_capacity(count as usize);
        for i in 0..count {
            let name = format!("mr.{}.frame{i}", mr.name);
            frames.push(layout.b.add(name, region_frame(mr, page, i)));
        }
        let device = is_device(mr);
        regions.insert(
            mr.name.as_str(),
            RegionFrames {
                frames,
                page,
                device,
            },
        );
    }
    regions
}

/// Maps every region `pd` asks for, each frame at consecutive addresses, and
/// records the mappings.
pub(super) fn map_into(
    layout: &mut Layout,
    description: &SystemDescription,
    regions: &BTreeMap<&str, RegionFrames>,
    pd: &ProtectionDomain,
    pd_element: &str,
    o: &PdObjects,
    mappings: &mut Vec<Mapping>,
) {
    for map in &pd.maps {
        let Some(region) = regions.get(map.mr.as_str()) else {
            continue;
        };
        let mr = description.memory_region(&map.mr);
        let el = map_element(map, pd_element);
        // Device memory defaults to uncached; validation refuses cached="true" on it.
        let cached = map.is_cached(region.device);
        for (i, &frame) in region.frames.iter().enumerate() {
            // Validation keeps maps inside the address space; unvalidated ones must not wrap.
            let Some(vaddr) = (i as u64)
                .checked_mul(region.page)
                .and_then(|offset| map.vaddr.checked_add(offset))
            else {
                layout.errors.push(BuildError::Layout {
                    location: map.location.clone(),
                    element: el.clone(),
                    what: format!("memory region '{}'", map.mr),
                    message: "it wraps around the end of the address space".to_string(),
                });
                break;
            };
            let cap = mapping_cap(frame, map.perms, cached);
            let what = || format!("memory region '{}' at {vaddr:#x}", map.mr);
            if !layout.map(o.vspace, vaddr, cap, (&map.location, &el), what) {
                break;
            }
        }
        mappings.push(Mapping {
            vaddr: map.vaddr,
            size: mr.map_or(0, |mr| mr.size),
            page_size: region.page,
            perms: map.perms,
            cached,
            source: MappingSource::Region {
                name: map.mr.clone(),
                paddr: mr.and_then(|mr| mr.phys_addr),
                device: region.device,
            },
        });
    }
}
