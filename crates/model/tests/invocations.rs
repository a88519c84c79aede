//! The invocations after retype: each kernel rule the model mirrors, one refusal at a time.

use sysinit_kobj::{Arch, BootUntyped, ObjectType};
use sysinit_model::{CapRights, KernelModel, MintData, MintDest, Sel4Error};

const RAM: BootUntyped = BootUntyped {
    paddr: 0x100_0000,
    size_bits: 24,
    is_device: false,
};

/// A model with the RAM untyped in slot 0 and one object of each `types` from slot 1 on.
fn with(arch: Arch, types: &[(ObjectType, u8)]) -> KernelModel {
    let mut m = KernelModel::new(arch, &[RAM], 64);
    for (i, &(ty, arg)) in types.iter().enumerate() {
        m.retype(0, ty, arg, 1 + i, 1).expect("retype");
    }
    m
}

fn code<T: std::fmt::Debug>(r: Result<T, sysinit_model::InvocationError>) -> Sel4Error {
    r.expect_err("the kernel refuses this").code
}

const X86_TABLES: [(ObjectType, u8); 4] = [
    (ObjectType::VSpace, 0),
    (ObjectType::X86Pdpt, 0),
    (ObjectType::X86PageDirectory, 0),
    (ObjectType::PageTable, 0),
];

#[test]
fn x86_tables_need_an_asid_and_their_parents() {
    let mut m = with(Arch::X86_64, &X86_TABLES);
    assert_eq!(code(m.map_table(2, 1, 0)), Sel4Error::InvalidCapability);
    m.asid_assign(1).unwrap();
    assert_eq!(code(m.asid_assign(1)), Sel4Error::InvalidCapability);
    // A page table (level 3) before its page directory: nothing to look it up in.
    assert_eq!(code(m.map_table(4, 1, 0x40_0000)), Sel4Error::FailedLookup);
    assert_eq!(m.map_table(2, 1, 0x40_0000), Ok(1));
    assert_eq!(m.map_table(3, 1, 0x40_0000), Ok(2));
    assert_eq!(m.map_table(4, 1, 0x40_0000), Ok(3));
    assert_eq!(
        code(m.map_table(4, 1, 0x40_0000)),
        Sel4Error::InvalidCapability
    );
}

#[test]
fn frames_map_once_aligned_into_existing_tables() {
    let mut types = X86_TABLES.to_vec();
    types.push((ObjectType::SmallPage, 0));
    types.push((ObjectType::LargePage, 0));
    let mut m = with(Arch::X86_64, &types);
    m.asid_assign(1).unwrap();
    let rw = CapRights::ALL;
    assert_eq!(
        code(m.map_frame(5, 1, 0x40_0000, rw, true)),
        Sel4Error::FailedLookup
    );
    for t in 2..=4 {
        m.map_table(t, 1, 0x40_0000).unwrap();
    }
    assert_eq!(
        code(m.map_frame(5, 1, 0x40_0800, rw, true)),
        Sel4Error::AlignmentError
    );
    m.map_frame(5, 1, 0x40_0000, rw, true).unwrap();
    // The same cap again at another address: a frame cap holds one mapping.
    assert_eq!(
        code(m.map_frame(5, 1, 0x40_1000, rw, true)),
        Sel4Error::InvalidArgument
    );
    // A copy maps, but not over the page already there.
    m.mint(MintDest::Root(20), 5, rw, MintData::None).unwrap();
    assert_eq!(
        code(m.map_frame(20, 1, 0x40_0000, rw, true)),
        Sel4Error::DeleteFirst
    );
    m.map_frame(20, 1, 0x40_1000, CapRights { write: false, ..rw }, false)
        .unwrap();
    // A 2 MiB page where a page table already is.
    assert_eq!(
        code(m.map_frame(6, 1, 0x40_0000, rw, true)),
        Sel4Error::DeleteFirst
    );
    assert_eq!(
        code(m.map_frame(6, 1, 0x7fff_ffe0_0000 + (1 << 21), rw, true)),
        Sel4Error::InvalidArgument
    );
}

#[test]
fn aarch64_tables_land_where_the_walk_ends() {
    let types = [
        (ObjectType::VSpace, 0),
        (ObjectType::PageTable, 0),
        (ObjectType::PageTable, 0),
        (ObjectType::PageTable, 0),
        (ObjectType::PageTable, 0),
    ];
    let mut m = with(Arch::Aarch64, &types);
    m.asid_assign(1).unwrap();
    assert_eq!(m.map_table(2, 1, 0x1000_0000), Ok(1));
    assert_eq!(m.map_table(3, 1, 0x1000_0000), Ok(2));
    assert_eq!(m.map_table(4, 1, 0x1000_0000), Ok(3));
    assert_eq!(code(m.map_table(5, 1, 0x1000_0000)), Sel4Error::DeleteFirst);
}

#[test]
fn mint_checks_destination_source_and_data() {
    let types = [
        (ObjectType::CNode, 4),
        (ObjectType::Endpoint, 0),
        (ObjectType::VSpace, 0),
    ];
    let mut m = with(Arch::X86_64, &types);
    let all = CapRights::ALL;
    let into = |index, depth| MintDest::CNode {
        cnode: 1,
        index,
        depth,
    };
    m.mint(into(3, 4), 2, all, MintData::Badge(7)).unwrap();
    assert_eq!(
        m.cnode_slot(1, 3)
            .and_then(|c| c.as_object())
            .map(|o| o.badge),
        Some(7)
    );
    assert_eq!(
        code(m.mint(into(3, 4), 2, all, MintData::None)),
        Sel4Error::DeleteFirst
    );
    assert_eq!(
        code(m.mint(into(16, 4), 2, all, MintData::None)),
        Sel4Error::FailedLookup
    );
    assert_eq!(
        code(m.mint(into(4, 5), 2, all, MintData::None)),
        Sel4Error::FailedLookup
    );
    assert_eq!(
        code(m.mint(into(4, 4), 30, all, MintData::None)),
        Sel4Error::FailedLookup
    );
    // Re-badging a badged cap is refused.
    m.mint(MintDest::Root(10), 2, all, MintData::Badge(1))
        .unwrap();
    assert_eq!(
        code(m.mint(into(5, 4), 10, all, MintData::Badge(2))),
        Sel4Error::IllegalOperation
    );
    // A VSpace without an ASID cannot be copied.
    assert_eq!(
        code(m.mint(into(6, 4), 3, all, MintData::None)),
        Sel4Error::IllegalOperation
    );
}

