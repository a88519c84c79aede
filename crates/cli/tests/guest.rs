//! A virtual machine system (specs/boot-guest-aarch64.system) through `sysinit check`,
//! `build` and `simulate`, with generated stand-ins for the VMM and guest programs.

use std::path::{Path, PathBuf};

use sysinit_builder::test_elf::TestElf;
use sysinit_kobj::Arch;

mod common;
use common::{scratch_dir, sysinit, text};

const BOARD: &str = "qemu-aarch64-virt";

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/boot-guest-aarch64.system")
}

/// The example with a stand-in VMM ELF (the symbols its setvars patch) and guest
/// binary; `keep_dt` keeps its <guest_device_tree>.
fn setup(test: &str, keep_dt: bool) -> (PathBuf, PathBuf) {
    let dir = scratch_dir("guest", test);
    let vmm = TestElf::pd(Arch::Aarch64, &["guest_ram_gpa", "guest_dtb_gpa"]);
    std::fs::write(dir.join("vmm_hello"), vmm.to_bytes()).unwrap();
    std::fs::write(dir.join("guest_hello"), [0x14u8, 0, 0, 0].repeat(0x400)).unwrap();
    let text = std::fs::read_to_string(example()).unwrap();
    let text: String = text
        .lines()
        .filter(|l| keep_dt || !l.contains("<guest_device_tree"))
        .map(|l| format!("{l}\n"))
        .collect();
    let system = dir.join("guest.system");
    std::fs::write(&system, text).unwrap();
    (dir, system)
}

