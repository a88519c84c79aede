//! Everything the builder can refuse, each with the element it is about.
//!
//! Messages follow the reader's form: `file:line:column: error: <element ...>: what; valid: ...`.

use std::fmt;
use std::path::PathBuf;

use sysinit_sdf::{Location, SdfError};

use crate::elf::{ElfError, PatchError};

/// One reason a system cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The description itself is invalid.
    #[error("{0}")]
    Description(SdfError),
    /// `<setvar region_paddr>` on a region without a fixed address.
    #[error("{location}: error: {element}: region '{mr}' has no phys_addr, so its physical address is only known at boot; valid: give <memory_region name=\"{mr}\"> a phys_addr")]
    RegionPaddrUnknown {
        /// The setvar element.
        location: Location,
        /// `<setvar ...> in <protection_domain ...>`.
        element: String,
        /// The region.
        mr: String,
    },
    /// The program image file is nowhere on the search path.
    #[error("{location}: error: <protection_domain name=\"{pd}\">: program image '{path}' not found; tried {tried}; search paths: {search}; valid: an existing file, relative to the system description's directory or a --search-path DIR")]
    ImageNotFound {
        /// The `<program_image>` element.
        location: Location,
        /// The PD.
        pd: String,
        /// The path as written.
        path: String,
        /// Every file tried, comma separated.
        tried: String,
        /// The search directories, comma separated.
        search: String,
    },
    /// The program image path names something that is not a regular file (a directory,
    /// a device such as /dev/zero, a FIFO), and no file is found elsewhere.
    #[error("{location}: error: <protection_domain name=\"{pd}\">: program image '{path}' is {kind} ({}), not a file; valid: an ELF executable file, relative to the system description's directory or a --search-path DIR", found.display())]
    ImageNotAFile {
        /// The `<program_image>` element.
        location: Location,
        /// The PD.
        pd: String,
        /// The path as written.
        path: String,
        /// What it is: "a directory", "a character device", ...
        kind: &'static str,
        /// Where it was found.
        found: PathBuf,
    },
    /// A program image segment reaches the PD's stack, guard page or IPC buffer.
    #[error("{location}: error: <protection_domain name=\"{pd}\">: program image {} segment {index} at [{vaddr:#x}..{end:#x}) overlaps the PD's stack, its guard pages and IPC buffer at [{reserved:#x}..{limit:#x}); valid: segments below {reserved:#x}, or a smaller stack_size", path.display())]
    ImageOverlapsStack {
        /// The `<program_image>` element.
        location: Location,
        /// The PD.
        pd: String,
        /// The image.
        path: PathBuf,
        /// Program header index.
        index: usize,
        /// The segment's first address.
        vaddr: u64,
        /// Its end.
        end: u64,
        /// The stack's lowest address.
        reserved: u64,
        /// End of the user address space.
        limit: u64,
    },
    /// The program image exists but cannot be read.
    #[error("{location}: error: <protection_domain name=\"{pd}\">: cannot read program image {}: {message}", path.display())]
    ImageRead {
        /// The `<program_image>` element.
        location: Location,
        /// The PD.
        pd: String,
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The program image is not a usable ELF executable.
    #[error("{location}: error: <protection_domain name=\"{pd}\">: program image {} {source}", path.display())]
    Elf {
        /// The `<program_image>` element.
        location: Location,
        /// The PD.
        pd: String,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: ElfError,
    },
    /// A symbol the description wants patched cannot be.
    #[error("{location}: error: {element}: cannot set '{symbol}' in program image {} of protection domain '{pd}': {source}", path.display())]
    Symbol {
        /// The element naming the symbol.
        location: Location,
        /// That element as written.
        element: String,
        /// The symbol.
        symbol: String,
        /// The PD whose image it is.
        pd: String,
        /// The image.
        path: PathBuf,
        /// What is wrong.
        source: PatchError,
    },
    /// Two things want the same virtual address, or a mapping is impossible.
    #[error("{location}: error: {element}: cannot map {what}: {message}")]
    Layout {
        /// The element whose mapping failed.
        location: Location,
        /// That element as written.
        element: String,
        /// What was being mapped.
        what: String,
        /// The spec builder's reason.
        message: String,
    },
    /// A memory region has more frames than the root CNode has slots.
    #[error("{location}: error: {element}: {size:#x} bytes in {page:#x}-byte pages are {frames:#x} frames, more than the root CNode's {limit:#x} slots can hold; valid: a region of at most {limit:#x} pages, or a larger page_size")]
    RegionTooManyFrames {
        /// The `<memory_region>` element.
        location: Location,
        /// That element as written.
        element: String,
        /// Its size.
        size: u64,
        /// Its page size.
        page: u64,
        /// Frames it would take.
        frames: u64,
        /// Slots of the root CNode.
        limit: u64,
    },
    /// A RAM-backed memory region is larger than the board's RAM.
    #[error("{location}: error: {element}: {size:#x} bytes of RAM, but board '{board}' has {ram:#x} bytes of RAM; valid: a region of at most {ram:#x} bytes, or more RAM (--ram)")]
    RegionExceedsRam {
        /// The `<memory_region>` element.
        location: Location,
        /// That element as written.
        element: String,
        /// Its size.
        size: u64,
        /// The board.
        board: String,
        /// The board's RAM in bytes.
        ram: u64,
    },
    /// The whole system has more kernel objects than the root CNode has slots.
    #[error("{location}: error: <system>: needs at least {objects:#x} kernel objects, more than the root CNode's {limit:#x} slots can hold; valid: fewer pages (smaller regions and stacks, or larger page_size)")]
    TooManyObjects {
        /// The `<system>` element.
        location: Location,
        /// Objects counted (a lower bound: page tables not included).
        objects: u64,
        /// Slots of the root CNode.
        limit: u64,
    },
    /// Regions, stacks, IPC buffers and program images need more RAM than the board has.
    #[error("{location}: error: <system>: needs at least {needed:#x} bytes of RAM for memory regions, stacks, IPC buffers and program images, but board '{board}' has {ram:#x} bytes of RAM; valid: less memory, or more RAM (--ram)")]
    RamExceeded {
        /// The `<system>` element.
        location: Location,
        /// Bytes counted (a lower bound: page tables and kernel objects not included).
        needed: u64,
        /// The board.
        board: String,
        /// The board's RAM in bytes.
        ram: u64,
    },
    /// A region's `prefill_path` is nowhere on the search path.
    #[error("{location}: error: <memory_region name=\"{mr}\">: prefill file '{path}' not found; tried {tried}; search paths: {search}; valid: an existing file, relative to the system description's directory or a --search-path DIR")]
    PrefillNotFound {
        /// The `<memory_region>` element.
        location: Location,
        /// The region.
        mr: String,
        /// The path as written.
        path: String,
        /// Every file tried, comma separated.
        tried: String,
        /// The search directories, comma separated.
        search: String,
    },
    /// A region's `prefill_path` names something that is not a regular file.
    #[error("{location}: error: <memory_region name=\"{mr}\">: prefill file '{path}' is {kind} ({}), not a file; valid: a regular file", found.display())]
    PrefillNotAFile {
        /// The `<memory_region>` element.
        location: Location,
        /// The region.
        mr: String,
        /// The path as written.
        path: String,
        /// What it is.
        kind: &'static str,
        /// Where it was found.
        found: PathBuf,
    },
    /// A prefill file exists but cannot be read.
    #[error("{location}: error: <memory_region name=\"{mr}\">: cannot read prefill file {}: {message}", path.display())]
    PrefillRead {
        /// The `<memory_region>` element.
        location: Location,
        /// The region.
        mr: String,
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The bytes to prefill a region with (a file, or a generated guest device tree)
    /// do not fit in it.
    #[error("{location}: error: <memory_region name=\"{mr}\">: {what} is {size:#x} bytes, larger than the region's {region:#x} bytes; valid: a region of at least {size:#x} bytes")]
    PrefillTooLarge {
        /// The `<memory_region>` element.
        location: Location,
        /// The region.
        mr: String,
        /// What fills it: "prefill file <path>" or "the guest device tree of 'vm'".
        what: String,
        /// Bytes to write.
        size: u64,
        /// The region's size.
        region: u64,
    },
    /// The guest device tree of a VM cannot be generated.
    #[error("{location}: error: {element}: {message}")]
    GuestDeviceTree {
        /// The `<guest_device_tree>` element.
        location: Location,
        /// That element as written.
        element: String,
        /// Why (the generator's message, which names the guest device tree).
        message: String,
    },
    /// The finished spec does not validate: a bug in the builder.
    #[error("the built spec is inconsistent (a sysinit bug, please report it): {0}")]
    Internal(String),
}

/// Every problem found, in the order found (description errors first, sorted by location).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildErrors(pub Vec<BuildError>);

impl BuildErrors {
    /// The errors.
    pub fn errors(&self) -> &[BuildError] {
        &self.0
    }
}

impl fmt::Display for BuildErrors {
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

impl std::error::Error for BuildErrors {}

impl From<sysinit_sdf::SdfErrors> for BuildErrors {
    fn from(e: sysinit_sdf::SdfErrors) -> Self {
        BuildErrors(e.0.into_iter().map(BuildError::Description).collect())
    }
}
