//! The simulated root CNode is the real one: its size, less what seL4 fills at boot.
//! A system whose caps fill exactly the free slots boots; one more cap is refused
//! before anything runs, as the real root task would refuse it.

use sysinit_board::Board;
use sysinit_initializer::{requests, slots_needed};
use sysinit_kobj::{BootUntyped, RootCNodeAtBoot, ROOT_CNODE_SIZE_BITS};
use sysinit_model::boot_untypeds;
use sysinit_sim::{simulate_spec, simulate_spec_in, SimError};
use sysinit_spec::Spec;

fn example() -> Spec {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../specs/example-x86_64.json"
    );
    Spec::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn untypeds(board: &Board) -> Vec<BootUntyped> {
    let mem = board.boot_memory(board.default_ram_bytes()).unwrap();
    boot_untypeds(board.arch(), &mem, usize::MAX)
        .unwrap()
        .untypeds
}

#[test]
fn the_model_root_cnode_has_the_kernels_size() {
    let board = Board::by_name("qemu-x86_64").unwrap();
    let uts = untypeds(&board);
    let sim = simulate_spec(&example(), &uts).expect("boots");
    assert_eq!(sim.model.total_slots(), 1 << ROOT_CNODE_SIZE_BITS);
    let on_board =
        simulate_spec_in(&example(), &uts, board.root_cnode_at_boot(uts.len())).expect("boots");
    assert_eq!(on_board.model.total_slots(), 1 << ROOT_CNODE_SIZE_BITS);
}

#[test]
fn exactly_the_free_slots_boot_and_one_fewer_is_refused() {
    let board = Board::by_name("qemu-x86_64").unwrap();
    let uts = untypeds(&board);
    let spec = example();
    let (reqs, _) = requests(&spec);
    let plan = sysinit_planner::plan(spec.arch, &uts, &reqs).unwrap();
    let needed = slots_needed(&spec, &plan);
    // A root CNode of 2^12 slots whose root task image leaves exactly `needed` free.
    let mut root = RootCNodeAtBoot::new(12, (0x40_0000, 0x40_0000), 0, uts.len() as u64);
    root.image_frames = root.slots() - root.occupied() - 1 - needed;
    assert_eq!(root.free(), needed);
    let sim = simulate_spec_in(&spec, &uts, root).expect("fits exactly");
    assert_eq!(sim.model.total_slots(), 1 << 12);

    root.image_frames += 1;
    let Err(SimError::RootCNode(full)) = simulate_spec_in(&spec, &uts, root) else {
        panic!("one slot short must be refused");
    };
    assert_eq!(
        full.to_string(),
        format!(
            "the system needs {needed} root CNode slots, but only {} are free: the root CNode \
             has 2^12 = 4096 slots, seL4 fills {} at boot (16 initial caps, {} root task image \
             frames, 3 root task paging structures, 0 extra boot info frames, {} untypeds) and \
             the root task keeps 1 for frame fills; make the system smaller (fewer objects, \
             larger pages) or build the kernel with a larger KernelRootCNodeSizeBits",
            needed - 1,
            4096 - needed,
            root.image_frames,
            uts.len()
        )
    );
}
