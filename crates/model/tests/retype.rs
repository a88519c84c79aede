//! Untyped_Retype semantics: placement, watermark, errors and their order, reset.

use sysinit_kobj::{Arch, BootUntyped, ObjectType, RETYPE_FAN_OUT_LIMIT};
use sysinit_model::{
    ArgumentProblem, Cap, KernelModel, ModelError, RangeChecked, RetypeError, Retyped, UntypedCap,
};

const RAM: u64 = 0x4000_0000;

fn model(arch: Arch, untypeds: &[(u64, u8, bool)], slots: usize) -> KernelModel {
    let list: Vec<BootUntyped> = untypeds
        .iter()
        .map(|&(paddr, size_bits, is_device)| BootUntyped {
            paddr,
            size_bits,
            is_device,
        })
        .collect();
    KernelModel::try_new(arch, &list, slots).unwrap()
}

fn untyped(m: &KernelModel, slot: usize) -> UntypedCap {
    *m.cap(slot).and_then(Cap::as_untyped).expect("untyped")
}

#[test]
fn wrapped_device_untyped_aligns_in_kernel_va_not_physically() {
    // The x86_64 device untyped whose kernel VA is 0.
    let mut m = model(Arch::X86_64, &[(0x80_0000_0000, 46, true)], 16);
    assert_eq!(untyped(&m, 0).kva, 0);

    let first = m.retype(0, ObjectType::Untyped, 39, 1, 1).unwrap();
    assert_eq!(first.first_kva, 0);
    assert_eq!(first.first_paddr, 0x80_0000_0000);

    // The watermark is at kernel VA 2^39, i.e. paddr 2^40. A 2^40 untyped goes to
    // kernel VA 2^40, which is paddr 2^39 + 2^40. Aligning physically would have
    // left it at paddr 2^40 (already 2^40-aligned there), which is wrong.
    let second = m.retype(0, ObjectType::Untyped, 40, 2, 1).unwrap();
    assert_eq!(second.first_kva, 1 << 40);
    assert_eq!(second.first_paddr, 0x80_0000_0000 + (1 << 40));
    assert_ne!(second.first_paddr, 1 << 40);
    assert_eq!(untyped(&m, 0).free_index, (2u64 << 40) >> 4);

    // The child untyped is itself aligned in kernel VA and retypes the same way.
    let child = untyped(&m, 2);
    assert_eq!(
        (child.kva, child.paddr, child.is_device),
        (1 << 40, 0x180_0000_0000, true)
    );
    let frame = m.retype(2, ObjectType::HugePage, 0, 3, 1).unwrap();
    assert_eq!(frame.first_paddr, 0x180_0000_0000);
    assert_eq!(m.frame_paddr(3), Ok(0x180_0000_0000));
}

#[test]
fn device_untyped_just_below_the_wrap_point() {
    // Kernel VA [2^64 - 2^38, 2^64): the last objects end exactly at the wrap.
    let mut m = model(Arch::X86_64, &[(0x40_0000_0000, 38, true)], 600);
    assert_eq!(untyped(&m, 0).kva, 0xffff_ffc0_0000_0000);
    m.retype(0, ObjectType::Untyped, 37, 1, 1).unwrap();
    let last = m.retype(0, ObjectType::HugePage, 0, 2, 128).unwrap();
    assert_eq!(last.first_kva, 0xffff_ffe0_0000_0000);
    assert_eq!(untyped(&m, 0).free_index, 1 << 34);
    match m.cap(129) {
        Some(Cap::Object(o)) => {
            assert_eq!(o.kva, 0xffff_ffff_c000_0000);
            assert_eq!(o.paddr, 0x7f_c000_0000);
        }
        other => panic!("expected a frame, got {other:?}"),
    }
    assert_eq!(
        m.retype(0, ObjectType::SmallPage, 0, 300, 1),
        Err(RetypeError::NotEnoughMemory {
            memory_left: 0,
            slot: 0,
            count: 1,
            object_size_bits: 12
        })
    );
}

