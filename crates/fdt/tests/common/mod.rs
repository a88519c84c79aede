//! A small tree the tests share, written with the crate's writer.

#![allow(dead_code)]

use sysinit_fdt::FdtWriter;

/// A tree shaped like a guest's: memory, reserved memory, a PCIe node with
/// three address cells, chosen; one memory reservation entry.
pub fn sample() -> Vec<u8> {
    let mut w = FdtWriter::new();
    w.add_reservation(0x4800_0000, 0x1000);
    w.begin_node("").unwrap();
    w.property_u32("#address-cells", 2).unwrap();
    w.property_u32("#size-cells", 2).unwrap();
    w.property_strings("compatible", &["linux,dummy-virt"])
        .unwrap();
    w.begin_node("memory@40000000").unwrap();
    w.property_str("device_type", "memory").unwrap();
    w.property_u64s("reg", &[0x4000_0000, 0x100_0000, 0x5000_0000, 0x20_0000])
        .unwrap();
    w.end_node().unwrap();
    w.begin_node("reserved-memory").unwrap();
    w.property_u32("#address-cells", 2).unwrap();
    w.property_u32("#size-cells", 2).unwrap();
    w.property_empty("ranges").unwrap();
    w.begin_node("guest_shared@41001000").unwrap();
    w.property_u64s("reg", &[0x4100_1000, 0x1000]).unwrap();
    w.property_empty("no-map").unwrap();
    w.end_node().unwrap();
    w.end_node().unwrap();
    w.begin_node("cpus").unwrap();
    w.property_u32("#address-cells", 1).unwrap();
    w.property_u32("#size-cells", 0).unwrap();
    w.begin_node("cpu@0").unwrap();
    w.property_u32("reg", 0).unwrap();
    w.property_strings("compatible", &["arm,cortex-a57"])
        .unwrap();
    w.end_node().unwrap();
    w.end_node().unwrap();
    w.begin_node("pcie@4010000000").unwrap();
    w.property_u32("#address-cells", 3).unwrap();
    w.property_u32("#size-cells", 2).unwrap();
    w.property_strings("compatible", &["pci-host-ecam-generic"])
        .unwrap();
    w.begin_node("dev@0").unwrap();
    w.property_cells("reg", &[0, 0, 0, 0, 0]).unwrap();
    w.end_node().unwrap();
    w.end_node().unwrap();
    w.begin_node("chosen").unwrap();
    w.property_str("bootargs", "console=ttyAMA0").unwrap();
    w.end_node().unwrap();
    w.end_node().unwrap();
    w.finish().unwrap()
}
