//! Property tests: random memory maps -> the model's boot untyped list -> random object
//! sets, with and without fixed addresses -> plan -> boot on the kernel model.
//!
//! Every object must land where planned, inside its untyped, with no overlap. The
//! bounds the planner is held to are computed here, not taken from it: out of memory
//! only when the free RAM's aligned blocks cannot hold the objects ([`cannot_fit`]),
//! and no fixed-address object charged more retypes, read from the steps, than
//! cutting or splitting alone would take ([`check_fixed_costs`]).
//! CI runs the default case count below; for a longer local run:
//! `PROPTEST_CASES=50000 cargo test --release -p sysinit-sim --test planner_vs_model`.

use proptest::prelude::*;
use sysinit_kobj::{Arch, BootUntyped, ObjectType, PhysRange};
use sysinit_model::{boot_untypeds, BootMemory, Cap};
use sysinit_planner::{Creates, FixedCost, Plan, PlanError, Request};
use sysinit_sim::simulate;

/// A random machine: RAM ranges in ascending order (4 KiB aligned), and the arch.
#[derive(Debug, Clone)]
struct Machine {
    arch: Arch,
    ram: Vec<PhysRange>,
}

fn machine() -> impl Strategy<Value = Machine> {
    machine_of(4..2048)
}

/// A machine whose RAM ranges are `mib` MiB each (minus jitter).
fn machine_of(mib: std::ops::Range<u64>) -> impl Strategy<Value = Machine> {
    (
        prop_oneof![Just(Arch::X86_64), Just(Arch::Aarch64)],
        prop::collection::vec((1u64..64, mib), 1..4),
    )
        .prop_map(|(arch, parts)| {
            // (gap, size) in 1 MiB units above a per-arch base, plus a 4 KiB jitter that
            // makes the chunking uneven.
            let mut at = if arch == Arch::Aarch64 {
                0x4000_0000
            } else {
                0x10_0000
            };
            let mut ram = Vec::new();
            for (i, (gap, size)) in parts.into_iter().enumerate() {
                at += gap << 20;
                let jitter = (i as u64 * 0x3000) & 0xf_f000;
                ram.push(PhysRange::new(at + jitter, at + (size << 20)));
                at += size << 20;
            }
            Machine { arch, ram }
        })
}

fn untypeds(m: &Machine) -> Vec<BootUntyped> {
    let mem = BootMemory {
        reserved: m.ram.clone(),
        boot_reuse: None,
        free_ram: m.ram.clone(),
    };
    boot_untypeds(m.arch, &mem, 100_000)
        .expect("generated memory maps are valid")
        .untypeds
}

/// An ordinary object: (type, size argument).
fn ordinary(arch: Arch) -> impl Strategy<Value = (ObjectType, u8)> {
    let mut kinds = vec![
        (ObjectType::Tcb, 0u8),
        (ObjectType::Endpoint, 0),
        (ObjectType::Notification, 0),
        (ObjectType::SmallPage, 0),
        (ObjectType::PageTable, 0),
        (ObjectType::VSpace, 0),
        (ObjectType::AsidPool, 0),
    ];
    match arch {
        Arch::X86_64 => kinds.extend([(ObjectType::X86PageDirectory, 0), (ObjectType::X86Pdpt, 0)]),
        Arch::Aarch64 => kinds.push((ObjectType::Vcpu, 0)),
    }
    prop_oneof![
        8 => prop::sample::select(kinds),
        1 => (1u8..12).prop_map(|r| (ObjectType::CNode, r)),
        1 => (4u8..22).prop_map(|b| (ObjectType::Untyped, b)),
        1 => Just((ObjectType::LargePage, 0)),
    ]
}

/// A fixed-address object request: which untyped (index modulo the list), where in it
/// (a fraction), and its type.
fn fixed() -> impl Strategy<Value = (usize, u64, ObjectType, u8)> {
    (
        any::<usize>(),
        any::<u64>(),
        prop_oneof![
            6 => Just((ObjectType::SmallPage, 0u8)),
            1 => Just((ObjectType::LargePage, 0)),
            1 => (12u8..24).prop_map(|b| (ObjectType::Untyped, b)),
        ],
    )
        .prop_map(|(u, f, (t, a))| (u, f, t, a))
}

