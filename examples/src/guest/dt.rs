//! A minimal flattened device tree reader: enough for the guest's checks.
//!
//! Local stand-in for the workspace's `sysinit-fdt` crate (being written in
//! parallel): the guest uses only [`Fdt::new`], [`Fdt::nodes`], [`Node`]'s
//! accessors and [`Regs`], so swapping in the crate touches this file and the
//! few call sites in `mod.rs`. Never allocates and never panics: the blob is
//! checked once in [`Fdt::new`] (header, token stream, nesting, string
//! offsets), and every later access is bounds-checked all the same.

use core::fmt;

const MAGIC: u32 = 0xd00d_feed;
const HEADER_SIZE: usize = 40;
const TOKEN_BEGIN_NODE: u32 = 1;
const TOKEN_END_NODE: u32 = 2;
const TOKEN_PROP: u32 = 3;
const TOKEN_NOP: u32 = 4;
const TOKEN_END: u32 = 9;
/// Deepest nesting [`Fdt::nodes`] follows (QEMU's and sysinit's trees have 3).
const MAX_DEPTH: usize = 16;

/// Why a blob is not a device tree this reader accepts.
#[derive(Debug, Clone, Copy)]
pub enum DtError {
    /// The first word is not 0xd00dfeed.
    BadMagic(u32),
    /// The header, a block or a token runs past the blob (offset).
    Truncated(usize),
    /// Version older than 16 (the first with the structure this reader walks).
    OldVersion(u32),
    /// An unknown token or unbalanced nesting at this structure offset.
    BadStructure(usize),
}

impl fmt::Display for DtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DtError::BadMagic(m) => write!(f, "magic {m:#010x}, not 0xd00dfeed"),
            DtError::Truncated(at) => write!(f, "truncated at offset {at:#x}"),
            DtError::OldVersion(v) => write!(f, "version {v}, need 16 or later"),
            DtError::BadStructure(at) => write!(f, "bad structure block at offset {at:#x}"),
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

/// One token of the structure block, with the offset after it.
enum Token<'a> {
    Begin(&'a str),
    End,
    Prop(&'a str, &'a [u8]),
    Nop,
    Finish,
}

impl<'a> Fdt<'a> {
    /// Checks the blob: header, blocks inside it, a well-formed token stream.
    pub fn new(blob: &'a [u8]) -> Result<Self, DtError> {
        let word = |i: usize| be32(blob, 4 * i).ok_or(DtError::Truncated(4 * i));
        let magic = word(0)?;
        if magic != MAGIC {
            return Err(DtError::BadMagic(magic));
        }
        if blob.len() < HEADER_SIZE {
            return Err(DtError::Truncated(blob.len()));
        }
        let total = word(1)? as usize;
        let (off_struct, off_strings) = (word(2)? as usize, word(3)? as usize);
        let version = word(5)?;
        let (size_strings, size_struct) = (word(8)? as usize, word(9)? as usize);
        if version < 16 {
            return Err(DtError::OldVersion(version));
        }
        let blob = blob.get(..total).ok_or(DtError::Truncated(blob.len()))?;
        let block = |off: usize, size: usize| {
            blob.get(off..off.saturating_add(size))
                .ok_or(DtError::Truncated(off))
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

    fn token(&self, at: usize) -> Result<(Token<'a>, usize), DtError> {
        let bad = DtError::BadStructure(at);
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
    fn check(&self) -> Result<(), DtError> {
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
                _ => return Err(DtError::BadStructure(at)),
            }
            at = next;
        }
    }

    /// Every node, depth first, with the `#address-cells`/`#size-cells` of its
    /// parent (which its `reg` uses).
    pub fn nodes(&self) -> Nodes<'a> {
        Nodes {
            fdt: *self,
            at: 0,
            stack: [Cells::ROOT_PARENT; MAX_DEPTH],
            depth: 0,
        }
    }
}

