//! The built-in boards' memory maps and boot memory for typical `-m` sizes.

use sysinit_board::{Board, BoardError, ReservedKind, RootTaskImage};
use sysinit_kobj::{Arch, KernelConfig, PhysRange};
use sysinit_model::boot_untypeds;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

fn board(name: &str, ram: u64) -> Board {
    Board::by_name(name).unwrap().with_ram_bytes(ram).unwrap()
}

fn device(board: &Board, name: &str) -> PhysRange {
    board
        .device_ranges()
        .into_iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no device {name}"))
        .range
}

#[test]
fn built_in_boards_are_listed_and_load() {
    assert_eq!(
        Board::names(),
        vec!["qemu-x86_64", "qemu-aarch64-virt", "qemu-aarch64-virt-el1"]
    );
    for name in Board::names() {
        let b = Board::by_name(name).unwrap();
        assert_eq!(b.name(), name);
        assert_eq!(b.kernel_window(), b.kernel().kernel_window());
    }
    assert_eq!(
        Board::by_name("qemu-aarch64-virt").unwrap().kernel(),
        KernelConfig::AARCH64
    );
    assert_eq!(
        Board::by_name("qemu-aarch64-virt-el1").unwrap().kernel(),
        KernelConfig::AARCH64_EL1
    );
    let err = Board::by_name("qemu-riscv").unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown board 'qemu-riscv'; valid: qemu-x86_64, qemu-aarch64-virt, qemu-aarch64-virt-el1"
    );
}

#[test]
fn board_facts() {
    let x86 = Board::by_name("qemu-x86_64").unwrap();
    assert_eq!(x86.arch(), Arch::X86_64);
    assert_eq!(x86.phys_addr_bits(), 46);
    assert_eq!(x86.user_vaddr_end(), 0x7fff_ffff_f000);
    assert_eq!(x86.page_size_bits(), [12, 21, 30]);
    assert_eq!(x86.default_ram_bytes(), 512 * MIB);
    assert!(!x86.virtualization());

    let arm = Board::by_name("qemu-aarch64-virt").unwrap();
    assert_eq!(arm.arch(), Arch::Aarch64);
    assert_eq!(arm.phys_addr_bits(), 44);
    assert_eq!(arm.phys_addr_end(), 1 << 44);
    assert_eq!(arm.user_vaddr_end(), 1 << 44);
    assert_eq!(arm.default_ram_bytes(), 2 * GIB);
    assert!(arm.virtualization());

    let el1 = Board::by_name("qemu-aarch64-virt-el1").unwrap();
    assert_eq!(el1.arch(), Arch::Aarch64);
    assert_eq!(el1.phys_addr_end(), 1 << 44);
    // seL4_UserTop 0x7fff_ffff_ffff without hypervisor support.
    assert_eq!(el1.user_vaddr_end(), 1 << 47);
    assert_eq!(el1.default_ram_bytes(), 2 * GIB);
    assert!(!el1.virtualization());
}

/// At EL1 the kernel window starts at 0xffffff8000000000: the high PCIe window (2^39 up)
/// wraps to kernel-virtual 0, so the kernel cuts it into untypeds aligned in
/// kernel-virtual space, not physically: the first one is 2^43 bytes at physical 2^39
/// (as the recorded EL1 boots list it), where the EL2 kernel (kernel-virtual 2^40 there)
/// starts with 2^40 bytes.
#[test]
fn el1_high_window_wraps_to_kernel_virtual_zero() {
    let el1 = board("qemu-aarch64-virt-el1", 2 * GIB);
    let el2 = board("qemu-aarch64-virt", 2 * GIB);
    let first_at = |b: &Board, paddr: u64| {
        let mem = b.boot_memory(2 * GIB).unwrap();
        boot_untypeds(b.kernel(), &mem, usize::MAX)
            .unwrap()
            .untypeds
            .into_iter()
            .find(|u| u.paddr == paddr)
            .map(|u| u.size_bits)
    };
    assert_eq!(first_at(&el1, 0x80_0000_0000), Some(43));
    assert_eq!(first_at(&el2, 0x80_0000_0000), Some(40));
    assert_eq!(el1.kernel_window().kva(0x80_0000_0000), 0);
}

