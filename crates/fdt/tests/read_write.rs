//! Writer -> reader round trips, the reader's lookups and value accessors,
//! and the writer's refusals.

mod common;

use common::sample;
use sysinit_fdt::{Cells, Fdt, FdtError, FdtWriter, RegEntry, WriteError};

#[test]
fn round_trip_reads_back_every_node_and_value() {
    let blob = sample();
    let fdt = Fdt::new(&blob).unwrap();
    assert_eq!(fdt.total_size(), blob.len());
    assert_eq!(fdt.version(), 17);
    assert_eq!(
        fdt.reservations().collect::<Vec<_>>(),
        [(0x4800_0000, 0x1000)]
    );

    let names: Vec<(usize, &str)> = fdt.nodes().map(|n| (n.depth(), n.name())).collect();
    assert_eq!(
        names,
        [
            (0, ""),
            (1, "memory@40000000"),
            (1, "reserved-memory"),
            (2, "guest_shared@41001000"),
            (1, "cpus"),
            (2, "cpu@0"),
            (1, "pcie@4010000000"),
            (2, "dev@0"),
            (1, "chosen"),
        ]
    );

    let root = fdt.root();
    assert!(root.is_compatible("linux,dummy-virt"));
    assert_eq!(
        root.cells(),
        Cells {
            address: 2,
            size: 2
        }
    );

    let memory = fdt.find_node("/memory").unwrap();
    assert_eq!(memory.name(), "memory@40000000");
    assert_eq!(memory.base_name(), "memory");
    assert_eq!(memory.unit_address(), Some("40000000"));
    assert_eq!(
        memory.property("device_type").unwrap().as_str(),
        Ok("memory")
    );
    let reg: Vec<RegEntry> = memory.reg().unwrap().collect();
    assert_eq!(
        reg,
        [
            RegEntry {
                address: 0x4000_0000,
                size: 0x100_0000
            },
            RegEntry {
                address: 0x5000_0000,
                size: 0x20_0000
            },
        ]
    );

    let shared = fdt.find_node("/reserved-memory/guest_shared").unwrap();
    assert!(shared.property("no-map").unwrap().is_empty());
    assert_eq!(
        shared.reg().unwrap().collect::<Vec<_>>(),
        [RegEntry {
            address: 0x4100_1000,
            size: 0x1000
        }]
    );
    // The parent's cells, not the root's, decide how reg reads.
    let cpu = fdt.find_node("/cpus/cpu@0").unwrap();
    assert_eq!(
        cpu.parent_cells(),
        Cells {
            address: 1,
            size: 0
        }
    );
    assert_eq!(
        cpu.reg().unwrap().collect::<Vec<_>>(),
        [RegEntry {
            address: 0,
            size: 0
        }]
    );
    // Three address cells (PCI) are beyond reg's two: an error, not a guess.
    let dev = fdt.find_node("/pcie/dev@0").unwrap();
    assert_eq!(
        dev.reg().unwrap_err(),
        FdtError::UnsupportedCells {
            address_cells: 3,
            size_cells: 2
        }
    );
    assert_eq!(
        fdt.find_node("/chosen")
            .unwrap()
            .property("bootargs")
            .unwrap()
            .as_str(),
        Ok("console=ttyAMA0")
    );
    assert_eq!(
        fdt.find_node("/pcie@4010000000").unwrap().name(),
        "pcie@4010000000"
    );
    assert!(fdt.find_node("/pcie@0").is_none());
    assert!(fdt.find_node("/nothing").is_none());
    assert!(fdt.find_node("chosen").is_none(), "paths are absolute");
    assert_eq!(fdt.find_node("/").unwrap().name(), "");
    let children: Vec<&str> = root.children().map(|c| c.name()).collect();
    assert_eq!(
        children,
        [
            "memory@40000000",
            "reserved-memory",
            "cpus",
            "pcie@4010000000",
            "chosen"
        ]
    );
    assert_eq!(
        fdt.find_node("/reserved-memory")
            .unwrap()
            .property("missing"),
        None
    );
}

