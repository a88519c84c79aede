//! Reading and writing the spec section of a root task ELF file.

use object::{Object, ObjectSection};
use std::ops::Range;

use crate::{
    HeaderError, SectionHeader, CAPACITY_ENV, HEADER_LEN, MACHINE_NOTE_PREFIX, SECTION_NAME,
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
    /// The bytes are not an object file `object` can parse.
    #[error("not an ELF file: {reason}")]
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
    /// The spec does not fit.
    #[error(
        "the spec is {len} bytes but the root task's {SECTION_NAME} section holds at most \
         {capacity}; rebuild the root task with {CAPACITY_ENV}={len} (bytes) or more"
    )]
    TooLarge {
        /// Bytes of the spec.
        len: usize,
        /// Capacity of the section.
        capacity: u64,
    },
}

/// The section's byte range in `elf` and its header.
fn locate(elf: &[u8]) -> Result<(Range<usize>, SectionHeader), ImageError> {
    let file = object::File::parse(elf).map_err(|e| ImageError::NotElf {
        reason: e.to_string(),
    })?;
    let section = file
        .section_by_name(SECTION_NAME)
        .ok_or(ImageError::NoSection)?;
    let (start, size) = section.file_range().ok_or(ImageError::NoFileData)?;
    let outside = ImageError::SectionOutsideFile {
        start,
        end: start.saturating_add(size),
        file_len: elf.len(),
    };
    let range = usize::try_from(start)
        .ok()
        .zip(usize::try_from(size).ok())
        .and_then(|(s, n)| Some(s..s.checked_add(n)?))
        .filter(|r| r.end <= elf.len())
        .ok_or(outside)?;
    let header = SectionHeader::parse(&elf[range.clone()]).map_err(ImageError::Header)?;
    Ok((range, header))
}

/// The spec bytes embedded in the root task image `elf` (empty if none was embedded).
pub fn embedded_spec(elf: &[u8]) -> Result<&[u8], ImageError> {
    let (range, header) = locate(elf)?;
    // `parse` checked length <= capacity <= section room, so this stays in the section.
    let start = range.start + HEADER_LEN;
    Ok(&elf[start..start + header.length as usize])
}

/// A copy of the root task image `roottask_elf` with `spec_bytes` in its spec section.
///
/// Replaces any spec embedded before; the rest of the room is zeroed so the
/// result depends only on the inputs.
pub fn embed_spec(roottask_elf: &[u8], spec_bytes: &[u8]) -> Result<Vec<u8>, ImageError> {
    embed_spec_with_note(roottask_elf, spec_bytes, None)
}

/// [`embed_spec`], followed in the section by the machine `note` (see the crate
/// documentation), which must fit in the room too.
pub fn embed_spec_with_note(
    roottask_elf: &[u8],
    spec_bytes: &[u8],
    note: Option<&MachineNote>,
) -> Result<Vec<u8>, ImageError> {
    let (range, header) = locate(roottask_elf)?;
    let note = note.map(MachineNote::text).unwrap_or_default();
    let total = spec_bytes.len() + note.len();
    if total as u64 > header.capacity {
        return Err(ImageError::TooLarge {
            len: total,
            capacity: header.capacity,
        });
    }
    let mut out = roottask_elf.to_vec();
    let section = &mut out[range];
    let new_header = SectionHeader {
        capacity: header.capacity,
        length: spec_bytes.len() as u64,
    };
    section[..HEADER_LEN].copy_from_slice(&new_header.to_bytes());
    let room = &mut section[HEADER_LEN..HEADER_LEN + header.capacity as usize];
    room.fill(0);
    room[..spec_bytes.len()].copy_from_slice(spec_bytes);
    room[spec_bytes.len()..total].copy_from_slice(note.as_bytes());
    Ok(out)
}

