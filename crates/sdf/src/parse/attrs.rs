//! Attribute access for one XML element: allowed-set checks and typed values.
//!
//! Every accessor reports its problem into the parser's error list and returns
//! `None` (or the default) so parsing can go on and find the next problem.

use roxmltree::Node;

use crate::error::{DidYouMean, SdfError, SdfErrorKind};
use crate::model::{Location, PciAddress, Perms, Polarity, Trigger};
use crate::parse::Parser;

/// What a number attribute may look like.
const VALID_NUMBER: &str = "a decimal or 0x-prefixed hexadecimal integer below 2^64";
const VALID_BOOL: &str = "true, false";

/// Attributes only MCS kernels have. The reader accepts them (validation refuses
/// them by name on kernels without MCS), but lists of valid attributes name them
/// apart, since neither built-in board's kernel has MCS.
const MCS_ONLY: [&str; 3] = ["budget", "period", "passive"];

/// The `valid:` text for an element's attributes.
fn valid_attributes(allowed: &[&str]) -> String {
    let (mcs, always): (Vec<&str>, Vec<&str>) = allowed.iter().partition(|a| MCS_ONLY.contains(a));
    let mut text = if always.is_empty() {
        "none (this element takes no attributes)".to_string()
    } else {
        always.join(", ")
    };
    if !mcs.is_empty() {
        text.push_str(&format!("; with an MCS kernel also {}", mcs.join(", ")));
    }
    text
}

/// One element being read, with the name messages use for it.
pub(crate) struct Elem<'a, 'input> {
    pub(crate) node: Node<'a, 'input>,
    /// `<tag key="value"> in <parent ...>`.
    pub(crate) describe: String,
    pub(crate) location: Location,
}

impl<'a, 'input> Elem<'a, 'input> {
    pub(crate) fn new(
        parser: &Parser<'_, '_>,
        node: Node<'a, 'input>,
        key: Option<&str>,
        context: Option<&str>,
    ) -> Self {
        let tag = node.tag_name().name();
        let own = match key {
            Some(key) => crate::describe::element(tag, key, node.attribute(key)),
            None => crate::describe::element(tag, "", None),
        };
        let describe = match context {
            Some(parent) => crate::describe::inside(&own, parent),
            None => own,
        };
        Elem {
            node,
            describe,
            location: parser.location(node.range().start),
        }
    }

    /// Reports attributes outside `allowed`, naming the ones sysinit knows but refuses.
    pub(crate) fn check_attributes(
        &self,
        parser: &mut Parser<'_, '_>,
        allowed: &[&str],
        unsupported: &[(&str, &str)],
    ) {
        for attr in self.node.attributes() {
            let name = attr.name();
            if allowed.contains(&name) && attr.namespace().is_none() {
                continue;
            }
            let location = parser.location(attr.range().start);
            let error = match unsupported.iter().find(|(n, _)| *n == name) {
                Some((_, reason)) => SdfErrorKind::UnsupportedAttribute {
                    element: self.describe.clone(),
                    attribute: name.to_string(),
                    reason: reason.to_string(),
                },
                None => SdfErrorKind::UnknownAttribute {
                    element: self.describe.clone(),
                    attribute: name.to_string(),
                    suggestion: DidYouMean(
                        crate::suggest::closest(name, allowed.iter().copied())
                            .map(|a| format!("'{a}'")),
                    ),
                    valid: valid_attributes(allowed),
                },
            };
            parser.errors.push(SdfError::at(location, error));
        }
    }

    /// Where attribute `name` is (the element if it is absent).
    fn attr_location(&self, parser: &Parser<'_, '_>, name: &str) -> Location {
        self.node
            .attributes()
            .find(|a| a.name() == name)
            .map(|a| parser.location(a.range().start))
            .unwrap_or_else(|| self.location.clone())
    }

