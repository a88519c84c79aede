//! What the builder tells the spec about memory kinds and execution (issue 8): a region at
//! a fixed address is device memory unless it says `ram="true"`, program, stack and IPC
//! buffer frames are RAM; a mapping is executable only with `x` (for program segments:
//! `PF_X`); and the spec records the board and RAM size it was built for.

use std::path::PathBuf;

use sysinit_board::Board;
use sysinit_builder::build_system;
use sysinit_builder::test_elf::{TestElf, DATA_VADDR, TEXT_VADDR};
use sysinit_kobj::Arch;
use sysinit_spec::{Machine, Object, Spec};

const SYSTEM: &str = r#"<?xml version="1.0"?>
<system>
    <memory_region name="regs" size="0x1000" phys_addr="0xfed00000" />
    <memory_region name="dma" size="0x1000" phys_addr="0x10000000" ram="true" />
    <memory_region name="code" size="0x1000" />
    <protection_domain name="pd" priority="100">
        <program_image path="pd.elf" />
        <map mr="regs" vaddr="0x5000000" perms="rw" />
        <map mr="dma" vaddr="0x5001000" perms="rw" />
        <map mr="code" vaddr="0x5002000" perms="rx" />
    </protection_domain>
</system>
"#;

/// Builds [`SYSTEM`] in a scratch directory of its own (`test` names it: tests run in parallel).
fn built(test: &str, ram: Option<u64>) -> Spec {
    let dir = std::env::temp_dir().join(format!(
        "sysinit-builder-{}-devx-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("pd.elf"),
        TestElf::pd(Arch::X86_64, &[]).to_bytes(),
    )
    .unwrap();
    let file = dir.join("test.system");
    std::fs::write(&file, SYSTEM).unwrap();
    let description = sysinit_sdf::parse_file(&file).unwrap();
    let mut board = Board::by_name("qemu-x86_64").unwrap();
    if let Some(bytes) = ram {
        board = board.with_ram_bytes(bytes).unwrap();
    }
    let spec = build_system(&description, &board, &[PathBuf::from(&dir)])
        .unwrap()
        .spec;
    let _ = std::fs::remove_dir_all(dir);
    spec
}

fn frame(spec: &Spec, name: &str) -> sysinit_spec::Frame {
    let id = spec.id_of(name).unwrap_or_else(|| panic!("no {name}"));
    match &spec.get(id).unwrap().object {
        Object::Frame(f) => f.clone(),
        other => panic!("{name} is a {}", other.kind()),
    }
}

/// Whether the frame mapped at `vaddr` in the PD's vspace is mapped executable.
fn executable_at(spec: &Spec, vaddr: u64) -> bool {
    let vspace = spec.id_of("pd.pd.vspace").unwrap();
    let m = spec
        .vspace_mappings(vspace)
        .into_iter()
        .find(|m| m.is_frame && m.vaddr == vaddr)
        .unwrap_or_else(|| panic!("nothing mapped at {vaddr:#x}"));
    m.cap.executable
}

#[test]
fn regions_say_device_or_ram_and_the_machine_is_recorded() {
    let spec = built("regions", None);
    assert!(frame(&spec, "mr.regs.frame0").device);
    assert!(!frame(&spec, "mr.dma.frame0").device, "ram=\"true\" is RAM");
    assert!(!frame(&spec, "mr.code.frame0").device);
    assert!(!frame(&spec, "pd.pd.ipc_buffer").device);
    assert!(spec
        .iter()
        .filter(|(_, o)| o.name.contains(".image@") || o.name.contains(".stack@"))
        .all(|(_, o)| matches!(&o.object, Object::Frame(f) if !f.device)));
    assert_eq!(
        spec.machine,
        Some(Machine {
            board: "qemu-x86_64".into(),
            ram_bytes: Board::by_name("qemu-x86_64").unwrap().default_ram_bytes(),
        })
    );
    let spec = built("regions-1g", Some(1 << 30));
    assert_eq!(spec.machine.unwrap().ram_bytes, 1 << 30);
}

#[test]
fn only_x_mappings_and_pf_x_segments_are_executable() {
    let spec = built("exec", None);
    assert!(executable_at(&spec, TEXT_VADDR), "text has PF_X");
    assert!(!executable_at(&spec, DATA_VADDR), "data has no PF_X");
    assert!(!executable_at(&spec, 0x500_0000), "perms=\"rw\"");
    assert!(!executable_at(&spec, 0x500_1000), "perms=\"rw\"");
    assert!(executable_at(&spec, 0x500_2000), "perms=\"rx\"");
    let ipc = sysinit_pd_abi::ipc_buffer_vaddr(Arch::X86_64);
    assert!(!executable_at(&spec, ipc));
}
