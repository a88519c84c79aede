//! `sysinit check` (validation plus the builder's refusals) says each thing once.

use sysinit_board::Board;

const SETVAR_UNFIXED: &str = r#"<system>
    <memory_region name="dma" size="0x1000" />
    <protection_domain name="a">
        <program_image path="a.elf" />
        <setvar symbol="dma_paddr" region_paddr="dma" />
    </protection_domain>
</system>"#;

fn check(board: &str) -> Vec<String> {
    let description = sysinit_sdf::parse_str(SETVAR_UNFIXED, "t.system").unwrap();
    let board = Board::by_name(board).unwrap();
    let errors = sysinit_builder::check(&description, &board).unwrap_err();
    errors.0.iter().map(|e| e.to_string()).collect()
}

#[test]
fn setvar_region_paddr_on_an_unfixed_region_is_reported_once() {
    // x86: validation refuses it (the address is only known at boot); the
    // builder's own refusal of the same element is left out.
    assert_eq!(
        check("qemu-x86_64"),
        ["t.system:5:9: error: <setvar symbol=\"dma_paddr\"> in <protection_domain name=\"a\">: memory_region 'dma' has no phys_addr, and on x86_64 its physical address is only known at boot; valid: a memory_region with phys_addr"]
    );
    // aarch64: valid, but sysinit cannot build it yet.
    assert_eq!(
        check("qemu-aarch64-virt"),
        ["t.system:5:9: error: <setvar symbol=\"dma_paddr\"> in <protection_domain name=\"a\">: region 'dma' has no phys_addr, so its physical address is only known at boot; valid: give <memory_region name=\"dma\"> a phys_addr"]
    );
}
