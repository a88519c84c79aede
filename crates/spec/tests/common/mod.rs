//! Specs shared by the integration tests: the example systems committed in
//! `specs/` and a tiny spec for byte-level tests.
#![allow(dead_code)] // each test file uses a different part

use std::path::PathBuf;

use sysinit_spec::{
    Arch, CNode, Cap, FillContent, FillEntry, Frame, IoPorts, IpcBuffer, Irq, IrqSource, Object,
    ObjectId, Rights, Spec, SpecBuilder, Tcb, Untyped, VSpace,
};

/// Root of the repository (the workspace directory).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether the test run should rewrite committed generated files instead of comparing them.
pub fn blessing() -> bool {
    std::env::var_os("SYSINIT_BLESS").is_some_and(|v| v == "1")
}

/// Compares `generated` with the committed file at `path` (relative to the
/// repository root), or rewrites it when blessing.
pub fn check_generated(path: &str, generated: &[u8]) {
    let full = repo_root().join(path);
    if blessing() {
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, generated).unwrap();
        return;
    }
    let committed = std::fs::read(&full).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    assert!(
        committed == generated,
        "{path} differs from what the test helpers generate; if the change is intended, \
         rerun with SYSINIT_BLESS=1 and commit the result"
    );
}

/// The smallest valid spec with a bit of everything that has bytes: one
/// endpoint, a CNode holding it, and a frame filled from data and the blob.
pub fn tiny_spec() -> Spec {
    let mut b = SpecBuilder::new(Arch::X86_64);
    let ep = b.add("ep", Object::Endpoint);
    let cnode = b.add(
        "cnode",
        Object::CNode(CNode {
            radix: 2,
            slots: vec![(1, Cap::new(ep).with_rights(Rights::WRITE).with_badge(7))],
        }),
    );
    let blob = b.push_blob(b"blob!");
    b.add(
        "frame",
        Object::Frame(Frame {
            size_bits: 12,
            paddr: None,
            device: false,
            fill: vec![
                FillEntry {
                    offset: 0,
                    content: FillContent::Data(vec![1, 2, 3]),
                },
                FillEntry {
                    offset: 16,
                    content: blob,
                },
            ],
        }),
    );
    let _ = cnode;
    b.build().expect("tiny spec is valid")
}

/// Virtual layout shared by both protection domains of the examples.
mod layout {
    pub const TEXT: u64 = 0x40_0000;
    pub const DATA: u64 = 0x40_2000;
    pub const STACK_TOP: u64 = 0x80_0000;
    pub const STACK_PAGES: u64 = 2;
    pub const IPC_BUFFER: u64 = 0x81_0000;
    pub const SHARED: u64 = 0x100_0000;
    pub const DEVICE_4K: u64 = 0x2000_0000;
    pub const DEVICE_2M: u64 = 0x4000_0000;
}

/// CSpace slots both protection domains use (radix 5, guard 59 bits of 0,
/// so a CPtr is simply the slot number).
mod slots {
    pub const ENDPOINT: u32 = 1;
    pub const NOTIFICATION: u32 = 2;
    pub const FAULT_ENDPOINT: u32 = 3;
    pub const IRQ_HANDLER: u32 = 4;
    pub const IO_PORTS: u32 = 5;
    pub const OWN_TCB: u32 = 6;
    pub const OWN_CNODE: u32 = 7;
    pub const OWN_VSPACE: u32 = 8;
    pub const UNTYPED: u32 = 9;
    pub const SHARED_FRAME: u32 = 10;
}

const CNODE_RADIX: u8 = 5;

/// Deterministic stand-in for program text: a NOP sled ending in a jump to
/// itself, so the bytes are at least plausible code for the architecture.
fn program_text(arch: Arch, len: usize) -> Vec<u8> {
    let (nop, spin): (&[u8], &[u8]) = match arch {
        Arch::X86_64 => (&[0x90], &[0xeb, 0xfe]), // nop; jmp .
        Arch::Aarch64 => (&[0x1f, 0x20, 0x03, 0xd5], &[0x00, 0x00, 0x00, 0x14]), // nop; b .
    };
    let mut text: Vec<u8> = nop.iter().copied().cycle().take(len - spin.len()).collect();
    text.extend_from_slice(spin);
    text
}

struct Pd {
    name: &'static str,
    tcb: ObjectId,
    cnode: ObjectId,
    vspace: ObjectId,
}

