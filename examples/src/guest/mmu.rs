//! Stage-1 translation for EL1: an identity map built at boot, then the MMU
//! and caches turned on with the barriers an OS needs.
//!
//! 4 KiB granule, 40-bit addresses (T0SZ = 24: the walk starts at level 0,
//! whose two entries cover 0..512 GiB and 512 GiB..1 TiB, so the PCIe high
//! window at 0x80_0000_0000 fits). Each range gets the largest blocks its
//! alignment allows: 1 GiB at level 1, 2 MiB at level 2, 4 KiB pages at level 3.
//! Tables come from a fixed pool in .bss; a block that a later, finer mapping
//! cuts into is split into a table of the same attributes.
//!
//! Memory types (MAIR_EL1): index 0 Normal, write-back read/write-allocate,
//! inner shareable (RAM); index 1 Device-nGnRE, never executable (MMIO).

use core::arch::asm;
use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};

/// Translation tables in the pool: level 0, two level 1, and level 2 and 3
/// tables for the ranges that are not 1 GiB aligned (QEMU's tree takes 8,
/// sysinit's example guest 12).
const POOL: usize = 24;
/// One past the highest address the map covers (T0SZ = 24).
pub const VA_END: u64 = 1 << 40;
const T0SZ: u64 = 64 - 40;

const DESC_VALID: u64 = 1 << 0;
/// Table descriptor (levels 0-2) or page descriptor (level 3).
const DESC_TABLE_OR_PAGE: u64 = 1 << 1;
const ATTR_INDEX_NORMAL: u64 = 0 << 2;
const ATTR_INDEX_DEVICE: u64 = 1 << 2;
const SH_INNER: u64 = 3 << 8;
/// Access flag: set, so the first access does not fault.
const AF: u64 = 1 << 10;
const PXN: u64 = 1 << 53;
const UXN: u64 = 1 << 54;
/// Output address bits of a descriptor (4 KiB granule, up to 48 bits).
const ADDR_MASK: u64 = 0x0000_ffff_ffff_f000;
/// Attribute bits a split block passes on to its entries.
const ATTR_MASK: u64 = !ADDR_MASK & !0b11;

/// MAIR_EL1: Attr0 = 0xff (Normal WB RW-allocate), Attr1 = 0x04 (Device-nGnRE).
const MAIR: u64 = 0xff | 0x04 << 8;
/// TCR_EL1 without IPS: T0SZ; walks of TTBR0 inner/outer write-back
/// cacheable, inner shareable; TG0 = 4 KiB; TTBR1 walks off (EPD1) with a
/// valid TG1 (4 KiB).
const TCR: u64 = T0SZ | 1 << 8 | 1 << 10 | 3 << 12 | 1 << 23 | 0b10 << 30;
/// SCTLR_EL1: M (MMU), C (data cache), I (instruction cache).
const SCTLR_M: u64 = 1 << 0;
const SCTLR_C: u64 = 1 << 2;
const SCTLR_I: u64 = 1 << 12;

/// What a range is mapped as.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Memory {
    /// RAM: normal, cacheable, executable.
    Normal,
    /// MMIO: Device-nGnRE, never executable.
    Device,
}

/// Why a range could not be mapped.
#[derive(Clone, Copy, Debug)]
pub enum MapError {
    /// The range reaches past [`VA_END`].
    TooHigh { start: u64, size: u64 },
    /// The table pool is used up.
    OutOfTables,
    /// The CPU's physical address size (ID_AA64MMFR0_EL1.PARange) is under 40 bits.
    SmallPaRange(u64),
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MapError::TooHigh { start, size } => write!(
                f,
                "range {start:#x} size {size:#x} reaches past {VA_END:#x} (40-bit map)"
            ),
            MapError::OutOfTables => write!(f, "all {POOL} translation tables used"),
            MapError::SmallPaRange(p) => write!(f, "PARange {p} is under 40 bits"),
        }
    }
}

#[repr(C, align(4096))]
struct Table([u64; 512]);

/// The table pool; zero (all entries invalid) from .bss.
static mut TABLES: [Table; POOL] = [const { Table([0; 512]) }; POOL];
/// Set by the one [`Map::new`]: the pool has a single owner.
static TAKEN: AtomicBool = AtomicBool::new(false);

/// The identity map under construction; table 0 is the level 0 root.
pub struct Map {
    tables: &'static mut [Table; POOL],
    used: usize,
}

impl Map {
    /// Takes the table pool (once: None after that).
    pub fn new() -> Option<Self> {
        // Load and store, not swap: the MMU is off, memory is Device, where
        // exclusive accesses need not work; there is one CPU.
        if TAKEN.load(Ordering::Relaxed) {
            return None;
        }
        TAKEN.store(true, Ordering::Relaxed);
        // SAFETY: TAKEN makes this the only reference to TABLES ever created;
        // the MMU reads the tables only after `enable`, which consumes the Map.
        let tables = unsafe { &mut *core::ptr::addr_of_mut!(TABLES) };
        Some(Map { tables, used: 1 })
    }

    /// How many tables the map uses.
    pub fn tables_used(&self) -> usize {
        self.used
    }

    fn table_addr(&self, index: usize) -> u64 {
        core::ptr::addr_of!(self.tables[index]) as u64
    }

    fn index_of(&self, desc: u64) -> usize {
        ((desc & ADDR_MASK) - self.table_addr(0)) as usize / 4096
    }

