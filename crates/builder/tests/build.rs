//! Building specs from descriptions and generated program images.

use std::path::{Path, PathBuf};

use sysinit_board::Board;
use sysinit_builder::elf::MAX_IMAGE_BYTES;
use sysinit_builder::test_elf::{TestElf, DATA_VADDR, TEXT_VADDR};
use sysinit_builder::{build_system, BuildErrors, ElfError, ProgramImage};
use sysinit_kobj::Arch;
use sysinit_spec::{Object, Spec};

/// A fresh directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sysinit-builder-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_elf(dir: &Path, name: &str, elf: &TestElf) {
    std::fs::write(dir.join(name), elf.to_bytes()).unwrap();
}

fn build(dir: &Path, sdf: &str, board: &str) -> Result<sysinit_builder::BuiltSystem, BuildErrors> {
    let file = dir.join("test.system");
    std::fs::write(&file, sdf).unwrap();
    let description = sysinit_sdf::parse_file(&file).unwrap();
    let board = Board::by_name(board).unwrap();
    build_system(&description, &board, &[dir.to_path_buf()])
}

fn simulate(spec: &Spec, board: &str) {
    let board = Board::by_name(board).unwrap();
    let memory = board.boot_memory(board.default_ram_bytes()).unwrap();
    let untypeds = sysinit_model::boot_untypeds(board.arch(), &memory, usize::MAX).unwrap();
    // The root task's own initializer on the kernel model, end state checked.
    if let Err(e) = sysinit_sim::simulate_spec(spec, &untypeds.untypeds) {
        panic!("{e}");
    }
}

fn frame_bytes(spec: &Spec, name: &str, offset: u64, len: usize) -> Vec<u8> {
    let id = spec
        .id_of(name)
        .unwrap_or_else(|| panic!("no object {name}"));
    let Object::Frame(frame) = &spec.get(id).unwrap().object else {
        panic!("{name} is not a frame");
    };
    let mut page = vec![0u8; 4096];
    for fill in &frame.fill {
        let bytes = fill.bytes(&spec.blob).unwrap();
        page[fill.offset as usize..fill.offset as usize + bytes.len()].copy_from_slice(bytes);
    }
    page[offset as usize..offset as usize + len].to_vec()
}

#[test]
fn a_generated_elf_parses_into_pages_with_the_segment_rights() {
    let image =
        ProgramImage::parse(&TestElf::pd(Arch::X86_64, &["a"]).to_bytes(), Arch::X86_64).unwrap();
    assert_eq!(image.entry, TEXT_VADDR);
    let pages: Vec<(u64, String)> = image
        .pages()
        .map(|(v, p)| (v, p.rights.to_string()))
        .collect();
    assert_eq!(
        pages,
        vec![
            (TEXT_VADDR, "r-x".into()),
            (DATA_VADDR, "rw-".into()),
            (DATA_VADDR + 0x1000, "rw-".into())
        ]
    );
    // The bss page has no file bytes, so nothing to fill.
    assert!(image.pages().nth(2).unwrap().1.content().is_none());
    assert_eq!(image.symbol("a"), Some((DATA_VADDR, 8)));
}

#[test]
fn overlapping_segments_share_pages_with_the_union_of_rights() {
    let mut elf = TestElf::pd(Arch::X86_64, &[]);
    elf.segments[1].vaddr = TEXT_VADDR + 0x800;
    let image = ProgramImage::parse(&elf.to_bytes(), Arch::X86_64).unwrap();
    let (vaddr, page) = image.pages().next().unwrap();
    assert_eq!((vaddr, page.rights.to_string()), (TEXT_VADDR, "rwx".into()));
    let (offset, bytes) = page.content().unwrap();
    assert_eq!((offset, bytes.len()), (0, 0x808));
}

#[test]
fn wrong_elfs_are_refused_with_the_reason() {
    let arm = TestElf::pd(Arch::Aarch64, &[]).to_bytes();
    assert_eq!(
        ProgramImage::parse(&arm, Arch::X86_64).unwrap_err(),
        ElfError::WrongMachine {
            found: "aarch64".into(),
            arch: Arch::X86_64,
            expected: 62
        }
    );
    assert_eq!(
        ProgramImage::parse(b"#!/bin/sh\n", Arch::X86_64).unwrap_err(),
        ElfError::NotElf
    );
    let mut huge = TestElf::pd(Arch::X86_64, &[]);
    huge.segments[1].memsz = MAX_IMAGE_BYTES;
    assert!(matches!(
        ProgramImage::parse(&huge.to_bytes(), Arch::X86_64),
        Err(ElfError::TooLarge { .. })
    ));
}

