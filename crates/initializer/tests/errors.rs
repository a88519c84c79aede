//! The initializer's refusals and failures judged from outside: a frame that is not where
//! the plan put it, a kernel error at every single call, and specs refused before the
//! kernel is touched. In each case the error must be exact (object, operation, addresses)
//! and nothing may be invoked after the failing call.
//!
//! The kernel underneath is `fake::Fake`, a recording fake written for these tests alone
//! and independent of the kernel model in `crates/model`: it records every call and fails
//! the call, or misreports the frame address, that a test's script names.

mod fake;

use fake::specs::{self, DEVICE, DEVICE_FRAME, RAM};
use fake::{boot, layout, names_by_slot, Call, Fake, FakeError, Held, FIRST_UNTYPED, ROOT};
use sysinit_initializer::{initialize, requests, CapData, InitError};
use sysinit_kobj::{Arch, BootUntyped};
use sysinit_planner::{PlanError, UntypedRef};
use sysinit_spec::{Frame, Irq, IrqSource, Object, Spec};

const PAGE_UNTYPED: BootUntyped = BootUntyped {
    paddr: 0x20_0000,
    size_bits: 12,
    is_device: false,
};

fn injected(call: usize) -> FakeError {
    FakeError { call, misuse: None }
}

#[test]
fn a_misplaced_frame_stops_the_boot_at_its_read_back() {
    let spec = specs::only(Arch::X86_64, &[("page", specs::frame(None))]);
    let run = boot(&spec, &[PAGE_UNTYPED], |f| {
        f.misplace = Some((1, 0x20_1000))
    });
    let error = run.result.expect_err("misplaced frame");
    assert_eq!(
        error.to_string(),
        "frame \"page\" from boot untyped 0 (step 0) is at physical \
        address 0x201000, but the plan put it at 0x200000; refusing to map it"
    );
    assert_eq!(
        error,
        InitError::FrameMisplaced {
            step: 0,
            object: 0,
            name: "page".into(),
            source: UntypedRef::Boot(0),
            planned: 0x20_0000,
            actual: 0x20_1000,
        }
    );
    assert_eq!(
        run.fake.calls.len(),
        2,
        "nothing after the read-back: {:?}",
        run.fake.calls
    );
    assert!(run.trace.is_empty(), "no trace line for a step that failed");
}

#[test]
fn a_misplaced_second_frame_of_a_step_names_its_own_planned_address() {
    let untyped = BootUntyped {
        size_bits: 13,
        ..PAGE_UNTYPED
    };
    let frames = [("a", specs::frame(None)), ("b", specs::frame(None))];
    let spec = specs::only(Arch::X86_64, &frames);
    // Calls: the retype of both, read-back of the first, read-back of the second.
    let run = boot(&spec, &[untyped], |f| f.misplace = Some((2, 0x30_0000)));
    assert!(matches!(
        run.fake.calls[0],
        Call::Retype {
            count: 2,
            dest: 100,
            ..
        }
    ));
    assert_eq!(
        run.fake.calls[1..],
        [
            Call::FramePaddr { frame: 100 },
            Call::FramePaddr { frame: 101 }
        ]
    );
    let Err(InitError::FrameMisplaced {
        step,
        object,
        planned,
        actual,
        ..
    }) = run.result
    else {
        panic!("expected a misplaced frame, got {:?}", run.result);
    };
    assert_eq!((step, planned, actual), (0, 0x20_1000, 0x30_0000));
    assert!(object < 2);
}

#[test]
fn a_misplaced_device_frame_stops_before_anything_is_mapped() {
    let spec = specs::system();
    let ok = boot(&spec, &[RAM, DEVICE], |_| {});
    let device_slot = |f: &Fake| {
        f.slots
            .iter()
            .find(|(_, h)| {
                matches!(
                    h,
                    Held::Object {
                        paddr: DEVICE_FRAME,
                        ..
                    }
                )
            })
            .map(|(&s, _)| s)
    };
    let slot = device_slot(&ok.fake).expect("device frame made");
    let n = ok
        .fake
        .calls
        .iter()
        .position(|c| *c == Call::FramePaddr { frame: slot })
        .expect("read back");
    let run = boot(&spec, &[RAM, DEVICE], |f| {
        f.misplace = Some((n, DEVICE_FRAME + 0x1000))
    });
    let Err(InitError::FrameMisplaced {
        object,
        source,
        planned,
        actual,
        ..
    }) = run.result
    else {
        panic!("expected a misplaced frame, got {:?}", run.result);
    };
    assert_eq!((planned, actual), (DEVICE_FRAME, DEVICE_FRAME + 0x1000));
    // The untyped named is the one the retype that made the frame invoked.
    let made_by = ok.fake.calls[..n].iter().rev().find_map(|c| match c {
        Call::Retype { src, .. } => Some(*src),
        _ => None,
    });
    match made_by.expect("a retype before the read-back") {
        src if src == FIRST_UNTYPED + 1 => assert_eq!(source, UntypedRef::Boot(1)),
        _ => assert!(matches!(source, UntypedRef::Derived(_)), "{source:?}"),
    }
    assert_eq!(
        requests(&spec).1[object as usize],
        spec.id_of("dev").expect("dev")
    );
    assert_eq!(run.fake.calls, ok.fake.calls[..=n]);
    assert!(run
        .fake
        .calls
        .iter()
        .all(|c| matches!(c, Call::Retype { .. } | Call::FramePaddr { .. })));
}

