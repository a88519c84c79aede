//! Writing the checked plan as a tree, node by node, in a fixed order.

use sysinit_fdt::{FdtWriter, WriteError};

use crate::check::{Pcie, Plan};
use crate::qemu_virt::{self as virt, GIC_PPI, GIC_SPI, IRQ_LEVEL_HIGH};
use crate::GuestRange;

const GIC_PHANDLE: u32 = 1;
const CLOCK_PHANDLE: u32 = 2;

fn hi(n: u64) -> u32 {
    (n >> 32) as u32
}

fn lo(n: u64) -> u32 {
    n as u32
}

/// `reg` entries with 2 address and 2 size cells.
fn reg(w: &mut FdtWriter, ranges: &[GuestRange]) -> Result<(), WriteError> {
    let values: Vec<u64> = ranges.iter().flat_map(|r| [r.start, r.size]).collect();
    w.property_u64s("reg", &values)
}

pub(crate) fn write(plan: &Plan) -> Result<Vec<u8>, WriteError> {
    let mut w = FdtWriter::new();
    w.begin_node("")?;
    w.property_u32("interrupt-parent", GIC_PHANDLE)?;
    w.property_u32("#address-cells", 2)?;
    w.property_u32("#size-cells", 2)?;
    w.property_str("compatible", virt::ROOT_COMPATIBLE)?;

    w.begin_node("psci")?;
    w.property_strings("compatible", &virt::PSCI_COMPATIBLE)?;
    w.property_str("method", "smc")?;
    w.end_node()?;

    w.begin_node(&format!("memory@{:x}", plan.ram[0].start))?;
    w.property_str("device_type", "memory")?;
    reg(&mut w, &plan.ram)?;
    w.end_node()?;

    if !plan.reserved.is_empty() {
        w.begin_node("reserved-memory")?;
        w.property_u32("#address-cells", 2)?;
        w.property_u32("#size-cells", 2)?;
        w.property_empty("ranges")?;
        for r in &plan.reserved {
            w.begin_node(&format!("{}@{:x}", r.name, r.range.start))?;
            reg(&mut w, &[r.range])?;
            w.property_empty("no-map")?;
            w.end_node()?;
        }
        w.end_node()?;
    }

    write_cpus(&mut w, &plan.vcpus)?;
    write_timer(&mut w, plan.vcpus.len())?;
    write_gic(&mut w, plan.gic_cpu)?;
    if let Some(uart) = plan.uart {
        write_uart(&mut w, uart)?;
    }
    if let Some(pcie) = &plan.pcie {
        write_pcie(&mut w, pcie)?;
    }

    w.begin_node("chosen")?;
    if let Some(bootargs) = plan.bootargs {
        w.property_str("bootargs", bootargs)?;
    }
    if let Some(initrd) = plan.initrd {
        w.property_u64("linux,initrd-start", initrd.start)?;
        w.property_u64("linux,initrd-end", initrd.end())?;
    }
    if let Some(uart) = plan.uart {
        w.property_str("stdout-path", &format!("/pl011@{:x}", uart.start))?;
    }
    w.end_node()?;

    w.end_node()?;
    w.finish()
}

fn write_cpus(w: &mut FdtWriter, vcpus: &[u64]) -> Result<(), WriteError> {
    w.begin_node("cpus")?;
    w.property_u32("#address-cells", 1)?;
    w.property_u32("#size-cells", 0)?;
    for &id in vcpus {
        w.begin_node(&format!("cpu@{id:x}"))?;
        w.property_str("device_type", "cpu")?;
        w.property_str("compatible", virt::CPU_COMPATIBLE)?;
        w.property_str("enable-method", "psci")?;
        // Checked: ids fit MPIDR's Aff0 (0..=255).
        w.property_u32("reg", id as u32)?;
        w.end_node()?;
    }
    w.end_node()
}

fn write_timer(w: &mut FdtWriter, cpus: usize) -> Result<(), WriteError> {
    // GICv2 PPI specifiers name the CPUs the interrupt reaches (all of them).
    let flags = IRQ_LEVEL_HIGH | (((1u32 << cpus) - 1) << virt::PPI_CPU_MASK_SHIFT);
    let cells: Vec<u32> = virt::TIMER_PPIS
        .iter()
        .flat_map(|&ppi| [GIC_PPI, ppi, flags])
        .collect();
    w.begin_node("timer")?;
    w.property_strings("compatible", &virt::TIMER_COMPATIBLE)?;
    w.property_empty("always-on")?;
    w.property_cells("interrupts", &cells)?;
    w.end_node()
}

