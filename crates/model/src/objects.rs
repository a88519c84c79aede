//! Object state beyond untyped memory, and the invocations that change it.
//!
//! Each rule follows the seL4 function named in its comment (non-MCS kernel,
//! the x86_64 and aarch64 code paths). Where the model is stricter than the
//! kernel, the comment says so: those are mistakes the kernel would let pass
//! silently but that leave a system other than the spec describes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sysinit_kobj::{is_aligned, Arch, ObjectType, IPC_BUFFER_SIZE_BITS, WORD_BITS};

use crate::cap::{Cap, CapRights, IoPortsCap, IrqHandlerCap, MappedAt, ObjectCap};
use crate::error::{InvocationError, Sel4Error};
use crate::KernelModel;

/// The maximum controlled priority of the root task (`seL4_MaxPrio`), the authority
/// every priority the initializer sets is checked against.
pub const ROOT_TASK_MCP: u8 = 255;

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

/// State of one object, by its kernel-virtual address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectState {
    /// A CNode: its radix and filled slots.
    CNode {
        /// log2 of the slot count.
        radix: u8,
        /// Filled slots by index.
        slots: BTreeMap<u64, Cap>,
    },
    /// An address space root: every entry of every table in it.
    VSpace {
        /// Entries by (level of the table holding it, first virtual address it covers).
        entries: BTreeMap<(u8, u64), Entry>,
    },
    /// A frame: bytes written so far, in 4 KiB chunks by chunk index (unwritten bytes read 0).
    Frame {
        /// Written chunks.
        chunks: BTreeMap<u64, Vec<u8>>,
    },
    /// A thread.
    Tcb(Box<TcbState>),
    /// A notification and the thread bound to it (by TCB address).
    Notification {
        /// Bound thread.
        bound_tcb: Option<u64>,
    },
    /// A VCPU and the thread it is bound to.
    Vcpu {
        /// Bound thread.
        tcb: Option<u64>,
    },
}

impl ObjectState {
    /// The state a freshly retyped object starts in, for types that have any.
    pub(crate) fn fresh(ty: ObjectType, size_arg: u8) -> Option<ObjectState> {
        Some(match ty {
            ObjectType::CNode => ObjectState::CNode {
                radix: size_arg,
                slots: BTreeMap::new(),
            },
            ObjectType::VSpace => ObjectState::VSpace {
                entries: BTreeMap::new(),
            },
            t if t.is_frame() => ObjectState::Frame {
                chunks: BTreeMap::new(),
            },
            ObjectType::Tcb => ObjectState::Tcb(Box::default()),
            ObjectType::Notification => ObjectState::Notification { bound_tcb: None },
            ObjectType::Vcpu => ObjectState::Vcpu { tcb: None },
            _ => return None,
        })
    }
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

/// Everything the initializer sets on a thread.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcbState {
    /// CSpace root (a copy of the CNode cap, guard applied).
    pub cspace: Option<Cap>,
    /// VSpace root (a copy of the VSpace cap).
    pub vspace: Option<Cap>,
    /// IPC buffer address and frame cap.
    pub ipc_buffer: Option<(u64, Cap)>,
    /// Fault endpoint CPtr.
    pub fault_ep: u64,
    /// Priority.
    pub priority: u8,
    /// Maximum controlled priority.
    pub max_priority: u8,
    /// Instruction pointer, stack pointer and argument registers, once written.
    pub registers: Option<(u64, u64, Vec<u64>)>,
    /// Bound notification (by address).
    pub bound_notification: Option<u64>,
    /// Bound VCPU (by address).
    pub vcpu: Option<u64>,
    /// Resumed.
    pub running: bool,
}

/// The notification an IRQ handler signals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IrqTarget {
    /// The notification's address.
    pub notification: u64,
    /// The badge of the cap it was given.
    pub badge: u64,
}

