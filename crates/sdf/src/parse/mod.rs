//! From XML text to a [`SystemDescription`], reporting every structural problem.
//!
//! The reader checks what the XML says, not whether it makes sense on a board:
//! element and attribute names, required attributes, value syntax and element
//! counts. Ranges, references and everything board-dependent are
//! [`crate::validate`]'s job.

mod attrs;
mod elements;
mod limits;
mod pd;
mod position;

use std::sync::Arc;

use roxmltree::{Document, Node, ParsingOptions};

use crate::error::{DidYouMean, SdfError, SdfErrorKind, SdfErrors};
use crate::model::{Location, SystemDescription};

pub(crate) use attrs::Elem;
pub use limits::{InputLimits, MAX_ATTRIBUTES, MAX_DEPTH, MAX_INPUT_BYTES};
pub(crate) use position::location_of;

/// Microkit elements sysinit knows but does not implement, with the reason.
pub(crate) const UNSUPPORTED_ELEMENTS: [(&str, &str); 3] = [
    (
        "domains",
        "the kernel is built with a single scheduling domain",
    ),
    (
        "io_address_space",
        "IOMMU support is off in the kernel configuration",
    ),
    (
        "cspace",
        "extra capabilities in a protection domain's CSpace are not implemented",
    ),
];

/// Parsing state: the document, the file name for locations, and the errors so far.
pub(crate) struct Parser<'a, 'input> {
    file: Arc<str>,
    doc: &'a Document<'input>,
    lines: position::LineIndex,
    pub(crate) errors: Vec<SdfError>,
}

impl Parser<'_, '_> {
    /// The location of byte offset `pos` of the text.
    pub(crate) fn location(&self, pos: usize) -> Location {
        self.lines.location(self.doc.input_text(), pos, &self.file)
    }

    /// Reports non-whitespace text directly inside `node`.
    pub(crate) fn check_no_text(&mut self, node: Node<'_, '_>, element: &str) {
        for child in node.children().filter(|c| c.is_text()) {
            let raw = child.text().unwrap_or("");
            let text = raw.trim();
            if !text.is_empty() {
                let shown: String = text.chars().take(40).collect();
                // Point at the text itself, not at the whitespace before it. The
                // offset is only exact when the node holds no entity references.
                let leading = raw.len() - raw.trim_start().len();
                self.errors.push(SdfError::at(
                    self.location(child.range().start + leading),
                    SdfErrorKind::UnexpectedText {
                        element: element.to_string(),
                        text: shown,
                    },
                ));
            }
        }
    }

    /// Reports a child element that is neither expected nor a known-unsupported one.
    pub(crate) fn unexpected_child(&mut self, child: Node<'_, '_>, parent: &str, valid: &[&str]) {
        let location = self.location(child.range().start);
        let name = child.tag_name().name();
        let error = match UNSUPPORTED_ELEMENTS.iter().find(|(n, _)| *n == name) {
            Some((_, reason)) => SdfError::at(
                location,
                SdfErrorKind::UnsupportedElement {
                    element: name.to_string(),
                    reason: reason.to_string(),
                },
            ),
            None if valid.is_empty() => SdfError::at(
                location,
                SdfErrorKind::NoChildElements {
                    element: qualified_name(child),
                    parent: parent.to_string(),
                    parent_tag: child
                        .parent_element()
                        .map_or_else(String::new, qualified_name),
                },
            ),
            None => SdfError::at(
                location,
                SdfErrorKind::UnknownElement {
                    element: qualified_name(child),
                    parent: parent.to_string(),
                    suggestion: DidYouMean(
                        crate::suggest::closest(name, valid.iter().copied())
                            .map(|v| format!("<{v}>")),
                    ),
                    valid: valid
                        .iter()
                        .map(|v| format!("<{v}>"))
                        .collect::<Vec<_>>()
                        .join(", "),
                },
            ),
        };
        self.errors.push(error);
    }
}

/// The element name as written, with its namespace when it has one.
fn qualified_name(node: Node<'_, '_>) -> String {
    match node.tag_name().namespace() {
        Some(ns) => format!("{{{ns}}}{}", node.tag_name().name()),
        None => node.tag_name().name().to_string(),
    }
}

/// Whether `node` is an element named `name` outside any namespace.
pub(crate) fn is_element(node: Node<'_, '_>, name: &str) -> bool {
    node.is_element() && node.tag_name().namespace().is_none() && node.tag_name().name() == name
}

/// Parses `text`, naming `file` in every location.
pub(crate) fn parse_document(
    text: &str,
    file: &str,
    max_depth: usize,
) -> Result<SystemDescription, SdfErrors> {
    let file: Arc<str> = Arc::from(file);
    // Before the parser: it and the reader recurse once per level.
    limits::check_depth(text, &file, max_depth)?;
    // The parser silently turns a reference to no character into U+FFFD.
    limits::check_char_refs(text, &file)?;
    // A DTD could expand entities without bound; system descriptions never need one.
    let options = ParsingOptions {
        allow_dtd: false,
        ..ParsingOptions::default()
    };
    let doc = match Document::parse_with_options(text, options) {
        Ok(doc) => doc,
        Err(e) => {
            let pos = e.pos();
            let message = e.to_string();
            let suffix = format!(" at {}:{}", pos.row, pos.col);
            let message = message
                .strip_suffix(&suffix)
                .unwrap_or(&message)
                .to_string();
            return Err(SdfErrors(vec![SdfError::at(
                Location {
                    file,
                    line: pos.row,
                    column: pos.col,
                },
                SdfErrorKind::Xml { message },
            )]));
        }
    };
    let mut parser = Parser {
        file,
        doc: &doc,
        lines: position::LineIndex::new(text),
        errors: Vec::new(),
    };
    let root = doc.root_element();
    let description = if is_element(root, "system") {
        Some(elements::system(&mut parser, root))
    } else {
        parser.errors.push(SdfError::at(
            parser.location(root.range().start),
            SdfErrorKind::WrongRoot {
                found: qualified_name(root),
            },
        ));
        None
    };
    match description {
        Some(description) if parser.errors.is_empty() => Ok(description),
        _ => Err(SdfErrors::sorted(parser.errors)),
    }
}
