//! The boot-time untyped list against hand-computed kernel output.

use proptest::prelude::*;
use sysinit_kobj::{is_aligned, Arch, BootUntyped, PhysRange, MAX_UNTYPED_BITS, MIN_UNTYPED_BITS};
use sysinit_model::{
    boot_untypeds, untypeds_for_region, validate_boot_memory, BootMemory, BootMemoryError,
    MemoryList,
};

const GIB: u64 = 1 << 30;

fn ut(paddr: u64, size_bits: u8, is_device: bool) -> BootUntyped {
    BootUntyped {
        paddr,
        size_bits,
        is_device,
    }
}

fn end(u: &BootUntyped) -> u64 {
    u.paddr + u.size()
}

/// QEMU pc with 2 GiB: RAM below the VGA hole and from 1 MiB up to the ACPI tables.
fn qemu_pc() -> BootMemory {
    BootMemory {
        reserved: vec![
            PhysRange::new(0, 0x9fc00),
            PhysRange::new(0x10_0000, 0x7ffe_0000),
        ],
        boot_reuse: Some(PhysRange::new(0x10_0000, 0x10_3000)),
        free_ram: vec![PhysRange::new(0x80_0000, 0x7ffe_0000)],
    }
}

#[test]
fn x86_64_device_untyped_wraps_to_kernel_va_zero() {
    let arch = Arch::X86_64;
    let window = arch.kernel_window();
    let list = boot_untypeds(arch, &qemu_pc(), 230).unwrap();
    assert_eq!(list.dropped, 0);
    let uts = &list.untypeds;

    // The gap [0x9fc00, 0x100000) comes first, cut by its alignment.
    assert_eq!(
        uts[..3],
        [
            ut(0x9_fc00, 10, true),
            ut(0xa_0000, 17, true),
            ut(0xc_0000, 18, true)
        ]
    );

    // The field regression: the 2^46 device untyped at paddr 2^39, whose kernel VA is 0.
    let wrapped = uts
        .iter()
        .position(|u| u.paddr == 0x80_0000_0000)
        .expect("device untyped at 0x80_0000_0000");
    assert_eq!(uts[wrapped], ut(0x80_0000_0000, 46, true));
    assert_eq!(window.kva(uts[wrapped].paddr), 0);
    // Physically it is only 2^39-aligned: the kernel aligned it in kernel-virtual space.
    assert!(!is_aligned(uts[wrapped].paddr, 46));
    // The chunk before ends exactly at the wrap point; the one after continues from it.
    assert_eq!(uts[wrapped - 1], ut(0x40_0000_0000, 38, true));
    assert_eq!(end(&uts[wrapped - 1]), 0x80_0000_0000);
    assert_eq!(uts[wrapped + 1], ut(0x80_0000_0000 + (1 << 46), 45, true));

    // The top device region is covered without holes from the end of RAM to 2^47.
    let top_first = uts.iter().position(|u| u.paddr == 0x7ffe_0000).unwrap();
    let top_last = uts.iter().rposition(|u| u.is_device).unwrap();
    for pair in uts[top_first..=top_last].windows(2) {
        assert_eq!(end(&pair[0]), pair[1].paddr, "hole after {:x?}", pair[0]);
    }
    assert_eq!(end(&uts[top_last]), 1 << 47);

    // Then the reclaimed boot image, then free RAM, all normal memory.
    // 12 KiB from 1 MiB: the largest power of two that fits first, then the rest.
    assert_eq!(uts[top_last + 1], ut(0x10_0000, 13, false));
    assert_eq!(uts[top_last + 2], ut(0x10_2000, 12, false));
    assert_eq!(uts[top_last + 3], ut(0x80_0000, 23, false));
    assert!(uts[top_last + 1..].iter().all(|u| !u.is_device));
    assert_eq!(end(uts.last().unwrap()), 0x7ffe_0000);

    for u in uts {
        assert!(
            is_aligned(window.kva(u.paddr), u.size_bits),
            "{u:x?} not aligned in kernel VA"
        );
    }
}

