//! Layout of the boot image and every refusal, with generated ELF files.

use sysinit_kobj::PhysRange;
use sysinit_loader_layout::elf::Elf;
use sysinit_loader_layout::tables::{self, BootTables};
use sysinit_loader_layout::{
    Image, KernelLevel, Layout, LayoutError, Memory, QEMU_VIRT, QEMU_VIRT_EL1, QEMU_VIRT_LOADER,
};

/// One PT_LOAD: (vaddr, paddr, file bytes, memory size).
type Load = (u64, u64, usize, u64);

/// A minimal aarch64 ELF64 executable with the given PT_LOAD segments.
fn elf(entry: u64, loads: &[Load]) -> Vec<u8> {
    let phoff = 64usize;
    let mut data_off = phoff + 56 * loads.len();
    let mut out = vec![0u8; data_off];
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = 2;
    out[5] = 1;
    out[6] = 1;
    out[16..18].copy_from_slice(&2u16.to_le_bytes());
    out[18..20].copy_from_slice(&183u16.to_le_bytes());
    out[24..32].copy_from_slice(&entry.to_le_bytes());
    out[32..40].copy_from_slice(&(phoff as u64).to_le_bytes());
    out[52..54].copy_from_slice(&64u16.to_le_bytes());
    out[54..56].copy_from_slice(&56u16.to_le_bytes());
    out[56..58].copy_from_slice(&(loads.len() as u16).to_le_bytes());
    for (i, &(vaddr, paddr, file, mem)) in loads.iter().enumerate() {
        let ph = phoff + 56 * i;
        out[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes());
        out[ph + 8..ph + 16].copy_from_slice(&(data_off as u64).to_le_bytes());
        out[ph + 16..ph + 24].copy_from_slice(&vaddr.to_le_bytes());
        out[ph + 24..ph + 32].copy_from_slice(&paddr.to_le_bytes());
        out[ph + 32..ph + 40].copy_from_slice(&(file as u64).to_le_bytes());
        out[ph + 40..ph + 48].copy_from_slice(&mem.to_le_bytes());
        data_off += file;
    }
    out.resize(data_off, 0xaa);
    out
}

/// Like our kernel.elf: one segment at virtual 0xffc0000000, physical 0x60000000.
fn kernel_at(paddr: u64) -> Vec<u8> {
    elf(
        0xff_c000_0000,
        &[(0xff_c000_0000, paddr, 0x321a0, 0x23_f000)],
    )
}

fn root_task() -> Vec<u8> {
    elf(
        0x40_0000,
        &[
            (0x40_0000, 0x40_0000, 0x3000, 0x3000),
            (0x40_3000, 0x40_3000, 0x100, 0x2_0000),
        ],
    )
}

fn dtb(size: u32) -> Vec<u8> {
    let mut out = vec![0u8; size as usize];
    out[..4].copy_from_slice(&[0xd0, 0x0d, 0xfe, 0xed]);
    out[4..8].copy_from_slice(&size.to_be_bytes());
    out
}

fn plan_with(
    loader: PhysRange,
    kernel: &[u8],
    root: &[u8],
    memory: &Memory<'_>,
) -> Result<Layout, LayoutError> {
    let kernel = Elf::parse(kernel, Image::Kernel)?;
    let root = Elf::parse(root, Image::RootTask)?;
    Layout::plan(loader, &kernel, &root, &dtb(7832), memory)
}

fn plan(kernel: &[u8], root: &[u8]) -> Result<Layout, LayoutError> {
    plan_with(QEMU_VIRT_LOADER, kernel, root, &QEMU_VIRT)
}

#[test]
fn places_kernel_device_tree_and_root_task_back_to_back() {
    let layout = plan(&kernel_at(0x6000_0000), &root_task()).unwrap();
    assert_eq!(layout.kernel, PhysRange::new(0x6000_0000, 0x6023_f000));
    assert_eq!(layout.kernel_virt_start, 0xff_c000_0000);
    assert_eq!(layout.kernel_entry, 0xff_c000_0000);
    // Device tree right after the kernel; root task (0x400000..0x423000) at the next page.
    assert_eq!(
        layout.device_tree,
        PhysRange::new(0x6023_f000, 0x6023_f000 + 7832)
    );
    assert_eq!(layout.root_task, PhysRange::new(0x6024_1000, 0x6026_4000));
    assert_eq!(layout.root_task_paddr(0x40_3000), 0x6024_4000);
    assert_eq!(
        layout.kernel_arguments(),
        [
            0x6024_1000,
            0x6026_4000,
            0x6024_1000u64.wrapping_sub(0x40_0000),
            0x40_0000,
            0x6023_f000,
            7832
        ]
    );
    assert_eq!(layout.kernel_paddr(0xff_c000_1000), 0x6000_1000);
}

