//! What `Spec::validate` refuses, and that its messages name the object at fault.

mod common;

use common::{example, tiny_spec};
use sysinit_spec::{
    Arch, CNode, Cap, FillContent, FillEntry, Frame, Irq, IrqSource, Object, ObjectId, ObjectType,
    PageTable, Rights, Spec, SpecBuilder, SpecErrorKind, Tcb, Untyped, VSpace,
};

fn object_mut<'a>(spec: &'a mut Spec, name: &str) -> &'a mut Object {
    let id = spec
        .id_of(name)
        .unwrap_or_else(|| panic!("no object {name}"));
    &mut spec.objects[id.index()].object
}

fn cnode_mut<'a>(spec: &'a mut Spec, name: &str) -> &'a mut CNode {
    match object_mut(spec, name) {
        Object::CNode(c) => c,
        _ => panic!("{name} is not a cnode"),
    }
}

fn tcb_mut<'a>(spec: &'a mut Spec, name: &str) -> &'a mut Tcb {
    match object_mut(spec, name) {
        Object::Tcb(t) => t,
        _ => panic!("{name} is not a tcb"),
    }
}

fn frame_mut<'a>(spec: &'a mut Spec, name: &str) -> &'a mut Frame {
    match object_mut(spec, name) {
        Object::Frame(f) => f,
        _ => panic!("{name} is not a frame"),
    }
}

/// Validates, expecting an error against `object`; returns its kind and message.
fn refused(spec: &Spec, object: &str) -> (SpecErrorKind, String) {
    let err = spec.validate().expect_err("the spec should be invalid");
    assert_eq!(err.object.as_deref(), Some(object), "{err}");
    (err.kind.clone(), err.to_string())
}

#[test]
fn examples_are_valid() {
    tiny_spec().validate().unwrap();
    for arch in Arch::ALL {
        example(arch).validate().unwrap();
    }
}

#[test]
fn dangling_object_id() {
    let mut spec = example(Arch::X86_64);
    cnode_mut(&mut spec, "app.cnode").slots[0].1.object = ObjectId(10_000);
    let (kind, text) = refused(&spec, "app.cnode");
    assert!(
        matches!(
            kind,
            SpecErrorKind::DanglingCap {
                target: ObjectId(10_000),
                ..
            }
        ),
        "{kind:?}"
    );
    assert!(text.contains("refers to object #10000"), "{text}");

    let mut spec = example(Arch::X86_64);
    tcb_mut(&mut spec, "driver.tcb").vspace.object = ObjectId(u32::MAX);
    let (kind, _) = refused(&spec, "driver.tcb");
    assert!(
        matches!(kind, SpecErrorKind::DanglingCap { .. }),
        "{kind:?}"
    );
}

#[test]
fn slot_index_outside_the_cnode() {
    let mut spec = example(Arch::Aarch64);
    let cap = cnode_mut(&mut spec, "app.cnode").slots[0].1;
    cnode_mut(&mut spec, "app.cnode").slots.push((32, cap));
    let (kind, text) = refused(&spec, "app.cnode");
    assert_eq!(
        kind,
        SpecErrorKind::SlotOutOfRange {
            slot: 32,
            slots: 32
        }
    );
    assert_eq!(
        text,
        "object \"app.cnode\": slot 32 is out of range (valid: 0..=31)"
    );
}

#[test]
fn slot_index_outside_a_page_table() {
    let mut spec = example(Arch::X86_64);
    let vspace = spec.id_of("app.vspace").unwrap();
    let Object::VSpace(v) = &mut spec.objects[vspace.index()].object else {
        unreachable!()
    };
    v.slots[0].0 = 512;
    let (kind, _) = refused(&spec, "app.vspace");
    assert_eq!(
        kind,
        SpecErrorKind::SlotOutOfRange {
            slot: 512,
            slots: 512
        }
    );
}

#[test]
fn slots_must_ascend() {
    let mut spec = example(Arch::X86_64);
    cnode_mut(&mut spec, "app.cnode").slots.swap(0, 1);
    let (kind, _) = refused(&spec, "app.cnode");
    assert_eq!(
        kind,
        SpecErrorKind::SlotsNotAscending {
            slot: 1,
            previous: 2
        }
    );
}

