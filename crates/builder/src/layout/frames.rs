//! What memory every frame is and with which rights it is mapped: the one place
//! each layout phase asks.
//!
//! Frames are RAM pages the planner places anywhere (IPC buffers, stacks,
//! program images) or the pages of a memory region (at its fixed address if it
//! has one, device memory unless it is RAM). Mapping caps carry read and write,
//! and execute only where the description asks for it: without `x` the root task
//! maps the frame execute-never (which only aarch64 enforces; seL4 on x86_64
//! never sets XD).

use sysinit_pd_abi as abi;
use sysinit_sdf::{MemoryRegion, Perms};
use sysinit_spec::{Cap, FillEntry, Frame, Object, ObjectId, Rights};

/// Size bits of a base page (4 KiB on both architectures).
const PAGE_BITS: u8 = abi::PAGE_SIZE.trailing_zeros() as u8;

/// A 4 KiB RAM page wherever the planner puts it, filled with `fill` (zeros elsewhere).
pub(super) fn ram_page(fill: Vec<FillEntry>) -> Object {
    Object::Frame(Frame {
        size_bits: PAGE_BITS,
        paddr: None,
        device: false,
        fill,
    })
}

/// Whether the frames of `mr` are device memory: a fixed address not declared RAM.
pub(super) fn is_device(mr: &MemoryRegion) -> bool {
    mr.phys_addr.is_some() && !mr.ram
}

/// The page size of `mr`'s frames.
pub(super) fn region_page_size(mr: &MemoryRegion) -> u64 {
    mr.page_size.unwrap_or(abi::PAGE_SIZE)
}

/// Frame `index` of region `mr`: `page` bytes, at the region's address plus
/// `index` pages if it has one.
pub(super) fn region_frame(mr: &MemoryRegion, page: u64, index: u64) -> Object {
    Object::Frame(Frame {
        size_bits: page.trailing_zeros() as u8,
        paddr: mr.phys_addr.map(|p| p + index * page),
        // The spec says which memory it must be, so the root task refuses a machine
        // whose memory map puts RAM where the description expects a device.
        device: is_device(mr),
        fill: Vec::new(),
    })
}

/// The cap that maps `frame` with `perms` (executable only with `x`), cached or not.
pub(super) fn mapping_cap(frame: ObjectId, perms: Perms, cached: bool) -> Cap {
    // The kernel has no write-only mappings; every mapping is readable.
    let rights = Rights {
        read: true,
        write: perms.write,
        grant: false,
        grant_reply: false,
    };
    let mut cap = Cap::new(frame).with_rights(rights);
    if perms.execute {
        cap = cap.executable();
    }
    if cached {
        cap
    } else {
        cap.uncached()
    }
}
