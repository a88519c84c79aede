//! The reader and the validator never panic, whatever the input.
//!
//! Two generators: arbitrary text, and valid examples mutated with SDF
//! fragments that push values to their limits (overflowing addresses, huge
//! sizes, kernel interrupts). 4,000 cases each (a few seconds); the fuzz target
//! (fuzz/fuzz_targets/sdf_parse.rs) is where long runs happen.

use proptest::prelude::*;
use sysinit_board::Board;

const EXAMPLES: [&str; 4] = [
    include_str!("../../../specs/pingpong.system"),
    include_str!("../../../specs/driver-x86_64.system"),
    include_str!("../../../specs/driver-aarch64.system"),
    include_str!("../../../specs/highmem-aarch64.system"),
];

const FRAGMENTS: [&str; 24] = [
    " priority=\"300\"",
    " phys_addr=\"0xffffffffffffffff\"",
    " phys_addr=\"0xfffffffffffff000\"",
    " size=\"0xfffffffffffff000\"",
    " size=\"0\"",
    " page_size=\"0x40000000\"",
    " vaddr=\"0xfffffffffffff000\"",
    " ram=\"true\"",
    " stack_size=\"0xffffffffffffffff\"",
    " budget=\"5\" period=\"1\"",
    "<irq id=\"62\" irq=\"26\" />",
    "<irq id=\"1\" pin=\"99\" vector=\"200\" />",
    "<irq id=\"2\" pcidev=\"ff:1f.7\" handle=\"1\" vector=\"107\" />",
    "<ioport id=\"0\" addr=\"0xffffffffffffffff\" size=\"2\" />",
    "<map mr=\"buffer\" vaddr=\"0x0\" />",
    "<setvar symbol=\"x\" region_paddr=\"nowhere\" />",
    "<protection_domain name=\"c\" id=\"70\"><program_image path=\"c\"/></protection_domain>",
    "<virtual_machine name=\"v\"><vcpu id=\"0\" cpu=\"9\"/><map mr=\"uart\" vaddr=\"0x0\"/></virtual_machine>",
    "<channel><end pd=\"serial\" id=\"0\" pp=\"true\"/><end pd=\"serial\" id=\"0\" pp=\"true\"/></channel>",
    "<memory_region name=\"buffer\" size=\"0x1000\" phys_addr=\"0xfee00000\" />",
    "<!-- -->",
    "&amp;",
    "<![CDATA[x]]>",
    "\u{1F600}",
];

fn check(text: &str) {
    if let Ok(description) = sysinit_sdf::parse_str(text, "fuzz.system") {
        for name in Board::names() {
            let board = Board::by_name(name).unwrap();
            let _ = sysinit_sdf::validate(&description, &board);
        }
    }
}

/// A mutation: at a relative position, delete some bytes and insert a fragment.
fn mutate(text: &str, edits: &[(usize, usize, usize)]) -> String {
    let mut text = text.to_string();
    for &(at, delete, fragment) in edits {
        let mut start = at % (text.len() + 1);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + delete).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        text.replace_range(start..end, FRAGMENTS[fragment % FRAGMENTS.len()]);
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        check(&text);
    }

    #[test]
    fn arbitrary_markup_never_panics(
        text in "(<[a-z_]{1,8}( [a-z_]{1,6}=\"[0-9a-fx_]{0,20}\"){0,3} ?/?>|</[a-z_]{1,8}>|[ a-z0-9]{0,5}){0,30}",
    ) {
        check(&format!("<system>{text}</system>"));
    }

    #[test]
    fn mutated_examples_never_panic(
        example in 0..EXAMPLES.len(),
        edits in prop::collection::vec((0usize..4096, 0usize..40, 0usize..64), 1..6),
    ) {
        check(&mutate(EXAMPLES[example], &edits));
    }
}