#[test]
fn caps_must_point_at_the_right_kind() {
    let mut spec = example(Arch::X86_64);
    let ep = spec.id_of("ipc.endpoint").unwrap();
    tcb_mut(&mut spec, "app.tcb").cspace = Cap::new(ep);
    let (kind, text) = refused(&spec, "app.tcb");
    assert!(
        matches!(kind, SpecErrorKind::WrongCapTarget { .. }),
        "{kind:?}"
    );
    assert_eq!(
        text,
        "object \"app.tcb\": the cspace cap points at \"ipc.endpoint\" (endpoint), but must point at a cnode"
    );
}

#[test]
fn frames_in_tables_must_match_the_level() {
    // A 2 MiB frame in a last-level table.
    let mut spec = example(Arch::X86_64);
    let big = spec.id_of("driver.device_bar").unwrap();
    let table = spec.id_of("app.vspace.pt3@0x400000").unwrap();
    let Object::PageTable(t) = &mut spec.objects[table.index()].object else {
        unreachable!()
    };
    t.slots[0].1 = Cap::new(big).with_rights(Rights::READ);
    let (kind, text) = refused(&spec, "app.vspace.pt3@0x400000");
    assert!(
        matches!(kind, SpecErrorKind::WrongCapTarget { .. }),
        "{kind:?}"
    );
    assert!(text.ends_with("must point at a 4 KiB frame"), "{text}");
}

#[test]
fn attributes_must_fit_the_target() {
    let mut spec = example(Arch::X86_64);
    let slot = &mut cnode_mut(&mut spec, "app.cnode").slots;
    let shared = slot.iter_mut().find(|(i, _)| *i == 10).unwrap();
    shared.1.badge = 5;
    let (kind, text) = refused(&spec, "app.cnode");
    assert!(
        matches!(kind, SpecErrorKind::BadCapAttribute { .. }),
        "{kind:?}"
    );
    assert!(
        text.contains("only endpoint and notification caps carry one"),
        "{text}"
    );

    let mut spec = example(Arch::X86_64);
    cnode_mut(&mut spec, "app.cnode").slots[0].1.cached = false;
    let (kind, _) = refused(&spec, "app.cnode");
    assert!(
        matches!(kind, SpecErrorKind::BadCapAttribute { .. }),
        "{kind:?}"
    );

    let mut spec = example(Arch::X86_64);
    cnode_mut(&mut spec, "app.cnode").slots[0].1.guard_size = 3;
    let (kind, _) = refused(&spec, "app.cnode");
    assert!(
        matches!(kind, SpecErrorKind::BadCapAttribute { .. }),
        "{kind:?}"
    );
}

#[test]
fn guards_must_fit() {
    let mut spec = example(Arch::X86_64);
    tcb_mut(&mut spec, "app.tcb").cspace.guard_size = 60; // + radix 5 > 64
    let (kind, _) = refused(&spec, "app.tcb");
    assert!(matches!(kind, SpecErrorKind::BadGuard { .. }), "{kind:?}");

    let mut spec = example(Arch::X86_64);
    tcb_mut(&mut spec, "app.tcb").cspace = tcb_mut(&mut spec, "app.tcb").cspace.with_guard(4, 2);
    let (kind, _) = refused(&spec, "app.tcb");
    assert!(
        matches!(
            kind,
            SpecErrorKind::BadGuard {
                guard: 4,
                guard_size: 2,
                ..
            }
        ),
        "{kind:?}"
    );
}

