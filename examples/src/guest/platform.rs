//! What the guest learns from its device tree: the memory map, the console,
//! the GIC, the timer's interrupt, the PSCI conduit and the PCIe host bridge.

use super::msg::{msg, Msg};
use super::psci;
use sysinit_fdt::{Fdt, Node, RegEntry};

/// Largest device tree accepted (a sanity bound before trusting its header).
const MAX_DTB_SIZE: usize = 2 << 20;
/// How many /memory and /reserved-memory ranges are kept.
const MAX_RANGES: usize = 8;
/// PCI `ranges` space codes (phys.hi bits 25:24) of the 32-bit and 64-bit
/// memory windows.
const SPACE_MEM32: u32 = 0b10;
const SPACE_MEM64: u32 = 0b11;

/// A named address range (a node's name and one of its `reg` entries).
#[derive(Clone, Copy)]
pub(super) struct Range<'a> {
    pub(super) name: &'a str,
    pub(super) start: u64,
    pub(super) size: u64,
}

impl Range<'_> {
    pub(super) fn end(&self) -> u64 {
        self.start.saturating_add(self.size)
    }

    pub(super) fn contains(&self, start: u64, end: u64) -> bool {
        self.start <= start && end <= self.end()
    }
}

/// Up to [`MAX_RANGES`] ranges (no heap).
pub(super) struct Ranges<'a> {
    list: [Range<'a>; MAX_RANGES],
    len: usize,
}

impl<'a> Ranges<'a> {
    fn new() -> Self {
        Ranges {
            list: [Range {
                name: "",
                start: 0,
                size: 0,
            }; MAX_RANGES],
            len: 0,
        }
    }

    fn push(&mut self, range: Range<'a>) -> Result<(), Msg> {
        let slot = self
            .list
            .get_mut(self.len)
            .ok_or_else(|| msg!("more than {MAX_RANGES} ranges"))?;
        *slot = range;
        self.len += 1;
        Ok(())
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &Range<'a>> {
        self.list[..self.len].iter()
    }
}

/// The device tree facts the checks use.
pub(super) struct Platform<'a> {
    /// `reg` of every node with `device_type = "memory"`.
    pub(super) memory: Ranges<'a>,
    /// `reg` of every child of /reserved-memory.
    pub(super) reserved: Ranges<'a>,
    /// The first `arm,pl011` (0: none).
    pub(super) uart: u64,
    /// GICv2 distributor and CPU interface.
    pub(super) gic: Option<(u64, u64)>,
    /// The virtual timer's interrupt id.
    pub(super) timer_irq: Option<u32>,
    /// /psci `method`.
    pub(super) psci: Option<psci::Conduit>,
    /// The `pci-host-ecam-generic` host bridge.
    pub(super) pcie: Option<Pcie>,
}

/// A `pci-host-ecam-generic` host bridge.
#[derive(Clone, Copy)]
pub(super) struct Pcie {
    pub(super) ecam: (u64, u64),
    /// The 32-bit memory window: (cpu address, size).
    pub(super) mmio32: Option<(u64, u64)>,
    /// The 64-bit memory window: (pci address, cpu address, size).
    pub(super) mmio64: Option<(u64, u64, u64)>,
}

/// The first entry of a node's `reg`.
fn first_reg(node: &Node) -> Result<RegEntry, Msg> {
    let mut reg = node.reg().map_err(|e| msg!("{}: reg: {e}", node.name()))?;
    reg.next().ok_or_else(|| msg!("{}: empty reg", node.name()))
}

/// A string property, if present and a string.
fn string<'a>(node: &Node<'a>, name: &str) -> Option<&'a str> {
    node.property(name).and_then(|p| p.as_str().ok())
}

/// Reads a number of `n` cells (at most 2) from `cells`.
fn take(cells: &mut impl Iterator<Item = u32>, n: u32) -> Option<u64> {
    if n > 2 {
        return None;
    }
    (0..n).try_fold(0u64, |acc, _| Some(acc << 32 | u64::from(cells.next()?)))
}

