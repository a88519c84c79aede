//! Building specs in code: names instead of indices, and mappings by virtual
//! address with the page tables in between made on demand.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use sysinit_kobj::{is_aligned, PAGE_TABLE_INDEX_BITS, PAGING_LEVELS};

use crate::error::CapSite;
use crate::object::entry_span_bits;
use crate::{
    Cap, FillContent, NamedObject, Object, ObjectId, PageTable, Spec, SpecError, SpecErrorKind,
};

/// Builds a [`Spec`] step by step; [`SpecBuilder::build`] validates the result.
#[derive(Clone, Debug)]
pub struct SpecBuilder {
    spec: Spec,
}

impl SpecBuilder {
    /// An empty spec for `arch` (its default kernel configuration).
    pub fn new(arch: crate::Arch) -> SpecBuilder {
        SpecBuilder {
            spec: Spec::new(arch),
        }
    }

    /// An empty spec for the kernel configuration `kernel`.
    pub fn for_kernel(kernel: crate::KernelConfig) -> SpecBuilder {
        SpecBuilder {
            spec: Spec::for_kernel(kernel),
        }
    }

    /// The spec so far (not validated).
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Adds an object and returns its id. Names are checked for uniqueness by [`SpecBuilder::build`].
    pub fn add(&mut self, name: impl Into<String>, object: Object) -> ObjectId {
        // Ids past u32::MAX are caught by validation (TooManyObjects).
        let id = ObjectId(self.spec.objects.len() as u32);
        self.spec.objects.push(NamedObject {
            name: name.into(),
            object,
        });
        id
    }

    /// The object with id `id`, to adjust it after adding.
    pub fn object_mut(&mut self, id: ObjectId) -> Option<&mut Object> {
        self.spec.objects.get_mut(id.index()).map(|o| &mut o.object)
    }

    /// Appends `bytes` to the blob and returns fill content referring to them.
    pub fn push_blob(&mut self, bytes: &[u8]) -> FillContent {
        let start = self.spec.blob.len() as u64;
        self.spec.blob.extend_from_slice(bytes);
        FillContent::Blob {
            start,
            len: bytes.len() as u64,
        }
    }

    /// Puts `cap` in slot `slot` of a CNode, VSpace or page table, replacing what was there.
    pub fn set_slot(&mut self, object: ObjectId, slot: u32, cap: Cap) -> Result<(), SpecError> {
        let label = self.label(object);
        let slots = match self
            .spec
            .objects
            .get_mut(object.index())
            .map(|o| &mut o.object)
        {
            Some(Object::CNode(c)) => &mut c.slots,
            Some(Object::VSpace(t)) => &mut t.slots,
            Some(Object::PageTable(t)) => &mut t.slots,
            Some(other) => {
                let kind = SpecErrorKind::NoSlots {
                    found: other.kind(),
                };
                return Err(SpecError {
                    object: Some(label),
                    kind,
                });
            }
            None => return Err(self.dangling(object)),
        };
        match slots.binary_search_by_key(&slot, |(i, _)| *i) {
            Ok(pos) => slots[pos].1 = cap,
            Err(pos) => slots.insert(pos, (slot, cap)),
        }
        Ok(())
    }