#[test]
fn value_accessors_check_lengths() {
    let blob = sample();
    let fdt = Fdt::new(&blob).unwrap();
    let root = fdt.root();
    let cells = root.property("#address-cells").unwrap();
    assert_eq!(cells.as_u32(), Ok(2));
    assert_eq!(
        cells.as_u64(),
        Err(FdtError::BadValue {
            expected: "u64",
            len: 4
        })
    );
    assert_eq!(
        cells.as_str().unwrap_err(),
        FdtError::BadValue {
            expected: "string",
            len: 4
        }
    );
    let memory = fdt.find_node("/memory").unwrap();
    let reg = memory.property("reg").unwrap();
    assert_eq!(
        reg.u32s().unwrap().collect::<Vec<_>>(),
        [0, 0x4000_0000, 0, 0x100_0000, 0, 0x5000_0000, 0, 0x20_0000]
    );
    assert_eq!(
        reg.as_u32().unwrap_err(),
        FdtError::BadValue {
            expected: "u32",
            len: 32
        }
    );
    let compatible = root.property("compatible").unwrap();
    assert_eq!(
        compatible.strings().unwrap().collect::<Vec<_>>(),
        ["linux,dummy-virt"]
    );
}

#[test]
fn property_names_are_stored_once_and_output_is_deterministic() {
    let a = sample();
    let b = sample();
    assert_eq!(a, b);
    let fdt = Fdt::new(&a).unwrap();
    let _ = fdt;
    // "reg" is used five times and stored once.
    let off_strings = u32::from_be_bytes(a[12..16].try_into().unwrap()) as usize;
    let strings = &a[off_strings..];
    assert_eq!(strings.windows(4).filter(|w| w == b"reg\0").count(), 1);
}

#[test]
fn writer_refuses_malformed_trees() {
    let mut w = FdtWriter::new();
    assert_eq!(
        w.property_u32("x", 1),
        Err(WriteError::PropertyOutsideNode("x".into()))
    );
    assert_eq!(w.begin_node("a"), Err(WriteError::NotOneRoot("a".into())));
    w.begin_node("").unwrap();
    assert_eq!(
        w.begin_node("bad/name"),
        Err(WriteError::BadNodeName("bad/name".into()))
    );
    assert_eq!(w.begin_node(""), Err(WriteError::BadNodeName("".into())));
    assert_eq!(
        w.begin_node("a@"),
        Err(WriteError::BadNodeName("a@".into()))
    );
    assert_eq!(
        w.property("bad name", &[]),
        Err(WriteError::BadPropertyName("bad name".into()))
    );
    assert_eq!(
        w.property_str("s", "a\0b"),
        Err(WriteError::NulInString {
            property: "s".into()
        })
    );
    w.begin_node("child@1").unwrap();
    w.end_node().unwrap();
    assert_eq!(
        w.property_u32("late", 1),
        Err(WriteError::PropertyAfterChild {
            node: "/".into(),
            property: "late".into()
        })
    );
    w.begin_node("open").unwrap();
    assert!(matches!(FdtWriter::new().finish(), Err(WriteError::NoRoot)));
    let mut unclosed = FdtWriter::new();
    unclosed.begin_node("").unwrap();
    unclosed.begin_node("x").unwrap();
    assert_eq!(unclosed.finish(), Err(WriteError::Unclosed("/x".into())));
    w.end_node().unwrap();
    w.end_node().unwrap();
    assert_eq!(w.end_node(), Err(WriteError::EndWithoutBegin));
    assert_eq!(w.begin_node(""), Err(WriteError::NotOneRoot("".into())));
    assert!(Fdt::new(&w.finish().unwrap()).is_ok());
    assert_eq!(
        WriteError::PropertyAfterChild {
            node: "/cpus".into(),
            property: "reg".into()
        }
        .to_string(),
        "device tree property \"reg\" of /cpus comes after a child node: write a node's \
         properties before its children"
    );
}

#[test]
fn nesting_is_limited_on_both_sides() {
    let mut w = FdtWriter::new();
    w.begin_node("").unwrap();
    for _ in 1..sysinit_fdt::MAX_DEPTH {
        w.begin_node("n").unwrap();
    }
    assert!(matches!(w.begin_node("n"), Err(WriteError::TooDeep(_))));
    for _ in 0..sysinit_fdt::MAX_DEPTH {
        w.end_node().unwrap();
    }
    let blob = w.finish().unwrap();
    let fdt = Fdt::new(&blob).unwrap();
    assert_eq!(fdt.nodes().count(), sysinit_fdt::MAX_DEPTH);
    assert_eq!(
        fdt.nodes().last().unwrap().depth(),
        sysinit_fdt::MAX_DEPTH - 1
    );
}
