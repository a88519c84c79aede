//! Nodes and properties of a checked blob, and reading property values.

use crate::error::FdtError;
use crate::read::{read_token, string_at, Fdt, Token};

/// A node's `#address-cells` and `#size-cells`: how many 32-bit cells an
/// address and a size take in its children's `reg` (and other properties).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cells {
    /// `#address-cells` (2 when absent, u32::MAX when malformed).
    pub address: u32,
    /// `#size-cells` (1 when absent, u32::MAX when malformed).
    pub size: u32,
}

impl Cells {
    /// What a node without the properties gives its children (Devicetree
    /// Specification 2.3.5).
    pub const DEFAULT: Cells = Cells {
        address: 2,
        size: 1,
    };
}

/// A node of a checked blob. Cheap to copy.
#[derive(Clone, Copy, Debug)]
pub struct Node<'a> {
    fdt: Fdt<'a>,
    name: &'a str,
    /// Offset of the first token after the node's name in the structure block.
    body: usize,
    depth: usize,
    parent_cells: Cells,
}

impl<'a> Node<'a> {
    pub(crate) fn new(
        fdt: Fdt<'a>,
        name: &'a str,
        body: usize,
        depth: usize,
        parent_cells: Cells,
    ) -> Node<'a> {
        Node {
            fdt,
            name,
            body,
            depth,
            parent_cells,
        }
    }

    /// The full name, unit address included (`memory@40000000`); the root's is empty.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The name without the unit address (`memory`).
    pub fn base_name(&self) -> &'a str {
        self.name.split('@').next().unwrap_or(self.name)
    }

    /// The unit address, the text after `@` (`40000000`), if any.
    pub fn unit_address(&self) -> Option<&'a str> {
        self.name.split_once('@').map(|(_, unit)| unit)
    }

    /// How deep the node is: the root 0, its children 1.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The cells of the parent, which this node's `reg` is read with.
    pub fn parent_cells(&self) -> Cells {
        self.parent_cells
    }

    /// The cells this node gives its children (its own `#address-cells` and
    /// `#size-cells`, defaults 2 and 1; u32::MAX for a value not 4 bytes long,
    /// which reading a child's `reg` then refuses).
    pub fn cells(&self) -> Cells {
        let read = |name, default| match self.property(name) {
            None => default,
            Some(p) => p.as_u32().unwrap_or(u32::MAX),
        };
        Cells {
            address: read("#address-cells", Cells::DEFAULT.address),
            size: read("#size-cells", Cells::DEFAULT.size),
        }
    }

    /// The node's properties, in blob order.
    pub fn properties(&self) -> Properties<'a> {
        Properties {
            fdt: self.fdt,
            offset: self.body,
        }
    }

    /// The first property named `name`.
    pub fn property(&self, name: &str) -> Option<Property<'a>> {
        self.properties().find(|p| p.name() == name)
    }

    /// The node's direct children, in blob order.
    pub fn children(&self) -> Children<'a> {
        Children {
            fdt: self.fdt,
            offset: self.body,
            depth: self.depth + 1,
            cells: self.cells(),
            done: false,
        }
    }

    /// The child called `name`: the first exact match, else, when `name` has
    /// no unit address, the first child whose name without one is `name`
    /// (libfdt's rule, exact matches first).
    pub fn child(&self, name: &str) -> Option<Node<'a>> {
        self.children().find(|c| c.name == name).or_else(|| {
            if name.contains('@') {
                return None;
            }
            self.children()
                .find(|c| c.unit_address().is_some() && c.base_name() == name)
        })
    }

    /// Whether `compatible` lists `model`.
    pub fn is_compatible(&self, model: &str) -> bool {
        self.property("compatible")
            .and_then(|p| p.strings().ok())
            .is_some_and(|mut list| list.any(|s| s == model))
    }

    /// The `reg` entries, read with the parent's `#address-cells` and
    /// `#size-cells` (each 0, 1 or 2).
    pub fn reg(&self) -> Result<Reg<'a>, FdtError> {
        let property = self
            .property("reg")
            .ok_or(FdtError::MissingProperty("reg"))?;
        Reg::new(property.value(), self.parent_cells)
    }
}

/// A node's properties ([`Node::properties`]).
#[derive(Clone, Debug)]
pub struct Properties<'a> {
    fdt: Fdt<'a>,
    offset: usize,
}

impl<'a> Iterator for Properties<'a> {
    type Item = Property<'a>;

    fn next(&mut self) -> Option<Property<'a>> {
        loop {
            let (token, next) = read_token(self.fdt.structs(), self.offset).ok()?;
            match token {
                Token::Nop => self.offset = next,
                Token::Prop { name_offset, value } => {
                    self.offset = next;
                    // Checked by Fdt::new; an empty name cannot happen.
                    let name = string_at(self.fdt.strings(), name_offset).unwrap_or("");
                    return Some(Property { name, value });
                }
                // Properties come first (checked), so the first other token ends them.
                _ => return None,
            }
        }
    }
}

/// A node's direct children ([`Node::children`]).
#[derive(Clone, Debug)]
pub struct Children<'a> {
    fdt: Fdt<'a>,
    offset: usize,
    depth: usize,
    cells: Cells,
    done: bool,
}

