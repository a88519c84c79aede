//! The EL2 translation tables the loader enters the kernel with.
//!
//! A hypervisor-mode seL4 kernel starts with the MMU on, running at its ELF
//! virtual addresses, on tables and with `MAIR_EL2`/`TCR_EL2` values its loader
//! set up; it switches to its own tables early in `init_kernel` but keeps the
//! memory attribute indices and the translation control. This module computes
//! those values as plain data, so the host tests see exactly what the loader
//! writes:
//!
//! - level 0 entry 0 (the first 512 GiB): identity map in 1 GiB blocks, device
//!   memory for the first GiB (UART, GIC) and normal memory for every GiB that
//!   holds RAM, so the loader keeps running and printing once the MMU is on;
//! - the kernel's virtual start: 2 MiB normal-memory blocks from the kernel's
//!   physical start up to the end of its 1 GiB, as seL4's own elfloader does.

use crate::{Layout, Memory};

/// Entries in one table (4 KiB granule).
pub const ENTRIES: usize = 512;
/// One translation table.
pub type Table = [u64; ENTRIES];

/// Attribute index of Device-nGnRnE memory in [`MAIR_EL2`].
pub const ATTR_DEVICE_NGNRNE: u64 = 0;
/// Attribute index of normal write-back cacheable memory in [`MAIR_EL2`].
pub const ATTR_NORMAL: u64 = 4;

/// Memory attributes by index, in the order the seL4 kernel's page table
/// entries assume: 0 Device-nGnRnE (encoding 0x00, hence no term below),
/// 1 Device-nGnRE, 2 Device-GRE, 3 normal non-cacheable, 4 normal write-back,
/// 5 normal write-through.
pub const MAIR_EL2: u64 = (0x04 << 8) | (0x0c << 16) | (0x44 << 24) | (0xff << 32) | (0xaa << 40);

/// Translation control: 48-bit virtual addresses (T0SZ 16, walks start at
/// level 0), write-back cacheable inner-shareable walks, 4 KiB granule,
/// 44-bit physical addresses (Cortex-A57), and the two RES1 bits of `TCR_EL2`.
pub const TCR_EL2: u64 = 16 | (1 << 8) | (1 << 10) | (3 << 12) | (4 << 16) | (1 << 23) | (1 << 31);

/// `MAIR_EL1` for a kernel at EL1: the same attribute indices as [`MAIR_EL2`].
pub const MAIR_EL1: u64 = MAIR_EL2;

/// Translation control at EL1 (`TCR_EL1`): 48-bit virtual addresses in both halves
/// (T0SZ and T1SZ 16), 4 KiB granules (TG0 0, TG1 0b10), write-back cacheable
/// inner-shareable walks for both, 16-bit ASIDs taken from `TTBR0_EL1` (AS 1,
/// A1 0: seL4 puts a thread's ASID in `TTBR0_EL1`), 44-bit intermediate physical
/// addresses (IPS 0b100, Cortex-A57). seL4 at EL1 keeps the value its loader set.
pub const TCR_EL1: u64 = 16
    | (1 << 8)
    | (1 << 10)
    | (3 << 12)
    | (16 << 16)
    | (1 << 24)
    | (1 << 26)
    | (3 << 28)
    | (2 << 30)
    | (4 << 32)
    | (1 << 36);

/// `SCTLR_EL2` bits the loader sets: MMU (M), data cache (C), instruction cache (I).
pub const SCTLR_EL2_MMU_AND_CACHES: u64 = (1 << 0) | (1 << 2) | (1 << 12);
/// The same bits of `SCTLR_EL1`.
pub const SCTLR_EL1_MMU_AND_CACHES: u64 = SCTLR_EL2_MMU_AND_CACHES;

const GIB_BITS: u32 = 30;
const BLOCK_2M_BITS: u32 = 21;

/// Level-0 index of `vaddr`.
pub const fn l0_index(vaddr: u64) -> usize {
    ((vaddr >> 39) & 511) as usize
}

/// Level-1 index of `vaddr`.
pub const fn l1_index(vaddr: u64) -> usize {
    ((vaddr >> GIB_BITS) & 511) as usize
}

/// Level-2 index of `vaddr`.
pub const fn l2_index(vaddr: u64) -> usize {
    ((vaddr >> BLOCK_2M_BITS) & 511) as usize
}

/// A descriptor pointing at the next-level table at physical `table`.
pub const fn table_descriptor(table: u64) -> u64 {
    table | 0b11
}

/// A block descriptor for `paddr` with attribute index `attr`, access flag set.
pub const fn block_descriptor(paddr: u64, attr: u64) -> u64 {
    paddr | (1 << 10) | (attr << 2) | 0b01
}

/// The four tables, page aligned and contiguous so the loader can keep them in one static.
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(C, align(4096))]
pub struct BootTables {
    /// The root (`TTBR0_EL2`; at EL1 both `TTBR0_EL1` and `TTBR1_EL1`: entry 0 is the
    /// identity map, entry 511 the kernel's window at 0xffffffffc0000000).
    pub l0: Table,
    /// Level 1 of the identity map (first 512 GiB).
    pub l1_identity: Table,
    /// Level 1 of the 512 GiB holding the kernel's virtual start.
    pub l1_kernel: Table,
    /// Level 2 of the 1 GiB holding the kernel's virtual start.
    pub l2_kernel: Table,
}

impl Default for BootTables {
    fn default() -> Self {
        BootTables::new()
    }
}

impl BootTables {
    /// Empty tables (every entry invalid).
    pub const fn new() -> BootTables {
        BootTables {
            l0: [0; ENTRIES],
            l1_identity: [0; ENTRIES],
            l1_kernel: [0; ENTRIES],
            l2_kernel: [0; ENTRIES],
        }
    }

    /// Physical address of `l0` when the tables start at `base`, i.e. the `TTBR0_EL2` value.
    pub const fn root(base: u64) -> u64 {
        base
    }

    /// Fills the tables for `layout`, the tables themselves being at physical `base`.
    ///
    /// [`Layout::plan`] has checked that the kernel's virtual start is above
    /// the identity map and that the kernel fits in its 1 GiB, so every entry
    /// written here is distinct.
    pub fn fill(&mut self, base: u64, layout: &Layout, memory: &Memory<'_>) {
        let page = core::mem::size_of::<Table>() as u64;
        let (l1_identity, l1_kernel, l2_kernel) = (base + page, base + 2 * page, base + 3 * page);
        *self = BootTables::new();

        self.l0[0] = table_descriptor(l1_identity);
        self.l1_identity[0] = block_descriptor(0, ATTR_DEVICE_NGNRNE);
        for (gib, entry) in self.l1_identity.iter_mut().enumerate().skip(1) {
            let start = (gib as u64) << GIB_BITS;
            let end = start + (1 << GIB_BITS);
            if memory.ram.iter().any(|r| r.start < end && start < r.end) {
                *entry = block_descriptor(start, ATTR_NORMAL);
            }
        }

        let v = layout.kernel_virt_start;
        self.l0[l0_index(v)] = table_descriptor(l1_kernel);
        self.l1_kernel[l1_index(v)] = table_descriptor(l2_kernel);
        let first = l2_index(v);
        for (i, entry) in self.l2_kernel.iter_mut().enumerate().skip(first) {
            let paddr = layout.kernel.start + (((i - first) as u64) << BLOCK_2M_BITS);
            *entry = block_descriptor(paddr, ATTR_NORMAL);
        }
    }
}
