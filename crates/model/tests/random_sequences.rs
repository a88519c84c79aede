//! Random retype/delete sequences: the model never panics, and what it creates is sane.

use proptest::prelude::*;
use sysinit_kobj::{is_aligned, Arch, BootUntyped, ObjectType, PhysRange};
use sysinit_model::{boot_untypeds, BootMemory, Cap, KernelModel};

const SLOTS: usize = 40;

/// A few real boot untypeds per arch, chosen for their awkward places: the x86_64
/// device untypeds just below and at kernel VA 0, small ones, and plain RAM.
fn boot_list(arch: Arch) -> Vec<BootUntyped> {
    let mem = match arch {
        Arch::X86_64 => BootMemory {
            reserved: vec![
                PhysRange::new(0, 0x9fc00),
                PhysRange::new(0x10_0000, 0x7ffe_0000),
            ],
            boot_reuse: Some(PhysRange::new(0x10_0000, 0x10_3000)),
            free_ram: vec![PhysRange::new(0x80_0000, 0x7ffe_0000)],
        },
        Arch::Aarch64 => BootMemory {
            reserved: vec![PhysRange::new(0x4000_0000, 0x8000_0000)],
            boot_reuse: None,
            free_ram: vec![PhysRange::new(0x4000_1010, 0x8000_0000)],
        },
    };
    let all = boot_untypeds(arch, &mem, usize::MAX).unwrap().untypeds;
    let wanted = |u: &BootUntyped| {
        u.size_bits <= 13
            || u.paddr == 0x40_0000_0000
            // x86_64: kernel VA 0; aarch64: the 2^40 chunk at kernel VA 2^40.
            || u.paddr == 0x80_0000_0000
            || u.paddr == 0
            || (!u.is_device && u.size_bits >= 23)
    };
    all.into_iter().filter(wanted).take(12).collect()
}

/// A slot chosen either among those of a kind (by index, modulo their number) or raw.
#[derive(Clone, Copy, Debug)]
enum Pick {
    /// The n-th live untyped (source) or the n-th empty slot (destination).
    Fitting(usize),
    /// Any slot number, including empty, occupied and out-of-range ones.
    Raw(usize),
}

#[derive(Clone, Debug)]
enum Op {
    Retype {
        src: Pick,
        ty: ObjectType,
        size_arg: u8,
        dest: Pick,
        count: u32,
    },
    Delete {
        slot: Pick,
    },
}

