//! A fixed-address object must come from the kind of memory the spec says it is: a
//! device frame from a device untyped, a RAM frame from a RAM untyped. Otherwise the
//! machine is not the one the spec was built for (issue 8: built for 512 MiB, booted
//! with 2 GiB, a device region at 0x4000_0000 was silently retyped from RAM).

use sysinit_kobj::{Arch, BootUntyped, ObjectType};
use sysinit_planner::{plan, PlanError, Request};

/// x86_64 QEMU with 2 GiB: RAM up to 0x7ffe_0000 (here one 1 GiB piece of it), then device space.
const RAM_1G: BootUntyped = BootUntyped {
    paddr: 0x4000_0000,
    size_bits: 30,
    is_device: false,
};
const DEVICE: BootUntyped = BootUntyped {
    paddr: 0x8000_0000,
    size_bits: 31,
    is_device: true,
};
const LOW_RAM: BootUntyped = BootUntyped {
    paddr: 0x10_0000,
    size_bits: 20,
    is_device: false,
};

fn frame(name: &str, paddr: u64, device: bool) -> Request<'_> {
    Request {
        name,
        ty: ObjectType::SmallPage,
        size_arg: 0,
        paddr: Some(paddr),
        device,
    }
}

const UNTYPEDS: [BootUntyped; 3] = [LOW_RAM, RAM_1G, DEVICE];

#[test]
fn a_device_frame_in_ram_is_refused_before_any_retype() {
    let err = plan(
        Arch::X86_64,
        &UNTYPEDS,
        &[frame("mr.bar.frame0", 0x4000_0000, true)],
    )
    .unwrap_err();
    assert_eq!(
        err,
        PlanError::MemoryKindMismatch {
            name: "mr.bar.frame0".into(),
            paddr: 0x4000_0000,
            device: true,
            untyped: 1,
            untyped_paddr: 0x4000_0000,
            untyped_size_bits: 30,
        }
    );
    assert_eq!(
        err.to_string(),
        "object 'mr.bar.frame0': the spec says device memory at 0x40000000, but the machine has \
         RAM there (boot untyped 1: RAM at 0x40000000..0x80000000, 1 GiB); the machine's memory \
         map is not the one the spec was built for: rebuild with the RAM size the machine has \
         (`sysinit build --ram`), or boot the machine with the RAM the image was built for"
    );
}

#[test]
fn a_ram_frame_in_device_memory_is_refused() {
    let err = plan(
        Arch::X86_64,
        &UNTYPEDS,
        &[frame("dma.frame3", 0x8000_3000, false)],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "object 'dma.frame3': the spec says RAM at 0x80003000, but the machine has device memory \
         there (boot untyped 2: device memory at 0x80000000..0x100000000, 2 GiB); the machine's \
         memory map is not the one the spec was built for: rebuild with the RAM size the machine \
         has (`sysinit build --ram`), or boot the machine with the RAM the image was built for"
    );
}

#[test]
fn matching_kinds_plan_and_untypeds_too() {
    let untyped = Request {
        name: "window",
        ty: ObjectType::Untyped,
        size_arg: 20,
        paddr: Some(0x9000_0000),
        device: true,
    };
    let p = plan(
        Arch::X86_64,
        &UNTYPEDS,
        &[
            frame("dev", 0x8000_0000, true),
            frame("dma", 0x4000_1000, false),
            untyped,
        ],
    )
    .unwrap();
    assert_eq!(p.placements, [0x8000_0000, 0x4000_1000, 0x9000_0000]);

    // The same untyped marked RAM is refused like a frame.
    let err = plan(
        Arch::X86_64,
        &UNTYPEDS,
        &[Request {
            device: false,
            ..untyped
        }],
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            PlanError::MemoryKindMismatch {
                untyped: 2,
                device: false,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_kernel_object_in_device_memory_keeps_its_own_message() {
    // Not a kind mismatch but an object the kernel cannot make there at all.
    let err = plan(
        Arch::X86_64,
        &UNTYPEDS,
        &[Request {
            name: "tcb",
            ty: ObjectType::Tcb,
            size_arg: 0,
            paddr: Some(0x8000_0000),
            device: false,
        }],
    )
    .unwrap_err();
    assert!(
        matches!(err, PlanError::KernelObjectInDeviceMemory { .. }),
        "{err:?}"
    );
}