const PINGPONG: &str = r#"<?xml version="1.0"?>
<system>
    <memory_region name="shared" size="0x2000" />
    <memory_region name="uart" size="0x1000" phys_addr="0xfed00000" />
    <protection_domain name="ping" priority="100">
        <program_image path="ping.elf" />
        <map mr="shared" vaddr="0x4000000" perms="rw" setvar_vaddr="shared_vaddr" />
        <map mr="uart" vaddr="0x5000000" perms="rw" setvar_vaddr="uart_vaddr" />
        <protection_domain name="child" priority="50" id="3" setvar_id="child_id">
            <program_image path="pong.elf" />
        </protection_domain>
    </protection_domain>
    <protection_domain name="pong" priority="101">
        <program_image path="pong.elf" />
        <map mr="shared" vaddr="0x6000000" perms="r" />
        <irq id="5" pin="4" vector="4" setvar_id="irq_id" />
    </protection_domain>
    <channel>
        <end pd="ping" id="0" pp="true" />
        <end pd="pong" id="7" />
    </channel>
</system>
"#;

#[test]
fn pingpong_builds_validates_and_simulates() {
    let dir = scratch("pingpong");
    write_elf(
        &dir,
        "ping.elf",
        &TestElf::pd(Arch::X86_64, &["shared_vaddr", "uart_vaddr", "child_id"]),
    );
    write_elf(&dir, "pong.elf", &TestElf::pd(Arch::X86_64, &["irq_id"]));
    let built = build(&dir, PINGPONG, "qemu-x86_64").unwrap_or_else(|e| panic!("{e}"));
    let spec = &built.spec;
    spec.validate().unwrap();
    // setvars: little-endian values in the data page.
    let data = frame_bytes(spec, &format!("pd.ping.image@{DATA_VADDR:#x}"), 0, 24);
    assert_eq!(&data[0..8], &0x400_0000u64.to_le_bytes());
    assert_eq!(&data[8..16], &0x500_0000u64.to_le_bytes());
    assert_eq!(&data[16..24], &3u64.to_le_bytes());
    let name = frame_bytes(
        spec,
        &format!("pd.child.image@{:#x}", DATA_VADDR + 0x1000),
        0,
        6,
    );
    assert_eq!(&name, b"child\0");
    // Caps: ping calls pong's endpoint badged PPC | 7; pong notifies ping with bit 0.
    let cnode = |pd: &str| match &spec
        .get(spec.id_of(&format!("pd.{pd}.cnode")).unwrap())
        .unwrap()
        .object
    {
        Object::CNode(c) => c.slots.clone(),
        _ => unreachable!(),
    };
    let ping = cnode("ping");
    let ep = ping
        .iter()
        .find(|(s, _)| u64::from(*s) == sysinit_pd_abi::BASE_ENDPOINT_CAP)
        .unwrap()
        .1;
    assert_eq!(ep.badge, sysinit_pd_abi::PPC_BADGE | 7);
    assert_eq!(ep.object, spec.id_of("pd.pong.endpoint").unwrap());
    let child_tcb = ping
        .iter()
        .find(|(s, _)| u64::from(*s) == sysinit_pd_abi::BASE_TCB_CAP + 3)
        .unwrap()
        .1;
    assert_eq!(child_tcb.object, spec.id_of("pd.child.tcb").unwrap());
    let pong = cnode("pong");
    let input = pong
        .iter()
        .find(|(s, _)| u64::from(*s) == sysinit_pd_abi::INPUT_CAP)
        .unwrap()
        .1;
    assert_eq!(input.object, spec.id_of("pd.pong.endpoint").unwrap());
    let note = pong
        .iter()
        .find(|(s, _)| u64::from(*s) == sysinit_pd_abi::BASE_OUTPUT_NOTIFICATION_CAP + 7)
        .unwrap()
        .1;
    assert_eq!(
        (note.object, note.badge),
        (spec.id_of("pd.ping.notification").unwrap(), 1)
    );
    assert!(pong
        .iter()
        .any(|(s, _)| u64::from(*s) == sysinit_pd_abi::BASE_IRQ_CAP + 5));
    // The device region is mapped uncached.
    let ping_layout = &built.pds[0];
    let uart = ping_layout
        .mappings
        .iter()
        .find(|m| m.vaddr == 0x500_0000)
        .unwrap();
    assert!(!uart.cached);
    simulate(spec, "qemu-x86_64");
    // Same input, same output.
    assert_eq!(
        build(&dir, PINGPONG, "qemu-x86_64").unwrap().spec,
        built.spec
    );
}

const HELLO: &str = r#"<?xml version="1.0"?>
<system>
    <protection_domain name="hello" priority="100">
        <program_image path="hello.elf" />
    </protection_domain>
