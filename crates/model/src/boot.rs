//! The boot-time untyped list: how the kernel cuts device gaps and free RAM into untypeds.
//!
//! Follows `create_untypeds`, `create_untypeds_for_region` and
//! `provide_untyped_cap` in seL4's src/kernel/boot.c.

use serde::{Deserialize, Serialize};
use sysinit_kobj::{
    BootUntyped, KernelConfig, KernelWindow, PhysRange, MAX_UNTYPED_BITS, MIN_UNTYPED_BITS,
};

use crate::error::{BootMemoryError, MemoryList};
use crate::BootMemory;

/// The untypeds the kernel reports in BootInfo, in its order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootUntypedList {
    /// The reported untypeds, at most `max_untypeds` of them.
    pub untypeds: Vec<BootUntyped>,
    /// Untypeds the kernel cut but did not report because the BootInfo list was full
    /// (`CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS`); their memory is unusable.
    pub dropped: usize,
}

/// Checks that `mem` is a description the kernel could have built.
///
/// `reserved` must be sorted and non-overlapping; `boot_reuse` and every
/// `free_ram` range must lie inside the reserved ranges (otherwise the same
/// bytes would also be handed out as device untyped), must not overlap one
/// another, and must end inside the kernel window of `arch` (`paddr_top`), as
/// `provide_untyped_cap` requires of normal untypeds.
pub fn validate_boot_memory(
    mem: &BootMemory,
    kernel: impl Into<KernelConfig>,
) -> Result<(), BootMemoryError> {
    let window = kernel.into().kernel_window();
    let mut previous: Option<PhysRange> = None;
    for (index, &range) in mem.reserved.iter().enumerate() {
        check_not_inverted(MemoryList::Reserved, index, range)?;
        if let Some(previous) = previous {
            if range.start < previous.end {
                return Err(BootMemoryError::ReservedOutOfOrder {
                    index,
                    range,
                    previous,
                });
            }
        }
        previous = Some(range);
    }

    let ram = ram_ranges(mem);
    for (position, &(list, index, range)) in ram.iter().enumerate() {
        check_not_inverted(list, index, range)?;
        if range.is_empty() {
            continue;
        }
        if !covered_by_sorted(&mem.reserved, range) {
            return Err(BootMemoryError::NotReserved { list, index, range });
        }
        if range.end > window.paddr_top {
            return Err(BootMemoryError::OutsideKernelWindow {
                list,
                index,
                range,
                paddr_top: window.paddr_top,
            });
        }
        if let Some(&(other_list, other_index, other)) = ram[..position]
            .iter()
            .find(|(_, _, other)| other.overlaps(&range))
        {
            return Err(BootMemoryError::RamOverlap {
                list,
                index,
                range,
                other_list,
                other_index,
                other,
            });
        }
    }
    Ok(())
}

/// The ranges that become normal (RAM) untypeds, in the kernel's order, with their origin.
fn ram_ranges(mem: &BootMemory) -> Vec<(MemoryList, usize, PhysRange)> {
    mem.boot_reuse
        .iter()
        .map(|&r| (MemoryList::BootReuse, 0, r))
        .chain(
            mem.free_ram
                .iter()
                .enumerate()
                .map(|(i, &r)| (MemoryList::FreeRam, i, r)),
        )
        .collect()
}

fn check_not_inverted(
    list: MemoryList,
    index: usize,
    range: PhysRange,
) -> Result<(), BootMemoryError> {
    if range.start > range.end {
        return Err(BootMemoryError::Inverted { list, index, range });
    }
    Ok(())
}

/// Whether `range` (non-empty) lies inside the union of the sorted, non-overlapping `reserved`.
/// Adjacent reserved ranges count as one, as the kernel merges them.
fn covered_by_sorted(reserved: &[PhysRange], range: PhysRange) -> bool {
    let mut covered_to = range.start;
    for r in reserved.iter().filter(|r| !r.is_empty()) {
        if r.start > covered_to {
            // A hole at `covered_to`, which is still below `range.end`.
            return false;
        }
        covered_to = covered_to.max(r.end);
        if covered_to >= range.end {
            return true;
        }
    }
    covered_to >= range.end
}