/// Where `CNode_Mint` puts its copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MintDest {
    /// A slot of the root CNode itself.
    Root(usize),
    /// Slot `index` of the CNode whose cap is in root slot `cnode`, resolved with `depth` bits.
    CNode {
        /// Root slot of the CNode cap.
        cnode: usize,
        /// Index in that CNode.
        index: u64,
        /// Bits resolved (must be the CNode's radix plus its cap's guard size).
        depth: u8,
    },
}

/// The data word of a mint, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MintData {
    /// Keep the cap's data.
    None,
    /// Badge an endpoint or notification cap.
    Badge(u64),
    /// Set a CNode cap's guard.
    Guard {
        /// Guard value.
        guard: u64,
        /// Guard width.
        size: u8,
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

fn err(op: &'static str, code: Sel4Error, detail: String) -> InvocationError {
    InvocationError { op, code, detail }
}

/// Gives a CNode cap a guard of `size` bits, as `updateCapData` does for CNodes; the
/// kernel refuses a guard that, with the radix, passes the word size.
fn set_guard(
    op: &'static str,
    cnode: &mut ObjectCap,
    guard: u64,
    size: u8,
) -> Result<(), InvocationError> {
    if u16::from(size) + u16::from(cnode.size_arg) > u16::from(WORD_BITS) {
        return Err(err(
            op,
            Sel4Error::IllegalOperation,
            format!(
                "a {size}-bit guard and radix {} exceed 64 bits",
                cnode.size_arg
            ),
        ));
    }
    cnode.guard_size = size;
    cnode.guard = if size >= 64 {
        guard
    } else {
        guard & ((1u64 << size) - 1)
    };
    Ok(())
}

fn paging_level(arch: Arch, ty: ObjectType) -> Option<u8> {
    (1..LEVELS).find(|&l| arch.paging_structure(l) == Some(ty))
}

impl KernelModel {
    fn root_cap(&self, op: &'static str, slot: usize, role: &str) -> Result<Cap, InvocationError> {
        match self.slots.get(slot) {
            Some(Some(cap)) => Ok(*cap),
            Some(None) => Err(err(
                op,
                Sel4Error::InvalidCapability,
                format!("{role} slot {slot} is empty"),
            )),
            None => Err(err(
                op,
                Sel4Error::InvalidCapability,
                format!(
                    "{role} slot {slot} is outside the root CNode (0..{})",
                    self.slots.len()
                ),
            )),
        }
    }

    fn typed(
        &self,
        op: &'static str,
        slot: usize,
        role: &str,
        want: impl Fn(ObjectType) -> bool,
        code: Sel4Error,
    ) -> Result<ObjectCap, InvocationError> {
        let cap = self.root_cap(op, slot, role)?;
        match cap {
            Cap::Object(o) if want(o.ty) => Ok(o),
            other => Err(err(
                op,
                code,
                format!(
                    "{role} slot {slot} holds a {} cap, which is the wrong type",
                    other.kind_name()
                ),
            )),
        }
    }

    fn set_root(&mut self, slot: usize, cap: Cap) {
        if let Some(entry) = self.slots.get_mut(slot) {
            *entry = Some(cap);
        }
    }

    /// A VSpace cap with an ASID, as `isValidNativeRoot` / `isValidVTableRoot` demand.
    fn mapped_vspace(
        &self,
        op: &'static str,
        slot: usize,
        code: Sel4Error,
    ) -> Result<(ObjectCap, u16), InvocationError> {
        let vspace = self.typed(op, slot, "vspace", |t| t == ObjectType::VSpace, code)?;
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
            "vspace",
            |t| t == ObjectType::VSpace,
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
        let mut cap = self.typed(
            OP,
            table,
            "table",
            |t| paging_level(arch, t).is_some(),
            Sel4Error::IllegalOperation,
        )?;
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
        if vaddr >= arch.user_vaddr_end() {
            return Err(err(
                OP,
                Sel4Error::InvalidArgument,
                format!(
                    "{vaddr:#x} is at or above the user address top {:#x}",
                    arch.user_vaddr_end()
                ),
            ));
        }
        let entries = self.entries(root.kva).cloned().unwrap_or_default();
        let present = |level: u8| {
            let span = entry_span_bits(level);
            entries.get(&(level, vaddr >> span << span))
        };
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
                    describe(existing)
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
        let mut cap = self.typed(
            OP,
            frame,
            "frame",
            ObjectType::is_frame,
            Sel4Error::IllegalOperation,
        )?;
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
        if !remap && end.is_none_or(|e| e > arch.user_vaddr_end()) {
            return Err(err(
                OP,
                Sel4Error::InvalidArgument,
                format!(
                    "a 2^{size_bits}-byte page at {vaddr:#x} passes the user address top {:#x}",
                    arch.user_vaddr_end()
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
        let entries = self.entries(root.kva).cloned().unwrap_or_default();
        let present = |l: u8| {
            let span = entry_span_bits(l);
            entries.get(&(l, vaddr >> span << span))
        };
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
            Some(Entry::Frame { kva, .. }) if remap && *kva == cap.kva => {}
            Some(existing) => {
                return Err(err(
                    OP,
                    Sel4Error::DeleteFirst,
                    format!(
                        "the level-{level} entry for {vaddr:#x} already holds {}",
                        describe(existing)
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

    /// Writes `data` at `offset` into the frame in `frame`, which must be 2^`size_bits`
    /// bytes; the bytes must lie inside it. (The root task does this through a mapping
    /// of its own; the model records the bytes for [`KernelModel::frame_bytes`].)
    pub fn write_frame(
        &mut self,
        frame: usize,
        size_bits: u8,
        offset: u64,
        data: &[u8],
    ) -> Result<(), InvocationError> {
        const OP: &str = "frame write";
        let cap = self.typed(
            OP,
            frame,
            "frame",
            ObjectType::is_frame,
            Sel4Error::InvalidCapability,
        )?;
        if cap.size_bits != size_bits {
            return Err(err(
                OP,
                Sel4Error::InvalidArgument,
                format!(
                    "the frame in slot {frame} has 2^{} bytes, not 2^{size_bits}",
                    cap.size_bits
                ),
            ));
        }
        let size = 1u64 << cap.size_bits;
        let len = data.len() as u64;
        if offset > size || len > size - offset {
            return Err(err(
                OP,
                Sel4Error::RangeError,
                format!(
                    "{len} bytes at offset {offset:#x} pass the end of the {size:#x}-byte frame in slot {frame}"
                ),
            ));
        }
        if let Some(ObjectState::Frame { chunks }) = self.objects.get_mut(&cap.kva) {
            for (i, &byte) in data.iter().enumerate() {
                let at = offset + i as u64;
                let chunk = chunks.entry(at >> 12).or_insert_with(|| vec![0; 4096]);
                chunk[(at & 0xfff) as usize] = byte;
            }
        }
        Ok(())
    }

    /// `len` bytes of the frame in root slot `frame` from `offset`, as written so far
    /// (bytes never written read as zero).
    pub fn frame_bytes(
        &self,
        frame: usize,
        offset: u64,
        len: usize,
    ) -> Result<Vec<u8>, InvocationError> {
        const OP: &str = "frame read";
        let cap = self.typed(
            OP,
            frame,
            "frame",
            ObjectType::is_frame,
            Sel4Error::InvalidCapability,
        )?;
        let chunks = match self.objects.get(&cap.kva) {
            Some(ObjectState::Frame { chunks }) => Some(chunks),
            _ => None,
        };
        Ok((0..len as u64)
            .map(|i| {
                let at = offset.wrapping_add(i);
                chunks
                    .and_then(|c| c.get(&(at >> 12)))
                    .map_or(0, |c| c[(at & 0xfff) as usize])
            })
            .collect())
    }

    /// `CNode_Mint` (`decodeCNodeInvocation`, `deriveCap`, `updateCapData`).
    ///
    /// Destination: the CNode cap must be a CNode (FailedLookup), the depth 1..=64
    /// (RangeError) and equal to the CNode's radix plus its guard size, and the index
    /// below 2^radix (FailedLookup; the kernel would ignore higher bits and put the
    /// cap elsewhere, which the model refuses); the slot must be empty (DeleteFirst).
    /// Source: an empty slot is FailedLookup. Deriving: an untyped with children is
    /// RevokeFirst, an unmapped page table or a VSpace without ASID IllegalOperation,
    /// a frame copy starts unmapped. Data: re-badging a badged cap or a guard that
    /// does not fit beside the radix makes the kernel refuse (IllegalOperation).
    pub fn mint(
        &mut self,
        dest: MintDest,
        src: usize,
        rights: CapRights,
        data: MintData,
    ) -> Result<(), InvocationError> {
        const OP: &str = "CNode_Mint";
        // Destination lookup comes first in the kernel.
        let target = match dest {
            MintDest::Root(index) => {
                if index >= self.slots.len() {
                    return Err(err(
                        OP,
                        Sel4Error::FailedLookup,
                        format!(
                            "destination slot {index} is outside the root CNode (0..{})",
                            self.slots.len()
                        ),
                    ));
                }
                if self.slots[index].is_some() {
                    return Err(err(
                        OP,
                        Sel4Error::DeleteFirst,
                        format!("destination root slot {index} is not empty"),
                    ));
                }
                None
            }
            MintDest::CNode {
                cnode,
                index,
                depth,
            } => {
                if depth == 0 || depth > WORD_BITS {
                    return Err(err(
                        OP,
                        Sel4Error::RangeError,
                        format!("depth {depth} is out of range (1..=64)"),
                    ));
                }
                let cap = match self.slots.get(cnode) {
                    Some(Some(Cap::Object(o))) if o.ty == ObjectType::CNode => *o,
                    _ => {
                        return Err(err(
                            OP,
                            Sel4Error::FailedLookup,
                            format!("destination root slot {cnode} holds no CNode cap"),
                        ))
                    }
                };
                let Some(ObjectState::CNode { radix, slots }) = self.objects.get(&cap.kva) else {
                    return Err(err(
                        OP,
                        Sel4Error::FailedLookup,
                        format!("the CNode in root slot {cnode} has no state"),
                    ));
                };
                let bits = u16::from(*radix) + u16::from(cap.guard_size);
                if u16::from(depth) != bits {
                    return Err(err(
                        OP,
                        Sel4Error::FailedLookup,
                        format!(
                            "depth {depth} does not match the CNode in root slot {cnode} \
                             (radix {radix}, guard {} bits: depth must be {bits})",
                            cap.guard_size
                        ),
                    ));
                }
                if index >> radix != 0 {
                    return Err(err(
                        OP,
                        Sel4Error::FailedLookup,
                        format!(
                            "index {index} is outside the CNode in root slot {cnode} (0..{})",
                            1u64 << radix
                        ),
                    ));
                }
                if slots.contains_key(&index) {
                    return Err(err(
                        OP,
                        Sel4Error::DeleteFirst,
                        format!("slot {index} of the CNode in root slot {cnode} is not empty"),
                    ));
                }
                Some((cap.kva, index))
            }
        };
        let source = match self.slots.get(src) {
            Some(Some(cap)) => *cap,
            _ => {
                return Err(err(
                    OP,
                    Sel4Error::FailedLookup,
                    format!("source root slot {src} is empty or outside the root CNode"),
                ))
            }
        };
        let mut copy = match source {
            Cap::Untyped(u) if u.children > 0 => {
                return Err(err(
                    OP,
                    Sel4Error::RevokeFirst,
                    format!(
                    "the untyped in slot {src} has {} children; it can only be copied without any",
                    u.children
                ),
                ))
            }
            Cap::Untyped(u) => Cap::Untyped(crate::UntypedCap {
                children: 0,
                parent: Some(src),
                ..u
            }),
            Cap::Object(o) => {
                let paging = paging_level(self.arch, o.ty).is_some() || o.ty == ObjectType::VSpace;
                if paging && o.mapped.is_none() {
                    return Err(err(
                        OP,
                        Sel4Error::IllegalOperation,
                        format!(
                            "the {} in slot {src} is not mapped (or has no ASID); the kernel only \
                             copies paging structures that are",
                            o.ty
                        ),
                    ));
                }
                let mut o = o;
                if o.ty.is_frame() {
                    o.mapped = None;
                }
                o.rights = o.rights.intersect(rights);
                match (data, o.ty) {
                    (MintData::Badge(b), ObjectType::Endpoint | ObjectType::Notification) => {
                        if o.badge != 0 && b != 0 {
                            return Err(err(
                                OP,
                                Sel4Error::IllegalOperation,
                                format!("the cap in slot {src} already has badge {}", o.badge),
                            ));
                        }
                        if o.badge == 0 {
                            o.badge = b;
                        }
                    }
                    (MintData::Guard { guard, size }, ObjectType::CNode) => {
                        set_guard(OP, &mut o, guard, size)?;
                    }
                    _ => {}
                }
                Cap::Object(o)
            }
            other => other,
        };
        if let Cap::Object(o) = &mut copy {
            // Copies count as children of the untyped for the reset rule.
            if let Some(Some(Cap::Untyped(parent))) = self.slots.get_mut(o.parent) {
                parent.children = parent.children.saturating_add(1);
            }
        }
        match target {
            None => {
                if let MintDest::Root(index) = dest {
                    self.set_root(index, copy);
                }
            }
            Some((kva, index)) => {
                if let Some(ObjectState::CNode { slots, .. }) = self.objects.get_mut(&kva) {
                    slots.insert(index, copy);
                }
            }
        }
        Ok(())
    }

    fn tcb_mut(&mut self, op: &'static str, slot: usize) -> Result<&mut TcbState, InvocationError> {
        let cap = self.typed(
            op,
            slot,
            "tcb",
            |t| t == ObjectType::Tcb,
            Sel4Error::InvalidCapability,
        )?;
        match self.objects.get_mut(&cap.kva) {
            Some(ObjectState::Tcb(t)) => Ok(t),
            _ => Err(err(
                op,
                Sel4Error::InvalidCapability,
                format!("the TCB in slot {slot} has no state"),
            )),
        }
    }

    /// `TCB_Configure` (`decodeTCBConfigure`, non-MCS): the CSpace cap must be a CNode
    /// (with `cspace_guard` applied, IllegalOperation if it does not fit), the VSpace a
    /// root with an ASID (IllegalOperation), the IPC buffer a non-device frame
    /// (IllegalOperation) at an address aligned to 2^10 (AlignmentError).
    #[allow(clippy::too_many_arguments)]
    pub fn tcb_configure(
        &mut self,
        tcb: usize,
        fault_ep: u64,
        cspace: usize,
        cspace_guard: Option<(u64, u8)>,
        vspace: usize,
        ipc_buffer_vaddr: u64,
        ipc_buffer: Option<usize>,
    ) -> Result<(), InvocationError> {
        const OP: &str = "TCB_Configure";
        self.tcb_mut(OP, tcb)?;
        let mut croot = self.typed(
            OP,
            cspace,
            "cspace",
            |t| t == ObjectType::CNode,
            Sel4Error::IllegalOperation,
        )?;
        if let Some((guard, size)) = cspace_guard {
            set_guard(OP, &mut croot, guard, size)?;
        }
        let (vroot, _) = self.mapped_vspace(OP, vspace, Sel4Error::IllegalOperation)?;
        let buffer = match ipc_buffer {
            None => None,
            Some(slot) => {
                let mut frame = self.typed(
                    OP,
                    slot,
                    "ipc buffer",
                    ObjectType::is_frame,
                    Sel4Error::IllegalOperation,
                )?;
                if frame.is_device {
                    return Err(err(
                        OP,
                        Sel4Error::IllegalOperation,
                        format!("the IPC buffer frame in slot {slot} is device memory"),
                    ));
                }
                if !is_aligned(ipc_buffer_vaddr, IPC_BUFFER_SIZE_BITS) {
                    return Err(err(
                        OP,
                        Sel4Error::AlignmentError,
                        format!(
                            "IPC buffer address {ipc_buffer_vaddr:#x} is not aligned to {} bytes",
                            1u32 << IPC_BUFFER_SIZE_BITS
                        ),
                    ));
                }
                frame.mapped = None;
                Some((ipc_buffer_vaddr, Cap::Object(frame)))
            }
        };
        let state = self.tcb_mut(OP, tcb)?;
        state.fault_ep = fault_ep;
        state.cspace = Some(Cap::Object(croot));
        state.vspace = Some(Cap::Object(vroot));
        state.ipc_buffer = buffer;
        Ok(())
    }

    /// `TCB_SetSchedParams` with the root task as authority (`checkPrio`): both values
    /// must be at most the authority's MCP ([`ROOT_TASK_MCP`] unless changed with
    /// [`KernelModel::set_authority_mcp`]), else RangeError.
    pub fn tcb_set_sched_params(
        &mut self,
        tcb: usize,
        max_priority: u8,
        priority: u8,
    ) -> Result<(), InvocationError> {
        const OP: &str = "TCB_SetSchedParams";
        let mcp = self.authority_mcp;
        if let Some(value) = [max_priority, priority].into_iter().find(|&v| v > mcp) {
            return Err(err(
                OP,
                Sel4Error::RangeError,
                format!("priority {value} exceeds the authority's MCP {mcp} (valid: 0..={mcp})"),
            ));
        }
        let state = self.tcb_mut(OP, tcb)?;
        state.max_priority = max_priority;
        state.priority = priority;
        Ok(())
    }

    /// Sets the MCP of the thread that invokes (the root task's is [`ROOT_TASK_MCP`]).
    pub fn set_authority_mcp(&mut self, mcp: u8) {
        self.authority_mcp = mcp;
    }

    /// `TCB_WriteRegisters` without resuming.
    pub fn tcb_write_registers(
        &mut self,
        tcb: usize,
        pc: u64,
        sp: u64,
        args: &[u64],
    ) -> Result<(), InvocationError> {
        const OP: &str = "TCB_WriteRegisters";
        let state = self.tcb_mut(OP, tcb)?;
        state.registers = Some((pc, sp, args.to_vec()));
        Ok(())
    }

    /// `TCB_BindNotification` (`decodeBindNotification`): the thread must have no bound
    /// notification (IllegalOperation), the cap must be a notification (InvalidCapability)
    /// with the receive right (IllegalOperation) and not bound to another thread.
    pub fn tcb_bind_notification(
        &mut self,
        tcb: usize,
        ntfn: usize,
    ) -> Result<(), InvocationError> {
        const OP: &str = "TCB_BindNotification";
        let tcb_kva = self.root_cap(OP, tcb, "tcb")?.kva();
        if self.tcb_mut(OP, tcb)?.bound_notification.is_some() {
            return Err(err(
                OP,
                Sel4Error::IllegalOperation,
                format!("the TCB in slot {tcb} already has a bound notification"),
            ));
        }
        let n = self.typed(
            OP,
            ntfn,
            "notification",
            |t| t == ObjectType::Notification,
            Sel4Error::InvalidCapability,
        )?;
        if !n.rights.read {
            return Err(err(
                OP,
                Sel4Error::IllegalOperation,
                format!("the notification cap in slot {ntfn} lacks the read (receive) right"),
            ));
        }
        match self.objects.get_mut(&n.kva) {
            Some(ObjectState::Notification { bound_tcb: Some(_) }) => {
                return Err(err(
                    OP,
                    Sel4Error::IllegalOperation,
                    format!("the notification in slot {ntfn} is already bound to a thread"),
                ))
            }
            Some(ObjectState::Notification { bound_tcb }) => *bound_tcb = Some(tcb_kva),
            _ => {}
        }
        self.tcb_mut(OP, tcb)?.bound_notification = Some(n.kva);
        Ok(())
    }

    /// `VCPU_SetTCB` (`decodeVCPUSetTCB`): a VCPU cap and a TCB cap (InvalidCapability);
    /// earlier bindings of either are dissolved.
    pub fn vcpu_set_tcb(&mut self, vcpu: usize, tcb: usize) -> Result<(), InvocationError> {
        const OP: &str = "VCPU_SetTCB";
        let v = self.typed(
            OP,
            vcpu,
            "vcpu",
            |t| t == ObjectType::Vcpu,
            Sel4Error::InvalidCapability,
        )?;
        let tcb_kva = self.root_cap(OP, tcb, "tcb")?.kva();
        let old_vcpu = self.tcb_mut(OP, tcb)?.vcpu;
        if let Some(Some(ObjectState::Vcpu { tcb: bound })) =
            old_vcpu.map(|k| self.objects.get_mut(&k))
        {
            *bound = None;
        }
        let old_tcb = match self.objects.get(&v.kva) {
            Some(ObjectState::Vcpu { tcb }) => *tcb,
            _ => None,
        };
        if let Some(Some(ObjectState::Tcb(t))) = old_tcb.map(|k| self.objects.get_mut(&k)) {
            t.vcpu = None;
        }
        if let Some(ObjectState::Vcpu { tcb }) = self.objects.get_mut(&v.kva) {
            *tcb = Some(tcb_kva);
        }
        self.tcb_mut(OP, tcb)?.vcpu = Some(v.kva);
        Ok(())
    }

    /// `TCB_Resume`. The kernel starts any stopped thread; the model refuses one
    /// without a CSpace or VSpace (IllegalOperation), which would only fault at once.
    pub fn tcb_resume(&mut self, tcb: usize) -> Result<(), InvocationError> {
        const OP: &str = "TCB_Resume";
        let state = self.tcb_mut(OP, tcb)?;
        if state.cspace.is_none() || state.vspace.is_none() {
            return Err(err(
                OP,
                Sel4Error::IllegalOperation,
                format!(
                    "the TCB in slot {tcb} has no CSpace or VSpace; configure it before resuming"
                ),
            ));
        }
        state.running = true;
        Ok(())
    }

    fn empty_dest(&self, op: &'static str, dest: usize) -> Result<(), InvocationError> {
        match self.slots.get(dest) {
            None => Err(err(
                op,
                Sel4Error::FailedLookup,
                format!(
                    "destination slot {dest} is outside the root CNode (0..{})",
                    self.slots.len()
                ),
            )),
            Some(Some(_)) => Err(err(
                op,
                Sel4Error::DeleteFirst,
                format!("destination slot {dest} is not empty"),
            )),
            Some(None) => Ok(()),
        }
    }

    /// `IRQControl_Get*` (`Arch_decodeIRQControlInvocation`): an interrupt that already
    /// has a handler is RevokeFirst, then the destination must be empty. `irq` is the
    /// CPU vector on x86_64 (I/O APIC pins and MSIs share it), the interrupt number on
    /// aarch64.
    pub fn irq_get(&mut self, irq: u32, dest: usize) -> Result<(), InvocationError> {
        const OP: &str = "IRQControl_Get";
        if self.irqs.contains_key(&irq) {
            return Err(err(
                OP,
                Sel4Error::RevokeFirst,
                format!("interrupt {irq} already has a handler"),
            ));
        }
        self.empty_dest(OP, dest)?;
        self.irqs.insert(irq, None);
        self.set_root(dest, Cap::IrqHandler(IrqHandlerCap { irq }));
        Ok(())
    }

    /// `IRQHandler_SetNotification` (`invokeIRQHandler` decode): the cap must be an IRQ
    /// handler (IllegalOperation), the notification cap must have the send right
    /// (InvalidCapability).
    pub fn irq_set_notification(
        &mut self,
        handler: usize,
        ntfn: usize,
    ) -> Result<(), InvocationError> {
        const OP: &str = "IRQHandler_SetNotification";
        let irq = match self.root_cap(OP, handler, "irq handler")? {
            Cap::IrqHandler(h) => h.irq,
            other => {
                return Err(err(
                    OP,
                    Sel4Error::IllegalOperation,
                    format!(
                        "slot {handler} holds a {} cap, not an IRQ handler",
                        other.kind_name()
                    ),
                ))
            }
        };
        let n = self.typed(
            OP,
            ntfn,
            "notification",
            |t| t == ObjectType::Notification,
            Sel4Error::InvalidCapability,
        )?;
        if !n.rights.write {
            return Err(err(
                OP,
                Sel4Error::InvalidCapability,
                format!("the notification cap in slot {ntfn} lacks the write (send) right"),
            ));
        }
        self.irqs.insert(
            irq,
            Some(IrqTarget {
                notification: n.kva,
                badge: n.badge,
            }),
        );
        Ok(())
    }

    /// `X86IOPortControl_Issue` (`decodeX86PortControlInvocation`): x86_64 only
    /// (IllegalOperation elsewhere); `last < first` is InvalidArgument; any port already
    /// issued is RevokeFirst; then the destination must be empty.
    pub fn ioports_issue(
        &mut self,
        first: u16,
        last: u16,
        dest: usize,
    ) -> Result<(), InvocationError> {
        const OP: &str = "IOPortControl_Issue";
        if self.arch != Arch::X86_64 {
            return Err(err(
                OP,
                Sel4Error::IllegalOperation,
                format!("{} has no I/O ports", self.arch),
            ));
        }
        if last < first {
            return Err(err(
                OP,
                Sel4Error::InvalidArgument,
                format!("last port {last:#x} is below first port {first:#x}"),
            ));
        }
        if let Some(&(a, b)) = self.ioports.iter().find(|&&(a, b)| a <= last && first <= b) {
            return Err(err(
                OP,
                Sel4Error::RevokeFirst,
                format!(
                    "ports {first:#x}..={last:#x} overlap {a:#x}..={b:#x}, which were already issued"
                ),
            ));
        }
        self.empty_dest(OP, dest)?;
        self.ioports.push((first, last));
        self.set_root(dest, Cap::IoPorts(IoPortsCap { first, last }));
        Ok(())
    }

    /// The cap in slot `index` of the CNode whose cap is in root slot `cnode`.
    pub fn cnode_slot(&self, cnode: usize, index: u64) -> Option<&Cap> {
        let kva = self.cap(cnode)?.as_object()?.kva;
        match self.objects.get(&kva) {
            Some(ObjectState::CNode { slots, .. }) => slots.get(&index),
            _ => None,
        }
    }

    /// The entry of the level-`level` table covering `vaddr` in the VSpace in root slot `vspace`.
    pub fn vspace_entry(&self, vspace: usize, level: u8, vaddr: u64) -> Option<&Entry> {
        let kva = self.cap(vspace)?.as_object()?.kva;
        let span = entry_span_bits(level);
        self.entries(kva)?.get(&(level, vaddr >> span << span))
    }

    /// The state of the thread in root slot `tcb`.
    pub fn tcb(&self, tcb: usize) -> Option<&TcbState> {
        let kva = self.cap(tcb)?.as_object()?.kva;
        match self.objects.get(&kva) {
            Some(ObjectState::Tcb(t)) => Some(t),
            _ => None,
        }
    }

    /// The notification interrupt `irq` signals, if it has a handler with one.
    pub fn irq_target(&self, irq: u32) -> Option<IrqTarget> {
        self.irqs.get(&irq).copied().flatten()
    }

    /// The state of the object at kernel-virtual address `kva`, if it has any.
    pub fn object_state(&self, kva: u64) -> Option<&ObjectState> {
        self.objects.get(&kva)
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
