//! The regression from the field: a device frame far above 4 GiB on x86_64.
//!
//! QEMU's x86_64 device space yields a boot untyped at physical 0x80_0000_0000
//! of 2^46 bytes, whose kernel-virtual address wraps to exactly 0. A frame is
//! required at 0xe00_0000_0000. Planned in kernel-virtual space it lands there;
//! planned by physical alignment, the kernel model puts it somewhere else.

use sysinit_kobj::{Arch, BootUntyped, ObjectType, PhysRange};
use sysinit_model::{boot_untypeds, BootMemory, KernelModel};
use sysinit_planner::{plan, Request, UntypedRef};
use sysinit_sim::simulate;

const DEVICE_UT: BootUntyped = BootUntyped {
    paddr: 0x80_0000_0000,
    size_bits: 46,
    is_device: true,
};
const TARGET: u64 = 0xe00_0000_0000;
const RAM_UT: BootUntyped = BootUntyped {
    paddr: 0x100_0000,
    size_bits: 24,
    is_device: false,
};

fn frame_at(paddr: u64) -> Request<'static> {
    Request {
        name: "ivshmem_bar",
        ty: ObjectType::SmallPage,
        size_arg: 0,
        paddr: Some(paddr),
        device: true,
    }
}

#[test]
fn the_kernel_model_derives_the_wrapping_device_untyped_from_a_qemu_memory_map() {
    // q35 with 512 MiB: RAM below 1 MiB and from 1 MiB; everything else is device space.
    let mem = BootMemory {
        reserved: vec![
            PhysRange::new(0, 0x9_fc00),
            PhysRange::new(0x10_0000, 0x2000_0000),
        ],
        boot_reuse: None,
        free_ram: vec![PhysRange::new(0x20_0000, 0x2000_0000)],
    };
    let list = boot_untypeds(Arch::X86_64, &mem, 1000)
        .expect("valid memory map")
        .untypeds;
    let at = list
        .iter()
        .position(|u| *u == DEVICE_UT)
        .expect("the 2^46 device untyped at 0x80_0000_0000");
    assert_eq!(
        Arch::X86_64.kernel_window().kva(DEVICE_UT.paddr),
        0,
        "its kernel VA wraps to 0"
    );
    // The device untyped before it ends exactly where it starts.
    let prev = list[at - 1];
    assert!(prev.is_device);
    assert_eq!(prev.paddr + prev.size(), DEVICE_UT.paddr);
}

#[test]
fn planned_in_kernel_virtual_space_the_frame_lands_exactly_on_its_address() {
    let untypeds = [DEVICE_UT, RAM_UT];
    let requests = [frame_at(TARGET)];
    let sim = simulate(Arch::X86_64, &untypeds, &requests).expect("plans and boots");
    let slot = sim.executed.object_slots[0] as usize;
    assert_eq!(sim.model.frame_paddr(slot).unwrap(), TARGET);
    // Cheaper than either pure strategy would be (or equal).
    let cost = sim.plan.fixed_costs[0];
    assert!(
        cost.retypes <= cost.cut_alone.min(cost.split_alone),
        "{cost:?}"
    );
    assert_eq!(cost.retypes as usize, sim.plan.steps.len());
}

/// What a planner that reasons in physical addresses does: cut the gap before the
/// target into pieces aligned *physically*, then retype the frame.
fn naive_physical_plan(untyped: BootUntyped, target: u64) -> Vec<(u8, u64)> {
    let mut steps = Vec::new();
    let mut w = untyped.paddr;
    while w < target {
        let bits = (w.trailing_zeros() as u8).min(63 - (target - w).leading_zeros() as u8);
        steps.push((bits, w));
        w += 1u64 << bits;
    }
    steps
}

#[test]
fn planned_by_physical_alignment_the_kernel_model_puts_the_frame_elsewhere() {
    let mut model = KernelModel::new(Arch::X86_64, &[DEVICE_UT], 10_000);
    let mut next = 1;
    let mut diverged_at = None;
    for (bits, believed) in naive_physical_plan(DEVICE_UT, TARGET) {
        match model.retype(0, ObjectType::Untyped, bits, next, 1) {
            Ok(done) => {
                if done.first_paddr != believed && diverged_at.is_none() {
                    diverged_at = Some((believed, done.first_paddr));
                }
                next += 1;
            }
            // Running out of room is another way of missing the target.
            Err(_) => break,
        }
    }
    let (believed, actual) = diverged_at.expect("the physical planner diverges from the kernel");
    assert_eq!(
        believed,
        0x80_0000_0000 + (1 << 39),
        "it believes the second piece is physically aligned"
    );
    assert_eq!(
        actual,
        0x80_0000_0000 + (1 << 40),
        "the kernel aligns the kernel VA, 2^39, up to 2^40"
    );
    let frame = model
        .retype(0, ObjectType::SmallPage, 0, next, 1)
        .map(|_| model.frame_paddr(next).unwrap());
    assert_ne!(
        frame,
        Ok(TARGET),
        "the frame must not land on the target by accident"
    );
}

#[test]
fn our_plan_cuts_in_kernel_virtual_space() {
    let p = plan(Arch::X86_64, &[DEVICE_UT], &[frame_at(TARGET)]).unwrap();
    // Every step draws from the device untyped or pieces of it, and the last creates the frame.
    let last = p.steps.last().unwrap();
    assert_eq!(last.ty, ObjectType::SmallPage);
    assert_eq!(last.paddr, TARGET);
    assert!(p
        .steps
        .iter()
        .all(|s| matches!(s.source, UntypedRef::Boot(0) | UntypedRef::Derived(_))));
    // Every piece cut off is still an untyped: nothing is lost to placeholders.
    assert_eq!(p.stats.bytes_lost_to_alignment, 0);
}