#[test]
fn boot_untypeds_start_full_and_reset_on_first_retype() {
    let mut m = model(Arch::Aarch64, &[(RAM, 20, false)], 8);
    // As provide_untyped_cap creates it: watermark at the end, no children.
    assert_eq!(untyped(&m, 0).free_index, 1 << 16);
    assert_eq!(untyped(&m, 0).parent, None);
    let r = m.retype(0, ObjectType::Endpoint, 0, 1, 1).unwrap();
    assert_eq!(r.first_paddr, RAM);
    assert_eq!(r.first_kva, RAM + (1 << 39));
}

#[test]
fn free_index_counts_16_byte_units() {
    let mut m = model(Arch::Aarch64, &[(RAM, 16, false)], 8);
    m.retype(0, ObjectType::Endpoint, 0, 1, 1).unwrap();
    assert_eq!(untyped(&m, 0).free_index, 1, "one 16-byte endpoint");
    // A 32-byte notification aligns up from 16 to 32 and ends at 64.
    let n = m.retype(0, ObjectType::Notification, 0, 2, 1).unwrap();
    assert_eq!(n.first_paddr, RAM + 32);
    assert_eq!(untyped(&m, 0).free_index, 4);
    // A CNode of radix 2 is 2^(2+5) = 128 bytes: aligned to 128, ends at 256.
    let c = m.retype(0, ObjectType::CNode, 2, 3, 1).unwrap();
    assert_eq!((c.first_paddr, c.object_size_bits), (RAM + 128, 7));
    assert_eq!(untyped(&m, 0).free_index, 16);
}

#[test]
fn not_enough_memory_uses_free_bytes_before_alignment() {
    let mut m = model(Arch::Aarch64, &[(RAM, 16, false)], 64);
    m.retype(0, ObjectType::Endpoint, 0, 1, 1).unwrap();
    // 0xfff0 bytes free before aligning, 0xf000 after. 16 pages do not fit, and the
    // kernel reports the pre-alignment figure.
    assert_eq!(
        m.retype(0, ObjectType::SmallPage, 0, 2, 16),
        Err(RetypeError::NotEnoughMemory {
            memory_left: 0xfff0,
            slot: 0,
            count: 16,
            object_size_bits: 12
        })
    );
    // 0xfff0 >> 12 = 15 pages pass the check, and after aligning to 0x1000 they
    // still fit exactly up to the end.
    let r = m.retype(0, ObjectType::SmallPage, 0, 2, 15).unwrap();
    assert_eq!(r.first_paddr, RAM + 0x1000);
    assert_eq!(untyped(&m, 0).free_index, 0x1_0000 >> 4);
}

#[test]
fn device_untyped_holds_frames_and_untypeds_only() {
    let mut m = model(Arch::Aarch64, &[(0x900_0000, 24, true)], 8);
    assert_eq!(
        m.retype(0, ObjectType::Tcb, 0, 1, 1),
        Err(RetypeError::InvalidArgument {
            argument: 1,
            problem: ArgumentProblem::KernelObjectInDeviceMemory {
                ty: ObjectType::Tcb
            }
        })
    );
    assert!(m.cap(1).is_none());
    m.retype(0, ObjectType::SmallPage, 0, 1, 1).unwrap();
    m.retype(0, ObjectType::LargePage, 0, 2, 1).unwrap();
    m.retype(0, ObjectType::Untyped, 12, 3, 1).unwrap();
    assert!(untyped(&m, 3).is_device);
    // The device child refuses kernel objects too.
    assert!(matches!(
        m.retype(3, ObjectType::Endpoint, 0, 4, 1),
        Err(RetypeError::InvalidArgument { argument: 1, .. })
    ));
    // The capacity check comes before the device check, as in the kernel.
    let mut tiny = model(Arch::Aarch64, &[(0x900_0000, 12, true)], 8);
    assert!(matches!(
        tiny.retype(0, ObjectType::Tcb, 0, 1, 3),
        Err(RetypeError::NotEnoughMemory {
            memory_left: 0x1000,
            ..
        })
    ));
}

#[test]
fn fan_out_limits() {
    let mut m = model(Arch::X86_64, &[(0x10_0000, 20, false)], 600);
    for count in [0, RETYPE_FAN_OUT_LIMIT + 1] {
        assert_eq!(
            m.retype(0, ObjectType::Endpoint, 0, 1, count),
            Err(RetypeError::RangeError {
                min: 1,
                max: 256,
                what: RangeChecked::FanOut { count }
            })
        );
    }
    let r = m
        .retype(0, ObjectType::Endpoint, 0, 1, RETYPE_FAN_OUT_LIMIT)
        .unwrap();
    assert_eq!(r.count, 256);
}

