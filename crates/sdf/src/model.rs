//! The typed system description: what an SDF file says, with where it says it.
//!
//! Values are kept as written (numbers as `u64`, defaults filled in per the
//! Microkit manual) so that range checks live in one place, [`crate::validate`],
//! and can name the exact value that is wrong.

use std::fmt;
use std::sync::Arc;

/// Where an element starts in its file (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file name as given to the parser.
    pub file: Arc<str>,
    /// Line, starting at 1.
    pub line: u32,
    /// Column, starting at 1.
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Microkit's default PD and VM priority (the manual: "Defaults to 0").
pub const DEFAULT_PRIORITY: u64 = 0;
/// Microkit's default budget in microseconds.
pub const DEFAULT_BUDGET: u64 = 1000;
/// Microkit's default stack size: 8 KiB.
pub const DEFAULT_STACK_SIZE: u64 = 0x2000;

/// A whole system description file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SystemDescription {
    /// Top-level protection domains; children are nested in [`ProtectionDomain::children`].
    pub protection_domains: Vec<ProtectionDomain>,
    /// Memory regions, in file order.
    pub memory_regions: Vec<MemoryRegion>,
    /// Channels, in file order.
    pub channels: Vec<Channel>,
    /// The `<system>` element.
    pub location: Location,
}

impl SystemDescription {
    /// Every protection domain, parents before their children (depth first, file order),
    /// each with the name of its parent.
    pub fn all_protection_domains(&self) -> Vec<(&ProtectionDomain, Option<&ProtectionDomain>)> {
        fn walk<'a>(
            pd: &'a ProtectionDomain,
            parent: Option<&'a ProtectionDomain>,
            out: &mut Vec<(&'a ProtectionDomain, Option<&'a ProtectionDomain>)>,
        ) {
            out.push((pd, parent));
            for child in &pd.children {
                walk(child, Some(pd), out);
            }
        }
        let mut out = Vec::new();
        for pd in &self.protection_domains {
            walk(pd, None, &mut out);
        }
        out
    }

    /// The protection domain called `name`, wherever it is nested.
    pub fn protection_domain(&self, name: &str) -> Option<&ProtectionDomain> {
        self.all_protection_domains()
            .into_iter()
            .map(|(pd, _)| pd)
            .find(|pd| pd.name == name)
    }

    /// The memory region called `name`.
    pub fn memory_region(&self, name: &str) -> Option<&MemoryRegion> {
        self.memory_regions.iter().find(|mr| mr.name == name)
    }
}

/// A protection domain (`<protection_domain>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtectionDomain {
    /// Unique name.
    pub name: String,
    /// Child id as the parent refers to it; `None` for top-level PDs.
    pub id: Option<u64>,
    /// Scheduling priority (manual: 0..=254, default 0).
    pub priority: u64,
    /// MCS budget in microseconds, if given (manual default 1000).
    pub budget: Option<u64>,
    /// MCS period in microseconds, if given (manual default: the budget).
    pub period: Option<u64>,
    /// Whether the PD gives up its scheduling context after `init`.
    pub passive: bool,
    /// Stack size in bytes (default 8 KiB).
    pub stack_size: u64,
    /// CPU core (default 0).
    pub cpu: u64,
    /// Symbol the parent's image gets the child id in.
    pub setvar_id: Option<String>,
    /// The ELF image to run.
    pub program_image: ProgramImage,
    /// Memory regions mapped into the PD.
    pub maps: Vec<Map>,
    /// Interrupts delivered to the PD.
    pub irqs: Vec<Irq>,
    /// x86 I/O port ranges the PD may use.
    pub ioports: Vec<IoPort>,
    /// Symbols patched with a memory region's physical address.
    pub setvars: Vec<SetVar>,
    /// Child protection domains (faults go to this PD).
    pub children: Vec<ProtectionDomain>,
    /// The virtual machine this PD manages.
    pub virtual_machine: Option<VirtualMachine>,
    /// The `<protection_domain>` element.
    pub location: Location,
}

