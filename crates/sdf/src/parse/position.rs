//! From byte offsets to `file:line:column`, in O(log n) per lookup.
//!
//! roxmltree's `text_pos_at` counts from the start of the text on every call,
//! which made reading a description quadratic in its size (every element asks
//! for its location). Lines and columns mean the same here: lines counted by
//! `\n` from 1, columns in characters from 1.

use std::sync::Arc;

use crate::model::Location;

/// Bytes per checkpoint of [`LineIndex::chars_at_block`].
const BLOCK: usize = 1024;

/// Where each line of a text starts, and how many characters precede every
/// [`BLOCK`]th byte (so that a column in a very long line costs at most one block's
/// scan, not the line's: 50,000 attributes on one line took seconds).
pub(crate) struct LineIndex {
    starts: Vec<usize>,
    chars_at_block: Vec<usize>,
}

/// Whether `b` starts a character (is not a UTF-8 continuation byte).
fn starts_char(b: u8) -> bool {
    b & 0xC0 != 0x80
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        let mut chars_at_block = Vec::with_capacity(text.len() / BLOCK + 1);
        let mut chars = 0;
        for (i, b) in text.bytes().enumerate() {
            if i.is_multiple_of(BLOCK) {
                chars_at_block.push(chars);
            }
            if b == b'\n' {
                starts.push(i + 1);
            }
            chars += usize::from(starts_char(b));
        }
        if text.len().is_multiple_of(BLOCK) {
            chars_at_block.push(chars);
        }
        LineIndex {
            starts,
            chars_at_block,
        }
    }

    /// Characters in `text[..pos]`, `pos` at most the length of the indexed text.
    fn chars_before(&self, text: &str, pos: usize) -> usize {
        let block = pos / BLOCK;
        let counted = text.as_bytes()[block * BLOCK..pos]
            .iter()
            .filter(|&&b| starts_char(b))
            .count();
        self.chars_at_block[block] + counted
    }

    /// The location of byte `pos` (clamped to the text) of `text`, the text this index was built from.
    pub(crate) fn location(&self, text: &str, pos: usize, file: &Arc<str>) -> Location {
        let mut pos = pos.min(text.len());
        while !text.is_char_boundary(pos) {
            pos -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= pos);
        let start = self.starts[line - 1];
        let column = self.chars_before(text, pos) - self.chars_before(text, start) + 1;
        Location {
            file: file.clone(),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

/// The location of byte `pos` of `text`, for a single lookup.
pub(crate) fn location_of(text: &str, pos: usize, file: &Arc<str>) -> Location {
    LineIndex::new(&text[..pos.min(text.len())]).location(text, pos, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_roxmltree() {
        let long = format!(
            "<d y='{}\u{e9}{}'/>",
            "\u{e9}".repeat(700),
            "x".repeat(1500)
        );
        let text = &format!("<a>\n  \u{e9}<b/>\n\n<c x='\u{1F600}'/>{long}</a>");
        let doc = roxmltree::Document::parse(text).unwrap();
        let file: Arc<str> = Arc::from("f");
        let index = LineIndex::new(text);
        for pos in (0..=text.len()).filter(|&p| text.is_char_boundary(p)) {
            let ours = index.location(text, pos, &file);
            let theirs = doc.text_pos_at(pos);
            assert_eq!(
                (ours.line, ours.column),
                (theirs.row, theirs.col),
                "at {pos}"
            );
        }
    }
}