</system>
"#;

#[test]
fn a_missing_program_image_names_the_pd_the_path_and_the_search_paths() {
    let dir = scratch("missing");
    let err = build(&dir, HELLO, "qemu-x86_64").unwrap_err().to_string();
    let d = dir.display();
    assert_eq!(
        err,
        format!(
            "{d}/test.system:4:9: error: <protection_domain name=\"hello\">: program image 'hello.elf' not found; \
             tried {d}/hello.elf; search paths: {d}; valid: an existing file, relative to the system description's \
             directory or a --search-path DIR"
        )
    );
}

#[test]
fn a_wrong_arch_elf_is_refused() {
    let dir = scratch("wrong-arch");
    write_elf(&dir, "hello.elf", &TestElf::pd(Arch::Aarch64, &[]));
    let err = build(&dir, HELLO, "qemu-x86_64").unwrap_err().to_string();
    let d = dir.display();
    assert_eq!(
        err,
        format!(
            "{d}/test.system:4:9: error: <protection_domain name=\"hello\">: program image {d}/hello.elf is built for \
             aarch64, but the board is x86_64; valid: an ELF executable for x86_64 (e_machine 62)"
        )
    );
}

#[test]
fn a_missing_setvar_symbol_is_named_with_its_pd() {
    let dir = scratch("setvar");
    write_elf(
        &dir,
        "ping.elf",
        &TestElf::pd(Arch::X86_64, &["shared_vaddr", "uart_vaddr"]),
    );
    write_elf(&dir, "pong.elf", &TestElf::pd(Arch::X86_64, &["irq_id"]));
    let err = build(&dir, PINGPONG, "qemu-x86_64")
        .unwrap_err()
        .to_string();
    let d = dir.display();
    assert_eq!(
        err,
        format!(
            "{d}/test.system:9:9: error: <protection_domain name=\"child\"> in <protection_domain name=\"ping\">: \
             cannot set 'child_id' in program image {d}/ping.elf of protection domain 'ping': symbol 'child_id' is \
             not in the program image; valid: a global 8-byte variable named 'child_id'"
        )
    );
}

/// Two setvar symbols that share bytes (an image whose symbols alias, by accident or on
/// purpose): the second write would change the first value without a word.
#[test]
fn setvar_symbols_sharing_bytes_are_refused_at_the_second() {
    let dir = scratch("setvar-overlap");
    let mut elf = TestElf::pd(Arch::X86_64, &["base"]);
    elf.symbols.push(("size".to_string(), DATA_VADDR + 4, 8));
    write_elf(&dir, "a.elf", &elf);
    let sdf = r#"<system>
    <memory_region name="m" size="0x1000" />
    <protection_domain name="a">
        <program_image path="a.elf" />
        <map mr="m" vaddr="0x10000000" perms="rw" setvar_vaddr="base" setvar_size="size" />
    </protection_domain>
</system>"#;
    let err = build(&dir, sdf, "qemu-x86_64").unwrap_err().to_string();
    let d = dir.display();
    assert_eq!(
        err,
        format!(
            "{d}/test.system:5:9: error: <map mr=\"m\"> in <protection_domain name=\"a\">: cannot set 'size' in \
             program image {d}/a.elf of protection domain 'a': symbol 'size' at 0x401004 (8 bytes) shares bytes \
             with 'base', which is set too; valid: a separate variable for each value set"
        )
    );
}

#[test]
fn an_aarch64_system_builds_and_simulates() {
    let dir = scratch("aarch64");
    write_elf(&dir, "hello.elf", &TestElf::pd(Arch::Aarch64, &["uart"]));
    let sdf = r#"<system>
    <memory_region name="uart" size="0x1000" phys_addr="0x9000000" />
    <protection_domain name="hello" priority="100">
        <program_image path="hello.elf" />
        <map mr="uart" vaddr="0x5000000" perms="rw" setvar_vaddr="uart" />
        <irq irq="33" id="2" trigger="edge" />
    </protection_domain>
</system>"#;
    let built = build(&dir, sdf, "qemu-aarch64-virt").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(built.spec.arch, Arch::Aarch64);
    let irq = built.spec.id_of("pd.hello.irq2").unwrap();
    let Object::Irq(irq) = &built.spec.get(irq).unwrap().object else {
        panic!("not an irq");
    };
    assert_eq!(
        irq.source,
        sysinit_spec::IrqSource::Arm {
            irq: 33,
            edge_triggered: true
        }
    );
    assert_eq!(irq.notification.unwrap().badge, 1 << 2);
    simulate(&built.spec, "qemu-aarch64-virt");
}
