//! Every problem the reader and the validator can report: a location and one kind each.
//!
//! Messages read `file:line:column: error: <element ...>: what is wrong; valid: ...`
//! where `<element ...>` mirrors the XML the user wrote (see [`crate::describe`]).

use std::fmt;

use thiserror::Error;

use crate::model::Location;

/// One problem in a system description: where it is and what is wrong.
///
/// Displays as `{location}: error: {kind}`; a file that could not be read has
/// no position, and its kind names the file itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdfError {
    /// Where the problem is; `None` only when there is no position to give
    /// (the file could not be read at all).
    pub location: Option<Location>,
    /// What is wrong.
    pub kind: SdfErrorKind,
}

impl SdfError {
    /// A problem at `location`.
    pub fn at(location: Location, kind: SdfErrorKind) -> SdfError {
        SdfError {
            location: Some(location),
            kind,
        }
    }

    /// A problem with the file as a whole (it cannot be read), without a position.
    pub fn file(kind: SdfErrorKind) -> SdfError {
        SdfError {
            location: None,
            kind,
        }
    }

    /// Where the problem is (for sorting and for tools that jump to it).
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }
}

impl fmt::Display for SdfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(location) => write!(f, "{location}: error: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for SdfError {}

/// What is wrong, without where: the message after `error: `.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SdfErrorKind {
    /// The file could not be read.
    #[error("{file}: error: cannot read the system description: {message}")]
    Io { file: String, message: String },
    /// The file is larger than the reader accepts.
    #[error("{file}: error: the system description is larger than {max} bytes; valid: at most {max} bytes")]
    TooLarge { file: String, max: usize },
    /// The path names a directory.
    #[error("{file}: error: is a directory, not a system description; valid: the path of a .system file")]
    IsDirectory { file: String },
    /// The bytes are not UTF-8.
    #[error("not valid UTF-8 at byte offset {offset}; valid: UTF-8 text")]
    BadUtf8 { offset: usize },
    /// Elements nested deeper than the reader accepts.
    #[error("<{element}>: elements nested more than {max} deep; valid: at most {max} levels of nested elements")]
    TooDeep { element: String, max: usize },
    /// An element with more attributes than the reader accepts.
    #[error(
        "<{element}>: more than {max} attributes; valid: at most {max} attributes on one element"
    )]
    TooManyAttributes { element: String, max: usize },
    /// A character reference to no Unicode character (the XML parser would read it as
    /// U+FFFD and carry on).
    #[error("character reference '{reference}' names no Unicode character; valid: &#N; or &#xN; with N at most 0x10FFFF and not a surrogate (0xD800..=0xDFFF)")]
    BadCharRef { reference: String },
    /// The text is not well-formed XML.
    #[error("not well-formed XML: {message}")]
    Xml { message: String },
    /// The document element is not `<system>`.
    #[error("<{found}>: the root element must be <system>; valid: <system>")]
    WrongRoot { found: String },
    /// An element the format does not have (here).
    #[error("<{element}> in {parent}: unknown element; {suggestion}valid: {valid}")]
    UnknownElement {
        element: String,
        parent: String,
        suggestion: DidYouMean,
        valid: String,
    },
    /// An element inside one that takes no child elements.
    #[error("<{element}> in {parent}: unexpected element; <{parent_tag}> takes no child elements; valid: nothing inside it")]
    NoChildElements {
        element: String,
        parent: String,
        parent_tag: String,
    },
    /// A Microkit element sysinit does not support.
    #[error("<{element}>: not supported by sysinit: {reason}; valid: leave it out")]
    UnsupportedElement { element: String, reason: String },
    /// An attribute the element does not have.
    #[error("{element}: unknown attribute '{attribute}'; {suggestion}valid: {valid}")]
    UnknownAttribute {
        element: String,
        attribute: String,
        suggestion: DidYouMean,
        valid: String,
    },
    /// A Microkit attribute sysinit does not support.
    #[error("{element}: attribute '{attribute}' is not supported by sysinit: {reason}; valid: leave it out")]
    UnsupportedAttribute {
        element: String,
        attribute: String,
        reason: String,
    },
    /// A required attribute is absent.
    #[error("{element}: missing required attribute '{attribute}'")]
    MissingAttribute { element: String, attribute: String },
    /// An attribute value that does not parse.
    #[error("{element}: invalid {attribute} '{value}'; valid: {valid}")]
    InvalidValue {
        element: String,
        attribute: String,
        value: String,
        valid: String,
    },
    /// Text where only elements and comments may be.
    #[error("{element}: unexpected text '{text}'; valid: only elements and comments")]
    UnexpectedText { element: String, text: String },
    /// A required child element is absent.
    #[error("{element}: missing <{child}>; valid: {valid}")]
    MissingElement {
        element: String,
        child: String,
        valid: String,
    },
    /// A child element that may appear once appears again.
    #[error("{element}: second <{child}> (first at {first}); valid: at most one <{child}>")]
    DuplicateElement {
        element: String,
        child: String,
        first: Location,
    },
    /// A channel without exactly two ends.
    #[error("<channel>: has {found} <end> elements; valid: exactly 2")]
    ChannelEnds { found: usize },
    /// An `<irq>` that is not exactly one of the manual's three kinds.
    #[error(
        "{element}: cannot tell the kind of interrupt ({found}); valid: exactly one of \
         'irq' (ARM), 'pin' (x86 IOAPIC) or 'pcidev' (x86 MSI)"
    )]
    IrqKind { element: String, found: String },
    /// No protection domain at all.
    #[error("<system>: no protection domains; valid: at least one <protection_domain>")]
    NoProtectionDomains,
    /// More protection domains than Microkit allows.
    #[error("<system>: {count} protection domains; valid: at most {max}")]
    TooManyProtectionDomains { count: usize, max: usize },
    /// Two things of one kind share a name.
    #[error("{element}: duplicate {kind} name '{name}' (first at {first}); valid: a name no other {kind} uses")]
    DuplicateName {
        element: String,
        kind: &'static str,
        name: String,
        first: Location,
    },
    /// Two ids of one namespace collide in a PD.
    #[error("{element}: {kind} {id} is already used in protection_domain '{pd}' (at {first}); valid: an id not used by another {namespace}")]
    DuplicateId {
        element: String,
        kind: &'static str,
        id: u64,
        pd: String,
        first: Location,
        namespace: &'static str,
    },
    /// A setvar symbol set twice in one PD.
    #[error("{element}: symbol '{symbol}' is already set in protection_domain '{pd}' (at {first}); valid: each symbol set once per protection domain")]
    DuplicateSymbol {
        element: String,
        symbol: String,
        pd: String,
        first: Location,
    },
    /// A name that refers to nothing.
    #[error("{element}: unknown {kind} '{name}'; {hint}")]
    UnknownReference {
        element: String,
        kind: &'static str,
        name: String,
        hint: Hint,
    },
    /// An id outside its range.
    #[error("{element}: {kind} {value} is out of range; valid: 0..={max}")]
    IdOutOfRange {
        element: String,
        kind: &'static str,
        value: u64,
        max: u64,
    },
    /// A priority outside 0..=254.
    #[error("{element}: priority {value} is out of range; valid: 0..={max}")]
    PriorityOutOfRange {
        element: String,
        value: u64,
        max: u64,
    },
    /// A protected procedure call to a PD of equal or lower priority.
    #[error(
        "{element}: '{caller}' (priority {caller_priority}) may not call '{callee}' \
         (priority {callee_priority}); valid: pp=\"true\" only towards a protection domain of strictly higher priority"
    )]
    PpcPriority {
        element: String,
        caller: String,
        caller_priority: u64,
        callee: String,
        callee_priority: u64,
    },
    /// Both ends of a channel may call the other.
    #[error("<channel>: both ends have pp=\"true\"; valid: pp=\"true\" on at most one end")]
    PpBothEnds,
    /// Budget larger than period.
    #[error("{element}: budget {budget} exceeds period {period}; valid: budget <= period")]
    BudgetExceedsPeriod {
        element: String,
        budget: u64,
        period: u64,
    },
    /// An MCS-only attribute on a kernel without MCS.
    #[error("{element}: '{attribute}' needs the MCS scheduler, which the kernel for board '{board}' does not have; valid: leave '{attribute}' out")]
    NeedsMcs {
        element: String,
        attribute: &'static str,
        board: String,
    },
    /// A stack size outside Microkit's limits.
    #[error("{element}: stack_size {value:#x} is invalid; valid: a multiple of {page:#x} in {min:#x}..={max:#x}")]
    StackSize {
        element: String,
        value: u64,
        page: u64,
        min: u64,
        max: u64,
    },
    /// A CPU the board does not have.
    #[error("{element}: cpu {cpu} does not exist on board '{board}'; valid: 0..={max}")]
    CpuOutOfRange {
        element: String,
        cpu: u64,
        board: String,
        max: u64,
    },
    /// A feature the board's architecture or kernel lacks.
    #[error("{element}: {feature} not available on board '{board}' ({reason}); valid: {valid}")]
    NotOnBoard {
        element: String,
        feature: &'static str,
        board: String,
        reason: String,
        valid: &'static str,
    },
    /// `reserved="true"` on a VM map of device memory.
    #[error("{element}: reserved=\"true\" on device memory region '{mr}': only guest RAM can be listed as reserved memory in the guest device tree; valid: leave reserved out (a passthrough device is never memory the guest could allocate)")]
    ReservedDeviceMap { element: String, mr: String },
    /// A `<guest_device_tree>` whose region cannot hold the guest's device tree.
    #[error("{element}: memory region '{mr}' {problem}; valid: a RAM region (no phys_addr, or ram=\"true\") mapped into virtual machine '{vm}'")]
    GuestDeviceTreeRegion {
        element: String,
        mr: String,
        problem: &'static str,
        vm: String,
    },
    /// A `<guest_device_tree initrd_mr>` whose region cannot hold the guest's initramfs.
    #[error("{element}: initrd_mr '{mr}' {problem}; valid: a RAM region prefilled from the initramfs file (prefill_path), mapped into virtual machine '{vm}' without reserved=\"true\", other than the device tree's")]
    InitrdRegion {
        element: String,
        mr: String,
        problem: &'static str,
        vm: String,
    },
    /// `prefill_path` on device memory.
    #[error("{element}: prefill_path on device memory (phys_addr without ram=\"true\"): the root task writes prefill bytes to RAM only; valid: a RAM region")]
    PrefillDevice { element: String },
    /// A region filled from two sources.
    #[error("{element}: memory region '{mr}' is already filled from {other} at {other_location}; valid: one fill per region")]
    PrefilledTwice {
        element: String,
        mr: String,
        other: String,
        other_location: Location,
    },
    /// `setvar_prefill_size` on a map of a region that is not prefilled.
    #[error("{element}: setvar_prefill_size, but memory region '{mr}' has no prefill_path; valid: leave setvar_prefill_size out, or give the region prefill_path")]
    PrefillSizeWithoutPrefill { element: String, mr: String },
    /// A map whose address is not a multiple of the region's page size.
    #[error("{element}: vaddr {vaddr:#x} is not aligned to the page size {page_size:#x} of memory_region '{mr}'; valid: a multiple of {page_size:#x}")]
    MapMisaligned {
        element: String,
        vaddr: u64,
        page_size: u64,
        mr: String,
    },
    /// Two maps of one address space overlap.
    #[error("{element}: [{start:#x}..{end:#x}) overlaps the map of '{other}' [{other_start:#x}..{other_end:#x}) at {other_location} in {space}; valid: mappings that do not overlap")]
    MapOverlap {
        element: String,
        start: u64,
        end: u64,
        other: String,
        other_start: u64,
        other_end: u64,
        other_location: Location,
        space: String,
    },
    /// A PD map over the page at address 0.
    #[error("{element}: vaddr {vaddr:#x} maps the page at address 0, which stays unmapped so that null pointers fault; valid: vaddr at or above {floor:#x}")]
    MapNullPage {
        element: String,
        vaddr: u64,
        floor: u64,
    },
    /// A map reaching past the mappable user address space.
    #[error("{element}: [{start:#x}..{end}) goes beyond the mappable address space; valid: mappings ending at or below {limit:#x} ({why})")]
    MapBeyondLimit {
        element: String,
        start: u64,
        /// `None` when `vaddr + size` overflows 64 bits.
        end: DisplayEnd,
        limit: u64,
        why: String,
    },
    /// A memory region of size zero.
    #[error("{element}: size is zero; valid: a non-zero multiple of the page size")]
    RegionSizeZero { element: String },
    /// A memory region size that is not a whole number of pages.
    #[error("{element}: size {size:#x} is not a multiple of the page size {page_size:#x}; valid: a multiple of {page_size:#x}")]
    RegionSizeNotPageMultiple {
        element: String,
        size: u64,
        page_size: u64,
    },
    /// A page size the architecture does not have.
    #[error("{element}: page_size {page_size:#x} is not supported on {arch}; valid: {valid}")]
    UnsupportedPageSize {
        element: String,
        page_size: u64,
        arch: String,
        valid: String,
    },
    /// A fixed physical address not aligned to the page size.
    #[error("{element}: phys_addr {phys_addr:#x} is not aligned to the page size {page_size:#x}; valid: a multiple of {page_size:#x}")]
    PhysAddrMisaligned {
        element: String,
        phys_addr: u64,
        page_size: u64,
    },
    /// A fixed physical range beyond the CPU's physical address width.
    #[error("{element}: [{start:#x}..{end}) lies beyond the {bits}-bit physical address space of board '{board}'; valid: ranges ending at or below {limit:#x}")]
    PhysAddrBeyondWidth {
        element: String,
        start: u64,
        end: DisplayEnd,
        bits: u8,
        board: String,
        limit: u64,
    },
    /// Two fixed physical ranges overlap.
    #[error("{element}: [{start:#x}..{end:#x}) overlaps memory_region '{other}' [{other_start:#x}..{other_end:#x}) at {other_location}; valid: fixed physical ranges that do not overlap")]
    PhysOverlap {
        element: String,
        start: u64,
        end: u64,
        other: String,
        other_start: u64,
        other_end: u64,
        other_location: Location,
    },
    /// A fixed physical range over memory the board reserves.
    #[error("{element}: [{start:#x}..{end:#x}) overlaps '{reserved}' [{reserved_start:#x}..{reserved_end:#x}), reserved ({kind}) on board '{board}'; valid: physical ranges outside reserved memory")]
    PhysInReserved {
        element: String,
        start: u64,
        end: u64,
        reserved: String,
        kind: String,
        reserved_start: u64,
        reserved_end: u64,
        board: String,
    },
    /// A fixed physical range in RAM without `ram="true"`.
    #[error("{element}: [{start:#x}..{end:#x}) is RAM on board '{board}' (RAM [{ram_start:#x}..{ram_end:#x})), not device memory; valid: a device address, or ram=\"true\" to use this RAM at a fixed address")]
    PhysInRam {
        element: String,
        start: u64,
        end: u64,
        ram_start: u64,
        ram_end: u64,
        board: String,
    },
    /// `cached="true"` on a device memory region.
    #[error("{element}: cached=\"true\" maps device memory region '{mr}' cached; valid: leave cached out or cached=\"false\" (device memory is always mapped uncached)")]
    CachedDeviceMap { element: String, mr: String },
    /// `ram="true"` on a range that is not entirely RAM.
    #[error("{element}: ram=\"true\" but [{start:#x}..{end:#x}) is not entirely RAM on board '{board}'; valid: a range inside RAM ({ram})")]
    RamFlagNotRam {
        element: String,
        start: u64,
        end: u64,
        board: String,
        ram: String,
    },
    /// A fixed range over RAM the kernel hands out as device memory.
    #[error("{element}: [{start:#x}..{end:#x}) overlaps '{area}' [{area_start:#x}..{area_end:#x}), RAM that the kernel on board '{board}' hands out as device memory: it is never zeroed and is not RAM to the kernel; valid: a device address, or ram=\"true\" inside the RAM the kernel manages ({usable})")]
    RamAsDevice {
        element: String,
        start: u64,
        end: u64,
        area: String,
        area_start: u64,
        area_end: u64,
        board: String,
        usable: String,
    },
    /// RAM-backed memory regions needing more RAM than the board has free.
    #[error("{element}: memory regions backed by RAM (without phys_addr, or ram=\"true\") need {total:#x} bytes up to here, more than the {free:#x} bytes of RAM the kernel hands to user level on board '{board}' with {ram:#x} bytes of RAM; valid: smaller regions, or more RAM with --ram (at most {max_ram:#x} on this board)")]
    RamExhausted {
        element: String,
        total: u128,
        free: u64,
        board: String,
        ram: u64,
        max_ram: u64,
    },
    /// More frames in memory regions than the root CNode can hold caps for.
    #[error("{element}: {frames} frames of {page_size:#x} bytes, {total} frames in the memory regions up to here; valid: at most {max} frames in all memory regions (the root task needs a slot for each, and the root CNode on board '{board}' has {max}); use a larger page_size or smaller regions")]
    TooManyFrames {
        element: String,
        frames: u64,
        page_size: u64,
        total: u128,
        max: u64,
        board: String,
    },
    /// `ram="true"` without a fixed address.
    #[error("{element}: ram=\"true\" without phys_addr; valid: ram=\"true\" only together with phys_addr")]
    RamFlagWithoutPhysAddr { element: String },
    /// `setvar region_paddr` on x86 for a region without a fixed address.
    #[error("{element}: memory_region '{mr}' has no phys_addr, and on {arch} its physical address is only known at boot; valid: a memory_region with phys_addr")]
    SetvarPaddrNotFixed {
        element: String,
        mr: String,
        arch: String,
    },
    /// An interrupt number, pin, IOAPIC or vector out of range.
    #[error("{element}: {what} {value} is out of range on board '{board}'; valid: 0..={max}")]
    IrqOutOfRange {
        element: String,
        what: &'static str,
        value: u64,
        board: String,
        max: u64,
    },
    /// An interrupt the kernel keeps for itself.
    #[error("{element}: irq {irq} is the kernel's {name} interrupt on board '{board}'; valid: an interrupt the kernel does not use")]
    IrqReservedByKernel {
        element: String,
        irq: u64,
        name: String,
        board: String,
    },
    /// The same interrupt bound twice.
    #[error("{element}: {what} is already bound by protection_domain '{first_pd}' (at {first}); valid: each interrupt bound once")]
    DuplicateIrq {
        element: String,
        what: String,
        first_pd: String,
        first: Location,
    },
    /// An I/O port range outside the 16-bit port space.
    #[error("{element}: ports [{start:#x}..{end}) are outside the I/O port space; valid: ranges inside [0x0..0x10000) with size > 0")]
    IoPortOutOfRange {
        element: String,
        start: u64,
        end: DisplayEnd,
    },
    /// Two I/O port ranges overlap.
    #[error("{element}: ports [{start:#x}..{end:#x}) overlap ports [{other_start:#x}..{other_end:#x}) of protection_domain '{other_pd}' (at {other_location}); valid: port ranges that do not overlap")]
    IoPortOverlap {
        element: String,
        start: u64,
        end: u64,
        other_start: u64,
        other_end: u64,
        other_pd: String,
        other_location: Location,
    },
}