    /// An optional string attribute.
    pub(crate) fn optional_str(&self, name: &str) -> Option<String> {
        self.node.attribute(name).map(str::to_string)
    }

    /// A required string attribute; reports it when absent.
    pub(crate) fn required_str(&self, parser: &mut Parser<'_, '_>, name: &str) -> Option<String> {
        let value = self.optional_str(name);
        if value.is_none() {
            parser.errors.push(SdfError::at(
                self.location.clone(),
                SdfErrorKind::MissingAttribute {
                    element: self.describe.clone(),
                    attribute: name.to_string(),
                },
            ));
        }
        value
    }

    /// A required name: present and not empty (messages and references need one).
    pub(crate) fn required_name(&self, parser: &mut Parser<'_, '_>, name: &str) -> Option<String> {
        self.required_nonempty(parser, name, "a non-empty name")
    }

    /// A required attribute that is present and not empty; `valid` says what it holds.
    pub(crate) fn required_nonempty(
        &self,
        parser: &mut Parser<'_, '_>,
        name: &str,
        valid: &str,
    ) -> Option<String> {
        let value = self.required_str(parser, name)?;
        if value.is_empty() {
            self.invalid(parser, name, &value, valid);
            return None;
        }
        Some(value)
    }

    /// An optional symbol name (`setvar_*`): when present, not empty, since no program
    /// has a symbol named '' (`check` does not open the images, so it must say so here).
    pub(crate) fn optional_symbol(
        &self,
        parser: &mut Parser<'_, '_>,
        name: &str,
    ) -> Option<String> {
        let value = self.optional_str(name)?;
        if value.is_empty() {
            self.invalid(
                parser,
                name,
                &value,
                "the name of a symbol in the program image",
            );
            return None;
        }
        Some(value)
    }

    fn invalid(&self, parser: &mut Parser<'_, '_>, name: &str, value: &str, valid: &str) {
        parser.errors.push(SdfError::at(
            self.attr_location(parser, name),
            SdfErrorKind::InvalidValue {
                element: self.describe.clone(),
                attribute: name.to_string(),
                value: value.to_string(),
                valid: valid.to_string(),
            },
        ));
    }

    /// An optional number; `None` when absent or invalid (invalid is reported).
    pub(crate) fn number(&self, parser: &mut Parser<'_, '_>, name: &str) -> Option<u64> {
        let text = self.node.attribute(name)?;
        let parsed = parse_number(text);
        if parsed.is_none() {
            self.invalid(parser, name, text, VALID_NUMBER);
        }
        parsed
    }

    /// A required number; reports absence and invalid values.
    pub(crate) fn required_number(&self, parser: &mut Parser<'_, '_>, name: &str) -> Option<u64> {
        if self.node.attribute(name).is_none() {
            self.required_str(parser, name);
            return None;
        }
        self.number(parser, name)
    }

    /// A boolean with a default.
    pub(crate) fn bool(&self, parser: &mut Parser<'_, '_>, name: &str, default: bool) -> bool {
        match self.node.attribute(name) {
            None => default,
            Some("true") => true,
            Some("false") => false,
            Some(other) => {
                self.invalid(parser, name, other, VALID_BOOL);
                default
            }
        }
    }

    /// `perms`: a combination of r, w and x, except write-only (default read-write).
    pub(crate) fn perms(&self, parser: &mut Parser<'_, '_>) -> Perms {
        let Some(text) = self.node.attribute("perms") else {
            return Perms::READ_WRITE;
        };
        match parse_perms(text) {
            Some(perms) => perms,
            None => {
                self.invalid(
                    parser,
                    "perms",
                    text,
                    "a combination of r, w and x (each at most once), except w alone",
                );
                Perms::READ_WRITE
            }
        }
    }

    /// `trigger` (default level).
    pub(crate) fn trigger(&self, parser: &mut Parser<'_, '_>) -> Trigger {
        match self.node.attribute("trigger") {
            None | Some("level") => Trigger::Level,
            Some("edge") => Trigger::Edge,
            Some(other) => {
                self.invalid(parser, "trigger", other, "level, edge");
                Trigger::Level
            }
        }
    }

