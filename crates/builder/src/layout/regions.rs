//! Memory regions: one frame per page of every region (prefilled ones with their
//! bytes), then each `<map>` of a PD or a VM.

use std::collections::BTreeMap;

use sysinit_sdf::{Map, SystemDescription};
use sysinit_spec::{FillEntry, Object, ObjectId};

use super::frames::{is_device, mapping_cap, region_frame, region_page_size};
use super::{map_element, Layout, Mapping, MappingSource};
use crate::error::BuildError;
use crate::prefill::Prefills;

/// A region's frames, in address order, with their page size and kind.
pub(super) struct RegionFrames {
    frames: Vec<ObjectId>,
    page: u64,
    device: bool,
}

/// Adds every region's frames (file order), by region name. A prefilled region's
/// frames get its bytes as fill entries, page by page, as program image pages do.
pub(super) fn add_frames<'d>(
    layout: &mut Layout,
    description: &'d SystemDescription,
    prefills: &Prefills,
) -> BTreeMap<&'d str, RegionFrames> {
    let mut regions = BTreeMap::new();
    for mr in &description.memory_regions {
        let page = region_page_size(mr);
        let count = mr.size / page;
        let bytes = prefills.get(&mr.name).map_or(&[][..], |p| &p.bytes[..]);
        let mut frames = Vec::with_capacity(count as usize);
        for (i, chunk) in (0..count).zip(page_chunks(bytes, page)) {
            let name = format!("mr.{}.frame{i}", mr.name);
            let mut frame = region_frame(mr, page, i);
            if let (Object::Frame(f), false) = (&mut frame, chunk.is_empty()) {
                f.fill.push(FillEntry {
                    offset: 0,
                    content: layout.b.push_blob(chunk),
                });
            }
            frames.push(layout.b.add(name, frame));
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

/// The bytes of each page of a region, from `bytes`: the pages past its end get none.
fn page_chunks(bytes: &[u8], page: u64) -> impl Iterator<Item = &[u8]> {
    let page = usize::try_from(page).unwrap_or(usize::MAX);
    bytes.chunks(page).chain(std::iter::repeat(&[][..]))
}

/// Maps every region of `maps` into `vspace` (a PD's, or a VM's whose addresses are
/// guest-physical), each frame at consecutive addresses, and records the mappings;
/// `owner` is the PD or VM element for messages.
pub(super) fn map_into(
    layout: &mut Layout,
    description: &SystemDescription,
    regions: &BTreeMap<&str, RegionFrames>,
    maps: &[Map],
    owner: &str,
    vspace: ObjectId,
    mappings: &mut Vec<Mapping>,
) {
    for map in maps {
        let Some(region) = regions.get(map.mr.as_str()) else {
            continue;
        };
        let mr = description.memory_region(&map.mr);
        let el = map_element(map, owner);
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
            if !layout.map(vspace, vaddr, cap, (&map.location, &el), what) {
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
