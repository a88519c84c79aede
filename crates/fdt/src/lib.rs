//! Flattened device trees (the DTB format, version 17 of the Devicetree
//! Specification, chapter 5): a reader that never allocates and a writer
//! behind feature `alloc`.
//!
//! The reader serves the bare-metal guest program, which has no heap and is
//! handed a DTB address in x0, and the host tests; the writer serves the host
//! tool, which generates every guest's device tree (`sysinit-guest-dt`).
//!
//! - [`Fdt::new`] checks the whole blob once (header, block bounds and
//!   alignment, every token, every name, nesting); after that, walking nodes
//!   and properties cannot fail, so the iterators yield plain values. Reading
//!   a property *as* something (a `u32`, a string list, a `reg` under the
//!   parent's `#address-cells`/`#size-cells`) checks its length and returns
//!   [`FdtError`] on a mismatch. No input makes the reader panic (the
//!   `fdt_read` fuzz target holds it to that).
//! - [`FdtWriter`] (feature `alloc`): `begin_node`/`property`/`end_node`,
//!   property names deduplicated in the strings block, a memory reservation
//!   block, and `finish` into bytes. The same calls give the same bytes.
//!
//! ```
//! use sysinit_fdt::{Fdt, FdtWriter, RegEntry};
//!
//! let mut w = FdtWriter::new();
//! w.begin_node("")?;
//! w.property_u32("#address-cells", 2)?;
//! w.property_u32("#size-cells", 2)?;
//! w.begin_node("memory@40000000")?;
//! w.property_str("device_type", "memory")?;
//! w.property_u64s("reg", &[0x4000_0000, 0x100_0000])?;
//! w.end_node()?;
//! w.end_node()?;
//! let blob = w.finish()?;
//!
//! // A guest handed only the address reads the size first.
//! let size = sysinit_fdt::total_size(&blob[..8])?;
//! let fdt = Fdt::new(&blob[..size])?;
//! let memory = fdt.find_node("/memory").ok_or("no /memory")?;
//! let ram: Vec<RegEntry> = memory.reg()?.collect();
//! assert_eq!(ram, [RegEntry { address: 0x4000_0000, size: 0x100_0000 }]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;

mod error;
mod node;
mod read;
#[cfg(feature = "alloc")]
mod write;

pub use error::{Block, FdtError, StructureProblem};
pub use node::{Cells, Children, Node, Properties, Property, Reg, RegEntry, Strings, U32s};
pub use read::{total_size, Fdt, Reservations, Walk};
#[cfg(feature = "alloc")]
pub use write::{FdtWriter, WriteError};

/// The first word of every DTB.
pub const FDT_MAGIC: u32 = 0xd00d_feed;
/// The format version this crate reads and writes.
pub const FDT_VERSION: u32 = 17;
/// The oldest version a version-17 blob is compatible with (what dtc writes).
pub const FDT_LAST_COMPATIBLE_VERSION: u32 = 16;
/// Bytes of the header of a version-17 blob.
pub const HEADER_SIZE: usize = 40;
/// Nodes nested deeper than this are refused (by the reader and the writer):
/// the depth-first [`Walk`] keeps each open node's cells in a fixed array,
/// because the reader has no heap. Real trees nest fewer than 10 levels.
pub const MAX_DEPTH: usize = 64;

// Structure block tokens (Devicetree Specification 5.4.1).
pub(crate) const FDT_BEGIN_NODE: u32 = 1;
pub(crate) const FDT_END_NODE: u32 = 2;
pub(crate) const FDT_PROP: u32 = 3;
pub(crate) const FDT_NOP: u32 = 4;
pub(crate) const FDT_END: u32 = 9;
