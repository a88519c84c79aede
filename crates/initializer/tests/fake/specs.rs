//! Small specs for the tests, built with `SpecBuilder` so that they are validated.

use sysinit_kobj::{Arch, BootUntyped};
use sysinit_spec::{
    CNode, Cap, FillContent, FillEntry, Frame, IoPorts, IpcBuffer, Irq, IrqSource, Object,
    ObjectId, Rights, Spec, SpecBuilder, Tcb, VSpace,
};

/// 4 MiB of RAM at 16 MiB and 64 KiB of device memory at 0xfe00_0000.
pub const RAM: BootUntyped = BootUntyped {
    paddr: 0x100_0000,
    size_bits: 22,
    is_device: false,
};
pub const DEVICE: BootUntyped = BootUntyped {
    paddr: 0xfe00_0000,
    size_bits: 16,
    is_device: true,
};
/// Where the device frame of [`system`] must be.
pub const DEVICE_FRAME: u64 = 0xfe00_4000;
/// The IRQ of [`system`].
pub const IOAPIC_PIN_4: IrqSource = IrqSource::IoApic {
    ioapic: 0,
    pin: 4,
    level_triggered: false,
    active_low: false,
    vector: 4,
};

/// A 4 KiB frame; one at a fixed address is device memory (as the test machines'
/// fixed frames are).
pub fn frame(paddr: Option<u64>) -> Object {
    Object::Frame(Frame {
        size_bits: 12,
        paddr,
        device: paddr.is_some(),
        fill: Vec::new(),
    })
}

pub fn tcb(cspace: Cap, vspace: ObjectId, ipc: Option<(ObjectId, u64)>, resume: bool) -> Tcb {
    Tcb {
        cspace,
        vspace: Cap::new(vspace),
        ipc_buffer: ipc.map(|(frame, vaddr)| IpcBuffer {
            frame: Cap::new(frame),
            vaddr,
        }),
        fault_endpoint: None,
        bound_notification: None,
        vcpu: None,
        priority: 100,
        max_priority: 100,
        affinity: 0,
        entry: 0x40_1000,
        stack_pointer: 0x80_0000,
        args: Vec::new(),
        resume,
    }
}

/// One of everything the initializer does on x86_64: two address spaces sharing a
/// frame, a filled frame, a fixed-address device frame (which needs derived untypeds to
/// reach), a CNode with badged and guarded caps, two threads (one resumed), an IRQ with
/// a badged notification, and an I/O port range. Untypeds: [`RAM`], [`DEVICE`].
pub fn system() -> Spec {
    let mut b = SpecBuilder::new(Arch::X86_64);
    let ntfn = b.add("irq.ntfn", Object::Notification);
    let ep = b.add("ep", Object::Endpoint);
    let cnode = b.add(
        "pd.cnode",
        Object::CNode(CNode {
            radix: 4,
            slots: Vec::new(),
        }),
    );
    let vspace = b.add("pd.vspace", Object::VSpace(VSpace { slots: Vec::new() }));
    let blob = b.push_blob(&[9, 8, 7, 6, 5]);
    let code = b.add(
        "pd.code",
        Object::Frame(Frame {
            size_bits: 12,
            paddr: None,
            device: false,
            fill: vec![
                FillEntry {
                    offset: 0x10,
                    content: FillContent::Data(vec![1, 2, 3]),
                },
                FillEntry {
                    offset: 0x100,
                    content: blob,
                },
            ],
        }),
    );
    let ipc = b.add("pd.ipc", frame(None));
    let shared = b.add("shared", frame(None));
    let dev = b.add("dev", frame(Some(DEVICE_FRAME)));
    let other = b.add("other.vspace", Object::VSpace(VSpace { slots: Vec::new() }));
    let cspace = Cap::new(cnode).with_guard(0, 60);
    let mut pd = tcb(cspace, vspace, Some((ipc, 0x50_0000)), true);
    pd.fault_endpoint = Some(1);
    pd.bound_notification = Some(Cap::new(ntfn));
    pd.args = vec![11, 22];
    pd.priority = 90;
    b.add("pd.tcb", Object::Tcb(pd));
    b.add("other.tcb", Object::Tcb(tcb(cspace, other, None, false)));
    let badged = Some(Cap::new(ntfn).with_badge(1).with_rights(Rights::WRITE));
    b.add(
        "irq",
        Object::Irq(Irq {
            source: IOAPIC_PIN_4,
            notification: badged,
        }),
    );
    b.add(
        "ports",
        Object::IoPorts(IoPorts {
            first: 0x3f8,
            last: 0x3ff,
        }),
    );
    let ok = |r: Result<(), sysinit_spec::SpecError>| r.expect("test spec");
    ok(b.set_slot(
        cnode,
        1,
        Cap::new(ep).with_rights(Rights::WRITE).with_badge(7),
    ));
    ok(b.set_slot(cnode, 2, Cap::new(ntfn)));
    ok(b.set_slot(cnode, 3, Cap::new(cnode).with_guard(5, 4)));
    ok(b.map(vspace, 0x40_0000, Cap::new(code).with_rights(Rights::READ)));
    ok(b.map(
        vspace,
        0x50_0000,
        Cap::new(ipc).with_rights(Rights::READ_WRITE),
    ));
    ok(b.map(
        vspace,
        0x60_0000,
        Cap::new(shared).with_rights(Rights::READ_WRITE),
    ));
    ok(b.map(
        vspace,
        0x70_0000,
        Cap::new(dev).with_rights(Rights::READ_WRITE).uncached(),
    ));
    ok(b.map(other, 0x60_0000, Cap::new(shared).with_rights(Rights::READ)));
    b.build().expect("valid test spec")
}

/// A thread with a VCPU and an Arm IRQ, on aarch64, in [`RAM`].
pub fn vcpu_system() -> Spec {
    let mut b = SpecBuilder::new(Arch::Aarch64);
    let cnode = b.add(
        "cnode",
        Object::CNode(CNode {
            radix: 2,
            slots: Vec::new(),
        }),
    );
    let vspace = b.add("vspace", Object::VSpace(VSpace { slots: Vec::new() }));
    let vcpu = b.add("vcpu", Object::Vcpu);
    let mut t = tcb(Cap::new(cnode).with_guard(0, 62), vspace, None, true);
    t.vcpu = Some(Cap::new(vcpu));
    b.add("guest.tcb", Object::Tcb(t));
    let source = IrqSource::Arm {
        irq: 33,
        edge_triggered: true,
    };
    b.add(
        "timer",
        Object::Irq(Irq {
            source,
            notification: None,
        }),
    );
    b.build().expect("valid test spec")
}

/// `objects` alone, unconnected, validated.
pub fn only(arch: Arch, objects: &[(&str, Object)]) -> Spec {
    let mut b = SpecBuilder::new(arch);
    for (name, object) in objects {
        b.add(*name, object.clone());
    }
    b.build().expect("valid test spec")
}
