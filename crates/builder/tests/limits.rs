//! What the builder refuses on its own, at the element: sizes the board cannot
//! hold (by arithmetic, before anything is allocated) and interrupts bound twice.
//!
//! These call `build_spec` on descriptions that were parsed but not validated:
//! the builder must hold up on its own, whatever validation catches first.

use std::collections::BTreeMap;

use sysinit_board::Board;
use sysinit_builder::test_elf::TestElf;
use sysinit_builder::{build_spec, LoadedImage, ProgramImage, ROOT_CNODE_SLOTS};

/// Builds `sdf` (one PD `a` with a generated image) on `board`, skipping validation.
fn build(sdf: &str, board: &Board) -> Result<usize, String> {
    let description = sysinit_sdf::parse_str(sdf, "t.system").unwrap();
    let image = ProgramImage::parse(&TestElf::pd(board.arch(), &[]).to_bytes(), board.arch());
    let images = BTreeMap::from([(
        "a".to_string(),
        LoadedImage {
            path: "a.elf".into(),
            image: image.unwrap(),
        },
    )]);
    build_spec(&description, board, images, &Default::default())
        .map(|b| b.spec.objects.len())
        .map_err(|e| e.to_string())
}

fn system(regions: &str, maps: &str) -> String {
    format!(
        r#"<system>
    {regions}
    <protection_domain name="a"><program_image path="a.elf" />{maps}</protection_domain>
</system>"#
    )
}

fn x86() -> Board {
    Board::by_name("qemu-x86_64").unwrap()
}

#[test]
fn the_root_cnode_size_is_the_kernel_configuration() {
    assert_eq!(ROOT_CNODE_SLOTS, 1 << sysinit_sel4::ROOT_CNODE_SIZE_BITS);
}

#[test]
fn a_region_of_4_eib_is_refused_without_allocating() {
    // Before the check, this asked for 2^50 frame objects and aborted.
    let sdf = system(
        r#"<memory_region name="huge" size="0x4000000000000000" />"#,
        "",
    );
    assert_eq!(
        build(&sdf, &x86()).unwrap_err(),
        "t.system:2:5: error: <memory_region name=\"huge\">: 0x4000000000000000 bytes of RAM, \
         but board 'qemu-x86_64' has 0x20000000 bytes of RAM; valid: a region of at most \
         0x20000000 bytes, or more RAM (--ram)"
    );
}

#[test]
fn a_32_tib_device_region_is_refused_by_its_frame_count() {
    let sdf = system(
        r#"<memory_region name="bar" size="0x200000000000" phys_addr="0x100000000000" />"#,
        "",
    );
    assert_eq!(
        build(&sdf, &x86()).unwrap_err(),
        "t.system:2:5: error: <memory_region name=\"bar\">: 0x200000000000 bytes in 0x1000-byte \
         pages are 0x200000000 frames, more than the root CNode's 0x80000 slots can hold; valid: \
         a region of at most 0x80000 pages, or a larger page_size"
    );
}

#[test]
fn a_64_gib_ram_region_on_the_512_mib_board_is_refused() {
    let sdf = system(
        r#"<memory_region name="big" size="0x1000000000" page_size="0x200000" />"#,
        "",
    );
    assert_eq!(
        build(&sdf, &x86()).unwrap_err(),
        "t.system:2:5: error: <memory_region name=\"big\">: 0x1000000000 bytes of RAM, but board \
         'qemu-x86_64' has 0x20000000 bytes of RAM; valid: a region of at most 0x20000000 bytes, \
         or more RAM (--ram)"
    );
}

