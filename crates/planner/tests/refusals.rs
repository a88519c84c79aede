//! Every way the planner refuses a system, with the message a user sees.

use sysinit_kobj::{Arch, BootUntyped, ObjectType};
use sysinit_planner::{plan, PlanError, Request};

const DEVICE: BootUntyped = BootUntyped {
    paddr: 0x80_0000_0000,
    size_bits: 46,
    is_device: true,
};
const RAM: BootUntyped = BootUntyped {
    paddr: 0x10_0000,
    size_bits: 20,
    is_device: false,
};

fn req(name: &str, ty: ObjectType, size_arg: u8, paddr: Option<u64>) -> Request<'_> {
    Request {
        name,
        ty,
        size_arg,
        paddr,
        // Every fixed address of these tests is in DEVICE or RAM; say which.
        device: paddr.is_some_and(|p| p >= DEVICE.paddr),
    }
}

fn refused(untypeds: &[BootUntyped], requests: &[Request<'_>]) -> String {
    match plan(Arch::X86_64, untypeds, requests) {
        Ok(p) => panic!("expected a refusal, got {} steps", p.steps.len()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn an_object_the_kernel_cannot_size() {
    let msg = refused(&[RAM], &[req("root_cnode", ObjectType::CNode, 0, None)]);
    assert_eq!(
        msg,
        "object 'root_cnode': cnode size argument 0 is out of range (valid: 1..=42)"
    );
    let msg = refused(&[RAM], &[req("guest_vcpu", ObjectType::Vcpu, 0, None)]);
    assert_eq!(
        msg,
        "object 'guest_vcpu': object type vcpu does not exist on x86_64"
    );
}

#[test]
fn a_misaligned_fixed_address() {
    let msg = refused(
        &[DEVICE],
        &[req("uart", ObjectType::SmallPage, 0, Some(0xe00_0000_0800))],
    );
    assert_eq!(
        msg,
        "object 'uart': physical address 0xe0000000800 is not aligned to its size (4 KiB); \
         the nearest valid addresses are 0xe0000000000 and 0xe0000001000"
    );
}

#[test]
fn a_fixed_address_outside_every_untyped_lists_the_valid_ranges() {
    let msg = refused(
        &[RAM, DEVICE],
        &[req("bar", ObjectType::SmallPage, 0, Some(0x1000_0000))],
    );
    assert_eq!(
        msg,
        "object 'bar': 4 KiB at physical address 0x10000000 is not inside the untyped memory the kernel provides; \
         valid ranges:\n  0x100000..0x200000 (RAM)\n  0x8000000000..0x408000000000 (device)"
    );
}

#[test]
fn a_fixed_object_crossing_the_end_of_its_untyped() {
    let msg = refused(
        &[RAM],
        &[req("dma", ObjectType::LargePage, 0, Some(0x20_0000))],
    );
    assert!(
        msg.starts_with("object 'dma': 2 MiB at physical address 0x200000 is not inside"),
        "{msg}"
    );
}

#[test]
fn an_address_aligned_physically_but_not_in_kernel_virtual_space() {
    // 2^40 is physically aligned to 2^40, but 2^39 bytes into an untyped whose
    // kernel-virtual base is 0: the kernel would align it up to kernel VA 2^40.
    let msg = refused(
        &[DEVICE],
        &[req("window", ObjectType::Untyped, 40, Some(1 << 40))],
    );
    assert_eq!(
        msg,
        "object 'window': physical address 0x10000000000 is kernel-virtual address 0x8000000000, which is \
         not aligned to the object's size (1 TiB); seL4 aligns objects in kernel-virtual space, so no retype \
         can create it at that physical address"
    );
}

#[test]
fn a_kernel_object_in_device_memory() {
    let msg = refused(
        &[DEVICE],
        &[req("tcb", ObjectType::Tcb, 0, Some(0xe00_0000_0000))],
    );
    assert_eq!(
        msg,
        "object 'tcb': a tcb cannot be created at 0xe0000000000, which is device memory; the kernel creates \
         only frames and untypeds there (give it no fixed address, or choose a RAM address)"
    );
}

#[test]
fn overlapping_fixed_objects() {
    let msg = refused(
        &[DEVICE],
        &[
            req("big", ObjectType::LargePage, 0, Some(0xe00_0000_0000)),
            req("small", ObjectType::SmallPage, 0, Some(0xe00_0010_0000)),
        ],
    );
    assert_eq!(
        msg,
        "object 'small' at 0xe0000100000 overlaps object 'big' at 0xe0000000000..0xe0000200000; \
         fixed-address objects must not share memory"
    );
}

#[test]
fn out_of_memory_names_the_size_class_and_what_is_left() {
    let requests: Vec<Request> = (0..3)
        .map(|_| req("frame", ObjectType::LargePage, 0, None))
        .collect();
    let big_ram = BootUntyped {
        paddr: 0x20_0000,
        size_bits: 22,
        is_device: false,
    };
    let msg = refused(&[big_ram], &requests);
    assert_eq!(
        msg,
        "out of memory for size class 21 (2 MiB): object 'frame' (frame_2m) and 0 more of that size \
         found no room; 0x0 bytes of RAM remain free"
    );
}

#[test]
fn ordinary_objects_never_go_to_device_memory() {
    let err = plan(
        Arch::X86_64,
        &[DEVICE],
        &[req("ep", ObjectType::Endpoint, 0, None)],
    )
    .unwrap_err();
    assert!(
        matches!(err, PlanError::OutOfMemory { size_bits: 4, .. }),
        "{err}"
    );
}

#[test]
fn the_plan_is_all_or_nothing() {
    // The first object fits, the second does not: no partial plan comes back.
    let result = plan(
        Arch::X86_64,
        &[RAM],
        &[
            req("ok", ObjectType::SmallPage, 0, None),
            req("huge", ObjectType::Untyped, 30, None),
        ],
    );
    assert!(matches!(result, Err(PlanError::OutOfMemory { .. })));
}
