//! The full initializer and the end-state check never panic, even on specs that break
//! the validator's rules (the initializer's precondition): they return errors.

use proptest::prelude::*;
use sysinit_board::Board;
use sysinit_model::boot_untypeds;
use sysinit_sim::simulate_spec;
use sysinit_spec::{Cap, Object, ObjectId, Spec};

fn example() -> Spec {
    let path = format!(
        "{}/../../specs/example-x86_64.json",
        env!("CARGO_MANIFEST_DIR")
    );
    Spec::from_json(&std::fs::read_to_string(path).expect("example")).expect("valid")
}

/// Every cap of the spec, mutably, in a fixed order.
fn caps_mut(spec: &mut Spec) -> Vec<&mut Cap> {
    let mut out = Vec::new();
    for named in &mut spec.objects {
        match &mut named.object {
            Object::CNode(c) => out.extend(c.slots.iter_mut().map(|(_, cap)| cap)),
            Object::VSpace(v) => out.extend(v.slots.iter_mut().map(|(_, cap)| cap)),
            Object::PageTable(t) => out.extend(t.slots.iter_mut().map(|(_, cap)| cap)),
            Object::Tcb(t) => {
                out.push(&mut t.cspace);
                out.push(&mut t.vspace);
                out.extend(t.ipc_buffer.as_mut().map(|b| &mut b.frame));
                out.extend(t.bound_notification.as_mut());
            }
            Object::Irq(i) => out.extend(i.notification.as_mut()),
            _ => {}
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn broken_specs_give_errors_not_panics(
        retarget in proptest::collection::vec((any::<u16>(), any::<u16>()), 1..6),
        guard_size in 0u8..80,
        badge in any::<u64>(),
    ) {
        let mut spec = example();
        let len = spec.objects.len() as u32;
        let mut caps = caps_mut(&mut spec);
        let n = caps.len();
        for (which, target) in retarget {
            let cap = &mut caps[usize::from(which) % n];
            cap.object = ObjectId(u32::from(target) % (len + 2));
            cap.guard_size = guard_size;
            cap.badge = badge;
        }
        let board = Board::by_name("qemu-x86_64").expect("board");
        let mem = board.boot_memory(board.default_ram_bytes()).expect("memory");
        let untypeds = boot_untypeds(board.arch(), &mem, usize::MAX).expect("untypeds").untypeds;
        let _ = simulate_spec(&spec, &untypeds).map(|s| s.invocations);
    }
}
