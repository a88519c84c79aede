//! RAM, device and reserved ranges of a board as functions of its RAM size.

use sysinit_kobj::{align_up, PhysRange};

use crate::{Board, BoardError, NamedRange, ReservedKind, ReservedRange};

/// Smallest page: RAM sizes and the kernel's usable RAM are whole pages.
const PAGE_BITS: u8 = 12;

impl Board {
    /// The physical RAM QEMU gives the machine with `ram_bytes` of memory, sorted.
    ///
    /// This is all RAM, whoever uses it (firmware, kernel, user level); ranges
    /// that are not RAM although inside the RAM block (legacy VGA and ROM holes
    /// on x86) are left out.
    pub fn ram_ranges(&self, ram_bytes: u64) -> Result<Vec<PhysRange>, BoardError> {
        self.check_ram_size(ram_bytes)?;
        let layout = &self.ram_layout;
        let mut blocks = Vec::new();
        match &layout.split {
            Some(split) if ram_bytes >= split.threshold => {
                blocks.push(PhysRange::new(layout.base, layout.base + split.low_size));
                let high = ram_bytes - split.low_size;
                blocks.push(PhysRange::new(split.high_base, split.high_base + high));
            }
            _ => blocks.push(PhysRange::new(layout.base, layout.base + ram_bytes)),
        }
        let holes: Vec<PhysRange> = layout.holes.iter().map(|h| h.range).collect();
        Ok(subtract(&blocks, &holes))
    }

    /// Whether any byte of `range` is RAM at the configured RAM size.
    pub fn is_ram(&self, range: PhysRange) -> bool {
        self.ram_ranges(self.ram_bytes)
            .map(|ram| ram.iter().any(|r| r.overlaps(&range)))
            .unwrap_or(false)
    }

    /// The RAM ranges at the configured RAM size.
    pub fn configured_ram_ranges(&self) -> Vec<PhysRange> {
        self.ram_ranges(self.ram_bytes).unwrap_or_default()
    }

    /// Named memory-mapped device ranges at the configured RAM size, sorted by address.
    ///
    /// Includes windows that move with the RAM size (the x86 64-bit PCI hole)
    /// and RAM the kernel leaves to user level as device memory (carve-outs,
    /// e.g. the aarch64 `vm-memory` range).
    pub fn device_ranges(&self) -> Vec<NamedRange> {
        let mut devices = self.devices.clone();
        if let (Some(window), Ok(ram)) = (&self.high_pci_window, self.ram_ranges(self.ram_bytes)) {
            let ram_end = ram.iter().map(|r| r.end).max().unwrap_or(0);
            let after = match &self.ram_layout.split {
                Some(split) => ram_end.max(split.high_base),
                None => ram_end,
            };
            let start = round_up_to(after, window.align);
            devices.push(NamedRange {
                name: window.name.clone(),
                range: PhysRange::new(start, start.saturating_add(window.size)),
            });
        }
        devices.extend(self.ram_layout.carveouts.iter().cloned());
        devices.sort_by_key(|d| (d.range.start, d.range.end));
        devices
    }

    /// Ranges user level must not get at the configured RAM size, sorted by address:
    /// firmware and platform reservations, kernel device pages, and where the
    /// kernel, the device tree, the root task and its kernel objects sit at boot.
    pub fn reserved_ranges(&self) -> Vec<ReservedRange> {
        let mut reserved = self.fixed_reserved(self.ram_bytes);
        if let Ok(layout) = self.boot_layout(self.ram_bytes) {
            reserved.extend(layout.reserved_ranges());
        }
        reserved.sort_by_key(|r| (r.range.start, r.range.end));
        reserved
    }

    /// RAM the kernel hands out as device untypeds at the configured RAM size:
    /// carve-outs and RAM below the address the kernel ignores RAM under, each
    /// cut to the RAM that exists. Never zeroed by the kernel and not RAM to it,
    /// so user level cannot have it as RAM.
    pub fn device_untyped_ram(&self) -> Vec<NamedRange> {
        let ram = self.configured_ram_ranges();
        let mut areas: Vec<NamedRange> = self.ram_layout.carveouts.clone();
        if self.kernel.ignores_ram_below > 0 {
            areas.push(NamedRange {
                name: format!("RAM below {:#x}", self.kernel.ignores_ram_below),
                range: PhysRange::new(0, self.kernel.ignores_ram_below),
            });
        }
        let mut out = Vec::new();
        for area in areas {
            for r in &ram {
                let start = r.start.max(area.range.start);
                let end = r.end.min(area.range.end);
                if start < end {
                    out.push(NamedRange {
                        name: area.name.clone(),
                        range: PhysRange::new(start, end),
                    });
                }
            }
        }
        out.sort_by_key(|n| (n.range.start, n.range.end));
        out
    }

    /// Bytes of RAM the kernel hands to user level as RAM untypeds after boot at
    /// the configured RAM size: its free RAM and the boot-only code it returns.
    /// No system can place more RAM-backed memory than this.
    pub fn free_ram_bytes(&self) -> u64 {
        self.boot_layout(self.ram_bytes).map_or(0, |layout| {
            let free: u64 = layout.memory.free_ram.iter().map(PhysRange::len).sum();
            free + layout.memory.boot_reuse.map_or(0, |r| r.len())
        })
    }

