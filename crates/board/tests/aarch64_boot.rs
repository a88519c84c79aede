//! The aarch64 board's boot layout against its two sources: our loader's
//! placement rules (crates/loader-layout, which decides where the kernel, the
//! device tree and the root task go) and our kernel build (whose image end,
//! boot-only part and device tree size the board file records).

use std::path::PathBuf;

use object::read::elf::{ElfFile64, ProgramHeader};
use object::{Object, ObjectSymbol};
use sysinit_board::{Board, RootTaskImage};
use sysinit_kobj::PhysRange;
use sysinit_loader_layout::elf::Elf;
use sysinit_loader_layout::{Image, Layout, QEMU_VIRT, QEMU_VIRT_LOADER};

/// Where our kernel is linked (KERNEL_ELF_BASE of the hypervisor build).
const KERNEL_VADDR: u64 = 0xff_c000_0000;

fn board(root_task: RootTaskImage) -> Board {
    Board::by_name("qemu-aarch64-virt")
        .unwrap()
        .with_root_task_image(root_task)
        .unwrap()
}

/// A little-endian aarch64 ELF64 executable with one `PT_LOAD` segment at
/// `vaddr` / `paddr` occupying `mem_size` bytes (all bss), entered at `vaddr`.
fn elf(vaddr: u64, paddr: u64, mem_size: u64) -> Vec<u8> {
    let mut b = vec![0u8; 64 + 56];
    b[..4].copy_from_slice(b"\x7fELF");
    b[4] = 2; // ELFCLASS64
    b[5] = 1; // little endian
    b[6] = 1; // EV_CURRENT
    b[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    b[18..20].copy_from_slice(&183u16.to_le_bytes()); // EM_AARCH64
    b[20..24].copy_from_slice(&1u32.to_le_bytes());
    b[24..32].copy_from_slice(&vaddr.to_le_bytes()); // e_entry
    b[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
    b[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
    b[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
    b[56..58].copy_from_slice(&1u16.to_le_bytes()); // e_phnum
    let p = 64;
    b[p..p + 4].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    b[p + 4..p + 8].copy_from_slice(&7u32.to_le_bytes()); // RWX
    b[p + 16..p + 24].copy_from_slice(&vaddr.to_le_bytes());
    b[p + 24..p + 32].copy_from_slice(&paddr.to_le_bytes());
    b[p + 40..p + 48].copy_from_slice(&mem_size.to_le_bytes());
    b[p + 48..p + 56].copy_from_slice(&0x1000u64.to_le_bytes());
    b
}

/// A flattened device tree blob of `size` bytes (only its header matters here).
fn device_tree(size: u64) -> Vec<u8> {
    let mut b = vec![0u8; size as usize];
    b[..4].copy_from_slice(&[0xd0, 0x0d, 0xfe, 0xed]);
    b[4..8].copy_from_slice(&(size as u32).to_be_bytes());
    b
}

/// For root tasks of several spans, the board puts the kernel, the device tree
/// and the root task exactly where our loader's `Layout::plan` does, given a
/// kernel and device tree of the sizes the board file records. The loader is
/// the source of truth: it is what places them on a real boot.
#[test]
fn the_board_places_the_images_where_our_loader_does() {
    let spans = [
        (0x40_0000, 0x267_1000), // the recorded boots' root task
        (0x40_0000, 0x40_1000),
        (0x40_0000, 0x40_0001),
        (0x1000_0000, 0x1012_3456),
    ];
    for (start, end) in spans {
        let b = board(RootTaskImage::new(start, end).unwrap());
        let modelled = b.boot_layout(b.ram_bytes()).unwrap();
        let dtb = modelled
            .device_tree
            .expect("the aarch64 board has a device tree");

        let kernel = elf(
            KERNEL_VADDR,
            modelled.kernel_image.start,
            modelled.kernel_image.len(),
        );
        let root_task = elf(start, start, end - start);
        let planned = Layout::plan(
            QEMU_VIRT_LOADER,
            &Elf::parse(&kernel, Image::Kernel).unwrap(),
            &Elf::parse(&root_task, Image::RootTask).unwrap(),
            &device_tree(dtb.len()),
            &QEMU_VIRT,
        )
        .unwrap();
        let span = format!("root task [{start:#x}..{end:#x})");
        assert_eq!(
            modelled.kernel_image.to_string(),
            planned.kernel.to_string(),
            "{span}: kernel"
        );
        assert_eq!(
            dtb.to_string(),
            planned.device_tree.to_string(),
            "{span}: device tree"
        );
        assert_eq!(
            modelled.root_task_image.to_string(),
            planned.root_task.to_string(),
            "{span}: root task"
        );
        // The kernel reserves the device tree's bytes, not its pages: the rest of
        // its last page is free RAM.
        if !dtb.end.is_multiple_of(0x1000) {
            assert!(
                modelled
                    .memory
                    .free_ram
                    .contains(&PhysRange::new(dtb.end, planned.root_task.start)),
                "{span}: {:?}",
                modelled.memory.free_ram
            );
        }
    }
}

/// `$SEL4_PREFIX/<config>/NAME`; a test that needs it fails without it.
fn prefix_file(config: &str, name: &str) -> Vec<u8> {
    let prefix = std::env::var_os("SEL4_PREFIX")
        .expect("SEL4_PREFIX must name a kernel build (docs/kernel.md)");
    let path = PathBuf::from(prefix).join(config).join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The board file's kernel numbers are those of the kernel and device tree in
/// `$SEL4_PREFIX/aarch64` (docs/kernel.md). Needs that kernel build, so it is
/// `#[ignore]`d (ci/boot-examples-aarch64.sh runs it with `--ignored`); without
/// it, the recorded boots check the same numbers in CI through the untyped lists.
#[test]
#[ignore = "needs a real seL4 kernel build: set SEL4_PREFIX (docs/kernel.md) and run with --ignored"]
fn the_board_file_matches_our_kernel_build() {
    check_board_against_build("qemu-aarch64-virt", "aarch64");
}

/// The same for the kernel at EL1: `boards/qemu-aarch64-virt-el1.toml` against
/// `$SEL4_PREFIX/aarch64-el1` (kernel-config/aarch64-el1.cmake).
#[test]
#[ignore = "needs a real seL4 kernel build: set SEL4_PREFIX (docs/kernel.md) and run with --ignored"]
fn the_el1_board_file_matches_our_el1_kernel_build() {
    check_board_against_build("qemu-aarch64-virt-el1", "aarch64-el1");
}

fn check_board_against_build(board: &str, config: &str) {
    let (kernel, dtb) = (
        prefix_file(config, "kernel.elf"),
        prefix_file(config, "kernel.dtb"),
    );
    let elf = ElfFile64::<object::Endianness>::parse(&*kernel).unwrap();
    let endian = elf.endian();
    let load = elf
        .elf_program_headers()
        .iter()
        .find(|ph| ph.p_type(endian) == object::elf::PT_LOAD)
        .expect("the kernel has a PT_LOAD segment");
    let (vaddr, paddr) = (load.p_vaddr(endian), load.p_paddr(endian));
    let symbol = |name: &str| {
        elf.symbols()
            .find(|s| s.name() == Ok(name))
            .unwrap_or_else(|| panic!("kernel.elf has no {name}"))
            .address()
            - vaddr
            + paddr
    };
    let dtb_size = u64::from(u32::from_be_bytes(dtb[4..8].try_into().unwrap()));

    let b = Board::by_name(board).unwrap();
    let layout = b.boot_layout(b.ram_bytes()).unwrap();
    assert_eq!(
        layout.kernel_image.to_string(),
        PhysRange::new(paddr, symbol("ki_end")).to_string(),
        "kernel image: image_base and image_bytes"
    );
    assert_eq!(
        layout.memory.boot_reuse.map(|r| r.to_string()),
        Some(PhysRange::new(paddr, symbol("ki_boot_end")).to_string()),
        "boot_code_bytes"
    );
    assert_eq!(
        layout.device_tree.map(|d| d.len()),
        Some(dtb_size),
        "dtb_bytes"
    );
}
