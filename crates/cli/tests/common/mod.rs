//! What the command-line tests share: running `sysinit` as a user does, and scratch
//! directories that parallel tests do not share.
#![allow(dead_code)] // each test file uses its own subset

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the `sysinit` binary built for these tests with `args`.
pub fn sysinit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sysinit"))
        .args(args)
        .output()
        .expect("runs")
}

/// Output bytes as text (lossy: messages are ASCII, paths may not be).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An empty directory for one test of one test file (`suite`), fresh for each run.
pub fn scratch_dir(suite: &str, test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("sysinit-cli-{suite}-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A minimal x86_64 root task ELF laid out as crates/roottask links it: a `PT_LOAD`
/// segment `[vaddr_start, spec_at)` standing for code, data and stack, then the empty
/// `.sysinit_spec` section alone in the last segment at `spec_at`, which `sysinit build`
/// grows to the spec and the heap.
pub fn roottask_elf(vaddr_start: u64, spec_at: u64) -> Vec<u8> {
    const EHDR: usize = 64;
    const PHDR: usize = 56;
    const SHDR: usize = 64;
    let section = sysinit_image::SectionHeader {
        room: 0,
        length: 0,
        heap: 0,
        trace: sysinit_image::TraceLevel::Summary,
    }
    .to_bytes()
    .to_vec();
    let names = b"\0.sysinit_spec\0.shstrtab\0";
    let section_at = 0x1000;
    let names_at = section_at + section.len();
    let shdrs_at = (names_at + names.len()).next_multiple_of(8);

    let mut b = vec![0u8; EHDR];
    b[..4].copy_from_slice(b"\x7fELF");
    b[4] = 2; // 64-bit
    b[5] = 1; // little endian
    b[6] = 1; // version
    let put =
        |b: &mut Vec<u8>, at: usize, bytes: &[u8]| b[at..at + bytes.len()].copy_from_slice(bytes);
    put(&mut b, 16, &2u16.to_le_bytes()); // ET_EXEC
    put(&mut b, 18, &62u16.to_le_bytes()); // EM_X86_64
    put(&mut b, 20, &1u32.to_le_bytes());
    put(&mut b, 24, &vaddr_start.to_le_bytes()); // e_entry
    put(&mut b, 32, &(EHDR as u64).to_le_bytes()); // e_phoff
    put(&mut b, 40, &(shdrs_at as u64).to_le_bytes()); // e_shoff
    put(&mut b, 52, &(EHDR as u16).to_le_bytes());
    put(&mut b, 54, &(PHDR as u16).to_le_bytes());
    put(&mut b, 56, &2u16.to_le_bytes()); // e_phnum
    put(&mut b, 58, &(SHDR as u16).to_le_bytes());
    put(&mut b, 60, &3u16.to_le_bytes()); // e_shnum
    put(&mut b, 62, &2u16.to_le_bytes()); // e_shstrndx

    let phdr = |vaddr: u64, offset: usize, filesz: usize, memsz: u64| {
        let mut p = vec![0u8; PHDR];
        p[..4].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        p[4..8].copy_from_slice(&6u32.to_le_bytes()); // PF_R | PF_W
        p[8..16].copy_from_slice(&(offset as u64).to_le_bytes());
        p[16..24].copy_from_slice(&vaddr.to_le_bytes());
        p[24..32].copy_from_slice(&vaddr.to_le_bytes());
        p[32..40].copy_from_slice(&(filesz as u64).to_le_bytes());
        p[40..48].copy_from_slice(&memsz.to_le_bytes());
        p[48..56].copy_from_slice(&0x1000u64.to_le_bytes());
        p
    };
    b.extend_from_slice(&phdr(
        vaddr_start,
        0,
        EHDR + 2 * PHDR,
        spec_at - vaddr_start,
    ));
    b.extend_from_slice(&phdr(
        spec_at,
        section_at,
        section.len(),
        section.len() as u64,
    ));
    b.resize(section_at, 0);
    b.extend_from_slice(&section);
    b.extend_from_slice(names);
    b.resize(shdrs_at, 0);

    let shdr = |name: u32, ty: u32, flags: u64, addr: u64, offset: usize, size: usize| {
        let mut s = vec![0u8; SHDR];
        s[..4].copy_from_slice(&name.to_le_bytes());
        s[4..8].copy_from_slice(&ty.to_le_bytes());
        s[8..16].copy_from_slice(&flags.to_le_bytes());
        s[16..24].copy_from_slice(&addr.to_le_bytes());
        s[24..32].copy_from_slice(&(offset as u64).to_le_bytes());
        s[32..40].copy_from_slice(&(size as u64).to_le_bytes());
        s[48..56].copy_from_slice(&1u64.to_le_bytes()); // sh_addralign
        s
    };
    b.extend_from_slice(&[0u8; SHDR]);
    // PROGBITS, SHF_WRITE | SHF_ALLOC.
    b.extend_from_slice(&shdr(1, 1, 3, spec_at, section_at, section.len()));
    b.extend_from_slice(&shdr(15, 3, 0, 0, names_at, names.len())); // STRTAB
    b
}
