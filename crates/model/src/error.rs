//! Error types of the model: bad boot memory descriptions, refused retypes, bad slot operations.

use sysinit_kobj::{Arch, ObjectType, PhysRange, MIN_UNTYPED_BITS};
use thiserror::Error;

/// Which list of a [`crate::BootMemory`] a range came from, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryList {
    /// `BootMemory::reserved`.
    Reserved,
    /// `BootMemory::boot_reuse`.
    BootReuse,
    /// `BootMemory::free_ram`.
    FreeRam,
}

impl core::fmt::Display for MemoryList {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            MemoryList::Reserved => "reserved",
            MemoryList::BootReuse => "boot_reuse",
            MemoryList::FreeRam => "free_ram",
        })
    }
}

/// A [`crate::BootMemory`] the kernel could never have produced.
///
/// Each variant names the offending range so the board description can be fixed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BootMemoryError {
    /// A range ends before it starts.
    #[error("{list}[{index}] = {range} ends before it starts; a range is [start..end) with start <= end")]
    Inverted {
        /// The list holding the range.
        list: MemoryList,
        /// Position in that list (0 for `boot_reuse`).
        index: usize,
        /// The range itself.
        range: PhysRange,
    },
    /// A reserved range starts before the previous one ends.
    #[error(
        "reserved[{index}] = {range} starts before the previous reserved range {previous} \
         ends; reserved ranges must be sorted by address and must not overlap"
    )]
    ReservedOutOfOrder {
        /// Position of the offending range in `reserved` (always at least 1).
        index: usize,
        /// The offending range.
        range: PhysRange,
        /// The range before it.
        previous: PhysRange,
    },
    /// RAM handed out as normal untyped is not inside the reserved (non-device) ranges,
    /// so the kernel would also hand it out as device untyped.
    #[error(
        "{list}[{index}] = {range} is not inside the reserved ranges; every RAM range \
         given out as untyped must also be listed (or covered) in `reserved`"
    )]
    NotReserved {
        /// The list holding the range.
        list: MemoryList,
        /// Position in that list (0 for `boot_reuse`).
        index: usize,
        /// The range itself.
        range: PhysRange,
    },
    /// Two RAM ranges that become normal untypeds share bytes, so the same memory
    /// would be handed out twice.
    #[error("{list}[{index}] = {range} overlaps {other_list}[{other_index}] = {other}; RAM may be given out only once")]
    RamOverlap {
        /// The list holding the later range.
        list: MemoryList,
        /// Its position (0 for `boot_reuse`).
        index: usize,
        /// The later range.
        range: PhysRange,
        /// The list holding the earlier range.
        other_list: MemoryList,
        /// Its position (0 for `boot_reuse`).
        other_index: usize,
        /// The earlier range.
        other: PhysRange,
    },
    /// A RAM range reaches beyond the kernel window, where the kernel cannot use it as
    /// normal memory.
    #[error(
        "{list}[{index}] = {range} is outside the kernel window: RAM given out as normal \
         untyped must end at or below {paddr_top:#x} (memory above is device memory)"
    )]
    OutsideKernelWindow {
        /// The list holding the range.
        list: MemoryList,
        /// Position in that list (0 for `boot_reuse`).
        index: usize,
        /// The range itself.
        range: PhysRange,
        /// The arch's `paddr_top`.
        paddr_top: u64,
    },
}

/// Why `Untyped_Retype` was refused: the seL4 error code and the data the kernel reports with it.
///
/// The variants are checked in the order `decodeUntypedInvocation` checks them, so
/// the model returns the same error the kernel would when several things are wrong.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RetypeError {
    /// `seL4_InvalidCapability`: the invoked slot holds no untyped capability.
    #[error("slot {slot} holds no untyped capability (empty, out of range, or another object); retype needs an untyped")]
    InvalidCapability {
        /// The source slot given.
        slot: usize,
    },
    /// `seL4_InvalidArgument`: argument 0 is the object type, argument 1 its size
    /// (the kernel also blames argument 1 for a kernel object asked of device memory).
    #[error("invalid argument {argument}: {problem}")]
    InvalidArgument {
        /// Which syscall argument the kernel blames (`invalidArgumentNumber`).
        argument: u8,
        /// What is wrong, in the model's words.
        problem: ArgumentProblem,
    },
    /// `seL4_RangeError`: a size, a fan-out or a destination window out of bounds.
    #[error("{what} is out of range: valid is {min}..={max}")]
    RangeError {
        /// `rangeErrorMin`.
        min: u64,
        /// `rangeErrorMax`.
        max: u64,
        /// Which value the kernel range-checked.
        what: RangeChecked,
    },
    /// `seL4_DeleteFirst`: a destination slot is occupied.
    #[error(
        "destination slot {slot} is not empty; delete its capability first or choose free slots"
    )]
    DeleteFirst {
        /// The first occupied slot of the destination window.
        slot: usize,
    },
    /// `seL4_NotEnoughMemory`: the untyped's free bytes (before alignment) cannot hold the objects.
    #[error(
        "untyped in slot {slot} has {memory_left:#x} free bytes, too few for {count} objects \
         of 2^{object_size_bits} bytes"
    )]
    NotEnoughMemory {
        /// `memoryLeft`: free bytes after the watermark, before aligning.
        memory_left: u64,
        /// The source slot.
        slot: usize,
        /// Objects asked for.
        count: u32,
        /// log2 of each object's size.
        object_size_bits: u8,
    },
}

