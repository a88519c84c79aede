//! The reference compiler agrees: `dtc -I dtb -O dts` accepts the writer's
//! output and prints the nodes and values written. Skipped, loudly, where
//! dtc is not installed (Debian/Ubuntu: `apt-get install device-tree-compiler`);
//! the own reader still checks the same blob then.

mod common;

use common::sample;
use sysinit_fdt::Fdt;

#[path = "support/dtc.rs"]
mod dtc;
use dtc::dtc_decompile;

#[test]
fn dtc_accepts_the_writers_output() {
    let blob = sample();
    // Meaningful with or without dtc: the own reader takes it whole.
    let fdt = Fdt::new(&blob).unwrap();
    assert_eq!(fdt.nodes().count(), 9);
    let Some((dts, _warnings)) = dtc_decompile(&blob) else {
        return;
    };
    for expected in [
        "/memreserve/\t0x0000000048000000 0x0000000000001000;",
        "compatible = \"linux,dummy-virt\";",
        "memory@40000000 {",
        "reg = <0x00 0x40000000 0x00 0x1000000 0x00 0x50000000 0x00 0x200000>;",
        "guest_shared@41001000 {",
        "no-map;",
        "cpu@0 {",
        "pcie@4010000000 {",
        "bootargs = \"console=ttyAMA0\";",
    ] {
        assert!(
            dts.contains(expected),
            "dtc output lacks {expected:?}:\n{dts}"
        );
    }
}
