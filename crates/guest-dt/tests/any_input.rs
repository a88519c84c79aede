//! No input makes `generate` panic, and whatever it accepts the reader reads
//! back with exactly the RAM it was given.

use proptest::prelude::*;
use sysinit_fdt::Fdt;
use sysinit_guest_dt::{
    generate, qemu_virt, GuestDtInput, GuestRange, NamedGuestRange, Passthrough,
};

/// Addresses near the interesting values (device windows in 512 KiB steps,
/// guest RAM in 1 MiB steps, the top of the address space), so the checks
/// are reached rather than the first one refusing every input.
fn address() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => (0usize..qemu_virt::DEVICES.len(), 0u64..4)
            .prop_map(|(d, k)| qemu_virt::DEVICES[d].base + k * 0x8_0000),
        4 => (0u64..0x40).prop_map(|k| 0x4000_0000 + (k << 20)),
        1 => Just(u64::MAX),
        1 => any::<u64>(),
    ]
}

fn size() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => (1u64..4).prop_map(|k| k << 20),
        4 => (1u64..4).prop_map(|k| k << 12),
        1 => Just(0u64),
        1 => any::<u64>(),
    ]
}

fn range() -> impl Strategy<Value = GuestRange> {
    (address(), size()).prop_map(|(start, size)| GuestRange::new(start, size))
}

fn passthrough() -> impl Strategy<Value = Passthrough> {
    let device = prop_oneof![
        8 => (0usize..qemu_virt::DEVICES.len()).prop_map(|d| qemu_virt::DEVICES[d].name.to_string()),
        1 => Just("virtio-mmio".to_string()),
    ];
    (device, 0u64..3, address(), size()).prop_map(|(device, offset, guest, size)| {
        let base = qemu_virt::device(&device).map_or(0xa00_0000, |d| d.base);
        Passthrough {
            device,
            phys: GuestRange::new(base + (offset << 20), size),
            guest: GuestRange::new(guest, size),
        }
    })
}

fn input() -> impl Strategy<Value = GuestDtInput> {
    (
        proptest::collection::vec(prop_oneof![8 => 0u64..8, 1 => 0u64..300], 1..4),
        proptest::collection::vec(range(), 0..4),
        proptest::collection::vec(range(), 0..3),
        proptest::collection::vec(passthrough(), 0..6),
        proptest::option::of("[a-z =]{0,20}"),
        any::<bool>(),
    )
        .prop_map(
            |(vcpus, mut ram, reserved, mut passthrough, bootargs, core)| {
                // Half the inputs start from a valid core (RAM and the GIC CPU
                // interface), so the later checks and the writer are reached.
                if core {
                    ram.insert(0, GuestRange::new(0x1_0000_0000, 0x100_0000));
                    passthrough.insert(
                        0,
                        Passthrough {
                            device: "gic-vcpu".into(),
                            phys: GuestRange::new(0x804_0000, 0x2000),
                            guest: GuestRange::new(0x801_0000, 0x2000),
                        },
                    );
                }
                GuestDtInput {
                    board: qemu_virt::BOARD.into(),
                    vcpus,
                    ram,
                    reserved: reserved
                        .into_iter()
                        .enumerate()
                        .map(|(i, range)| NamedGuestRange {
                            name: format!("r{i}"),
                            range,
                        })
                        .collect(),
                    passthrough,
                    bootargs,
                    initrd: None,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    #[test]
    fn generate_never_panics(input in input()) {
        let result = generate(&input);
        if std::env::var_os("GUEST_DT_SHOW").is_some() {
            eprintln!("{:?}", result.as_ref().map(|_| ()).map_err(|e| e.to_string()));
        }
        if let Ok(blob) = result {
            let fdt = Fdt::new(&blob).unwrap();
            let memory = fdt.find_node("/memory").unwrap();
            let total: u64 = memory.reg().unwrap().map(|r| r.size).sum();
            // RAM and reserved ranges (disjoint, or generate refuses): reserved memory
            // is memory that /reserved-memory carves out.
            let want = input.ram.iter().chain(input.reserved.iter().map(|r| &r.range));
            prop_assert_eq!(total, want.map(|r| r.size).sum::<u64>());
            prop_assert_eq!(fdt.find_node("/cpus").unwrap().children().count(), input.vcpus.len());
        }
    }
}