fn write_gic(w: &mut FdtWriter, cpu_interface: GuestRange) -> Result<(), WriteError> {
    w.begin_node(&format!("intc@{:x}", virt::GIC_DIST_BASE))?;
    w.property_str("compatible", virt::GIC_COMPATIBLE)?;
    w.property_u32("#interrupt-cells", 3)?;
    w.property_empty("interrupt-controller")?;
    // As QEMU's: the PCIe interrupt-map's parent unit addresses take 2 cells.
    w.property_u32("#address-cells", 2)?;
    w.property_u32("#size-cells", 2)?;
    w.property_empty("ranges")?;
    let distributor = GuestRange::new(virt::GIC_DIST_BASE, virt::GIC_DIST_SIZE);
    reg(w, &[distributor, cpu_interface])?;
    w.property_u32("phandle", GIC_PHANDLE)?;
    w.end_node()
}

fn write_uart(w: &mut FdtWriter, uart: GuestRange) -> Result<(), WriteError> {
    w.begin_node("apb-pclk")?;
    w.property_str("compatible", "fixed-clock")?;
    w.property_u32("#clock-cells", 0)?;
    w.property_u32("clock-frequency", virt::APB_PCLK_HZ)?;
    w.property_str("clock-output-names", "clk24mhz")?;
    w.property_u32("phandle", CLOCK_PHANDLE)?;
    w.end_node()?;

    w.begin_node(&format!("pl011@{:x}", uart.start))?;
    w.property_strings("compatible", &virt::UART_COMPATIBLE)?;
    reg(w, &[uart])?;
    w.property_cells("interrupts", &[GIC_SPI, virt::UART_SPI, IRQ_LEVEL_HIGH])?;
    w.property_cells("clocks", &[CLOCK_PHANDLE, CLOCK_PHANDLE])?;
    w.property_strings("clock-names", &["uartclk", "apb_pclk"])?;
    w.end_node()
}

/// INTA..INTD of slots 0..3 (the mask repeats them for every slot): pin
/// `p` (0-based) of slot `s` raises SPI `PCIE_FIRST_SPI + (p + s) % 4`, the
/// standard swizzle QEMU wires.
fn interrupt_map() -> Vec<u32> {
    let mut map = Vec::new();
    for slot in 0..4u32 {
        for pin in 0..4u32 {
            let spi = virt::PCIE_FIRST_SPI + (pin + slot) % 4;
            map.extend_from_slice(&[slot << 11, 0, 0, pin + 1]);
            map.extend_from_slice(&[GIC_PHANDLE, 0, 0, GIC_SPI, spi, IRQ_LEVEL_HIGH]);
        }
    }
    map
}

fn write_pcie(w: &mut FdtWriter, pcie: &Pcie) -> Result<(), WriteError> {
    w.begin_node(&format!("pcie@{:x}", pcie.ecam.start))?;
    w.property_str("compatible", virt::PCIE_COMPATIBLE)?;
    w.property_str("device_type", "pci")?;
    w.property_u32("#address-cells", 3)?;
    w.property_u32("#size-cells", 2)?;
    w.property_u32("#interrupt-cells", 1)?;
    w.property_u32("linux,pci-domain", 0)?;
    w.property_cells("bus-range", &[pcie.buses.0, pcie.buses.1])?;
    w.property_empty("dma-coherent")?;
    reg(w, &[pcie.ecam])?;
    if !pcie.windows.is_empty() {
        let ranges: Vec<u32> = pcie
            .windows
            .iter()
            .flat_map(|&(space, pci, guest)| {
                [
                    space,
                    hi(pci),
                    lo(pci),
                    hi(guest.start),
                    lo(guest.start),
                    hi(guest.size),
                    lo(guest.size),
                ]
            })
            .collect();
        w.property_cells("ranges", &ranges)?;
    }
    w.property_cells("interrupt-map-mask", &[0x1800, 0, 0, 7])?;
    w.property_cells("interrupt-map", &interrupt_map())?;
    w.end_node()
}
