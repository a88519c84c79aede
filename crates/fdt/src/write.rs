//! Building a blob: nodes and properties in order, then `finish`.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::{
    FDT_BEGIN_NODE, FDT_END, FDT_END_NODE, FDT_LAST_COMPATIBLE_VERSION, FDT_MAGIC, FDT_PROP,
    FDT_VERSION, HEADER_SIZE, MAX_DEPTH,
};

/// Why the writer refused a call. Each names the node path or name concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteError {
    /// A node name with characters outside `[0-9a-zA-Z,._+-]`, more than one
    /// `@`, or empty (only the root's name is empty).
    BadNodeName(String),
    /// A property name with characters outside `[0-9a-zA-Z,._+?#-]`, or empty.
    BadPropertyName(String),
    /// A string property value with a NUL inside (the writer adds the terminator).
    NulInString {
        /// The property.
        property: String,
    },
    /// The first node must be the root (`begin_node("")`), and only one root.
    NotOneRoot(String),
    /// A property before the root node was begun or after it ended.
    PropertyOutsideNode(String),
    /// A property after a child node of the same node: properties come first.
    PropertyAfterChild {
        /// Path of the node.
        node: String,
        /// The property.
        property: String,
    },
    /// `end_node` with no node open.
    EndWithoutBegin,
    /// `finish` with nodes still open (the path of the innermost).
    Unclosed(String),
    /// `finish` without a root node.
    NoRoot,
    /// Nodes nested deeper than [`crate::MAX_DEPTH`] (the reader's limit).
    TooDeep(String),
    /// A value or the whole blob larger than the format's 32-bit sizes.
    TooLarge,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::BadNodeName(name) => write!(
                f,
                "device tree node name \"{name}\" is not valid: use [0-9a-zA-Z,._+-], \
                 optionally @ and a unit address"
            ),
            WriteError::BadPropertyName(name) => write!(
                f,
                "device tree property name \"{name}\" is not valid: use [0-9a-zA-Z,._+?#-]"
            ),
            WriteError::NulInString { property } => write!(
                f,
                "device tree property \"{property}\": a string value holds a NUL byte"
            ),
            WriteError::NotOneRoot(name) => write!(
                f,
                "device tree node \"{name}\" at the top level: a tree has exactly one root, \
                 begun with begin_node(\"\")"
            ),
            WriteError::PropertyOutsideNode(name) => {
                write!(f, "device tree property \"{name}\" outside every node")
            }
            WriteError::PropertyAfterChild { node, property } => write!(
                f,
                "device tree property \"{property}\" of {node} comes after a child node: \
                 write a node's properties before its children"
            ),
            WriteError::EndWithoutBegin => f.write_str("device tree end_node with no node open"),
            WriteError::Unclosed(path) => {
                write!(f, "device tree finished with node {path} still open")
            }
            WriteError::NoRoot => f.write_str("device tree finished without a root node"),
            WriteError::TooDeep(path) => write!(
                f,
                "device tree node {path} nests deeper than {MAX_DEPTH} levels"
            ),
            WriteError::TooLarge => f.write_str("device tree larger than 4 GiB"),
        }
    }
}

impl core::error::Error for WriteError {}

/// An open node: its name and whether a child has been written (after which
/// no more properties may come).
struct Open {
    name: String,
    has_child: bool,
}

/// Builds a blob: `begin_node("")` (the root), its properties, its children,
/// `end_node()`, then [`FdtWriter::finish`]. Output is a pure function of the
/// calls: property names land in the strings block in order of first use,
/// each once.
#[derive(Default)]
pub struct FdtWriter {
    structs: Vec<u8>,
    strings: Vec<u8>,
    string_offsets: BTreeMap<String, u32>,
    reservations: Vec<(u64, u64)>,
    open: Vec<Open>,
    root_done: bool,
    boot_cpuid_phys: u32,
}

fn valid_node_name(name: &str) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric() || ",._+-".contains(c);
    let (base, unit) = match name.split_once('@') {
        Some((base, unit)) => (base, Some(unit)),
        None => (name, None),
    };
    !base.is_empty()
        && base.chars().all(ok)
        && unit.is_none_or(|u| !u.is_empty() && u.chars().all(ok))
}

fn valid_property_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ",._+?#-".contains(c))
}

impl FdtWriter {
    /// An empty writer.
    pub fn new() -> FdtWriter {
        FdtWriter::default()
    }

    /// Sets the header's `boot_cpuid_phys` (0 by default).
    pub fn boot_cpuid_phys(&mut self, cpu: u32) {
        self.boot_cpuid_phys = cpu;
    }

    /// Adds a memory reservation block entry (kept in call order).
    pub fn add_reservation(&mut self, address: u64, size: u64) {
        self.reservations.push((address, size));
    }

    fn path(&self) -> String {
        let mut path = String::new();
        for open in self.open.iter().skip(1) {
            path.push('/');
            path.push_str(&open.name);
        }
        if path.is_empty() {
            path.push('/');
        }
        path
    }

    fn push_u32(&mut self, word: u32) {
        self.structs.extend_from_slice(&word.to_be_bytes());
    }

    fn pad(&mut self) {
        while !self.structs.len().is_multiple_of(4) {
            self.structs.push(0);
        }
    }

