//! Whether a system fits the board's RAM: what the kernel, the root task and the
//! system's objects take of it, against what the kernel has.
//!
//! The sums are exact for what they count (the kernel image the kernel keeps, the
//! device tree's pages, the root task image's span, the root server objects block,
//! the bytes of every object the system puts in RAM), so a system over the RAM can
//! never boot. One under it may still fail to be planned: alignment and the holes
//! of the memory map cost more, which the planner reports.

use crate::{Board, BoardError};

const PAGE: u64 = 4096;

/// RAM a system takes and RAM the board has, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RamNeed {
    /// The kernel image, without the boot code the kernel hands back after boot.
    pub kernel: u64,
    /// The device tree the boot loader copies after the kernel (ARM), page-rounded.
    pub device_tree: u64,
    /// The root task image's loaded span (`v_end - v_start`).
    pub root_task: u64,
    /// The root task's kernel objects (CNode, TCB, VSpace and tables, boot info...).
    pub root_server_objects: u64,
    /// The system's objects in RAM.
    pub objects: u64,
    /// The RAM the kernel has at this size: RAM without firmware and platform
    /// reservations, carve-outs and what the kernel ignores.
    pub available: u64,
}

impl RamNeed {
    /// All the bytes the system takes.
    pub fn needed(&self) -> u64 {
        self.kernel
            .saturating_add(self.device_tree)
            .saturating_add(self.root_task)
            .saturating_add(self.root_server_objects)
            .saturating_add(self.objects)
    }

    /// Whether it fits.
    pub fn fits(&self) -> bool {
        self.needed() <= self.available
    }
}

impl Board {
    /// What a system whose RAM objects take `object_bytes` needs of this board with
    /// `ram_bytes` of RAM, for the board's root task image, and what the board has.
    pub fn ram_need(&self, ram_bytes: u64, object_bytes: u64) -> Result<RamNeed, BoardError> {
        let k = &self.kernel;
        let (root_server_objects, _) = self.root_server_footprint()?;
        let available = self.ram_available(ram_bytes)?;
        Ok(RamNeed {
            kernel: k.image_bytes.saturating_sub(k.boot_code_bytes),
            device_tree: k.dtb_bytes.next_multiple_of(PAGE),
            root_task: self.root_task.bytes(),
            root_server_objects,
            objects: object_bytes,
            available,
        })
    }

    /// The RAM the kernel has with `ram_bytes` of RAM (see [`RamNeed::available`]).
    pub fn ram_available(&self, ram_bytes: u64) -> Result<u64, BoardError> {
        Ok(self
            .kernel_ram(ram_bytes)?
            .iter()
            .map(|r| r.end - r.start)
            .sum())
    }

    /// The least RAM size the board supports, in steps of `step` bytes, whose RAM
    /// holds what `need` needs, if any.
    pub fn least_ram_for(&self, need: &RamNeed, step: u64) -> Option<u64> {
        let (min, max) = self.ram_limits();
        let mut ram = min.next_multiple_of(step);
        while ram <= max {
            if self
                .ram_available(ram)
                .is_ok_and(|available| need.needed() <= available)
            {
                return Some(ram);
            }
            ram += step;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use crate::Board;

    #[test]
    fn the_need_adds_up_and_the_least_ram_holds_it() {
        let board = Board::by_name("qemu-x86_64").unwrap();
        let small = board.ram_need(512 << 20, 0).unwrap();
        assert!(small.fits());
        assert_eq!(
            small.needed(),
            small.kernel + small.device_tree + small.root_task + small.root_server_objects
        );
        assert_eq!(small.available, board.ram_available(512 << 20).unwrap());
        // A GiB of objects does not fit 512 MiB, fits the least RAM found, not 64 MiB less.
        let big = board.ram_need(512 << 20, 1 << 30).unwrap();
        assert!(!big.fits());
        let least = board.least_ram_for(&big, 64 << 20).unwrap();
        assert!(big.needed() <= board.ram_available(least).unwrap());
        assert!(big.needed() > board.ram_available(least - (64 << 20)).unwrap());
    }
}