struct Case {
    names: Vec<String>,
    /// Type, size argument, fixed address, and whether that address is device memory.
    kinds: Vec<(ObjectType, u8, Option<u64>, bool)>,
}

impl Case {
    fn requests(&self) -> Vec<Request<'_>> {
        self.names
            .iter()
            .zip(&self.kinds)
            .map(|(n, &(ty, size_arg, paddr, device))| Request {
                name: n,
                ty,
                size_arg,
                paddr,
                device,
            })
            .collect()
    }
}

/// Builds the requests: fixed objects are put inside a chosen untyped at an aligned
/// offset, skipping any that would overlap an earlier one.
fn build_case(
    arch: Arch,
    uts: &[BootUntyped],
    ord: &[(ObjectType, u8)],
    fix: &[(usize, u64, ObjectType, u8)],
) -> Case {
    let mut kinds: Vec<(ObjectType, u8, Option<u64>, bool)> =
        ord.iter().map(|&(t, a)| (t, a, None, false)).collect();
    let mut taken: Vec<(u64, u64)> = Vec::new();
    for &(u, frac, ty, arg) in fix {
        let ut = uts[u % uts.len()];
        let bits = ty.size_bits(arch, arg).unwrap();
        if bits > ut.size_bits {
            continue;
        }
        let slots = 1u64 << (ut.size_bits - bits);
        let paddr = ut.paddr + ((frac % slots) << bits);
        let end = paddr + (1u64 << bits);
        if taken.iter().any(|&(s, e)| paddr < e && s < end) {
            continue;
        }
        taken.push((paddr, end));
        kinds.push((ty, arg, Some(paddr), ut.is_device));
    }
    let names = (0..kinds.len()).map(|i| format!("obj{i}")).collect();
    Case { names, kinds }
}

fn check(arch: Arch, uts: &[BootUntyped], case: &Case) -> Result<(), TestCaseError> {
    let requests = case.requests();
    let sizes: Vec<u8> = requests
        .iter()
        .map(|r| r.ty.size_bits(arch, r.size_arg).unwrap())
        .collect();
    let sim = match simulate(arch, uts, &requests) {
        Ok(sim) => sim,
        Err(sysinit_sim::SimError::Plan(e @ PlanError::OutOfMemory { .. })) => {
            // Only acceptable when the objects cannot fit however they are placed.
            prop_assert!(
                cannot_fit(arch, uts, &requests, &sizes).is_some(),
                "{e}, but the objects fit in the free RAM by size class"
            );
            return Ok(());
        }
        Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
    };
    if let Some(why) = cannot_fit(arch, uts, &requests, &sizes) {
        return Err(TestCaseError::fail(format!("planned, yet {why}")));
    }
    // Fixed objects are exactly where they were asked to be.
    for (id, r) in requests.iter().enumerate() {
        if let Some(p) = r.paddr {
            prop_assert_eq!(sim.plan.placements[id], p, "{}", r.name);
        }
    }
    // No two requested objects overlap, and each lies inside its parent untyped.
    let mut spans: Vec<(u64, u64)> = Vec::new();
    for &slot in &sim.executed.object_slots {
        let (paddr, bits, ty, parent) = match sim.model.cap(slot as usize) {
            Some(Cap::Object(o)) => (o.paddr, o.size_bits, o.ty, Some(o.parent)),
            Some(Cap::Untyped(u)) => (u.paddr, u.size_bits, ObjectType::Untyped, u.parent),
            _ => {
                return Err(TestCaseError::fail(format!(
                    "slot {slot} is empty or holds no retyped object"
                )))
            }
        };
        let parent = match parent.and_then(|p| sim.model.cap(p)) {
            Some(Cap::Untyped(u)) => *u,
            other => {
                return Err(TestCaseError::fail(format!(
                    "parent is not an untyped: {other:?}"
                )))
            }
        };
        let (start, end) = (paddr as u128, paddr as u128 + (1u128 << bits));
        prop_assert!(
            start >= parent.paddr as u128
                && end <= parent.paddr as u128 + (1u128 << parent.size_bits)
        );
        prop_assert!(!parent.is_device || ty.allowed_in_device_memory());
        spans.push((paddr, paddr + (1u64 << bits)));
    }
    spans.sort();
    for w in spans.windows(2) {
        prop_assert!(
            w[0].1 <= w[1].0,
            "objects overlap: {:x?} and {:x?}",
            w[0],
            w[1]
        );
    }
    prop_assert_eq!(spans.len(), requests.len());
    check_fixed_costs(arch, uts, &requests, &sim.plan)?;
    Ok(())
}