/// What the kernel found wrong with an argument, for [`RetypeError::InvalidArgument`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum ArgumentProblem {
    /// The type is not one of this architecture's object types.
    #[error("object type {ty} does not exist on {arch}")]
    TypeNotOnArch {
        /// The type asked for.
        ty: ObjectType,
        /// The model's architecture.
        arch: Arch,
    },
    /// A CNode needs at least two slots.
    #[error("cnode radix 0 is too small (at least 1)")]
    CNodeRadixZero,
    /// An untyped smaller than the watermark unit cannot exist.
    #[error("untyped size {size_bits} bits is below the minimum of {MIN_UNTYPED_BITS} bits")]
    UntypedTooSmall {
        /// The size asked for.
        size_bits: u8,
    },
    /// Device memory is never zeroed by the kernel, so it only holds frames and untypeds.
    #[error("{ty} cannot be created from a device untyped; only frames and untypeds can")]
    KernelObjectInDeviceMemory {
        /// The type asked for.
        ty: ObjectType,
    },
}

/// Which value a [`RetypeError::RangeError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum RangeChecked {
    /// The object's size in bits (or the size argument, which must stay below 64).
    #[error("size of {ty} with size argument {size_arg}")]
    ObjectSize {
        /// The type asked for.
        ty: ObjectType,
        /// The size argument given.
        size_arg: u8,
    },
    /// The first destination slot.
    #[error("destination slot {dest_first}")]
    DestinationOffset {
        /// The first destination slot given.
        dest_first: usize,
    },
    /// The number of objects (`CONFIG_RETYPE_FAN_OUT_LIMIT` bounds it).
    #[error("object count {count}")]
    FanOut {
        /// The count given.
        count: u32,
    },
    /// The destination window must end inside the cspace.
    #[error("object count {count} from destination slot {dest_first}")]
    DestinationWindow {
        /// The first destination slot given.
        dest_first: usize,
        /// The count given.
        count: u32,
    },
}

/// A model operation other than retype that the kernel would refuse or cannot express.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ModelError {
    /// The slot index is beyond the modelled cspace.
    #[error("slot {slot} is outside the cspace (valid: 0..{total_slots})")]
    SlotOutOfRange {
        /// The slot given.
        slot: usize,
        /// Number of slots modelled.
        total_slots: usize,
    },
    /// The slot holds no capability.
    #[error("slot {slot} is empty")]
    EmptySlot {
        /// The slot given.
        slot: usize,
    },
    /// Deleting an untyped with live children would need a revoke, which is not modelled.
    #[error(
        "slot {slot} is an untyped with {children} live children; delete the children first \
         (revoke is not modelled)"
    )]
    HasChildren {
        /// The slot given.
        slot: usize,
        /// How many children it still has.
        children: u32,
    },
    /// The capability is not a frame, so it has no frame address.
    #[error("slot {slot} holds a {what} capability, not a frame")]
    NotAFrame {
        /// The slot given.
        slot: usize,
        /// What the slot holds instead.
        what: &'static str,
    },
    /// A boot untyped the kernel could never report.
    #[error("boot untyped #{index} (paddr {paddr:#x}, {size_bits} bits) is invalid: {reason}")]
    InvalidBootUntyped {
        /// Position in the list given.
        index: usize,
        /// Its physical address.
        paddr: u64,
        /// Its size in bits.
        size_bits: u8,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two boot untypeds share bytes.
    #[error(
        "boot untyped #{index} (paddr {paddr:#x}, {size_bits} bits) overlaps boot untyped \
         #{other}; the kernel hands out each byte of memory once"
    )]
    OverlappingBootUntypeds {
        /// Position of the later of the two in the list given.
        index: usize,
        /// Its physical address.
        paddr: u64,
        /// Its size in bits.
        size_bits: u8,
        /// Position of the earlier one.
        other: usize,
    },
    /// More boot untypeds than slots.
    #[error("{untypeds} boot untypeds do not fit in {total_slots} slots")]
    TooFewSlots {
        /// Number of boot untypeds.
        untypeds: usize,
        /// Number of slots asked for.
        total_slots: usize,
    },
}

/// The seL4 error code of a refused invocation (`seL4_Error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum Sel4Error {
    /// `seL4_InvalidArgument`.
    #[error("seL4_InvalidArgument")]
    InvalidArgument,
    /// `seL4_InvalidCapability`.
    #[error("seL4_InvalidCapability")]
    InvalidCapability,
    /// `seL4_IllegalOperation`.
    #[error("seL4_IllegalOperation")]
    IllegalOperation,
    /// `seL4_RangeError`.
    #[error("seL4_RangeError")]
    RangeError,
    /// `seL4_AlignmentError`.
    #[error("seL4_AlignmentError")]
    AlignmentError,
    /// `seL4_FailedLookup`.
    #[error("seL4_FailedLookup")]
    FailedLookup,
    /// `seL4_DeleteFirst`.
    #[error("seL4_DeleteFirst")]
    DeleteFirst,
    /// `seL4_RevokeFirst`.
    #[error("seL4_RevokeFirst")]
    RevokeFirst,
}

/// An invocation other than retype that the kernel would refuse: which one, the
/// seL4 error code it would return, and what exactly is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{op} failed with {code}: {detail}")]
pub struct InvocationError {
    /// The invocation, by its seL4 name.
    pub op: &'static str,
    /// The error code the kernel returns.
    pub code: Sel4Error,
    /// What is wrong, naming slots and addresses.
    pub detail: String,
}