#[test]
fn a_misplaced_frame_is_named_by_its_spec_name() {
    let source = IrqSource::Arm {
        irq: 40,
        edge_triggered: false,
    };
    let objects = [
        (
            "uart.irq",
            Object::Irq(Irq {
                source,
                notification: None,
            }),
        ),
        ("uart.regs", specs::frame(None)),
    ];
    let spec = specs::only(Arch::Aarch64, &objects);
    let run = boot(&spec, &[PAGE_UNTYPED], |f| {
        f.misplace = Some((1, 0x20_1000))
    });
    let message = run.result.expect_err("misplaced").to_string();
    assert!(message.contains("\"uart.regs\""), "{message}");
}

#[test]
fn a_failed_read_back_is_named_by_the_frame() {
    let spec = specs::only(Arch::X86_64, &[("page", specs::frame(None))]);
    let run = boot(&spec, &[PAGE_UNTYPED], |f| f.fail_at = Some(1));
    let message = run.result.expect_err("read-back fails").to_string();
    assert!(message.contains("\"page\""), "{message}");
}

#[test]
fn retype_and_read_back_failures_say_which_step_and_slot() {
    let spec = specs::only(Arch::X86_64, &[("page", specs::frame(None))]);
    let run = boot(&spec, &[PAGE_UNTYPED], |f| f.fail_at = Some(0));
    let error = run.result.expect_err("retype fails");
    assert_eq!(
        error.to_string(),
        "retype step 0 failed: 1 x frame_4k (size_arg 0) from boot \
        untyped 0 (slot 5) planned at 0x200000: injected failure of call 0"
    );
    assert_eq!(run.fake.calls.len(), 1);

    let run = boot(&spec, &[PAGE_UNTYPED], |f| f.fail_at = Some(1));
    let error = run.result.expect_err("read-back fails");
    assert_eq!(
        error,
        InitError::ReadBack {
            step: 0,
            slot: 100,
            name: "page".into(),
            error: injected(1)
        }
    );
    assert_eq!(
        error.to_string(),
        "reading back the address of frame \"page\" (slot 100, step 0) \
        failed: injected failure of call 1"
    );
    assert_eq!(run.fake.calls.len(), 2);
    assert!(run.trace.is_empty());
}

/// The operation and object `initialize` must report when call `n` of `calls` (a
/// successful boot's calls) fails, for calls after the retype phase.
fn expected_invocation(
    calls: &[Call],
    n: usize,
    names: &std::collections::BTreeMap<u64, String>,
) -> (String, &'static str) {
    let name = |slot: &u64| {
        names
            .get(slot)
            .cloned()
            .unwrap_or_else(|| panic!("no name for slot {slot}"))
    };
    match &calls[n] {
        Call::IrqGet { dest, .. } => (name(dest), "IRQControl_Get"),
        Call::Mint {
            cnode: ROOT,
            data: CapData::Badge(_),
            ..
        } => {
            // Named for the IRQ, whose handler the next call gives the copy to.
            let Call::IrqSetNotification { handler, .. } = &calls[n + 1] else {
                panic!("a badged root copy is for an IRQ handler");
            };
            (
                name(handler),
                "CNode_Mint (badged notification for the IRQ)",
            )
        }
        Call::IrqSetNotification { handler, .. } => (name(handler), "IRQHandler_SetNotification"),
        Call::IoPortsIssue { dest, .. } => (name(dest), "IOPortControl_Issue"),
        Call::WriteFrame { frame, .. } => (name(frame), "frame write"),
        Call::AsidAssign { vspace } => (name(vspace), "ASIDPool_Assign"),
        Call::MapTable { table, .. } => (name(table), "PageTable_Map"),
        Call::Mint {
            cnode: ROOT, src, ..
        } => (
            name(src),
            "CNode_Mint (copy of a frame for another mapping)",
        ),
        Call::MapFrame { frame, .. } => (name(frame), "Page_Map"),
        Call::Mint { cnode, .. } => (name(cnode), "CNode_Mint"),
        Call::TcbConfigure { tcb, .. } => (name(tcb), "TCB_Configure"),
        Call::SchedParams { tcb, .. } => (name(tcb), "TCB_SetSchedParams"),
        Call::WriteRegisters { tcb, .. } => (name(tcb), "TCB_WriteRegisters"),
        Call::BindNotification { tcb, .. } => (name(tcb), "TCB_BindNotification"),
        Call::VcpuSetTcb { tcb, .. } => (name(tcb), "VCPU_SetTCB"),
        Call::Resume { tcb } => (name(tcb), "TCB_Resume"),
        Call::Retype { .. } | Call::FramePaddr { .. } => unreachable!("retype phase"),
    }
}

