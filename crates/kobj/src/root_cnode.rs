//! The root CNode at boot: how many slots it has, how many seL4 fills before the root
//! task runs, and whether a system's caps fit in the rest.

use core::fmt;

use crate::{align_up, PAGE_TABLE_INDEX_BITS, PAGING_LEVELS};

/// log2 of the root CNode's slot count in our kernel configuration
/// (`KernelRootCNodeSizeBits`, kernel-config/ and docs/kernel.md).
pub const ROOT_CNODE_SIZE_BITS: u8 = 19;

/// Caps seL4 puts in the first root CNode slots before anything else
/// (`seL4_NumInitialCaps`; `sysinit_sel4` pins the same number to the kernel headers).
pub const NUM_INITIAL_CAPS: u64 = 16;

/// Root CNode slots the root task keeps for itself: the temporary frame cap of frame
/// fills (the last empty slot).
pub const ROOT_TASK_SLOTS: u64 = 1;

const PAGE_BITS: u8 = 12;

/// What the root CNode holds when the root task starts: the kernel fills it in
/// `create_root_cnode` and after, in order: the initial caps, one frame cap per page of
/// the root task image (`userImageFrames`), the root task's paging structures below its
/// VSpace root (`userImagePaging`), one frame cap per extra boot info page
/// (`extraBIPages`), the untypeds; the rest is `BootInfo::empty`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RootCNodeAtBoot {
    /// log2 of the slot count.
    pub size_bits: u8,
    /// Frame caps of the root task image.
    pub image_frames: u64,
    /// Caps of the root task's page tables, directories and PDPTs.
    pub image_paging: u64,
    /// Frame caps of the extra boot info.
    pub extra_bootinfo_frames: u64,
    /// Untyped caps.
    pub untypeds: u64,
}

impl RootCNodeAtBoot {
    /// The root CNode of a kernel with `size_bits`, for a root task whose image spans
    /// `[image_start, image_end)` (page-aligned), `extra_bootinfo_bytes` of extra boot
    /// info and `untypeds` boot untypeds. The paging structures are counted as the
    /// kernel's `arch_get_n_paging` counts them, over the root task's whole virtual
    /// region: the image, the IPC buffer and boot info pages, then the extra boot info.
    pub fn new(
        size_bits: u8,
        image: (u64, u64),
        extra_bootinfo_bytes: u64,
        untypeds: u64,
    ) -> RootCNodeAtBoot {
        let (start, end) = image;
        let page = 1u64 << PAGE_BITS;
        let extra_bytes = match extra_bootinfo_bytes {
            0 => 0,
            // `calculate_extra_bi_size_bits`: a power of two, at least a page.
            b => b.next_power_of_two().max(page),
        };
        let region_end = end.saturating_add(2 * page).saturating_add(extra_bytes);
        let image_paging = (1..PAGING_LEVELS)
            .map(|level| PAGE_BITS + PAGE_TABLE_INDEX_BITS * (PAGING_LEVELS - level))
            .map(|span| (align_up(region_end, span) - (start >> span << span)) >> span)
            .sum();
        RootCNodeAtBoot {
            size_bits,
            image_frames: end.saturating_sub(start) >> PAGE_BITS,
            image_paging,
            extra_bootinfo_frames: extra_bytes >> PAGE_BITS,
            untypeds,
        }
    }

    /// The fewest slots any root task leaves: our kernel's root CNode with only the
    /// initial caps and `untypeds` untypeds in it (no image, no extra boot info). What
    /// does not fit this does not fit any boot.
    pub const fn minimal(untypeds: u64) -> RootCNodeAtBoot {
        RootCNodeAtBoot {
            size_bits: ROOT_CNODE_SIZE_BITS,
            image_frames: 0,
            image_paging: 0,
            extra_bootinfo_frames: 0,
            untypeds,
        }
    }

    /// Slots in the root CNode.
    pub const fn slots(&self) -> u64 {
        1u64 << self.size_bits
    }

    /// Slots seL4 fills before the root task runs.
    pub const fn occupied(&self) -> u64 {
        NUM_INITIAL_CAPS
            .saturating_add(self.image_frames)
            .saturating_add(self.image_paging)
            .saturating_add(self.extra_bootinfo_frames)
            .saturating_add(self.untypeds)
    }

    /// Empty slots the system's caps may take: `BootInfo::empty` less [`ROOT_TASK_SLOTS`].
    pub const fn free(&self) -> u64 {
        self.slots()
            .saturating_sub(self.occupied())
            .saturating_sub(ROOT_TASK_SLOTS)
    }

    /// Refuses a system that needs more than [`RootCNodeAtBoot::free`] slots.
    pub const fn check(&self, needed: u64) -> Result<(), RootCNodeFull> {
        if needed > self.free() {
            return Err(RootCNodeFull {
                needed,
                root: *self,
            });
        }
        Ok(())
    }
}

/// A system needs more root CNode slots than are free at boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RootCNodeFull {
    /// Slots the system needs.
    pub needed: u64,
    /// The root CNode it was held against.
    pub root: RootCNodeAtBoot,
}

impl fmt::Display for RootCNodeFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.root;
        write!(
            f,
            "the system needs {} root CNode slots, but only {} are free: the root CNode has \
             2^{} = {} slots, seL4 fills {} at boot ({NUM_INITIAL_CAPS} initial caps, {} root \
             task image frames, {} root task paging structures, {} extra boot info frames, {} \
             untypeds) and the root task keeps {ROOT_TASK_SLOTS} for frame fills; make the \
             system smaller (fewer objects, larger pages) or build the kernel with a larger \
             KernelRootCNodeSizeBits",
            self.needed,
            r.free(),
            r.size_bits,
            r.slots(),
            r.occupied(),
            r.image_frames,
            r.image_paging,
            r.extra_bootinfo_frames,
            r.untypeds,
        )
    }
}

impl core::error::Error for RootCNodeFull {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_root_task_takes_one_table_per_level() {
        // 0x400000..0x420000: 32 pages; with IPC buffer, boot info and one extra page
        // the region stays inside one 2 MiB table, one 1 GiB directory, one 512 GiB PDPT.
        let root = RootCNodeAtBoot::new(19, (0x40_0000, 0x42_0000), 0x50c, 101);
        assert_eq!(root.image_frames, 32);
        assert_eq!(root.image_paging, 3);
        assert_eq!(root.extra_bootinfo_frames, 1);
        assert_eq!(root.occupied(), 16 + 32 + 3 + 1 + 101);
        assert_eq!(root.free(), (1 << 19) - root.occupied() - 1);
    }

    #[test]
    fn a_region_across_a_2_mib_boundary_takes_two_page_tables() {
        let root = RootCNodeAtBoot::new(19, (0x1f_f000, 0x20_1000), 0x1ea8, 0);
        assert_eq!(root.extra_bootinfo_frames, 2);
        assert_eq!(root.image_paging, 2 + 1 + 1);
    }

    #[test]
    fn exactly_the_free_slots_fit_and_one_more_does_not() {
        let root = RootCNodeAtBoot::minimal(3);
        let free = (1u64 << ROOT_CNODE_SIZE_BITS) - 16 - 3 - 1;
        assert_eq!(root.free(), free);
        assert_eq!(root.check(free), Ok(()));
        assert_eq!(
            root.check(free + 1),
            Err(RootCNodeFull {
                needed: free + 1,
                root
            })
        );
    }
}