#[test]
fn q35_512m_keeps_all_ram_below_4g() {
    let b = board("qemu-x86_64", 512 * MIB);
    assert_eq!(
        b.ram_ranges(512 * MIB).unwrap(),
        vec![
            PhysRange::new(0, 0xa_0000),
            PhysRange::new(0x10_0000, 0x2000_0000)
        ]
    );
    assert!(b.is_ram(PhysRange::new(0x1000_0000, 0x1000_1000)));
    assert!(!b.is_ram(PhysRange::new(0xb_0000, 0xb_1000)));
    assert!(!b.is_ram(PhysRange::new(0x2000_0000, 0x2000_1000)));
    assert_eq!(
        device(&b, "pcie-ecam"),
        PhysRange::new(0xb000_0000, 0xc000_0000)
    );
    assert_eq!(device(&b, "pci-hole64"), PhysRange::new(4 * GIB, 36 * GIB));

    let seabios = b
        .reserved_ranges()
        .into_iter()
        .find(|r| r.name == "seabios-high-tables")
        .unwrap();
    assert_eq!(seabios.kind, ReservedKind::Firmware);
    assert_eq!(seabios.range, PhysRange::new(0x1ffd_f000, 0x2000_0000));

    let layout = b.boot_layout(512 * MIB).unwrap();
    assert_eq!(layout.kernel_image.start, 0x10_0000);
    let mem = &layout.memory;
    // RAM below 1 MiB and the SeaBIOS tables are not the kernel's: device untypeds.
    assert_eq!(mem.reserved[0], PhysRange::new(0x10_0000, 0x1ffd_f000));
    assert!(mem
        .reserved
        .contains(&PhysRange::new(0xfee0_0000, 0xfee0_1000)));
    assert!(mem
        .reserved
        .contains(&PhysRange::new(0xfec0_0000, 0xfec0_1000)));
    // The kernel's boot-only part, [KERNEL_ELF_BASE, ki_boot_end) of our build.
    assert_eq!(mem.boot_reuse, Some(PhysRange::new(0x10_0000, 0x80_0000)));
    assert_eq!(
        mem.free_ram.first().unwrap().start,
        layout.root_task_image.end
    );
    assert_eq!(mem.free_ram.last().unwrap().end, 0x1ffd_f000);
    // The root server objects sit at the top, aligned to the 2^24-byte root CNode.
    assert_eq!(layout.root_server_objects.start, 0x1e00_0000);

    let untypeds = boot_untypeds(b.arch(), mem, 230).unwrap();
    assert_eq!(untypeds.dropped, 0);
    let first = untypeds.untypeds[0];
    assert!(first.is_device && first.paddr == 0);
}

/// The numbers of the recorded x86_64 hello boot (tests/boots/x86_64/hello, -m 512M,
/// root task span [0x400000, 0x480000), the board file's estimate): the kernel's "Kernel
/// loaded to" and "Moving loaded userland images ... to=0xa13000 size=0x80000" lines, and
/// the RAM untypeds around the root server objects (free RAM resumes at 0xa93000 after
/// the image and at 0x1f008800 after the root server objects).
#[test]
fn q35_512m_with_the_recorded_root_task_is_the_recorded_layout() {
    let recorded = RootTaskImage::new(0x40_0000, 0x48_0000).unwrap();
    let b = board("qemu-x86_64", 512 * MIB)
        .with_root_task_image(recorded)
        .unwrap();
    // The board file's estimate is this very root task.
    assert_eq!(b.default_root_task_image(), recorded);
    let layout = b.boot_layout(512 * MIB).unwrap();
    assert_eq!(layout.kernel_image, PhysRange::new(0x10_0000, 0xa1_3000));
    assert_eq!(layout.root_task_image, PhysRange::new(0xa1_3000, 0xa9_3000));
    // 16 MiB CNode, TCB, IPC buffer, boot info, ASID pool, one page of extra boot
    // info, the PML4 and 1 PT + 1 PD + 1 PDPT for [0x400000, 0x483000).
    assert_eq!(
        layout.root_server_objects,
        PhysRange::new(0x1e00_0000, 0x1f00_8800)
    );
    let mem = &layout.memory;
    assert_eq!(mem.boot_reuse, Some(PhysRange::new(0x10_0000, 0x80_0000)));
    assert_eq!(
        mem.free_ram,
        vec![
            PhysRange::new(0xa9_3000, 0x1e00_0000),
            PhysRange::new(0x1f00_8800, 0x1ffd_f000)
        ]
    );
}

