//! From byte offsets to `file:line:column`, in O(log n) per lookup.
//!
//! roxmltree's `text_pos_at` counts from the start of the text on every call,
//! which made reading a description quadratic in its size (every element asks
//! for its location). Lines and columns mean the same here: lines counted by
//! `\n` from 1, columns in characters from 1.

use std::sync::Arc;

use crate::model::Location;

/// Where each line of a text starts.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// The location of byte `pos` (clamped to the text) of `text`, the text this index was built from.
    pub(crate) fn location(&self, text: &str, pos: usize, file: &Arc<str>) -> Location {
        let mut pos = pos.min(text.len());
        while !text.is_char_boundary(pos) {
            pos -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= pos);
        let start = self.starts[line - 1];
        let column = text[start..pos].chars().count() + 1;
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
        let text = "<a>\n  \u{e9}<b/>\n\n<c x='\u{1F600}'/></a>";
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
