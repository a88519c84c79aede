//! The seeds of the `elf_program` fuzz target (fuzz/corpus/elf_program): generated
//! here and read back in every test run, so the corpus is exercised without
//! cargo-fuzz and cannot drift from what it claims to be. Regenerate with
//! `SYSINIT_BLESS=1 cargo test -p sysinit-builder --test corpus`.
//!
//! `pd-*` are images the builder accepts; `invalid-*` are near misses, one per
//! refusal, so the fuzzer starts next to every check.

use std::path::PathBuf;

use sysinit_builder::test_elf::{TestElf, TEXT_VADDR};
use sysinit_builder::{ElfError, ProgramImage};
use sysinit_kobj::Arch;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/elf_program")
}

fn pd(arch: Arch) -> TestElf {
    TestElf::pd(arch, &["region_vaddr"])
}

/// Every seed: file name, bytes, and what parsing it for x86_64 must give
/// (`None` for an accepted image).
fn seeds() -> Vec<(&'static str, Vec<u8>, Option<&'static str>)> {
    let with = |f: &dyn Fn(&mut TestElf)| {
        let mut elf = pd(Arch::X86_64);
        f(&mut elf);
        elf.to_bytes()
    };
    let mut xnum = pd(Arch::X86_64).to_bytes();
    xnum[56..58].copy_from_slice(&0xffffu16.to_le_bytes()); // e_phnum = PN_XNUM
    vec![
        ("pd-x86_64.elf", pd(Arch::X86_64).to_bytes(), None),
        (
            "pd-aarch64.elf",
            pd(Arch::Aarch64).to_bytes(),
            Some("WrongMachine"),
        ),
        (
            "invalid-entry-zero.elf",
            with(&|e| e.entry = 0),
            Some("NullEntry"),
        ),
        (
            "invalid-entry-outside.elf",
            with(&|e| e.entry = 0x50_0000),
            Some("EntryOutsideSegments"),
        ),
        (
            "invalid-entry-in-data.elf",
            with(&|e| e.entry = e.segments[1].vaddr),
            Some("EntryNotExecutable"),
        ),
        (
            "invalid-overlap.elf",
            with(&|e| e.segments[1].vaddr = TEXT_VADDR + 0x20),
            Some("OverlappingSegments"),
        ),
        (
            "invalid-null-page.elf",
            with(&|e| e.segments[1].vaddr = 0),
            Some("SegmentOnNullPage"),
        ),
        ("invalid-phnum-xnum.elf", xnum, Some("NoProgramHeaders")),
    ]
}

/// The variant name of `error`.
fn variant(error: &ElfError) -> String {
    let debug = format!("{error:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn corpus_seeds_are_current_and_parse_as_they_say() {
    let dir = corpus_dir();
    for (name, bytes, refusal) in seeds() {
        let path = dir.join(name);
        if std::env::var_os("SYSINIT_BLESS").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let on_disk = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; run with SYSINIT_BLESS=1", path.display()));
        assert_eq!(on_disk, bytes, "{name} is stale; run with SYSINIT_BLESS=1");
        let parsed = ProgramImage::parse(&on_disk, Arch::X86_64);
        match (refusal, parsed) {
            (None, Ok(_)) => {}
            (Some(want), Err(e)) => assert_eq!(variant(&e), want, "{name}: {e}"),
            (want, got) => panic!("{name}: wanted {want:?}, got {got:?}"),
        }
    }
    let aarch64 = std::fs::read(dir.join("pd-aarch64.elf")).unwrap();
    assert!(ProgramImage::parse(&aarch64, Arch::Aarch64).is_ok());
    // Every file in the folder (seeds added by hand or by the fuzzer too): no panic.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for arch in Arch::ALL {
            let _ = ProgramImage::parse(&bytes, arch);
        }
    }
}
