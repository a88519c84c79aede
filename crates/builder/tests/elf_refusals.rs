//! Program images that would load wrongly or not at all are refused with the PD,
//! the file and the addresses: each case built as a user would, through `build_system`.

use std::path::{Path, PathBuf};

use sysinit_board::Board;
use sysinit_builder::test_elf::{TestElf, TestSegment, DATA_VADDR, TEXT_VADDR};
use sysinit_builder::{build_system, ElfError, ProgramImage};
use sysinit_kobj::Arch;
use sysinit_pd_abi as abi;

const SYSTEM: &str = r#"<system>
    <protection_domain name="a">
        <program_image path="a.elf" />
    </protection_domain>
</system>"#;

fn scratch(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("sysinit-builder-elf-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Builds [`SYSTEM`] on qemu-x86_64 with `a.elf` holding `bytes`; the error text.
fn refusal(test: &str, bytes: &[u8]) -> (String, PathBuf) {
    let dir = scratch(test);
    std::fs::write(dir.join("a.elf"), bytes).unwrap();
    (build_error(&dir), dir)
}

fn build_error(dir: &Path) -> String {
    let file = dir.join("t.system");
    std::fs::write(&file, SYSTEM).unwrap();
    let description = sysinit_sdf::parse_file(&file).unwrap();
    let board = Board::by_name("qemu-x86_64").unwrap();
    match build_system(&description, &board, &[dir.to_path_buf()]) {
        Ok(_) => panic!("{test} built", test = dir.display()),
        Err(e) => e.to_string(),
    }
}

/// The start of every message about `a.elf` in `dir`.
fn prefix(dir: &Path) -> String {
    format!(
        "{}:3:9: error: <protection_domain name=\"a\">: program image {}",
        dir.join("t.system").display(),
        dir.join("a.elf").display()
    )
}

fn pd() -> TestElf {
    TestElf::pd(Arch::X86_64, &[])
}

#[test]
fn an_entry_point_outside_every_segment_is_refused() {
    let mut elf = pd();
    elf.entry = 0x50_0000;
    let (message, dir) = refusal("entry-outside", &elf.to_bytes());
    assert_eq!(
        message,
        format!(
            "{} has entry point 0x500000 outside every loadable segment ([0x400000..0x400040) r-x, \
             [0x401000..0x403000) rw-); valid: an address in an executable (PF_X) segment",
            prefix(&dir)
        )
    );
}

#[test]
fn entry_point_zero_is_refused() {
    let mut elf = pd();
    elf.entry = 0;
    let (message, dir) = refusal("entry-zero", &elf.to_bytes());
    assert_eq!(
        message,
        format!(
            "{} has entry point 0x0; valid: the address of code in an executable (PF_X) segment",
            prefix(&dir)
        )
    );
}

#[test]
fn an_entry_point_in_data_is_refused() {
    let mut elf = pd();
    elf.entry = DATA_VADDR + 0x10;
    let (message, dir) = refusal("entry-data", &elf.to_bytes());
    assert_eq!(
        message,
        format!(
            "{} has entry point 0x401010 in segment 1 [0x401000..0x403000), which is not \
             executable (rw-); valid: an address in an executable (PF_X) segment",
            prefix(&dir)
        )
    );
}

#[test]
fn overlapping_segments_are_refused() {
    let mut elf = pd();
    elf.segments[1].vaddr = TEXT_VADDR + 0x20;
    let (message, dir) = refusal("overlap", &elf.to_bytes());
    assert_eq!(
        message,
        format!(
            "{} segments 0 [0x400000..0x400040) and 1 [0x400020..0x402020) overlap, so one would \
             overwrite the other's bytes; valid: segments that share no address",
            prefix(&dir)
        )
    );
    // One segment inside another is refused too, whichever comes first in the file.
    let mut elf = pd();
    elf.segments.swap(0, 1);
    elf.segments[1].vaddr = DATA_VADDR + 0x100;
    elf.entry = DATA_VADDR + 0x100;
    let error = ProgramImage::parse(&elf.to_bytes(), Arch::X86_64).unwrap_err();
    assert!(
        matches!(
            error,
            ElfError::OverlappingSegments {
                first: 0,
                second: 1,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn a_segment_on_the_null_page_is_refused() {
    let mut elf = pd();
    elf.segments[1].vaddr = 0;
    let (message, dir) = refusal("null-page", &elf.to_bytes());
    assert_eq!(
        message,
        format!(
            "{} segment 1 at [0x0..0x2000) lies on the null page [0x0..0x1000), which stays \
             unmapped so that null pointers fault; valid: segments at or above 0x1000",
            prefix(&dir)
        )
    );
}

#[test]
fn a_segment_on_the_stack_guard_page_is_refused() {
    let guard = abi::stack_top(Arch::X86_64);
    let mut elf = pd();
    elf.segments.push(TestSegment {
        vaddr: guard,
        data: vec![1; 8],
        memsz: 0x1000,
        flags: object::elf::PF_R,
    });
    let (message, dir) = refusal("guard", &elf.to_bytes());
    // The default 8 KiB stack: two pages below the guard page.
    assert_eq!(guard, 0x7fff_ffff_d000);
    assert_eq!(
        message,
        format!(
            "{} segment 2 at [0x7fffffffd000..0x7fffffffe000) overlaps the PD's stack, its \
             guard pages and IPC buffer at [0x7fffffffa000..0x7ffffffff000); valid: segments \
             below 0x7fffffffa000, or a smaller stack_size",
            prefix(&dir)
        )
    );
}

/// The page below the stack stays unmapped too: a segment ending right at the stack's
/// bottom would turn a stack overflow into a silent write into that segment.
#[test]
fn a_segment_on_the_guard_page_below_the_stack_is_refused() {
    let bottom = abi::stack_top(Arch::X86_64) - 0x2000;
    let mut elf = pd();
    elf.segments.push(TestSegment {
        vaddr: bottom - 0x1000,
        data: vec![1; 8],
        memsz: 0x1000,
        flags: object::elf::PF_R | object::elf::PF_W,
    });
    let (message, dir) = refusal("guard-below", &elf.to_bytes());
    assert_eq!(
        message,
        format!(
            "{} segment 2 at [0x7fffffffa000..0x7fffffffb000) overlaps the PD's stack, its \
             guard pages and IPC buffer at [0x7fffffffa000..0x7ffffffff000); valid: segments \
             below 0x7fffffffa000, or a smaller stack_size",
            prefix(&dir)
        )
    );
}

#[test]
fn e_phnum_pn_xnum_without_a_count_says_so() {
    let mut bytes = pd().to_bytes();
    // e_phnum is at offset 56 of the ELF64 header; section 0's sh_info stays 0.
    bytes[56..58].copy_from_slice(&0xffffu16.to_le_bytes());
    let (message, dir) = refusal("phnum", &bytes);
    assert_eq!(
        message,
        format!(
            "{} has no program headers (e_phnum 0xffff, PN_XNUM: the count is section 0's \
             sh_info, which is 0); valid: a linked executable with at least one PT_LOAD segment",
            prefix(&dir)
        )
    );
}

#[test]
fn program_headers_without_a_load_segment_are_counted() {
    let mut elf = pd();
    for s in &mut elf.segments {
        s.data.clear();
        s.memsz = 0;
    }
    let error = ProgramImage::parse(&elf.to_bytes(), Arch::X86_64).unwrap_err();
    assert_eq!(
        error.to_string(),
        "has no loadable (PT_LOAD) segment with memory among its 2 program headers; valid: a \
         linked executable with at least one PT_LOAD segment"
    );
}

#[test]
fn a_directory_as_program_image_is_named_a_directory() {
    let dir = scratch("directory");
    std::fs::create_dir_all(dir.join("a.elf")).unwrap();
    let message = build_error(&dir);
    assert_eq!(
        message,
        format!(
            "{}:3:9: error: <protection_domain name=\"a\">: program image 'a.elf' is a directory \
             ({}), not a file; valid: an ELF executable file, relative to the system \
             description's directory or a --search-path DIR",
            dir.join("t.system").display(),
            dir.join("a.elf").display()
        )
    );
}

/// A device as program image (here /dev/zero, through a symlink so the description's
/// relative path finds it) is named as such and never read: reading it would not end.
#[cfg(unix)]
#[test]
fn a_device_as_program_image_is_named_and_not_read() {
    let dir = scratch("device");
    std::os::unix::fs::symlink("/dev/zero", dir.join("a.elf")).unwrap();
    let message = build_error(&dir);
    assert_eq!(
        message,
        format!(
            "{}:3:9: error: <protection_domain name=\"a\">: program image 'a.elf' is a character \
             device ({}), not a file; valid: an ELF executable file, relative to the system \
             description's directory or a --search-path DIR",
            dir.join("t.system").display(),
            dir.join("a.elf").display()
        )
    );
}
