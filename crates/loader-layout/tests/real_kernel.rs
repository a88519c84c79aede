//! The layout of the real kernel and device tree under `$SEL4_PREFIX/aarch64`
//! (docs/kernel.md). Needs a kernel built by hand, so it is `#[ignore]`d: plain
//! `cargo test` lists it as ignored, and `cargo test -- --ignored` runs it (and
//! fails if the kernel is missing). ci/boot-examples-aarch64.sh runs it.

use std::path::PathBuf;

use sysinit_kobj::PhysRange;
use sysinit_loader_layout::elf::Elf;
use sysinit_loader_layout::{Image, Layout, QEMU_VIRT, QEMU_VIRT_LOADER};

/// `$SEL4_PREFIX/aarch64/NAME`; a test that needs it fails without it.
fn prefix_file(name: &str) -> Vec<u8> {
    let prefix = std::env::var_os("SEL4_PREFIX")
        .expect("SEL4_PREFIX must name a kernel build (docs/kernel.md)");
    let path = PathBuf::from(prefix).join("aarch64").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
#[ignore = "needs a real seL4 kernel build: set SEL4_PREFIX (docs/kernel.md) and run with --ignored"]
fn our_kernel_and_device_tree_fit_with_a_small_root_task() {
    let (kernel, dtb) = (prefix_file("kernel.elf"), prefix_file("kernel.dtb"));
    let kernel = Elf::parse(&kernel, Image::Kernel).unwrap();
    let root = kernel_root_task();
    let root = Elf::parse(&root, Image::RootTask).unwrap();
    let layout = Layout::plan(QEMU_VIRT_LOADER, &kernel, &root, &dtb, &QEMU_VIRT).unwrap();
    // The hypervisor-mode kernel: linked at 0xffc0000000, loaded at the start of its RAM.
    assert_eq!(layout.kernel.start, 0x6000_0000);
    assert_eq!(layout.kernel_virt_start, 0xff_c000_0000);
    assert_eq!(layout.device_tree.start, layout.kernel.end);
    assert_eq!(layout.device_tree.len(), dtb.len() as u64);
    assert!(layout.root_task.start >= layout.device_tree.end);
    assert!(QEMU_VIRT.kernel_ram[0].start <= layout.kernel.start);
    assert!(layout.root_task.end <= QEMU_VIRT.kernel_ram[0].end);
    assert!(!layout
        .loader
        .overlaps(&PhysRange::new(layout.kernel.start, layout.root_task.end)));
}

/// A one-page root task linked at 0x400000.
fn kernel_root_task() -> Vec<u8> {
    let mut out = vec![0u8; 0x1004];
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = 2;
    out[5] = 1;
    out[16..18].copy_from_slice(&2u16.to_le_bytes());
    out[18..20].copy_from_slice(&183u16.to_le_bytes());
    out[24..32].copy_from_slice(&0x40_0000u64.to_le_bytes());
    out[32..40].copy_from_slice(&64u64.to_le_bytes());
    out[54..56].copy_from_slice(&56u16.to_le_bytes());
    out[56..58].copy_from_slice(&1u16.to_le_bytes());
    let ph = 64;
    out[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes());
    out[ph + 8..ph + 16].copy_from_slice(&0x1000u64.to_le_bytes());
    out[ph + 16..ph + 24].copy_from_slice(&0x40_0000u64.to_le_bytes());
    out[ph + 24..ph + 32].copy_from_slice(&0x40_0000u64.to_le_bytes());
    out[ph + 32..ph + 40].copy_from_slice(&4u64.to_le_bytes());
    out[ph + 40..ph + 48].copy_from_slice(&0x1000u64.to_le_bytes());
    out
}