/// The bounds the planner promises for fixed-address objects, computed here from the
/// steps and the addresses alone: every retype before a fixed object's creation that
/// cuts memory off is charged to it, and no object may be charged more than cutting
/// (`popcount(offset) + 1`) or splitting (`bits - ctz(offset) + 1`) would take alone in
/// a fresh copy of its boot untyped, offsets taken in kernel-virtual space.
fn check_fixed_costs(
    arch: Arch,
    uts: &[BootUntyped],
    requests: &[Request<'_>],
    plan: &Plan,
) -> Result<(), TestCaseError> {
    let window = arch.kernel_window();
    let mut charged: Vec<Option<u32>> = vec![None; requests.len()];
    let last_fixed = plan.steps.iter().rposition(|s| match s.creates {
        Creates::Objects { first } => requests[plan.object_order[first as usize] as usize]
            .paddr
            .is_some(),
        Creates::Untypeds { .. } => false,
    });
    let mut pending = 0u32;
    for step in &plan.steps[..last_fixed.map_or(0, |i| i + 1)] {
        match step.creates {
            Creates::Untypeds { .. } => pending += 1,
            Creates::Objects { first } => {
                let ids = &plan.object_order[first as usize..][..step.count as usize];
                for (k, &id) in ids.iter().enumerate() {
                    prop_assert!(
                        requests[id as usize].paddr.is_some(),
                        "ordinary object {} created before the last fixed one",
                        requests[id as usize].name
                    );
                    charged[id as usize] = Some(if k == 0 { pending + 1 } else { 0 });
                }
                pending = 0;
            }
        }
    }
    prop_assert_eq!(pending, 0, "memory cut off after the last fixed object");
    let mut costs = plan.fixed_costs.iter();
    for (id, r) in requests.iter().enumerate() {
        let Some(paddr) = r.paddr else { continue };
        let ut = uts
            .iter()
            .find(|u| u.paddr <= paddr && paddr - u.paddr < u.size())
            .expect("fixed objects are built inside an untyped");
        let base = window.kva(ut.paddr);
        prop_assert_eq!(base & (ut.size() - 1), 0, "untyped {:x?} misaligned", ut);
        let offset = window.kva(paddr).wrapping_sub(base);
        let cut_alone = offset.count_ones() + 1;
        let split_alone = if offset == 0 {
            1
        } else {
            u32::from(ut.size_bits) - offset.trailing_zeros() + 1
        };
        let retypes = charged[id].expect("every fixed object is created");
        prop_assert!(
            retypes <= cut_alone.min(split_alone),
            "{} at offset {offset:#x} of a 2^{} untyped: {retypes} retypes, \
             cutting alone takes {cut_alone}, splitting {split_alone}",
            r.name,
            ut.size_bits
        );
        // The plan's own report of these figures must agree.
        let expected = FixedCost {
            object: id as u32,
            retypes,
            cut_alone,
            split_alone,
        };
        prop_assert_eq!(costs.next(), Some(&expected));
    }
    prop_assert_eq!(costs.next(), None);
    Ok(())
}

/// Why the objects cannot fit however they are placed, if they cannot.
///
/// Independent of the planner: the RAM left around the fixed-address objects is cut
/// into maximal aligned blocks (aligned in kernel-virtual space, as the kernel aligns);
/// an object of 2^s bytes fits only in a block of at least 2^s bytes, so for every
/// size s the ordinary objects of 2^s bytes and more must not need more than the
/// blocks of 2^s bytes and more hold. For power-of-two sizes in aligned blocks this is
/// also sufficient (largest first, every placement leaves aligned blocks), so whenever
/// it holds the planner must succeed.
fn cannot_fit(
    arch: Arch,
    uts: &[BootUntyped],
    requests: &[Request<'_>],
    sizes: &[u8],
) -> Option<String> {
    let window = arch.kernel_window();
    // Free blocks' size bits, in every RAM untyped.
    let mut blocks: Vec<u8> = Vec::new();
    for ut in uts.iter().filter(|u| !u.is_device) {
        let base = window.kva(ut.paddr);
        let mut taken: Vec<(u64, u64)> = requests
            .iter()
            .zip(sizes)
            .filter_map(|(r, &b)| r.paddr.map(|p| (p, b)))
            .filter(|&(p, _)| ut.paddr <= p && p - ut.paddr < ut.size())
            .map(|(p, b)| {
                let off = window.kva(p).wrapping_sub(base);
                (off, off + (1u64 << b))
            })
            .collect();
        taken.sort();
        let mut at = 0;
        for (start, end) in taken.into_iter().chain([(ut.size(), ut.size())]) {
            aligned_blocks(at, start, &mut blocks);
            at = at.max(end);
        }
    }
    let ordinary: Vec<u8> = requests
        .iter()
        .zip(sizes)
        .filter(|(r, _)| r.paddr.is_none())
        .map(|(_, &b)| b)
        .collect();
    for &s in &ordinary {
        let need: u128 = ordinary
            .iter()
            .filter(|&&b| b >= s)
            .map(|&b| 1u128 << b)
            .sum();
        let room: u128 = blocks
            .iter()
            .filter(|&&b| b >= s)
            .map(|&b| 1u128 << b)
            .sum();
        if need > room {
            return Some(format!(
                "objects of 2^{s} bytes and more need {need:#x} bytes, \
                 and the free blocks that can hold them have {room:#x}"
            ));
        }
    }
    None
}

/// Splits `[from, to)` into maximal blocks each aligned to its own size; pushes their size bits.
fn aligned_blocks(from: u64, to: u64, out: &mut Vec<u8>) {
    let mut at = from;
    while at < to {
        let align = if at == 0 { 63 } else { at.trailing_zeros() };
        let fit = 63 - (to - at).leading_zeros();
        let bits = align.min(fit);
        out.push(bits as u8);
        at += 1u64 << bits;
    }
}

/// 2000 cases each in CI; `PROPTEST_CASES` raises it for longer local runs.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn ordinary_objects_land_where_planned(
        m in machine(),
        ord in prop::collection::vec(ordinary(Arch::X86_64), 0..120),
    ) {
        let uts = untypeds(&m);
        let ord: Vec<_> = ord.into_iter().filter(|(t, _)| t.exists_on(m.arch)).collect();
        check(m.arch, &uts, &build_case(m.arch, &uts, &ord, &[]))?;
    }

    /// Small machines and big objects: about half the cases do not fit, and the
    /// planner must refuse exactly those.
    #[test]
    fn out_of_memory_only_when_nothing_could_fit(
        m in machine_of(1..12),
        ord in prop::collection::vec(
            prop_oneof![
                3 => (12u8..23).prop_map(|b| (ObjectType::Untyped, b)),
                1 => Just((ObjectType::LargePage, 0)),
                1 => Just((ObjectType::Tcb, 0)),
            ],
            1..40,
        ),
        fix in prop::collection::vec(fixed(), 0..6),
    ) {
        let uts = untypeds(&m);
        check(m.arch, &uts, &build_case(m.arch, &uts, &ord, &fix))?;
    }

    #[test]
    fn fixed_and_ordinary_objects_land_where_planned(
        m in machine(),
        ord in prop::collection::vec(ordinary(Arch::Aarch64), 0..60),
        fix in prop::collection::vec(fixed(), 1..24),
    ) {
        let uts = untypeds(&m);
        let ord: Vec<_> = ord.into_iter().filter(|(t, _)| t.exists_on(m.arch)).collect();
        check(m.arch, &uts, &build_case(m.arch, &uts, &ord, &fix))?;
    }
}
