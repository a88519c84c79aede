//! The x86_64 field regression's case on ARM: aarch64 with the kernel at EL1.
//!
//! Without hypervisor support the kernel window starts at 0xffffff8000000000, so
//! QEMU virt's high PCIe window (physical 2^39 up) wraps to kernel-virtual 0. The
//! kernel hands it out as a 2^43-byte untyped at physical 0x80_0000_0000 (aligned in
//! kernel-virtual space, not physically: tests/boots/aarch64-el1 list it as
//! untyped 29). A device frame anywhere in it must be planned in kernel-virtual
//! space; planned by physical alignment it lands elsewhere. The EL2 kernel
//! (window at 2^39, no wrap) cuts the same memory differently.

use sysinit_board::Board;
use sysinit_kobj::{BootUntyped, KernelConfig, ObjectType};
use sysinit_model::{boot_untypeds, KernelModel};
use sysinit_planner::Request;
use sysinit_sim::simulate;

const WRAPPING_UT: BootUntyped = BootUntyped {
    paddr: 0x80_0000_0000,
    size_bits: 43,
    is_device: true,
};
const RAM_UT: BootUntyped = BootUntyped {
    paddr: 0x4400_0000,
    size_bits: 24,
    is_device: false,
};

fn frame_at(paddr: u64) -> Request<'static> {
    Request {
        name: "bar",
        ty: ObjectType::SmallPage,
        size_arg: 0,
        paddr: Some(paddr),
        device: true,
    }
}

#[test]
fn the_el1_board_yields_the_wrapping_untyped() {
    let board = Board::by_name("qemu-aarch64-virt-el1").unwrap();
    let mem = board.boot_memory(board.ram_bytes()).unwrap();
    let list = boot_untypeds(board.kernel(), &mem, usize::MAX)
        .unwrap()
        .untypeds;
    assert!(list.contains(&WRAPPING_UT), "{list:?}");
    assert_eq!(
        KernelConfig::AARCH64_EL1
            .kernel_window()
            .kva(WRAPPING_UT.paddr),
        0
    );
    // Not physically aligned: 2^39 is not a multiple of 2^43.
    assert_ne!(WRAPPING_UT.paddr % WRAPPING_UT.size(), 0);
}

#[test]
fn planned_in_kernel_virtual_space_frames_land_on_their_addresses() {
    // The ivshmem BAR of the recorded boot, and one far up the window (2^43 - 2^39 in).
    for target in [0x80_0000_0000, 0x80_0000_0000 + (1 << 42) + 0x1234_5000] {
        let untypeds = [WRAPPING_UT, RAM_UT];
        let sim = simulate(KernelConfig::AARCH64_EL1, &untypeds, &[frame_at(target)])
            .expect("plans and boots");
        let slot = sim.executed.object_slots[0] as usize;
        assert_eq!(sim.model.frame_paddr(slot).unwrap(), target, "{target:#x}");
    }
}

#[test]
fn planned_by_physical_alignment_the_frame_lands_elsewhere() {
    // After a 2^39 piece, a 2^42 one: a physical planner aligns the watermark (physical
    // 2^40) up to 2^42 and believes the piece starts at physical 2^42; the kernel aligns
    // the kernel-virtual watermark (2^39) up to 2^42, physical 2^39 + 2^42.
    let mut model = KernelModel::new(KernelConfig::AARCH64_EL1, &[WRAPPING_UT], 16);
    let first = model.retype(0, ObjectType::Untyped, 39, 1, 1).unwrap();
    assert_eq!(first.first_paddr, WRAPPING_UT.paddr);
    let second = model.retype(0, ObjectType::Untyped, 42, 2, 1).unwrap();
    let believed = sysinit_kobj::align_up(WRAPPING_UT.paddr + (1 << 39), 42);
    assert_eq!(believed, 1 << 42);
    assert_eq!(second.first_paddr, WRAPPING_UT.paddr + (1 << 42));
    assert_ne!(second.first_paddr, believed);
    // On EL2's window the same memory is not one untyped: kernel-virtual 2^40 starts a
    // 2^40 piece (tests/boots/aarch64 list 0x8000000000 with 40 bits).
    assert_eq!(
        KernelConfig::AARCH64.kernel_window().kva(WRAPPING_UT.paddr),
        1 << 40
    );
}