/// One protection domain: CNode, VSpace, program text and data, stack and
/// IPC buffer, and a TCB that starts at the text.
fn add_pd(b: &mut SpecBuilder, name: &'static str, priority: u8, data_fill: &[u8]) -> Pd {
    let arch = b.spec().arch;
    let cnode = b.add(
        format!("{name}.cnode"),
        Object::CNode(CNode {
            radix: CNODE_RADIX,
            slots: vec![],
        }),
    );
    let vspace = b.add(
        format!("{name}.vspace"),
        Object::VSpace(VSpace { slots: vec![] }),
    );
    let frame = |fill| {
        Object::Frame(Frame {
            size_bits: 12,
            paddr: None,
            device: false,
            fill,
        })
    };

    // Text: the first page from the blob, the second with a small inline header.
    let text = program_text(arch, 0x1200);
    let first = b.push_blob(&text[..0x1000]);
    let rest = b.push_blob(&text[0x1000..]);
    let text0 = b.add(
        format!("{name}.text0"),
        frame(vec![FillEntry {
            offset: 0,
            content: first,
        }]),
    );
    let text1 = b.add(
        format!("{name}.text1"),
        frame(vec![FillEntry {
            offset: 0,
            content: rest,
        }]),
    );
    let data = b.add(
        format!("{name}.data"),
        frame(vec![FillEntry {
            offset: 0x10,
            content: FillContent::Data(data_fill.to_vec()),
        }]),
    );
    // Text is read-only and executable; every other mapping is execute-never.
    let rx = Rights::READ;
    b.map(
        vspace,
        layout::TEXT,
        Cap::new(text0).with_rights(rx).executable(),
    )
    .unwrap();
    b.map(
        vspace,
        layout::TEXT + 0x1000,
        Cap::new(text1).with_rights(rx).executable(),
    )
    .unwrap();
    b.map(
        vspace,
        layout::DATA,
        Cap::new(data).with_rights(Rights::READ_WRITE),
    )
    .unwrap();
    for page in 0..layout::STACK_PAGES {
        let stack = b.add(format!("{name}.stack{page}"), frame(vec![]));
        let vaddr = layout::STACK_TOP - (layout::STACK_PAGES - page) * 0x1000;
        b.map(
            vspace,
            vaddr,
            Cap::new(stack).with_rights(Rights::READ_WRITE),
        )
        .unwrap();
    }
    let ipc = b.add(format!("{name}.ipc_buffer"), frame(vec![]));
    b.map(
        vspace,
        layout::IPC_BUFFER,
        Cap::new(ipc).with_rights(Rights::READ_WRITE),
    )
    .unwrap();

    let cspace = Cap::new(cnode).with_guard(0, 64 - CNODE_RADIX);
    let tcb = b.add(
        format!("{name}.tcb"),
        Object::Tcb(Tcb {
            cspace,
            vspace: Cap::new(vspace),
            ipc_buffer: Some(IpcBuffer {
                frame: Cap::new(ipc),
                vaddr: layout::IPC_BUFFER,
            }),
            fault_endpoint: None,
            bound_notification: None,
            vcpu: None,
            priority,
            max_priority: priority,
            affinity: 0,
            entry: layout::TEXT,
            stack_pointer: layout::STACK_TOP,
            args: vec![layout::IPC_BUFFER, layout::SHARED],
            resume: true,
        }),
    );
    b.set_slot(cnode, slots::OWN_TCB, Cap::new(tcb)).unwrap();
    b.set_slot(cnode, slots::OWN_CNODE, cspace).unwrap();
    b.set_slot(cnode, slots::OWN_VSPACE, Cap::new(vspace))
        .unwrap();
    Pd {
        name,
        tcb,
        cnode,
        vspace,
    }
}

fn tcb_mut<'a>(b: &'a mut SpecBuilder, pd: &Pd) -> &'a mut Tcb {
    match b.object_mut(pd.tcb) {
        Some(Object::Tcb(tcb)) => tcb,
        _ => unreachable!("{}.tcb is a TCB", pd.name),
    }
}

