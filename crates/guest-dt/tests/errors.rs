//! Every refusal, with its exact message.

mod common;

use common::{example, pass_through};
use sysinit_guest_dt::{generate, GuestDtError, GuestDtInput, GuestRange, NamedGuestRange};

fn refused(edit: impl FnOnce(&mut GuestDtInput)) -> GuestDtError {
    let mut input = example();
    edit(&mut input);
    generate(&input).unwrap_err()
}

fn message(edit: impl FnOnce(&mut GuestDtInput)) -> String {
    refused(edit).to_string()
}

#[test]
fn unknown_board() {
    assert_eq!(
        message(|i| i.board = "qemu-x86_64-q35".into()),
        "guest device tree: board 'qemu-x86_64-q35' is unknown; valid: qemu-aarch64-virt"
    );
}

#[test]
fn no_ram() {
    assert_eq!(
        message(|i| i.ram.clear()),
        "guest device tree: the virtual machine has no RAM; valid: map at least one RAM region \
         into it (without reserved=\"true\")"
    );
}

#[test]
fn vcpus() {
    assert_eq!(
        message(|i| i.vcpus.clear()),
        "guest device tree: the virtual machine has no vCPU; valid: at least one <vcpu id=\"..\"/>"
    );
    assert_eq!(
        message(|i| i.vcpus = vec![1, 0, 1]),
        "guest device tree: vCPU id 1 appears twice; valid: distinct ids"
    );
    assert_eq!(
        message(|i| i.vcpus = vec![256]),
        "guest device tree: vCPU id 256 does not fit the 8-bit MPIDR affinity the cpu node's \
         reg gives it; valid: ids 0..=255"
    );
    assert_eq!(
        message(|i| i.vcpus = (0..9).collect()),
        "guest device tree: 9 vCPUs, but the GICv2 of qemu-aarch64-virt serves at most 8; \
         valid: at most 8 <vcpu>"
    );
    assert!(generate(&GuestDtInput {
        vcpus: (0..8).collect(),
        ..example()
    })
    .is_ok());
}

#[test]
fn bad_ranges() {
    assert_eq!(
        message(|i| i.ram.push(GuestRange::new(0x5000_0000, 0))),
        "guest device tree: RAM [0x50000000, +0x0) is empty or wraps past 2^64; valid: a \
         non-empty range"
    );
    assert_eq!(
        message(|i| i.reserved[0].range = GuestRange::new(u64::MAX, 2)),
        "guest device tree: reserved region 'guest_shared' [0xffffffffffffffff, +0x2) is empty \
         or wraps past 2^64; valid: a non-empty range"
    );
}

#[test]
fn overlaps() {
    assert_eq!(
        message(|i| i.reserved[0].range = GuestRange::new(0x40ff_f000, 0x2000)),
        "guest device tree: RAM [0x40000000, 0x41000000) overlaps reserved region 'guest_shared' \
         [0x40fff000, 0x41001000) in guest-physical space; valid: map them at disjoint guest \
         addresses"
    );
    assert_eq!(
        message(|i| i.ram.push(GuestRange::new(0x900_0000, 0x1000))),
        "guest device tree: RAM [0x9000000, 0x9001000) overlaps device 'pl011-uart' \
         [0x9000000, 0x9001000) in guest-physical space; valid: map them at disjoint guest \
         addresses"
    );
    // The emulated distributor's window is taken even though nothing is mapped there.
    assert_eq!(
        message(|i| i.passthrough[1].guest.start = 0x800_f000),
        "guest device tree: the GIC distributor the VMM emulates [0x8000000, 0x8010000) overlaps \
         device 'gic-vcpu' [0x800f000, 0x8011000) in guest-physical space; valid: map them at \
         disjoint guest addresses"
    );
    assert!(matches!(
        refused(|i| i.ram.push(GuestRange::new(0x4000_0000, 0x1000))),
        GuestDtError::Overlap { .. }
    ));
}

