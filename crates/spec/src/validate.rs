//! Consistency checks on a spec, and the address-space walk they share with consumers.
//!
//! Everything the root task relies on is checked here, so that it can treat a
//! decoded spec as trusted: references are in range and point at the right
//! kind of object, sizes exist on the architecture, slots fit their tables,
//! mappings stay below the top of user space and every page table hangs in
//! exactly one place.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use sysinit_kobj::{
    is_aligned, Arch, ObjectType, SizeError, IPC_BUFFER_SIZE_BITS, PAGE_TABLE_INDEX_BITS,
    PAGING_LEVELS, WORD_BITS,
};

use crate::object::entry_span_bits;
use crate::{Cap, FillContent, Frame, IrqSource, Object, ObjectId, Spec, Tcb};

/// An inconsistency in a spec: which object, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    /// Name of the object at fault (or `#index` when it has no usable name);
    /// `None` for problems of the spec as a whole.
    pub object: Option<String>,
    /// What is wrong.
    pub kind: SpecErrorKind,
}

/// Where in an object a cap sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapSite {
    /// Slot of a CNode, VSpace or page table.
    Slot(u32),
    /// A TCB's CSpace root.
    CSpace,
    /// A TCB's VSpace.
    VSpace,
    /// A TCB's IPC buffer frame.
    IpcBuffer,
    /// A TCB's bound notification.
    BoundNotification,
    /// A TCB's VCPU.
    Vcpu,
    /// The notification an IRQ signals.
    IrqNotification,
}

impl fmt::Display for CapSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapSite::Slot(i) => write!(f, "the cap in slot {i}"),
            CapSite::CSpace => f.write_str("the cspace cap"),
            CapSite::VSpace => f.write_str("the vspace cap"),
            CapSite::IpcBuffer => f.write_str("the ipc buffer cap"),
            CapSite::BoundNotification => f.write_str("the bound notification cap"),
            CapSite::Vcpu => f.write_str("the vcpu cap"),
            CapSite::IrqNotification => f.write_str("the notification cap"),
        }
    }
}