#[test]
fn aarch64_virt_one_gib() {
    let arch = Arch::Aarch64;
    let window = arch.kernel_window();
    let mem = BootMemory {
        reserved: vec![PhysRange::new(0x4000_0000, 0x4000_0000 + GIB)],
        boot_reuse: Some(PhysRange::new(0x4010_0000, 0x4020_0000)),
        free_ram: vec![PhysRange::new(0x4800_0000, 0x8000_0000)],
    };
    let uts = boot_untypeds(arch, &mem, 230).unwrap().untypeds;
    let mut expected = vec![ut(0, 30, true)];
    // kernel VA 2^39 + 2^31 onwards: growing alignment up to 2^39 + 2^39 = 2^40 ...
    for bits in 31..=38u8 {
        expected.push(ut(1 << bits, bits, true));
    }
    // ... then chunks aligned in kernel VA but not physically: paddr 2^39 holds 2^40 bytes.
    for bits in 40..=43u8 {
        expected.push(ut((1u64 << bits) - (1 << 39), bits, true));
    }
    expected.push(ut((1 << 44) - (1 << 39), 39, true));
    expected.push(ut(0x4010_0000, 20, false));
    expected.extend([
        ut(0x4800_0000, 27, false),
        ut(0x5000_0000, 28, false),
        ut(0x6000_0000, 29, false),
    ]);
    assert_eq!(uts, expected);
    assert!(!is_aligned(0x80_0000_0000, 40));
    assert!(is_aligned(window.kva(0x80_0000_0000), 40));
}

#[test]
fn region_straddling_the_wrap_point_is_cut_there() {
    let window = Arch::X86_64.kernel_window();
    let mut uts = Vec::new();
    untypeds_for_region(
        window,
        true,
        PhysRange::new(0x7f_ffff_f000, 0x80_0000_2000),
        |u| uts.push(u),
    );
    // kernel VA [2^64 - 4 KiB, 2^64) then [0, 8 KiB): the wrap splits it even though
    // physically 0x7f_ffff_f000..0x80_0000_2000 is one 12 KiB region.
    assert_eq!(
        uts,
        [ut(0x7f_ffff_f000, 12, true), ut(0x80_0000_0000, 13, true)]
    );

    // Through boot_untypeds, as a device gap between two reserved ranges.
    let mem = BootMemory {
        reserved: vec![
            PhysRange::new(0, 0x7f_ffff_f000),
            PhysRange::new(0x80_0000_2000, 0x80_0000_3000),
        ],
        boot_reuse: None,
        free_ram: vec![],
    };
    let list = boot_untypeds(Arch::X86_64, &mem, 500).unwrap();
    assert_eq!(list.untypeds[..2], uts[..]);
    // The top region starts at 0x80_0000_3000 (kernel VA 0x3000) and reaches 2^47.
    assert_eq!(list.untypeds[2], ut(0x80_0000_3000, 12, true));
    assert_eq!(end(list.untypeds.last().unwrap()), 1 << 47);
}

#[test]
fn max_untyped_bits_caps_a_chunk_at_kernel_va_zero() {
    // At kernel VA 0 any size is aligned; only MAX_UNTYPED_BITS limits the chunk.
    let window = Arch::X86_64.kernel_window();
    let mut uts = Vec::new();
    untypeds_for_region(
        window,
        true,
        PhysRange::new(0x80_0000_0000, 0x80_0000_0000 + (1 << 48)),
        |u| uts.push(u),
    );
    assert_eq!(
        uts,
        [
            ut(0x80_0000_0000, 47, true),
            ut(0x80_0000_0000 + (1 << 47), 47, true)
        ]
    );
}

#[test]
fn untypeds_beyond_bootinfo_capacity_are_dropped_and_counted() {
    let all = boot_untypeds(Arch::X86_64, &qemu_pc(), usize::MAX).unwrap();
    let capped = boot_untypeds(Arch::X86_64, &qemu_pc(), 10).unwrap();
    assert_eq!(capped.untypeds, all.untypeds[..10]);
    assert_eq!(capped.dropped, all.untypeds.len() - 10);
    assert!(capped.dropped > 0);
}

