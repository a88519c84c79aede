//! The initializer judged from outside: which kernel invocations it makes for small specs,
//! in which order, with which arguments, and which trace lines it emits for them.
//!
//! The kernel underneath is `fake::Fake`, a recording fake written for these tests alone
//! (not the kernel model of `crates/model`, which the simulator uses): it records every
//! call, places objects by the untyped watermark rule itself, and refuses what seL4
//! refuses outright, so the expectations below come from the spec and the kernel's
//! rules, not from the initializer's or the model's own bookkeeping.

mod fake;

use std::collections::{BTreeSet, VecDeque};

use fake::specs::{self, DEVICE, DEVICE_FRAME, IOAPIC_PIN_4, RAM};
use fake::{boot, layout, Call, Held, FIRST_UNTYPED, ROOT};
use sysinit_initializer::CapData;
use sysinit_kobj::{Arch, BootUntyped, ObjectType};
use sysinit_spec::{CNode, Object, Rights, Spec};
use sysinit_trace::Record;

/// The phase a call belongs to, in the order the initializer must run them.
fn phase(call: &Call) -> u8 {
    match call {
        Call::Retype { .. } | Call::FramePaddr { .. } => 0,
        Call::IrqGet { .. } | Call::IrqSetNotification { .. } | Call::IoPortsIssue { .. } => 1,
        // Badged copies of notifications go to IRQ handlers; plain copies of frames map.
        Call::Mint {
            cnode: ROOT,
            data: CapData::Badge(_),
            ..
        } => 1,
        Call::WriteFrame { .. } => 2,
        Call::Mint { cnode: ROOT, .. } => 3,
        Call::AsidAssign { .. } | Call::MapTable { .. } | Call::MapFrame { .. } => 3,
        Call::Mint { .. } => 4,
        Call::TcbConfigure { .. }
        | Call::SchedParams { .. }
        | Call::WriteRegisters { .. }
        | Call::BindNotification { .. }
        | Call::VcpuSetTcb { .. } => 5,
        Call::Resume { .. } => 6,
    }
}

fn system_boot() -> (Spec, fake::Boot) {
    let spec = specs::system();
    let run = boot(&spec, &[RAM, DEVICE], |_| {});
    if let Err(e) = &run.result {
        panic!("system boots on the fake: {e}");
    }
    (spec, run)
}

/// Objects and untypeds the recorded retypes made.
fn retyped_count(calls: &[Call]) -> u64 {
    calls
        .iter()
        .map(|c| match c {
            Call::Retype { count, .. } => u64::from(*count),
            _ => 0,
        })
        .sum()
}

fn slot_of(spec: &Spec, done: &sysinit_initializer::Initialized, name: &str) -> u64 {
    let id = spec.id_of(name).expect("object in spec");
    done.object_slots[id.index()].expect("object has a slot")
}

#[test]
fn one_frame_is_retyped_into_the_first_free_slot_then_read_back() {
    let untyped = BootUntyped {
        paddr: 0x20_0000,
        size_bits: 12,
        is_device: false,
    };
    let spec = specs::only(Arch::X86_64, &[("page", specs::frame(None))]);
    let run = boot(&spec, &[untyped], |_| {});
    let done = run.result.expect("boots");
    let retype = Call::Retype {
        src: FIRST_UNTYPED,
        ty: ObjectType::SmallPage,
        size_arg: 0,
        dest: 100,
        count: 1,
    };
    assert_eq!(run.fake.calls, [retype, Call::FramePaddr { frame: 100 }]);
    assert_eq!(done.object_slots, [Some(100)]);
    assert_eq!((done.invocations, done.slots_used), (2, 1));
}

