//! The blob: header checks, the one validating pass over the structure
//! block, and the walks that rely on it.

use crate::error::{Block, FdtError, StructureProblem};
use crate::node::{Cells, Node};
use crate::{
    FDT_BEGIN_NODE, FDT_END, FDT_END_NODE, FDT_MAGIC, FDT_NOP, FDT_PROP, FDT_VERSION, HEADER_SIZE,
    MAX_DEPTH,
};

/// A checked device tree blob. Cheap to copy (two slices and a few words).
#[derive(Clone, Copy, Debug)]
pub struct Fdt<'a> {
    blob: &'a [u8],
    structs: &'a [u8],
    strings: &'a [u8],
    reservations: &'a [u8],
    version: u32,
    boot_cpuid_phys: u32,
}

/// One token of the structure block.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Token<'a> {
    Begin(&'a str),
    End,
    Prop { name_offset: u32, value: &'a [u8] },
    Nop,
    EndTree,
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let word = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([word[0], word[1], word[2], word[3]]))
}

fn be64(bytes: &[u8], at: usize) -> Option<u64> {
    Some((u64::from(be32(bytes, at)?) << 32) | u64::from(be32(bytes, at.checked_add(4)?)?))
}

fn align4(n: usize) -> Option<usize> {
    Some(n.checked_add(3)? & !3)
}

/// The slice `[offset, offset + size)` of `blob` (already cut to totalsize),
/// past the header, or why not.
fn block(blob: &[u8], which: Block, offset: u32, size: u32) -> Result<&[u8], FdtError> {
    let out = FdtError::BlockOutOfBounds {
        block: which,
        offset,
        size: u64::from(size),
        total: blob.len() as u32,
    };
    let start = offset as usize;
    let end = start.checked_add(size as usize).ok_or(out)?;
    if start < HEADER_SIZE || end > blob.len() {
        return Err(out);
    }
    Ok(&blob[start..end])
}

/// Reads the token at `offset` of the structure block; returns it and the
/// offset of the next one.
pub(crate) fn read_token<'a>(
    structs: &'a [u8],
    offset: usize,
) -> Result<(Token<'a>, usize), FdtError> {
    let truncated = FdtError::TruncatedStructure { offset };
    let token = be32(structs, offset).ok_or(truncated)?;
    let body = offset + 4;
    match token {
        FDT_BEGIN_NODE => {
            let rest = &structs[body..];
            let bad_name = FdtError::BadNodeName { offset };
            let len = rest.iter().position(|&b| b == 0).ok_or(truncated)?;
            let name = core::str::from_utf8(&rest[..len]).map_err(|_| bad_name)?;
            if name.contains('/') {
                return Err(bad_name);
            }
            let next = align4(body + len + 1).ok_or(truncated)?;
            Ok((Token::Begin(name), next))
        }
        FDT_END_NODE => Ok((Token::End, body)),
        FDT_PROP => {
            let len = be32(structs, body).ok_or(truncated)? as usize;
            let name_offset = be32(structs, body + 4).ok_or(truncated)?;
            let start = body + 8;
            let end = start.checked_add(len).ok_or(truncated)?;
            let value = structs.get(start..end).ok_or(truncated)?;
            let next = align4(end).ok_or(truncated)?;
            Ok((Token::Prop { name_offset, value }, next))
        }
        FDT_NOP => Ok((Token::Nop, body)),
        FDT_END => Ok((Token::EndTree, body)),
        _ => Err(FdtError::BadToken { offset, token }),
    }
}

/// The NUL-terminated, non-empty UTF-8 string at `offset` of the strings block.
pub(crate) fn string_at(strings: &[u8], offset: u32) -> Option<&str> {
    let rest = strings.get(offset as usize..)?;
    let len = rest.iter().position(|&b| b == 0)?;
    let name = core::str::from_utf8(&rest[..len]).ok()?;
    (!name.is_empty()).then_some(name)
}

/// The blob's size from its first 8 bytes (magic and `totalsize`), for a
/// program handed only the blob's address (the guest's x0): read 8 bytes,
/// ask this, then make the slice of that many bytes and call [`Fdt::new`],
/// which checks everything else.
pub fn total_size(first_bytes: &[u8]) -> Result<usize, FdtError> {
    let short = FdtError::Truncated {
        needed: 8,
        available: first_bytes.len(),
    };
    let magic = be32(first_bytes, 0).ok_or(short)?;
    if magic != FDT_MAGIC {
        return Err(FdtError::BadMagic(magic));
    }
    let total = be32(first_bytes, 4).ok_or(short)? as usize;
    if total < HEADER_SIZE {
        return Err(FdtError::Truncated {
            needed: HEADER_SIZE,
            available: total,
        });
    }
    Ok(total)
}