#[test]
fn sizes_are_checked_against_the_kernel() {
    let mut spec = example(Arch::X86_64);
    frame_mut(&mut spec, "shared").size_bits = 16;
    let (kind, text) = refused(&spec, "shared");
    assert_eq!(kind, SpecErrorKind::BadFrameSize { size_bits: 16 });
    assert!(
        text.contains("valid: 12 for 4 KiB, 21 for 2 MiB, 30 for 1 GiB"),
        "{text}"
    );

    let mut spec = example(Arch::X86_64);
    *object_mut(&mut spec, "app.untyped") = Object::Untyped(Untyped {
        size_bits: 48,
        paddr: None,
        device: false,
    });
    let (kind, _) = refused(&spec, "app.untyped");
    assert!(matches!(kind, SpecErrorKind::BadSize(_)), "{kind:?}");

    let mut spec = example(Arch::X86_64);
    cnode_mut(&mut spec, "app.cnode").radix = 0;
    let (kind, _) = refused(&spec, "app.cnode");
    assert!(matches!(kind, SpecErrorKind::BadSize(_)), "{kind:?}");
}

#[test]
fn physical_addresses_are_checked() {
    let mut spec = example(Arch::X86_64);
    frame_mut(&mut spec, "driver.device_bar").paddr = Some(0xf00_0000_1000);
    let (kind, text) = refused(&spec, "driver.device_bar");
    assert_eq!(
        kind,
        SpecErrorKind::MisalignedPaddr {
            paddr: 0xf00_0000_1000,
            size_bits: 21
        }
    );
    assert_eq!(
        text,
        "object \"driver.device_bar\": physical address 0xf0000001000 is not aligned to the object's size of 2 MiB"
    );

    let mut spec = example(Arch::Aarch64);
    frame_mut(&mut spec, "driver.pl011").paddr = Some(1 << 44);
    let (kind, _) = refused(&spec, "driver.pl011");
    assert!(
        matches!(kind, SpecErrorKind::PaddrOutOfRange { .. }),
        "{kind:?}"
    );

    let mut spec = example(Arch::Aarch64);
    frame_mut(&mut spec, "driver.pl011").paddr = Some(!0xfff);
    assert!(spec.validate().is_err());
}

#[test]
fn arch_specific_objects() {
    let mut spec = example(Arch::X86_64);
    spec.objects.push(sysinit_spec::NamedObject {
        name: "vcpu".into(),
        object: Object::Vcpu,
    });
    let (kind, text) = refused(&spec, "vcpu");
    assert_eq!(
        kind,
        SpecErrorKind::NotOnArch {
            what: "a vcpu",
            arch: Arch::X86_64
        }
    );
    assert_eq!(text, "object \"vcpu\": a vcpu does not exist on x86_64");

    let mut x86 = example(Arch::X86_64);
    x86.arch = Arch::Aarch64;
    let (kind, _) = refused(&x86, "driver.com1_ports");
    assert!(matches!(kind, SpecErrorKind::NotOnArch { .. }), "{kind:?}");

    let mut el1 = example(Arch::Aarch64);
    el1.hypervisor = false;
    el1.objects.push(sysinit_spec::NamedObject {
        name: "vcpu".into(),
        object: Object::Vcpu,
    });
    let (_, text) = refused(&el1, "vcpu");
    assert!(
        text.contains("in the aarch64-el1 kernel configuration"),
        "{text}"
    );

    let mut arm = example(Arch::Aarch64);
    arm.hypervisor = false;
    arm.validate().unwrap();
    arm.arch = Arch::X86_64;
    let (kind, _) = refused(&arm, "driver.uart_irq");
    assert!(
        matches!(
            kind,
            SpecErrorKind::NotOnArch {
                what: "a GIC interrupt",
                ..
            }
        ),
        "{kind:?}"
    );
}

#[test]
fn a_table_is_mapped_once() {
    let mut spec = example(Arch::X86_64);
    let app_pt1 = spec.id_of("app.vspace.pt1@0x0").unwrap();
    let Object::VSpace(v) = object_mut(&mut spec, "driver.vspace") else {
        unreachable!()
    };
    v.slots[0].1 = Cap::new(app_pt1);
    let err = spec.validate().unwrap_err();
    assert_eq!(err.object.as_deref(), Some("driver.vspace"));
    assert_eq!(
        err.kind,
        SpecErrorKind::TableMappedTwice {
            table: "app.vspace.pt1@0x0".into(),
            first_parent: "app.vspace".into()
        }
    );
}