impl ProtectionDomain {
    /// The budget in effect (Microkit default when absent).
    pub fn effective_budget(&self) -> u64 {
        self.budget.unwrap_or(DEFAULT_BUDGET)
    }

    /// The period in effect (the budget when absent).
    pub fn effective_period(&self) -> u64 {
        self.period.unwrap_or_else(|| self.effective_budget())
    }
}

/// `<program_image path="...">`. The file is not opened by the reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramImage {
    /// Path as written.
    pub path: String,
    /// The `<program_image>` element (the PD's own location if it is missing).
    pub location: Location,
}

/// Access rights of a mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Perms {
    /// `r`
    pub read: bool,
    /// `w`
    pub write: bool,
    /// `x`
    pub execute: bool,
}

impl Perms {
    /// Microkit's default: read-write.
    pub const READ_WRITE: Perms = Perms {
        read: true,
        write: true,
        execute: false,
    };
}

impl fmt::Display for Perms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (set, c) in [(self.read, 'r'), (self.write, 'w'), (self.execute, 'x')] {
            if set {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// `<map>`: a memory region mapped into a PD or VM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Map {
    /// Name of the memory region.
    pub mr: String,
    /// Virtual (or guest-physical, for VMs) address of the first byte.
    pub vaddr: u64,
    /// Access rights (default read-write).
    pub perms: Perms,
    /// `cached` as written. When absent, RAM is mapped cached and device memory (a
    /// region with `phys_addr` but without `ram="true"`) uncached; `cached="true"`
    /// on device memory is refused.
    pub cached: Option<bool>,
    /// Symbol patched with `vaddr` (PD maps only).
    pub setvar_vaddr: Option<String>,
    /// Symbol patched with the region's size (PD maps only).
    pub setvar_size: Option<String>,
    /// Symbol patched with the size of the region's prefill file (PD maps only;
    /// Microkit's `setvar_prefill_size`).
    pub setvar_prefill_size: Option<String>,
    /// sysinit extension on VM maps of RAM: `reserved="true"` lists the range in the
    /// guest device tree under `/reserved-memory` (`no-map`), never as guest RAM.
    pub reserved: bool,
    /// The `<map>` element.
    pub location: Location,
}

impl Map {
    /// Whether the mapping is cached, given whether its region is device memory.
    pub fn is_cached(&self, device: bool) -> bool {
        self.cached.unwrap_or(!device)
    }
}

impl MemoryRegion {
    /// Device memory: a fixed `phys_addr` without `ram="true"`.
    pub fn is_device(&self) -> bool {
        self.phys_addr.is_some() && !self.ram
    }
}

/// `<memory_region>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryRegion {
    /// Unique name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Page size in bytes, if given. Microkit starts from the smallest page size
    /// when absent (and may grow it later when every use allows).
    pub page_size: Option<u64>,
    /// Fixed physical address, if given.
    pub phys_addr: Option<u64>,
    /// sysinit extension: `ram="true"` says a fixed `phys_addr` lies in RAM on
    /// purpose. Without it a fixed address must be device memory.
    pub ram: bool,
    /// Microkit's `prefill_path`: a file whose bytes the region starts with (found
    /// like program images; the root task writes them at boot).
    pub prefill_path: Option<String>,
    /// The `<memory_region>` element.
    pub location: Location,
}

/// `<channel>` between two PDs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    /// The two ends, in file order.
    pub ends: [ChannelEnd; 2],
    /// The `<channel>` element.
    pub location: Location,
}

/// `<end>` of a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelEnd {
    /// Name of the PD at this end.
    pub pd: String,
    /// Channel id as this PD sees it.
    pub id: u64,
    /// This end may make protected procedure calls to the other (default false).
    pub pp: bool,
    /// This end may notify the other (default true).
    pub notify: bool,
    /// Symbol patched with `id`.
    pub setvar_id: Option<String>,
    /// The `<end>` element.
    pub location: Location,
}

/// `<irq>`: a hardware interrupt delivered as a notification on channel `id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Irq {
    /// Channel id the PD sees.
    pub id: u64,
    /// Which interrupt.
    pub kind: IrqKind,
    /// Symbol patched with `id`.
    pub setvar_id: Option<String>,
    /// The `<irq>` element.
    pub location: Location,
}

