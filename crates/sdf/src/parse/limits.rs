//! Limits checked on the raw input before the XML parser sees it.
//!
//! The XML tokenizer and the reader both recurse once per nesting level, so a
//! deeply nested document (thousands of levels; any input can be hostile)
//! would overflow the stack before anything could be reported. A cheap scan of
//! the text counts element depth first and refuses the document at the first
//! element nested too deep. Input size is bounded so that reading a huge file
//! (or `/dev/zero`) cannot exhaust memory.

use std::sync::Arc;

use crate::error::{SdfError, SdfErrorKind, SdfErrors};
use crate::parse::position::location_of;

/// Largest system description read, in bytes (16 MiB). The biggest system
/// Microkit allows (63 PDs) with tens of thousands of maps stays in the low MiB.
pub const MAX_INPUT_BYTES: usize = 16 << 20;

/// Deepest element nesting accepted, counting `<system>` as 1. A valid
/// description needs at most 66: `<system>`, 63 nested protection domains
/// (Microkit's limit on PDs) and a `<virtual_machine>` with its `<vcpu>`.
pub const MAX_DEPTH: usize = 128;

/// Most attributes one element may have. Microkit's elements have at most a dozen;
/// the XML parser checks an element's attributes for duplicates pairwise, so 100,000
/// attributes on one element took 17 s (and 16 MiB of them far longer).
pub const MAX_ATTRIBUTES: usize = 64;

/// Both limits, adjustable for tools (the fuzz target uses small ones to reach them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputLimits {
    /// Largest input in bytes.
    pub max_bytes: usize,
    /// Deepest element nesting.
    pub max_depth: usize,
}

impl InputLimits {
    /// [`MAX_INPUT_BYTES`] and [`MAX_DEPTH`].
    pub const DEFAULT: InputLimits = InputLimits {
        max_bytes: MAX_INPUT_BYTES,
        max_depth: MAX_DEPTH,
    };
}

impl Default for InputLimits {
    fn default() -> Self {
        InputLimits::DEFAULT
    }
}

/// Finds `needle` in `bytes` from `from`; the index just past it, or the end.
fn skip_past(bytes: &[u8], from: usize, needle: &[u8]) -> usize {
    bytes[from.min(bytes.len())..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map_or(bytes.len(), |i| from + i + needle.len())
}

/// If a comment, a CDATA section or a processing instruction starts at `at` (its `<`),
/// the index just past its end (the end of `bytes` if it is unterminated): the parts of
/// a document whose contents are no markup and no references, which both scans skip.
fn skip_unparsed(bytes: &[u8], at: usize) -> Option<usize> {
    let rest = &bytes[at..];
    if rest.starts_with(b"<!--") {
        Some(skip_past(bytes, at + 4, b"-->"))
    } else if rest.starts_with(b"<![CDATA[") {
        Some(skip_past(bytes, at + 9, b"]]>"))
    } else if rest.starts_with(b"<?") {
        Some(skip_past(bytes, at + 2, b"?>"))
    } else {
        None
    }
}

/// Refuses the first element nested deeper than `max_depth`.
///
/// Follows XML's lexical rules far enough to count depth: comments, CDATA and
/// processing instructions are skipped, quoted attribute values may hold `>`.
/// A document type declaration stops the scan: the parser refuses DTDs anyway.
/// Malformed markup only makes the count approximate; the parser reports it.
pub(crate) fn check_depth(text: &str, file: &Arc<str>, max_depth: usize) -> Result<(), SdfErrors> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(offset) = bytes[i..].iter().position(|&b| b == b'<') {
        let start = i + offset;
        let rest = &bytes[start + 1..];
        if let Some(end) = skip_unparsed(bytes, start) {
            i = end;
        } else if rest.starts_with(b"!") {
            return Ok(());
        } else if rest.starts_with(b"/") {
            depth = depth.saturating_sub(1);
            i = skip_past(bytes, start + 2, b">");
        } else {
            let (end, self_closing, attributes) = tag_end(bytes, start + 1);
            if attributes > MAX_ATTRIBUTES {
                return Err(SdfErrors(vec![SdfError::at(
                    location_of(text, start, file),
                    SdfErrorKind::TooManyAttributes {
                        element: element_name(text, start, end),
                        max: MAX_ATTRIBUTES,
                    },
                )]));
            }
            if !self_closing {
                depth += 1;
                if depth > max_depth {
                    return Err(SdfErrors(vec![SdfError::at(
                        location_of(text, start, file),
                        SdfErrorKind::TooDeep {
                            element: element_name(text, start, end),
                            max: max_depth,
                        },
                    )]));
                }
            }
            i = end;
        }
        if i >= bytes.len() {
            break;
        }
    }
    Ok(())
}