#[test]
fn mappings_stay_below_the_user_top() {
    let frame = || {
        Object::Frame(Frame {
            size_bits: 12,
            paddr: None,
            device: false,
            fill: vec![],
        })
    };
    let table = |level| {
        Object::PageTable(PageTable {
            level,
            slots: vec![],
        })
    };

    // x86_64: root slot 256 starts the kernel half.
    let mut b = SpecBuilder::new(Arch::X86_64);
    let vspace = b.add("vs", Object::VSpace(VSpace { slots: vec![] }));
    let pt = b.add("pt", table(1));
    b.set_slot(vspace, 256, Cap::new(pt)).unwrap();
    let (kind, _) = refused(b.spec(), "vs");
    let above = matches!(
        kind,
        SpecErrorKind::MappingAboveUserTop {
            vaddr: 0x8000_0000_0000,
            ..
        }
    );
    assert!(above, "{kind:?}");

    // x86_64: the very last page below 2^47 is refused by the kernel.
    let mut b = SpecBuilder::new(Arch::X86_64);
    let vspace = b.add("vs", Object::VSpace(VSpace { slots: vec![] }));
    let f = b.add("f", frame());
    b.map(vspace, 0x7fff_ffff_e000, Cap::new(f)).unwrap();
    b.spec().validate().unwrap();
    let err = b
        .clone()
        .map(vspace, 0x7fff_ffff_f000, Cap::new(f))
        .unwrap_err();
    assert!(
        matches!(err.kind, SpecErrorKind::MappingAboveUserTop { .. }),
        "{err}"
    );
    // Put there behind the builder's back, validation catches it.
    let last_table = b.spec().id_of("vs.pt3@0x7fffffe00000").unwrap();
    b.set_slot(last_table, 511, Cap::new(f)).unwrap();
    let (kind, text) = refused(b.spec(), "vs.pt3@0x7fffffe00000");
    assert!(
        matches!(kind, SpecErrorKind::MappingAboveUserTop { .. }),
        "{kind:?}"
    );
    assert!(
        text.contains("past the end of user virtual memory at 0x7ffffffff000"),
        "{text}"
    );

    // aarch64 (44-bit): 2^44 is the end; its last page is fine.
    let mut b = SpecBuilder::new(Arch::Aarch64);
    let vspace = b.add("vs", Object::VSpace(VSpace { slots: vec![] }));
    let f = b.add("f", frame());
    b.map(vspace, (1 << 44) - 0x1000, Cap::new(f)).unwrap();
    b.spec().validate().unwrap();
    let err = b.clone().map(vspace, 1 << 44, Cap::new(f)).unwrap_err();
    assert!(
        matches!(err.kind, SpecErrorKind::MappingAboveUserTop { .. }),
        "{err}"
    );
    let err = b.clone().map(vspace, 1 << 60, Cap::new(f)).unwrap_err();
    assert!(
        matches!(err.kind, SpecErrorKind::MappingAboveUserTop { .. }),
        "{err}"
    );
    let pt = b.add("pt", table(1));
    b.set_slot(vspace, 32, Cap::new(pt)).unwrap();
    let (kind, _) = refused(b.spec(), "vs");
    assert!(
        matches!(kind, SpecErrorKind::MappingAboveUserTop { .. }),
        "{kind:?}"
    );
}

#[test]
fn ipc_buffer_must_be_mapped_where_it_is() {
    let mut spec = example(Arch::Aarch64);
    tcb_mut(&mut spec, "app.tcb")
        .ipc_buffer
        .as_mut()
        .unwrap()
        .vaddr = 0x82_0000;
    let (kind, text) = refused(&spec, "app.tcb");
    assert!(
        matches!(kind, SpecErrorKind::IpcBufferNotMapped { .. }),
        "{kind:?}"
    );
    assert_eq!(
        text,
        "object \"app.tcb\": ipc buffer frame \"app.ipc_buffer\" is not mapped at 0x820000 in vspace \"app.vspace\""
    );

    let mut spec = example(Arch::Aarch64);
    tcb_mut(&mut spec, "app.tcb")
        .ipc_buffer
        .as_mut()
        .unwrap()
        .vaddr = 0x81_0100;
    let (kind, _) = refused(&spec, "app.tcb");
    assert_eq!(
        kind,
        SpecErrorKind::MisalignedIpcBuffer { vaddr: 0x81_0100 }
    );

    // Within the page, at an aligned offset, is fine.
    let mut spec = example(Arch::Aarch64);
    tcb_mut(&mut spec, "app.tcb")
        .ipc_buffer
        .as_mut()
        .unwrap()
        .vaddr = 0x81_0400;
    spec.validate().unwrap();
}