    /// The table `slot` of table `index` points to, made (or split out of a
    /// block) if needed. `level` is the level of table `index`.
    fn next_table(&mut self, index: usize, slot: usize, level: u32) -> Result<usize, MapError> {
        let desc = self.tables[index].0[slot];
        if desc & (DESC_VALID | DESC_TABLE_OR_PAGE) == DESC_VALID | DESC_TABLE_OR_PAGE {
            return Ok(self.index_of(desc));
        }
        if self.used == POOL {
            return Err(MapError::OutOfTables);
        }
        let new = self.used;
        self.used += 1;
        if desc & DESC_VALID != 0 {
            // A block: the new table maps the same range with the same attributes.
            let step = block_size(level + 1);
            let page = if level + 1 == 3 {
                DESC_TABLE_OR_PAGE
            } else {
                0
            };
            for (i, entry) in self.tables[new].0.iter_mut().enumerate() {
                *entry =
                    ((desc & ADDR_MASK) + i as u64 * step) | desc & ATTR_MASK | page | DESC_VALID;
            }
        }
        self.tables[index].0[slot] = self.table_addr(new) | DESC_TABLE_OR_PAGE | DESC_VALID;
        Ok(new)
    }

    /// Identity-maps [start, start + size), widened to whole pages.
    pub fn map(&mut self, start: u64, size: u64, memory: Memory) -> Result<(), MapError> {
        let too_high = MapError::TooHigh { start, size };
        let end = start.checked_add(size).ok_or(too_high)?;
        if end > VA_END {
            return Err(too_high);
        }
        let attrs = match memory {
            Memory::Normal => ATTR_INDEX_NORMAL | SH_INNER | AF | UXN,
            Memory::Device => ATTR_INDEX_DEVICE | AF | UXN | PXN,
        };
        let (mut addr, end) = (start & !0xfff, (end + 0xfff) & !0xfff);
        while addr < end {
            // Walk down from level 0 until a block of this level fits.
            let mut index = 0;
            let mut level = 0;
            loop {
                let slot = ((addr >> shift(level)) & 511) as usize;
                let step = block_size(level);
                if level >= 1 && addr % step == 0 && end - addr >= step {
                    let kind = if level == 3 { DESC_TABLE_OR_PAGE } else { 0 };
                    self.tables[index].0[slot] = addr | attrs | kind | DESC_VALID;
                    addr += step;
                    break;
                }
                index = self.next_table(index, slot, level)?;
                level += 1;
            }
        }
        Ok(())
    }

    /// Turns the MMU and both caches on with this map (TTBR0_EL1).
    ///
    /// The sequence: the table writes completed (DSB ISH) and any stale cache
    /// lines for the image dropped (the tables, stack and data were written
    /// with the data cache off, and the walker and the cached accesses must
    /// see memory, not older lines); MAIR, TCR (IPS from the CPU's PARange),
    /// TTBR0 set and synchronized (ISB); TLBs invalidated (TLBI VMALLE1, DSB,
    /// ISB); then SCTLR_EL1.M/C/I and an ISB, so that every access after the
    /// call, MMIO first of all, goes through the new map.
    ///
    /// `image` is the range (start, end) of the whole image, .bss included.
    pub fn enable(self, image: (u64, u64)) -> Result<(), MapError> {
        let mmfr0: u64;
        // SAFETY: reads an ID register.
        unsafe { asm!("mrs {}, id_aa64mmfr0_el1", out(reg) mmfr0, options(nomem, nostack)) };
        let pa_range = (mmfr0 & 0xf).min(0b101);
        if pa_range < 0b010 {
            return Err(MapError::SmallPaRange(pa_range));
        }
        let ctr: u64;
        // SAFETY: reads an ID register.
        unsafe { asm!("mrs {}, ctr_el0", out(reg) ctr, options(nomem, nostack)) };
        let line = 4u64 << ((ctr >> 16) & 0xf);
        let root = self.table_addr(0);
        let tcr = TCR | pa_range << 32;
        // SAFETY: the map covers the image (RAM, Normal) and every device the
        // guest touches, identity-mapped, so execution and every pointer carry
        // on unchanged once the MMU is on. `dc ivac` only drops cache lines
        // for the image, whose current contents are in memory (the data cache
        // is off until the last step).
        unsafe {
            asm!("dsb ish", options(nostack));
            let mut addr = image.0 & !(line - 1);
            while addr < image.1 {
                asm!("dc ivac, {}", in(reg) addr, options(nostack));
                addr += line;
            }
            asm!(
                "dsb ish",
                "msr mair_el1, {mair}",
                "msr tcr_el1, {tcr}",
                "msr ttbr0_el1, {root}",
                "isb",
                "tlbi vmalle1",
                "dsb ish",
                "isb",
                "mrs {t}, sctlr_el1",
                "orr {t}, {t}, {bits}",
                "msr sctlr_el1, {t}",
                "isb",
                mair = in(reg) MAIR,
                tcr = in(reg) tcr,
                root = in(reg) root,
                bits = in(reg) SCTLR_M | SCTLR_C | SCTLR_I,
                t = out(reg) _,
                options(nostack),
            );
        }
        Ok(())
    }
}

/// The address bit where level `level`'s index starts.
fn shift(level: u32) -> u32 {
    39 - 9 * level
}

/// What one entry of a level `level` table maps.
fn block_size(level: u32) -> u64 {
    1 << shift(level)
}
