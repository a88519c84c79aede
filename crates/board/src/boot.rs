//! What the kernel makes of the board's memory at boot: the inputs of `create_untypeds`.
//!
//! Follows seL4's boot path: the boot loader puts the kernel image at its base,
//! then (ARM) the device tree at the next page and the root task image at the
//! first page after the device tree's last byte; on x86 the kernel moves the
//! root task right after itself. On aarch64 that placement is our loader's
//! (`Layout::plan` in crates/loader-layout, the source of truth; this crate's
//! tests check that both agree). The kernel reserves the kernel image, the
//! device tree's exact bytes and the root task image, its own device pages and
//! every RAM region it uses (`reserve_region` in src/kernel/boot.c; whatever is
//! not reserved becomes device untypeds), removes the images from its free RAM
//! (`init_freemem`) and carves the root server objects from the top-most free
//! region that fits them, aligned to the largest object. Their size follows
//! `calculate_rootserver_size`: fixed objects plus one paging structure per
//! table the root task's virtual span needs (`arch_get_n_paging`), so it
//! depends on the root task image ([`crate::RootTaskImage`]). The kernel's
//! image end, its boot-only part, the device tree's size and the extra boot
//! info come from the `[kernel]` table of the board file, measured from our
//! kernel builds and checked against recorded boots.

use sysinit_kobj::{
    align_up, BootMemory, ObjectType, PhysRange, RootCNodeAtBoot, PAGE_TABLE_INDEX_BITS,
    PAGING_LEVELS,
};

use crate::ranges::{merge, subtract};
use crate::{Board, BoardError, ReservedKind, ReservedRange};

const PAGE_BITS: u8 = 12;

/// Where the boot loader and the kernel put things for one RAM size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootLayout {
    /// The kernel image.
    pub kernel_image: PhysRange,
    /// The device tree copied after the kernel (ARM), if any.
    pub device_tree: Option<PhysRange>,
    /// The root task image.
    pub root_task_image: PhysRange,
    /// The root task's kernel objects, carved from the top of free RAM.
    pub root_server_objects: PhysRange,
    /// The resulting inputs of `create_untypeds`.
    pub memory: BootMemory,
}

impl BootLayout {
    /// The boot footprint as reserved ranges, for validation.
    ///
    /// The kernel image without its boot-only part: the kernel hands that back
    /// as RAM untypeds after boot (`boot_reuse`), so user level may have it.
    pub fn reserved_ranges(&self) -> Vec<ReservedRange> {
        let kernel = match self.memory.boot_reuse {
            Some(reuse) if reuse.start == self.kernel_image.start => {
                PhysRange::new(reuse.end.min(self.kernel_image.end), self.kernel_image.end)
            }
            _ => self.kernel_image,
        };
        let mut reserved = vec![ReservedRange {
            name: "kernel".into(),
            kind: ReservedKind::KernelImage,
            range: kernel,
        }];
        if let Some(dtb) = self.device_tree {
            reserved.push(ReservedRange {
                name: "device-tree".into(),
                kind: ReservedKind::DeviceTree,
                range: dtb,
            });
        }
        reserved.push(ReservedRange {
            name: "root-task".into(),
            kind: ReservedKind::RootTaskImage,
            range: self.root_task_image,
        });
        reserved.push(ReservedRange {
            name: "root-server-objects".into(),
            kind: ReservedKind::RootServerObjects,
            range: self.root_server_objects,
        });
        reserved
    }
}

impl Board {
    /// The inputs of the kernel's `create_untypeds` when booted with `ram_bytes` of RAM.
    pub fn boot_memory(&self, ram_bytes: u64) -> Result<BootMemory, BoardError> {
        Ok(self.boot_layout(ram_bytes)?.memory)
    }