/// What is wrong; see [`SpecError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecErrorKind {
    /// More objects than an [`ObjectId`] can number.
    TooManyObjects { count: usize },
    /// An object has an empty name.
    EmptyName,
    /// Two objects share a name.
    DuplicateName { first: ObjectId },
    /// The object kind, or this form of it, does not exist on the spec's architecture.
    NotOnArch { what: &'static str, arch: Arch },
    /// A size or radix the kernel would refuse.
    BadSize(SizeError),
    /// A frame size that is not a page size.
    BadFrameSize { size_bits: u8 },
    /// A physical address not aligned to the object's size.
    MisalignedPaddr { paddr: u64, size_bits: u8 },
    /// A physical range past what the kernel lets user space have.
    PaddrOutOfRange { paddr: u64, size_bits: u8, top: u64 },
    /// A page-table level outside 1..=3.
    BadTableLevel { level: u8 },
    /// A slot index past the end of a CNode or table.
    SlotOutOfRange { slot: u32, slots: u64 },
    /// Slots listed out of order or twice.
    SlotsNotAscending { slot: u32, previous: u32 },
    /// A cap to an object id that does not exist.
    DanglingCap {
        site: CapSite,
        target: ObjectId,
        objects: usize,
    },
    /// A cap to the wrong kind of object for where it sits.
    WrongCapTarget {
        site: CapSite,
        target: String,
        found: &'static str,
        expected: String,
    },
    /// A cap attribute that makes no sense for its target.
    BadCapAttribute {
        site: CapSite,
        target: String,
        problem: &'static str,
    },
    /// A CNode guard that does not fit its size, or a guard that makes the CSpace deeper than a word.
    BadGuard {
        site: CapSite,
        guard: u64,
        guard_size: u8,
        radix: u8,
    },
    /// A frame mapped without the read right (it would be kernel-only).
    UnreadableMapping { site: CapSite, target: String },
    /// A mapping at or past the end of user virtual memory.
    MappingAboveUserTop {
        site: CapSite,
        vaddr: u64,
        end: u64,
        user_end: u64,
    },
    /// A page table that hangs in two places (the kernel maps a table only once).
    TableMappedTwice { table: String, first_parent: String },
    /// A fill entry reaching past the end of its frame.
    FillOutOfFrame {
        offset: u64,
        len: u64,
        frame_size: u64,
    },
    /// Fill entries out of order or overlapping.
    FillOverlap { offset: u64, previous_end: u64 },
    /// A fill entry pointing past the end of the blob.
    FillOutsideBlob { start: u64, len: u64, blob_len: u64 },
    /// Too many initial argument registers.
    TooManyArgs { count: usize },
    /// An IPC buffer address not aligned to `2^IPC_BUFFER_SIZE_BITS`.
    MisalignedIpcBuffer { vaddr: u64 },
    /// An IPC buffer whose frame is not mapped at its address in the thread's VSpace.
    IpcBufferNotMapped {
        vaddr: u64,
        frame: String,
        vspace: String,
    },
    /// A fault endpoint CPtr that does not resolve to an endpoint cap.
    BadFaultEndpoint { cptr: u64, problem: String },
    /// An I/O port range whose first port is after its last.
    ReversedIoPorts { first: u16, last: u16 },
    /// Two IRQ objects for the same interrupt or vector.
    DuplicateIrq { what: String, other: String },
    /// (Builder) An object id that does not exist.
    UnknownObject { id: ObjectId },
    /// (Builder) Slots set on an object that has none.
    NoSlots { found: &'static str },
    /// (Builder) A mapping of something that is not a frame.
    NotAFrame { target: String, found: &'static str },
    /// (Builder) A virtual address not aligned to the frame's size.
    MisalignedVaddr { vaddr: u64, size_bits: u8 },
    /// (Builder) A virtual address already taken by another mapping.
    MappingConflict { vaddr: u64, existing: String },
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(object) = &self.object {
            write!(f, "object \"{object}\": ")?;
        }
        fmt::Display::fmt(&self.kind, f)
    }
}

impl core::error::Error for SpecError {}

fn size_text(bits: u64) -> String {
    match bits {
        0..=9 => format!("{} B", 1u64 << bits),
        10..=19 => format!("{} KiB", 1u64 << (bits - 10)),
        20..=29 => format!("{} MiB", 1u64 << (bits - 20)),
        30..=39 => format!("{} GiB", 1u64 << (bits - 30)),
        40..=63 => format!("{} TiB", 1u64 << (bits - 40)),
        _ => format!("2^{bits} B"),
    }
}

impl fmt::Display for SpecErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SpecErrorKind as K;
        match self {
            K::TooManyObjects { count } => {
                write!(f, "the spec has {count} objects; at most {} fit an object id", u32::MAX)
            }
            K::EmptyName => f.write_str("the name is empty; every object needs a unique name"),
            K::DuplicateName { first } => {
                write!(f, "the name is already used by object {first}; names must be unique")
            }
            K::NotOnArch { what, arch } => write!(f, "{what} does not exist on {arch}"),
            K::BadSize(e) => write!(f, "{e}"),
            K::BadFrameSize { size_bits } => write!(
                f,
                "frame size_bits {size_bits} is not a page size (valid: 12 for 4 KiB, 21 for 2 MiB, 30 for 1 GiB)"
            ),
            K::MisalignedPaddr { paddr, size_bits } => write!(
                f,
                "physical address {paddr:#x} is not aligned to the object's size of {}",
                size_text(u64::from(*size_bits))
            ),
            K::PaddrOutOfRange { paddr, size_bits, top } => write!(
                f,
                "physical range of {} at {paddr:#x} ends past {top:#x}, the top of memory user space may have",
                size_text(u64::from(*size_bits))
            ),
            K::BadTableLevel { level } => {
                write!(f, "page table level {level} does not exist (valid: 1, 2, 3; level 0 is the vspace)")
            }
            K::SlotOutOfRange { slot, slots } => {
                write!(f, "slot {slot} is out of range (valid: 0..={})", slots.saturating_sub(1))
            }
            K::SlotsNotAscending { slot, previous } => write!(
                f,
                "slot {slot} is listed after slot {previous}; list slots once each, in ascending order"
            ),
            K::DanglingCap { site, target, objects } => write!(
                f,
                "{site} refers to object {target}, but the spec has only {objects} objects"
            ),
            K::WrongCapTarget { site, target, found, expected } => {
                write!(f, "{site} points at \"{target}\" ({found}), but must point at {expected}")
            }
            K::BadCapAttribute { site, target, problem } => {
                write!(f, "{site} (to \"{target}\") {problem}")
            }
            K::BadGuard { site, guard, guard_size, radix } => write!(
                f,
                "{site} has guard {guard:#x} of {guard_size} bits for a CNode of radix {radix}; \
                 the guard must fit its size and guard size plus radix must be at most {WORD_BITS}"
            ),
            K::UnreadableMapping { site, target } => write!(
                f,
                "{site} maps \"{target}\" without the read right; mappings need at least \"read\""
            ),
            K::MappingAboveUserTop { site, vaddr, end, user_end } => write!(
                f,
                "{site} maps [{vaddr:#x}..{end:#x}), past the end of user virtual memory at {user_end:#x}"
            ),
            K::TableMappedTwice { table, first_parent } => write!(
                f,
                "page table \"{table}\" is also mapped by \"{first_parent}\"; a table can be mapped in one place only"
            ),
            K::FillOutOfFrame { offset, len, frame_size } => write!(
                f,
                "fill of {len} bytes at offset {offset:#x} reaches past the frame's {frame_size:#x} bytes"
            ),
            K::FillOverlap { offset, previous_end } => write!(
                f,
                "fill at offset {offset:#x} starts before the previous fill ends at {previous_end:#x}; \
                 list fills in ascending, non-overlapping order"
            ),
            K::FillOutsideBlob { start, len, blob_len } => write!(
                f,
                "fill takes {len} blob bytes from {start:#x}, but the blob has {blob_len:#x} bytes"
            ),
            K::TooManyArgs { count } => {
                write!(f, "{count} argument registers given; at most {} are supported", Tcb::MAX_ARGS)
            }
            K::MisalignedIpcBuffer { vaddr } => write!(
                f,
                "ipc buffer address {vaddr:#x} is not aligned to {} bytes",
                1u32 << IPC_BUFFER_SIZE_BITS
            ),
            K::IpcBufferNotMapped { vaddr, frame, vspace } => write!(
                f,
                "ipc buffer frame \"{frame}\" is not mapped at {vaddr:#x} in vspace \"{vspace}\""
            ),
            K::BadFaultEndpoint { cptr, problem } => {
                write!(f, "fault endpoint cptr {cptr:#x} does not resolve to an endpoint cap: {problem}")
            }
            K::ReversedIoPorts { first, last } => {
                write!(f, "I/O port range {first:#x}..={last:#x} is empty (first is after last)")
            }
            K::DuplicateIrq { what, other } => write!(f, "{what} is also claimed by \"{other}\""),
            K::UnknownObject { id } => write!(f, "object {id} does not exist"),
            K::NoSlots { found } => {
                write!(f, "it is a {found}; only cnodes, vspaces and page tables have slots")
            }
            K::NotAFrame { target, found } => {
                write!(f, "\"{target}\" is a {found}; only frames can be mapped")
            }
            K::MisalignedVaddr { vaddr, size_bits } => write!(
                f,
                "virtual address {vaddr:#x} is not aligned to the frame's size of {}",
                size_text(u64::from(*size_bits))
            ),
            K::MappingConflict { vaddr, existing } => write!(
                f,
                "mapping at {vaddr:#x} collides with \"{existing}\" already in that entry"
            ),
        }
    }
}

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

