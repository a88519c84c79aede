//! The JSON form of a spec, for people and for the host tool.
//!
//! ```json
//! { "format": "sysinit-spec", "version": 2, "arch": "x86_64",
//!   "machine": { "board": "qemu-x86_64", "ram_bytes": 536870912 },
//!   "objects": [...], "blob": "hex" }
//! ```
//!
//! `"hypervisor": false` after `"arch": "aarch64"` makes the spec one for the kernel at
//! EL1 (`kernel-config/aarch64-el1.cmake`); the field is written only when it differs
//! from the architecture's default configuration, so the JSON form keeps its version
//! ([`JSON_VERSION`]) while the binary one, which always carries it, moved on.
//!
//! The version is checked before the rest of the document is looked at, and
//! the document is validated after parsing, exactly like the binary form.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};
use sysinit_kobj::Arch;

use crate::{hex_bytes, KernelConfig, Machine, NamedObject, Spec, SpecError};

/// Version of the JSON form. Independent of the binary [`crate::FORMAT_VERSION`]: a
/// document without the optional `hypervisor` field reads as it always did.
pub const JSON_VERSION: u32 = 2;

/// Value of the `format` field, the JSON counterpart of [`crate::MAGIC`].
const FORMAT_NAME: &str = "sysinit-spec";

#[derive(Serialize)]
struct DocumentOut<'a> {
    format: &'static str,
    version: u32,
    arch: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hypervisor: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    machine: &'a Option<Machine>,
    objects: &'a [NamedObject],
    #[serde(serialize_with = "hex_bytes::serialize")]
    blob: &'a [u8],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentIn {
    #[allow(dead_code)] // checked through `Header` first
    format: String,
    #[allow(dead_code)]
    version: u32,
    arch: String,
    #[serde(default)]
    hypervisor: Option<bool>,
    #[serde(default)]
    machine: Option<Machine>,
    objects: Vec<NamedObject>,
    #[serde(default, deserialize_with = "hex_bytes::deserialize")]
    blob: Vec<u8>,
}

/// Just enough of the document to check what it is before parsing the rest.
#[derive(Deserialize)]
#[serde(expecting = "a JSON object with \"format\": \"sysinit-spec\"")]
struct Header {
    format: Option<String>,
    version: Option<u32>,
}

/// Why a JSON document could not be read as a spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JsonError {
    /// Not JSON, or JSON that does not fit the spec's shape.
    Syntax {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What serde_json reported.
        message: String,
    },
    /// The document's `format` is not `"sysinit-spec"` (or is missing).
    NotASpec {
        /// The `format` found, if any.
        found: Option<String>,
    },
    /// The document has another format version (or none).
    VersionMismatch {
        /// The version found, if any.
        found: Option<u32>,
        /// The version this build reads.
        supported: u32,
    },
    /// `arch` names no supported architecture.
    UnknownArch {
        /// The name found.
        found: String,
    },
    /// The spec parsed but is inconsistent.
    Invalid(SpecError),
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Syntax {
                line,
                column,
                message,
            } => {
                // serde_json appends its own " at line L column C"; say it once, first.
                let message = message.split(" at line ").next().unwrap_or(message);
                write!(f, "line {line}, column {column}: {message}")
            }
            JsonError::NotASpec { found: Some(found) } => {
                write!(
                    f,
                    "not a sysinit spec: \"format\" is \"{found}\", expected \"{FORMAT_NAME}\""
                )
            }
            JsonError::NotASpec { found: None } => {
                write!(
                    f,
                    "not a sysinit spec: the document has no \"format\": \"{FORMAT_NAME}\" field"
                )
            }
            JsonError::VersionMismatch {
                found: Some(found),
                supported,
            } => write!(
                f,
                "spec format version {found}; this build reads version {supported}; \
                 rebuild the spec with a matching sysinit"
            ),
            JsonError::VersionMismatch {
                found: None,
                supported,
            } => write!(
                f,
                "the spec has no \"version\" field; this build reads version {supported}"
            ),
            JsonError::UnknownArch { found } => write!(
                f,
                "unknown arch \"{found}\" (valid: {})",
                Arch::ALL.map(|a| a.name()).join(", ")
            ),
            JsonError::Invalid(e) => write!(f, "the spec is invalid: {e}"),
        }
    }
}

impl std::error::Error for JsonError {}

impl From<serde_json::Error> for JsonError {
    fn from(e: serde_json::Error) -> JsonError {
        JsonError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }
    }
}

impl Spec {
    /// The spec as pretty-printed JSON, ending in a newline. Deterministic.
    pub fn to_json_pretty(&self) -> String {
        let doc = DocumentOut {
            format: FORMAT_NAME,
            version: JSON_VERSION,
            arch: self.arch.name(),
            hypervisor: (self.hypervisor != KernelConfig::of_arch(self.arch).hypervisor)
                .then_some(self.hypervisor),
            machine: &self.machine,
            objects: &self.objects,
            blob: &self.blob,
        };
        // Serializing these types cannot fail: every map key is a string.
        let compact = serde_json::to_string(&doc).expect("spec types always serialize to JSON");
        let mut text = String::with_capacity(compact.len() * 2);
        Layout::new(&compact).value(0, 0, 0, &mut text);
        text.push('\n');
        text
    }