    /// RAM carve-outs: RAM the kernel does not use and hands out as device untypeds.
    pub fn ram_carveouts(&self) -> &[NamedRange] {
        &self.ram_layout.carveouts
    }

    /// Firmware, platform and kernel-device reservations for `ram_bytes` of RAM.
    pub(crate) fn fixed_reserved(&self, ram_bytes: u64) -> Vec<ReservedRange> {
        let mut reserved = self.reserved.clone();
        if let Some((name, size)) = &self.ram_layout.firmware_top {
            if let Some(first) = self.first_ram_block_end(ram_bytes) {
                reserved.push(ReservedRange {
                    name: name.clone(),
                    kind: ReservedKind::Firmware,
                    range: PhysRange::new(first.saturating_sub(*size), first),
                });
            }
        }
        reserved
    }

    /// The RAM the kernel itself uses (its `avail_p_regs` / multiboot RAM list):
    /// RAM without firmware and platform reservations, carve-outs and what the
    /// kernel ignores, trimmed to whole pages and to the kernel window.
    pub(crate) fn kernel_ram(&self, ram_bytes: u64) -> Result<Vec<PhysRange>, BoardError> {
        let ram = self.ram_ranges(ram_bytes)?;
        let mut excluded: Vec<PhysRange> = self
            .fixed_reserved(ram_bytes)
            .iter()
            .filter(|r| matches!(r.kind, ReservedKind::Firmware | ReservedKind::Platform))
            .map(|r| r.range)
            .collect();
        excluded.extend(self.ram_layout.carveouts.iter().map(|c| c.range));
        if self.kernel.ignores_ram_below > 0 {
            excluded.push(PhysRange::new(0, self.kernel.ignores_ram_below));
        }
        let paddr_top = self.kernel_window().paddr_top;
        Ok(subtract(&ram, &excluded)
            .into_iter()
            .filter_map(|r| {
                let start = align_up(r.start, PAGE_BITS);
                let end = r.end.min(paddr_top) & !((1u64 << PAGE_BITS) - 1);
                (start < end).then(|| PhysRange::new(start, end))
            })
            .collect())
    }

    fn first_ram_block_end(&self, ram_bytes: u64) -> Option<u64> {
        let layout = &self.ram_layout;
        match &layout.split {
            Some(split) if ram_bytes >= split.threshold => Some(layout.base + split.low_size),
            _ => layout.base.checked_add(ram_bytes),
        }
    }

    fn check_ram_size(&self, ram_bytes: u64) -> Result<(), BoardError> {
        let (min, max) = (self.ram_layout.min_bytes, self.ram_layout.max_bytes);
        let board = self.name.clone();
        if ram_bytes < min {
            return Err(BoardError::RamTooSmall {
                board,
                ram: ram_bytes,
                min,
                max,
            });
        }
        if ram_bytes > max {
            return Err(BoardError::RamTooLarge {
                board,
                ram: ram_bytes,
                min,
                max,
            });
        }
        if !ram_bytes.is_multiple_of(1 << PAGE_BITS) {
            return Err(BoardError::RamNotPageMultiple {
                board,
                ram: ram_bytes,
            });
        }
        Ok(())
    }
}

/// Rounds `value` up to a multiple of `align` (any non-zero value, not only powers of two).
fn round_up_to(value: u64, align: u64) -> u64 {
    if align == 0 {
        return value;
    }
    value.div_ceil(align).saturating_mul(align)
}

/// `ranges` without any byte of `remove`, sorted by start; empty pieces dropped.
pub(crate) fn subtract(ranges: &[PhysRange], remove: &[PhysRange]) -> Vec<PhysRange> {
    let mut pieces: Vec<PhysRange> = ranges.iter().copied().filter(|r| !r.is_empty()).collect();
    for cut in remove.iter().filter(|r| !r.is_empty()) {
        pieces = pieces
            .into_iter()
            .flat_map(|r| {
                if !r.overlaps(cut) {
                    return vec![r];
                }
                let mut left = Vec::new();
                if r.start < cut.start {
                    left.push(PhysRange::new(r.start, cut.start));
                }
                if cut.end < r.end {
                    left.push(PhysRange::new(cut.end, r.end));
                }
                left
            })
            .collect();
    }
    pieces.sort();
    pieces
}

/// Sorts `ranges` and merges those that overlap or touch, as the kernel's
/// `reserve_region` merges adjacent reservations.
pub(crate) fn merge(mut ranges: Vec<PhysRange>) -> Vec<PhysRange> {
    ranges.retain(|r| !r.is_empty());
    ranges.sort();
    let mut merged: Vec<PhysRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtract_splits_and_trims() {
        let r = [PhysRange::new(0, 100)];
        let cut = [PhysRange::new(10, 20), PhysRange::new(90, 200)];
        assert_eq!(
            subtract(&r, &cut),
            vec![PhysRange::new(0, 10), PhysRange::new(20, 90)]
        );
    }

    #[test]
    fn merge_joins_adjacent() {
        let merged = merge(vec![
            PhysRange::new(20, 30),
            PhysRange::new(0, 10),
            PhysRange::new(10, 15),
        ]);
        assert_eq!(merged, vec![PhysRange::new(0, 15), PhysRange::new(20, 30)]);
    }
}
