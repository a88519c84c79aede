//! Why a guest device tree cannot be generated, in terms of the system
//! description (the builder adds the file location of the virtual machine).

use sysinit_fdt::WriteError;

use crate::GuestRange;

/// One reason [`crate::generate`] refused its input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GuestDtError {
    /// No facts for this board.
    #[error("guest device tree: board '{board}' is unknown; valid: {known}")]
    UnknownBoard {
        /// The board asked for.
        board: String,
        /// The boards guest device trees are generated for, comma-separated.
        known: String,
    },
    /// No RAM in the guest.
    #[error("guest device tree: the virtual machine has no RAM; valid: map at least one RAM region into it (without reserved=\"true\")")]
    NoRam,
    /// No vCPU.
    #[error(
        "guest device tree: the virtual machine has no vCPU; valid: at least one <vcpu id=\"..\"/>"
    )]
    NoVcpus,
    /// The same vCPU id twice.
    #[error("guest device tree: vCPU id {0} appears twice; valid: distinct ids")]
    DuplicateVcpu(u64),
    /// A vCPU id past MPIDR's Aff0 field.
    #[error("guest device tree: vCPU id {0} does not fit the 8-bit MPIDR affinity the cpu node's reg gives it; valid: ids 0..=255")]
    VcpuIdTooLarge(u64),
    /// More vCPUs than GICv2 serves.
    #[error("guest device tree: {count} vCPUs, but the GICv2 of {board} serves at most {max}; valid: at most {max} <vcpu>")]
    TooManyVcpus {
        /// vCPUs asked for.
        count: usize,
        /// The GIC's limit.
        max: usize,
        /// The board.
        board: String,
    },
    /// A range of zero bytes or one that wraps past 2^64.
    #[error("guest device tree: {what} [{start:#x}, +{size:#x}) is empty or wraps past 2^64; valid: a non-empty range")]
    BadRange {
        /// What the range is ("RAM", "reserved region 'x'", "device 'y' (guest)").
        what: String,
        /// Its start.
        start: u64,
        /// Its size.
        size: u64,
    },
    /// Two guest-physical ranges overlap.
    #[error("guest device tree: {first} [{:#x}, {:#x}) overlaps {second} [{:#x}, {:#x}) in guest-physical space; valid: map them at disjoint guest addresses", first_range.start, first_range.start + first_range.size, second_range.start, second_range.start + second_range.size)]
    Overlap {
        /// The lower range's description.
        first: String,
        /// The lower range.
        first_range: GuestRange,
        /// The other range's description.
        second: String,
        /// The other range.
        second_range: GuestRange,
    },
    /// A passed-through device that has no place in the tree.
    #[error("guest device tree: board device '{device}' cannot be passed through to a guest; valid: {known}")]
    UnknownDevice {
        /// The device name.
        device: String,
        /// The devices that can, comma-separated.
        known: String,
    },
    /// A device that exists once in a tree passed through twice.
    #[error("guest device tree: board device '{0}' is passed through twice; valid: map it into the virtual machine once")]
    DuplicateDevice(String),
    /// Both ECAMs: the tree has one PCIe host bridge.
    #[error("guest device tree: both 'pcie-ecam' and 'pcie-ecam-high' are passed through; valid: one of them (QEMU's own tree uses pcie-ecam-high with highmem=on)")]
    TwoEcams,
    /// A PCIe window without an ECAM to hang it on.
    #[error("guest device tree: PCIe window '{0}' is passed through without an ECAM; valid: also map the 'pcie-ecam-high' (or 'pcie-ecam') region into the virtual machine")]
    PciWindowWithoutEcam(String),
    /// An ECAM map that does not cover whole buses.
    #[error("guest device tree: the ECAM map of '{device}' (physical [{:#x}, +{:#x})) does not cover whole buses; valid: start and size multiples of 1 MiB (one bus each), at most 256 buses", phys.start, phys.size)]
    EcamNotWholeBuses {
        /// The ECAM device.
        device: String,
        /// The physical range mapped.
        phys: GuestRange,
    },
    /// The physical and guest sizes of a passthrough differ.
    #[error("guest device tree: device '{device}' is {phys_size:#x} bytes physically but {guest_size:#x} bytes in the guest; valid: equal sizes")]
    SizeMismatch {
        /// The device.
        device: String,
        /// Physical bytes.
        phys_size: u64,
        /// Guest bytes.
        guest_size: u64,
    },
    /// A passthrough whose physical range is not inside the device's window.
    #[error("guest device tree: physical [{:#x}, +{:#x}) passed through as '{device}' lies outside that device's window [{window_start:#x}, +{window_size:#x}); valid: a range inside it", phys.start, phys.size)]
    OutsideDevice {
        /// The device.
        device: String,
        /// The physical range.
        phys: GuestRange,
        /// The device window's start.
        window_start: u64,
        /// The device window's size.
        window_size: u64,
    },
    /// No GIC virtual CPU interface: the guest could not take interrupts.
    #[error("guest device tree: the virtual machine has no GIC CPU interface; valid: map the board's gic-vcpu region (physical {gic_vcpu_phys:#x}) into it, at the guest's GIC CPU interface address (QEMU's is 0x8010000)")]
    MissingGicVcpu {
        /// Where the board's GIC virtual CPU interface is.
        gic_vcpu_phys: u64,
    },
    /// A reserved region whose name cannot be a node name.
    #[error("guest device tree: reserved region name '{0}' cannot name a device tree node; valid: letters, digits and , . _ + -")]
    BadRegionName(String),
    /// An initramfs that is not inside the guest's RAM.
    #[error("guest device tree: the initramfs [{:#x}, +{:#x}) is not inside the guest's RAM; valid: a RAM region mapped into the virtual machine (without reserved=\"true\") holding the whole file", range.start, range.size)]
    InitrdOutsideRam {
        /// The initramfs's guest-physical bytes.
        range: GuestRange,
    },
    /// The writer refused (a bug here, not in the input).
    #[error("guest device tree: internal error: {0}")]
    Write(#[from] WriteError),
}