    /// Parses and validates a spec in JSON form.
    pub fn from_json(text: &str) -> Result<Spec, JsonError> {
        let header: Header = serde_json::from_str(text)?;
        if header.format.as_deref() != Some(FORMAT_NAME) {
            return Err(JsonError::NotASpec {
                found: header.format,
            });
        }
        if header.version != Some(JSON_VERSION) {
            return Err(JsonError::VersionMismatch {
                found: header.version,
                supported: JSON_VERSION,
            });
        }
        let doc: DocumentIn = serde_json::from_str(text)?;
        let arch = Arch::from_name(&doc.arch).ok_or(JsonError::UnknownArch { found: doc.arch })?;
        let spec = Spec {
            arch,
            hypervisor: doc
                .hypervisor
                .unwrap_or(KernelConfig::of_arch(arch).hypervisor),
            objects: doc.objects,
            machine: doc.machine,
            blob: doc.blob,
        };
        spec.validate().map_err(JsonError::Invalid)?;
        Ok(spec)
    }
}

/// Lines of the JSON form are at most this wide where the structure allows.
const WIDTH: usize = 100;
/// Indentation per nesting level.
const INDENT: usize = 2;

/// Lays out compact JSON (as serde_json writes it) for people: a list or
/// object that fits on the current line stays on it, anything longer gets
/// one element per line. Deterministic, so committed specs diff cleanly.
///
/// Linear in the size of the document: whether a container fits is decided by
/// scanning at most one line's width of it, never by rendering it whole.
struct Layout<'a> {
    text: &'a [u8],
}

impl<'a> Layout<'a> {
    fn new(compact: &'a str) -> Layout<'a> {
        Layout {
            text: compact.as_bytes(),
        }
    }

    /// Index just past the string starting with the quote at `start`.
    fn string_end(text: &[u8], start: usize) -> usize {
        let mut i = start + 1;
        while i < text.len() {
            match text[i] {
                b'\\' => i += 2,
                b'"' => return i + 1,
                _ => i += 1,
            }
        }
        text.len()
    }

    /// Index just past the scalar (number, `true`, `false`, `null`) at `start`.
    fn scalar_end(&self, start: usize) -> usize {
        let rest = &self.text[start..];
        start
            + rest
                .iter()
                .position(|c| matches!(c, b',' | b']' | b'}'))
                .unwrap_or(rest.len())
    }

    /// If the container at `start`, written inline with a space after every `,`
    /// and `:`, is shorter than `budget` characters, the index just past it.
    fn fits(&self, start: usize, budget: usize) -> Option<usize> {
        let (mut width, mut depth, mut i) = (0usize, 0usize, start);
        while i < self.text.len() && width < budget {
            match self.text[i] {
                b'"' => {
                    let end = Layout::string_end(self.text, i);
                    width += end - i;
                    i = end;
                    continue;
                }
                b'[' | b'{' => depth += 1,
                b']' | b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return (width + 1 < budget).then_some(i + 1);
                    }
                }
                b',' | b':' => width += 1,
                _ => {}
            }
            width += 1;
            i += 1;
        }
        None
    }

    /// `text[start..end]` with a space after every `,` and `:` outside strings.
    fn spaced(&self, start: usize, end: usize, out: &mut String) {
        let mut i = start;
        while i < end {
            if self.text[i] == b'"' {
                let stop = Layout::string_end(self.text, i).min(end);
                out.push_str(self.str(i, stop));
                i = stop;
                continue;
            }
            out.push(char::from(self.text[i]));
            if matches!(self.text[i], b',' | b':') {
                out.push(' ');
            }
            i += 1;
        }
    }

    fn str(&self, start: usize, end: usize) -> &'a str {
        // Boundaries are ASCII punctuation or quotes, so they are char boundaries.
        core::str::from_utf8(&self.text[start..end]).unwrap_or("")
    }

    /// Writes the value at `start`, which begins at `column` of a line nested
    /// `depth` levels deep; returns the index just past it.
    fn value(&self, start: usize, column: usize, depth: usize, out: &mut String) -> usize {
        let bracket = self.text[start];
        match bracket {
            b'"' => {
                let end = Layout::string_end(self.text, start);
                out.push_str(self.str(start, end));
                return end;
            }
            b'[' | b'{' => {}
            _ => {
                let end = self.scalar_end(start);
                out.push_str(self.str(start, end));
                return end;
            }
        }
        // Strictly less than the width: leave a column for a comma that may follow.
        if let Some(end) = self.fits(start, WIDTH.saturating_sub(column)) {
            self.spaced(start, end, out);
            return end;
        }
        let indent = (depth + 1) * INDENT;
        out.push(char::from(bracket));
        let mut i = start + 1;
        while i < self.text.len() && !matches!(self.text[i], b']' | b'}') {
            out.push('\n');
            out.extend(core::iter::repeat_n(' ', indent));
            let mut column = indent;
            if bracket == b'{' {
                let key_end = Layout::string_end(self.text, i);
                out.push_str(self.str(i, key_end));
                out.push_str(": ");
                column += key_end - i + 2;
                i = key_end + 1; // past the ':'
            }
            i = self.value(i, column, depth + 1, out);
            if self.text.get(i) == Some(&b',') {
                out.push(',');
                i += 1;
            }
        }
        out.push('\n');
        out.extend(core::iter::repeat_n(' ', depth * INDENT));
        out.push(char::from(self.text.get(i).copied().unwrap_or(b'}')));
        i + 1
    }
}
