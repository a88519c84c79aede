//! The example virtual machine's tree, read back node by node with
//! sysinit-fdt's reader; dtc accepts it without a warning; same input, same bytes.

mod common;

use common::{dtc_decompile, example};
use sysinit_fdt::{Fdt, Node, RegEntry};
use sysinit_guest_dt::{generate, GuestRange};

fn cells(node: &Node, name: &str) -> Vec<u32> {
    node.property(name)
        .unwrap_or_else(|| panic!("{} has no {name}", node.name()))
        .u32s()
        .unwrap()
        .collect()
}

fn string(node: &Node, name: &str) -> String {
    node.property(name).unwrap().as_str().unwrap().to_string()
}

fn strings(node: &Node, name: &str) -> Vec<String> {
    node.property(name)
        .unwrap()
        .strings()
        .unwrap()
        .map(str::to_string)
        .collect()
}

fn reg(node: &Node) -> Vec<(u64, u64)> {
    node.reg()
        .unwrap()
        .map(|RegEntry { address, size }| (address, size))
        .collect()
}

fn names(node: &Node) -> Vec<String> {
    node.properties().map(|p| p.name().to_string()).collect()
}

#[test]
fn example_tree_has_every_node_and_value() {
    let blob = generate(&example()).unwrap();
    let fdt = Fdt::new(&blob).unwrap();
    assert_eq!(fdt.reservations().count(), 0);

    let top: Vec<&str> = fdt.root().children().map(|n| n.name()).collect();
    assert_eq!(
        top,
        [
            "psci",
            "memory@40000000",
            "reserved-memory",
            "cpus",
            "timer",
            "intc@8000000",
            "apb-pclk",
            "pl011@9000000",
            "pcie@4010000000",
            "chosen",
        ]
    );

    let root = fdt.root();
    assert_eq!(strings(&root, "compatible"), ["linux,dummy-virt"]);
    assert_eq!(cells(&root, "#address-cells"), [2]);
    assert_eq!(cells(&root, "#size-cells"), [2]);
    let gic = fdt.find_node("/intc@8000000").unwrap();
    assert_eq!(cells(&root, "interrupt-parent"), cells(&gic, "phandle"));

    let psci = fdt.find_node("/psci").unwrap();
    assert_eq!(
        strings(&psci, "compatible"),
        ["arm,psci-1.0", "arm,psci-0.2"]
    );
    assert_eq!(string(&psci, "method"), "smc");

    // guest_ram, guest_dtb and the reserved guest_shared are contiguous: one entry
    // (reserved memory is memory; /reserved-memory carves it out with no-map).
    let memory = fdt.find_node("/memory").unwrap();
    assert_eq!(string(&memory, "device_type"), "memory");
    assert_eq!(reg(&memory), [(0x4000_0000, 0x100_2000)]);

    let reserved = fdt.find_node("/reserved-memory").unwrap();
    assert_eq!(cells(&reserved, "#address-cells"), [2]);
    assert_eq!(cells(&reserved, "#size-cells"), [2]);
    assert!(reserved.property("ranges").unwrap().is_empty());
    let shared: Vec<Node> = reserved.children().collect();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0].name(), "guest_shared@41001000");
    assert_eq!(reg(&shared[0]), [(0x4100_1000, 0x1000)]);
    assert!(shared[0].property("no-map").unwrap().is_empty());

    let cpus = fdt.find_node("/cpus").unwrap();
    assert_eq!(cells(&cpus, "#address-cells"), [1]);
    assert_eq!(cells(&cpus, "#size-cells"), [0]);
    let cpu = fdt.find_node("/cpus/cpu@0").unwrap();
    assert_eq!(string(&cpu, "device_type"), "cpu");
    assert_eq!(string(&cpu, "compatible"), "arm,cortex-a57");
    assert_eq!(string(&cpu, "enable-method"), "psci");
    assert_eq!(reg(&cpu), [(0, 0)]);
    assert_eq!(cpus.children().count(), 1);

    // PPIs 13, 14, 11, 10; level-high (4) to CPU mask 0b1 (bits 8..15), as QEMU.
    let timer = fdt.find_node("/timer").unwrap();
    assert_eq!(
        strings(&timer, "compatible"),
        ["arm,armv8-timer", "arm,armv7-timer"]
    );
    assert!(timer.property("always-on").unwrap().is_empty());
    assert_eq!(
        cells(&timer, "interrupts"),
        [1, 13, 0x104, 1, 14, 0x104, 1, 11, 0x104, 1, 10, 0x104]
    );

    assert_eq!(string(&gic, "compatible"), "arm,cortex-a15-gic");
    assert_eq!(cells(&gic, "#interrupt-cells"), [3]);
    assert!(gic.property("interrupt-controller").unwrap().is_empty());
    assert_eq!(cells(&gic, "#address-cells"), [2]);
    assert_eq!(cells(&gic, "#size-cells"), [2]);
    // Distributor (emulated) and CPU interface where gic-vcpu is mapped.
    assert_eq!(reg(&gic), [(0x800_0000, 0x1_0000), (0x801_0000, 0x2000)]);

    let clock = fdt.find_node("/apb-pclk").unwrap();
    assert_eq!(string(&clock, "compatible"), "fixed-clock");
    assert_eq!(cells(&clock, "#clock-cells"), [0]);
    assert_eq!(cells(&clock, "clock-frequency"), [24_000_000]);
    assert_eq!(string(&clock, "clock-output-names"), "clk24mhz");
    let clock_phandle = cells(&clock, "phandle")[0];
    assert_ne!(clock_phandle, cells(&gic, "phandle")[0]);

    let uart = fdt.find_node("/pl011@9000000").unwrap();
    assert_eq!(strings(&uart, "compatible"), ["arm,pl011", "arm,primecell"]);
    assert_eq!(reg(&uart), [(0x900_0000, 0x1000)]);
    assert_eq!(cells(&uart, "interrupts"), [0, 1, 4]);
    assert_eq!(cells(&uart, "clocks"), [clock_phandle, clock_phandle]);
    assert_eq!(strings(&uart, "clock-names"), ["uartclk", "apb_pclk"]);

    let pcie = fdt.find_node("/pcie").unwrap();
    assert_eq!(pcie.name(), "pcie@4010000000");
    assert_eq!(string(&pcie, "compatible"), "pci-host-ecam-generic");
    assert_eq!(string(&pcie, "device_type"), "pci");
    assert_eq!(cells(&pcie, "#address-cells"), [3]);
    assert_eq!(cells(&pcie, "#size-cells"), [2]);
    assert_eq!(cells(&pcie, "#interrupt-cells"), [1]);
    assert_eq!(cells(&pcie, "linux,pci-domain"), [0]);
    // One MiB of ECAM: bus 0 only.
    assert_eq!(cells(&pcie, "bus-range"), [0, 0]);
    assert!(pcie.property("dma-coherent").unwrap().is_empty());
    assert_eq!(reg(&pcie), [(0x40_1000_0000, 0x10_0000)]);
    // 64-bit memory, PCI address = physical, CPU address = guest, size.
    assert_eq!(
        cells(&pcie, "ranges"),
        [0x0300_0000, 0x80, 0, 0x80, 0, 0, 0x10_0000]
    );
    assert_eq!(cells(&pcie, "interrupt-map-mask"), [0x1800, 0, 0, 7]);
    let map = cells(&pcie, "interrupt-map");
    assert_eq!(map.len(), 16 * 10);
    for (i, entry) in map.chunks(10).enumerate() {
        let (slot, pin) = (i as u32 / 4, i as u32 % 4);
        let spi = 3 + (slot + pin) % 4;
        assert_eq!(
            entry,
            [slot << 11, 0, 0, pin + 1, 1, 0, 0, 0, spi, 4],
            "slot {slot} pin {pin}"
        );
    }

    let chosen = fdt.find_node("/chosen").unwrap();
    assert_eq!(string(&chosen, "bootargs"), "console=ttyAMA0");
    assert_eq!(string(&chosen, "stdout-path"), "/pl011@9000000");
    assert_eq!(names(&chosen), ["bootargs", "stdout-path"]);
    assert!(fdt.find_node(&string(&chosen, "stdout-path")).is_some());
}