#[test]
fn fault_endpoint_must_resolve_to_an_endpoint() {
    let spec = example(Arch::X86_64);
    let tcb = match &spec.get(spec.id_of("app.tcb").unwrap()).unwrap().object {
        Object::Tcb(t) => t.clone(),
        _ => unreachable!(),
    };
    let found = spec.resolve_cptr(&tcb.cspace, 3).unwrap().unwrap();
    assert_eq!(found.object, spec.id_of("app.fault_endpoint").unwrap());
    assert_eq!(spec.resolve_cptr(&tcb.cspace, 4).unwrap(), None);
    assert!(spec
        .resolve_cptr(&tcb.cspace, 1 << 63)
        .unwrap_err()
        .contains("guard mismatch"));

    let mut spec = example(Arch::X86_64);
    tcb_mut(&mut spec, "app.tcb").fault_endpoint = Some(10); // the shared frame
    let (kind, text) = refused(&spec, "app.tcb");
    assert!(
        matches!(kind, SpecErrorKind::BadFaultEndpoint { cptr: 10, .. }),
        "{kind:?}"
    );
    assert!(text.contains("it finds a cap to \"shared\""), "{text}");

    let mut spec = example(Arch::X86_64);
    tcb_mut(&mut spec, "app.tcb").fault_endpoint = Some(20);
    let (_, text) = refused(&spec, "app.tcb");
    assert!(text.ends_with("the slot is empty"), "{text}");
}

#[test]
fn two_level_cspaces_resolve() {
    let mut b = SpecBuilder::new(Arch::X86_64);
    let ep = b.add("ep", Object::Endpoint);
    let leaf = b.add(
        "leaf",
        Object::CNode(CNode {
            radix: 4,
            slots: vec![(9, Cap::new(ep))],
        }),
    );
    // Root: 8-bit guard 0xab, radix 4; slot 3 holds the leaf with a 48-bit zero guard.
    let root = b.add(
        "root",
        Object::CNode(CNode {
            radix: 4,
            slots: vec![(3, Cap::new(leaf).with_guard(0, 48))],
        }),
    );
    let spec = b.build().unwrap();
    let cspace = Cap::new(root).with_guard(0xab, 8);
    let cptr = 0xab << 56 | 3 << 52 | 9;
    assert_eq!(
        spec.resolve_cptr(&cspace, cptr).unwrap().map(|c| c.object),
        Some(ep)
    );
    assert!(spec.resolve_cptr(&cspace.with_guard(0, 4), cptr).is_err());
}

#[test]
fn fills_stay_inside_the_frame_and_the_blob() {
    let mut spec = tiny_spec();
    frame_mut(&mut spec, "frame").fill.push(FillEntry {
        offset: 0xfff,
        content: FillContent::Data(vec![1, 2]),
    });
    let (kind, _) = refused(&spec, "frame");
    assert_eq!(
        kind,
        SpecErrorKind::FillOutOfFrame {
            offset: 0xfff,
            len: 2,
            frame_size: 0x1000
        }
    );

    let mut spec = tiny_spec();
    frame_mut(&mut spec, "frame").fill.push(FillEntry {
        offset: 0x100,
        content: FillContent::Blob { start: 3, len: 3 },
    });
    let (kind, _) = refused(&spec, "frame");
    assert_eq!(
        kind,
        SpecErrorKind::FillOutsideBlob {
            start: 3,
            len: 3,
            blob_len: 5
        }
    );

    let mut spec = tiny_spec();
    frame_mut(&mut spec, "frame").fill[1].offset = 2;
    let (kind, _) = refused(&spec, "frame");
    assert_eq!(
        kind,
        SpecErrorKind::FillOverlap {
            offset: 2,
            previous_end: 3
        }
    );

    let mut spec = tiny_spec();
    frame_mut(&mut spec, "frame").fill[1].content = FillContent::Blob {
        start: u64::MAX,
        len: 2,
    };
    let (kind, _) = refused(&spec, "frame");
    assert!(
        matches!(kind, SpecErrorKind::FillOutsideBlob { .. }),
        "{kind:?}"
    );
}

