//! Board models: where RAM, devices and reserved memory are on the machines sysinit runs on.
//!
//! A board is data (`boards/*.toml` in the repository, embedded into the
//! binary): the QEMU memory map as a function of the `-m` RAM size, named
//! device ranges, ranges user level must not get, the interrupt controller's
//! limits and the kernel's boot footprint (measured from our kernel builds and
//! checked against recorded real boots on both architectures). From that this crate answers the
//! questions validation asks ("is this RAM? a device? reserved?") and produces
//! the inputs of the kernel's `create_untypeds` ([`Board::boot_memory`]), given
//! the root task image the kernel will load ([`RootTaskImage`]).
#![forbid(unsafe_code)]

mod boot;
mod error;
mod file;
mod fit;
mod ranges;
mod roottask;

use std::fmt;

use sysinit_kobj::{Arch, KernelConfig, KernelWindow, PhysRange};

pub use boot::BootLayout;
pub use error::BoardError;
pub use fit::RamNeed;
pub use roottask::{RootTaskImage, RootTaskImageError};

/// The boards built into sysinit: (name, TOML text).
const BUILT_IN: [(&str, &str); 3] = [
    (
        "qemu-x86_64",
        include_str!("../../../boards/qemu-x86_64.toml"),
    ),
    (
        "qemu-aarch64-virt",
        include_str!("../../../boards/qemu-aarch64-virt.toml"),
    ),
    (
        "qemu-aarch64-virt-el1",
        include_str!("../../../boards/qemu-aarch64-virt-el1.toml"),
    ),
];

/// A named physical range: a device, a RAM hole or carve-out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedRange {
    /// Name used in messages ("pcie-ecam", "pl011-uart").
    pub name: String,
    /// The physical range.
    pub range: PhysRange,
}

/// Why a reserved range is not available to user level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReservedKind {
    /// Firmware tables, BIOS areas and ROMs.
    Firmware,
    /// Reserved by the machine or hypervisor (e.g. QEMU's KVM TSS).
    Platform,
    /// A device page the kernel keeps for itself (interrupt controller, timer).
    KernelDevice,
    /// The kernel image.
    KernelImage,
    /// The device tree the boot loader placed after the kernel.
    DeviceTree,
    /// The root task's image.
    RootTaskImage,
    /// The root task's kernel objects (CNode, VSpace, TCB, boot info, paging structures).
    RootServerObjects,
}

impl ReservedKind {
    fn from_file_name(name: &str) -> Option<ReservedKind> {
        match name {
            "firmware" => Some(ReservedKind::Firmware),
            "platform" => Some(ReservedKind::Platform),
            "kernel-device" => Some(ReservedKind::KernelDevice),
            _ => None,
        }
    }
}

impl fmt::Display for ReservedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReservedKind::Firmware => "firmware",
            ReservedKind::Platform => "platform",
            ReservedKind::KernelDevice => "kernel device",
            ReservedKind::KernelImage => "kernel image",
            ReservedKind::DeviceTree => "device tree",
            ReservedKind::RootTaskImage => "root task image",
            ReservedKind::RootServerObjects => "root server objects",
        })
    }
}

/// A range user level must not get, with its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReservedRange {
    /// Name used in messages.
    pub name: String,
    /// Why it is reserved.
    pub kind: ReservedKind,
    /// The physical range.
    pub range: PhysRange,
}

/// An interrupt the kernel keeps for itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelIrq {
    /// Interrupt number.
    pub irq: u64,
    /// What the kernel uses it for.
    pub name: String,
}

/// The interrupt controller's limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Interrupts {
    /// ARM GIC: interrupts are numbered 0..=`max_irq`.
    Gic {
        /// Highest interrupt number the kernel accepts.
        max_irq: u64,
        /// Interrupts the kernel keeps.
        kernel_irqs: Vec<KernelIrq>,
    },
    /// x86 IOAPIC (and MSI) delivery to CPU vectors 0..=`max_vector`.
    Ioapic {
        /// Number of IOAPICs.
        ioapics: u64,
        /// Pins per IOAPIC.
        pins: u64,
        /// Highest user vector.
        max_vector: u64,
    },
}

/// How the machine lays out RAM for a given RAM size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RamLayout {
    pub(crate) base: u64,
    pub(crate) default_bytes: u64,
    pub(crate) min_bytes: u64,
    pub(crate) max_bytes: u64,
    pub(crate) split: Option<RamSplit>,
    pub(crate) holes: Vec<NamedRange>,
    pub(crate) carveouts: Vec<NamedRange>,
    /// Firmware reservation at the top of the first RAM block: (name, size).
    pub(crate) firmware_top: Option<(String, u64)>,
}

/// RAM split around a 32-bit hole (QEMU q35).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RamSplit {
    pub(crate) threshold: u64,
    pub(crate) low_size: u64,
    pub(crate) high_base: u64,
}

/// A device window placed after the end of RAM (x86 64-bit PCI hole).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HighWindow {
    pub(crate) name: String,
    pub(crate) align: u64,
    pub(crate) size: u64,
}

/// Where and how large the kernel, boot loader data and root task are at boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KernelFootprint {
    pub(crate) image_base: Option<u64>,
    pub(crate) image_bytes: u64,
    pub(crate) boot_code_bytes: u64,
    pub(crate) ignores_ram_below: u64,
    pub(crate) dtb_bytes: u64,
    pub(crate) extra_bootinfo_bytes: u64,
    pub(crate) root_cnode_size_bits: u8,
}