#[test]
fn the_root_task_span_sizes_the_image_and_the_paging_structures() {
    let b = board("qemu-x86_64", 512 * MIB);
    let root_server = |image: RootTaskImage| {
        let layout = b
            .clone()
            .with_root_task_image(image)
            .unwrap()
            .boot_layout(512 * MIB)
            .unwrap();
        assert_eq!(layout.root_task_image.len(), image.bytes());
        layout.root_server_objects.len()
    };
    let fixed = 0x100_0000 + 0x800 + 5 * 0x1000;
    // One page: one PT, one PD, one PDPT (the IPC buffer, boot info and extra boot
    // info pages after it stay in the same 2 MiB).
    let small = RootTaskImage::new(0x40_0000, 0x40_1000).unwrap();
    assert_eq!(root_server(small), fixed + 3 * 0x1000);
    // Across a 1 GiB boundary: two PTs and two PDs.
    let straddling = RootTaskImage::new(0x3fe0_0000, 0x4000_1000).unwrap();
    assert_eq!(root_server(straddling), fixed + 5 * 0x1000);
    // The PTs of the last 2 MiB of the image also cover the pages after it, until
    // those pages cross into the next 2 MiB.
    let full_2m = RootTaskImage::new(0x40_0000, 0x5f_d000).unwrap();
    assert_eq!(root_server(full_2m), fixed + 3 * 0x1000);
    let spills = RootTaskImage::new(0x40_0000, 0x5f_e000).unwrap();
    assert_eq!(root_server(spills), fixed + 4 * 0x1000);

    // A bigger image moves the start of free RAM with it.
    let layout = b
        .clone()
        .with_root_task_image(small)
        .unwrap()
        .boot_layout(512 * MIB)
        .unwrap();
    assert_eq!(layout.memory.free_ram[0].start, 0xa1_4000);
}

#[test]
fn root_task_images_the_kernel_cannot_load_are_refused() {
    let b = board("qemu-x86_64", 512 * MIB);
    let huge = RootTaskImage::new(0x40_0000, 0x2040_0000).unwrap();
    let err = b.clone().with_root_task_image(huge).unwrap_err();
    assert!(matches!(err, BoardError::KernelDoesNotFit { .. }), "{err}");
    let high = RootTaskImage::new(0x7fff_ffff_d000, 0x7fff_ffff_e000).unwrap();
    let err = b.clone().with_root_task_image(high).unwrap_err();
    assert_eq!(
        err.to_string(),
        "board 'qemu-x86_64': the root task image ends at 0x7fffffffe000, but the kernel \
         maps 0x3000 bytes of IPC buffer and boot info after it, below 0x7ffffffff000; link \
         the root task lower"
    );
    // The image given stays when the RAM size changes.
    let small = RootTaskImage::new(0x40_0000, 0x40_1000).unwrap();
    let b = b.with_root_task_image(small).unwrap();
    assert_eq!(b.with_ram_bytes(GIB).unwrap().root_task_image(), small);
}

