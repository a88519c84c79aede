//! Facts of QEMU's aarch64 `virt` machine that a guest device tree repeats,
//! all in one place. Source: QEMU's hw/arm/virt.c (`base_memmap`,
//! `extended_memmap`, `a15irqmap`, `fdt_add_timer_nodes`, `fdt_add_gic_node`,
//! `create_uart`, `create_pcie`, `create_pcie_irq_map`, `create_fdt`,
//! `fdt_add_psci_node`) and include/hw/arm/fdt.h (the GIC interrupt cells).
//! The device windows equal boards/qemu-aarch64-virt.toml's (a test holds
//! them equal).

/// The board name these facts describe (boards/qemu-aarch64-virt.toml).
pub const BOARD: &str = "qemu-aarch64-virt";

/// What a board device passed through to a guest becomes in its device tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The GIC's virtual CPU interface (GICV), seen by the guest as its GIC
    /// CPU interface (the second `reg` entry of the GIC node).
    GicVcpu,
    /// The PL011 UART: its own node and `/chosen` `stdout-path`.
    Uart,
    /// A PCIe ECAM window: the `pcie@` host bridge node's `reg`.
    Ecam,
    /// A PCIe window the host bridge translates: one `ranges` entry with
    /// this PCI space code (`phys.hi` cell, bits 24..25).
    PciWindow {
        /// 0x01000000 I/O, 0x02000000 32-bit memory, 0x03000000 64-bit memory.
        space: u32,
    },
}

/// A board device a guest may get, by its board file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Device {
    /// The name in boards/*.toml `devices`.
    pub name: &'static str,
    /// Physical base of QEMU's window (memmap).
    pub base: u64,
    /// Bytes of the window.
    pub size: u64,
    /// What the device becomes in the tree.
    pub role: Role,
}

/// PCI address space codes of a `ranges` entry's first cell (IEEE 1275 PCI
/// binding; virt.c's FDT_PCI_RANGE_*).
pub const PCI_SPACE_IO: u32 = 0x0100_0000;
/// 32-bit memory space.
pub const PCI_SPACE_MEM32: u32 = 0x0200_0000;
/// 64-bit memory space.
pub const PCI_SPACE_MEM64: u32 = 0x0300_0000;

/// The devices a guest may get, in the order their `ranges` entries are
/// written (I/O, 32-bit, 64-bit, as virt.c writes them).
pub const DEVICES: &[Device] = &[
    Device {
        name: "gic-vcpu",
        base: 0x804_0000,
        size: 0x1_0000,
        role: Role::GicVcpu,
    },
    Device {
        name: "pl011-uart",
        base: 0x900_0000,
        size: 0x1000,
        role: Role::Uart,
    },
    Device {
        name: "pcie-ecam",
        base: 0x3f00_0000,
        size: 0x100_0000,
        role: Role::Ecam,
    },
    // highmem=on: the ECAM the machine's own device tree names.
    Device {
        name: "pcie-ecam-high",
        base: 0x40_1000_0000,
        size: 0x1000_0000,
        role: Role::Ecam,
    },
    Device {
        name: "pcie-pio",
        base: 0x3eff_0000,
        size: 0x1_0000,
        role: Role::PciWindow {
            space: PCI_SPACE_IO,
        },
    },
    Device {
        name: "pcie-mmio",
        base: 0x1000_0000,
        size: 0x2eff_0000,
        role: Role::PciWindow {
            space: PCI_SPACE_MEM32,
        },
    },
    Device {
        name: "pcie-mmio-high",
        base: 0x80_0000_0000,
        size: 0x80_0000_0000,
        role: Role::PciWindow {
            space: PCI_SPACE_MEM64,
        },
    },
];

/// The device called `name`, if a guest may get it.
pub fn device(name: &str) -> Option<&'static Device> {
    DEVICES.iter().find(|d| d.name == name)
}

/// The GIC distributor (memmap VIRT_GIC_DIST). Never mapped into a guest:
/// the VMM emulates it from the guest's stage-2 faults, at the same address.
pub const GIC_DIST_BASE: u64 = 0x800_0000;
/// Bytes of the distributor window.
pub const GIC_DIST_SIZE: u64 = 0x1_0000;
/// GICv2 serves at most 8 CPUs (the CPU target mask in the interrupt cells is 8 bits).
pub const GIC_MAX_CPUS: usize = 8;

/// First cell of a GIC interrupt specifier: shared peripheral interrupt.
pub const GIC_SPI: u32 = 0;
/// First cell of a GIC interrupt specifier: private peripheral interrupt.
pub const GIC_PPI: u32 = 1;
/// Third cell: level-triggered, active high (GIC_FDT_IRQ_FLAGS_LEVEL_HI).
pub const IRQ_LEVEL_HIGH: u32 = 4;
/// GICv2 PPIs carry a CPU mask in bits 8..15 of the third cell
/// (GIC_FDT_IRQ_PPI_CPU_START).
pub const PPI_CPU_MASK_SHIFT: u32 = 8;

/// The generic timer's PPIs in the order of the binding (secure EL1 physical,
/// non-secure EL1 physical, virtual, EL2 physical): virt.c's ARCH_TIMER_*_IRQ.
/// (PPI n is interrupt 16 + n: the virtual timer, PPI 11, is interrupt 27.)
/// QEMU describes them level-high (virt-2.9 and later).
pub const TIMER_PPIS: [u32; 4] = [13, 14, 11, 10];

/// The PL011's SPI (a15irqmap VIRT_UART; interrupt 33).
pub const UART_SPI: u32 = 1;
/// The first of the four PCIe INTx SPIs (a15irqmap VIRT_PCIE; INTA..INTD are 3..6).
pub const PCIE_FIRST_SPI: u32 = 3;
/// ECAM bytes per bus (4 KiB per function, 8 functions, 32 devices).
pub const ECAM_BUS_BYTES: u64 = 1 << 20;

/// The fixed clock QEMU's tree gives PrimeCell devices (`/apb-pclk`).
pub const APB_PCLK_HZ: u32 = 24_000_000;

/// `compatible` of the root node.
pub const ROOT_COMPATIBLE: &str = "linux,dummy-virt";
/// `compatible` of each cpu node (-cpu cortex-a57).
pub const CPU_COMPATIBLE: &str = "arm,cortex-a57";
/// `compatible` of the GIC node ("cortex-a15-gic" means GICv2).
pub const GIC_COMPATIBLE: &str = "arm,cortex-a15-gic";
/// `compatible` of the timer node (ARMv8 CPUs list both).
pub const TIMER_COMPATIBLE: [&str; 2] = ["arm,armv8-timer", "arm,armv7-timer"];
/// `compatible` of the PSCI node (the VMM implements PSCI 1.0 over SMC).
pub const PSCI_COMPATIBLE: [&str; 2] = ["arm,psci-1.0", "arm,psci-0.2"];
/// `compatible` of the UART node.
pub const UART_COMPATIBLE: [&str; 2] = ["arm,pl011", "arm,primecell"];
/// `compatible` of the PCIe host bridge.
pub const PCIE_COMPATIBLE: &str = "pci-host-ecam-generic";