#[test]
fn regions_that_fit_alone_but_not_together_are_refused_for_the_system() {
    // Two 2^18-page device regions: each fits the root CNode, both do not
    // (2^19 frames, 6 PD objects, 2 stack and 3 image pages).
    let sdf = system(
        r#"<memory_region name="d1" size="0x40000000" phys_addr="0x100000000000" />
    <memory_region name="d2" size="0x40000000" phys_addr="0x100040000000" />"#,
        "",
    );
    assert_eq!(
        build(&sdf, &x86()).unwrap_err(),
        "t.system:1:1: error: <system>: needs at least 0x8000b kernel objects, more than the \
         root CNode's 0x80000 slots can hold; valid: fewer pages (smaller regions and stacks, or \
         larger page_size)"
    );
    // Two 384 MiB RAM regions on 512 MiB of RAM.
    let sdf = system(
        r#"<memory_region name="r1" size="0x18000000" page_size="0x200000" />
    <memory_region name="r2" size="0x18000000" page_size="0x200000" />"#,
        "",
    );
    assert_eq!(
        build(&sdf, &x86()).unwrap_err(),
        "t.system:1:1: error: <system>: needs at least 0x30006000 bytes of RAM for memory \
         regions, stacks, IPC buffers and program images, but board 'qemu-x86_64' has \
         0x20000000 bytes of RAM; valid: less memory, or more RAM (--ram)"
    );
}

#[test]
fn a_region_just_inside_both_bounds_builds() {
    // 256 MiB of RAM in 4 KiB pages: 0x10000 frames, well inside both bounds.
    let sdf = system(
        r#"<memory_region name="r" size="0x10000000" />"#,
        r#"<map mr="r" vaddr="0x10000000" perms="rw" />"#,
    );
    let objects = build(&sdf, &x86()).unwrap();
    assert!(objects > 0x10000, "{objects}");
}

#[test]
fn a_stack_larger_than_ram_is_refused() {
    let sdf = r#"<system>
    <protection_domain name="a" stack_size="0x40000000"><program_image path="a.elf" /></protection_domain>
</system>"#;
    assert_eq!(
        build(sdf, &x86()).unwrap_err(),
        "t.system:1:1: error: <system>: needs at least 0x40004000 bytes of RAM for memory \
         regions, stacks, IPC buffers and program images, but board 'qemu-x86_64' has \
         0x20000000 bytes of RAM; valid: less memory, or more RAM (--ram)"
    );
}

/// Interrupts bound twice are refused by the description check, which `build_system`
/// runs before laying anything out (the layout has no second copy of the rule).
#[test]
fn two_msis_with_the_same_device_and_handle_are_refused_at_the_second() {
    let sdf = r#"<system>
    <protection_domain name="a">
        <program_image path="a.elf" />
        <irq id="1" pcidev="00:02.0" handle="0" vector="21" />
        <irq id="2" pcidev="00:02.0" handle="0" vector="22" />
        <irq id="3" pin="4" ioapic="0" vector="21" />
    </protection_domain>
</system>"#;
    let description = sysinit_sdf::parse_str(sdf, "t.system").unwrap();
    assert_eq!(
        sysinit_builder::check(&description, &x86())
            .unwrap_err()
            .to_string(),
        "t.system:5:9: error: <irq id=\"2\"> in <protection_domain name=\"a\">: MSI pcidev \
         00:02.0 handle 0 is already bound by protection_domain 'a' (at t.system:4:9); valid: \
         each interrupt bound once\n\
         t.system:6:9: error: <irq id=\"3\"> in <protection_domain name=\"a\">: vector 21 is \
         already bound by protection_domain 'a' (at t.system:4:9); valid: each interrupt bound \
         once"
    );
}

#[test]
fn a_map_past_the_end_of_the_address_space_is_refused_not_wrapped() {
    let sdf = system(
        r#"<memory_region name="r" size="0x2000" />"#,
        r#"<map mr="r" vaddr="0xfffffffffffff000" perms="rw" />"#,
    );
    // The first page is already outside user space; no page after it is tried.
    assert_eq!(
        build(&sdf, &x86()).unwrap_err(),
        "t.system:3:63: error: <map mr=\"r\"> in <protection_domain name=\"a\">: cannot map \
         memory region 'r' at 0xfffffffffffff000: object \"pd.a.vspace\": the cap in slot 511 \
         maps [0xfffffffffffff000..0x0), past the end of user virtual memory at 0x7ffffffff000"
    );
}