#[test]
fn passthrough_devices() {
    assert_eq!(
        message(|i| i
            .passthrough
            .push(pass_through("pl031-rtc", 0x901_0000, 0x901_0000, 0x1000))),
        "guest device tree: board device 'pl031-rtc' cannot be passed through to a guest; valid: \
         gic-vcpu, pl011-uart, pcie-ecam, pcie-ecam-high, pcie-pio, pcie-mmio, pcie-mmio-high"
    );
    assert_eq!(
        message(|i| i.passthrough.push(pass_through(
            "pl011-uart",
            0x900_0000,
            0x2000_0000,
            0x1000
        ))),
        "guest device tree: board device 'pl011-uart' is passed through twice; valid: map it \
         into the virtual machine once"
    );
    assert_eq!(
        message(|i| i.passthrough.push(pass_through(
            "pcie-ecam",
            0x3f00_0000,
            0x3f00_0000,
            0x10_0000
        ))),
        "guest device tree: both 'pcie-ecam' and 'pcie-ecam-high' are passed through; valid: one \
         of them (QEMU's own tree uses pcie-ecam-high with highmem=on)"
    );
    assert_eq!(
        message(|i| i.passthrough.retain(|p| p.device != "pcie-ecam-high")),
        "guest device tree: PCIe window 'pcie-mmio-high' is passed through without an ECAM; \
         valid: also map the 'pcie-ecam-high' (or 'pcie-ecam') region into the virtual machine"
    );
    assert_eq!(
        message(|i| i.passthrough[2] =
            pass_through("pcie-ecam-high", 0x40_1000_0000, 0x40_1000_0000, 0x8_0000)),
        "guest device tree: the ECAM map of 'pcie-ecam-high' (physical [0x4010000000, +0x80000)) \
         does not cover whole buses; valid: start and size multiples of 1 MiB (one bus each), at \
         most 256 buses"
    );
    assert_eq!(
        message(|i| i.passthrough[0].guest.size = 0x2000),
        "guest device tree: device 'pl011-uart' is 0x1000 bytes physically but 0x2000 bytes in \
         the guest; valid: equal sizes"
    );
    assert_eq!(
        message(|i| i.passthrough[0].phys = GuestRange::new(0x900_1000, 0x1000)),
        "guest device tree: physical [0x9001000, +0x1000) passed through as 'pl011-uart' lies \
         outside that device's window [0x9000000, +0x1000); valid: a range inside it"
    );
}

#[test]
fn missing_gic_vcpu() {
    assert_eq!(
        message(|i| i.passthrough.retain(|p| p.device != "gic-vcpu")),
        "guest device tree: the virtual machine has no GIC CPU interface; valid: map the board's \
         gic-vcpu region (physical 0x8040000) into it, at the guest's GIC CPU interface address \
         (QEMU's is 0x8010000)"
    );
}

#[test]
fn bad_region_name() {
    assert_eq!(
        message(|i| i.reserved.push(NamedGuestRange {
            name: "my region".into(),
            range: GuestRange::new(0x4200_0000, 0x1000),
        })),
        "guest device tree: reserved region name 'my region' cannot name a device tree node; \
         valid: letters, digits and , . _ + -"
    );
}

#[test]
fn an_initramfs_outside_ram_is_refused() {
    // Over the reserved region: memory the guest must not touch.
    assert_eq!(
        message(|i| i.initrd = Some(GuestRange::new(0x4100_0000, 0x2000))),
        "guest device tree: the initramfs [0x41000000, +0x2000) is not inside the guest's RAM; \
         valid: a RAM region mapped into the virtual machine (without reserved=\"true\") holding \
         the whole file"
    );
    assert_eq!(
        message(|i| i.initrd = Some(GuestRange::new(0x4000_0000, 0))),
        "guest device tree: the initramfs [0x40000000, +0x0) is empty or wraps past 2^64; \
         valid: a non-empty range"
    );
}
