//! Address spaces: ASID assignment, page-table and frame mappings per architecture.

use sysinit_kobj::{is_aligned, Arch, ObjectType};

use super::{err, ObjectState, Want};
use crate::cap::{Cap, CapRights, MappedAt, ObjectCap};
use crate::error::{InvocationError, Sel4Error};
use crate::KernelModel;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// ASIDs the root task's pool can give out: `asidLowBits` is 9 on both arches
/// (512 entries); ASID 0 is invalid and ASID 1 is the root task's own.
const FIRST_FREE_ASID: u16 = 2;
const ASID_POOL_END: u16 = 512;

/// Levels of paging structure the model walks (0 = the VSpace root).
const LEVELS: u8 = 4;

/// log2 of the bytes one entry of a level-`level` table covers.
pub const fn entry_span_bits(level: u8) -> u8 {
    12 + 9 * (LEVELS - 1).saturating_sub(level)
}

/// One present entry of a paging structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entry {
    /// A next-level table.
    Table {
        /// Its kernel-virtual address.
        kva: u64,
        /// Its type.
        ty: ObjectType,
    },
    /// A page.
    Frame {
        /// The frame's kernel-virtual address.
        kva: u64,
        /// Its physical address.
        paddr: u64,
        /// log2 of its size.
        size_bits: u8,
        /// Effective access: read, or read and write ([`vm_rights`]).
        rights: CapRights,
        /// Cacheable mapping.
        cached: bool,
    },
}

/// The access a mapping gets from rights (`maskVMRights`): read-write needs read and
/// write, read-only needs read; anything else leaves the page inaccessible to user.
pub const fn vm_rights(rights: CapRights) -> CapRights {
    CapRights {
        read: rights.read,
        write: rights.read && rights.write,
        grant: false,
        grant_reply: false,
    }
}

pub(super) fn paging_level(arch: Arch, ty: ObjectType) -> Option<u8> {
    (1..LEVELS).find(|&l| arch.paging_structure(l) == Some(ty))
}

impl KernelModel {
    /// A VSpace cap with an ASID, as `isValidNativeRoot` / `isValidVTableRoot` demand.
    pub(super) fn mapped_vspace(
        &self,
        op: &'static str,
        slot: usize,
        code: Sel4Error,
    ) -> Result<(ObjectCap, u16), InvocationError> {
        let vspace = self.typed(op, slot, Want::Type(ObjectType::VSpace, "vspace"), code)?;
        match vspace.mapped {
            Some(m) => Ok((vspace, m.asid)),
            None => Err(err(
                op,
                code,
                format!(
                    "the VSpace in slot {slot} has no ASID; assign one first (ASIDPool_Assign)"
                ),
            )),
        }
    }

    /// The entry of the level-`level` table covering `vaddr` in the VSpace at `vspace_kva`.
    fn entry_at(&self, vspace_kva: u64, level: u8, vaddr: u64) -> Option<Entry> {
        let span = entry_span_bits(level);
        self.entries(vspace_kva)?
            .get(&(level, vaddr >> span << span))
            .copied()
    }

    fn entries(&self, vspace_kva: u64) -> Option<&BTreeMap<(u8, u64), Entry>> {
        match self.objects.get(&vspace_kva) {
            Some(ObjectState::VSpace { entries }) => Some(entries),
            _ => None,
        }
    }

    /// `ASIDPool_Assign` on the root task's pool (`decodeX86ASIDPoolInvocation`,
    /// `decodeARMMMUInvocation`): the cap must be a VSpace root without an ASID yet
    /// (InvalidCapability otherwise); a full pool is DeleteFirst.
    pub fn asid_assign(&mut self, vspace: usize) -> Result<u16, InvocationError> {
        const OP: &str = "ASIDPool_Assign";
        let mut cap = self.typed(
            OP,
            vspace,
            Want::Type(ObjectType::VSpace, "vspace"),
            Sel4Error::InvalidCapability,
        )?;
        if let Some(m) = cap.mapped {
            return Err(err(
                OP,
                Sel4Error::InvalidCapability,
                format!("the VSpace in slot {vspace} already has ASID {}", m.asid),
            ));
        }
        let asid = (FIRST_FREE_ASID..ASID_POOL_END)
            .find(|a| !self.asids.contains_key(a))
            .ok_or_else(|| {
                err(
                    OP,
                    Sel4Error::DeleteFirst,
                    format!(
                        "the root task's ASID pool is full ({} VSpaces)",
                        ASID_POOL_END - FIRST_FREE_ASID
                    ),
                )
            })?;
        self.asids.insert(asid, cap.kva);
        cap.mapped = Some(MappedAt { asid, vaddr: 0 });
        self.set_root(vspace, Cap::Object(cap));
        Ok(asid)
    }