#[test]
fn destination_must_be_inside_the_cspace_and_empty() {
    let mut m = model(
        Arch::X86_64,
        &[(0x10_0000, 20, false), (0x20_0000, 20, false)],
        10,
    );
    assert_eq!(
        m.retype(0, ObjectType::Endpoint, 0, 10, 1),
        Err(RetypeError::RangeError {
            min: 0,
            max: 9,
            what: RangeChecked::DestinationOffset { dest_first: 10 }
        })
    );
    assert_eq!(
        m.retype(0, ObjectType::Endpoint, 0, 7, 4),
        Err(RetypeError::RangeError {
            min: 1,
            max: 3,
            what: RangeChecked::DestinationWindow {
                dest_first: 7,
                count: 4
            }
        })
    );
    // The window 0..4 holds both untypeds; the first occupied slot is reported.
    assert_eq!(
        m.retype(0, ObjectType::Endpoint, 0, 0, 4),
        Err(RetypeError::DeleteFirst { slot: 0 })
    );
    m.retype(0, ObjectType::Endpoint, 0, 5, 1).unwrap();
    assert_eq!(
        m.retype(1, ObjectType::Endpoint, 0, 3, 4),
        Err(RetypeError::DeleteFirst { slot: 5 })
    );
    // A failed retype changed nothing.
    assert_eq!(untyped(&m, 1).children, 0);
    assert!(m.cap(3).is_none());
}

#[test]
fn argument_checks_follow_the_kernel_order() {
    let mut m = model(Arch::X86_64, &[(0x10_0000, 20, true)], 4);
    // Source first: an empty slot, an out-of-range slot, a non-untyped.
    assert_eq!(
        m.retype(3, ObjectType::Tcb, 0, 99, 0),
        Err(RetypeError::InvalidCapability { slot: 3 })
    );
    assert_eq!(
        m.retype(99, ObjectType::Tcb, 0, 1, 1),
        Err(RetypeError::InvalidCapability { slot: 99 })
    );
    // Type before size before destination before fan-out.
    assert!(matches!(
        m.retype(0, ObjectType::Vcpu, 200, 99, 0),
        Err(RetypeError::InvalidArgument {
            argument: 0,
            problem: ArgumentProblem::TypeNotOnArch {
                ty: ObjectType::Vcpu,
                arch: Arch::X86_64
            }
        })
    ));
    let size_error = |ty, size_arg| RetypeError::RangeError {
        min: 0,
        max: 47,
        what: RangeChecked::ObjectSize { ty, size_arg },
    };
    assert_eq!(
        m.retype(0, ObjectType::Untyped, 48, 99, 0),
        Err(size_error(ObjectType::Untyped, 48))
    );
    assert_eq!(
        m.retype(0, ObjectType::CNode, 43, 99, 0),
        Err(size_error(ObjectType::CNode, 43))
    );
    // Fixed-size types ignore the argument, but not when it is a word wide or more.
    assert_eq!(
        m.retype(0, ObjectType::Tcb, 64, 99, 0),
        Err(size_error(ObjectType::Tcb, 64))
    );
    assert_eq!(
        m.retype(0, ObjectType::CNode, 0, 99, 0),
        Err(RetypeError::InvalidArgument {
            argument: 1,
            problem: ArgumentProblem::CNodeRadixZero
        })
    );
    assert_eq!(
        m.retype(0, ObjectType::Untyped, 3, 99, 0),
        Err(RetypeError::InvalidArgument {
            argument: 1,
            problem: ArgumentProblem::UntypedTooSmall { size_bits: 3 }
        })
    );
    assert!(matches!(
        m.retype(0, ObjectType::Tcb, 63, 99, 0),
        Err(RetypeError::RangeError {
            what: RangeChecked::DestinationOffset { .. },
            ..
        })
    ));
    assert!(matches!(
        m.retype(0, ObjectType::Tcb, 0, 1, 0),
        Err(RetypeError::RangeError {
            what: RangeChecked::FanOut { .. },
            ..
        })
    ));
    // Fan-out before the window, window before occupancy.
    assert!(matches!(
        m.retype(0, ObjectType::Tcb, 0, 0, 300),
        Err(RetypeError::RangeError {
            what: RangeChecked::FanOut { .. },
            ..
        })
    ));
    assert!(matches!(
        m.retype(0, ObjectType::Tcb, 0, 0, 5),
        Err(RetypeError::RangeError {
            what: RangeChecked::DestinationWindow { .. },
            ..
        })
    ));
    assert_eq!(
        m.retype(0, ObjectType::Tcb, 0, 0, 1),
        Err(RetypeError::DeleteFirst { slot: 0 })
    );
    // Occupancy before memory, memory before device.
    assert!(matches!(
        m.retype(0, ObjectType::Tcb, 0, 1, 3),
        Err(RetypeError::InvalidArgument { argument: 1, .. })
    ));
    // Largest sizes accepted: untyped 47 bits, CNode radix 42 (2^47 bytes).
    assert!(matches!(
        m.retype(0, ObjectType::CNode, 42, 1, 1),
        Err(RetypeError::NotEnoughMemory { .. })
    ));
    let frame = m.retype(0, ObjectType::SmallPage, 0, 1, 1).unwrap();
    assert_eq!(m.frame_paddr(1), Ok(frame.first_paddr));
    assert_eq!(
        m.retype(1, ObjectType::SmallPage, 0, 2, 1),
        Err(RetypeError::InvalidCapability { slot: 1 })
    );
}