/// The end of a range that may lie beyond 2^64 (`start + size` overflowed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DisplayEnd(pub Option<u64>);

impl fmt::Display for DisplayEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(end) => write!(f, "{end:#x}"),
            None => f.write_str("2^64 and beyond"),
        }
    }
}

/// A close known name for an unknown one, as written in the message
/// (`'priority'`, `<memory_region>`), or nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DidYouMean(pub Option<String>);

impl fmt::Display for DidYouMean {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(name) => write!(f, "did you mean {name}? "),
            None => Ok(()),
        }
    }
}

/// What to suggest for an unknown name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hint {
    /// A close existing name.
    DidYouMean(String),
    /// The first existing names (possibly none) and how many more exist: a
    /// system with thousands of regions gets a readable message per mistake.
    Valid(Vec<String>, usize),
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hint::DidYouMean(name) => write!(f, "did you mean '{name}'?"),
            Hint::Valid(names, _) if names.is_empty() => f.write_str("valid: none are defined"),
            Hint::Valid(names, more) => {
                f.write_str("valid: ")?;
                for (i, name) in names.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "'{name}'")?;
                }
                if *more > 0 {
                    write!(f, " and {more} more")?;
                }
                Ok(())
            }
        }
    }
}

/// All problems found in one description, in file order.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub struct SdfErrors(pub Vec<SdfError>);

impl SdfErrors {
    /// The problems.
    pub fn errors(&self) -> &[SdfError] {
        &self.0
    }

    /// Sorts by location (stable: problems at one place keep their order).
    pub(crate) fn sorted(mut errors: Vec<SdfError>) -> SdfErrors {
        errors.sort_by(|a, b| a.location().cmp(&b.location()));
        SdfErrors(errors)
    }
}

impl fmt::Display for SdfErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}