#[test]
fn objects_of_one_type_are_made_by_one_retype_with_their_count() {
    // 256 bytes of CNode and 4 x 16 bytes of endpoints in 512 bytes: any split would
    // waste retypes; four equal objects need exactly one with count 4.
    let untyped = BootUntyped {
        paddr: 0x20_0000,
        size_bits: 9,
        is_device: false,
    };
    let cnode = Object::CNode(CNode {
        radix: 3,
        slots: Vec::new(),
    });
    let objects = [
        ("ep0", Object::Endpoint),
        ("cnode", cnode),
        ("ep1", Object::Endpoint),
        ("ep2", Object::Endpoint),
        ("ep3", Object::Endpoint),
    ];
    let spec = specs::only(Arch::X86_64, &objects);
    let run = boot(&spec, &[untyped], |_| {});
    let done = run.result.expect("boots");
    let retypes: Vec<_> = run
        .fake
        .calls
        .iter()
        .filter(|c| matches!(c, Call::Retype { .. }))
        .collect();
    assert_eq!(retypes.len(), 2, "{:?}", run.fake.calls);
    assert_eq!(
        run.fake.calls.len(),
        2,
        "no read-back for objects that are not frames"
    );
    assert!(run.fake.calls.contains(&Call::Retype {
        src: FIRST_UNTYPED,
        ty: ObjectType::CNode,
        size_arg: 3,
        dest: slot_of(&spec, &done, "cnode"),
        count: 1,
    }));
    let first_ep = ["ep0", "ep1", "ep2", "ep3"].map(|n| slot_of(&spec, &done, n));
    let low = *first_ep.iter().min().expect("four");
    assert!(run.fake.calls.contains(&Call::Retype {
        src: FIRST_UNTYPED,
        ty: ObjectType::Endpoint,
        size_arg: 0,
        dest: low,
        count: 4,
    }));
    // The four endpoints are the four slots that one retype filled, one each.
    let distinct: BTreeSet<_> = first_ep.iter().collect();
    assert_eq!(distinct.len(), 4);
    assert!(first_ep.iter().all(|s| (low..low + 4).contains(s)));
}

#[test]
fn phases_run_in_order_and_resume_comes_last() {
    let (_, run) = system_boot();
    let phases: Vec<u8> = run.fake.calls.iter().map(phase).collect();
    let mut sorted = phases.clone();
    sorted.sort();
    assert_eq!(
        phases, sorted,
        "calls out of phase order: {:#?}",
        run.fake.calls
    );
    let present: BTreeSet<u8> = phases.iter().copied().collect();
    assert_eq!(present, (0..=6).collect(), "every phase is exercised");
    assert!(matches!(run.fake.calls.last(), Some(Call::Resume { .. })));
}

#[test]
fn every_frame_is_read_back_right_after_its_retype_and_before_any_use() {
    let (_, run) = system_boot();
    let mut pending: VecDeque<u64> = VecDeque::new();
    let mut read_back = BTreeSet::new();
    let mut first_use = None;
    for (n, call) in run.fake.calls.iter().enumerate() {
        match *call {
            Call::Retype {
                ty, dest, count, ..
            } => {
                assert!(
                    pending.is_empty(),
                    "call {n}: retype before frames {pending:?} were read back"
                );
                if ty.is_frame() {
                    pending.extend(dest..dest + u64::from(count));
                }
            }
            Call::FramePaddr { frame } => {
                assert_eq!(
                    pending.pop_front(),
                    Some(frame),
                    "call {n}: read-back out of order"
                );
                read_back.insert(frame);
            }
            _ => {
                first_use.get_or_insert(n);
            }
        }
    }
    assert!(pending.is_empty());
    let first_use = first_use.expect("calls after the retypes");
    assert!(run.fake.calls[first_use..]
        .iter()
        .all(|c| !matches!(c, Call::Retype { .. } | Call::FramePaddr { .. })));
    // Every frame the kernel holds was read back, and every frame cap used (written,
    // mapped, made an IPC buffer) is one that was read back or a copy of one.
    let frames: BTreeSet<u64> = run
        .fake
        .slots
        .iter()
        .filter(|(_, h)| matches!(h, Held::Object { ty, .. } if ty.is_frame()))
        .map(|(&s, _)| s)
        .collect();
    let mut proven = read_back.clone();
    for call in &run.fake.calls[first_use..] {
        match *call {
            Call::Mint {
                cnode: ROOT,
                index,
                src,
                ..
            } if proven.contains(&src) => {
                proven.insert(index);
            }
            Call::WriteFrame { frame, .. } | Call::MapFrame { frame, .. } => {
                assert!(
                    proven.contains(&frame),
                    "{call:?} uses a frame never read back"
                );
            }
            Call::TcbConfigure {
                buffer: Some(frame),
                ..
            } => assert!(proven.contains(&frame)),
            _ => {}
        }
    }
    assert_eq!(
        frames, proven,
        "frames held vs frames read back (and their copies)"
    );
}