    /// Maps the paging structure in `table` into `vspace` covering `vaddr`; returns the
    /// level it was mapped as (1..=3).
    ///
    /// x86_64 (`decodeX86PageTableInvocation`, `decodeX86PageDirectoryInvocation`,
    /// `decodeX86PDPTInvocation`): the table's type fixes its level; every entry above
    /// it must already exist (FailedLookup), its own entry must be empty (DeleteFirst).
    /// aarch64 (`decodeARMPageTableInvocation`, `lookupPTSlot`): the walk follows
    /// present tables and maps at the first empty entry, so the level is wherever the
    /// walk stops; a walk that reaches the last level is DeleteFirst. Both: the table
    /// cap must not be mapped yet (InvalidCapability), the VSpace must have an ASID
    /// (InvalidCapability), the address must be below the user top (InvalidArgument).
    /// The kernel ignores the low bits of `vaddr` below the table's span.
    pub fn map_table(
        &mut self,
        table: usize,
        vspace: usize,
        vaddr: u64,
    ) -> Result<u8, InvocationError> {
        const OP: &str = "PageTable_Map";
        let arch = self.arch;
        let mut cap = self.typed(OP, table, Want::Table, Sel4Error::IllegalOperation)?;
        if let Some(m) = cap.mapped {
            return Err(err(
                OP,
                Sel4Error::InvalidCapability,
                format!(
                    "the {} in slot {table} is already mapped at {:#x} (ASID {})",
                    cap.ty, m.vaddr, m.asid
                ),
            ));
        }
        let (root, asid) = self.mapped_vspace(OP, vspace, Sel4Error::InvalidCapability)?;
        if vaddr >= self.kernel.user_vaddr_end() {
            return Err(err(
                OP,
                Sel4Error::InvalidArgument,
                format!(
                    "{vaddr:#x} is at or above the user address top {:#x}",
                    self.kernel.user_vaddr_end()
                ),
            ));
        }
        // Checks read the VSpace in place and all come before the one insert: a refused
        // mapping leaves it untouched, and no call copies the map (which made mapping
        // n pages into one address space cost O(n^2)).
        let present = |level: u8| self.entry_at(root.kva, level, vaddr);
        let level = match arch {
            Arch::X86_64 => {
                let level = paging_level(arch, cap.ty).unwrap_or(LEVELS - 1);
                if let Some(missing) =
                    (0..level - 1).find(|&l| !matches!(present(l), Some(Entry::Table { .. })))
                {
                    return Err(err(
                        OP,
                        Sel4Error::FailedLookup,
                        format!(
                            "no level-{} table covers {vaddr:#x} yet; map the tables above a {} first",
                            missing + 1,
                            cap.ty
                        ),
                    ));
                }
                level
            }
            Arch::Aarch64 => {
                let mut l = 0;
                while l < LEVELS - 1 && matches!(present(l), Some(Entry::Table { .. })) {
                    l += 1;
                }
                if l == LEVELS - 1 {
                    return Err(err(
                        OP,
                        Sel4Error::DeleteFirst,
                        format!("every level of tables covering {vaddr:#x} is already mapped"),
                    ));
                }
                l + 1
            }
        };
        let parent = level - 1;
        let span = entry_span_bits(parent);
        let base = vaddr >> span << span;
        if let Some(existing) = present(parent) {
            return Err(err(
                OP,
                Sel4Error::DeleteFirst,
                format!(
                    "the level-{parent} entry covering {base:#x} already holds {}",
                    describe(&existing)
                ),
            ));
        }
        if let Some(ObjectState::VSpace { entries }) = self.objects.get_mut(&root.kva) {
            entries.insert(
                (parent, base),
                Entry::Table {
                    kva: cap.kva,
                    ty: cap.ty,
                },
            );
        }
        cap.mapped = Some(MappedAt { asid, vaddr: base });
        self.set_root(table, Cap::Object(cap));
        Ok(level)
    }

