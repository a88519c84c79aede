//! A minimal flattened device tree reader: enough for the guest's checks.
//!
//! A local stand-in for the workspace's `sysinit-fdt` crate (crates/fdt,
//! written in parallel, not yet on this branch). Its API is the crate's
//! subset the guest uses, with the same names and shapes (`Fdt::new`,
//! `Fdt::nodes`, `Node::{property, reg, cells, children, is_compatible}`,
//! `Property::{as_u32, as_str, u32s}`, `Reg`/`RegEntry`, `Cells`,
//! `FdtError`), so swapping in the crate is `use sysinit_fdt as dt;` in
//! `mod.rs` and deleting this file.
//!
//! Never allocates and never panics: the blob is checked once in
//! [`Fdt::new`] (header, token stream, nesting, string offsets), and every
//! later access is bounds-checked all the same.

use core::fmt;

const MAGIC: u32 = 0xd00d_feed;
const HEADER_SIZE: usize = 40;
const TOKEN_BEGIN_NODE: u32 = 1;
const TOKEN_END_NODE: u32 = 2;
const TOKEN_PROP: u32 = 3;
const TOKEN_NOP: u32 = 4;
const TOKEN_END: u32 = 9;
/// Deepest nesting whose cells [`Fdt::nodes`] keeps (QEMU's and sysinit's
/// trees have 3 levels); deeper nodes read `reg` with the deepest cells kept.
const MAX_DEPTH: usize = 16;

/// Why a blob or a property is not what the reader accepts.
#[derive(Debug, Clone, Copy)]
pub enum FdtError {
    /// The first word is not 0xd00dfeed.
    BadMagic(u32),
    /// The header or a block runs past the blob (offset).
    Truncated(usize),
    /// Version older than 16 (the first with the structure this reader walks).
    OldVersion(u32),
    /// An unknown token or unbalanced nesting at this structure offset.
    BadStructure(usize),
    /// A property the caller needs is missing.
    MissingProperty(&'static str),
    /// A property value of the wrong length or form.
    BadValue { expected: &'static str, len: usize },
    /// `#address-cells` or `#size-cells` above 2.
    UnsupportedCells { address_cells: u32, size_cells: u32 },
}

impl fmt::Display for FdtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FdtError::BadMagic(m) => write!(f, "magic {m:#010x}, not 0xd00dfeed"),
            FdtError::Truncated(at) => write!(f, "truncated at offset {at:#x}"),
            FdtError::OldVersion(v) => write!(f, "version {v}, need 16 or later"),
            FdtError::BadStructure(at) => write!(f, "bad structure block at offset {at:#x}"),
            FdtError::MissingProperty(name) => write!(f, "no property {name}"),
            FdtError::BadValue { expected, len } => {
                write!(f, "a value of {len} bytes is not a {expected}")
            }
            FdtError::UnsupportedCells {
                address_cells,
                size_cells,
            } => write!(
                f,
                "#address-cells {address_cells} / #size-cells {size_cells}: at most 2 each"
            ),
        }
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// A checked device tree blob.
#[derive(Clone, Copy)]
pub struct Fdt<'a> {
    structs: &'a [u8],
    strings: &'a [u8],
    total: usize,
    version: u32,
}

/// One token of the structure block.
enum Token<'a> {
    Begin(&'a str),
    End,
    Prop(&'a str, &'a [u8]),
    Nop,
    Finish,
}

impl<'a> Fdt<'a> {
    /// Checks the blob: header, blocks inside it, a well-formed token stream.
    pub fn new(blob: &'a [u8]) -> Result<Self, FdtError> {
        let word = |i: usize| be32(blob, 4 * i).ok_or(FdtError::Truncated(4 * i));
        let magic = word(0)?;
        if magic != MAGIC {
            return Err(FdtError::BadMagic(magic));
        }
        if blob.len() < HEADER_SIZE {
            return Err(FdtError::Truncated(blob.len()));
        }
        let total = word(1)? as usize;
        let (off_struct, off_strings) = (word(2)? as usize, word(3)? as usize);
        let version = word(5)?;
        let (size_strings, size_struct) = (word(8)? as usize, word(9)? as usize);
        if version < 16 {
            return Err(FdtError::OldVersion(version));
        }
        let blob = blob.get(..total).ok_or(FdtError::Truncated(blob.len()))?;
        let block = |off: usize, size: usize| {
            blob.get(off..off.saturating_add(size))
                .ok_or(FdtError::Truncated(off))
        };
        let fdt = Fdt {
            structs: block(off_struct, size_struct)?,
            strings: block(off_strings, size_strings)?,
            total,
            version,
        };
        fdt.check()?;
        Ok(fdt)
    }

    /// The blob's total size, from its header.
    pub fn total_size(&self) -> usize {
        self.total
    }

    /// The blob's format version.
    pub fn version(&self) -> u32 {
        self.version
    }