#[test]
fn retypes_fill_consecutive_slots_from_untypeds_that_exist() {
    let (_, run) = system_boot();
    let mut next = layout(0).first_free;
    let mut untypeds: BTreeSet<u64> = [FIRST_UNTYPED, FIRST_UNTYPED + 1].into();
    let mut derived = 0;
    for call in &run.fake.calls {
        if let Call::Retype {
            src,
            ty,
            dest,
            count,
            ..
        } = *call
        {
            assert_eq!(dest, next, "{call:?}");
            assert!(
                untypeds.contains(&src),
                "{call:?} retypes a slot that holds no untyped"
            );
            next += u64::from(count);
            if ty == ObjectType::Untyped {
                untypeds.extend(dest..next);
                derived += count;
            }
        }
    }
    // The device frame is not at the start of its untyped: reaching it takes cuts.
    assert!(
        derived > 0,
        "the fixed-address frame needs derived untypeds"
    );
}

#[test]
fn every_spec_object_ends_in_a_slot_holding_that_object() {
    let (spec, run) = system_boot();
    let done = run.result.as_ref().expect("boots");
    for (id, named) in spec.iter() {
        let slot = done.object_slots[id.index()].expect("every object here has a cap");
        let held = run.fake.slots[&slot];
        match named.object.kernel_object(spec.arch) {
            Some(k) => {
                let Held::Object {
                    ty,
                    size_arg,
                    paddr,
                } = held
                else {
                    panic!("{}: slot {slot} holds {held:?}", named.name);
                };
                assert_eq!((ty, size_arg), (k.ty, k.size_arg), "{}", named.name);
                if let Some(fixed) = k.paddr {
                    assert_eq!(paddr, fixed, "{}", named.name);
                }
            }
            None if matches!(named.object, Object::Irq(_)) => assert_eq!(held, Held::IrqHandler),
            None => assert_eq!(held, Held::IoPorts, "{}", named.name),
        }
    }
    let dev = slot_of(&spec, done, "dev");
    assert!(matches!(
        run.fake.slots[&dev],
        Held::Object {
            paddr: DEVICE_FRAME,
            ..
        }
    ));
}

#[test]
fn irq_and_ports_take_the_slots_after_the_retyped_objects() {
    let (spec, run) = system_boot();
    let done = run.result.as_ref().expect("boots");
    let handler = 100 + retyped_count(&run.fake.calls);
    let ntfn = slot_of(&spec, done, "irq.ntfn");
    let expected = [
        Call::IrqGet {
            irq: IOAPIC_PIN_4,
            dest: handler,
        },
        Call::Mint {
            cnode: ROOT,
            index: handler + 1,
            depth: 64,
            src: ntfn,
            rights: Rights::WRITE,
            data: CapData::Badge(1),
        },
        Call::IrqSetNotification {
            handler,
            ntfn: handler + 1,
        },
        Call::IoPortsIssue {
            first: 0x3f8,
            last: 0x3ff,
            dest: handler + 2,
        },
    ];
    let phase1: Vec<_> = run
        .fake
        .calls
        .iter()
        .filter(|c| phase(c) == 1)
        .cloned()
        .collect();
    assert_eq!(phase1, expected);
    assert_eq!(slot_of(&spec, done, "irq"), handler);
    assert_eq!(slot_of(&spec, done, "ports"), handler + 2);
}