    /// Maps the frame in `frame` into `vspace` at `vaddr` (`decodeX86FrameInvocation`,
    /// `decodeARMFrameInvocation`).
    ///
    /// A frame cap holds one mapping: mapping it again into another address space is
    /// InvalidCapability, at another address of the same one InvalidArgument (the same
    /// address again is a remap that updates the rights). The VSpace must have an ASID
    /// (InvalidCapability); the page must end below the user top (InvalidArgument) and
    /// be aligned to its size (AlignmentError); the tables down to the level whose
    /// entries are this frame's size must exist (FailedLookup) and the entry must be
    /// empty (DeleteFirst; aarch64 would overwrite a page silently, which the model
    /// refuses). Any cacheability is allowed, also for device frames.
    pub fn map_frame(
        &mut self,
        frame: usize,
        vspace: usize,
        vaddr: u64,
        rights: CapRights,
        cached: bool,
    ) -> Result<(), InvocationError> {
        const OP: &str = "Page_Map";
        let arch = self.arch;
        let mut cap = self.typed(OP, frame, Want::Frame("frame"), Sel4Error::IllegalOperation)?;
        let (root, asid) = self.mapped_vspace(OP, vspace, Sel4Error::InvalidCapability)?;
        let size_bits = cap.size_bits;
        let remap = match cap.mapped {
            Some(m) if m.asid != asid => {
                return Err(err(
                    OP,
                    Sel4Error::InvalidCapability,
                    format!(
                        "the frame cap in slot {frame} is already mapped in another address space \
                         (ASID {} at {:#x}); a frame cap maps once, mint a copy for each further mapping",
                        m.asid, m.vaddr
                    ),
                ))
            }
            Some(m) if m.vaddr != vaddr => {
                return Err(err(
                    OP,
                    Sel4Error::InvalidArgument,
                    format!(
                        "the frame cap in slot {frame} is already mapped at {:#x}; a frame cap \
                         maps once, mint a copy to map it at {vaddr:#x}",
                        m.vaddr
                    ),
                ))
            }
            Some(_) => true,
            None => false,
        };
        let end = vaddr.checked_add(1u64 << size_bits);
        if !remap && end.is_none_or(|e| e > self.kernel.user_vaddr_end()) {
            return Err(err(
                OP,
                Sel4Error::InvalidArgument,
                format!(
                    "a 2^{size_bits}-byte page at {vaddr:#x} passes the user address top {:#x}",
                    self.kernel.user_vaddr_end()
                ),
            ));
        }
        if !is_aligned(vaddr, size_bits) {
            return Err(err(
                OP,
                Sel4Error::AlignmentError,
                format!("{vaddr:#x} is not aligned to the page size 2^{size_bits}"),
            ));
        }
        let level = (0..LEVELS)
            .find(|&l| entry_span_bits(l) == size_bits && l > 0)
            .unwrap_or(LEVELS - 1);
        // As in `map_table`: every check reads the map in place before the one insert.
        let present = |l: u8| self.entry_at(root.kva, l, vaddr);
        let walk_ends = (0..LEVELS)
            .find(|&l| !matches!(present(l), Some(Entry::Table { .. })))
            .unwrap_or(LEVELS);
        if walk_ends < level || (arch == Arch::Aarch64 && walk_ends != level) {
            return Err(err(
                OP,
                Sel4Error::FailedLookup,
                format!(
                    "a 2^{size_bits}-byte page at {vaddr:#x} goes in a level-{level} table, but the \
                     tables covering it end at level {walk_ends}"
                ),
            ));
        }
        let key = (level, vaddr);
        let new_entry = Entry::Frame {
            kva: cap.kva,
            paddr: cap.paddr,
            size_bits,
            rights: vm_rights(cap.rights.intersect(rights)),
            cached,
        };
        match present(level) {
            Some(Entry::Frame { kva, .. }) if remap && kva == cap.kva => {}
            Some(existing) => {
                return Err(err(
                    OP,
                    Sel4Error::DeleteFirst,
                    format!(
                        "the level-{level} entry for {vaddr:#x} already holds {}",
                        describe(&existing)
                    ),
                ))
            }
            None => {}
        }
        if let Some(ObjectState::VSpace { entries }) = self.objects.get_mut(&root.kva) {
            entries.insert(key, new_entry);
        }
        cap.mapped = Some(MappedAt { asid, vaddr });
        self.set_root(frame, Cap::Object(cap));
        Ok(())
    }

    /// The entry of the level-`level` table covering `vaddr` in the VSpace in root slot `vspace`.
    pub fn vspace_entry(&self, vspace: usize, level: u8, vaddr: u64) -> Option<&Entry> {
        let kva = self.cap(vspace)?.as_object()?.kva;
        let span = entry_span_bits(level);
        self.entries(kva)?.get(&(level, vaddr >> span << span))
    }
}

fn describe(entry: &Entry) -> String {
    match entry {
        Entry::Table { kva, ty } => format!("a {ty} (kernel address {kva:#x})"),
        Entry::Frame {
            paddr, size_bits, ..
        } => format!("a 2^{size_bits}-byte page at physical {paddr:#x}"),
    }
}