/// The machine note after the spec in the root task image `elf`, if it has one.
pub fn machine_note(elf: &[u8]) -> Result<Option<MachineNote>, ImageError> {
    let (range, header) = locate(elf)?;
    // `parse` checked length <= capacity <= section room.
    let start = range.start + HEADER_LEN + header.length as usize;
    let end = range.start + HEADER_LEN + header.capacity as usize;
    Ok(MachineNote::parse(&elf[start..end]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use object::write::Object as WriteObject;
    use object::{Architecture, BinaryFormat, Endianness, SectionKind};

    /// An x86_64 ELF relocatable with a `.text` and, if given, a spec section.
    fn elf_with(section: Option<(Vec<u8>, SectionKind)>) -> Vec<u8> {
        let mut obj = WriteObject::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
        let text = obj.add_section(Vec::new(), b".text".to_vec(), SectionKind::Text);
        obj.append_section_data(text, &[0xf4; 16], 16);
        if let Some((data, kind)) = section {
            let s = obj.add_section(Vec::new(), SECTION_NAME.as_bytes().to_vec(), kind);
            if kind == SectionKind::UninitializedData {
                obj.append_section_bss(s, data.len() as u64, 8);
            } else {
                obj.append_section_data(s, &data, 8);
            }
        }
        obj.write().unwrap()
    }

    fn roottask(capacity: u64) -> Vec<u8> {
        let mut data = SectionHeader {
            capacity,
            length: 0,
        }
        .to_bytes()
        .to_vec();
        data.resize(HEADER_LEN + capacity as usize, 0);
        elf_with(Some((data, SectionKind::Data)))
    }

    #[test]
    fn embeds_and_reads_back() {
        let elf = roottask(64);
        assert_eq!(embedded_spec(&elf), Ok(&[][..]));
        let with = embed_spec(&elf, b"spec bytes").unwrap();
        assert_eq!(with.len(), elf.len());
        assert_eq!(embedded_spec(&with), Ok(&b"spec bytes"[..]));
        // A shorter spec replaces the longer one completely.
        let again = embed_spec(&with, b"xy").unwrap();
        assert_eq!(embedded_spec(&again), Ok(&b"xy"[..]));
        assert_eq!(again, embed_spec(&elf, b"xy").unwrap());
        // Exactly full.
        let full = embed_spec(&elf, &[7; 64]).unwrap();
        assert_eq!(embedded_spec(&full), Ok(&[7u8; 64][..]));
    }

    #[test]
    fn the_machine_note_follows_the_spec_and_reads_back() {
        let note = MachineNote {
            board: "qemu-x86_64".into(),
            ram_bytes: 512 << 20,
        };
        assert_eq!(
            note.text(),
            "sysinit-machine board=qemu-x86_64 ram_bytes=536870912\n"
        );
        let elf = roottask(128);
        assert_eq!(machine_note(&elf), Ok(None));
        let with = embed_spec_with_note(&elf, b"spec bytes", Some(&note)).unwrap();
        // The root task still sees exactly the spec.
        assert_eq!(embedded_spec(&with), Ok(&b"spec bytes"[..]));
        assert_eq!(machine_note(&with), Ok(Some(note.clone())));
        // A shell finds it in the file's bytes.
        let text = String::from_utf8_lossy(&with);
        assert!(text.contains("spec bytessysinit-machine board=qemu-x86_64 ram_bytes=536870912\n"));
        // Embedding again without a note removes it.
        let without = embed_spec(&with, b"spec bytes").unwrap();
        assert_eq!(machine_note(&without), Ok(None));
        // The note counts against the capacity.
        let err = embed_spec_with_note(&roottask(16), b"spec bytes", Some(&note)).unwrap_err();
        assert!(
            matches!(
                err,
                ImageError::TooLarge {
                    len: 64,
                    capacity: 16
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn too_large_names_the_knob() {
        let err = embed_spec(&roottask(8), &[1; 9]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the spec is 9 bytes but the root task's .sysinit_spec section holds at most 8; \
             rebuild the root task with SYSINIT_SPEC_CAPACITY=9 (bytes) or more"
        );
    }

    #[test]
    fn refuses_files_without_the_section() {
        let err = embedded_spec(&elf_with(None)).unwrap_err();
        assert_eq!(err, ImageError::NoSection);
        assert!(err
            .to_string()
            .contains("is this a sysinit root task built from crates/roottask?"));
        assert!(matches!(
            embedded_spec(b"definitely not an ELF"),
            Err(ImageError::NotElf { .. })
        ));
        assert!(matches!(
            embed_spec(&[], b""),
            Err(ImageError::NotElf { .. })
        ));
    }

    #[test]
    fn refuses_nobits_and_damaged_sections() {
        let bss = elf_with(Some((vec![0; 64], SectionKind::UninitializedData)));
        assert_eq!(embedded_spec(&bss), Err(ImageError::NoFileData));
        let garbage = elf_with(Some((vec![0xaa; 64], SectionKind::Data)));
        assert!(matches!(
            embedded_spec(&garbage),
            Err(ImageError::Header(HeaderError::BadMagic { .. }))
        ));
        let mut overlong = SectionHeader {
            capacity: 1000,
            length: 0,
        }
        .to_bytes()
        .to_vec();
        overlong.resize(HEADER_LEN + 10, 0);
        let elf = elf_with(Some((overlong, SectionKind::Data)));
        assert!(matches!(
            embed_spec(&elf, b"x"),
            Err(ImageError::Header(
                HeaderError::CapacityExceedsSection { .. }
            ))
        ));
    }

    #[test]
    fn truncated_files_are_refused_not_panicked_on() {
        let elf = embed_spec(&roottask(32), b"hello").unwrap();
        for cut in [0, 1, 16, 64, elf.len() / 2, elf.len() - 1] {
            let _ = embedded_spec(&elf[..cut]);
            let _ = embed_spec(&elf[..cut], b"x");
        }
    }
}
