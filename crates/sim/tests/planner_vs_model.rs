//! Property tests: random memory maps -> the model's boot untyped list -> random object
//! sets, with and without fixed addresses -> plan -> boot on the kernel model.
//!
//! Every object must land where planned, inside its untyped, with no overlap.
//! CI runs the default case count below; for a longer local run:
//! `PROPTEST_CASES=50000 cargo test --release -p sysinit-sim --test planner_vs_model`.

use proptest::prelude::*;
use sysinit_kobj::{Arch, BootUntyped, ObjectType, PhysRange};
use sysinit_model::{boot_untypeds, BootMemory, Cap};
use sysinit_planner::{PlanError, Request};
use sysinit_sim::simulate;

/// A random machine: RAM ranges in ascending order (4 KiB aligned), and the arch.
#[derive(Debug, Clone)]
struct Machine {
    arch: Arch,
    ram: Vec<PhysRange>,
}

fn machine() -> impl Strategy<Value = Machine> {
    (
        prop_oneof![Just(Arch::X86_64), Just(Arch::Aarch64)],
        prop::collection::vec((1u64..64, 4u64..2048), 1..4),
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
        Err(sysinit_sim::SimError::Plan(PlanError::OutOfMemory { .. })) => {
            // Only acceptable when the ordinary objects really do not fit.
            let need: u64 = requests
                .iter()
                .zip(&sizes)
                .filter(|(r, _)| r.paddr.is_none())
                .map(|(_, &b)| 1u64 << b)
                .sum();
            let ram: u64 = uts.iter().filter(|u| !u.is_device).map(|u| u.size()).sum();
            prop_assert!(
                need * 2 > ram,
                "out of memory with {need:#x} bytes needed of {ram:#x}"
            );
            return Ok(());
        }
        Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
    };
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
    // No fixed object costs more retypes than the cheaper pure strategy would alone.
    for c in &sim.plan.fixed_costs {
        prop_assert!(c.retypes <= c.cut_alone.min(c.split_alone), "{:?}", c);
    }
    let reach: u64 = sim
        .plan
        .fixed_costs
        .iter()
        .map(|c| u64::from(c.retypes))
        .sum();
    let creates = sim
        .plan
        .steps
        .iter()
        .filter(|s| s.purpose == sysinit_planner::Purpose::ReachFixed)
        .count() as u64;
    prop_assert_eq!(
        reach,
        creates
            + sim
                .plan
                .fixed_costs
                .iter()
                .filter(|c| c.retypes > 0)
                .count() as u64
    );
    Ok(())
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
