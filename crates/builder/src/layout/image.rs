//! Program images: one frame per page, filled with the file's bytes, mapped
//! with the rights of the segments on it.

use sysinit_kobj::Arch;
use sysinit_pd_abi as abi;
use sysinit_sdf::{Perms, ProtectionDomain};
use sysinit_spec::FillEntry;

use super::frames::{mapping_cap, ram_page};
use super::pd::PdObjects;
use super::{Layout, Mapping, MappingSource};
use crate::error::BuildError;
use crate::LoadedImage;

/// Refuses segments reaching the top of the address space the PD runtime
/// keeps: the guard page below the stack, the stack, the guard page above it
/// (never mapped, so they are easy to miss) and the IPC buffer. Returns whether the image is clear of them.
fn clear_of_stack(
    layout: &mut Layout,
    pd: &ProtectionDomain,
    loaded: &LoadedImage,
    arch: Arch,
) -> bool {
    let reserved = abi::stack_region_bottom(arch, pd.stack_size);
    let mut clear = true;
    for s in loaded.image.segments().iter().filter(|s| s.end > reserved) {
        layout.errors.push(BuildError::ImageOverlapsStack {
            location: pd.program_image.location.clone(),
            pd: pd.name.clone(),
            path: loaded.path.clone(),
            index: s.index,
            vaddr: s.vaddr,
            end: s.end,
            reserved,
            limit: arch.user_vaddr_end(),
        });
        clear = false;
    }
    clear
}

/// Adds and maps every page of `pd`'s (patched) image; runs of pages with the
/// same rights become one mapping each.
pub(super) fn add_pages(
    layout: &mut Layout,
    pd: &ProtectionDomain,
    pd_element: &str,
    o: &PdObjects,
    loaded: &LoadedImage,
    mappings: &mut Vec<Mapping>,
    arch: Arch,
) {
    if !clear_of_stack(layout, pd, loaded, arch) {
        return;
    }
    let mut run: Option<Mapping> = None;
    for (vaddr, page) in loaded.image.pages() {
        let fill = match page.content() {
            Some((offset, bytes)) => vec![FillEntry {
                offset,
                content: layout.b.push_blob(bytes),
            }],
            None => Vec::new(),
        };
        let frame = layout
            .b
            .add(format!("pd.{}.image@{vaddr:#x}", pd.name), ram_page(fill));
        let perms = Perms {
            read: page.rights.read,
            write: page.rights.write,
            execute: page.rights.execute,
        };
        let cap = mapping_cap(frame, perms, true);
        let what = || format!("program image page {vaddr:#x}");
        let at = (&pd.program_image.location, pd_element);
        layout.map(o.vspace, vaddr, cap, at, what);
        match &mut run {
            Some(r) if r.vaddr + r.size == vaddr && r.perms == perms => r.size += abi::PAGE_SIZE,
            _ => {
                mappings.extend(run.take());
                run = Some(Mapping {
                    vaddr,
                    size: abi::PAGE_SIZE,
                    page_size: abi::PAGE_SIZE,
                    perms,
                    cached: true,
                    source: MappingSource::Image,
                });
            }
        }
    }
    mappings.extend(run);
}