#[test]
fn deleting_all_children_resets_the_watermark_on_the_next_retype() {
    let mut m = model(Arch::X86_64, &[(0x10_0000, 16, false)], 16);
    m.retype(0, ObjectType::Tcb, 0, 1, 2).unwrap();
    assert_eq!(untyped(&m, 0).children, 2);
    assert_eq!(untyped(&m, 0).free_index, 4096 >> 4);

    // With a child left, the watermark stays.
    m.delete(1).unwrap();
    let r = m.retype(0, ObjectType::Endpoint, 0, 3, 1).unwrap();
    assert_eq!(r.first_paddr, 0x10_0000 + 4096);

    m.delete(2).unwrap();
    m.delete(3).unwrap();
    assert_eq!(untyped(&m, 0).children, 0);
    // The stored watermark is only reset by the next successful retype.
    assert_eq!(untyped(&m, 0).free_index, (4096 + 16) >> 4);
    assert_eq!(
        m.retype(0, ObjectType::Tcb, 0, 0, 1),
        Err(RetypeError::DeleteFirst { slot: 0 })
    );
    assert_eq!(untyped(&m, 0).free_index, (4096 + 16) >> 4);

    // With no children left, the whole untyped is free again, even for the check.
    let whole = m.retype(0, ObjectType::Untyped, 16, 1, 1).unwrap();
    assert_eq!(whole.first_paddr, 0x10_0000);
    assert_eq!(untyped(&m, 0).free_index, 1 << 12);
}

#[test]
fn only_leaf_caps_can_be_deleted() {
    let mut m = model(Arch::X86_64, &[(0x10_0000, 16, false)], 8);
    m.retype(0, ObjectType::Untyped, 12, 1, 1).unwrap();
    m.retype(1, ObjectType::Endpoint, 0, 2, 1).unwrap();
    assert_eq!(
        m.delete(1),
        Err(ModelError::HasChildren {
            slot: 1,
            children: 1
        })
    );
    assert_eq!(
        m.delete(0),
        Err(ModelError::HasChildren {
            slot: 0,
            children: 1
        })
    );
    assert_eq!(m.delete(5), Err(ModelError::EmptySlot { slot: 5 }));
    assert_eq!(
        m.delete(8),
        Err(ModelError::SlotOutOfRange {
            slot: 8,
            total_slots: 8
        })
    );
    m.delete(2).unwrap();
    m.delete(1).unwrap();
    m.delete(0).unwrap();
    assert_eq!(m.caps().count(), 0);
}