/// Computes the kernel's boot-time untyped list for `mem` on `arch`.
///
/// Order as in `create_untypeds`: device untypeds for each gap below a reserved
/// range, then the device region from the last reserved range up to
/// `paddr_user_device_top`, then the reclaimed boot image, then each free RAM
/// range. Every region is cut in kernel-virtual space (see [`untypeds_for_region`]).
/// Only the first `max_untypeds` are reported; the rest are counted in
/// [`BootUntypedList::dropped`], like the kernel's "Too many untyped regions".
/// A description that fails [`validate_boot_memory`] is refused with that error.
pub fn boot_untypeds(
    kernel: impl Into<KernelConfig>,
    mem: &BootMemory,
    max_untypeds: usize,
) -> Result<BootUntypedList, BootMemoryError> {
    let kernel = kernel.into();
    validate_boot_memory(mem, kernel)?;
    let window = kernel.kernel_window();
    let mut list = BootUntypedList::default();
    let mut report = |untyped: BootUntyped| {
        if list.untypeds.len() < max_untypeds {
            list.untypeds.push(untyped);
        } else {
            list.dropped += 1;
        }
    };

    let mut device_start = 0u64;
    for reserved in &mem.reserved {
        if device_start < reserved.start {
            let gap = PhysRange::new(device_start, reserved.start);
            untypeds_for_region(window, true, gap, &mut report);
        }
        device_start = reserved.end;
    }
    if device_start < window.paddr_user_device_top {
        let top = PhysRange::new(device_start, window.paddr_user_device_top);
        untypeds_for_region(window, true, top, &mut report);
    }

    for range in mem.boot_reuse.iter().chain(&mem.free_ram) {
        untypeds_for_region(window, false, *range, &mut report);
    }
    Ok(list)
}

/// Cuts the physical region `range` into the untypeds the kernel creates for it.
///
/// The region is first mapped to kernel-virtual space, where its end may wrap past
/// 2^64 (device memory on x86_64). Each chunk is as large as the remaining length
/// allows (measured with wrapping subtraction, so a wrapped region counts its true
/// size), at most [`MAX_UNTYPED_BITS`], and no larger than the alignment of its
/// kernel-virtual start (address 0 counts as aligned to everything). Chunks below
/// [`MIN_UNTYPED_BITS`] are skipped but still consumed, so those bytes are lost.
pub fn untypeds_for_region(
    window: KernelWindow,
    is_device: bool,
    range: PhysRange,
    mut report: impl FnMut(BootUntyped),
) {
    let end = window.kva(range.end);
    let mut start = window.kva(range.start);
    // Each step advances by at most the remaining length, so `start` reaches `end` exactly.
    while start != end {
        let remaining = end.wrapping_sub(start);
        let mut size_bits = (63 - remaining.leading_zeros()) as u8;
        size_bits = size_bits.min(MAX_UNTYPED_BITS);
        if start != 0 {
            size_bits = size_bits.min(start.trailing_zeros() as u8);
        }
        if size_bits >= MIN_UNTYPED_BITS {
            report(BootUntyped {
                paddr: window.paddr(start),
                size_bits,
                is_device,
            });
        }
        start = start.wrapping_add(1u64 << size_bits);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(window: KernelWindow, range: PhysRange) -> Vec<BootUntyped> {
        let mut out = Vec::new();
        untypeds_for_region(window, true, range, |u| out.push(u));
        out
    }

    #[test]
    fn misaligned_start_loses_the_head() {
        let window = sysinit_kobj::Arch::Aarch64.kernel_window();
        // 0x4000_0008: 8 bytes up to 0x4000_0010 are below MIN_UNTYPED_BITS.
        let uts = collect(window, PhysRange::new(0x4000_0008, 0x4000_0040));
        assert_eq!(
            uts,
            vec![
                BootUntyped {
                    paddr: 0x4000_0010,
                    size_bits: 4,
                    is_device: true
                },
                BootUntyped {
                    paddr: 0x4000_0020,
                    size_bits: 5,
                    is_device: true
                },
            ]
        );
    }

    #[test]
    fn empty_region_gives_nothing() {
        let window = sysinit_kobj::Arch::X86_64.kernel_window();
        assert!(collect(window, PhysRange::new(0x1000, 0x1000)).is_empty());
    }

    #[test]
    fn coverage_treats_adjacent_reserved_as_one() {
        let reserved = [PhysRange::new(0, 0x1000), PhysRange::new(0x1000, 0x3000)];
        assert!(covered_by_sorted(&reserved, PhysRange::new(0x800, 0x2000)));
        assert!(!covered_by_sorted(&reserved, PhysRange::new(0x800, 0x3001)));
        let holed = [PhysRange::new(0, 0x1000), PhysRange::new(0x2000, 0x3000)];
        assert!(!covered_by_sorted(&holed, PhysRange::new(0x800, 0x2800)));
        assert!(covered_by_sorted(&holed, PhysRange::new(0x2000, 0x2800)));
        assert!(!covered_by_sorted(&holed, PhysRange::new(0x3000, 0x3800)));
    }
}