#[test]
fn refuses_a_loader_overlapping_the_kernel() {
    let loader = PhysRange::new(0x6000_0000, 0x6100_0000);
    let err = plan_with(loader, &kernel_at(0x6000_0000), &root_task(), &QEMU_VIRT).unwrap_err();
    assert!(
        matches!(
            err,
            LayoutError::Overlap {
                first: Image::Loader,
                second: Image::Kernel,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("overlap"), "{err}");
}

#[test]
fn refuses_a_loader_over_the_device_tree_qemu_writes() {
    let loader = PhysRange::new(0x4000_0000, 0x4100_0000);
    let err = plan_with(loader, &kernel_at(0x6000_0000), &root_task(), &QEMU_VIRT).unwrap_err();
    assert!(
        matches!(
            err,
            LayoutError::Reserved {
                image: Image::Loader,
                name: "qemu-dtb",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn refuses_a_kernel_outside_kernel_ram() {
    // 0x40000000 is RAM, but the kernel's device tree reserves it for guests.
    let err = plan(&kernel_at(0x4000_0000), &root_task()).unwrap_err();
    assert!(
        matches!(
            err,
            LayoutError::OutOfRam {
                image: Image::Kernel,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("[0x60000000..0xc0000000)"),
        "{err}"
    );
}

#[test]
fn refuses_a_root_task_running_past_the_end_of_ram() {
    let huge = elf(0x40_0000, &[(0x40_0000, 0x40_0000, 0x10, 0x8000_0000)]);
    let err = plan(&kernel_at(0x6000_0000), &huge).unwrap_err();
    assert!(
        matches!(
            err,
            LayoutError::OutOfRam {
                image: Image::RootTask,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn refuses_a_loader_outside_ram() {
    let loader = PhysRange::new(0x1000_0000, 0x1100_0000);
    let err = plan_with(loader, &kernel_at(0x6000_0000), &root_task(), &QEMU_VIRT).unwrap_err();
    assert!(
        matches!(
            err,
            LayoutError::OutOfRam {
                image: Image::Loader,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn refuses_misaligned_kernel_and_root_task_entry() {
    let err = plan(&kernel_at(0x6000_1000), &root_task()).unwrap_err();
    assert!(
        matches!(
            err,
            LayoutError::Misaligned {
                image: Image::Kernel,
                align: 0x20_0000,
                ..
            }
        ),
        "{err}"
    );
    let odd_entry = elf(0x40_0002, &[(0x40_0000, 0x40_0000, 0x10, 0x1000)]);
    let err = plan(&kernel_at(0x6000_0000), &odd_entry).unwrap_err();
    assert!(
        matches!(
            err,
            LayoutError::Misaligned {
                image: Image::RootTask,
                align: 4,
                ..
            }
        ),
        "{err}"
    );
    let loader = PhysRange::new(0x4800_0800, 0x4900_0000);
    let err = plan_with(loader, &kernel_at(0x6000_0000), &root_task(), &QEMU_VIRT).unwrap_err();
    assert!(
        matches!(
            err,
            LayoutError::Misaligned {
                image: Image::Loader,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn refuses_kernels_the_boot_tables_cannot_map() {
    let split = elf(
        0xff_c000_0000,
        &[
            (0xff_c000_0000, 0x6000_0000, 0x10, 0x1000),
            (0xff_c010_0000, 0x6020_0000, 0x10, 0x1000),
        ],
    );
    assert!(matches!(
        plan(&split, &root_task()),
        Err(LayoutError::KernelOffsetsDiffer { .. })
    ));
    let low = elf(0x6000_0000, &[(0x6000_0000, 0x6000_0000, 0x10, 0x1000)]);
    assert!(matches!(
        plan(&low, &root_task()),
        Err(LayoutError::KernelInIdentityWindow { .. })
    ));
    let big = elf(
        0xff_c000_0000,
        &[(0xff_c000_0000, 0x6000_0000, 0x10, 0x4000_0001)],
    );
    assert!(matches!(
        plan(&big, &root_task()),
        Err(LayoutError::KernelTooLarge { .. })
    ));
}

#[test]
fn refuses_broken_elf_files_and_device_trees() {
    let kernel = kernel_at(0x6000_0000);
    assert!(matches!(
        Elf::parse(b"not an elf", Image::Kernel),
        Err(LayoutError::BadElf { .. })
    ));
    let mut truncated = kernel.clone();
    truncated.truncate(200);
    assert!(matches!(
        Elf::parse(&truncated, Image::Kernel),
        Err(LayoutError::BadSegment { index: 0, .. })
    ));
    let mut x86 = kernel.clone();
    x86[18] = 62;
    assert!(matches!(
        Elf::parse(&x86, Image::Kernel),
        Err(LayoutError::BadElf { .. })
    ));
    let empty = elf(0, &[]);
    assert!(matches!(
        Elf::parse(&empty, Image::RootTask),
        Err(LayoutError::NoLoadSegments { .. })
    ));

    let kernel = Elf::parse(&kernel, Image::Kernel).unwrap();
    let root = root_task();
    let root = Elf::parse(&root, Image::RootTask).unwrap();
    let mut bad = dtb(64);
    bad[4..8].copy_from_slice(&1000u32.to_be_bytes());
    for blob in [vec![0u8; 64], bad, vec![0xd0; 8]] {
        let err = Layout::plan(QEMU_VIRT_LOADER, &kernel, &root, &blob, &QEMU_VIRT).unwrap_err();
        assert!(matches!(err, LayoutError::BadDeviceTree { .. }), "{err}");
    }
}

#[test]
fn never_panics_on_truncated_input() {
    let whole = kernel_at(0x6000_0000);
    for len in 0..whole.len().min(400) {
        let _ = Elf::parse(&whole[..len], Image::Kernel);
    }
}

#[test]
fn boot_tables_map_identity_and_the_kernel_window() {
    let layout = plan(&kernel_at(0x6000_0000), &root_task()).unwrap();
    let mut t = BootTables::new();
    let base = 0x4810_0000;
    t.fill(base, &layout, &QEMU_VIRT);
    assert_eq!(t.l0[0], (base + 0x1000) | 3);
    // 0xffc0000000: level 0 entry 1, level 1 entry 511, level 2 from entry 0.
    assert_eq!(t.l0[1], (base + 0x2000) | 3);
    assert_eq!(t.l0.iter().filter(|&&e| e != 0).count(), 2);
    assert_eq!(t.l1_kernel[511], (base + 0x3000) | 3);
    assert_eq!(t.l2_kernel[0], 0x6000_0000 | 0x400 | (4 << 2) | 1);
    assert_eq!(
        t.l2_kernel[511],
        (0x6000_0000 + 511 * 0x20_0000) | 0x400 | (4 << 2) | 1
    );
    // Device GiB 0, RAM GiBs 1 and 2, nothing else.
    assert_eq!(t.l1_identity[0], 0x400 | 1);
    assert_eq!(t.l1_identity[1], 0x4000_0000 | 0x400 | (4 << 2) | 1);
    assert_eq!(t.l1_identity[2], 0x8000_0000 | 0x400 | (4 << 2) | 1);
    assert_eq!(t.l1_identity.iter().filter(|&&e| e != 0).count(), 3);
    assert_eq!(tables::TCR_EL2, 0x8084_3510);
    assert_eq!(tables::MAIR_EL2, 0xaaff_440c_0400);
}

/// Like the EL1 kernel.elf (kernel-config/aarch64-el1.cmake): one segment at virtual
/// 0xffffffffc0000000 (the last GiB below 2^64), physical `paddr`.
fn el1_kernel_at(paddr: u64, mem_size: u64) -> Vec<u8> {
    elf(
        0xffff_ffff_c000_0000,
        &[(0xffff_ffff_c000_0000, paddr, 0x30190, mem_size)],
    )
}

#[test]
fn places_an_el1_kernel_at_the_top_of_the_address_space() {
    let kernel = el1_kernel_at(0x4000_0000, 0x23_d000);
    let parsed = Elf::parse(&kernel, Image::Kernel).unwrap();
    assert_eq!(KernelLevel::of_kernel(&parsed).unwrap(), KernelLevel::El1);
    let layout = plan_with(QEMU_VIRT_LOADER, &kernel, &root_task(), &QEMU_VIRT_EL1).unwrap();
    assert_eq!(layout.kernel_level, KernelLevel::El1);
    assert_eq!(layout.kernel, PhysRange::new(0x4000_0000, 0x4023_d000));
    assert_eq!(layout.kernel_virt_start, 0xffff_ffff_c000_0000);
    assert_eq!(layout.kernel_paddr(0xffff_ffff_c000_0000), 0x4000_0000);
    assert_eq!(layout.device_tree.start, 0x4023_d000);
    // The EL2 memory map keeps the first 512 MiB from the kernel.
    assert!(matches!(
        plan_with(QEMU_VIRT_LOADER, &kernel, &root_task(), &QEMU_VIRT),
        Err(LayoutError::OutOfRam { .. })
    ));
    // The boot tables: identity in entry 0, the kernel's GiB through entry 511 of
    // level 0 and of level 1, 2 MiB blocks from its physical start.
    let mut t = BootTables::new();
    t.fill(0x4800_0000, &layout, &QEMU_VIRT_EL1);
    assert_eq!(tables::l0_index(layout.kernel_virt_start), 511);
    assert_eq!(tables::l1_index(layout.kernel_virt_start), 511);
    assert_eq!(t.l0[511], tables::table_descriptor(0x4800_2000));
    assert_eq!(t.l1_kernel[511], tables::table_descriptor(0x4800_3000));
    assert_eq!(
        t.l2_kernel[0],
        tables::block_descriptor(0x4000_0000, tables::ATTR_NORMAL)
    );
}

/// The 1 GiB check used to add 1 GiB to the kernel's GiB, which wraps at the top of the
/// address space: every EL1 kernel was refused as "crossing a 1 GiB boundary" (and a
/// debug build panicked). A kernel filling its GiB up to the last page below 2^64 passes
/// the check; one reaching past 2^64 is refused, without a panic.
#[test]
fn the_one_gib_check_does_not_wrap_at_the_top_of_the_address_space() {
    let huge = Memory {
        ram: &[PhysRange::new(0x4000_0000, 0x1_c000_0000)],
        kernel_ram: &[PhysRange::new(0x4000_0000, 0x1_c000_0000)],
        reserved: &[],
    };
    let loader = PhysRange::new(0x1_0000_0000, 0x1_0400_0000);
    let full = el1_kernel_at(0x4000_0000, 0x4000_0000 - 0x1000);
    let layout = plan_with(loader, &full, &root_task(), &huge).unwrap();
    assert_eq!(layout.kernel, PhysRange::new(0x4000_0000, 0x7fff_f000));
    let past = el1_kernel_at(0x4000_0000, 0x4000_0001);
    assert!(matches!(
        plan_with(loader, &past, &root_task(), &huge),
        Err(LayoutError::BadSegment { .. }
            | LayoutError::AddressOverflow { .. }
            | LayoutError::KernelTooLarge { .. })
    ));
    // Below the top the check still refuses a kernel crossing its GiB.
    let crossing = elf(
        0xffff_ffff_8020_0000,
        &[(0xffff_ffff_8020_0000, 0x4000_0000, 0x10, 0x4000_0000)],
    );
    assert_eq!(
        plan_with(loader, &crossing, &root_task(), &huge).unwrap_err(),
        LayoutError::KernelTooLarge {
            virt_start: 0xffff_ffff_8020_0000,
            virt_end: 0xffff_ffff_c020_0000,
        }
    );
}

#[test]
fn el1_translation_control() {
    // T0SZ, T1SZ 16; TG1 4 KiB (0b10); IPS 44 bits (0b100); 16-bit ASIDs.
    assert_eq!(tables::TCR_EL1 & 0x3f, 16);
    assert_eq!((tables::TCR_EL1 >> 16) & 0x3f, 16);
    assert_eq!((tables::TCR_EL1 >> 30) & 3, 2);
    assert_eq!((tables::TCR_EL1 >> 32) & 7, 4);
    assert_eq!((tables::TCR_EL1 >> 36) & 1, 1);
    assert_eq!((tables::TCR_EL1 >> 22) & 1, 0, "A1: ASIDs from TTBR0_EL1");
}
