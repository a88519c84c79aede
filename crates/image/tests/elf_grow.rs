//! `embed` grows the root task's last segment to exactly the spec (and its heap), keeps
//! the ELF valid, and refuses ELFs whose spec section cannot grow.

mod common;

use common::*;
use object::{Object, ObjectSection, ObjectSegment};
use sysinit_image::{
    embed, embed_spec, embedded_heap_bytes, embedded_spec, machine_note, HeaderError, ImageError,
    MachineNote, TraceLevel, HEADER_LEN,
};

fn note() -> MachineNote {
    MachineNote {
        board: "qemu-x86_64".into(),
        ram_bytes: 512 << 20,
    }
}

/// (vaddr, file offset, filesz, memsz) of each loadable segment, as `object` reads them.
fn loads(elf: &[u8]) -> Vec<(u64, u64, u64, u64)> {
    let file = object::File::parse(elf).unwrap();
    file.segments()
        .map(|s| {
            let (off, filesz) = s.file_range();
            (s.address(), off, filesz, s.size())
        })
        .collect()
}

fn section(elf: &[u8], name: &str) -> (u64, Vec<u8>) {
    let file = object::File::parse(elf).unwrap();
    let s = file.section_by_name(name).unwrap();
    (s.file_range().unwrap().0, s.data().unwrap().to_vec())
}

#[test]
fn the_last_segment_grows_to_exactly_the_spec_and_heap() {
    let elf = Exe::root_task().bytes();
    assert_eq!(embedded_spec(&elf), Ok(&[][..]));
    assert_eq!(embedded_heap_bytes(&elf), Ok(0));
    let spec = vec![0x5a; 10_000];
    let out = embed(&elf, &spec, Some(&note()), 3 * 4096, TraceLevel::Summary).unwrap();
    assert_eq!(embedded_spec(&out), Ok(&spec[..]));
    assert_eq!(machine_note(&out), Ok(Some(note())));
    assert_eq!(embedded_heap_bytes(&out), Ok(3 * 4096));
    let file_bytes = (HEADER_LEN + spec.len() + note().text().len()) as u64;
    let segs = loads(&out);
    assert_eq!(segs[0], loads(&elf)[0], "the first segment is untouched");
    // The heap starts at the first page after the file bytes.
    assert_eq!(
        segs[1],
        (
            0x40_2000,
            0x2000,
            file_bytes,
            file_bytes.next_multiple_of(4096) + 3 * 4096
        )
    );
    // The sections after the spec moved with their contents and alignment.
    let (old_comment_at, comment) = section(&elf, ".comment");
    let (comment_at, moved_comment) = section(&out, ".comment");
    assert_eq!(moved_comment, comment);
    // Everything after the section moves by one amount that keeps the largest
    // alignment among them (the 8 of .symtab): the growth, rounded up to a multiple of 8.
    let shift = comment_at - old_comment_at;
    assert_eq!(shift, (file_bytes - HEADER_LEN as u64).next_multiple_of(8));
    let (symtab_at, symtab) = section(&out, ".symtab");
    assert_eq!(symtab, section(&elf, ".symtab").1);
    assert_eq!(symtab_at % 8, 0);
    assert_eq!(section(&out, ".text"), section(&elf, ".text"));
    assert_eq!(
        (out.len() - elf.len()) as u64,
        shift,
        "the file grows by the shift only"
    );
}

#[test]
fn no_heap_means_memory_equals_file() {
    let out = embed_spec(&Exe::root_task().bytes(), b"spec").unwrap();
    assert_eq!(loads(&out)[1], (0x40_2000, 0x2000, 44, 44));
}

#[test]
fn embedding_again_replaces_and_is_deterministic() {
    let elf = Exe::root_task().bytes();
    let big = embed(&elf, &[1; 50_000], Some(&note()), 8192, TraceLevel::Summary).unwrap();
    let small_from_big = embed(&big, b"xy", None, 0, TraceLevel::Summary).unwrap();
    let small = embed(&elf, b"xy", None, 0, TraceLevel::Summary).unwrap();
    assert_eq!(
        small_from_big, small,
        "shrinking gives the bytes embedding afresh gives"
    );
    assert_eq!(embedded_spec(&small), Ok(&b"xy"[..]));
    assert_eq!(machine_note(&small), Ok(None));
    assert_eq!(
        embed(&elf, &[1; 50_000], Some(&note()), 8192, TraceLevel::Summary).unwrap(),
        big,
        "same inputs, same bytes"
    );
    // Empty spec: back to the linked layout, header aside.
    let empty = embed(&big, b"", None, 0, TraceLevel::Summary).unwrap();
    assert_eq!(empty.len(), elf.len());
}

fn refusal(exe: &Exe) -> String {
    match embed(&exe.bytes(), b"spec", None, 4096, TraceLevel::Summary) {
        Err(e @ ImageError::NotLastSegment { .. }) => e.to_string(),
        other => panic!("expected NotLastSegment, got {other:?}"),
    }
}