    /// Where the kernel, root task and root server objects end up with `ram_bytes` of RAM.
    pub fn boot_layout(&self, ram_bytes: u64) -> Result<BootLayout, BoardError> {
        let kernel_ram = self.kernel_ram(ram_bytes)?;
        let k = &self.kernel;
        let base = match (k.image_base, kernel_ram.first()) {
            (Some(base), _) => base,
            (None, Some(first)) => first.start,
            (None, None) => 0,
        };
        let kernel_image = PhysRange::new(base, base.saturating_add(k.image_bytes));
        let mut next = align_up(kernel_image.end, PAGE_BITS);
        let device_tree = (k.dtb_bytes > 0).then(|| {
            let dtb = PhysRange::new(next, next.saturating_add(k.dtb_bytes));
            next = align_up(dtb.end, PAGE_BITS);
            dtb
        });
        let root_task_image = PhysRange::new(next, next.saturating_add(self.root_task.bytes()));
        let loaded = PhysRange::new(base, root_task_image.end);
        if !kernel_ram
            .iter()
            .any(|r| r.start <= loaded.start && loaded.end <= r.end)
        {
            return Err(BoardError::KernelDoesNotFit {
                board: self.name.clone(),
                needed: loaded,
            });
        }

        let (size, align_bits) = self.root_server_footprint()?;
        // The kernel reserves each image exactly (`arch_init_freemem` on ARM),
        // so the bytes between the device tree's end and the root task's page
        // stay free RAM.
        let mut images = vec![kernel_image, root_task_image];
        images.extend(device_tree);
        let free = subtract(&kernel_ram, &images);
        let (free_ram, root_server_objects) = carve_root_server(&free, size, align_bits)
            .ok_or_else(|| BoardError::NoRoomForRootServer {
                board: self.name.clone(),
                size,
                align_bits,
            })?;

        let mut reserved: Vec<PhysRange> = self
            .reserved
            .iter()
            .filter(|r| r.kind == ReservedKind::KernelDevice)
            .map(|r| r.range)
            .collect();
        reserved.push(loaded);
        reserved.extend(kernel_ram.iter().copied());
        let boot_reuse = (k.boot_code_bytes > 0)
            .then(|| PhysRange::new(base, base.saturating_add(k.boot_code_bytes)));

        Ok(BootLayout {
            kernel_image,
            device_tree,
            root_task_image,
            root_server_objects,
            memory: BootMemory {
                reserved: merge(reserved),
                boot_reuse,
                free_ram,
            },
        })
    }

    /// The root CNode when the root task starts, with this board's kernel, root task
    /// image and `untypeds` boot untypeds: what is free there bounds the caps a system
    /// may have (see [`RootCNodeAtBoot::check`]).
    pub fn root_cnode_at_boot(&self, untypeds: usize) -> RootCNodeAtBoot {
        RootCNodeAtBoot::new(
            self.kernel.root_cnode_size_bits,
            (self.root_task.vaddr_start(), self.root_task.vaddr_end()),
            self.kernel.extra_bootinfo_bytes,
            untypeds as u64,
        )
    }

    /// Size and alignment (log2) of the root server objects block, as the
    /// kernel's `calculate_rootserver_size` and `rootserver_max_size_bits` compute it.
    pub(crate) fn root_server_footprint(&self) -> Result<(u64, u8), BoardError> {
        let k = &self.kernel;
        let bits = |ty: ObjectType| ty.size_bits(self.arch, 0).unwrap_or(PAGE_BITS);
        let page = 1u64 << PAGE_BITS;
        let cnode_bits = k.root_cnode_size_bits + sysinit_kobj::SLOT_BITS;
        let extra_bits = extra_bootinfo_bits(k.extra_bootinfo_bytes);
        let extra = if extra_bits > 0 {
            1u64 << extra_bits
        } else {
            0
        };

        // The root task's virtual region (`it_v_reg`): the image, then the IPC
        // buffer and boot info pages, then the extra boot info.
        let v_start = self.root_task.vaddr_start();
        let v_end = self
            .root_task
            .vaddr_end()
            .checked_add(2 * page + extra)
            .filter(|&end| end <= self.user_vaddr_end())
            .ok_or_else(|| BoardError::RootTaskTooHigh {
                board: self.name.clone(),
                image_end: self.root_task.vaddr_end(),
                needed: 2 * page + extra,
                user_top: self.user_vaddr_end(),
            })?;
        // One table per span of virtual addresses an entry of the level above maps:
        // the kernel's `arch_get_n_paging` for every level below the root.
        let paging_tables: u64 = (1..PAGING_LEVELS)
            .map(|level| PAGE_BITS + PAGE_TABLE_INDEX_BITS * (PAGING_LEVELS - level))
            .map(|span| (align_up(v_end, span) - (v_start & !((1u64 << span) - 1))) >> span)
            .sum();

        let size = (1u64 << cnode_bits)
            + (1u64 << bits(ObjectType::Tcb))
            + page // IPC buffer
            + page // boot info frame
            + (1u64 << bits(ObjectType::AsidPool))
            + extra
            + (1u64 << bits(ObjectType::VSpace))
            + paging_tables * (1u64 << bits(ObjectType::PageTable));
        let align_bits = cnode_bits.max(bits(ObjectType::VSpace)).max(extra_bits);
        Ok((size, align_bits))
    }
}