    /// Maps the frame `frame_cap` points at into the address space rooted at
    /// `vspace` at `vaddr`, making the page tables on the way as needed (named
    /// `<vspace>.pt<level>@<first vaddr>`).
    pub fn map(&mut self, vspace: ObjectId, vaddr: u64, frame_cap: Cap) -> Result<(), SpecError> {
        let size_bits = match self.spec.get(frame_cap.object).map(|o| &o.object) {
            Some(Object::Frame(f)) => f.size_bits,
            Some(other) => {
                let kind = SpecErrorKind::NotAFrame {
                    target: self.label(frame_cap.object),
                    found: other.kind(),
                };
                return Err(SpecError {
                    object: Some(self.label(vspace)),
                    kind,
                });
            }
            None => return Err(self.dangling(frame_cap.object)),
        };
        if !matches!(
            self.spec.get(vspace).map(|o| &o.object),
            Some(Object::VSpace(_))
        ) {
            let found = self
                .spec
                .get(vspace)
                .map_or("missing object", |o| o.object.kind());
            let kind = SpecErrorKind::NoSlots { found };
            return Err(SpecError {
                object: Some(self.label(vspace)),
                kind,
            });
        }
        let leaf_level = (1..PAGING_LEVELS).find(|&l| entry_span_bits(l) == size_bits);
        let Some(leaf_level) = leaf_level.filter(|_| is_aligned(vaddr, size_bits)) else {
            let kind = SpecErrorKind::MisalignedVaddr { vaddr, size_bits };
            return Err(SpecError {
                object: Some(self.label(frame_cap.object)),
                kind,
            });
        };
        // Bits above the top level's index would be dropped silently by the
        // slot arithmetic below, so out-of-range addresses are refused here.
        // (size_bits is a valid page size by now, so the shift is in range.)
        let user_end = self.spec.arch.user_vaddr_end();
        let end = vaddr.wrapping_add(1 << size_bits);
        if end <= vaddr || end > user_end {
            let site = CapSite::Slot(slot_index(vaddr, 0));
            let kind = SpecErrorKind::MappingAboveUserTop {
                site,
                vaddr,
                end,
                user_end,
            };
            return Err(SpecError {
                object: Some(self.label(vspace)),
                kind,
            });
        }
        let vspace_name = self.label(vspace);
        let mut table = vspace;
        for level in 0..leaf_level {
            let slot = slot_index(vaddr, level);
            let existing = self.slot_cap(table, slot);
            table = match existing {
                Some(cap) if self.is_table(cap.object, level + 1) => cap.object,
                Some(cap) => {
                    let kind = SpecErrorKind::MappingConflict {
                        vaddr,
                        existing: self.label(cap.object),
                    };
                    return Err(SpecError {
                        object: Some(self.label(table)),
                        kind,
                    });
                }
                None => {
                    let span = entry_span_bits(level);
                    let base = vaddr >> span << span;
                    let name = format!("{vspace_name}.pt{}@{base:#x}", level + 1);
                    let child = self.add(
                        name,
                        Object::PageTable(PageTable {
                            level: level + 1,
                            slots: Vec::new(),
                        }),
                    );
                    self.set_slot(table, slot, Cap::new(child))?;
                    child
                }
            };
        }
        let slot = slot_index(vaddr, leaf_level);
        if let Some(cap) = self.slot_cap(table, slot) {
            let kind = SpecErrorKind::MappingConflict {
                vaddr,
                existing: self.label(cap.object),
            };
            return Err(SpecError {
                object: Some(self.label(table)),
                kind,
            });
        }
        self.set_slot(table, slot, frame_cap)
    }

    /// Validates and returns the spec.
    pub fn build(self) -> Result<Spec, SpecError> {
        self.spec.validate()?;
        Ok(self.spec)
    }

    fn slot_cap(&self, table: ObjectId, slot: u32) -> Option<Cap> {
        let slots = self.spec.get(table)?.object.table_slots();
        slots.iter().find(|(i, _)| *i == slot).map(|(_, c)| *c)
    }

    fn is_table(&self, id: ObjectId, level: u8) -> bool {
        matches!(self.spec.get(id).map(|o| &o.object), Some(Object::PageTable(t)) if t.level == level)
    }

    fn label(&self, id: ObjectId) -> String {
        self.spec
            .get(id)
            .map_or_else(|| format!("{id}"), |o| o.name.clone())
    }

    fn dangling(&self, id: ObjectId) -> SpecError {
        SpecError {
            object: None,
            kind: SpecErrorKind::UnknownObject { id },
        }
    }
}

/// Index of `vaddr`'s entry in a table of `level`.
fn slot_index(vaddr: u64, level: u8) -> u32 {
    let index_mask = (1u64 << PAGE_TABLE_INDEX_BITS) - 1;
    ((vaddr >> entry_span_bits(level)) & index_mask) as u32
}