fn parse_pcie(node: &Node) -> Result<Pcie, Msg> {
    let ecam = first_reg(node)?;
    let (child, parent) = (node.cells(), node.parent_cells());
    if child.address != 3 {
        return Err(msg!(
            "{}: #address-cells {}, not 3",
            node.name(),
            child.address
        ));
    }
    let mut pcie = Pcie {
        ecam: (ecam.address, ecam.size),
        mmio32: None,
        mmio64: None,
    };
    let Some(ranges) = node.property("ranges") else {
        return Ok(pcie);
    };
    let mut cells = ranges
        .u32s()
        .map_err(|e| msg!("{}: ranges: {e}", node.name()))?;
    // Each entry: phys.hi (space code in bits 25:24), the 64-bit PCI address,
    // the CPU address (parent's #address-cells), the size (own #size-cells).
    while let Some(hi) = cells.next() {
        let entry = (|| {
            let pci_addr = take(&mut cells, 2)?;
            let cpu_addr = take(&mut cells, parent.address)?;
            let size = take(&mut cells, child.size)?;
            Some((pci_addr, cpu_addr, size))
        })();
        let Some((pci_addr, cpu_addr, size)) = entry else {
            return Err(msg!("{}: malformed ranges", node.name()));
        };
        match hi >> 24 & 0b11 {
            SPACE_MEM32 => pcie.mmio32 = Some((cpu_addr, size)),
            SPACE_MEM64 => pcie.mmio64 = Some((pci_addr, cpu_addr, size)),
            _ => {}
        }
    }
    Ok(pcie)
}

/// The interrupt id of the virtual timer, from the timer node's
/// `interrupts`: secure physical, non-secure physical, virtual, hypervisor,
/// three cells each for the GIC (type, number, flags).
fn virtual_timer_irq(node: &Node) -> Option<u32> {
    let mut cells = node.property("interrupts")?.u32s().ok()?;
    let kind = cells.nth(6)?;
    let number = cells.next()?;
    // GIC binding: type 1 = PPI (ids from 16), 0 = SPI (ids from 32).
    Some(number + if kind == 1 { 16 } else { 32 })
}

/// Collects what the checks need from the tree.
pub(super) fn platform<'a>(fdt: &Fdt<'a>) -> Result<Platform<'a>, Msg> {
    let mut p = Platform {
        memory: Ranges::new(),
        reserved: Ranges::new(),
        uart: 0,
        gic: None,
        timer_irq: None,
        psci: None,
        pcie: None,
    };
    for node in fdt.nodes() {
        if string(&node, "device_type") == Some("memory") {
            for r in node.reg().map_err(|e| msg!("{}: reg: {e}", node.name()))? {
                p.memory.push(Range {
                    name: node.name(),
                    start: r.address,
                    size: r.size,
                })?;
            }
        } else if node.base_name() == "reserved-memory" {
            for child in node.children() {
                for r in child
                    .reg()
                    .map_err(|e| msg!("{}: reg: {e}", child.name()))?
                {
                    p.reserved.push(Range {
                        name: child.name(),
                        start: r.address,
                        size: r.size,
                    })?;
                }
            }
        } else if node.is_compatible("arm,pl011") && p.uart == 0 {
            p.uart = first_reg(&node)?.address;
        } else if node.is_compatible("arm,cortex-a15-gic") || node.is_compatible("arm,gic-400") {
            let mut reg = node.reg().map_err(|e| msg!("{}: reg: {e}", node.name()))?;
            if let (Some(d), Some(c)) = (reg.next(), reg.next()) {
                p.gic = Some((d.address, c.address));
            }
        } else if node.is_compatible("arm,armv8-timer") || node.is_compatible("arm,armv7-timer") {
            p.timer_irq = virtual_timer_irq(&node);
        } else if node.base_name() == "psci" {
            p.psci = string(&node, "method").and_then(psci::Conduit::from_method);
        } else if node.is_compatible("pci-host-ecam-generic") {
            p.pcie = Some(parse_pcie(&node)?);
        }
    }
    Ok(p)
}

/// Reads the device tree at `addr` (the entry's x0).
pub(super) fn device_tree(addr: usize) -> Result<Fdt<'static>, Msg> {
    if addr == 0 || !addr.is_multiple_of(8) {
        return Err(msg!(
            "address {addr:#x} is not a device tree's (0 or not 8-aligned)"
        ));
    }
    // SAFETY: the entry contract puts a device tree at x0, in RAM that stays as
    // it is for the whole run; its header is read first (8 bytes, aligned),
    // and its size is bounded before the whole blob is looked at.
    let header: [u32; 2] = unsafe { core::ptr::read_volatile(addr as *const [u32; 2]) };
    let total = u32::from_be(header[1]) as usize;
    if u32::from_be(header[0]) != 0xd00d_feed || total > MAX_DTB_SIZE {
        return Err(msg!(
            "no device tree at {addr:#x} (magic or size {total:#x} wrong)"
        ));
    }
    // SAFETY: as above: `total` bytes of device tree, never written by us.
    let blob = unsafe { core::slice::from_raw_parts(addr as *const u8, total) };
    Fdt::new(blob).map_err(|e| msg!("{e}"))
}
