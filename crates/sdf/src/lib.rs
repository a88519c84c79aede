//! Reads and validates Microkit-compatible system description files (SDF).
//!
//! [`parse_str`] / [`parse_file`] turn the XML into a typed
//! [`SystemDescription`] in which every element keeps its file, line and
//! column; [`validate`] then checks it against a [`Board`]. Both report every
//! problem they find, each as one [`SdfError`] whose message reads
//! `file:line:column: error: <element ...>: what is wrong; valid: ...`.
//!
//! The format and its defaults follow the Microkit manual. Elements and
//! attributes Microkit has but sysinit does not implement are refused by name
//! (never ignored), and so is anything unknown. One addition: a
//! `<memory_region>` with a fixed `phys_addr` is taken to be device memory,
//! and one that lies in RAM is refused unless it says `ram="true"`, so that a
//! typo in a device address cannot silently hand out someone else's RAM.
//! Program images are referenced by path only; nothing here opens them.
#![forbid(unsafe_code)]

pub mod describe;
mod error;
pub mod model;
mod parse;
mod suggest;
mod validate;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use sysinit_board::Board;

pub use error::{DidYouMean, DisplayEnd, Hint, SdfError, SdfErrorKind, SdfErrors};
pub use model::*;
pub use parse::{InputLimits, MAX_ATTRIBUTES, MAX_DEPTH, MAX_INPUT_BYTES};
pub use validate::limits;

/// Reads and parses the system description in `path`.
///
/// Locations name the file as `path` is written. Reads at most
/// [`MAX_INPUT_BYTES`]; a larger file (or an endless one such as `/dev/zero`)
/// is refused without reading further.
pub fn parse_file(path: &Path) -> Result<SystemDescription, SdfErrors> {
    let file = path.display().to_string();
    let refuse = |kind| Err(SdfErrors(vec![SdfError::file(kind)]));
    if path.is_dir() {
        return refuse(SdfErrorKind::IsDirectory { file });
    }
    let io = |e: std::io::Error, file: &str| SdfErrorKind::Io {
        file: file.to_string(),
        message: e.to_string(),
    };
    let mut bytes = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| {
        // One byte more than the limit tells "at the limit" from "beyond it".
        f.take(MAX_INPUT_BYTES as u64 + 1).read_to_end(&mut bytes)
    });
    if let Err(e) = read {
        return refuse(io(e, &file));
    }
    parse_bytes(&bytes, &file)
}

/// Parses the system description `bytes` (UTF-8 text); `file_name` is used in locations.
///
/// Bad UTF-8 is reported at its line, column and byte offset.
pub fn parse_bytes(bytes: &[u8], file_name: &str) -> Result<SystemDescription, SdfErrors> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(too_large(file_name, MAX_INPUT_BYTES));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_str(text, file_name),
        Err(e) => {
            let offset = e.valid_up_to();
            // The prefix before the bad byte is valid UTF-8 by definition.
            let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
            let location = parse::location_of(valid, offset, &Arc::from(file_name));
            Err(SdfErrors(vec![SdfError::at(
                location,
                SdfErrorKind::BadUtf8 { offset },
            )]))
        }
    }
}

/// Parses the system description `text`; `file_name` is used in locations.
///
/// Checks the structure only (elements, attributes, value syntax); see
/// [`validate`] for ranges, references and the board. Refuses input beyond
/// [`InputLimits::DEFAULT`].
pub fn parse_str(text: &str, file_name: &str) -> Result<SystemDescription, SdfErrors> {
    parse_str_with_limits(text, file_name, InputLimits::DEFAULT)
}

/// [`parse_str`] with other input limits (tests and fuzzing reach them with small ones).
pub fn parse_str_with_limits(
    text: &str,
    file_name: &str,
    limits: InputLimits,
) -> Result<SystemDescription, SdfErrors> {
    if text.len() > limits.max_bytes {
        return Err(too_large(file_name, limits.max_bytes));
    }
    parse::parse_document(text, file_name, limits.max_depth)
}

fn too_large(file: &str, max: usize) -> SdfErrors {
    SdfErrors(vec![SdfError::file(SdfErrorKind::TooLarge {
        file: file.to_string(),
        max,
    })])
}

/// Checks `description` against the Microkit rules and `board`, reporting every problem.
pub fn validate(description: &SystemDescription, board: &Board) -> Result<(), SdfErrors> {
    validate::validate(description, board)
}