#[test]
fn the_example_checks_on_aarch64_and_is_refused_on_x86_64_for_want_of_vt_x() {
    let out = sysinit(&["check", example().to_str().unwrap(), "--board", BOARD]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = sysinit(&[
        "check",
        example().to_str().unwrap(),
        "--board",
        "qemu-x86_64",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("boot-guest-aarch64.system:45:9: error: <virtual_machine name=\"guest\"> in <protection_domain name=\"vmm\">: virtual machines are not available on board 'qemu-x86_64' (the x86_64 kernel config has no VT-x"),
        "{stderr}"
    );
}

#[test]
fn build_reports_the_vm_and_simulate_shows_its_objects_and_stage_2_mappings() {
    let (dir, system) = setup("build", false);
    let out_dir = dir.join("out");
    let out = sysinit(&[
        "build",
        system.to_str().unwrap(),
        "--board",
        BOARD,
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = std::fs::read_to_string(out_dir.join("report.txt")).unwrap();
    for line in [
        "virtual machine guest (VMM vmm, vCPUs 0; addresses are guest-physical)",
        "  0x8000000000       0x100000     0x1000    rw-    no     device region ivshmem_bar at paddr 0x8000000000",
        "  0x40000000         0x1000000    0x200000  rwx    yes    region guest_ram",
        "vm.guest.tcb0",
        "vm.guest.vcpu0",
    ] {
        assert!(report.contains(line), "{line:?} not in\n{report}");
    }
    let out = sysinit(&["simulate", system.to_str().unwrap(), "--board", BOARD]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stderr);
    for line in [
        "    vm.guest.tcb0: vcpu vm.guest.vcpu0, stage-2 vspace vm.guest.vspace, priority 100, faults to pd.vmm.endpoint badge 0x4000000000000000 (CPtr 0x0), stopped until its VMM starts it\n",
        "  stage-2 mappings of vm.guest.vspace (guest-physical):\n",
        "    [0x8010000..0x8012000) rw- uncached mr.gic_vcpu.frame0..mr.gic_vcpu.frame1\n",
        "    [0x40000000..0x41000000) rwx cached mr.guest_ram.frame0..mr.guest_ram.frame7\n",
        "    [0x4010000000..0x4010100000) rw- uncached mr.pci_ecam.frame0..mr.pci_ecam.frame255\n",
        "    [0x8000000000..0x8000100000) rw- uncached mr.ivshmem_bar.frame0..mr.ivshmem_bar.frame255\n",
        "  result: all ",
    ] {
        assert!(report.contains(line), "{line:?} not in\n{report}");
    }
    // The VM's objects are retyped like every other (the trace replays real boots).
    assert!(text(&out.stdout).contains(" type=vcpu "));
}

/// The example's <guest_device_tree> goes to the build output as guest.dtb and into
/// guest_dtb's frame.
#[test]
fn build_writes_the_guest_device_tree() {
    let (dir, system) = setup("dtb", true);
    let out_dir = dir.join("out");
    let out = sysinit(&[
        "build",
        system.to_str().unwrap(),
        "--board",
        BOARD,
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("report.txt, guest.dtb;"),
        "{}",
        text(&out.stderr)
    );
    let dtb = std::fs::read(out_dir.join("guest.dtb")).unwrap();
    assert_eq!(dtb[..4], 0xd00d_feedu32.to_be_bytes(), "FDT magic");
    let bin = std::fs::read(out_dir.join("spec.bin")).unwrap();
    let spec = sysinit_spec::Spec::from_postcard(&bin).unwrap();
    let frame = spec.id_of("mr.guest_dtb.frame0").unwrap();
    let sysinit_spec::Object::Frame(frame) = &spec.get(frame).unwrap().object else {
        panic!("not a frame");
    };
    assert_eq!(frame.fill.len(), 1);
    assert_eq!(frame.fill[0].offset, 0);
    assert_eq!(frame.fill[0].bytes(&spec.blob).unwrap(), &dtb[..]);
    // The tree depends on the description only, so it is the one the recorded real boot's
    // guest was given, byte for byte (re-record the boot when the generator changes).
    let recorded = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/boots/aarch64/guest/guest.dtb");
    assert!(
        std::fs::read(&recorded).unwrap() == dtb,
        "{} differs from the tree build generates now",
        recorded.display()
    );
}

/// The Linux example (specs/boot-linux-aarch64.system) with stand-ins for Debian's
/// kernel and the initramfs: the tree depends on the description and on the
/// initramfs's size only (its `/chosen` `linux,initrd-end`), so with a stand-in of the
/// recorded size it is the tree the recorded Linux boot was given, byte for byte.
#[test]
fn the_linux_example_gets_the_recorded_device_tree_with_the_initramfs_bytes() {
    /// Bytes of the initramfs the recorded boot ran (tests/boots/aarch64/linux/boot.toml).
    const RECORDED_INITRAMFS: usize = 456_712;
    let dir = scratch_dir("guest", "linux");
    let vmm = TestElf::pd(Arch::Aarch64, &["guest_ram_gpa", "guest_dtb_gpa"]);
    std::fs::write(dir.join("vmm_hello"), vmm.to_bytes()).unwrap();
    std::fs::write(dir.join("linux"), [0x14u8, 0, 0, 0].repeat(0x400)).unwrap();
    std::fs::write(
        dir.join("linux-initramfs.cpio"),
        vec![0; RECORDED_INITRAMFS],
    )
    .unwrap();
    let system =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/boot-linux-aarch64.system");
    let out_dir = dir.join("out");
    let out = sysinit(&[
        "build",
        system.to_str().unwrap(),
        "--board",
        BOARD,
        "-o",
        out_dir.to_str().unwrap(),
        "--search-path",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dtb = std::fs::read(out_dir.join("linux.dtb")).unwrap();
    // /chosen linux,initrd-start = 0x48000000 (guest_initrd's map), -end = + the file's size.
    let cells = |value: u64| value.to_be_bytes();
    let start = cells(0x4800_0000);
    let end = cells(0x4800_0000 + RECORDED_INITRAMFS as u64);
    let find = |needle: &[u8]| dtb.windows(needle.len()).any(|w| w == needle);
    assert!(find(&start) && find(&end), "initrd range not in the tree");
    let recorded =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/boots/aarch64/linux/guest.dtb");
    assert!(
        std::fs::read(&recorded).unwrap() == dtb,
        "{} differs from the tree build generates now",
        recorded.display()
    );
    let _ = std::fs::remove_dir_all(dir);
}