#[test]
fn an_initramfs_goes_to_chosen_with_its_exact_bytes() {
    let mut input = example();
    input.initrd = Some(GuestRange::new(0x4080_0000, 0x1_2345));
    let blob = generate(&input).unwrap();
    let fdt = Fdt::new(&blob).unwrap();
    let chosen = fdt.find_node("/chosen").unwrap();
    assert_eq!(
        names(&chosen),
        [
            "bootargs",
            "linux,initrd-start",
            "linux,initrd-end",
            "stdout-path"
        ]
    );
    assert_eq!(cells(&chosen, "linux,initrd-start"), [0, 0x4080_0000]);
    assert_eq!(cells(&chosen, "linux,initrd-end"), [0, 0x4081_2345]);
}

#[test]
fn a_reserved_range_apart_from_ram_is_its_own_memory_entry() {
    let mut input = example();
    input.reserved[0].range = GuestRange::new(0x4200_0000, 0x1000);
    let blob = generate(&input).unwrap();
    let fdt = Fdt::new(&blob).unwrap();
    let memory = fdt.find_node("/memory").unwrap();
    assert_eq!(
        reg(&memory),
        [(0x4000_0000, 0x100_1000), (0x4200_0000, 0x1000)]
    );
}

#[test]
fn optional_nodes_follow_the_input() {
    let mut input = example();
    input.reserved.clear();
    input.passthrough.retain(|p| p.device == "gic-vcpu");
    input.bootargs = None;
    input.vcpus = vec![3, 1];
    input.ram.push(GuestRange::new(0x5000_0000, 0x20_0000));
    let blob = generate(&input).unwrap();
    let fdt = Fdt::new(&blob).unwrap();
    for absent in ["/reserved-memory", "/pl011", "/apb-pclk", "/pcie"] {
        assert!(fdt.find_node(absent).is_none(), "{absent}");
    }
    assert_eq!(fdt.find_node("/chosen").unwrap().properties().count(), 0);
    let cpus: Vec<&str> = fdt
        .find_node("/cpus")
        .unwrap()
        .children()
        .map(|c| c.name())
        .collect();
    assert_eq!(cpus, ["cpu@1", "cpu@3"]);
    assert_eq!(reg(&fdt.find_node("/cpus/cpu@3").unwrap()), [(3, 0)]);
    // Two CPUs: the timer PPIs reach both (mask 0b11).
    assert_eq!(
        cells(&fdt.find_node("/timer").unwrap(), "interrupts")[2],
        0x304
    );
    // Not contiguous: two reg entries, sorted; the node named by the lowest.
    let memory = fdt.find_node("/memory@40000000").unwrap();
    assert_eq!(
        reg(&memory),
        [(0x4000_0000, 0x100_1000), (0x5000_0000, 0x20_0000)]
    );
}