/// log2 of the extra boot info region (`calculate_extra_bi_size_bits`): 0 when
/// there is none, else the size rounded up to a power of two and at least a page.
fn extra_bootinfo_bits(bytes: u64) -> u8 {
    if bytes == 0 {
        return 0;
    }
    let bits = 64 - (bytes - 1).leading_zeros() as u8;
    bits.max(PAGE_BITS)
}

/// Takes `size` bytes aligned to 2^`align_bits` from the top of the last free
/// region that fits them, trying regions from the highest down.
///
/// Returns the free RAM left (in order, empty pieces dropped) and the block taken.
fn carve_root_server(
    free: &[PhysRange],
    size: u64,
    align_bits: u8,
) -> Option<(Vec<PhysRange>, PhysRange)> {
    let align_mask = !((1u64 << align_bits) - 1);
    let (index, start) = free.iter().enumerate().rev().find_map(|(i, r)| {
        let start = r.end.checked_sub(size)? & align_mask;
        (start >= r.start).then_some((i, start))
    })?;
    let taken = PhysRange::new(start, start + size);
    let region = free[index];
    let mut left = free[..index].to_vec();
    left.push(PhysRange::new(region.start, taken.start));
    left.push(PhysRange::new(taken.end, region.end));
    left.extend_from_slice(&free[index + 1..]);
    left.retain(|r| !r.is_empty());
    Some((left, taken))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_bootinfo_rounds_to_pages() {
        assert_eq!(extra_bootinfo_bits(0), 0);
        assert_eq!(extra_bootinfo_bits(1), 12);
        assert_eq!(extra_bootinfo_bits(0x1000), 12);
        assert_eq!(extra_bootinfo_bits(0x1001), 13);
        assert_eq!(extra_bootinfo_bits(0x4010), 15);
    }

    #[test]
    fn carve_prefers_the_top_region_and_aligns_down() {
        let free = [
            PhysRange::new(0x1000, 0x10_0000),
            PhysRange::new(0x20_0000, 0x30_0800),
        ];
        let (left, taken) = carve_root_server(&free, 0x3000, 16).unwrap();
        assert_eq!(taken, PhysRange::new(0x2f_0000, 0x2f_3000));
        assert_eq!(
            left,
            vec![
                PhysRange::new(0x1000, 0x10_0000),
                PhysRange::new(0x20_0000, 0x2f_0000),
                PhysRange::new(0x2f_3000, 0x30_0800),
            ]
        );
    }

    #[test]
    fn carve_falls_back_to_a_lower_region() {
        let free = [
            PhysRange::new(0x0, 0x10_0000),
            PhysRange::new(0x20_0000, 0x20_1000),
        ];
        let (left, taken) = carve_root_server(&free, 0x2000, 12).unwrap();
        assert_eq!(taken, PhysRange::new(0xf_e000, 0x10_0000));
        assert_eq!(
            left,
            vec![
                PhysRange::new(0x0, 0xf_e000),
                PhysRange::new(0x20_0000, 0x20_1000)
            ]
        );
        assert!(carve_root_server(&free, 0x20_0000, 12).is_none());
    }
}