const TABLE_ENTRIES: u64 = 1 << PAGE_TABLE_INDEX_BITS;

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

    /// Checks the whole spec; see the module documentation of what is checked.
    pub fn validate(&self) -> Result<(), SpecError> {
        self.validate_with_blob_len(self.blob.len() as u64)
    }

    /// [`Spec::validate`] for a spec whose blob lives elsewhere and is `blob_len` bytes long.
    pub(crate) fn validate_with_blob_len(&self, blob_len: u64) -> Result<(), SpecError> {
        if u32::try_from(self.objects.len()).is_err() {
            return Err(SpecError {
                object: None,
                kind: SpecErrorKind::TooManyObjects {
                    count: self.objects.len(),
                },
            });
        }
        self.check_names()?;
        let mut irqs = IrqClaims::default();
        for (id, named) in self.iter() {
            let checker = Checker { spec: self, id };
            checker
                .check_object(&named.object, blob_len)
                .map_err(|kind| checker.error(kind))?;
            if let Object::Irq(irq) = &named.object {
                irqs.claim(&irq.source, id).map_err(|(what, other)| {
                    checker.error(SpecErrorKind::DuplicateIrq {
                        what,
                        other: self.label(other),
                    })
                })?;
            }
        }
        self.check_tables_mapped_once()?;
        // These walk address spaces, so they need the tables checked first.
        for (id, named) in self.iter() {
            match &named.object {
                Object::VSpace(_) => self.check_user_range(id)?,
                Object::Tcb(tcb) => {
                    let checker = Checker { spec: self, id };
                    checker
                        .check_ipc_buffer_mapped(tcb)
                        .map_err(|kind| checker.error(kind))?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// How an object is called in errors: its name, or `#index` if it has none.
    fn label(&self, id: ObjectId) -> String {
        match self.get(id) {
            Some(o) if !o.name.is_empty() => o.name.clone(),
            _ => format!("{id}"),
        }
    }

    fn check_names(&self) -> Result<(), SpecError> {
        // Sorting ids by name finds duplicates in O(n log n) without a hash map (no_std).
        let mut order: Vec<u32> = (0..self.objects.len() as u32).collect();
        order.sort_by(|&a, &b| {
            self.objects[a as usize]
                .name
                .cmp(&self.objects[b as usize].name)
                .then(a.cmp(&b))
        });
        for (i, &id) in order.iter().enumerate() {
            let name = &self.objects[id as usize].name;
            if name.is_empty() {
                return Err(SpecError {
                    object: Some(self.label(ObjectId(id))),
                    kind: SpecErrorKind::EmptyName,
                });
            }
            if let Some(&prev) = i.checked_sub(1).and_then(|p| order.get(p)) {
                if self.objects[prev as usize].name == *name {
                    return Err(SpecError {
                        object: Some(name.clone()),
                        kind: SpecErrorKind::DuplicateName {
                            first: ObjectId(prev),
                        },
                    });
                }
            }
        }
        Ok(())
    }

    /// Every entry of the address space must lie below the end of user virtual
    /// memory: the kernel refuses to map a table at or past it, or a frame
    /// reaching past it.
    fn check_user_range(&self, vspace: ObjectId) -> Result<(), SpecError> {
        let user_end = self.arch.user_vaddr_end();
        for m in self.vspace_mappings(vspace) {
            // size_bits <= 39, so neither the shift nor the sum can overflow.
            let end = m.vaddr + (1u64 << m.size_bits());
            let fits = if m.is_frame {
                end <= user_end
            } else {
                m.vaddr < user_end
            };
            if !fits {
                return Err(SpecError {
                    object: Some(self.label(m.table)),
                    kind: SpecErrorKind::MappingAboveUserTop {
                        site: CapSite::Slot(m.slot),
                        vaddr: m.vaddr,
                        end,
                        user_end,
                    },
                });
            }
        }
        Ok(())
    }

    fn check_tables_mapped_once(&self) -> Result<(), SpecError> {
        // parent[i]: the table that already holds a cap to page table i.
        let mut parent: Vec<Option<ObjectId>> = vec![None; self.objects.len()];
        for (id, named) in self.iter() {
            for (_, cap) in named.object.table_slots() {
                // Slot caps were checked: a table entry holds a frame or a page table.
                if let Some(Object::PageTable(_)) = self.get(cap.object).map(|o| &o.object) {
                    let seen = &mut parent[cap.object.index()];
                    if let Some(first) = *seen {
                        return Err(SpecError {
                            object: Some(self.label(id)),
                            kind: SpecErrorKind::TableMappedTwice {
                                table: self.label(cap.object),
                                first_parent: self.label(first),
                            },
                        });
                    }
                    *seen = Some(id);
                }
            }
        }
        Ok(())
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
fn mask(bits: u32) -> u64 {
    1u64.checked_shl(bits).map_or(u64::MAX, |b| b - 1)
}

/// Interrupts and vectors already claimed, to catch two objects for one source.
#[derive(Default)]
struct IrqClaims {
    arm: Vec<(u32, ObjectId)>,
    pins: Vec<((u32, u32), ObjectId)>,
    vectors: Vec<(u32, ObjectId)>,
    msis: Vec<((u8, u8, u8, u64), ObjectId)>,
}

impl IrqClaims {
    /// Records `source` for `id`; on a clash, what clashed and the object that claimed it first.
    fn claim(&mut self, source: &IrqSource, id: ObjectId) -> Result<(), (String, ObjectId)> {
        fn take<K: PartialEq + Copy>(
            list: &mut Vec<(K, ObjectId)>,
            key: K,
            id: ObjectId,
            what: impl FnOnce() -> String,
        ) -> Result<(), (String, ObjectId)> {
            if let Some(&(_, other)) = list.iter().find(|(k, _)| *k == key) {
                return Err((what(), other));
            }
            list.push((key, id));
            Ok(())
        }
        let result = match *source {
            IrqSource::Arm { irq, .. } => {
                take(&mut self.arm, irq, id, || format!("interrupt {irq}"))
            }
            IrqSource::IoApic {
                ioapic,
                pin,
                vector,
                ..
            } => take(&mut self.pins, (ioapic, pin), id, || {
                format!("I/O APIC {ioapic} pin {pin}")
            })
            .and_then(|()| take(&mut self.vectors, vector, id, || format!("vector {vector}"))),
            IrqSource::Msi {
                pci_bus,
                pci_dev,
                pci_func,
                handle,
                vector,
            } => take(
                &mut self.msis,
                (pci_bus, pci_dev, pci_func, handle),
                id,
                || format!("MSI {pci_bus:02x}:{pci_dev:02x}.{pci_func} handle {handle}"),
            )
            .and_then(|()| take(&mut self.vectors, vector, id, || format!("vector {vector}"))),
        };
        result
    }
}

/// Checks one object; errors are reported against it.
struct Checker<'a> {
    spec: &'a Spec,
    id: ObjectId,
}

type Check = Result<(), SpecErrorKind>;

impl Checker<'_> {
    fn error(&self, kind: SpecErrorKind) -> SpecError {
        SpecError {
            object: Some(self.spec.label(self.id)),
            kind,
        }
    }

    fn arch(&self) -> Arch {
        self.spec.arch
    }

    fn check_object(&self, object: &Object, blob_len: u64) -> Check {
        let arch = self.arch();
        match object {
            Object::Untyped(u) => {
                ObjectType::Untyped
                    .size_bits(arch, u.size_bits)
                    .map_err(SpecErrorKind::BadSize)?;
                if let Some(paddr) = u.paddr {
                    self.check_paddr(paddr, u.size_bits)?;
                }
            }
            Object::Endpoint | Object::Notification | Object::AsidPool => {}
            Object::Vcpu => {
                if !ObjectType::Vcpu.exists_on(arch) {
                    return Err(SpecErrorKind::NotOnArch {
                        what: "a vcpu",
                        arch,
                    });
                }
            }
            Object::CNode(c) => {
                ObjectType::CNode
                    .size_bits(arch, c.radix)
                    .map_err(SpecErrorKind::BadSize)?;
                // radix <= 42 here, so the shift is in range.
                self.check_slots(&c.slots, 1u64 << c.radix, |site, cap| {
                    self.check_cap(site, cap, &[])
                })?;
            }
            Object::Tcb(tcb) => self.check_tcb(tcb)?,
            Object::Frame(f) => self.check_frame(f, blob_len)?,
            Object::VSpace(t) => self.check_table(0, &t.slots)?,
            Object::PageTable(t) => {
                if !(1..PAGING_LEVELS).contains(&t.level) {
                    return Err(SpecErrorKind::BadTableLevel { level: t.level });
                }
                self.check_table(t.level, &t.slots)?;
            }
            Object::Irq(irq) => {
                let on_arch = match irq.source {
                    IrqSource::Arm { .. } => arch == Arch::Aarch64,
                    IrqSource::IoApic { .. } | IrqSource::Msi { .. } => arch == Arch::X86_64,
                };
                if !on_arch {
                    let what = match irq.source {
                        IrqSource::Arm { .. } => "a GIC interrupt",
                        IrqSource::IoApic { .. } => "an I/O APIC interrupt",
                        IrqSource::Msi { .. } => "an MSI interrupt",
                    };
                    return Err(SpecErrorKind::NotOnArch { what, arch });
                }
                if let Some(cap) = &irq.notification {
                    self.check_cap(CapSite::IrqNotification, cap, &[Want::Notification])?;
                }
            }
            Object::IoPorts(p) => {
                if arch != Arch::X86_64 {
                    return Err(SpecErrorKind::NotOnArch {
                        what: "an I/O port range",
                        arch,
                    });
                }
                if p.first > p.last {
                    return Err(SpecErrorKind::ReversedIoPorts {
                        first: p.first,
                        last: p.last,
                    });
                }
            }
        }
        Ok(())
    }

    fn check_paddr(&self, paddr: u64, size_bits: u8) -> Check {
        if !is_aligned(paddr, size_bits) {
            return Err(SpecErrorKind::MisalignedPaddr { paddr, size_bits });
        }
        let top = self.arch().kernel_window().paddr_user_device_top;
        let fits = 1u64
            .checked_shl(u32::from(size_bits))
            .and_then(|size| paddr.checked_add(size))
            .is_some_and(|end| end <= top);
        if !fits {
            return Err(SpecErrorKind::PaddrOutOfRange {
                paddr,
                size_bits,
                top,
            });
        }
        Ok(())
    }

    fn check_frame(&self, frame: &Frame, blob_len: u64) -> Check {
        if !self.arch().frame_size_bits().contains(&frame.size_bits) {
            return Err(SpecErrorKind::BadFrameSize {
                size_bits: frame.size_bits,
            });
        }
        if let Some(paddr) = frame.paddr {
            self.check_paddr(paddr, frame.size_bits)?;
        }
        let frame_size = 1u64 << frame.size_bits;
        let mut previous_end = 0;
        for entry in &frame.fill {
            let len = entry.len();
            let end = entry
                .offset
                .checked_add(len)
                .filter(|&end| end <= frame_size);
            let Some(end) = end else {
                return Err(SpecErrorKind::FillOutOfFrame {
                    offset: entry.offset,
                    len,
                    frame_size,
                });
            };
            if entry.offset < previous_end {
                return Err(SpecErrorKind::FillOverlap {
                    offset: entry.offset,
                    previous_end,
                });
            }
            previous_end = end;
            if let FillContent::Blob { start, len } = entry.content {
                if start
                    .checked_add(len)
                    .is_none_or(|blob_end| blob_end > blob_len)
                {
                    return Err(SpecErrorKind::FillOutsideBlob {
                        start,
                        len,
                        blob_len,
                    });
                }
            }
        }
        Ok(())
    }

    fn check_table(&self, level: u8, slots: &[(u32, Cap)]) -> Check {
        let wants: &[Want] = match level {
            0 => &[Want::Table(1)],
            3 => &[Want::Frame(entry_span_bits(3))],
            l => &[Want::Table(l + 1), Want::Frame(entry_span_bits(l))],
        };
        self.check_slots(slots, TABLE_ENTRIES, |site, cap| {
            self.check_cap(site, cap, wants)?;
            if let Some(Object::Frame(_)) = self.spec.get(cap.object).map(|o| &o.object) {
                if !cap.rights.read {
                    return Err(SpecErrorKind::UnreadableMapping {
                        site,
                        target: self.spec.label(cap.object),
                    });
                }
            }
            Ok(())
        })?;
        Ok(())
    }

    fn check_slots(
        &self,
        slots: &[(u32, Cap)],
        capacity: u64,
        mut each: impl FnMut(CapSite, &Cap) -> Check,
    ) -> Check {
        let mut previous: Option<u32> = None;
        for &(slot, ref cap) in slots {
            if u64::from(slot) >= capacity {
                return Err(SpecErrorKind::SlotOutOfRange {
                    slot,
                    slots: capacity,
                });
            }
            if let Some(previous) = previous.filter(|&p| p >= slot) {
                return Err(SpecErrorKind::SlotsNotAscending { slot, previous });
            }
            previous = Some(slot);
            each(CapSite::Slot(slot), cap)?;
        }
        Ok(())
    }

    fn check_tcb(&self, tcb: &Tcb) -> Check {
        self.check_cap(CapSite::CSpace, &tcb.cspace, &[Want::CNode])?;
        self.check_cap(CapSite::VSpace, &tcb.vspace, &[Want::VSpace])?;
        if let Some(ipc) = &tcb.ipc_buffer {
            self.check_cap(CapSite::IpcBuffer, &ipc.frame, &[Want::AnyFrame])?;
            if !is_aligned(ipc.vaddr, IPC_BUFFER_SIZE_BITS) {
                return Err(SpecErrorKind::MisalignedIpcBuffer { vaddr: ipc.vaddr });
            }
        }
        if let Some(cap) = &tcb.bound_notification {
            self.check_cap(CapSite::BoundNotification, cap, &[Want::Notification])?;
        }
        if let Some(cap) = &tcb.vcpu {
            self.check_cap(CapSite::Vcpu, cap, &[Want::Vcpu])?;
        }
        if tcb.args.len() > Tcb::MAX_ARGS {
            return Err(SpecErrorKind::TooManyArgs {
                count: tcb.args.len(),
            });
        }
        if let Some(cptr) = tcb.fault_endpoint {
            match self.spec.resolve_cptr(&tcb.cspace, cptr) {
                Ok(Some(cap))
                    if matches!(
                        self.spec.get(cap.object).map(|o| &o.object),
                        Some(Object::Endpoint)
                    ) => {}
                Ok(Some(cap)) => {
                    let problem = format!("it finds a cap to \"{}\"", self.spec.label(cap.object));
                    return Err(SpecErrorKind::BadFaultEndpoint { cptr, problem });
                }
                Ok(None) => {
                    return Err(SpecErrorKind::BadFaultEndpoint {
                        cptr,
                        problem: String::from("the slot is empty"),
                    });
                }
                Err(problem) => return Err(SpecErrorKind::BadFaultEndpoint { cptr, problem }),
            }
        }
        Ok(())
    }

    /// The IPC buffer's frame must be mapped where the buffer is (needs consistent tables).
    fn check_ipc_buffer_mapped(&self, tcb: &Tcb) -> Check {
        let Some(ipc) = &tcb.ipc_buffer else {
            return Ok(());
        };
        let mapped = self
            .spec
            .vspace_mappings(tcb.vspace.object)
            .iter()
            .any(|m| {
                m.is_frame
                    && m.cap.object == ipc.frame.object
                    && ipc.vaddr.wrapping_sub(m.vaddr) < 1u64 << m.size_bits()
            });
        if !mapped {
            return Err(SpecErrorKind::IpcBufferNotMapped {
                vaddr: ipc.vaddr,
                frame: self.spec.label(ipc.frame.object),
                vspace: self.spec.label(tcb.vspace.object),
            });
        }
        Ok(())
    }

    /// Checks a cap's target exists and is one of `wants` (any object if empty),
    /// that its attributes fit the target, and, in a table, that it maps below the user top.
    fn check_cap(&self, site: CapSite, cap: &Cap, wants: &[Want]) -> Check {
        let Some(target) = self.spec.get(cap.object) else {
            return Err(SpecErrorKind::DanglingCap {
                site,
                target: cap.object,
                objects: self.spec.objects.len(),
            });
        };
        let object = &target.object;
        if !wants.is_empty() && !wants.iter().any(|w| w.accepts(object)) {
            let expected: Vec<String> = wants.iter().map(Want::describe).collect();
            return Err(SpecErrorKind::WrongCapTarget {
                site,
                target: self.spec.label(cap.object),
                found: object.kind(),
                expected: expected.join(" or "),
            });
        }
        let bad = |problem| {
            Err(SpecErrorKind::BadCapAttribute {
                site,
                target: self.spec.label(cap.object),
                problem,
            })
        };
        if cap.badge != 0 && !matches!(object, Object::Endpoint | Object::Notification) {
            return bad("has a badge, but only endpoint and notification caps carry one");
        }
        if !cap.cached && !matches!(object, Object::Frame(_)) {
            return bad("is marked uncached, but only frame caps have a cache attribute");
        }
        match object {
            Object::CNode(c) => {
                let fits = cap.guard & !mask(u32::from(cap.guard_size)) == 0
                    && u32::from(cap.guard_size) + u32::from(c.radix) <= u32::from(WORD_BITS);
                if !fits {
                    return Err(SpecErrorKind::BadGuard {
                        site,
                        guard: cap.guard,
                        guard_size: cap.guard_size,
                        radix: c.radix,
                    });
                }
            }
            _ if cap.guard != 0 || cap.guard_size != 0 => {
                return bad("has a guard, but only CNode caps carry one");
            }
            _ => {}
        }
        Ok(())
    }
}

/// A kind of object a cap must point at.
#[derive(Clone, Copy)]
enum Want {
    CNode,
    VSpace,
    Notification,
    Vcpu,
    AnyFrame,
    /// A page table of this level.
    Table(u8),
    /// A frame of this many size bits.
    Frame(u8),
}

impl Want {
    fn accepts(self, object: &Object) -> bool {
        match (self, object) {
            (Want::CNode, Object::CNode(_))
            | (Want::VSpace, Object::VSpace(_))
            | (Want::Notification, Object::Notification)
            | (Want::Vcpu, Object::Vcpu)
            | (Want::AnyFrame, Object::Frame(_)) => true,
            (Want::Table(level), Object::PageTable(t)) => t.level == level,
            (Want::Frame(bits), Object::Frame(f)) => f.size_bits == bits,
            _ => false,
        }
    }

    fn describe(&self) -> String {
        match *self {
            Want::CNode => String::from("a cnode"),
            Want::VSpace => String::from("a vspace"),
            Want::Notification => String::from("a notification"),
            Want::Vcpu => String::from("a vcpu"),
            Want::AnyFrame => String::from("a frame"),
            Want::Table(level) => format!("a level-{level} page_table"),
            Want::Frame(bits) => format!("a {} frame", size_text(u64::from(bits))),
        }
    }
}