fn pick() -> impl Strategy<Value = Pick> {
    prop_oneof![
        5 => any::<usize>().prop_map(Pick::Fitting),
        1 => (0..SLOTS + 2).prop_map(Pick::Raw),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let retype = (
        pick(),
        prop::sample::select(ObjectType::ALL.to_vec()),
        // Sizes of 2^40 and up are where kernel-virtual and physical alignment differ
        // (both arches' kernel window offsets are multiples of 2^39 only).
        prop_oneof![4 => 0u8..=24, 1 => 36u8..=47, 1 => any::<u8>()],
        pick(),
        prop_oneof![6 => 1u32..=6, 1 => 0u32..=300],
    )
        .prop_map(|(src, ty, size_arg, dest, count)| Op::Retype {
            src,
            ty,
            size_arg,
            dest,
            count,
        });
    prop_oneof![3 => retype, 1 => pick().prop_map(|slot| Op::Delete { slot })]
}

/// Resolves a pick against the model: `Fitting` chooses among the slots `fits` accepts.
fn resolve(m: &KernelModel, pick: Pick, fits: impl Fn(Option<&Cap>) -> bool) -> usize {
    match pick {
        Pick::Raw(slot) => slot,
        Pick::Fitting(n) => {
            let fitting: Vec<usize> = (0..m.total_slots()).filter(|&s| fits(m.cap(s))).collect();
            if fitting.is_empty() {
                n % (SLOTS + 2)
            } else {
                fitting[n % fitting.len()]
            }
        }
    }
}

/// `[kva, kva + size)` as a range that cannot overflow (size-aligned caps end at or below 2^64).
fn span(cap: &Cap) -> (u128, u128) {
    let start = u128::from(cap.kva());
    (start, start + (1u128 << cap.size_bits()))
}

fn is_ancestor(m: &KernelModel, ancestor: usize, mut slot: usize) -> bool {
    while let Some(parent) = m.cap(slot).and_then(Cap::parent) {
        if parent == ancestor {
            return true;
        }
        slot = parent;
    }
    false
}

fn check_invariants(m: &KernelModel) -> Result<(), TestCaseError> {
    let window = m.arch().kernel_window();
    let caps: Vec<(usize, Cap)> = m.caps().map(|(slot, cap)| (slot, *cap)).collect();
    for &(slot, cap) in &caps {
        prop_assert_eq!(cap.paddr(), window.paddr(cap.kva()));
        prop_assert!(
            is_aligned(cap.kva(), cap.size_bits()),
            "slot {} misaligned",
            slot
        );
        let children = caps
            .iter()
            .filter(|(_, c)| c.parent() == Some(slot))
            .count();
        match cap {
            Cap::Untyped(u) => prop_assert_eq!(u.children as usize, children),
            Cap::Object(o) => {
                prop_assert_eq!(children, 0);
                prop_assert_eq!(Ok(o.size_bits), o.ty.size_bits(m.arch(), o.size_arg));
            }
            // Retype sequences never issue IRQ handlers or I/O ports.
            Cap::IrqHandler(_) | Cap::IoPorts(_) => {}
        }
        if let Some(parent) = cap.parent() {
            let Some(Cap::Untyped(p)) = m.cap(parent) else {
                return Err(TestCaseError::fail(format!(
                    "parent of slot {slot} is not an untyped"
                )));
            };
            let (start, end) = span(&cap);
            let (p_start, _) = span(&Cap::Untyped(*p));
            let watermark = p_start + (u128::from(p.free_index) << 4);
            prop_assert!(
                p_start <= start && end <= watermark,
                "slot {} outside its parent's used part",
                slot
            );
            prop_assert_eq!(cap.is_device(), p.is_device);
        }
    }
    for (i, &(a, cap_a)) in caps.iter().enumerate() {
        for &(b, cap_b) in &caps[i + 1..] {
            if is_ancestor(m, a, b) || is_ancestor(m, b, a) {
                continue;
            }
            let (a_start, a_end) = span(&cap_a);
            let (b_start, b_end) = span(&cap_b);
            prop_assert!(
                a_end <= b_start || b_end <= a_start,
                "slots {} and {} overlap",
                a,
                b
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_sequences_keep_objects_disjoint_and_inside_their_parents(
        arch in prop::sample::select(Arch::ALL.to_vec()),
        ops in prop::collection::vec(op(), 0..48),
    ) {
        let mut m = KernelModel::try_new(arch, &boot_list(arch), SLOTS).unwrap();
        for op in ops {
            match op {
                Op::Retype { src, ty, size_arg, dest, count } => {
                    let src = resolve(&m, src, |cap| matches!(cap, Some(Cap::Untyped(_))));
                    let dest = resolve(&m, dest, |cap| cap.is_none());
                    if let Ok(r) = m.retype(src, ty, size_arg, dest, count) {
                        prop_assert!(is_aligned(r.first_kva, r.object_size_bits));
                        prop_assert_eq!(r.count, count);
                    }
                }
                Op::Delete { slot } => {
                    let _ = m.delete(resolve(&m, slot, |cap| cap.is_some()));
                }
            }
            check_invariants(&m)?;
        }
    }

    /// Even untypeds the kernel would never create (odd sizes, misaligned) never make it panic.
    #[test]
    fn nonsense_untypeds_never_panic(
        raw in prop::collection::vec((any::<u64>(), any::<u8>(), any::<bool>()), 0..4),
        ops in prop::collection::vec(op(), 0..24),
    ) {
        let list: Vec<BootUntyped> = raw
            .into_iter()
            .map(|(paddr, size_bits, is_device)| BootUntyped { paddr, size_bits, is_device })
            .collect();
        let mut m = KernelModel::new(Arch::X86_64, &list, 8);
        for op in ops {
            match op {
                Op::Retype { src, ty, size_arg, dest, count } => {
                    let src = resolve(&m, src, |cap| matches!(cap, Some(Cap::Untyped(_))));
                    let dest = resolve(&m, dest, |cap| cap.is_none());
                    let _ = m.retype(src, ty, size_arg, dest, count);
                }
                Op::Delete { slot } => {
                    let _ = m.delete(resolve(&m, slot, |cap| cap.is_some()));
                }
            }
            let _ = m.frame_paddr(0);
            let _ = m.find_object_at(0);
        }
    }
}
