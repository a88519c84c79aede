//! The board file format (TOML) and its conversion into a checked [`Board`].
//!
//! The file mirrors what the data is: named ranges, a few RAM-size rules and
//! the kernel's boot footprint. Conversion checks what serde cannot (known
//! architecture, non-empty and non-wrapping ranges, sane RAM limits), so a
//! broken board file is reported when it is loaded, not when it is used.

use serde::Deserialize;
use sysinit_kobj::{Arch, KernelConfig, PhysRange};

use crate::{
    Board, BoardError, HighWindow, Interrupts, KernelFootprint, KernelIrq, NamedRange, RamLayout,
    RamSplit, ReservedKind, ReservedRange, RootTaskImage,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardFile {
    name: String,
    description: String,
    arch: String,
    phys_addr_bits: u8,
    cores: u32,
    mcs: bool,
    virtualization: bool,
    ram: RamFile,
    high_pci_window: Option<HighWindowFile>,
    #[serde(default)]
    devices: Vec<RangeFile>,
    #[serde(default)]
    reserved: Vec<ReservedFile>,
    interrupts: InterruptsFile,
    kernel: KernelFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RamFile {
    base: u64,
    default: u64,
    min: u64,
    max: u64,
    split: Option<SplitFile>,
    #[serde(default)]
    holes: Vec<RangeFile>,
    #[serde(default)]
    carveouts: Vec<RangeFile>,
    firmware_top: Option<FirmwareTopFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitFile {
    threshold: u64,
    low_size: u64,
    high_base: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FirmwareTopFile {
    name: String,
    size: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HighWindowFile {
    name: String,
    align: u64,
    size: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeFile {
    name: String,
    start: u64,
    size: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReservedFile {
    name: String,
    kind: String,
    start: u64,
    size: u64,
}

#[derive(Deserialize)]
#[serde(tag = "controller", rename_all = "kebab-case", deny_unknown_fields)]
enum InterruptsFile {
    Gic {
        max_irq: u64,
        #[serde(default)]
        kernel_irqs: Vec<KernelIrqFile>,
    },
    Ioapic {
        ioapics: u64,
        pins: u64,
        max_vector: u64,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KernelIrqFile {
    irq: u64,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KernelFile {
    image_base: Option<u64>,
    image_bytes: u64,
    boot_code_bytes: u64,
    ignores_ram_below: u64,
    dtb_bytes: u64,
    root_task_image_bytes: u64,
    root_task_vaddr: u64,
    extra_bootinfo_bytes: u64,
    root_cnode_size_bits: u8,
}

impl BoardFile {
    pub(crate) fn parse(text: &str) -> Result<BoardFile, BoardError> {
        toml::from_str(text).map_err(|e| BoardError::Toml {
            message: e.to_string().trim_end().to_string(),
        })
    }

    pub(crate) fn into_board(self) -> Result<Board, BoardError> {
        let board = self.name.clone();
        let invalid = |what: String| BoardError::Invalid {
            board: board.clone(),
            what,
        };
        let arch = Arch::from_name(&self.arch).ok_or_else(|| {
            invalid(format!(
                "unknown arch '{}'; valid: {}",
                self.arch,
                Arch::ALL.map(|a| a.name()).join(", ")
            ))
        })?;
        if !(32..=64).contains(&self.phys_addr_bits) {
            return Err(invalid(format!(
                "phys_addr_bits {} is out of range; valid: 32..=64",
                self.phys_addr_bits
            )));
        }
        if self.cores == 0 {
            return Err(invalid("cores must be at least 1".into()));
        }
        let ram = &self.ram;
        if ram.min == 0 || ram.min > ram.default || ram.default > ram.max {
            return Err(invalid(format!(
                "RAM limits must satisfy 0 < min <= default <= max (min {:#x}, default {:#x}, max {:#x})",
                ram.min, ram.default, ram.max
            )));
        }
        let range = |r: RangeFile| -> Result<NamedRange, BoardError> {
            let end = r
                .start
                .checked_add(r.size)
                .filter(|_| r.size > 0)
                .ok_or_else(|| {
                    invalid(format!(
                        "range '{}' at {:#x} with size {:#x} is empty or wraps",
                        r.name, r.start, r.size
                    ))
                })?;
            Ok(NamedRange {
                name: r.name,
                range: PhysRange::new(r.start, end),
            })
        };
        let holes = self
            .ram
            .holes
            .into_iter()
            .map(range)
            .collect::<Result<_, _>>()?;
        let carveouts = self
            .ram
            .carveouts
            .into_iter()
            .map(range)
            .collect::<Result<_, _>>()?;
        let devices = self
            .devices
            .into_iter()
            .map(range)
            .collect::<Result<_, _>>()?;
        let mut reserved = Vec::new();
        for r in self.reserved {
            let kind = ReservedKind::from_file_name(&r.kind).ok_or_else(|| {
                invalid(format!(
                    "reserved range '{}' has unknown kind '{}'; valid: firmware, platform, kernel-device",
                    r.name, r.kind
                ))
            })?;
            let named = range(RangeFile {
                name: r.name,
                start: r.start,
                size: r.size,
            })?;
            reserved.push(ReservedRange {
                name: named.name,
                kind,
                range: named.range,
            });
        }
        if KernelConfig::with_hypervisor(arch, self.virtualization).is_none() {
            return Err(invalid(format!(
                "virtualization = {} on {arch}: no supported kernel configuration has it \
                 (aarch64: true for the kernel at EL2, false at EL1; x86_64: false)",
                self.virtualization
            )));
        }
        let interrupts = self.interrupts.into_interrupts();
        let k = self.kernel;
        // Saturating: an end past 2^64 is refused by `RootTaskImage::new` as a bad span.
        let root_task_end = k.root_task_vaddr.saturating_add(k.root_task_image_bytes);
        let root_task = RootTaskImage::new(k.root_task_vaddr, root_task_end).map_err(|e| {
            invalid(format!(
                "kernel.root_task_vaddr and root_task_image_bytes: {e}"
            ))
        })?;
        Ok(Board {
            name: self.name,
            description: self.description,
            arch,
            phys_addr_bits: self.phys_addr_bits,
            cores: self.cores,
            mcs: self.mcs,
            virtualization: self.virtualization,
            ram_layout: RamLayout {
                base: self.ram.base,
                default_bytes: self.ram.default,
                min_bytes: self.ram.min,
                max_bytes: self.ram.max,
                split: self.ram.split.map(|s| RamSplit {
                    threshold: s.threshold,
                    low_size: s.low_size,
                    high_base: s.high_base,
                }),
                holes,
                carveouts,
                firmware_top: self.ram.firmware_top.map(|f| (f.name, f.size)),
            },
            high_pci_window: self.high_pci_window.map(|w| HighWindow {
                name: w.name,
                align: w.align,
                size: w.size,
            }),
            devices,
            reserved,
            interrupts,
            kernel: KernelFootprint {
                image_base: k.image_base,
                image_bytes: k.image_bytes,
                boot_code_bytes: k.boot_code_bytes,
                ignores_ram_below: k.ignores_ram_below,
                dtb_bytes: k.dtb_bytes,
                extra_bootinfo_bytes: k.extra_bootinfo_bytes,
                root_cnode_size_bits: k.root_cnode_size_bits,
            },
            default_root_task: root_task,
            root_task,
            ram_bytes: self.ram.default,
        })
    }
}

impl InterruptsFile {
    /// The board's interrupt controller as the checks use it.
    fn into_interrupts(self) -> Interrupts {
        match self {
            InterruptsFile::Gic {
                max_irq,
                kernel_irqs,
            } => Interrupts::Gic {
                max_irq,
                kernel_irqs: kernel_irqs
                    .into_iter()
                    .map(|k| KernelIrq {
                        irq: k.irq,
                        name: k.name,
                    })
                    .collect(),
            },
            InterruptsFile::Ioapic {
                ioapics,
                pins,
                max_vector,
            } => Interrupts::Ioapic {
                ioapics,
                pins,
                max_vector,
            },
        }
    }
}