#[test]
fn pcie_windows_and_buses() {
    use common::pass_through;
    let mut input = example();
    input.passthrough.retain(|p| !p.device.starts_with("pcie"));
    input.passthrough.extend([
        // Buses 2..=5 of the high ECAM, mapped lower in the guest.
        pass_through("pcie-ecam-high", 0x40_1020_0000, 0x30_0000_0000, 0x40_0000),
        pass_through("pcie-mmio-high", 0x80_0010_0000, 0x80_0010_0000, 0x1000),
        pass_through("pcie-mmio", 0x1000_0000, 0x2000_0000, 0x10_0000),
        pass_through("pcie-pio", 0x3eff_0000, 0x3eff_0000, 0x1_0000),
    ]);
    let blob = generate(&input).unwrap();
    let fdt = Fdt::new(&blob).unwrap();
    let pcie = fdt.find_node("/pcie@3000000000").unwrap();
    assert_eq!(cells(&pcie, "bus-range"), [2, 5]);
    assert_eq!(reg(&pcie), [(0x30_0000_0000, 0x40_0000)]);
    assert_eq!(
        cells(&pcie, "ranges"),
        [
            0x0100_0000,
            0,
            0,
            0,
            0x3eff_0000,
            0,
            0x1_0000, // I/O: PCI address 0
            0x0200_0000,
            0,
            0x1000_0000,
            0,
            0x2000_0000,
            0,
            0x10_0000, // 32-bit: PCI = physical
            0x0300_0000,
            0x80,
            0x10_0000,
            0x80,
            0x10_0000,
            0,
            0x1000, // 64-bit
        ]
    );
    if let Some((_, warnings)) = dtc_decompile(&blob) {
        assert_eq!(warnings, "");
    }
}

#[test]
fn dtc_accepts_the_tree_without_warnings() {
    let blob = generate(&example()).unwrap();
    // Meaningful without dtc too: the own reader takes it whole.
    assert_eq!(Fdt::new(&blob).unwrap().nodes().count(), 13);
    let Some((dts, warnings)) = dtc_decompile(&blob) else {
        return;
    };
    assert_eq!(warnings, "", "dtc warned:\n{warnings}");
    for expected in [
        "compatible = \"linux,dummy-virt\";",
        "memory@40000000 {",
        "reg = <0x00 0x40000000 0x00 0x1002000>;",
        "guest_shared@41001000 {",
        "no-map;",
        "cpu@0 {",
        "interrupts = <0x01 0x0d 0x104 0x01 0x0e 0x104 0x01 0x0b 0x104 0x01 0x0a 0x104>;",
        "intc@8000000 {",
        "reg = <0x00 0x8000000 0x00 0x10000 0x00 0x8010000 0x00 0x2000>;",
        "pl011@9000000 {",
        "pcie@4010000000 {",
        "bus-range = <0x00 0x00>;",
        "ranges = <0x3000000 0x80 0x00 0x80 0x00 0x00 0x100000>;",
        "bootargs = \"console=ttyAMA0\";",
        "stdout-path = \"/pl011@9000000\";",
    ] {
        assert!(
            dts.contains(expected),
            "dtc output lacks {expected:?}:\n{dts}"
        );
    }
}

#[test]
fn same_input_same_bytes() {
    let a = generate(&example()).unwrap();
    let b = generate(&example()).unwrap();
    assert_eq!(a, b);
    // The order of the input lists does not matter either.
    let mut shuffled = example();
    shuffled.ram.reverse();
    shuffled.passthrough.reverse();
    assert_eq!(generate(&shuffled).unwrap(), a);
}

/// The example's tree is committed as a seed of the reader's fuzz target
/// (`fuzz/corpus/fdt_read/valid-guest-example.dtb`), which also pins the
/// bytes: a change to the tree shows up here. `SYSINIT_BLESS=1` rewrites it.
#[test]
fn committed_fuzz_seed_is_the_example_tree() {
    let blob = generate(&example()).unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus/fdt_read/valid-guest-example.dtb");
    if std::env::var_os("SYSINIT_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &blob).unwrap();
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        committed == blob,
        "the example's guest device tree changed; if that is meant, rerun with SYSINIT_BLESS=1 \
         (cargo test -p sysinit-guest-dt --test generate) and commit {}",
        path.display()
    );
}