    /// Opens a node: the root (`""`) first, then children of the open node.
    pub fn begin_node(&mut self, name: &str) -> Result<(), WriteError> {
        match self.open.last_mut() {
            None if self.root_done || !name.is_empty() => {
                return Err(WriteError::NotOneRoot(name.into()))
            }
            None => {}
            Some(parent) => {
                if !valid_node_name(name) {
                    return Err(WriteError::BadNodeName(name.into()));
                }
                parent.has_child = true;
            }
        }
        if self.open.len() >= crate::MAX_DEPTH {
            return Err(WriteError::TooDeep(alloc::format!(
                "{}/{name}",
                self.path()
            )));
        }
        self.push_u32(FDT_BEGIN_NODE);
        self.structs.extend_from_slice(name.as_bytes());
        self.structs.push(0);
        self.pad();
        self.open.push(Open {
            name: name.into(),
            has_child: false,
        });
        Ok(())
    }

    /// Closes the innermost open node.
    pub fn end_node(&mut self) -> Result<(), WriteError> {
        self.open.pop().ok_or(WriteError::EndWithoutBegin)?;
        self.push_u32(FDT_END_NODE);
        if self.open.is_empty() {
            self.root_done = true;
        }
        Ok(())
    }

    fn name_offset(&mut self, name: &str) -> Result<u32, WriteError> {
        if let Some(&offset) = self.string_offsets.get(name) {
            return Ok(offset);
        }
        let offset = u32::try_from(self.strings.len()).map_err(|_| WriteError::TooLarge)?;
        self.strings.extend_from_slice(name.as_bytes());
        self.strings.push(0);
        self.string_offsets.insert(name.into(), offset);
        Ok(offset)
    }

    /// Adds a property with a raw value to the open node.
    pub fn property(&mut self, name: &str, value: &[u8]) -> Result<(), WriteError> {
        if !valid_property_name(name) {
            return Err(WriteError::BadPropertyName(name.into()));
        }
        match self.open.last() {
            None => return Err(WriteError::PropertyOutsideNode(name.into())),
            Some(open) if open.has_child => {
                return Err(WriteError::PropertyAfterChild {
                    node: self.path(),
                    property: name.into(),
                })
            }
            Some(_) => {}
        }
        let len = u32::try_from(value.len()).map_err(|_| WriteError::TooLarge)?;
        let name_offset = self.name_offset(name)?;
        self.push_u32(FDT_PROP);
        self.push_u32(len);
        self.push_u32(name_offset);
        self.structs.extend_from_slice(value);
        self.pad();
        Ok(())
    }

    /// An empty property (a flag such as `interrupt-controller`).
    pub fn property_empty(&mut self, name: &str) -> Result<(), WriteError> {
        self.property(name, &[])
    }

    /// One 32-bit cell.
    pub fn property_u32(&mut self, name: &str, value: u32) -> Result<(), WriteError> {
        self.property(name, &value.to_be_bytes())
    }

    /// One 64-bit number (two cells).
    pub fn property_u64(&mut self, name: &str, value: u64) -> Result<(), WriteError> {
        self.property(name, &value.to_be_bytes())
    }

    /// 32-bit cells.
    pub fn property_cells(&mut self, name: &str, cells: &[u32]) -> Result<(), WriteError> {
        let value: Vec<u8> = cells.iter().flat_map(|c| c.to_be_bytes()).collect();
        self.property(name, &value)
    }

    /// 64-bit numbers, two cells each (`reg` under `#address-cells` and
    /// `#size-cells` of 2: address, size, address, size, ...).
    pub fn property_u64s(&mut self, name: &str, values: &[u64]) -> Result<(), WriteError> {
        let value: Vec<u8> = values.iter().flat_map(|c| c.to_be_bytes()).collect();
        self.property(name, &value)
    }

    /// One string (the NUL terminator is added).
    pub fn property_str(&mut self, name: &str, value: &str) -> Result<(), WriteError> {
        self.property_strings(name, &[value])
    }

    /// A string list such as `compatible` (each NUL-terminated).
    pub fn property_strings(&mut self, name: &str, values: &[&str]) -> Result<(), WriteError> {
        let mut value = Vec::new();
        for s in values {
            if s.contains('\0') {
                return Err(WriteError::NulInString {
                    property: name.into(),
                });
            }
            value.extend_from_slice(s.as_bytes());
            value.push(0);
        }
        self.property(name, &value)
    }

    /// The blob: header, memory reservations, structure block, strings block.
    pub fn finish(mut self) -> Result<Vec<u8>, WriteError> {
        if !self.open.is_empty() {
            return Err(WriteError::Unclosed(self.path()));
        }
        if !self.root_done {
            return Err(WriteError::NoRoot);
        }
        self.push_u32(FDT_END);
        // HEADER_SIZE is a multiple of 8, as the reservation block's offset must be.
        let off_rsv = HEADER_SIZE;
        let off_struct = off_rsv + 16 * (self.reservations.len() + 1);
        let off_strings = off_struct + self.structs.len();
        let total = off_strings + self.strings.len();
        let word = |n: usize| u32::try_from(n).map_err(|_| WriteError::TooLarge);
        let header = [
            FDT_MAGIC,
            word(total)?,
            word(off_struct)?,
            word(off_strings)?,
            word(off_rsv)?,
            FDT_VERSION,
            FDT_LAST_COMPATIBLE_VERSION,
            self.boot_cpuid_phys,
            word(self.strings.len())?,
            word(self.structs.len())?,
        ];
        let mut blob = Vec::with_capacity(total);
        for w in header {
            blob.extend_from_slice(&w.to_be_bytes());
        }
        for &(address, size) in self.reservations.iter().chain(&[(0, 0)]) {
            blob.extend_from_slice(&address.to_be_bytes());
            blob.extend_from_slice(&size.to_be_bytes());
        }
        blob.extend_from_slice(&self.structs);
        blob.extend_from_slice(&self.strings);
        Ok(blob)
    }
}