/// A node: its name and where its properties start.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    fdt: Fdt<'a>,
    name: &'a str,
    body: usize,
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

    /// The value of property `name`, if the node has it.
    pub fn prop(&self, name: &str) -> Option<&'a [u8]> {
        let mut at = self.body;
        loop {
            match self.fdt.token(at).ok()? {
                (Token::Prop(n, value), _) if n == name => return Some(value),
                (Token::Prop(..) | Token::Nop, next) => at = next,
                _ => return None,
            }
        }
    }

    /// A string property without its terminating NUL (the first string of a list).
    pub fn prop_str(&self, name: &str) -> Option<&'a str> {
        let value = self.prop(name)?;
        let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
        core::str::from_utf8(&value[..end]).ok()
    }

    /// A one-cell property.
    pub fn prop_u32(&self, name: &str) -> Option<u32> {
        be32(self.prop(name)?, 0)
    }

    /// Whether `compatible` lists `what`.
    pub fn is_compatible(&self, what: &str) -> bool {
        self.prop("compatible")
            .is_some_and(|v| v.split(|&b| b == 0).any(|s| s == what.as_bytes()))
    }

    /// The cell counts this node gives its children (defaults 2 and 1).
    pub fn child_cells(&self) -> Cells {
        Cells {
            address: self.prop_u32("#address-cells").unwrap_or(2),
            size: self.prop_u32("#size-cells").unwrap_or(1),
        }
    }

    /// The node's direct children.
    pub fn children(&self) -> Children<'a> {
        Children {
            fdt: self.fdt,
            at: self.body,
        }
    }

    /// `reg` as (address, size) pairs, read with the parent's cell counts.
    pub fn reg(&self, parent: Cells) -> Regs<'a> {
        Regs::new(self.prop("reg").unwrap_or(&[]), parent.address, parent.size)
    }
}

/// `#address-cells` and `#size-cells`.
#[derive(Clone, Copy)]
pub struct Cells {
    pub address: u32,
    pub size: u32,
}

impl Cells {
    /// What the root's `reg` would be read with (the root has none).
    const ROOT_PARENT: Cells = Cells {
        address: 2,
        size: 1,
    };
}

/// Depth-first iterator over every node, see [`Fdt::nodes`].
pub struct Nodes<'a> {
    fdt: Fdt<'a>,
    at: usize,
    /// The cells each open node gives its children.
    stack: [Cells; MAX_DEPTH],
    depth: usize,
}

impl<'a> Iterator for Nodes<'a> {
    /// The node and the cells its `reg` is read with.
    type Item = (Node<'a>, Cells);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (token, next) = self.fdt.token(self.at).ok()?;
            self.at = next;
            match token {
                Token::Begin(name) => {
                    let node = Node {
                        fdt: self.fdt,
                        name,
                        body: next,
                    };
                    let parent = match self.depth {
                        0 => Cells::ROOT_PARENT,
                        d => self.stack[(d - 1).min(MAX_DEPTH - 1)],
                    };
                    // Deeper than MAX_DEPTH: the node is still returned, its
                    // children read with the deepest cells kept.
                    if let Some(slot) = self.stack.get_mut(self.depth) {
                        *slot = node.child_cells();
                    }
                    self.depth += 1;
                    return Some((node, parent));
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

/// Big-endian cell groups: `reg`, `ranges` and the like.
pub struct Regs<'a> {
    data: &'a [u8],
    address: u32,
    size: u32,
}

impl<'a> Regs<'a> {
    /// Pairs of `address` cells and `size` cells (each at most 2; with more,
    /// or a partial last pair, iteration stops).
    pub fn new(data: &'a [u8], address: u32, size: u32) -> Self {
        Regs {
            data,
            address,
            size,
        }
    }
}

/// Reads `cells` cells (0..=2) from the front of `data` as one number.
pub fn read_cells(data: &mut &[u8], cells: u32) -> Option<u64> {
    if cells > 2 {
        return None;
    }
    let mut value = 0u64;
    for _ in 0..cells {
        value = value << 32 | u64::from(be32(data, 0)?);
        *data = data.get(4..)?;
    }
    Some(value)
}

impl Iterator for Regs<'_> {
    type Item = (u64, u64);

    fn next(&mut self) -> Option<(u64, u64)> {
        if self.data.is_empty() || self.address + self.size == 0 {
            return None;
        }
        let mut data = self.data;
        let address = read_cells(&mut data, self.address)?;
        let size = read_cells(&mut data, self.size)?;
        self.data = data;
        Some((address, size))
    }
}