    /// `polarity` (default high).
    pub(crate) fn polarity(&self, parser: &mut Parser<'_, '_>) -> Polarity {
        match self.node.attribute("polarity") {
            None | Some("high") => Polarity::High,
            Some("low") => Polarity::Low,
            Some(other) => {
                self.invalid(parser, "polarity", other, "high, low");
                Polarity::High
            }
        }
    }

    /// `pcidev` in `BUS:DEV.FUNC` hexadecimal notation.
    pub(crate) fn pcidev(&self, parser: &mut Parser<'_, '_>) -> Option<PciAddress> {
        let text = self.required_str(parser, "pcidev")?;
        let parsed = parse_pci_address(&text);
        if parsed.is_none() {
            self.invalid(
                parser,
                "pcidev",
                &text,
                "BUS:DEV.FUNC in hexadecimal with bus <= ff, device <= 1f, function <= 7 (e.g. 00:1f.2)",
            );
        }
        parsed
    }
}

/// Parses Microkit's integer syntax: decimal, or hexadecimal after `0x`, with `_` ignored.
pub(crate) fn parse_number(text: &str) -> Option<u64> {
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    let (digits, radix) = match digits.strip_prefix("0x") {
        Some(hex) => (hex.to_string(), 16),
        None => (digits, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(&digits, radix).ok()
}

fn parse_perms(text: &str) -> Option<Perms> {
    let mut perms = Perms {
        read: false,
        write: false,
        execute: false,
    };
    for c in text.chars() {
        let flag = match c {
            'r' => &mut perms.read,
            'w' => &mut perms.write,
            'x' => &mut perms.execute,
            _ => return None,
        };
        if *flag {
            return None;
        }
        *flag = true;
    }
    let write_only = perms.write && !perms.read && !perms.execute;
    let none = !perms.read && !perms.write && !perms.execute;
    (!write_only && !none).then_some(perms)
}

fn parse_pci_address(text: &str) -> Option<PciAddress> {
    let (bus, rest) = text.split_once(':')?;
    let (device, function) = rest.split_once('.')?;
    let hex = |s: &str, max: u8| -> Option<u8> {
        let s = s.trim();
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u8::from_str_radix(s, 16).ok().filter(|v| *v <= max)
    };
    Some(PciAddress {
        bus: hex(bus, 0xff)?,
        device: hex(device, 0x1f)?,
        function: hex(function, 7)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_microkit() {
        assert_eq!(parse_number("42"), Some(42));
        assert_eq!(parse_number("0x900_0000"), Some(0x900_0000));
        assert_eq!(parse_number("1_000"), Some(1000));
        assert_eq!(parse_number("0x"), None);
        assert_eq!(parse_number("-1"), None);
        assert_eq!(parse_number("+1"), None);
        assert_eq!(parse_number("0xffff_ffff_ffff_ffff"), Some(u64::MAX));
        assert_eq!(parse_number("18446744073709551616"), None);
    }

    #[test]
    fn perms_exclude_write_only() {
        assert_eq!(parse_perms("rw"), Some(Perms::READ_WRITE));
        assert!(parse_perms("w").is_none());
        assert!(parse_perms("").is_none());
        assert!(parse_perms("rr").is_none());
        assert!(parse_perms("rwxq").is_none());
        assert!(parse_perms("wx").unwrap().execute);
    }

    #[test]
    fn pci_addresses() {
        assert_eq!(
            parse_pci_address("01:1f.2"),
            Some(PciAddress {
                bus: 1,
                device: 0x1f,
                function: 2
            })
        );
        assert!(parse_pci_address("00:20.0").is_none());
        assert!(parse_pci_address("00:00.8").is_none());
        assert!(parse_pci_address("0000").is_none());
    }
}