#[test]
fn invalid_boot_memory_is_refused_with_the_range() {
    let arch = Arch::X86_64;
    let unsorted = BootMemory {
        reserved: vec![
            PhysRange::new(0x10_0000, 0x20_0000),
            PhysRange::new(0x1000, 0x2000),
        ],
        ..BootMemory::default()
    };
    let err = boot_untypeds(arch, &unsorted, 230).unwrap_err();
    assert_eq!(
        err,
        BootMemoryError::ReservedOutOfOrder {
            index: 1,
            range: PhysRange::new(0x1000, 0x2000),
            previous: PhysRange::new(0x10_0000, 0x20_0000),
        }
    );
    assert!(err.to_string().contains("[0x1000..0x2000)"), "{err}");

    let overlapping = BootMemory {
        reserved: vec![PhysRange::new(0, 0x2000), PhysRange::new(0x1000, 0x3000)],
        ..BootMemory::default()
    };
    assert!(matches!(
        validate_boot_memory(&overlapping, arch),
        Err(BootMemoryError::ReservedOutOfOrder { index: 1, .. })
    ));

    let inverted = BootMemory {
        reserved: vec![PhysRange::new(0x2000, 0x1000)],
        ..BootMemory::default()
    };
    assert!(matches!(
        validate_boot_memory(&inverted, arch),
        Err(BootMemoryError::Inverted {
            list: MemoryList::Reserved,
            index: 0,
            ..
        })
    ));

    let mut not_reserved = qemu_pc();
    not_reserved
        .free_ram
        .push(PhysRange::new(0x8000_0000, 0x9000_0000));
    let err = validate_boot_memory(&not_reserved, arch).unwrap_err();
    assert_eq!(
        err,
        BootMemoryError::NotReserved {
            list: MemoryList::FreeRam,
            index: 1,
            range: PhysRange::new(0x8000_0000, 0x9000_0000),
        }
    );
    assert!(err.to_string().contains("free_ram[1]"), "{err}");

    let mut overlap = qemu_pc();
    overlap.free_ram.push(PhysRange::new(0x10_2000, 0x10_4000));
    assert!(matches!(
        validate_boot_memory(&overlap, arch),
        Err(BootMemoryError::RamOverlap {
            list: MemoryList::FreeRam,
            index: 1,
            other_list: MemoryList::BootReuse,
            ..
        })
    ));

    // x86_64's kernel window ends at 510 GiB; RAM above it cannot be normal untyped.
    let beyond = BootMemory {
        reserved: vec![PhysRange::new(0x7f_0000_0000, 0x80_1000_0000)],
        boot_reuse: None,
        free_ram: vec![PhysRange::new(0x7f_0000_0000, 0x80_1000_0000)],
    };
    assert!(matches!(
        validate_boot_memory(&beyond, arch),
        Err(BootMemoryError::OutsideKernelWindow { index: 0, .. })
    ));
    assert!(validate_boot_memory(&qemu_pc(), arch).is_ok());
}

fn sorted_reserved() -> impl Strategy<Value = Vec<PhysRange>> {
    // Gaps and lengths of varied magnitude, 4 KiB-granular or odd.
    let piece = (0u32..40, any::<u64>(), 0u32..40, any::<u64>());
    prop::collection::vec(piece, 0..6).prop_map(|pieces| {
        let mut cursor = 0u64;
        let mut ranges = Vec::new();
        for (gap_bits, gap_noise, len_bits, len_noise) in pieces {
            let gap = gap_noise % (1u64 << gap_bits);
            let len = 1 + len_noise % (1u64 << len_bits);
            let start = cursor.saturating_add(gap);
            let end = start.saturating_add(len).min(0x7f_8000_0000);
            if start >= end {
                break;
            }
            ranges.push(PhysRange::new(start, end));
            cursor = end;
        }
        ranges
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every reported untyped is in range and aligned in kernel VA; each region is
    /// covered in order, and only chunks below the minimum size are lost.
    #[test]
    fn regions_are_cut_into_aligned_chunks(arch in prop::sample::select(Arch::ALL.to_vec()),
                                           reserved in sorted_reserved()) {
        let window = arch.kernel_window();
        let mem = BootMemory { free_ram: reserved.clone(), reserved, boot_reuse: None };
        let list = boot_untypeds(arch, &mem, usize::MAX).unwrap();
        prop_assert_eq!(list.dropped, 0);
        let mut covered = 0u128;
        for u in &list.untypeds {
            prop_assert!((MIN_UNTYPED_BITS..=MAX_UNTYPED_BITS).contains(&u.size_bits));
            prop_assert!(is_aligned(window.kva(u.paddr), u.size_bits));
            covered += u128::from(u.size());
        }
        // Total bytes described: device below the top plus all RAM ranges.
        let ram: u128 = mem.reserved.iter().map(|r| u128::from(r.len())).sum();
        let device_top = u128::from(window.paddr_user_device_top);
        let device = device_top.saturating_sub(ram);
        // A region loses its misaligned head below the first 16-byte boundary and
        // a tail shorter than 16 bytes: under 32 bytes each. Regions: the device
        // gaps, the top device region and every RAM range.
        let regions = 2 * mem.reserved.len() as u128 + 1;
        let lost = regions * 2 * (1 << MIN_UNTYPED_BITS);
        prop_assert!(covered <= device + ram);
        prop_assert!(covered + lost >= device + ram);
    }

    /// Nonsense input gives an error or a list, never a panic.
    #[test]
    fn arbitrary_input_never_panics(arch in prop::sample::select(Arch::ALL.to_vec()),
                                    raw in prop::collection::vec((any::<u64>(), any::<u64>()), 0..4),
                                    free in prop::collection::vec((any::<u64>(), any::<u64>()), 0..3)) {
        let mem = BootMemory {
            reserved: raw.iter().map(|&(a, b)| PhysRange::new(a, b)).collect(),
            boot_reuse: free.first().map(|&(a, b)| PhysRange::new(a, b)),
            free_ram: free.iter().map(|&(a, b)| PhysRange::new(a, b)).collect(),
        };
        let _ = boot_untypeds(arch, &mem, 230);
    }
}
