//! The memory the loader assumes is the board model's `qemu-aarch64-virt` (and `-el1`).

use sysinit_board::{Board, ReservedKind};
use sysinit_kobj::PhysRange;
use sysinit_loader_layout::{QEMU_VIRT, QEMU_VIRT_EL1, QEMU_VIRT_LOADER};

fn board() -> Board {
    Board::by_name("qemu-aarch64-virt").unwrap()
}

#[test]
fn ram_is_the_boards_default_ram() {
    let b = board();
    assert_eq!(b.configured_ram_ranges(), QEMU_VIRT.ram);
}

#[test]
fn kernel_ram_is_ram_minus_the_carveouts() {
    let b = board();
    let ram = b.configured_ram_ranges();
    assert_eq!(ram.len(), 1);
    let carveout_end = b.ram_carveouts().iter().map(|c| c.range.end).max().unwrap();
    assert_eq!(b.ram_carveouts()[0].range.start, ram[0].start);
    assert_eq!(
        QEMU_VIRT.kernel_ram,
        [PhysRange::new(carveout_end, ram[0].end)]
    );
}

#[test]
fn loader_sits_in_a_carveout_clear_of_every_fixed_reservation() {
    let b = board();
    assert!(b
        .ram_carveouts()
        .iter()
        .any(|c| c.range.start <= QEMU_VIRT_LOADER.start && QEMU_VIRT_LOADER.end <= c.range.end));
    for r in b.reserved_ranges() {
        if matches!(
            r.kind,
            ReservedKind::Firmware | ReservedKind::Platform | ReservedKind::KernelDevice
        ) {
            assert!(
                !r.range.overlaps(&QEMU_VIRT_LOADER),
                "{} {}",
                r.name,
                r.range
            );
            for (_, k) in QEMU_VIRT.kernel_ram.iter().map(|k| ((), k)) {
                assert!(!r.range.overlaps(k), "{} {}", r.name, r.range);
            }
        }
    }
}

/// At EL1 the kernel's RAM is all of the board's RAM (no carve-out), and the loader
/// lies inside it, clear of every fixed reservation.
#[test]
fn el1_memory_is_the_el1_boards_ram() {
    let b = Board::by_name("qemu-aarch64-virt-el1").unwrap();
    assert!(b.ram_carveouts().is_empty());
    assert_eq!(b.configured_ram_ranges(), QEMU_VIRT_EL1.ram);
    assert_eq!(QEMU_VIRT_EL1.kernel_ram, QEMU_VIRT_EL1.ram);
    assert!(QEMU_VIRT_EL1
        .ram
        .iter()
        .any(|r| r.start <= QEMU_VIRT_LOADER.start && QEMU_VIRT_LOADER.end <= r.end));
    for r in b.reserved_ranges() {
        assert!(!r.range.overlaps(&QEMU_VIRT_LOADER), "{}", r.name);
    }
}
