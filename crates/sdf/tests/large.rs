//! Large systems validate, and their overlaps are still found.
//!
//! The overlap rules used to compare every map with every other (16,000 maps
//! took 9.5 s); docs/performance.md has the timing of this size with the
//! command. Here only the results are checked.

use std::fmt::Write;

use sysinit_board::Board;

const MAPS: usize = 20_000;

/// `MAPS` device regions at fixed addresses, all mapped by one PD, page after page,
/// plus `extra` (inside the PD).
fn system(extra: &str) -> String {
    let mut text = String::from("<system>\n");
    for i in 0..MAPS {
        let phys = 0xc000_0000u64 + 0x1000 * i as u64;
        writeln!(
            text,
            "<memory_region name=\"r{i}\" size=\"0x1000\" phys_addr=\"{phys:#x}\" />"
        )
        .unwrap();
    }
    text.push_str("<protection_domain name=\"a\">\n<program_image path=\"a.elf\" />\n");
    for i in 0..MAPS {
        let vaddr = 0x1000_0000u64 + 0x1000 * i as u64;
        writeln!(text, "<map mr=\"r{i}\" vaddr=\"{vaddr:#x}\" />").unwrap();
    }
    text.push_str(extra);
    text.push_str("</protection_domain>\n</system>\n");
    text
}

fn check(text: &str) -> Result<(), Vec<String>> {
    let description = sysinit_sdf::parse_str(text, "large.system").unwrap();
    let board = Board::by_name("qemu-x86_64").unwrap();
    sysinit_sdf::validate(&description, &board)
        .map_err(|e| e.errors().iter().map(|e| e.to_string()).collect())
}

#[test]
fn twenty_thousand_maps_validate() {
    assert_eq!(check(&system("")), Ok(()));
}

#[test]
fn an_overlap_among_twenty_thousand_maps_is_found() {
    // Region 7 again, over the page where region 12345 is mapped.
    let vaddr = 0x1000_0000u64 + 0x1000 * 12_345;
    let extra = format!("<map mr=\"r7\" vaddr=\"{vaddr:#x}\" />\n");
    let errors = check(&system(&extra)).unwrap_err();
    let line = 1 + MAPS + 2 + MAPS + 1;
    assert_eq!(
        errors,
        [format!(
            "large.system:{line}:1: error: <map mr=\"r7\"> in <protection_domain name=\"a\">: [{vaddr:#x}..{:#x}) overlaps the map of 'r12345' [{vaddr:#x}..{:#x}) at large.system:{}:1 in the address space of <protection_domain name=\"a\">; valid: mappings that do not overlap",
            vaddr + 0x1000,
            vaddr + 0x1000,
            1 + MAPS + 2 + 12_345 + 1,
        )]
    );
}

#[test]
fn a_physical_overlap_among_twenty_thousand_regions_is_found() {
    let text = system("").replace(
        "<protection_domain name=\"a\">",
        "<memory_region name=\"late\" size=\"0x2000\" phys_addr=\"0xc1000000\" />\n<protection_domain name=\"a\">",
    );
    let errors = check(&text).unwrap_err();
    // 0xc1000000 is region 4096's page.
    assert_eq!(
        errors,
        [format!(
            "large.system:{}:1: error: <memory_region name=\"late\">: [0xc1000000..0xc1002000) overlaps memory_region 'r4097' [0xc1001000..0xc1002000) at large.system:4099:1; valid: fixed physical ranges that do not overlap",
            MAPS + 2
        )]
    );
}