#[test]
fn q35_4g_splits_ram_around_the_pci_hole() {
    let b = board("qemu-x86_64", 4 * GIB);
    assert_eq!(
        b.ram_ranges(4 * GIB).unwrap(),
        vec![
            PhysRange::new(0, 0xa_0000),
            PhysRange::new(0x10_0000, 2 * GIB),
            PhysRange::new(4 * GIB, 6 * GIB),
        ]
    );
    assert!(b.is_ram(PhysRange::new(5 * GIB, 5 * GIB + 0x1000)));
    assert!(!b.is_ram(PhysRange::new(3 * GIB, 3 * GIB + 0x1000)));
    assert_eq!(device(&b, "pci-hole64"), PhysRange::new(6 * GIB, 38 * GIB));

    let layout = b.boot_layout(4 * GIB).unwrap();
    let mem = &layout.memory;
    // The kernel takes its objects from the top of the highest RAM.
    assert!(layout.root_server_objects.end <= 6 * GIB);
    assert!(layout.root_server_objects.start >= 4 * GIB);
    assert!(mem
        .free_ram
        .contains(&PhysRange::new(4 * GIB, layout.root_server_objects.start)));
    let untypeds = boot_untypeds(b.arch(), mem, 230).unwrap();
    assert_eq!(untypeds.dropped, 0);
    assert!(untypeds
        .untypeds
        .iter()
        .any(|u| !u.is_device && u.paddr == 4 * GIB));
}

#[test]
fn q35_split_threshold_is_2_75_gib() {
    let b = Board::by_name("qemu-x86_64").unwrap();
    let below = b.ram_ranges(0xb000_0000 - 0x1000).unwrap();
    assert_eq!(below.last().unwrap().end, 0xb000_0000 - 0x1000);
    let at = b.ram_ranges(0xb000_0000).unwrap();
    assert_eq!(
        *at.last().unwrap(),
        PhysRange::new(4 * GIB, 4 * GIB + 0x3000_0000)
    );
}

#[test]
fn virt_1g_leaves_vm_memory_to_user_level() {
    let b = board("qemu-aarch64-virt", GIB);
    assert_eq!(
        b.ram_ranges(GIB).unwrap(),
        vec![PhysRange::new(GIB, 2 * GIB)]
    );
    assert!(b.is_ram(PhysRange::new(GIB, GIB + 0x1000)));
    assert_eq!(
        device(&b, "pl011-uart"),
        PhysRange::new(0x900_0000, 0x900_1000)
    );
    assert_eq!(
        device(&b, "pcie-ecam-high"),
        PhysRange::new(0x40_1000_0000, 0x40_2000_0000)
    );
    assert_eq!(
        device(&b, "pcie-mmio-high"),
        PhysRange::new(0x80_0000_0000, 0x100_0000_0000)
    );
    assert_eq!(
        device(&b, "vm-memory"),
        PhysRange::new(GIB, GIB + 512 * MIB)
    );

    let layout = b.boot_layout(GIB).unwrap();
    assert_eq!(layout.kernel_image.start, 0x6000_0000);
    let dtb = layout.device_tree.unwrap();
    assert_eq!(dtb.start, layout.kernel_image.end);
    // The root task starts at the first page after the device tree's last byte.
    assert_eq!(layout.root_task_image.start, (dtb.end + 0xfff) & !0xfff);
    let mem = &layout.memory;
    assert_eq!(
        *mem.reserved.last().unwrap(),
        PhysRange::new(0x6000_0000, 2 * GIB)
    );
    assert!(mem
        .reserved
        .contains(&PhysRange::new(0x800_0000, 0x800_1000)));

    let untypeds = boot_untypeds(b.arch(), mem, 230).unwrap();
    assert_eq!(untypeds.dropped, 0);
    // The first 512 MiB of RAM come out as one device untyped for guests.
    assert!(untypeds
        .untypeds
        .iter()
        .any(|u| u.is_device && u.paddr == GIB && u.size_bits == 29));
}