/// Fails each call of a successful boot of `spec` in turn and checks the error and that
/// the boot stopped right there.
fn every_call_failing_in_turn(spec: &Spec, untypeds: &[BootUntyped]) {
    let ok = boot(spec, untypeds, |_| {});
    let done = ok.result.as_ref().expect("boots");
    let names = names_by_slot(spec, &done.object_slots, &ok.fake.calls);
    for n in 0..ok.fake.calls.len() {
        let run = boot(spec, untypeds, |f| f.fail_at = Some(n));
        let error = run.result.expect_err("the injected failure is reported");
        assert_eq!(
            run.fake.calls,
            ok.fake.calls[..=n],
            "call {n}: the boot went on after the failure"
        );
        let steps_done = ok.fake.calls[..n]
            .iter()
            .filter(|c| matches!(c, Call::Retype { .. }))
            .count();
        match &ok.fake.calls[n] {
            Call::Retype {
                src,
                ty,
                size_arg,
                dest,
                count,
            } => {
                let InitError::Retype {
                    step,
                    detail,
                    src_slot,
                    error,
                } = &error
                else {
                    panic!("call {n}: {error:?}");
                };
                assert_eq!(
                    (*step as usize, *src_slot, error),
                    (steps_done, *src, &injected(n))
                );
                let planned = match ok.fake.slots[dest] {
                    Held::Object { paddr, .. } | Held::Untyped { paddr, .. } => paddr,
                    other => panic!("{other:?}"),
                };
                assert_eq!(
                    (detail.ty, detail.size_arg, detail.count, detail.paddr),
                    (*ty, *size_arg, *count, planned)
                );
                assert_eq!(
                    run.trace,
                    ok.trace[..steps_done],
                    "call {n}: one line per finished step"
                );
            }
            Call::FramePaddr { frame } => {
                let expected = InitError::ReadBack {
                    step: steps_done as u32 - 1,
                    slot: *frame,
                    name: names[frame].clone(),
                    error: injected(n),
                };
                assert_eq!(error, expected, "call {n}");
                assert_eq!(
                    run.trace,
                    ok.trace[..steps_done - 1],
                    "call {n}: the step did not finish"
                );
            }
            _ => {
                let (object, op) = expected_invocation(&ok.fake.calls, n, &names);
                let message =
                    format!("setting up \"{object}\" ({op}): injected failure of call {n}");
                assert_eq!(error.to_string(), message);
                assert_eq!(
                    error,
                    InitError::Invocation {
                        object,
                        op,
                        error: injected(n)
                    }
                );
                assert_eq!(run.trace, ok.trace, "call {n}: every retype line, no more");
            }
        }
    }
}

#[test]
fn a_kernel_error_at_any_call_of_a_system_is_reported_and_ends_the_boot() {
    every_call_failing_in_turn(&specs::system(), &[RAM, DEVICE]);
}

#[test]
fn a_kernel_error_at_any_call_of_a_vcpu_system_is_reported_and_ends_the_boot() {
    every_call_failing_in_turn(&specs::vcpu_system(), &[RAM]);
}

#[test]
fn a_spec_too_big_for_memory_invokes_nothing() {
    let big = Object::Frame(Frame {
        size_bits: 21,
        paddr: None,
        device: false,
        fill: Vec::new(),
    });
    let spec = specs::only(Arch::X86_64, &[("small", specs::frame(None)), ("big", big)]);
    let run = boot(
        &spec,
        &[
            PAGE_UNTYPED,
            BootUntyped {
                paddr: 0x40_0000,
                ..PAGE_UNTYPED
            },
        ],
        |_| {},
    );
    let error = run.result.expect_err("refused");
    let InitError::Plan(PlanError::OutOfMemory { name, .. }) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(name, "big");
    assert!(
        error.to_string().starts_with(
            "no allocation plan, nothing was created: out of memory for size class 21"
        ),
        "{error}"
    );
    assert_eq!((run.fake.calls, run.trace), (vec![], vec![]));
}

