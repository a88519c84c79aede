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

use std::path::Path;

use sysinit_board::Board;

pub use error::{DisplayEnd, Hint, SdfError, SdfErrorKind, SdfErrors};
pub use model::*;
pub use validate::limits;

/// Reads and parses the system description in `path`.
///
/// Locations name the file as `path` is written.
pub fn parse_file(path: &Path) -> Result<SystemDescription, SdfErrors> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        SdfErrors(vec![SdfError::file(SdfErrorKind::Io {
            file: file.clone(),
            message: e.to_string(),
        })])
    })?;
    parse_str(&text, &file)
}

/// Parses the system description `text`; `file_name` is used in locations.
///
/// Checks the structure only (elements, attributes, value syntax); see
/// [`validate`] for ranges, references and the board.
pub fn parse_str(text: &str, file_name: &str) -> Result<SystemDescription, SdfErrors> {
    parse::parse_document(text, file_name)
}

/// Checks `description` against the Microkit rules and `board`, reporting every problem.
pub fn validate(description: &SystemDescription, board: &Board) -> Result<(), SdfErrors> {
    validate::validate(description, board)
}