/// The recorded aarch64 boots (tests/boots/aarch64, 2 GiB, the root task of
/// vaddr [0x400000, 0x2671000)): where the loader put the images, where the
/// kernel put the root server objects, and the free RAM left.
#[test]
fn virt_2g_boot_layout_is_the_recorded_one() {
    let b = board("qemu-aarch64-virt", 2 * GIB)
        .with_root_task_image(RootTaskImage::new(0x40_0000, 0x267_1000).unwrap())
        .unwrap();
    let layout = b.boot_layout(2 * GIB).unwrap();
    assert_eq!(
        layout.kernel_image,
        PhysRange::new(0x6000_0000, 0x6023_f000)
    );
    assert_eq!(
        layout.device_tree,
        Some(PhysRange::new(0x6023_f000, 0x6024_0e98))
    );
    assert_eq!(
        layout.root_task_image,
        PhysRange::new(0x6024_1000, 0x624b_2000)
    );
    // 16 MiB CNode, TCB, IPC buffer, boot info, ASID pool, 8 KiB extra boot
    // info (the device tree copy), VSpace and 20 paging tables: 0x101a800
    // bytes, aligned to the CNode's 16 MiB.
    assert_eq!(
        layout.root_server_objects,
        PhysRange::new(0xbe00_0000, 0xbf01_a800)
    );
    assert_eq!(
        layout.memory.boot_reuse,
        Some(PhysRange::new(0x6000_0000, 0x6001_0000))
    );
    assert_eq!(
        layout.memory.free_ram,
        vec![
            PhysRange::new(0x6024_0e98, 0x6024_1000),
            PhysRange::new(0x624b_2000, 0xbe00_0000),
            PhysRange::new(0xbf01_a800, 0xc000_0000),
        ]
    );
}

#[test]
fn ram_size_limits_are_reported() {
    let b = Board::by_name("qemu-aarch64-virt").unwrap();
    let err = b.clone().with_ram_bytes(256 * MIB).unwrap_err();
    assert!(matches!(err, BoardError::RamTooSmall { .. }));
    assert_eq!(
        err.to_string(),
        "board 'qemu-aarch64-virt': RAM size 0x10000000 is too small; valid: 0x28000000..=0x3fc0000000"
    );
    assert!(matches!(
        b.ram_ranges(256 * GIB),
        Err(BoardError::RamTooLarge { .. })
    ));
    assert!(matches!(
        b.ram_ranges(GIB + 1),
        Err(BoardError::RamNotPageMultiple { .. })
    ));
}

