//! Reading and writing the spec section of a root task ELF file.

use object::elf::{FileHeader64, ProgramHeader64, SectionHeader64, PT_LOAD, SHF_ALLOC, SHT_NOBITS};
use object::read::elf::{FileHeader, ProgramHeader, SectionHeader as _, SectionTable};
use object::{Endian, Endianness};
use std::ops::Range;

use crate::{
    HeaderError, SectionHeader, TraceLevel, HEADER_LEN, MACHINE_NOTE_PREFIX, PAGE, SECTION_NAME,
};

/// The board and RAM size an image was built for, as its machine note says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineNote {
    /// Board name (`sysinit build --board`).
    pub board: String,
    /// Bytes of RAM.
    pub ram_bytes: u64,
}

impl MachineNote {
    /// The note's text, one line ending in a newline.
    pub fn text(&self) -> String {
        format!(
            "{MACHINE_NOTE_PREFIX}board={} ram_bytes={}\n",
            self.board, self.ram_bytes
        )
    }

    /// Reads a note's text (up to the first NUL); `None` if it is no note.
    fn parse(text: &[u8]) -> Option<MachineNote> {
        let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
        let line = std::str::from_utf8(&text[..end]).ok()?;
        let rest = line.strip_prefix(MACHINE_NOTE_PREFIX)?.trim_end();
        let (board, ram) = rest.split_once(' ')?;
        Some(MachineNote {
            board: board.strip_prefix("board=")?.to_string(),
            ram_bytes: ram.strip_prefix("ram_bytes=")?.parse().ok()?,
        })
    }
}

/// Why a spec could not be embedded in or read from a root task image.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    /// The bytes are not a 64-bit ELF file `object` can parse.
    #[error("not a 64-bit ELF file: {reason}")]
    NotElf {
        /// What the parser reported.
        reason: String,
    },
    /// The ELF has no spec section.
    #[error(
        "the ELF has no {SECTION_NAME} section: is this a sysinit root task built from crates/roottask?"
    )]
    NoSection,
    /// The section exists but has no bytes in the file (e.g. it was placed in `.bss`).
    #[error(
        "the {SECTION_NAME} section has no bytes in the file (NOBITS), so nothing can be written \
         into it; rebuild the root task from crates/roottask"
    )]
    NoFileData,
    /// The section's file range lies outside the file.
    #[error(
        "the {SECTION_NAME} section claims file bytes {start:#x}..{end:#x} but the file is only \
         {file_len:#x} bytes long; the ELF is truncated or corrupt"
    )]
    SectionOutsideFile {
        /// Start of the claimed range.
        start: u64,
        /// End of the claimed range.
        end: u64,
        /// Length of the file.
        file_len: usize,
    },
    /// The section header is damaged.
    #[error("the {SECTION_NAME} section is damaged: {0}")]
    Header(HeaderError),
    /// The header's room is more than the section's bytes.
    #[error(
        "the {SECTION_NAME} section's header records {room} bytes after it, but the section has \
         only {section} bytes; the ELF is corrupt"
    )]
    RoomExceedsSection {
        /// Room in the header.
        room: u64,
        /// Bytes of the section after the header.
        section: u64,
    },
    /// The section is not where the spec and heap can grow: alone at the start of the
    /// last loadable segment, at the end of the loaded bytes of the file.
    #[error(
        "the {SECTION_NAME} section cannot grow to hold the spec: {reason}; the root task must be \
         linked with the section alone in its last PT_LOAD segment (crates/roottask/build.rs \
         and spec.ld do this), so rebuild it from crates/roottask"
    )]
    NotLastSegment {
        /// What is in the way.
        reason: String,
    },
    /// The spec and heap do not fit in an address space.
    #[error(
        "a spec of {spec} bytes and a heap of {heap} bytes do not fit in the root task's address space"
    )]
    TooLarge {
        /// Bytes of spec and note.
        spec: usize,
        /// Bytes of heap.
        heap: u64,
    },
}

fn not_elf(e: object::Error) -> ImageError {
    ImageError::NotElf {
        reason: e.to_string(),
    }
}

/// The parsed ELF: header, program headers, sections, endianness.
struct Elf<'a> {
    header: &'a FileHeader64<Endianness>,
    endian: Endianness,
    segments: &'a [ProgramHeader64<Endianness>],
    sections: SectionTable<'a, FileHeader64<Endianness>>,
}

