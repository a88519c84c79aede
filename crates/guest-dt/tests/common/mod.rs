//! The example virtual machine of specs/boot-guest-aarch64.system as the
//! builder hands it over, and dtc.

#![allow(dead_code)]

use sysinit_guest_dt::{GuestDtInput, GuestRange, NamedGuestRange, Passthrough};

fn pass(device: &str, phys: u64, guest: u64, size: u64) -> Passthrough {
    Passthrough {
        device: device.into(),
        phys: GuestRange::new(phys, size),
        guest: GuestRange::new(guest, size),
    }
}

/// vCPU 0; guest_ram and guest_dtb (contiguous) as RAM; guest_shared
/// reserved; UART, GIC vCPU interface, high ECAM (one bus) and a 1 MiB piece
/// of the high MMIO window (the ivshmem BAR) passed through.
pub fn example() -> GuestDtInput {
    GuestDtInput {
        board: "qemu-aarch64-virt".into(),
        vcpus: vec![0],
        // Out of order on purpose: the tree sorts and merges.
        ram: vec![
            GuestRange::new(0x4100_0000, 0x1000),
            GuestRange::new(0x4000_0000, 0x100_0000),
        ],
        reserved: vec![NamedGuestRange {
            name: "guest_shared".into(),
            range: GuestRange::new(0x4100_1000, 0x1000),
        }],
        passthrough: vec![
            pass("pl011-uart", 0x900_0000, 0x900_0000, 0x1000),
            pass("gic-vcpu", 0x804_0000, 0x801_0000, 0x2000),
            pass("pcie-ecam-high", 0x40_1000_0000, 0x40_1000_0000, 0x10_0000),
            pass("pcie-mmio-high", 0x80_0000_0000, 0x80_0000_0000, 0x10_0000),
        ],
        bootargs: Some("console=ttyAMA0".into()),
        initrd: None,
    }
}

pub fn pass_through(device: &str, phys: u64, guest: u64, size: u64) -> Passthrough {
    pass(device, phys, guest, size)
}

// dtc's source form of a blob; one helper for the fdt and guest-dt tests.
#[path = "../../../fdt/tests/support/dtc.rs"]
mod dtc;
#[allow(unused_imports)] // not every test binary that includes common/ runs dtc
pub use dtc::dtc_decompile;