impl<'a> Fdt<'a> {
    /// Checks `data` as a device tree blob: the header (magic, a version
    /// compatible with 17, `totalsize` within `data`, every block inside the
    /// blob and aligned), the reservation block's terminator, and every token
    /// of the structure block (names, property name offsets, lengths, one
    /// root, properties before children, nesting up to [`MAX_DEPTH`]).
    /// Bytes after `totalsize` are ignored.
    pub fn new(data: &'a [u8]) -> Result<Fdt<'a>, FdtError> {
        let short = |needed| FdtError::Truncated {
            needed,
            available: data.len(),
        };
        let header = |i: usize| be32(data, i * 4).ok_or(short(HEADER_SIZE));
        let magic = header(0)?;
        if magic != FDT_MAGIC {
            return Err(FdtError::BadMagic(magic));
        }
        if data.len() < HEADER_SIZE {
            return Err(short(HEADER_SIZE));
        }
        let total = header(1)?;
        let (off_struct, off_strings, off_rsv) = (header(2)?, header(3)?, header(4)?);
        let (version, last_compatible) = (header(5)?, header(6)?);
        let (boot_cpuid_phys, size_strings, size_struct) = (header(7)?, header(8)?, header(9)?);
        if version < FDT_VERSION || last_compatible > FDT_VERSION {
            return Err(FdtError::UnsupportedVersion {
                version,
                last_compatible,
            });
        }
        if (total as usize) < HEADER_SIZE || total as usize > data.len() {
            return Err(short((total as usize).max(HEADER_SIZE)));
        }
        let blob = &data[..total as usize];
        if !off_struct.is_multiple_of(4) {
            return Err(FdtError::Misaligned {
                block: Block::Structure,
                offset: off_struct,
            });
        }
        if !off_rsv.is_multiple_of(8) {
            return Err(FdtError::Misaligned {
                block: Block::MemoryReservations,
                offset: off_rsv,
            });
        }
        let structs = block(blob, Block::Structure, off_struct, size_struct)?;
        let strings = block(blob, Block::Strings, off_strings, size_strings)?;
        let reservations = reservation_block(blob, off_rsv)?;
        let fdt = Fdt {
            blob,
            structs,
            strings,
            reservations,
            version,
            boot_cpuid_phys,
        };
        fdt.check_structure()?;
        Ok(fdt)
    }

    /// The one pass that makes every later walk infallible.
    fn check_structure(&self) -> Result<(), FdtError> {
        let mut offset = 0;
        let mut depth = 0usize;
        let mut seen_root = false;
        // Properties must directly follow their node's name or another
        // property: a property after an FDT_END_NODE (a closed child) is
        // refused, which needs no stack.
        let mut after_end = false;
        loop {
            let (token, next) = read_token(self.structs, offset)?;
            let problem = |problem| FdtError::Structure { offset, problem };
            match token {
                Token::Nop => {}
                Token::Begin(name) => {
                    if depth == 0 {
                        if seen_root {
                            return Err(problem(StructureProblem::SecondRoot));
                        }
                        if !name.is_empty() {
                            return Err(problem(StructureProblem::NamedRoot));
                        }
                        seen_root = true;
                    } else if name.is_empty() {
                        return Err(problem(StructureProblem::EmptyNodeName));
                    }
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(problem(StructureProblem::TooDeep));
                    }
                    after_end = false;
                }
                Token::Prop { name_offset, .. } => {
                    if depth == 0 {
                        return Err(problem(StructureProblem::PropertyOutsideNode));
                    }
                    if after_end {
                        return Err(problem(StructureProblem::PropertyAfterChild));
                    }
                    if string_at(self.strings, name_offset).is_none() {
                        return Err(FdtError::BadPropertyName {
                            offset,
                            name_offset,
                        });
                    }
                }
                Token::End => {
                    if depth == 0 {
                        return Err(problem(StructureProblem::UnbalancedEnd));
                    }
                    depth -= 1;
                    after_end = true;
                }
                Token::EndTree => {
                    if !seen_root {
                        return Err(problem(StructureProblem::NoRoot));
                    }
                    if depth != 0 {
                        return Err(problem(StructureProblem::UnclosedNode));
                    }
                    return Ok(());
                }
            }
            offset = next;
        }
    }