#[test]
fn names_are_unique_and_present() {
    let mut spec = tiny_spec();
    spec.objects[2].name = "ep".into();
    let err = spec.validate().unwrap_err();
    assert_eq!(
        err.kind,
        SpecErrorKind::DuplicateName { first: ObjectId(0) }
    );
    assert_eq!(
        err.to_string(),
        "object \"ep\": the name is already used by object #0; names must be unique"
    );

    let mut spec = tiny_spec();
    spec.objects[1].name.clear();
    let err = spec.validate().unwrap_err();
    assert_eq!(
        (err.object.as_deref(), err.kind),
        (Some("#1"), SpecErrorKind::EmptyName)
    );
}

#[test]
fn at_most_four_arguments() {
    let mut spec = example(Arch::X86_64);
    tcb_mut(&mut spec, "app.tcb").args = vec![0; 5];
    let (kind, _) = refused(&spec, "app.tcb");
    assert_eq!(kind, SpecErrorKind::TooManyArgs { count: 5 });
}

#[test]
fn page_table_levels_exist() {
    let mut spec = Spec::new(Arch::X86_64);
    spec.objects.push(sysinit_spec::NamedObject {
        name: "pt".into(),
        object: Object::PageTable(PageTable {
            level: 4,
            slots: vec![],
        }),
    });
    let (kind, _) = refused(&spec, "pt");
    assert_eq!(kind, SpecErrorKind::BadTableLevel { level: 4 });
    assert_eq!(spec.objects[0].object.kernel_object(Arch::X86_64), None);
}

#[test]
fn kernel_objects_per_arch() {
    let table = |level| {
        Object::PageTable(PageTable {
            level,
            slots: vec![],
        })
    };
    let ty = |object: &Object, arch| object.kernel_object(arch).map(|k| k.ty);
    assert_eq!(ty(&table(1), Arch::X86_64), Some(ObjectType::X86Pdpt));
    assert_eq!(
        ty(&table(2), Arch::X86_64),
        Some(ObjectType::X86PageDirectory)
    );
    assert_eq!(ty(&table(3), Arch::X86_64), Some(ObjectType::PageTable));
    for level in 1..=3 {
        assert_eq!(
            ty(&table(level), Arch::Aarch64),
            Some(ObjectType::PageTable)
        );
    }
    assert_eq!(
        ty(&Object::VSpace(VSpace { slots: vec![] }), Arch::Aarch64),
        Some(ObjectType::VSpace)
    );
    assert_eq!(ty(&Object::Vcpu, Arch::Aarch64), Some(ObjectType::Vcpu));
    assert_eq!(ty(&Object::Vcpu, Arch::X86_64), None);
    let frame = Object::Frame(Frame {
        size_bits: 21,
        paddr: Some(0x20_0000),
        device: false,
        fill: vec![],
    });
    let k = frame.kernel_object(Arch::X86_64).unwrap();
    assert_eq!(
        (k.ty, k.size_arg, k.paddr),
        (ObjectType::LargePage, 0, Some(0x20_0000))
    );
    let cnode = Object::CNode(CNode {
        radix: 7,
        slots: vec![],
    });
    let k = cnode.kernel_object(Arch::X86_64).unwrap();
    assert_eq!((k.ty, k.size_arg), (ObjectType::CNode, 7));
    let irq = Object::Irq(Irq {
        source: IrqSource::Arm {
            irq: 1,
            edge_triggered: false,
        },
        notification: None,
    });
    assert_eq!(irq.kernel_object(Arch::Aarch64), None);
}

