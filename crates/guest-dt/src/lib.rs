//! The device tree (DTB) a guest on QEMU virt boots with, generated from
//! what the system description gives the virtual machine.
//!
//! `sysinit build` fills a [`GuestDtInput`] for each `<virtual_machine>` with
//! a `<guest_device_tree>` (its vCPUs, its RAM maps, its `reserved="true"`
//! maps, and its maps of board device windows) and calls [`generate`]. The
//! tree follows the one QEMU's virt machine gives its own guests (see
//! [`qemu_virt`] for every fact taken from QEMU), reduced to what the guest
//! really has:
//!
//! - `/`: `compatible = "linux,dummy-virt"`, 2 address and 2 size cells,
//!   `interrupt-parent` = the GIC;
//! - `/psci` (`arm,psci-1.0`, `arm,psci-0.2`, `method = "smc"`: the VMM
//!   serves PSCI from the SMC traps);
//! - `/memory@<lowest>`: every RAM range and every reserved range, sorted,
//!   contiguous ones merged (a reserved range is memory the OS must not use,
//!   not a hole: Linux lists a `no-map` region as "reserved" in `/proc/iomem`
//!   only when it lies inside `/memory`);
//! - `/reserved-memory` (only when there are reserved ranges): one `no-map`
//!   child `<region name>@<address>` per reserved range;
//! - `/cpus`: `cpu@<id>` per vCPU, `reg` = the vCPU id (the VMM gives the
//!   vCPU that MPIDR affinity), `enable-method = "psci"`;
//! - `/timer`: the generic timer's four PPIs as QEMU lists them;
//! - `/intc@8000000`: GICv2, distributor at 0x8000000 (emulated by the VMM,
//!   never mapped) and CPU interface where `gic-vcpu` is mapped;
//! - `/apb-pclk` and `/pl011@<address>` when `pl011-uart` is passed
//!   through, with `/chosen` `stdout-path` naming it;
//! - `/pcie@<address>` when an ECAM is passed through: `bus-range` from the
//!   buses the map covers, one `ranges` entry per passed-through PCIe
//!   window, INTx on SPIs 3..6 with QEMU's swizzle;
//! - `/chosen`: `bootargs` when given; `linux,initrd-start` and
//!   `linux,initrd-end` (64-bit) when an initramfs is given.
//!
//! The same input gives the same bytes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod check;
mod error;
pub mod qemu_virt;
mod tree;

pub use error::GuestDtError;

/// A guest-physical (or, in [`Passthrough::phys`], physical) range
/// `[start, start + size)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GuestRange {
    /// First byte.
    pub start: u64,
    /// Bytes.
    pub size: u64,
}

impl GuestRange {
    /// The range `[start, start + size)`.
    pub const fn new(start: u64, size: u64) -> GuestRange {
        GuestRange { start, size }
    }

    /// One past the last byte (saturating; [`generate`] refuses wrapping ranges).
    pub const fn end(&self) -> u64 {
        self.start.saturating_add(self.size)
    }
}

/// A named guest-physical range: a `reserved="true"` RAM map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedGuestRange {
    /// The memory region's name: the `/reserved-memory` child is `<name>@<start>`.
    pub name: String,
    /// Where the guest sees it.
    pub range: GuestRange,
}

/// A board device window (part of it) mapped into the guest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Passthrough {
    /// The board file's device name: one of [`qemu_virt::DEVICES`]
    /// (`gic-vcpu`, `pl011-uart`, `pcie-ecam`, `pcie-ecam-high`, `pcie-pio`,
    /// `pcie-mmio`, `pcie-mmio-high`).
    pub device: String,
    /// The physical range mapped (inside the device's window).
    pub phys: GuestRange,
    /// Where the guest sees it (same size).
    pub guest: GuestRange,
}

/// What a guest's device tree is made from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestDtInput {
    /// The board's name; only [`qemu_virt::BOARD`] (`qemu-aarch64-virt`) is known.
    pub board: String,
    /// The vCPU ids (each becomes `cpu@<id>` with `reg = <id>`; 0..=255, at most 8).
    pub vcpus: Vec<u64>,
    /// Guest RAM, guest-physical; at least one range. Order does not matter.
    pub ram: Vec<GuestRange>,
    /// Guest-physical ranges listed under `/reserved-memory` with `no-map`
    /// (never in `/memory`).
    pub reserved: Vec<NamedGuestRange>,
    /// Device windows mapped into the guest; `gic-vcpu` is required.
    pub passthrough: Vec<Passthrough>,
    /// `/chosen` `bootargs`.
    pub bootargs: Option<String>,
    /// The initramfs's bytes, guest-physical (`/chosen` `linux,initrd-start` and
    /// `linux,initrd-end` = start + size); inside one RAM range.
    pub initrd: Option<GuestRange>,
}

/// The guest's DTB, or the first reason the input cannot make one.
pub fn generate(input: &GuestDtInput) -> Result<Vec<u8>, GuestDtError> {
    let plan = check::plan(input)?;
    Ok(tree::write(&plan)?)
}