/// Edge or level triggering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// Level triggered (the default).
    Level,
    /// Edge triggered.
    Edge,
}

/// IOAPIC line polarity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Polarity {
    /// Active high (the default).
    High,
    /// Active low.
    Low,
}

/// PCI device address `BUS:DEV.FUNC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PciAddress {
    /// Bus, 0..=0xff.
    pub bus: u8,
    /// Device, 0..=0x1f.
    pub device: u8,
    /// Function, 0..=7.
    pub function: u8,
}

impl fmt::Display for PciAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02x}:{:02x}.{:x}",
            self.bus, self.device, self.function
        )
    }
}

/// The three ways the manual describes an interrupt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IrqKind {
    /// ARM: `irq` number and `trigger`.
    Arm {
        /// GIC interrupt number.
        irq: u64,
        /// Triggering.
        trigger: Trigger,
    },
    /// x86 IOAPIC: `ioapic`, `pin`, `trigger`, `polarity`, `vector`.
    Ioapic {
        /// IOAPIC index (default 0).
        ioapic: u64,
        /// Pin on that IOAPIC.
        pin: u64,
        /// Triggering.
        trigger: Trigger,
        /// Polarity.
        polarity: Polarity,
        /// CPU vector.
        vector: u64,
    },
    /// x86 MSI: `pcidev`, `handle`, `vector`.
    Msi {
        /// The device raising the interrupt.
        pcidev: PciAddress,
        /// Handle programmed into the MSI data.
        handle: u64,
        /// CPU vector.
        vector: u64,
    },
}

/// `<ioport>`: an x86 I/O port range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoPort {
    /// Identifier the PD uses.
    pub id: u64,
    /// First port.
    pub addr: u64,
    /// Number of ports.
    pub size: u64,
    /// Symbol patched with `id`.
    pub setvar_id: Option<String>,
    /// Symbol patched with `addr`.
    pub setvar_addr: Option<String>,
    /// The `<ioport>` element.
    pub location: Location,
}

/// `<setvar symbol region_paddr>`: patch a symbol with a region's physical address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetVar {
    /// ELF symbol to patch.
    pub symbol: String,
    /// Memory region whose physical address is written.
    pub region_paddr: String,
    /// The `<setvar>` element.
    pub location: Location,
}

/// `<virtual_machine>` managed by its parent PD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtualMachine {
    /// Unique name.
    pub name: String,
    /// Priority (ARM only; default 0).
    pub priority: Option<u64>,
    /// MCS budget (ARM only).
    pub budget: Option<u64>,
    /// MCS period (ARM only).
    pub period: Option<u64>,
    /// Virtual CPUs (at least one).
    pub vcpus: Vec<Vcpu>,
    /// Guest-physical mappings.
    pub maps: Vec<Map>,
    /// sysinit extension: the guest device tree `sysinit build` generates (at most one).
    pub guest_device_tree: Option<GuestDeviceTree>,
    /// The `<virtual_machine>` element.
    pub location: Location,
}

/// `<vcpu>` of a virtual machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vcpu {
    /// Identifier the parent uses (shares the namespace of child PD ids).
    pub id: u64,
    /// Physical core; the parent's when absent.
    pub cpu: Option<u64>,
    /// Symbol patched with `id`.
    pub setvar_id: Option<String>,
    /// The `<vcpu>` element.
    pub location: Location,
}

/// `<guest_device_tree mr bootargs initrd_mr>` (sysinit extension) inside a
/// `<virtual_machine>`: the build generates the guest's device tree and prefills region
/// `mr` with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestDeviceTree {
    /// The RAM region (mapped into the VM) the device tree is written to.
    pub mr: String,
    /// `/chosen/bootargs`, if given.
    pub bootargs: Option<String>,
    /// The region holding the guest's initramfs (prefilled from a file, mapped into
    /// the VM): `/chosen` `linux,initrd-start`/`-end` give the file's exact bytes.
    pub initrd_mr: Option<String>,
    /// The `<guest_device_tree>` element.
    pub location: Location,
}