#[test]
fn refuses_a_segment_after_the_spec() {
    let mut exe = Exe::root_task();
    // A .bss segment after the spec's.
    exe.segments.push((PT_LOAD, 0x40_3000, 0x2028, 0, 0x1000));
    exe.sections.push(Section {
        name: ".bss",
        kind: SHT_NOBITS,
        flags: SHF_ALLOC | SHF_WRITE,
        addr: 0x40_3000,
        offset: 0x2028,
        data: vec![0; 0x1000],
        align: 4096,
    });
    let msg = refusal(&exe);
    assert!(
        msg.starts_with(
            "the .sysinit_spec section cannot grow to hold the spec: program header 3 (type \
             0x1) occupies [0x403000..0x404000), at or after the section's address 0x402000; \
             the root task must be linked with the section alone in its last PT_LOAD segment"
        ),
        "{msg}"
    );
}

#[test]
fn refuses_a_spec_sharing_its_segment() {
    let mut exe = Exe::root_task();
    // The segment also holds 16 bytes of .data before the spec.
    exe.segments[1] = (PT_LOAD, 0x40_1ff0, 0x1ff0, 0x38, 0x38);
    let msg = refusal(&exe);
    assert!(
        msg.contains(
            "no PT_LOAD segment starts at its address 0x402000 and file offset 0x2000 with \
             exactly its 40 file bytes"
        ),
        "{msg}"
    );
}

#[test]
fn refuses_an_unaligned_spec_section() {
    let mut exe = Exe::root_task();
    exe.segments[1].1 = 0x40_2010;
    exe.section_mut(".sysinit_spec").addr = 0x40_2010;
    assert!(refusal(&exe).contains("it starts at 0x402010, not at a page boundary"));
}

#[test]
fn refuses_sections_after_it_aligned_beyond_a_page() {
    // Keeping such an alignment could pad the file by up to the alignment.
    let mut exe = Exe::root_task();
    exe.section_mut(".symtab").align = 1 << 40;
    assert!(refusal(&exe)
        .contains("section .symtab after it in the file asks for an alignment of 0x10000000000"));
}

#[test]
fn refuses_loaded_sections_after_the_spec() {
    let mut exe = Exe::root_task();
    exe.section_mut(".comment").flags = SHF_ALLOC;
    exe.section_mut(".comment").addr = 0x40_2020;
    assert!(refusal(&exe).contains(
        "section .comment is loaded at [0x402020..0x40202b), at or after the section's address"
    ));
}

#[test]
fn refuses_nobits_missing_and_damaged_sections() {
    let mut exe = Exe::root_task();
    exe.section_mut(".sysinit_spec").kind = SHT_NOBITS;
    assert_eq!(embedded_spec(&exe.bytes()), Err(ImageError::NoFileData));
    let mut exe = Exe::root_task();
    exe.section_mut(".sysinit_spec").name = ".data";
    let err = embed_spec(&exe.bytes(), b"x").unwrap_err();
    assert_eq!(err, ImageError::NoSection);
    assert!(err
        .to_string()
        .contains("is this a sysinit root task built from crates/roottask?"));
    let mut exe = Exe::root_task();
    exe.section_mut(".sysinit_spec").data = vec![0xaa; 40];
    assert!(matches!(
        embed_spec(&exe.bytes(), b"x"),
        Err(ImageError::Header(HeaderError::BadMagic { .. }))
    ));
    assert!(matches!(
        embedded_spec(b"definitely not an ELF"),
        Err(ImageError::NotElf { .. })
    ));
    assert!(matches!(
        embed_spec(&[], b""),
        Err(ImageError::NotElf { .. })
    ));
    // A header claiming more room than the section has.
    let mut exe = Exe::root_task();
    let mut h = empty_header();
    h[8] = 100;
    exe.section_mut(".sysinit_spec").data = h;
    assert_eq!(
        embedded_spec(&exe.bytes()),
        Err(ImageError::RoomExceedsSection {
            room: 100,
            section: 0
        })
    );
}

#[test]
fn refuses_a_heap_beyond_the_address_space() {
    let err = embed(
        &Exe::root_task().bytes(),
        b"x",
        None,
        1 << 62,
        TraceLevel::Summary,
    )
    .unwrap_err();
    assert!(matches!(err, ImageError::TooLarge { .. }), "{err:?}");
}

#[test]
fn truncated_files_are_refused_not_panicked_on() {
    let elf = embed(
        &Exe::root_task().bytes(),
        b"hello",
        Some(&note()),
        4096,
        TraceLevel::Summary,
    )
    .unwrap();
    for cut in [0, 1, 16, 64, 0x2000, 0x2010, elf.len() / 2, elf.len() - 1] {
        let _ = embedded_spec(&elf[..cut]);
        let _ = embed_spec(&elf[..cut], b"x");
    }
}
