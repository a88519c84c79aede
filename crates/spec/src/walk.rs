//! The address-space walk and the CPtr lookup, shared by validation and the spec's consumers.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use sysinit_kobj::{PAGE_TABLE_INDEX_BITS, PAGING_LEVELS, WORD_BITS};

use crate::object::entry_span_bits;
use crate::{Cap, Object, ObjectId, Spec};

/// One entry of an address space, as found by [`Spec::vspace_mappings`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// First virtual address the entry covers.
    pub vaddr: u64,
    /// Level of the table holding the entry (0 = the VSpace root).
    pub level: u8,
    /// The table holding the entry.
    pub table: ObjectId,
    /// Index of the entry in that table.
    pub slot: u32,
    /// The cap in the entry: a page table of level `level + 1`, or a frame.
    pub cap: Cap,
    /// Whether the cap maps a frame (of [`Mapping::size_bits`]) rather than a table.
    pub is_frame: bool,
}

impl Mapping {
    /// log2 of the bytes the entry covers.
    pub const fn size_bits(&self) -> u8 {
        entry_span_bits(self.level)
    }
}

pub(crate) const TABLE_ENTRIES: u64 = 1 << PAGE_TABLE_INDEX_BITS;

impl Spec {
    /// Every entry of the address space rooted at `vspace`, depth first in slot
    /// order, each table's entry before the entries inside that table: the
    /// order an initializer maps them in.
    ///
    /// Entries that are inconsistent (which [`Spec::validate`] rejects) are skipped.
    pub fn vspace_mappings(&self, vspace: ObjectId) -> Vec<Mapping> {
        let mut out = Vec::new();
        if let Some(Object::VSpace(_)) = self.get(vspace).map(|o| &o.object) {
            self.walk_table(vspace, 0, 0, &mut out);
        }
        out
    }

    fn walk_table(&self, table: ObjectId, level: u8, base: u64, out: &mut Vec<Mapping>) {
        // The level bound also ends the recursion in an unvalidated spec.
        let Some(object) = self.get(table).filter(|_| level < PAGING_LEVELS) else {
            return;
        };
        let span = entry_span_bits(level);
        for &(slot, cap) in object.object.table_slots() {
            if u64::from(slot) >= TABLE_ENTRIES {
                continue;
            }
            let vaddr = base | (u64::from(slot) << span);
            match self.get(cap.object).map(|o| &o.object) {
                Some(Object::PageTable(child))
                    if child.level == level + 1 && child.level < PAGING_LEVELS =>
                {
                    out.push(Mapping {
                        vaddr,
                        level,
                        table,
                        slot,
                        cap,
                        is_frame: false,
                    });
                    self.walk_table(cap.object, level + 1, vaddr, out);
                }
                Some(Object::Frame(f)) if f.size_bits == span && level > 0 => {
                    out.push(Mapping {
                        vaddr,
                        level,
                        table,
                        slot,
                        cap,
                        is_frame: true,
                    });
                }
                _ => {}
            }
        }
    }

    /// Looks `cptr` up in the CSpace rooted at `cspace` the way the kernel
    /// resolves a fault endpoint: all 64 bits, guards checked, stopping at the
    /// first cap that is not a CNode. `Ok(None)` means the slot is empty.
    pub fn resolve_cptr(&self, cspace: &Cap, cptr: u64) -> Result<Option<&Cap>, String> {
        let mut cap = cspace;
        let mut bits_left = u32::from(WORD_BITS);
        // Every level consumes at least one bit (radix >= 1), so this ends.
        loop {
            let (radix, slots) = match self.get(cap.object).map(|o| &o.object) {
                Some(Object::CNode(c)) => (u32::from(c.radix), &c.slots),
                _ => return Err(String::from("the cspace root is not a CNode")),
            };
            let guard_size = u32::from(cap.guard_size);
            if guard_size + radix > bits_left {
                return Err(format!(
                    "the CSpace needs {} more bits than the {bits_left} left to resolve",
                    guard_size + radix - bits_left
                ));
            }
            let guard = take_bits(cptr, bits_left, guard_size);
            if guard != cap.guard {
                return Err(format!(
                    "guard mismatch: the cptr has {guard:#x}, the CNode cap {:#x}",
                    cap.guard
                ));
            }
            bits_left -= guard_size;
            let index = take_bits(cptr, bits_left, radix);
            bits_left -= radix;
            let Some(found) = slots
                .iter()
                .find(|(i, _)| u64::from(*i) == index)
                .map(|(_, c)| c)
            else {
                return Ok(None);
            };
            let is_cnode = matches!(
                self.get(found.object).map(|o| &o.object),
                Some(Object::CNode(_))
            );
            if bits_left == 0 || !is_cnode {
                return Ok(Some(found));
            }
            cap = found;
        }
    }
}

/// The top `count` bits of the low `bits_left` bits of `cptr`.
fn take_bits(cptr: u64, bits_left: u32, count: u32) -> u64 {
    if count == 0 {
        return 0;
    }
    let shifted = cptr.checked_shr(bits_left - count).unwrap_or(0);
    shifted & mask(count)
}

/// The low `bits` bits set (all of them for 64 or more).
pub(crate) fn mask(bits: u32) -> u64 {
    1u64.checked_shl(bits).map_or(u64::MAX, |b| b - 1)
}