    fn token(&self, at: usize) -> Result<(Token<'a>, usize), FdtError> {
        let bad = FdtError::BadStructure(at);
        let kind = be32(self.structs, at).ok_or(bad)?;
        let body = at + 4;
        match kind {
            TOKEN_BEGIN_NODE => {
                let rest = self.structs.get(body..).ok_or(bad)?;
                let len = rest.iter().position(|&b| b == 0).ok_or(bad)?;
                let name = core::str::from_utf8(&rest[..len]).map_err(|_| bad)?;
                Ok((Token::Begin(name), body + align4(len + 1)))
            }
            TOKEN_END_NODE => Ok((Token::End, body)),
            TOKEN_PROP => {
                let len = be32(self.structs, body).ok_or(bad)? as usize;
                let name_off = be32(self.structs, body + 4).ok_or(bad)? as usize;
                let value = self.structs.get(body + 8..body + 8 + len).ok_or(bad)?;
                let name = self.strings.get(name_off..).ok_or(bad)?;
                let name_len = name.iter().position(|&b| b == 0).ok_or(bad)?;
                let name = core::str::from_utf8(&name[..name_len]).map_err(|_| bad)?;
                Ok((Token::Prop(name, value), body + 8 + align4(len)))
            }
            TOKEN_NOP => Ok((Token::Nop, body)),
            TOKEN_END => Ok((Token::Finish, body)),
            _ => Err(bad),
        }
    }

    /// Walks the whole token stream once: one root, balanced nesting, an END.
    fn check(&self) -> Result<(), FdtError> {
        let (mut at, mut depth, mut roots) = (0, 0usize, 0);
        loop {
            let (token, next) = self.token(at)?;
            match token {
                Token::Begin(_) => {
                    if depth == 0 {
                        roots += 1;
                    }
                    depth += 1;
                }
                Token::End if depth > 0 => depth -= 1,
                Token::Prop(..) if depth > 0 => {}
                Token::Nop => {}
                Token::Finish if depth == 0 && roots == 1 => return Ok(()),
                _ => return Err(FdtError::BadStructure(at)),
            }
            at = next;
        }
    }

    /// Every node, depth first in tree order, the root first.
    pub fn nodes(&self) -> Walk<'a> {
        Walk {
            fdt: *self,
            at: 0,
            cells: [Cells::DEFAULT; MAX_DEPTH],
            depth: 0,
        }
    }
}

/// `#address-cells` and `#size-cells`.
#[derive(Clone, Copy)]
pub struct Cells {
    pub address: u32,
    pub size: u32,
}

impl Cells {
    /// What a node without the properties gives its children.
    pub const DEFAULT: Cells = Cells {
        address: 2,
        size: 1,
    };
}

/// A node: its name, where its properties start, its parent's cells.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    fdt: Fdt<'a>,
    name: &'a str,
    body: usize,
    parent_cells: Cells,
}

impl<'a> Node<'a> {
    /// The node's name, unit address included (`memory@40000000`).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The name without the unit address (`memory`).
    pub fn base_name(&self) -> &'a str {
        self.name.split('@').next().unwrap_or(self.name)
    }

    /// The cells of the parent, which this node's `reg` is read with.
    pub fn parent_cells(&self) -> Cells {
        self.parent_cells
    }

    /// The property `name`, if the node has it.
    pub fn property(&self, name: &str) -> Option<Property<'a>> {
        let mut at = self.body;
        loop {
            match self.fdt.token(at).ok()? {
                (Token::Prop(n, value), _) if n == name => return Some(Property { value }),
                (Token::Prop(..) | Token::Nop, next) => at = next,
                _ => return None,
            }
        }
    }

    /// Whether `compatible` lists `model`.
    pub fn is_compatible(&self, model: &str) -> bool {
        self.property("compatible")
            .is_some_and(|p| p.value.split(|&b| b == 0).any(|s| s == model.as_bytes()))
    }

    /// The cells this node gives its children (defaults 2 and 1; u32::MAX
    /// for a malformed value, which reading a child's `reg` then refuses).
    pub fn cells(&self) -> Cells {
        let read = |name, default| {
            self.property(name)
                .map_or(default, |p| p.as_u32().unwrap_or(u32::MAX))
        };
        Cells {
            address: read("#address-cells", Cells::DEFAULT.address),
            size: read("#size-cells", Cells::DEFAULT.size),
        }
    }

    /// The node's direct children.
    pub fn children(&self) -> Children<'a> {
        Children {
            fdt: self.fdt,
            at: self.body,
            cells: self.cells(),
        }
    }

    /// `reg`, read with the parent's cells.
    pub fn reg(&self) -> Result<Reg<'a>, FdtError> {
        let reg = self
            .property("reg")
            .ok_or(FdtError::MissingProperty("reg"))?;
        Reg::new(reg.value, self.parent_cells)
    }
}

/// A property's value.
#[derive(Clone, Copy)]
pub struct Property<'a> {
    value: &'a [u8],
}

impl<'a> Property<'a> {
    /// The value as one cell (exactly 4 bytes).
    pub fn as_u32(&self) -> Result<u32, FdtError> {
        match *self.value {
            [a, b, c, d] => Ok(u32::from_be_bytes([a, b, c, d])),
            _ => Err(FdtError::BadValue {
                expected: "u32",
                len: self.value.len(),
            }),
        }
    }

