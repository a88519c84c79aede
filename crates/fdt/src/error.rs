//! Why a blob or a property value was refused.

use core::fmt;

/// The block of the blob a bounds or alignment problem is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    /// The memory reservation block (`off_mem_rsvmap`).
    MemoryReservations,
    /// The structure block (`off_dt_struct`, `size_dt_struct`).
    Structure,
    /// The strings block (`off_dt_strings`, `size_dt_strings`).
    Strings,
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Block::MemoryReservations => "memory reservation block",
            Block::Structure => "structure block",
            Block::Strings => "strings block",
        })
    }
}

/// A structure block whose tokens are well formed but do not nest into one tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StructureProblem {
    /// The block ends (FDT_END) before any node.
    NoRoot,
    /// The first node has a name; the root's name is empty.
    NamedRoot,
    /// A second node at the top level after the root closed.
    SecondRoot,
    /// A node other than the root has an empty name.
    EmptyNodeName,
    /// A property outside every node.
    PropertyOutsideNode,
    /// A property after a child node: properties come first in a node.
    PropertyAfterChild,
    /// FDT_END_NODE with no node open.
    UnbalancedEnd,
    /// FDT_END while nodes are still open.
    UnclosedNode,
    /// Nodes nested deeper than [`crate::MAX_DEPTH`].
    TooDeep,
}

impl fmt::Display for StructureProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StructureProblem::NoRoot => "the structure block holds no root node",
            StructureProblem::NamedRoot => "the root node has a name (it must be empty)",
            StructureProblem::SecondRoot => "a second top-level node follows the root",
            StructureProblem::EmptyNodeName => "a node below the root has an empty name",
            StructureProblem::PropertyOutsideNode => "a property outside every node",
            StructureProblem::PropertyAfterChild => {
                "a property after a child node (properties must come first)"
            }
            StructureProblem::UnbalancedEnd => "FDT_END_NODE with no node open",
            StructureProblem::UnclosedNode => "FDT_END while nodes are still open",
            StructureProblem::TooDeep => "nodes nested deeper than the reader's limit of 64",
        })
    }
}

/// Why [`crate::Fdt::new`] refused a blob, or a property could not be read as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FdtError {
    /// The slice is shorter than the header or than the header's `totalsize`.
    Truncated {
        /// Bytes the blob needs.
        needed: usize,
        /// Bytes the slice has.
        available: usize,
    },
    /// The first word is not 0xd00dfeed.
    BadMagic(u32),
    /// A version this reader cannot read (it reads blobs compatible with version 17).
    UnsupportedVersion {
        /// The header's `version`.
        version: u32,
        /// The header's `last_comp_version`.
        last_compatible: u32,
    },
    /// A block reaches past `totalsize` or into the header.
    BlockOutOfBounds {
        /// Which block.
        block: Block,
        /// Its offset from the header.
        offset: u32,
        /// Its size in bytes (for the reservation block: up to its terminator).
        size: u64,
        /// The header's `totalsize`.
        total: u32,
    },
    /// A block's offset is not aligned (reservations: 8 bytes, structure: 4).
    Misaligned {
        /// Which block.
        block: Block,
        /// Its offset.
        offset: u32,
    },
    /// The reservation block has no (0, 0) terminator inside the blob.
    UnterminatedReservations,
    /// An unknown token in the structure block.
    BadToken {
        /// Offset of the token in the structure block.
        offset: usize,
        /// The token.
        token: u32,
    },
    /// A token, name or property value runs past the structure block.
    TruncatedStructure {
        /// Offset of the token in the structure block.
        offset: usize,
    },
    /// A node name that is not NUL-terminated UTF-8 without `/`.
    BadNodeName {
        /// Offset of the FDT_BEGIN_NODE token in the structure block.
        offset: usize,
    },
    /// A property name offset outside the strings block, or a name that is
    /// empty, unterminated or not UTF-8.
    BadPropertyName {
        /// Offset of the FDT_PROP token in the structure block.
        offset: usize,
        /// The name's offset in the strings block.
        name_offset: u32,
    },
    /// The tokens do not nest into one tree.
    Structure {
        /// Offset of the offending token in the structure block.
        offset: usize,
        /// What is wrong.
        problem: StructureProblem,
    },
    /// A property value has the wrong length or content for how it was read.
    BadValue {
        /// What the value was read as ("u32", "string list", "reg entries").
        expected: &'static str,
        /// The value's length in bytes.
        len: usize,
    },
    /// `#address-cells` or `#size-cells` that `reg` cannot be read with
    /// (more than 2 cells, or a malformed cells property).
    UnsupportedCells {
        /// The parent's `#address-cells` (u32::MAX: malformed property).
        address_cells: u32,
        /// The parent's `#size-cells` (u32::MAX: malformed property).
        size_cells: u32,
    },
    /// The node has no property of this name.
    MissingProperty(&'static str),
}

impl fmt::Display for FdtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FdtError::Truncated { needed, available } => write!(
                f,
                "device tree truncated: it needs {needed} bytes, only {available} are there"
            ),
            FdtError::BadMagic(magic) => write!(
                f,
                "not a device tree blob: magic {magic:#010x}, expected {:#010x}",
                crate::FDT_MAGIC
            ),
            FdtError::UnsupportedVersion {
                version,
                last_compatible,
            } => write!(
                f,
                "device tree version {version} (compatible back to {last_compatible}) \
                 is not readable as version 17"
            ),
            FdtError::BlockOutOfBounds {
                block,
                offset,
                size,
                total,
            } => write!(
                f,
                "device tree {block} at offset {offset:#x}, {size:#x} bytes, \
                 lies outside the blob's {total:#x} bytes (past its 40-byte header)"
            ),
            FdtError::Misaligned { block, offset } => {
                write!(f, "device tree {block} offset {offset:#x} is misaligned")
            }
            FdtError::UnterminatedReservations => f.write_str(
                "device tree memory reservation block has no (0, 0) terminator inside the blob",
            ),
            FdtError::BadToken { offset, token } => write!(
                f,
                "unknown token {token:#x} at structure block offset {offset:#x}"
            ),
            FdtError::TruncatedStructure { offset } => write!(
                f,
                "token at structure block offset {offset:#x} runs past the structure block"
            ),
            FdtError::BadNodeName { offset } => write!(
                f,
                "node name at structure block offset {offset:#x} is not NUL-terminated UTF-8 \
                 without '/'"
            ),
            FdtError::BadPropertyName {
                offset,
                name_offset,
            } => write!(
                f,
                "property at structure block offset {offset:#x} has a bad name \
                 (strings block offset {name_offset:#x}: outside, unterminated, empty or not UTF-8)"
            ),
            FdtError::Structure { offset, problem } => {
                write!(f, "structure block offset {offset:#x}: {problem}")
            }
            FdtError::BadValue { expected, len } => {
                write!(f, "property value of {len} bytes is not a valid {expected}")
            }
            FdtError::UnsupportedCells {
                address_cells,
                size_cells,
            } => write!(
                f,
                "reg cannot be read with #address-cells {address_cells} and #size-cells \
                 {size_cells} (each must be 0, 1 or 2)"
            ),
            FdtError::MissingProperty(name) => write!(f, "node has no \"{name}\" property"),
        }
    }
}

impl core::error::Error for FdtError {}