#[test]
fn frame_paddr_and_lookup() {
    let mut m = model(Arch::Aarch64, &[(RAM, 22, false)], 8);
    m.retype(0, ObjectType::Endpoint, 0, 1, 1).unwrap();
    let frames = m.retype(0, ObjectType::SmallPage, 0, 2, 2).unwrap();
    assert_eq!(
        frames,
        Retyped {
            first_kva: RAM + 0x1000 + (1 << 39),
            first_paddr: RAM + 0x1000,
            object_size_bits: 12,
            count: 2
        }
    );
    assert_eq!(m.frame_paddr(3), Ok(RAM + 0x2000));
    assert!(matches!(
        m.frame_paddr(1),
        Err(ModelError::NotAFrame { slot: 1, .. })
    ));
    assert!(matches!(
        m.frame_paddr(0),
        Err(ModelError::NotAFrame { slot: 0, .. })
    ));
    assert_eq!(m.frame_paddr(4), Err(ModelError::EmptySlot { slot: 4 }));
    assert_eq!(m.find_object_at(RAM + 0x2fff), Some(3));
    assert_eq!(m.find_object_at(RAM + 0x8), Some(1));
    assert_eq!(m.find_object_at(RAM + 0x10), None);
    assert_eq!(
        m.live_objects().map(|(slot, _)| slot).collect::<Vec<_>>(),
        [1, 2, 3]
    );
}

#[test]
fn try_new_refuses_what_the_kernel_never_reports() {
    let bad = |paddr, size_bits| {
        KernelModel::try_new(
            Arch::X86_64,
            &[BootUntyped {
                paddr,
                size_bits,
                is_device: false,
            }],
            4,
        )
    };
    assert!(matches!(
        bad(0x1000, 13),
        Err(ModelError::InvalidBootUntyped { index: 0, .. })
    ));
    assert!(matches!(
        bad(0, 3),
        Err(ModelError::InvalidBootUntyped { .. })
    ));
    assert!(matches!(
        bad(0, 48),
        Err(ModelError::InvalidBootUntyped { .. })
    ));
    assert!(bad(0x2000, 13).is_ok());
    // Aligned in the x86_64 kernel window (which starts 2^39 below 2^64) but running
    // past 2^64 physically.
    let wraps = (1u64 << 39).wrapping_sub(1 << 47);
    assert_eq!(
        bad(wraps, 47).unwrap_err().to_string(),
        "boot untyped #0 (paddr 0xffff808000000000, 47 bits) is invalid: it passes the end \
         of the 64-bit physical address space"
    );
    let overlapping = [
        BootUntyped {
            paddr: 0x10_0000,
            size_bits: 20,
            is_device: false,
        },
        BootUntyped {
            paddr: 0x4000,
            size_bits: 12,
            is_device: true,
        },
        BootUntyped {
            paddr: 0x18_0000,
            size_bits: 12,
            is_device: true,
        },
    ];
    assert_eq!(
        KernelModel::try_new(Arch::X86_64, &overlapping, 4)
            .unwrap_err()
            .to_string(),
        "boot untyped #2 (paddr 0x180000, 12 bits) overlaps boot untyped #0; the kernel \
         hands out each byte of memory once"
    );
    assert!(KernelModel::try_new(Arch::X86_64, &overlapping[..2], 4).is_ok());
    let two = [BootUntyped {
        paddr: 0,
        size_bits: 12,
        is_device: false,
    }; 2];
    assert_eq!(
        KernelModel::try_new(Arch::X86_64, &two, 1).unwrap_err(),
        ModelError::TooFewSlots {
            untypeds: 2,
            total_slots: 1
        }
    );
    // `new` keeps every untyped, growing the cspace if needed.
    assert_eq!(KernelModel::new(Arch::X86_64, &two, 1).total_slots(), 2);
}

#[test]
fn error_messages_say_what_is_wrong() {
    let mut m = model(Arch::X86_64, &[(0x10_0000, 12, true)], 4);
    let msg = m
        .retype(0, ObjectType::Tcb, 0, 1, 1)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("tcb") && msg.contains("device"), "{msg}");
    let msg = m
        .retype(0, ObjectType::SmallPage, 0, 1, 2)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("0x1000 free bytes") && msg.contains("2 objects"),
        "{msg}"
    );
    let msg = m
        .retype(0, ObjectType::SmallPage, 0, 1, 0)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("object count 0") && msg.contains("1..=256"),
        "{msg}"
    );
}