/// The example system of `specs/example-<arch>.json`.
///
/// Two protection domains: `app` calls `driver` over an endpoint (badged
/// per sender), kicks it through a notification, and shares a page with it;
/// `driver` owns the device frames and the UART interrupt and receives
/// `app`'s faults.
pub fn example(arch: Arch) -> Spec {
    let mut b = SpecBuilder::new(arch);
    let app = add_pd(&mut b, "app", 100, b"app initial data");
    let driver = add_pd(&mut b, "driver", 150, b"driver initial data");

    // Shared page: both map it read-write at the same address, both hold a cap to it.
    let shared = b.add(
        "shared",
        Object::Frame(Frame {
            size_bits: 12,
            paddr: None,
            device: false,
            fill: vec![],
        }),
    );
    for pd in [&app, &driver] {
        b.map(
            pd.vspace,
            layout::SHARED,
            Cap::new(shared).with_rights(Rights::READ_WRITE),
        )
        .unwrap();
        b.set_slot(
            pd.cnode,
            slots::SHARED_FRAME,
            Cap::new(shared).with_rights(Rights::READ_WRITE),
        )
        .unwrap();
    }

    // Calls from app to driver: app may send (badged) and accept a reply cap grant.
    let endpoint = b.add("ipc.endpoint", Object::Endpoint);
    let send = Rights {
        write: true,
        grant_reply: true,
        ..Rights::NONE
    };
    let receive = Rights {
        read: true,
        grant: true,
        ..Rights::NONE
    };
    b.set_slot(
        app.cnode,
        slots::ENDPOINT,
        Cap::new(endpoint).with_rights(send).with_badge(0x61),
    )
    .unwrap();
    b.set_slot(
        driver.cnode,
        slots::ENDPOINT,
        Cap::new(endpoint).with_rights(receive),
    )
    .unwrap();

    // Faults of app go to driver, badged so driver can tell them from calls.
    let fault = b.add("app.fault_endpoint", Object::Endpoint);
    b.set_slot(
        app.cnode,
        slots::FAULT_ENDPOINT,
        Cap::new(fault).with_rights(send).with_badge(0xfa),
    )
    .unwrap();
    b.set_slot(
        driver.cnode,
        slots::FAULT_ENDPOINT,
        Cap::new(fault).with_rights(receive),
    )
    .unwrap();
    tcb_mut(&mut b, &app).fault_endpoint = Some(u64::from(slots::FAULT_ENDPOINT));

    // driver waits on one notification for its interrupt (badge 1) and for kicks from app (badge 2).
    let notification = b.add("driver.notification", Object::Notification);
    tcb_mut(&mut b, &driver).bound_notification =
        Some(Cap::new(notification).with_rights(Rights::READ));
    b.set_slot(
        app.cnode,
        slots::NOTIFICATION,
        Cap::new(notification)
            .with_rights(Rights::WRITE)
            .with_badge(2),
    )
    .unwrap();

    // app gets 64 KiB of untyped memory of its own.
    let untyped = b.add(
        "app.untyped",
        Object::Untyped(Untyped {
            size_bits: 16,
            paddr: None,
            device: false,
        }),
    );
    b.set_slot(app.cnode, slots::UNTYPED, Cap::new(untyped))
        .unwrap();

    let device = |b: &mut SpecBuilder, name: &str, size_bits: u8, paddr: u64| {
        b.add(
            name,
            Object::Frame(Frame {
                size_bits,
                paddr: Some(paddr),
                device: true,
                fill: vec![],
            }),
        )
    };
    let (device_4k, device_2m, irq_source) = match arch {
        Arch::X86_64 => {
            // Registers of a device far above 4 GiB, and a 2 MiB BAR higher still.
            let regs = device(&mut b, "driver.device_regs", 12, 0xe00_0000_0000);
            let bar = device(&mut b, "driver.device_bar", 21, 0xf00_0020_0000);
            // COM1: I/O ports 0x3f8..=0x3ff and I/O APIC 0 pin 4.
            let ports = b.add(
                "driver.com1_ports",
                Object::IoPorts(IoPorts {
                    first: 0x3f8,
                    last: 0x3ff,
                }),
            );
            b.set_slot(driver.cnode, slots::IO_PORTS, Cap::new(ports))
                .unwrap();
            let source = IrqSource::IoApic {
                ioapic: 0,
                pin: 4,
                level_triggered: false,
                active_low: false,
                vector: 4,
            };
            (regs, bar, source)
        }
        Arch::Aarch64 => {
            // QEMU virt: the PL011 UART, and the high PCIe MMIO window at 512 GiB.
            let uart = device(&mut b, "driver.pl011", 12, 0x900_0000);
            let pcie = device(&mut b, "driver.pcie_mmio", 21, 0x80_0000_0000);
            // The PL011 is SPI 1, interrupt 33, level triggered.
            (
                uart,
                pcie,
                IrqSource::Arm {
                    irq: 33,
                    edge_triggered: false,
                },
            )
        }
    };
    let rw_uncached = |frame| Cap::new(frame).with_rights(Rights::READ_WRITE).uncached();
    b.map(driver.vspace, layout::DEVICE_4K, rw_uncached(device_4k))
        .unwrap();
    b.map(driver.vspace, layout::DEVICE_2M, rw_uncached(device_2m))
        .unwrap();
    let irq = b.add(
        "driver.uart_irq",
        Object::Irq(Irq {
            source: irq_source,
            notification: Some(
                Cap::new(notification)
                    .with_rights(Rights::WRITE)
                    .with_badge(1),
            ),
        }),
    );
    b.set_slot(driver.cnode, slots::IRQ_HANDLER, Cap::new(irq))
        .unwrap();

    b.build()
        .unwrap_or_else(|e| panic!("the {arch} example is invalid: {e}"))
}

/// Path of the committed example for `arch`, relative to the repository root.
pub fn example_path(arch: Arch) -> String {
    format!("specs/example-{}.json", arch.name())
}
