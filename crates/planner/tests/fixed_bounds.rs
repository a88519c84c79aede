//! Fixed-address objects cost no more retypes than cutting or splitting alone, with the
//! bounds computed here from the addresses, not taken from the planner.
//!
//! Alone in a fresh untyped of 2^b bytes, an object at offset r (kernel-virtual, from
//! the untyped's base) takes `popcount(r) + 1` retypes by cutting the gap before it
//! into maximal aligned untypeds (one per set bit of r), and `b - ctz(r) + 1` by
//! halving down to its alignment (1 for r = 0). The retypes the plan spends on an
//! object are read from its steps: every retype that cuts memory off is charged to
//! the next fixed-address object created. Cases include the x86_64 device untyped
//! whose kernel-virtual image starts at 0 (physical 0x80_0000_0000) and fan-out
//! limits down to 1. Thousands of cases run in a second; `PROPTEST_CASES` sets more.

use proptest::prelude::*;
use sysinit_kobj::{Arch, BootUntyped, ObjectType};
use sysinit_planner::{plan_with, Creates, FixedCost, Plan, PlanConfig, Request};

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// Boot untypeds to put objects in: RAM, and device memory whose kernel-virtual
/// alignment differs from its physical one.
fn untypeds(arch: Arch) -> Vec<BootUntyped> {
    match arch {
        Arch::X86_64 => vec![
            BootUntyped {
                paddr: 0x10_0000,
                size_bits: 20,
                is_device: false,
            },
            // Kernel-virtual 0: aligned to 2^46 there, only to 2^39 physically.
            BootUntyped {
                paddr: 0x80_0000_0000,
                size_bits: 46,
                is_device: true,
            },
        ],
        Arch::Aarch64 => vec![
            BootUntyped {
                paddr: 0x4000_0000,
                size_bits: 24,
                is_device: false,
            },
            BootUntyped {
                paddr: 0x1000_0000,
                size_bits: 28,
                is_device: true,
            },
        ],
    }
}

/// Independent of the planner: the retypes charged to each fixed object, from the steps.
fn charged(requests: &[Request<'_>], plan: &Plan) -> Vec<Option<u32>> {
    let mut charged = vec![None; requests.len()];
    let mut pending = 0u32;
    for step in &plan.steps {
        match step.creates {
            Creates::Untypeds { .. } => pending += 1,
            Creates::Objects { first } => {
                let ids = &plan.object_order[first as usize..][..step.count as usize];
                for (k, &id) in ids.iter().enumerate() {
                    charged[id as usize] = Some(if k == 0 { pending + 1 } else { 0 });
                }
                pending = 0;
            }
        }
    }
    assert_eq!(pending, 0, "memory cut off after the last object");
    charged
}

fn check(arch: Arch, objects: &[(usize, u64, bool)], fan_out: u32) -> Result<(), TestCaseError> {
    let uts = untypeds(arch);
    let window = arch.kernel_window();
    // Non-overlapping fixed objects: (untyped, slot index, large page?).
    let mut taken: Vec<(u64, u64)> = Vec::new();
    let mut kinds: Vec<(ObjectType, u64, u8, bool)> = Vec::new();
    for &(u, slot, large) in objects {
        let ut = uts[u % uts.len()];
        let (ty, bits) = if large {
            (ObjectType::LargePage, 21)
        } else {
            (ObjectType::SmallPage, 12)
        };
        if bits > ut.size_bits {
            continue;
        }
        // Slots near the start and spread out, so offsets have few and many bits set.
        let slots = 1u64 << (ut.size_bits - bits);
        let offset = (slot % slots) << bits;
        let paddr = ut.paddr + offset;
        // Aligned in kernel-virtual space (the untyped's base is), which is all the kernel needs.
        let end = paddr + (1u64 << bits);
        if taken.iter().any(|&(s, e)| paddr < e && s < end) {
            continue;
        }
        taken.push((paddr, end));
        kinds.push((ty, paddr, bits, ut.is_device));
    }
    let names: Vec<String> = (0..kinds.len()).map(|i| format!("fixed{i}")).collect();
    let requests: Vec<Request<'_>> = kinds
        .iter()
        .zip(&names)
        .map(|(&(ty, paddr, _, device), name)| Request {
            name,
            ty,
            size_arg: 0,
            paddr: Some(paddr),
            device,
        })
        .collect();
    let plan = plan_with(
        arch,
        &uts,
        &requests,
        PlanConfig {
            fan_out_limit: fan_out,
        },
    )
    .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let charged = charged(&requests, &plan);
    for (id, r) in requests.iter().enumerate() {
        let paddr = r.paddr.unwrap();
        prop_assert_eq!(plan.placements[id], paddr, "{}", r.name);
        let ut = uts
            .iter()
            .find(|u| u.paddr <= paddr && paddr - u.paddr < u.size())
            .unwrap();
        let base = window.kva(ut.paddr);
        prop_assert_eq!(base & (ut.size() - 1), 0);
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
            "{} at offset {:#x} of 2^{}: {} retypes; cutting alone {}, splitting {}",
            r.name,
            offset,
            ut.size_bits,
            retypes,
            cut_alone,
            split_alone
        );
        prop_assert_eq!(
            plan.fixed_costs[id],
            FixedCost {
                object: id as u32,
                retypes,
                cut_alone,
                split_alone,
            }
        );
    }
    prop_assert_eq!(plan.fixed_costs.len(), requests.len());
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fixed_objects_never_cost_more_than_either_strategy_alone(
        arch in prop_oneof![Just(Arch::X86_64), Just(Arch::Aarch64)],
        objects in prop::collection::vec(
            (0usize..2, prop_oneof![0u64..64, any::<u64>()], prop::bool::weighted(0.1)),
            1..40,
        ),
        fan_out in prop_oneof![Just(1u32), Just(2), Just(256)],
    ) {
        check(arch, &objects, fan_out)?;
    }
}

/// The x86_64 field case: a frame at 0xe00_0000_0000 in the device untyped at
/// 0x80_0000_0000 (kernel-virtual 0). Offset 0xd80_0000_0000 has 4 bits set: cutting
/// takes 5 retypes, splitting 46 - 39 + 1 = 8.
#[test]
fn the_field_frame_costs_five_retypes() {
    let requests = [Request {
        name: "frame",
        ty: ObjectType::SmallPage,
        size_arg: 0,
        paddr: Some(0xe00_0000_0000),
        device: true,
    }];
    let plan = plan_with(
        Arch::X86_64,
        &untypeds(Arch::X86_64),
        &requests,
        PlanConfig::default(),
    )
    .unwrap();
    assert_eq!(charged(&requests, &plan)[0], Some(5));
    assert_eq!(plan.placements[0], 0xe00_0000_0000);
}