impl<'a> Children<'a> {
    /// The offset after the FDT_END_NODE closing the node whose body starts at `offset`.
    fn skip_subtree(&self, mut offset: usize) -> Option<usize> {
        let mut open = 1usize;
        loop {
            let (token, next) = read_token(self.fdt.structs(), offset).ok()?;
            match token {
                Token::Begin(_) => open += 1,
                Token::End => {
                    open -= 1;
                    if open == 0 {
                        return Some(next);
                    }
                }
                Token::EndTree => return None,
                Token::Prop { .. } | Token::Nop => {}
            }
            offset = next;
        }
    }
}

impl<'a> Iterator for Children<'a> {
    type Item = Node<'a>;

    fn next(&mut self) -> Option<Node<'a>> {
        while !self.done {
            let Ok((token, next)) = read_token(self.fdt.structs(), self.offset) else {
                break;
            };
            match token {
                Token::Begin(name) => {
                    let child = Node::new(self.fdt, name, next, self.depth, self.cells);
                    match self.skip_subtree(next) {
                        Some(after) => self.offset = after,
                        None => self.done = true,
                    }
                    return Some(child);
                }
                Token::Prop { .. } | Token::Nop => self.offset = next,
                Token::End | Token::EndTree => break,
            }
        }
        self.done = true;
        None
    }
}

/// A property: its name and raw (big-endian) value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Property<'a> {
    name: &'a str,
    value: &'a [u8],
}

impl<'a> Property<'a> {
    /// The property's name.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The raw value.
    pub fn value(&self) -> &'a [u8] {
        self.value
    }

    /// Whether the value is empty (a flag such as `interrupt-controller`).
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    /// The value as one 32-bit cell (exactly 4 bytes).
    pub fn as_u32(&self) -> Result<u32, FdtError> {
        match *self.value {
            [a, b, c, d] => Ok(u32::from_be_bytes([a, b, c, d])),
            _ => Err(FdtError::BadValue {
                expected: "u32",
                len: self.value.len(),
            }),
        }
    }

    /// The value as one 64-bit number (exactly 8 bytes, two cells).
    pub fn as_u64(&self) -> Result<u64, FdtError> {
        let bytes: [u8; 8] = self.value.try_into().map_err(|_| FdtError::BadValue {
            expected: "u64",
            len: self.value.len(),
        })?;
        Ok(u64::from_be_bytes(bytes))
    }

    /// The value as 32-bit cells (a multiple of 4 bytes).
    pub fn u32s(&self) -> Result<U32s<'a>, FdtError> {
        if !self.value.len().is_multiple_of(4) {
            return Err(FdtError::BadValue {
                expected: "list of u32 cells",
                len: self.value.len(),
            });
        }
        Ok(U32s { rest: self.value })
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

    /// The value as a string list (`compatible`): UTF-8 strings, each
    /// NUL-terminated, at least one.
    pub fn strings(&self) -> Result<Strings<'a>, FdtError> {
        let bad = FdtError::BadValue {
            expected: "string list",
            len: self.value.len(),
        };
        let text = self.value.strip_suffix(&[0]).ok_or(bad)?;
        let text = core::str::from_utf8(text).map_err(|_| bad)?;
        Ok(Strings { rest: Some(text) })
    }
}

/// The cells of a property ([`Property::u32s`]).
#[derive(Clone, Debug)]
pub struct U32s<'a> {
    rest: &'a [u8],
}

impl Iterator for U32s<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let (&word, rest) = self.rest.split_first_chunk::<4>()?;
        self.rest = rest;
        Some(u32::from_be_bytes(word))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.rest.len() / 4, Some(self.rest.len() / 4))
    }
}

impl ExactSizeIterator for U32s<'_> {}

/// The strings of a string list ([`Property::strings`]).
#[derive(Clone, Debug)]
pub struct Strings<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for Strings<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match rest.split_once('\0') {
            Some((first, tail)) => {
                self.rest = Some(tail);
                Some(first)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// One `reg` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegEntry {
    /// The address (0 when `#address-cells` is 0).
    pub address: u64,
    /// The size (0 when `#size-cells` is 0).
    pub size: u64,
}

/// The entries of a `reg` property ([`Node::reg`]).
#[derive(Clone, Debug)]
pub struct Reg<'a> {
    rest: &'a [u8],
    address_cells: usize,
    size_cells: usize,
}

impl<'a> Reg<'a> {
    /// Reads `value` as `reg` entries of `cells` (each 0, 1 or 2 cells; the
    /// value a whole number of entries).
    pub fn new(value: &'a [u8], cells: Cells) -> Result<Reg<'a>, FdtError> {
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
            rest: value,
            address_cells: cells.address as usize,
            size_cells: cells.size as usize,
        })
    }

    fn take(&mut self, cells: usize) -> u64 {
        let (number, rest) = self.rest.split_at(cells * 4);
        self.rest = rest;
        number
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
    }
}

impl Iterator for Reg<'_> {
    type Item = RegEntry;

    fn next(&mut self) -> Option<RegEntry> {
        if self.rest.len() < 4 * (self.address_cells + self.size_cells) || self.rest.is_empty() {
            return None;
        }
        let address = self.take(self.address_cells);
        let size = self.take(self.size_cells);
        Some(RegEntry { address, size })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let entry = 4 * (self.address_cells + self.size_cells);
        let n = self.rest.len().checked_div(entry).unwrap_or(0);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Reg<'_> {}