/// One machine sysinit can target, at one RAM size.
///
/// A board starts at its default RAM size; [`Board::with_ram_bytes`] picks another.
/// The RAM-dependent queries ([`Board::is_ram`], [`Board::device_ranges`],
/// [`Board::reserved_ranges`]) answer for that size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Board {
    name: String,
    description: String,
    arch: Arch,
    phys_addr_bits: u8,
    cores: u32,
    mcs: bool,
    virtualization: bool,
    ram_layout: RamLayout,
    high_pci_window: Option<HighWindow>,
    devices: Vec<NamedRange>,
    reserved: Vec<ReservedRange>,
    interrupts: Interrupts,
    kernel: KernelFootprint,
    /// The board file's estimate of the root task image, used until one is given.
    default_root_task: RootTaskImage,
    root_task: RootTaskImage,
    ram_bytes: u64,
}

impl Board {
    /// Names of the built-in boards.
    pub fn names() -> Vec<&'static str> {
        BUILT_IN.iter().map(|(name, _)| *name).collect()
    }

    /// Loads a built-in board at its default RAM size.
    pub fn by_name(name: &str) -> Result<Board, BoardError> {
        let (_, text) =
            BUILT_IN
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| BoardError::UnknownBoard {
                    name: name.to_string(),
                    valid: Board::names().join(", "),
                })?;
        Board::from_toml_str(text)
    }

    /// Parses a board file and checks it describes a machine the kernel can boot on
    /// at its default RAM size.
    pub fn from_toml_str(text: &str) -> Result<Board, BoardError> {
        let board = file::BoardFile::parse(text)?.into_board()?;
        board.boot_layout(board.ram_bytes)?;
        Ok(board)
    }

    /// The same board with `ram_bytes` of RAM (QEMU `-m`).
    pub fn with_ram_bytes(mut self, ram_bytes: u64) -> Result<Board, BoardError> {
        self.boot_layout(ram_bytes)?;
        self.ram_bytes = ram_bytes;
        Ok(self)
    }

    /// The same board booting the root task image `image` (e.g. from
    /// [`RootTaskImage::from_elf`]) instead of the board file's estimate.
    ///
    /// The image's size moves the start of free RAM, and its span decides how many
    /// paging structures the kernel allocates with the root server objects, so
    /// only with the real image is [`Board::boot_memory`] exactly what the kernel does.
    pub fn with_root_task_image(mut self, image: RootTaskImage) -> Result<Board, BoardError> {
        self.root_task = image;
        self.boot_layout(self.ram_bytes)?;
        Ok(self)
    }

    /// The root task image the boot layout is computed for.
    pub fn root_task_image(&self) -> RootTaskImage {
        self.root_task
    }

    /// The board file's estimate of the root task image, used when none is given.
    pub fn default_root_task_image(&self) -> RootTaskImage {
        self.default_root_task
    }

    /// Board name, as used on command lines.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One-line description of the machine.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The CPU architecture.
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// The kernel configuration the board describes: its architecture with hypervisor
    /// support as `virtualization` says (aarch64: EL2 when on, EL1 when off).
    pub fn kernel(&self) -> KernelConfig {
        // `from_file` refuses a combination no configuration has.
        KernelConfig::with_hypervisor(self.arch, self.virtualization)
            .unwrap_or(KernelConfig::of_arch(self.arch))
    }

    /// The kernel's physical-to-virtual mapping on this board.
    pub fn kernel_window(&self) -> KernelWindow {
        self.kernel().kernel_window()
    }

    /// Width of physical addresses the CPU can issue; every device range lies below 2^bits.
    pub fn phys_addr_bits(&self) -> u8 {
        self.phys_addr_bits
    }

    /// First physical address beyond the CPU's reach (2^`phys_addr_bits`).
    pub fn phys_addr_end(&self) -> u64 {
        1u64.checked_shl(u32::from(self.phys_addr_bits))
            .unwrap_or(u64::MAX)
    }

    /// First user virtual address that cannot be mapped (from the kernel configuration).
    pub fn user_vaddr_end(&self) -> u64 {
        self.kernel().user_vaddr_end()
    }

    /// Page sizes (log2 bytes) user memory may be mapped with, smallest first.
    pub fn page_size_bits(&self) -> [u8; 3] {
        self.arch.frame_size_bits()
    }

    /// Number of CPU cores the kernel runs on.
    pub fn cores(&self) -> u32 {
        self.cores
    }

    /// Whether the kernel has the MCS scheduler (budgets, periods, passive threads).
    pub fn mcs(&self) -> bool {
        self.mcs
    }

    /// Whether the kernel supports virtual machines (vCPUs).
    pub fn virtualization(&self) -> bool {
        self.virtualization
    }

    /// The interrupt controller's limits.
    pub fn interrupts(&self) -> &Interrupts {
        &self.interrupts
    }

    /// RAM size used when none is given.
    pub fn default_ram_bytes(&self) -> u64 {
        self.ram_layout.default_bytes
    }

    /// The RAM size the RAM-dependent queries answer for.
    pub fn ram_bytes(&self) -> u64 {
        self.ram_bytes
    }

    /// log2 of the root CNode's slot count (KernelRootCNodeSizeBits): the root
    /// task keeps a cap to every object it creates there.
    pub fn root_cnode_size_bits(&self) -> u8 {
        self.kernel.root_cnode_size_bits
    }

    /// Smallest and largest supported RAM sizes.
    pub fn ram_limits(&self) -> (u64, u64) {
        (self.ram_layout.min_bytes, self.ram_layout.max_bytes)
    }
}
