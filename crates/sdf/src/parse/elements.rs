//! `<system>` and its direct children other than protection domains.

use roxmltree::Node;

use crate::error::{SdfError, SdfErrorKind};
use crate::model::{Channel, ChannelEnd, MemoryRegion, SystemDescription};
use crate::parse::{is_element, pd, Elem, Parser};

const SYSTEM_CHILDREN: [&str; 3] = ["protection_domain", "memory_region", "channel"];

pub(crate) fn system(parser: &mut Parser<'_, '_>, node: Node<'_, '_>) -> SystemDescription {
    let elem = Elem::new(parser, node, None, None);
    elem.check_attributes(parser, &[], &[]);
    parser.check_no_text(node, "<system>");
    let mut description = SystemDescription {
        protection_domains: Vec::new(),
        memory_regions: Vec::new(),
        channels: Vec::new(),
        location: elem.location.clone(),
    };
    for child in node.children().filter(|c| c.is_element()) {
        if is_element(child, "protection_domain") {
            if let Some(pd) = pd::protection_domain(parser, child, None) {
                description.protection_domains.push(pd);
            }
        } else if is_element(child, "memory_region") {
            if let Some(mr) = memory_region(parser, child) {
                description.memory_regions.push(mr);
            }
        } else if is_element(child, "channel") {
            if let Some(channel) = channel(parser, child) {
                description.channels.push(channel);
            }
        } else {
            parser.unexpected_child(child, "<system>", &SYSTEM_CHILDREN);
        }
    }
    description
}

fn memory_region(parser: &mut Parser<'_, '_>, node: Node<'_, '_>) -> Option<MemoryRegion> {
    let elem = Elem::new(parser, node, Some("name"), None);
    elem.check_attributes(
        parser,
        &[
            "name",
            "size",
            "page_size",
            "phys_addr",
            "ram",
            "prefill_path",
        ],
        &[(
            "prefill_bootinfo",
            "prefilling memory regions with boot information is not implemented",
        )],
    );
    parser.check_no_text(node, &elem.describe);
    if let Some(child) = node.children().find(|c| c.is_element()) {
        parser.unexpected_child(child, &elem.describe, &[]);
    }
    let name = elem.required_name(parser, "name");
    let size = elem.required_number(parser, "size");
    let page_size = elem.number(parser, "page_size");
    let phys_addr = elem.number(parser, "phys_addr");
    let ram = elem.bool(parser, "ram", false);
    let prefill_path = match elem.optional_str("prefill_path") {
        Some(_) => Some(elem.required_nonempty(parser, "prefill_path", "the path of a file")?),
        None => None,
    };
    Some(MemoryRegion {
        name: name?,
        size: size?,
        page_size,
        phys_addr,
        ram,
        prefill_path,
        location: elem.location,
    })
}

fn channel(parser: &mut Parser<'_, '_>, node: Node<'_, '_>) -> Option<Channel> {
    let elem = Elem::new(parser, node, None, None);
    elem.check_attributes(parser, &[], &[]);
    parser.check_no_text(node, "<channel>");
    let mut ends = Vec::new();
    let mut count = 0;
    for child in node.children().filter(|c| c.is_element()) {
        if is_element(child, "end") {
            count += 1;
            ends.push(end(parser, child));
        } else {
            parser.unexpected_child(child, "<channel>", &["end"]);
        }
    }
    if count != 2 {
        parser.errors.push(SdfError::at(
            elem.location.clone(),
            SdfErrorKind::ChannelEnds { found: count },
        ));
        return None;
    }
    let mut ends = ends.into_iter();
    let (a, b) = (ends.next()??, ends.next()??);
    Some(Channel {
        ends: [a, b],
        location: elem.location,
    })
}

fn end(parser: &mut Parser<'_, '_>, node: Node<'_, '_>) -> Option<ChannelEnd> {
    let elem = Elem::new(parser, node, Some("pd"), None);
    elem.check_attributes(parser, &["pd", "id", "pp", "notify", "setvar_id"], &[]);
    parser.check_no_text(node, &elem.describe);
    if let Some(child) = node.children().find(|c| c.is_element()) {
        parser.unexpected_child(child, &elem.describe, &[]);
    }
    let pd = elem.required_str(parser, "pd");
    let id = elem.required_number(parser, "id");
    let pp = elem.bool(parser, "pp", false);
    let notify = elem.bool(parser, "notify", true);
    Some(ChannelEnd {
        pd: pd?,
        id: id?,
        pp,
        notify,
        setvar_id: elem.optional_symbol(parser, "setvar_id"),
        location: elem.location,
    })
}