#[test]
fn interrupts_past_the_kernels_range_are_refused() {
    // Hand-written specs can name any number; the kernel checks the range first.
    for (arch, max) in [(Arch::X86_64, 107), (Arch::Aarch64, 159)] {
        let mut m = with(arch, &[]);
        let error = m.irq_get(max + 1, 10).unwrap_err();
        assert_eq!(error.code, Sel4Error::RangeError, "{arch}");
        assert!(
            error.to_string().contains(&format!(
                "interrupt {} is out of range; valid: 0..={max}",
                max + 1
            )),
            "{error}"
        );
        m.irq_get(max, 10).unwrap();
    }
}

#[test]
fn irqs_and_io_ports_are_issued_once() {
    let mut m = with(Arch::X86_64, &[]);
    m.irq_get(4, 10).unwrap();
    assert_eq!(code(m.irq_get(4, 11)), Sel4Error::RevokeFirst);
    assert_eq!(code(m.irq_get(5, 10)), Sel4Error::DeleteFirst);
    m.ioports_issue(0x3f8, 0x3ff, 12).unwrap();
    assert_eq!(
        code(m.ioports_issue(0x3f0, 0x3f8, 13)),
        Sel4Error::RevokeFirst
    );
    assert_eq!(
        code(m.ioports_issue(0x10, 0x0f, 13)),
        Sel4Error::InvalidArgument
    );
    m.ioports_issue(0x2f8, 0x2ff, 13).unwrap();
    let mut arm = with(Arch::Aarch64, &[]);
    assert_eq!(
        code(arm.ioports_issue(0, 1, 10)),
        Sel4Error::IllegalOperation
    );
}

#[test]
fn frame_writes_stay_inside_and_read_back() {
    let mut m = with(Arch::X86_64, &[(ObjectType::SmallPage, 0)]);
    m.write_frame(1, 12, 0xffe, b"ab").unwrap();
    assert_eq!(m.frame_bytes(1, 0xffd, 3).unwrap(), b"\0ab");
    assert_eq!(
        code(m.write_frame(1, 12, 0xfff, b"ab")),
        Sel4Error::RangeError
    );
    assert_eq!(
        code(m.write_frame(1, 21, 0, b"a")),
        Sel4Error::InvalidArgument
    );
}

#[test]
fn threads_need_a_configured_address_space_to_resume() {
    let types = [
        (ObjectType::Tcb, 0),
        (ObjectType::CNode, 4),
        (ObjectType::VSpace, 0),
    ];
    let mut m = with(Arch::X86_64, &types);
    assert_eq!(code(m.tcb_resume(1)), Sel4Error::IllegalOperation);
    // The VSpace has no ASID yet.
    assert_eq!(
        code(m.tcb_configure(1, 0, 2, None, 3, 0, None)),
        Sel4Error::IllegalOperation
    );
    m.asid_assign(3).unwrap();
    m.tcb_configure(1, 0, 2, Some((0, 60)), 3, 0, None).unwrap();
    m.tcb_set_sched_params(1, 255, 254).unwrap();
    m.tcb_resume(1).unwrap();
    assert!(m.tcb(1).unwrap().running);
}

#[test]
fn priorities_are_bounded_by_the_authority() {
    let mut m = with(Arch::X86_64, &[(ObjectType::Tcb, 0)]);
    m.set_authority_mcp(100);
    assert_eq!(
        code(m.tcb_set_sched_params(1, 101, 50)),
        Sel4Error::RangeError
    );
    m.tcb_set_sched_params(1, 100, 100).unwrap();
}

#[test]
fn notification_rights_and_wrong_types_are_refused_with_their_messages() {
    let mut m = with(
        Arch::X86_64,
        &[(ObjectType::Notification, 0), (ObjectType::Tcb, 0)],
    );
    let send_only = CapRights {
        read: false,
        ..CapRights::ALL
    };
    let receive_only = CapRights {
        write: false,
        ..CapRights::ALL
    };
    m.mint(MintDest::Root(3), 1, send_only, MintData::None)
        .unwrap();
    m.mint(MintDest::Root(4), 1, receive_only, MintData::None)
        .unwrap();
    let e = m.tcb_bind_notification(2, 3).unwrap_err();
    assert_eq!(e.code, Sel4Error::IllegalOperation);
    assert_eq!(
        e.detail,
        "the notification cap in slot 3 lacks the read (receive) right"
    );
    m.irq_get(40, 5).unwrap();
    let e = m.irq_set_notification(5, 4).unwrap_err();
    assert_eq!(e.code, Sel4Error::InvalidCapability);
    assert_eq!(
        e.detail,
        "the notification cap in slot 4 lacks the write (send) right"
    );
    let e = m.tcb_bind_notification(2, 2).unwrap_err();
    assert_eq!(e.code, Sel4Error::InvalidCapability);
    assert_eq!(
        e.detail,
        "notification slot 2 holds a tcb cap, which is the wrong type"
    );
    assert_eq!(m.tcb_bind_notification(2, 4), Ok(()));
}