#[test]
fn a_fixed_address_outside_every_untyped_invokes_nothing() {
    let spec = specs::only(Arch::Aarch64, &[("uart", specs::frame(Some(0x900_0000)))]);
    let run = boot(&spec, &[RAM, DEVICE], |_| {});
    let error = run.result.expect_err("refused");
    assert!(
        matches!(&error, InitError::Plan(PlanError::OutsideUntypeds { name, paddr: 0x900_0000, .. }) if name == "uart"),
        "{error:?}"
    );
    assert!(run.fake.calls.is_empty());
}

#[test]
fn a_device_frame_the_machine_has_ram_for_invokes_nothing() {
    // The spec was built for a machine with a device here; this one has RAM there
    // (booted with more RAM than the image was built for).
    let spec = specs::only(Arch::X86_64, &[("bar", specs::frame(Some(RAM.paddr)))]);
    let run = boot(&spec, &[RAM, DEVICE], |_| {});
    let error = run.result.expect_err("refused");
    assert!(
        matches!(
            &error,
            InitError::Plan(PlanError::MemoryKindMismatch { .. })
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("object 'bar': the spec says device memory at"),
        "{error}"
    );
    assert_eq!((run.fake.calls, run.trace), (vec![], vec![]));
}

#[test]
fn an_asid_pool_in_the_spec_invokes_nothing() {
    let spec = specs::only(
        Arch::X86_64,
        &[("ep", Object::Endpoint), ("pool", Object::AsidPool)],
    );
    let run = boot(&spec, &[RAM], |_| {});
    let error = run.result.expect_err("refused");
    assert_eq!(
        error,
        InitError::AsidPoolInSpec {
            object: "pool".to_string()
        }
    );
    assert!(
        error.to_string().starts_with("\"pool\" is an ASID pool;"),
        "{error}"
    );
    assert!(run.fake.calls.is_empty());
}

/// The initializer sets no affinity; a thread asking for CPU 7 would run on CPU 0.
#[test]
fn a_thread_on_another_cpu_invokes_nothing() {
    let mut spec = specs::system();
    for named in &mut spec.objects {
        if let Object::Tcb(t) = &mut named.object {
            if named.name == "other.tcb" {
                t.affinity = 7;
            }
        }
    }
    spec.validate()
        .expect("the spec format allows any affinity");
    let run = boot(&spec, &[RAM, DEVICE], |_| {});
    let error = run.result.expect_err("refused");
    assert_eq!(
        error.to_string(),
        "\"other.tcb\" asks for CPU 7; sysinit starts every thread on CPU 0 (it supports \
         single-core kernels only), so give it affinity 0"
    );
    assert!(run.fake.calls.is_empty());
    assert!(run.trace.is_empty());
}

#[test]
fn one_slot_too_few_invokes_nothing_and_exactly_enough_boots() {
    let spec = specs::system();
    let untypeds = [RAM, DEVICE];
    let ok = boot(&spec, &untypeds, |_| {});
    // Slots needed, counted from the spec and the fake: every kernel object, every
    // untyped cut on the way, the IRQ handler and its badged notification copy, the
    // port range, and one copy for the frame mapped twice.
    let objects = spec
        .iter()
        .filter(|(_, o)| o.object.kernel_object(spec.arch).is_some())
        .count() as u64;
    let cut: u64 = ok
        .fake
        .calls
        .iter()
        .map(|c| match c {
            Call::Retype {
                ty: sysinit_kobj::ObjectType::Untyped,
                count,
                ..
            } => u64::from(*count),
            _ => 0,
        })
        .sum();
    let needed = objects + cut + 2 + 1 + 1;
    let run = |free: u64| {
        let mut fake = Fake::new(spec.arch, &untypeds);
        let result = initialize(&spec, &untypeds, layout(free), &mut fake, |_| {});
        (result, fake.calls)
    };
    let (result, calls) = run(needed - 1);
    assert_eq!(
        result.expect_err("too few"),
        InitError::OutOfSlots {
            needed,
            available: needed - 1
        }
    );
    assert!(calls.is_empty());
    let (result, calls) = run(needed);
    assert_eq!(result.expect("exactly enough").slots_used, needed);
    assert_eq!(calls, ok.fake.calls);
}