    /// The blob's bytes (`totalsize` of them).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.blob
    }

    /// The header's `totalsize`: bytes of the blob.
    pub fn total_size(&self) -> usize {
        self.blob.len()
    }

    /// The header's `version` (17 or a later compatible one).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The header's `boot_cpuid_phys`.
    pub fn boot_cpuid_phys(&self) -> u32 {
        self.boot_cpuid_phys
    }

    pub(crate) fn structs(&self) -> &'a [u8] {
        self.structs
    }

    pub(crate) fn strings(&self) -> &'a [u8] {
        self.strings
    }

    /// The memory reservation block's entries, as (address, size).
    pub fn reservations(&self) -> Reservations<'a> {
        Reservations {
            block: self.reservations,
            at: 0,
        }
    }

    /// The root node.
    pub fn root(&self) -> Node<'a> {
        let mut offset = 0;
        // Checked by `new`: NOPs, then the root's FDT_BEGIN_NODE.
        while let Ok((token, next)) = read_token(self.structs, offset) {
            if let Token::Begin(name) = token {
                return Node::new(*self, name, next, 0, Cells::DEFAULT);
            }
            offset = next;
        }
        Node::new(*self, "", self.structs.len(), 0, Cells::DEFAULT)
    }

    /// The node at `path` (absolute, `/`-separated; `/` is the root), or None.
    ///
    /// A path component without a unit address matches a node with one, as in
    /// libfdt: `/memory` finds `/memory@40000000`, `/pcie` finds
    /// `/pcie@4010000000`; the first match in tree order wins. A component
    /// with a unit address must match the node's name exactly.
    pub fn find_node(&self, path: &str) -> Option<Node<'a>> {
        let rest = path.strip_prefix('/')?;
        let mut node = self.root();
        for component in rest.split('/').filter(|c| !c.is_empty()) {
            node = node.child(component)?;
        }
        Some(node)
    }

    /// Every node, depth first in tree order, the root first.
    pub fn nodes(&self) -> Walk<'a> {
        Walk {
            fdt: *self,
            offset: 0,
            depth: 0,
            cells: [Cells::DEFAULT; MAX_DEPTH + 1],
            done: false,
        }
    }
}

/// The reservation block from its offset up to and including its terminator.
fn reservation_block(blob: &[u8], offset: u32) -> Result<&[u8], FdtError> {
    let start = offset as usize;
    if start < HEADER_SIZE || start > blob.len() {
        return Err(FdtError::BlockOutOfBounds {
            block: Block::MemoryReservations,
            offset,
            size: 16,
            total: blob.len() as u32,
        });
    }
    let mut at = start;
    loop {
        let (Some(address), Some(size)) = (be64(blob, at), be64(blob, at + 8)) else {
            return Err(FdtError::UnterminatedReservations);
        };
        at += 16;
        if address == 0 && size == 0 {
            return Ok(&blob[start..at]);
        }
    }
}

/// The memory reservation entries, as (address, size), without the terminator.
#[derive(Clone, Debug)]
pub struct Reservations<'a> {
    block: &'a [u8],
    at: usize,
}

impl Iterator for Reservations<'_> {
    type Item = (u64, u64);

    fn next(&mut self) -> Option<(u64, u64)> {
        let entry = (be64(self.block, self.at)?, be64(self.block, self.at + 8)?);
        if entry == (0, 0) {
            return None;
        }
        self.at += 16;
        Some(entry)
    }
}

/// Depth-first walk over every node ([`Fdt::nodes`]); [`Node::depth`] says
/// how deep each is (the root: 0).
#[derive(Clone, Debug)]
pub struct Walk<'a> {
    fdt: Fdt<'a>,
    offset: usize,
    depth: usize,
    /// `cells[d]`: the cells the node open at depth `d` gives its children.
    cells: [Cells; MAX_DEPTH + 1],
    done: bool,
}

impl<'a> Iterator for Walk<'a> {
    type Item = Node<'a>;

    fn next(&mut self) -> Option<Node<'a>> {
        while !self.done {
            let Ok((token, next)) = read_token(self.fdt.structs, self.offset) else {
                self.done = true;
                break;
            };
            self.offset = next;
            match token {
                Token::Begin(name) => {
                    let parent = match self.depth {
                        0 => Cells::DEFAULT,
                        d => self.cells[(d - 1).min(MAX_DEPTH)],
                    };
                    let node = Node::new(self.fdt, name, next, self.depth, parent);
                    self.cells[self.depth.min(MAX_DEPTH)] = node.cells();
                    self.depth += 1;
                    return Some(node);
                }
                Token::End => self.depth = self.depth.saturating_sub(1),
                Token::EndTree => self.done = true,
                Token::Prop { .. } | Token::Nop => {}
            }
        }
        None
    }
}
