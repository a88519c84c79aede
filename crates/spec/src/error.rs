//! Why a spec is refused: the object at fault, where in it a cap sits, and what is wrong.

use alloc::format;
use alloc::string::String;
use core::fmt;

use sysinit_kobj::{Arch, KernelConfig, SizeError, IPC_BUFFER_SIZE_BITS, WORD_BITS};

use crate::{ObjectId, Tcb};

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
    /// The object kind exists on the architecture, but not in the spec's kernel
    /// configuration (a vcpu without hypervisor support).
    NotInKernel {
        what: &'static str,
        kernel: KernelConfig,
    },
    /// No kernel configuration sysinit supports has this architecture and hypervisor setting.
    UnsupportedKernel { arch: Arch, hypervisor: bool },
    /// A size or radix the kernel would refuse.
    BadSize(SizeError),
    /// A frame size that is not a page size.
    BadFrameSize { size_bits: u8 },
    /// A physical address not aligned to the object's size.
    MisalignedPaddr { paddr: u64, size_bits: u8 },
    /// A physical range past what the kernel lets user space have.
    PaddrOutOfRange { paddr: u64, size_bits: u8, top: u64 },
    /// A frame or untyped marked device memory without a fixed physical address.
    DeviceWithoutPaddr { what: &'static str },
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
    /// Two I/O port objects sharing a port (the kernel issues each port once).
    OverlappingIoPorts {
        first: u16,
        last: u16,
        other: String,
    },
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

pub(crate) fn size_text(bits: u64) -> String {
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
            K::NotInKernel { what, kernel } => write!(
                f,
                "{what} does not exist in the {kernel} kernel configuration (it needs hypervisor support, kernel-config/aarch64.cmake)"
            ),
            K::UnsupportedKernel { arch, hypervisor } => write!(
                f,
                "no supported kernel configuration is {arch} with hypervisor support {}; supported: x86_64 (off), aarch64 (on, EL2), aarch64 (off, EL1)",
                if *hypervisor { "on" } else { "off" }
            ),
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
            K::DeviceWithoutPaddr { what } => write!(
                f,
                "the {what} is marked device memory but has no physical address; device memory \
                 exists only where the board has it, so give the {what} a \"paddr\" or mark it RAM \
                 (\"device\": false)"
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
            K::OverlappingIoPorts { first, last, other } => write!(
                f,
                "I/O ports {first:#x}..={last:#x} overlap those of \"{other}\"; the kernel issues \
                 each port once, so give every port to one I/O port object"
            ),
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