impl<'a> Elf<'a> {
    fn parse(data: &'a [u8]) -> Result<Elf<'a>, ImageError> {
        let header = FileHeader64::<Endianness>::parse(data).map_err(not_elf)?;
        let endian = header.endian().map_err(not_elf)?;
        let segments = header.program_headers(endian, data).map_err(not_elf)?;
        let sections = header.sections(endian, data).map_err(not_elf)?;
        Ok(Elf {
            header,
            endian,
            segments,
            sections,
        })
    }

    /// The spec section's index, header and file range.
    fn spec_section(
        &self,
        data: &[u8],
    ) -> Result<(usize, &'a SectionHeader64<Endianness>, Range<usize>), ImageError> {
        let (index, section) = self
            .sections
            .section_by_name(self.endian, SECTION_NAME.as_bytes())
            .ok_or(ImageError::NoSection)?;
        let e = self.endian;
        if section.sh_type(e) == SHT_NOBITS {
            return Err(ImageError::NoFileData);
        }
        let (start, size) = (section.sh_offset(e), section.sh_size(e));
        let outside = ImageError::SectionOutsideFile {
            start,
            end: start.saturating_add(size),
            file_len: data.len(),
        };
        let range = usize::try_from(start)
            .ok()
            .zip(usize::try_from(size).ok())
            .and_then(|(s, n)| Some(s..s.checked_add(n)?))
            .filter(|r| r.end <= data.len())
            .ok_or(outside)?;
        Ok((index.0, section, range))
    }
}

/// The section's byte range in `elf` and its header.
fn locate(elf: &[u8]) -> Result<(Range<usize>, SectionHeader), ImageError> {
    let parsed = Elf::parse(elf)?;
    let (_, _, range) = parsed.spec_section(elf)?;
    let header = SectionHeader::parse(&elf[range.clone()]).map_err(ImageError::Header)?;
    let section = (range.len() - HEADER_LEN) as u64;
    if header.room > section {
        return Err(ImageError::RoomExceedsSection {
            room: header.room,
            section,
        });
    }
    Ok((range, header))
}

/// The spec bytes embedded in the root task image `elf` (empty if none was embedded).
pub fn embedded_spec(elf: &[u8]) -> Result<&[u8], ImageError> {
    let (range, header) = locate(elf)?;
    // `locate` checked length <= room <= section bytes, so this stays in the section.
    let start = range.start + HEADER_LEN;
    Ok(&elf[start..start + header.length as usize])
}

/// Bytes of heap arena the root task image `elf` was built with (0 before `sysinit build`).
pub fn embedded_heap_bytes(elf: &[u8]) -> Result<u64, ImageError> {
    locate(elf).map(|(_, header)| header.heap)
}

/// A copy of the root task image `roottask_elf` with `spec_bytes` in its spec section
/// and no heap: [`embed`] without note or heap, with the default (summary) trace.
pub fn embed_spec(roottask_elf: &[u8], spec_bytes: &[u8]) -> Result<Vec<u8>, ImageError> {
    embed(roottask_elf, spec_bytes, None, 0, TraceLevel::default())
}

/// The trace level the root task image `elf` was built with.
pub fn embedded_trace_level(elf: &[u8]) -> Result<TraceLevel, ImageError> {
    locate(elf).map(|(_, header)| header.trace)
}

/// The spec segment's program header index, after checking that the spec section can
/// grow: it is alone at the start of the last loadable segment, nothing loaded lies after
/// it in memory or in the file, and its address is page-aligned.
fn growable_segment(
    elf: &Elf<'_>,
    index: usize,
    section: &SectionHeader64<Endianness>,
) -> Result<usize, ImageError> {
    let e = elf.endian;
    let refuse = |reason: String| Err(ImageError::NotLastSegment { reason });
    let (addr, offset, size) = (section.sh_addr(e), section.sh_offset(e), section.sh_size(e));
    if section.sh_flags(e) & u64::from(SHF_ALLOC) == 0 {
        return refuse("the section is not loaded (no SHF_ALLOC)".into());
    }
    if addr % PAGE != 0 {
        return refuse(format!(
            "it starts at {addr:#x}, not at a page boundary, so its heap could not be page-aligned"
        ));
    }
    let Some(seg) = elf.segments.iter().position(|p| {
        p.p_type(e) == PT_LOAD
            && p.p_vaddr(e) == addr
            && p.p_offset(e) == offset
            && p.p_filesz(e) == size
    }) else {
        return refuse(format!(
            "no PT_LOAD segment starts at its address {addr:#x} and file offset {offset:#x} \
             with exactly its {size} file bytes"
        ));
    };
    let phdrs_end = elf
        .header
        .e_phoff(e)
        .saturating_add(u64::from(elf.header.e_phnum(e)) * u64::from(elf.header.e_phentsize(e)));
    if phdrs_end > offset {
        return refuse("the program header table does not end before it in the file".into());
    }
    let shoff = elf.header.e_shoff(e);
    let shdrs_end =
        shoff.saturating_add(elf.sections.len() as u64 * u64::from(elf.header.e_shentsize(e)));
    if shoff < offset.saturating_add(size) && shdrs_end > offset {
        return refuse("the section header table overlaps its file bytes".into());
    }
    for (i, p) in elf.segments.iter().enumerate() {
        if i == seg {
            continue;
        }
        let (vaddr, memsz) = (p.p_vaddr(e), p.p_memsz(e));
        if memsz > 0 && vaddr.saturating_add(memsz) > addr {
            return refuse(format!(
                "program header {i} (type {:#x}) occupies [{vaddr:#x}..{:#x}), at or after the \
                 section's address {addr:#x}",
                p.p_type(e),
                vaddr.saturating_add(memsz)
            ));
        }
        let (poff, filesz) = (p.p_offset(e), p.p_filesz(e));
        if filesz > 0 && poff.saturating_add(filesz) > offset {
            return refuse(format!(
                "program header {i} (type {:#x}) holds file bytes [{poff:#x}..{:#x}), at or \
                 after the section's file offset {offset:#x}",
                p.p_type(e),
                poff.saturating_add(filesz)
            ));
        }
    }
    for (i, s) in elf.sections.iter().enumerate() {
        if i == index {
            continue;
        }
        let name = String::from_utf8_lossy(elf.sections.section_name(e, s).unwrap_or(b"?"));
        let (saddr, ssize) = (s.sh_addr(e), s.sh_size(e));
        if s.sh_flags(e) & u64::from(SHF_ALLOC) != 0
            && ssize > 0
            && saddr.saturating_add(ssize) > addr
        {
            return refuse(format!(
                "section {name} is loaded at [{saddr:#x}..{:#x}), at or after the section's \
                 address {addr:#x}",
                saddr.saturating_add(ssize)
            ));
        }
        let soff = s.sh_offset(e);
        if soff >= offset.saturating_add(size) && s.sh_addralign(e) > PAGE {
            return refuse(format!(
                "section {name} after it in the file asks for an alignment of {:#x}, more than \
                 a page",
                s.sh_addralign(e)
            ));
        }
        if s.sh_type(e) != SHT_NOBITS
            && ssize > 0
            && soff < offset.saturating_add(size)
            && soff.saturating_add(ssize) > offset
        {
            return refuse(format!("section {name}'s file bytes overlap it"));
        }
    }
    Ok(seg)
}

/// A copy of the root task image `roottask_elf` holding `spec_bytes` (and, after them,
/// the machine `note`) and a heap arena of `heap_bytes`, printing the `trace` level on its console.
///
/// The spec section and its segment grow (or shrink) to exactly the header, the spec
/// and the note; the segment's memory size adds the heap (see the crate
/// documentation). What follows the section in the file (sections that are not
/// loaded, the section header table) moves by the same amount, rounded to keep its
/// alignment. Any spec embedded before is replaced, so the result depends only on the
/// inputs. Refuses an ELF whose spec section is not alone in the last loadable segment.
pub fn embed(
    roottask_elf: &[u8],
    spec_bytes: &[u8],
    note: Option<&MachineNote>,
    heap_bytes: u64,
    trace: TraceLevel,
) -> Result<Vec<u8>, ImageError> {
    let elf = Elf::parse(roottask_elf)?;
    let (index, section, range) = elf.spec_section(roottask_elf)?;
    SectionHeader::parse(&roottask_elf[range.clone()]).map_err(ImageError::Header)?;
    let seg = growable_segment(&elf, index, section)?;
    let e = elf.endian;

    let note = note.map(MachineNote::text).unwrap_or_default();
    let room = spec_bytes.len() + note.len();
    let too_large = ImageError::TooLarge {
        spec: room,
        heap: heap_bytes,
    };
    let header = SectionHeader {
        room: room as u64,
        length: spec_bytes.len() as u64,
        heap: heap_bytes,
        trace,
    };
    // Refuses sizes beyond the address space.
    SectionHeader::parse(&header.to_bytes()).map_err(|_| too_large)?;
    let end_of_space = section
        .sh_addr(e)
        .checked_add(header.memory_bytes())
        .filter(|&end| end <= 1 << 47);
    if end_of_space.is_none() {
        return Err(ImageError::TooLarge {
            spec: room,
            heap: heap_bytes,
        });
    }

    // What follows the section in the file (from the first thing after it, so that
    // padding before it is not carried along) moves, to the first offset that keeps
    // every moved offset's alignment: all alignments are powers of two, so keeping the
    // largest keeps them all.
    let old_end = range.end as u64;
    let shoff = elf.header.e_shoff(e);
    let after = |offset: u64| offset >= old_end;
    let tail_start = elf
        .sections
        .iter()
        .enumerate()
        .filter(|&(i, s)| i != index && after(s.sh_offset(e)))
        .map(|(_, s)| s.sh_offset(e))
        .chain(Some(shoff).filter(|&o| after(o)))
        .min()
        .unwrap_or(old_end)
        .min(roottask_elf.len() as u64);
    let align = elf
        .sections
        .iter()
        .filter(|s| after(s.sh_offset(e)))
        .map(|s| s.sh_addralign(e))
        .fold(8, u64::max)
        .next_power_of_two();
    let new_section_end = range.start as u64 + header.file_bytes();
    let new_tail = new_section_end + (tail_start % align + align - new_section_end % align) % align;
    let moved = |offset: u64| after(offset).then(|| offset - tail_start + new_tail);

    let mut out = Vec::with_capacity(roottask_elf.len() + room + align as usize);
    out.extend_from_slice(&roottask_elf[..range.start]);
    out.extend_from_slice(&header.to_bytes());
    out.extend_from_slice(spec_bytes);
    out.extend_from_slice(note.as_bytes());
    out.resize(new_tail as usize, 0);
    out.extend_from_slice(&roottask_elf[tail_start as usize..]);

    let put = |out: &mut Vec<u8>, at: u64, value: u64| {
        let at = at as usize;
        out[at..at + 8].copy_from_slice(&e.write_u64_bytes(value));
    };
    // The ELF header's section header table offset (e_shoff, at byte 40).
    let new_shoff = moved(shoff).unwrap_or(shoff);
    put(&mut out, 40, new_shoff);
    let shentsize = u64::from(elf.header.e_shentsize(e));
    for (i, s) in elf.sections.iter().enumerate() {
        let at = new_shoff + i as u64 * shentsize;
        if i == index {
            put(&mut out, at + 32, header.file_bytes()); // sh_size
        } else if let Some(offset) = moved(s.sh_offset(e)) {
            put(&mut out, at + 24, offset); // sh_offset
        }
    }
    let phdr = elf.header.e_phoff(e) + seg as u64 * u64::from(elf.header.e_phentsize(e));
    put(&mut out, phdr + 32, header.file_bytes()); // p_filesz
    put(&mut out, phdr + 40, header.memory_bytes()); // p_memsz
    Ok(out)
}

/// The machine note after the spec in the root task image `elf`, if it has one.
pub fn machine_note(elf: &[u8]) -> Result<Option<MachineNote>, ImageError> {
    let (range, header) = locate(elf)?;
    // `locate` checked length <= room <= section bytes.
    let start = range.start + HEADER_LEN + header.length as usize;
    let end = range.start + HEADER_LEN + header.room as usize;
    Ok(MachineNote::parse(&elf[start..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_note_reads_back() {
        let note = MachineNote {
            board: "qemu-x86_64".into(),
            ram_bytes: 512 << 20,
        };
        assert_eq!(
            note.text(),
            "sysinit-machine board=qemu-x86_64 ram_bytes=536870912\n"
        );
        assert_eq!(MachineNote::parse(note.text().as_bytes()), Some(note));
        assert_eq!(MachineNote::parse(b"sysinit-machine board=x"), None);
        assert_eq!(MachineNote::parse(b""), None);
    }
}