#[test]
fn builder_reports_conflicts() {
    let mut b = SpecBuilder::new(Arch::X86_64);
    let vspace = b.add("vs", Object::VSpace(VSpace { slots: vec![] }));
    let small = b.add(
        "small",
        Object::Frame(Frame {
            size_bits: 12,
            paddr: None,
            device: false,
            fill: vec![],
        }),
    );
    let large = b.add(
        "large",
        Object::Frame(Frame {
            size_bits: 21,
            paddr: None,
            device: false,
            fill: vec![],
        }),
    );
    b.map(vspace, 0x20_0000, Cap::new(small)).unwrap();
    let err = b.map(vspace, 0x20_0000, Cap::new(large)).unwrap_err();
    assert!(
        matches!(err.kind, SpecErrorKind::MappingConflict { .. }),
        "{err}"
    );
    let err = b.map(vspace, 0x20_1000, Cap::new(large)).unwrap_err();
    assert!(
        matches!(err.kind, SpecErrorKind::MisalignedVaddr { .. }),
        "{err}"
    );
    let err = b.map(vspace, 0x40_0000, Cap::new(vspace)).unwrap_err();
    assert!(matches!(err.kind, SpecErrorKind::NotAFrame { .. }), "{err}");
    let err = b.set_slot(small, 0, Cap::new(small)).unwrap_err();
    assert!(matches!(err.kind, SpecErrorKind::NoSlots { .. }), "{err}");
    b.map(vspace, 0x40_0000, Cap::new(large)).unwrap();
    let spec = b.build().unwrap();
    let frames: Vec<(u64, u8)> = spec
        .vspace_mappings(vspace)
        .iter()
        .filter(|m| m.is_frame)
        .map(|m| (m.vaddr, m.size_bits()))
        .collect();
    assert_eq!(frames, [(0x20_0000, 12), (0x40_0000, 21)]);
}

#[test]
fn walking_an_unvalidated_spec_does_not_panic() {
    // A chain of "page tables" with levels past the last one.
    let mut b = SpecBuilder::new(Arch::X86_64);
    let vspace = b.add("vs", Object::VSpace(VSpace { slots: vec![] }));
    let mut parent = vspace;
    for level in 1..=255u8 {
        let pt = b.add(
            format!("pt{level}"),
            Object::PageTable(PageTable {
                level,
                slots: vec![],
            }),
        );
        b.set_slot(parent, 0, Cap::new(pt)).unwrap();
        parent = pt;
    }
    let spec = b.spec();
    assert_eq!(spec.vspace_mappings(vspace).len(), 3);
    assert!(spec.validate().is_err());
    assert_eq!(sysinit_spec::entry_span_bits(200), 12);
}

#[test]
fn device_memory_needs_a_fixed_address() {
    let mut spec = example(Arch::X86_64);
    frame_mut(&mut spec, "app.stack0").device = true;
    let (kind, text) = refused(&spec, "app.stack0");
    assert_eq!(kind, SpecErrorKind::DeviceWithoutPaddr { what: "frame" });
    assert_eq!(
        text,
        "object \"app.stack0\": the frame is marked device memory but has no physical address; \
         device memory exists only where the board has it, so give the frame a \"paddr\" or mark \
         it RAM (\"device\": false)"
    );

    let mut spec = example(Arch::X86_64);
    *object_mut(&mut spec, "app.untyped") = Object::Untyped(Untyped {
        size_bits: 16,
        paddr: None,
        device: true,
    });
    let (kind, _) = refused(&spec, "app.untyped");
    assert_eq!(kind, SpecErrorKind::DeviceWithoutPaddr { what: "untyped" });

    // A fixed-address RAM frame is fine (a DMA buffer).
    let mut spec = example(Arch::X86_64);
    frame_mut(&mut spec, "driver.device_regs").device = false;
    spec.validate().unwrap();
}

#[test]
fn only_frame_caps_are_executable() {
    let mut spec = example(Arch::X86_64);
    cnode_mut(&mut spec, "app.cnode").slots[0].1.executable = true;
    let (kind, text) = refused(&spec, "app.cnode");
    assert!(
        matches!(kind, SpecErrorKind::BadCapAttribute { .. }),
        "{kind:?}"
    );
    assert!(
        text.ends_with("is marked executable, but only frame caps have an execute attribute"),
        "{text}"
    );
}