#[test]
fn fills_are_written_before_mapping_and_second_mappings_use_copies() {
    let (spec, run) = system_boot();
    let done = run.result.as_ref().expect("boots");
    let code = slot_of(&spec, done, "pd.code");
    let writes: Vec<_> = run
        .fake
        .calls
        .iter()
        .filter(|c| phase(c) == 2)
        .cloned()
        .collect();
    assert_eq!(
        writes,
        [
            Call::WriteFrame {
                frame: code,
                size_bits: 12,
                offset: 0x10,
                data: vec![1, 2, 3]
            },
            Call::WriteFrame {
                frame: code,
                size_bits: 12,
                offset: 0x100,
                data: vec![9, 8, 7, 6, 5]
            },
        ]
    );
    let shared = slot_of(&spec, done, "shared");
    let (pd, other) = (
        slot_of(&spec, done, "pd.vspace"),
        slot_of(&spec, done, "other.vspace"),
    );
    let maps: Vec<_> = run
        .fake
        .calls
        .iter()
        .filter(|c| matches!(c, Call::MapFrame { .. } | Call::Mint { .. }) && phase(c) == 3)
        .cloned()
        .collect();
    // The copy takes the first slot after the retyped objects, the IRQ handler, its
    // notification copy and the port range.
    let copy = 100 + retyped_count(&run.fake.calls) + 3;
    let rw = Rights::READ_WRITE;
    assert_eq!(
        maps,
        [
            Call::MapFrame {
                frame: code,
                vspace: pd,
                vaddr: 0x40_0000,
                rights: Rights::READ,
                cached: true
            },
            Call::MapFrame {
                frame: slot_of(&spec, done, "pd.ipc"),
                vspace: pd,
                vaddr: 0x50_0000,
                rights: rw,
                cached: true
            },
            Call::MapFrame {
                frame: shared,
                vspace: pd,
                vaddr: 0x60_0000,
                rights: rw,
                cached: true
            },
            Call::MapFrame {
                frame: slot_of(&spec, done, "dev"),
                vspace: pd,
                vaddr: 0x70_0000,
                rights: rw,
                cached: false
            },
            Call::Mint {
                cnode: ROOT,
                index: copy,
                depth: 64,
                src: shared,
                rights: Rights::all(),
                data: CapData::None
            },
            Call::MapFrame {
                frame: copy,
                vspace: other,
                vaddr: 0x60_0000,
                rights: Rights::READ,
                cached: true
            },
        ]
    );
}

#[test]
fn each_address_space_gets_its_asid_then_tables_top_down_then_frames() {
    let (spec, run) = system_boot();
    let done = run.result.as_ref().expect("boots");
    for name in ["pd.vspace", "other.vspace"] {
        let vs = slot_of(&spec, done, name);
        let kinds: Vec<String> = run
            .fake
            .calls
            .iter()
            .filter_map(|c| match *c {
                Call::AsidAssign { vspace } if vspace == vs => Some("asid".to_string()),
                Call::MapTable { level, vspace, .. } if vspace == vs => {
                    Some(format!("table{level}"))
                }
                Call::MapFrame { vspace, .. } if vspace == vs => Some("frame".to_string()),
                _ => None,
            })
            .collect();
        // 0x40_0000..0x80_0000 spans two 2 MiB regions: one PDPT, one PD, two PTs.
        let frames = if name == "pd.vspace" { 4 } else { 1 };
        let tables: &[&str] = if name == "pd.vspace" {
            &["table1", "table2", "table3", "table3"]
        } else {
            &["table1", "table2", "table3"]
        };
        let mut expected = vec!["asid".to_string()];
        expected.extend(tables.iter().map(|t| t.to_string()));
        expected.extend(std::iter::repeat_n("frame".to_string(), frames));
        assert_eq!(kinds, expected, "{name}");
    }
}

