//! Fixed physical ranges against what the kernel really hands out.
//!
//! The kernel returns its boot-only code as RAM untypeds after boot (x86
//! [0x100000, 0x800000), aarch64 [0x60000000, 0x60010000)), so `ram="true"`
//! regions may sit there; the rest of the kernel image stays reserved.

use sysinit_board::Board;

fn check(board: &str, phys_addr: u64) -> Result<(), String> {
    let text = format!(
        r#"<system>
    <protection_domain name="a">
        <program_image path="a.elf" />
    </protection_domain>
    <memory_region name="fixed" size="0x1000" phys_addr="{phys_addr:#x}" ram="true" />
</system>"#
    );
    let description = sysinit_sdf::parse_str(&text, "t.system").unwrap();
    sysinit_sdf::validate(&description, &Board::by_name(board).unwrap()).map_err(|e| e.to_string())
}

#[test]
fn the_kernels_boot_code_is_ram_after_boot() {
    assert_eq!(check("qemu-x86_64", 0x10_0000), Ok(()));
    assert_eq!(check("qemu-x86_64", 0x7f_f000), Ok(()));
    assert_eq!(check("qemu-aarch64-virt", 0x6000_0000), Ok(()));
    assert_eq!(check("qemu-aarch64-virt", 0x6000_f000), Ok(()));
}

#[test]
fn the_rest_of_the_kernel_image_stays_reserved() {
    assert_eq!(
        check("qemu-x86_64", 0x80_0000),
        Err("t.system:5:5: error: <memory_region name=\"fixed\">: [0x800000..0x801000) overlaps 'kernel' [0x800000..0xa13000), reserved (kernel image) on board 'qemu-x86_64'; valid: physical ranges outside reserved memory".into())
    );
    assert_eq!(
        check("qemu-aarch64-virt", 0x6001_0000),
        Err("t.system:5:5: error: <memory_region name=\"fixed\">: [0x60010000..0x60011000) overlaps 'kernel' [0x60010000..0x6023f000), reserved (kernel image) on board 'qemu-aarch64-virt'; valid: physical ranges outside reserved memory".into())
    );
}

#[test]
fn ram_regions_up_to_the_free_ram_pass_and_beyond_fail() {
    let board = Board::by_name("qemu-x86_64").unwrap();
    let free = board.free_ram_bytes() & !0xfff;
    let text = |size: u64| {
        format!(
            r#"<system>
    <protection_domain name="a">
        <program_image path="a.elf" />
    </protection_domain>
    <memory_region name="a" size="{size:#x}" />
</system>"#
        )
    };
    let validate = |size| {
        let description = sysinit_sdf::parse_str(&text(size), "t.system").unwrap();
        sysinit_sdf::validate(&description, &board).map_err(|e| e.to_string())
    };
    assert_eq!(validate(free), Ok(()));
    assert!(validate(free + 0x1000)
        .unwrap_err()
        .contains("more than the 0x1ec43800 bytes of RAM"));
    // With more RAM (--ram) the same region fits.
    let bigger = board.clone().with_ram_bytes(1 << 30).unwrap();
    let description = sysinit_sdf::parse_str(&text(free + 0x1000), "t.system").unwrap();
    assert_eq!(sysinit_sdf::validate(&description, &bigger), Ok(()));
}