/// Refuses the first character reference (`&#N;`, `&#xN;`) outside comments, CDATA and
/// processing instructions whose number is no Unicode character: above 0x10FFFF or a
/// surrogate. The XML parser (roxmltree 0.20) reads those as U+FFFD instead of refusing
/// them, which would put a replacement character into a name without a word. References
/// to characters XML does not allow (`&#0;`) the parser refuses itself.
pub(crate) fn check_char_refs(text: &str, file: &Arc<str>) -> Result<(), SdfErrors> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if let Some(end) = skip_unparsed(bytes, i) {
            i = end;
        } else if rest.starts_with(b"&#") {
            let (digits, radix) = match rest.get(2) {
                Some(b'x') => (&rest[3..], 16),
                _ => (&rest[2..], 10),
            };
            let len = digits
                .iter()
                .take_while(|b| {
                    if radix == 16 {
                        b.is_ascii_hexdigit()
                    } else {
                        b.is_ascii_digit()
                    }
                })
                .count();
            let number = std::str::from_utf8(&digits[..len])
                .ok()
                .and_then(|d| u32::from_str_radix(d, radix).ok());
            if len > 0
                && digits.get(len) == Some(&b';')
                && number.and_then(char::from_u32).is_none()
            {
                let end = (rest.len() - digits.len()) + len + 1;
                let reference: String = text[i..i + end].chars().take(40).collect();
                return Err(SdfErrors(vec![SdfError::at(
                    location_of(text, i, file),
                    SdfErrorKind::BadCharRef { reference },
                )]));
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// The name of the element whose tag starts at `start` (its `<`) and ends before `end`,
/// cut to 40 characters.
fn element_name(text: &str, start: usize, end: usize) -> String {
    let bytes = text.as_bytes();
    let name_end = bytes[start + 1..end]
        .iter()
        .position(|b| b.is_ascii_whitespace() || *b == b'/' || *b == b'>')
        .map_or(end, |n| start + 1 + n);
    text[start + 1..name_end].chars().take(40).collect()
}

/// The index just past the `>` closing the tag opened before `from`, whether it is an
/// empty-element tag (`/>`), and how many quoted values (attributes) it has. Quoted
/// values may contain `>`.
fn tag_end(bytes: &[u8], from: usize) -> (usize, bool, usize) {
    let mut quote: Option<u8> = None;
    let mut values = 0;
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => {
                quote = Some(b);
                values += 1;
            }
            None if b == b'>' => return (i + 1, i > from && bytes[i - 1] == b'/', values),
            None => {}
        }
        i += 1;
    }
    (bytes.len(), false, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_error(text: &str, max: usize) -> Option<String> {
        check_depth(text, &Arc::from("t"), max)
            .err()
            .map(|e| e.to_string())
    }

    #[test]
    fn refuses_references_to_no_character_outside_comments() {
        let refs = |text: &str| {
            check_char_refs(text, &Arc::from("t"))
                .err()
                .map(|e| e.to_string())
        };
        assert_eq!(
            refs("<a b='&#x10FFFF;&#65;&#xD7FF;'><!-- &#x110000; --></a>"),
            None
        );
        assert_eq!(refs("<a><![CDATA[&#xD800;]]><?p &#99999999;?></a>"), None);
        for bad in ["&#x110000;", "&#xD800;", "&#1114112;", "&#99999999999;"] {
            let text = format!("<a>\n <b c='{bad}'/></a>");
            assert_eq!(
                refs(&text).map(|m| m.split(" names").next().unwrap().to_string()),
                Some(format!("t:2:8: error: character reference '{bad}'")),
            );
        }
    }

    #[test]
    fn counts_only_open_elements() {
        let text = "<a><!-- <b><c> --><![CDATA[<d><e>]]><?pi <f>?><g x='>' y=\"<\"/><h></h></a>";
        assert_eq!(depth_error(text, 2), None);
        assert_eq!(
            depth_error("<a>\n <b><c/></b>\n</a>", 1),
            Some("t:2:2: error: <b>: elements nested more than 1 deep; valid: at most 1 levels of nested elements".into())
        );
    }
}