#[test]
fn cnode_mints_carry_index_radix_badge_and_guard() {
    let (spec, run) = system_boot();
    let done = run.result.as_ref().expect("boots");
    let cnode = slot_of(&spec, done, "pd.cnode");
    let mints: Vec<_> = run
        .fake
        .calls
        .iter()
        .filter(|c| phase(c) == 4)
        .cloned()
        .collect();
    let all = Rights::all();
    assert_eq!(
        mints,
        [
            Call::Mint {
                cnode,
                index: 1,
                depth: 4,
                src: slot_of(&spec, done, "ep"),
                rights: Rights::WRITE,
                data: CapData::Badge(7)
            },
            Call::Mint {
                cnode,
                index: 2,
                depth: 4,
                src: slot_of(&spec, done, "irq.ntfn"),
                rights: all,
                data: CapData::Badge(0)
            },
            Call::Mint {
                cnode,
                index: 3,
                depth: 4,
                src: cnode,
                rights: all,
                data: CapData::Guard {
                    guard: 5,
                    guard_size: 4
                }
            },
        ]
    );
}

#[test]
fn threads_are_configured_with_their_caps_and_only_marked_ones_resume() {
    let (spec, run) = system_boot();
    let done = run.result.as_ref().expect("boots");
    let s = |n: &str| slot_of(&spec, done, n);
    let (pd, other) = (s("pd.tcb"), s("other.tcb"));
    let guard = CapData::Guard {
        guard: 0,
        guard_size: 60,
    };
    let threads: Vec<_> = run
        .fake
        .calls
        .iter()
        .filter(|c| phase(c) >= 5)
        .cloned()
        .collect();
    assert_eq!(
        threads,
        [
            Call::TcbConfigure {
                tcb: pd,
                fault_ep: 1,
                cspace: s("pd.cnode"),
                cspace_data: guard,
                vspace: s("pd.vspace"),
                buffer_vaddr: 0x50_0000,
                buffer: Some(s("pd.ipc"))
            },
            Call::SchedParams {
                tcb: pd,
                max_priority: 100,
                priority: 90
            },
            Call::WriteRegisters {
                tcb: pd,
                pc: 0x40_1000,
                sp: 0x80_0000,
                args: vec![11, 22]
            },
            Call::BindNotification {
                tcb: pd,
                ntfn: s("irq.ntfn")
            },
            Call::TcbConfigure {
                tcb: other,
                fault_ep: 0,
                cspace: s("pd.cnode"),
                cspace_data: guard,
                vspace: s("other.vspace"),
                buffer_vaddr: 0,
                buffer: None
            },
            Call::SchedParams {
                tcb: other,
                max_priority: 100,
                priority: 100
            },
            Call::WriteRegisters {
                tcb: other,
                pc: 0x40_1000,
                sp: 0x80_0000,
                args: vec![]
            },
            Call::Resume { tcb: pd },
        ]
    );
}

#[test]
fn a_vcpu_is_bound_after_its_thread_is_configured_on_aarch64() {
    let spec = specs::vcpu_system();
    let run = boot(&spec, &[RAM], |_| {});
    let done = run.result.as_ref().expect("boots");
    let (tcb, vcpu) = (
        slot_of(&spec, done, "guest.tcb"),
        slot_of(&spec, done, "vcpu"),
    );
    let tail: Vec<_> = run
        .fake
        .calls
        .iter()
        .filter(|c| phase(c) >= 5)
        .cloned()
        .collect();
    assert!(matches!(tail[0], Call::TcbConfigure { tcb: t, .. } if t == tcb));
    assert_eq!(
        tail[3..],
        [Call::VcpuSetTcb { vcpu, tcb }, Call::Resume { tcb }]
    );
    let source = sysinit_spec::IrqSource::Arm {
        irq: 33,
        edge_triggered: true,
    };
    let irqs: Vec<_> = run
        .fake
        .calls
        .iter()
        .filter(|c| phase(c) == 1)
        .cloned()
        .collect();
    assert_eq!(
        irqs,
        [Call::IrqGet {
            irq: source,
            dest: slot_of(&spec, done, "timer")
        }]
    );
}

#[test]
fn counts_match_the_calls_and_the_slots_filled() {
    let (_, run) = system_boot();
    let done = run.result.as_ref().expect("boots");
    assert_eq!(done.invocations, run.fake.calls.len() as u64);
    assert_eq!(
        done.executed.invocations,
        run.fake.calls.iter().filter(|c| phase(c) == 0).count() as u64
    );
    // Every slot the fake filled is in 100..100 + slots_used, and all of those are filled.
    let filled: Vec<u64> = run
        .fake
        .slots
        .keys()
        .copied()
        .filter(|&s| s >= 100)
        .collect();
    assert_eq!(filled, (100..100 + done.slots_used).collect::<Vec<_>>());
}