    /// The value as one string (UTF-8, NUL-terminated, no other NUL).
    pub fn as_str(&self) -> Result<&'a str, FdtError> {
        let bad = FdtError::BadValue {
            expected: "string",
            len: self.value.len(),
        };
        let text = self.value.strip_suffix(&[0]).ok_or(bad)?;
        if text.contains(&0) {
            return Err(bad);
        }
        core::str::from_utf8(text).map_err(|_| bad)
    }

    /// The value as cells (a multiple of 4 bytes).
    pub fn u32s(&self) -> Result<U32s<'a>, FdtError> {
        if !self.value.len().is_multiple_of(4) {
            return Err(FdtError::BadValue {
                expected: "list of u32 cells",
                len: self.value.len(),
            });
        }
        Ok(U32s { rest: self.value })
    }
}

/// The cells of a property ([`Property::u32s`]).
pub struct U32s<'a> {
    rest: &'a [u8],
}

impl Iterator for U32s<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let cell = be32(self.rest, 0)?;
        self.rest = self.rest.get(4..)?;
        Some(cell)
    }
}

/// Depth-first iterator over every node, see [`Fdt::nodes`].
pub struct Walk<'a> {
    fdt: Fdt<'a>,
    at: usize,
    /// `cells[d]`: the cells the node open at depth `d` gives its children.
    cells: [Cells; MAX_DEPTH],
    depth: usize,
}

impl<'a> Iterator for Walk<'a> {
    type Item = Node<'a>;

    fn next(&mut self) -> Option<Node<'a>> {
        loop {
            let (token, next) = self.fdt.token(self.at).ok()?;
            self.at = next;
            match token {
                Token::Begin(name) => {
                    let parent_cells = match self.depth {
                        0 => Cells::DEFAULT,
                        d => self.cells[(d - 1).min(MAX_DEPTH - 1)],
                    };
                    let node = Node {
                        fdt: self.fdt,
                        name,
                        body: next,
                        parent_cells,
                    };
                    if let Some(slot) = self.cells.get_mut(self.depth) {
                        *slot = node.cells();
                    }
                    self.depth += 1;
                    return Some(node);
                }
                Token::End => self.depth = self.depth.saturating_sub(1),
                Token::Prop(..) | Token::Nop => {}
                Token::Finish => return None,
            }
        }
    }
}

/// Iterator over a node's direct children, see [`Node::children`].
pub struct Children<'a> {
    fdt: Fdt<'a>,
    at: usize,
    /// The parent's cells, which the children's `reg` uses.
    cells: Cells,
}

impl<'a> Iterator for Children<'a> {
    type Item = Node<'a>;

    fn next(&mut self) -> Option<Node<'a>> {
        loop {
            let (token, next) = self.fdt.token(self.at).ok()?;
            match token {
                Token::Prop(..) | Token::Nop => self.at = next,
                Token::Begin(name) => {
                    let child = Node {
                        fdt: self.fdt,
                        name,
                        body: next,
                        parent_cells: self.cells,
                    };
                    // Skip the child's subtree.
                    let (mut at, mut depth) = (next, 1usize);
                    while depth > 0 {
                        let (token, after) = self.fdt.token(at).ok()?;
                        match token {
                            Token::Begin(_) => depth += 1,
                            Token::End => depth -= 1,
                            Token::Finish => return None,
                            _ => {}
                        }
                        at = after;
                    }
                    self.at = at;
                    return Some(child);
                }
                Token::End | Token::Finish => return None,
            }
        }
    }
}

/// One `reg` entry.
#[derive(Clone, Copy)]
pub struct RegEntry {
    pub address: u64,
    pub size: u64,
}

/// The entries of a `reg` property ([`Node::reg`]).
pub struct Reg<'a> {
    cells: U32s<'a>,
    address: u32,
    size: u32,
}

impl<'a> Reg<'a> {
    /// Reads `value` as entries of `cells` (each at most 2; the value a whole
    /// number of entries).
    pub fn new(value: &'a [u8], cells: Cells) -> Result<Self, FdtError> {
        if cells.address > 2 || cells.size > 2 {
            return Err(FdtError::UnsupportedCells {
                address_cells: cells.address,
                size_cells: cells.size,
            });
        }
        let entry = 4 * (cells.address + cells.size) as usize;
        if entry == 0 || !value.len().is_multiple_of(entry) {
            return Err(FdtError::BadValue {
                expected: "list of reg entries",
                len: value.len(),
            });
        }
        Ok(Reg {
            cells: U32s { rest: value },
            address: cells.address,
            size: cells.size,
        })
    }
}

/// Reads a number of `n` (at most 2) cells from `cells`.
fn take(cells: &mut U32s, n: u32) -> Option<u64> {
    (0..n).try_fold(0u64, |acc, _| Some(acc << 32 | u64::from(cells.next()?)))
}

impl Iterator for Reg<'_> {
    type Item = RegEntry;

    fn next(&mut self) -> Option<RegEntry> {
        let address = take(&mut self.cells, self.address)?;
        let size = take(&mut self.cells, self.size)?;
        Some(RegEntry { address, size })
    }
}