#[test]
fn broken_board_files_are_refused() {
    let text = include_str!("../../../boards/qemu-x86_64.toml");
    let err =
        Board::from_toml_str(&text.replace("arch = \"x86_64\"", "arch = \"mips\"")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "board 'qemu-x86_64': unknown arch 'mips'; valid: x86_64, aarch64"
    );
    let err =
        Board::from_toml_str(&text.replace("cores = 1", "cores = 1\ncolour = 3")).unwrap_err();
    assert!(matches!(err, BoardError::Toml { .. }), "{err}");
    let err = Board::from_toml_str(&text.replace(
        "root_task_image_bytes = 0x8_0000",
        "root_task_image_bytes = 0x4000_0000",
    ))
    .unwrap_err();
    assert!(matches!(err, BoardError::KernelDoesNotFit { .. }), "{err}");
    let err = Board::from_toml_str(
        &text.replace("root_task_vaddr = 0x40_0000", "root_task_vaddr = 0x40_0800"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "board 'qemu-x86_64': kernel.root_task_vaddr and root_task_image_bytes: the image \
         starts at 0x400800, which is not 4 KiB aligned; seL4 refuses such an image (link the \
         root task at a page boundary, e.g. 0x400000)"
    );
}

#[test]
fn every_ram_size_step_gives_a_bootable_layout() {
    for name in Board::names() {
        let b = Board::by_name(name).unwrap();
        let (min, max) = b.ram_limits();
        let mut ram = min;
        while ram <= max.min(64 * GIB) {
            let mem = b.boot_memory(ram).unwrap();
            boot_untypeds(b.arch(), &mem, 230).unwrap();
            ram += 256 * MIB;
        }
    }
}

/// What validation may hand out as RAM agrees with the untypeds the kernel
/// creates (the model of `create_untypeds`): RAM it ignores or carves out comes
/// out as device untypeds, the kernel's boot-only code as RAM untypeds, and the
/// kernel's reserved image is only the part it keeps.
#[test]
fn ram_user_level_gets_as_ram_is_what_the_kernel_hands_out_as_ram() {
    for (name, ram) in [("qemu-x86_64", 512 * MIB), ("qemu-aarch64-virt", 2 * GIB)] {
        let b = board(name, ram);
        let layout = b.boot_layout(ram).unwrap();
        let untypeds = boot_untypeds(b.arch(), &layout.memory, 230).unwrap();
        assert_eq!(untypeds.dropped, 0);
        let covered = |range: PhysRange, device: bool| {
            let mut at = range.start;
            let mut parts: Vec<_> = untypeds
                .untypeds
                .iter()
                .filter(|u| u.is_device == device)
                .map(|u| (u.paddr, u.paddr + (1u64 << u.size_bits)))
                .collect();
            parts.sort();
            for (start, end) in parts {
                if start <= at && at < end {
                    at = end;
                }
            }
            at >= range.end
        };
        let as_device = b.device_untyped_ram();
        assert!(!as_device.is_empty(), "{name}");
        for area in &as_device {
            assert!(
                covered(area.range, true),
                "{name}: {} {}",
                area.name,
                area.range
            );
            assert!(!covered(area.range, false), "{name}: {}", area.name);
        }
        let reuse = layout.memory.boot_reuse.unwrap();
        assert!(covered(reuse, false), "{name}: boot code {reuse}");
        let kernel = b
            .reserved_ranges()
            .into_iter()
            .find(|r| r.kind == ReservedKind::KernelImage)
            .unwrap();
        assert_eq!(
            kernel.range,
            PhysRange::new(reuse.end, layout.kernel_image.end),
            "{name}"
        );
        let ram_untyped: u64 = untypeds
            .untypeds
            .iter()
            .filter(|u| !u.is_device)
            .map(|u| 1u64 << u.size_bits)
            .sum();
        // Untypeds are whole 16-byte blocks: a few bytes of odd-sized free
        // pieces (after the aarch64 device tree) are in no untyped.
        let free = b.free_ram_bytes();
        assert!(ram_untyped <= free && free - ram_untyped < 0x100, "{name}");
    }
    let x86 = board("qemu-x86_64", 512 * MIB);
    assert_eq!(
        x86.device_untyped_ram()
            .iter()
            .map(|n| (n.name.as_str(), n.range))
            .collect::<Vec<_>>(),
        [("RAM below 0x100000", PhysRange::new(0, 0xa_0000))]
    );
    let arm = board("qemu-aarch64-virt", 2 * GIB);
    assert_eq!(
        arm.device_untyped_ram()
            .iter()
            .map(|n| (n.name.as_str(), n.range))
            .collect::<Vec<_>>(),
        [("vm-memory", PhysRange::new(GIB, GIB + 512 * MIB))]
    );
    assert_eq!(x86.root_cnode_size_bits(), 19);
    assert_eq!(
        x86.root_cnode_size_bits(),
        sysinit_kobj::ROOT_CNODE_SIZE_BITS
    );
}

/// The boards' interrupt ranges are the kernel's, which the kernel model also enforces
/// (`Arch::max_user_irq`), so `check` and `simulate` refuse the same numbers.
#[test]
fn board_interrupt_ranges_match_the_kernel_models() {
    use sysinit_board::{Board, Interrupts};
    for name in ["qemu-x86_64", "qemu-aarch64-virt"] {
        let board = Board::by_name(name).unwrap();
        let max = match board.interrupts() {
            Interrupts::Gic { max_irq, .. } => *max_irq,
            Interrupts::Ioapic { max_vector, .. } => *max_vector,
        };
        assert_eq!(max, u64::from(board.arch().max_user_irq()), "{name}");
    }
}