/// The retype lines the recorded calls call for, built from the fake's own facts.
fn expected_retype_lines(fake: &fake::Fake, arch: Arch) -> Vec<String> {
    let mut derived = Vec::new();
    let mut lines = Vec::new();
    let calls = &fake.calls;
    for (n, call) in calls.iter().enumerate() {
        let Call::Retype {
            src,
            ty,
            size_arg,
            dest,
            count,
        } = *call
        else {
            continue;
        };
        let source = match derived.iter().position(|&d| d == src) {
            Some(i) => format!("derived:{i}"),
            None => format!("boot:{}", src - FIRST_UNTYPED),
        };
        if ty == ObjectType::Untyped {
            derived.extend(dest..dest + u64::from(count));
        }
        let planned = match fake.slots[&dest] {
            Held::Object { paddr, .. } | Held::Untyped { paddr, .. } => paddr,
            other => panic!("retyped slot holds {other:?}"),
        };
        let actual = match calls.get(n + 1) {
            Some(Call::FramePaddr { .. }) => format!("{planned:#x}"),
            _ => "-".to_string(),
        };
        let bits = ty.size_bits(arch, size_arg).expect("size");
        let step = lines.len();
        lines.push(format!(
            "SYSINIT retype {step} src={source} type={} size_arg={size_arg} size_bits={bits} \
             count={count} planned={planned:#x} actual={actual}",
            ty.name()
        ));
    }
    lines
}

#[test]
fn retype_trace_lines_match_the_recorded_retypes() {
    let (spec, run) = system_boot();
    let lines: Vec<String> = run.trace.iter().map(ToString::to_string).collect();
    assert_eq!(lines, expected_retype_lines(&run.fake, spec.arch));
    for line in &lines {
        let parsed = Record::parse(line).expect("parses").expect("a trace line");
        assert_eq!(parsed.to_string(), *line);
    }
}

#[test]
fn one_frame_traces_one_exact_line_and_a_summary_of_its_calls() {
    let untyped = BootUntyped {
        paddr: 0x20_0000,
        size_bits: 12,
        is_device: false,
    };
    let spec = specs::only(Arch::Aarch64, &[("page", specs::frame(None))]);
    let run = boot(&spec, &[untyped], |_| {});
    let lines: Vec<String> = run.trace.iter().map(ToString::to_string).collect();
    assert_eq!(lines, ["SYSINIT retype 0 src=boot:0 type=frame_4k size_arg=0 size_bits=12 count=1 planned=0x200000 actual=0x200000"]);
    let summary = run.result.expect("boots").summary(Some(1234)).to_string();
    assert_eq!(summary, "SYSINIT summary objects=1 retypes=1 invocations=2 bytes_used=4096 bytes_lost=0 cycles=1234");
}

#[test]
fn the_summary_counts_what_the_fake_saw() {
    let (spec, run) = system_boot();
    let done = run.result.as_ref().expect("boots");
    let Record::Summary {
        objects,
        retypes,
        invocations,
        bytes_used,
        cycles,
        ..
    } = done.summary(None)
    else {
        panic!("not a summary");
    };
    let kernel_objects: Vec<_> = spec
        .iter()
        .filter_map(|(_, o)| o.object.kernel_object(spec.arch))
        .collect();
    let bytes: u64 = kernel_objects
        .iter()
        .map(|k| 1u64 << k.ty.size_bits(spec.arch, k.size_arg).expect("size"))
        .sum();
    let retype_calls = run
        .fake
        .calls
        .iter()
        .filter(|c| matches!(c, Call::Retype { .. }))
        .count();
    assert_eq!(
        (objects, retypes, invocations, bytes_used, cycles),
        (
            kernel_objects.len() as u64,
            retype_calls as u64,
            run.fake.calls.len() as u64,
            bytes,
            None
        )
    );
}
