//! The root task's embedded spec: the `.sysinit_spec` section layout, and on the host
//! putting a spec into a built root task ELF and reading it back.
//!
//! The root task (crates/roottask) is linked with a page-aligned section named
//! [`SECTION_NAME`] alone in its **last** `PT_LOAD` segment, holding only a
//! [`HEADER_LEN`]-byte header:
//!
//! | offset | size | field |
//! |-------:|-----:|-------|
//! | 0      | 8    | [`MAGIC`] |
//! | 8      | 8    | room: bytes after the header in the file (spec, then machine note), little endian |
//! | 16     | 8    | length of the spec in bytes, little endian (0 = none embedded) |
//! | 24     | 8    | bytes of heap arena, little endian |
//! | 32     | 8    | trace level ([`TraceLevel`]): 0 summary, 1 full, little endian |
//!
//! `sysinit build` ([`embed`]) writes the spec's bytes (and the machine note) after
//! the header and grows the section and its segment to exactly that length: the file
//! grows, the non-loaded sections after it (symbols, debug information) and the section
//! header table move along. The segment's memory size adds the heap arena beyond the
//! file bytes, starting at the first page boundary after them
//! ([`SectionHeader::heap_offset`]), zeroed by the loader like any `.bss`. So the root
//! task's image is its code and data, plus exactly the spec, plus exactly the heap the
//! build measured, and a larger system needs no rebuild of the root task.
//!
//! Right after the spec's bytes, `sysinit build` writes a one-line ASCII
//! **machine note** ([`MACHINE_NOTE_PREFIX`], e.g.
//! `sysinit-machine board=qemu-x86_64 ram_bytes=536870912`): the board and RAM
//! size the spec was built for, so that runners can boot with that RAM without
//! decoding the spec (`grep -a -o 'sysinit-machine [^[:cntrl:]]*' image.elf`).
//! The root task never reads it (it reads `length` bytes of spec). The layout half of this
//! crate is `no_std` and dependency-free (`default-features = false`) so the
//! root task reads the header with the same code the host writes it with.
#![cfg_attr(not(feature = "host"), no_std)]
#![forbid(unsafe_code)]

use core::fmt;

#[cfg(feature = "host")]
mod host;
#[cfg(feature = "host")]
pub use host::{
    embed, embed_spec, embedded_heap_bytes, embedded_spec, embedded_trace_level, machine_note,
    ImageError, MachineNote,
};

/// How the machine note after the spec starts (see the crate documentation).
pub const MACHINE_NOTE_PREFIX: &str = "sysinit-machine ";

/// Name of the ELF section that holds the spec.
pub const SECTION_NAME: &str = ".sysinit_spec";

/// First bytes of the section: identifies it and the header layout version.
pub const MAGIC: [u8; 8] = *b"SYSSPEC3";

/// Bytes of the header before the spec's own bytes.
pub const HEADER_LEN: usize = 40;

/// What the root task prints on the console, chosen by `sysinit build --trace`.
///
/// Every character costs the root task a `seL4_DebugPutChar` system call, so the full
/// allocation trace (the boot untyped list and one line per retype, several KiB) is most
/// of the initializer's time; the summary line alone is a few hundred bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TraceLevel {
    /// Only the `SYSINIT summary` and `SYSINIT roottask done` lines (and any error): the
    /// log cannot be replayed by `sysinit verify-trace`.
    #[default]
    Summary,
    /// The whole allocation trace (docs/trace-format.md), which `sysinit verify-trace`
    /// replays: what the recorded boots and the boot scripts use.
    Full,
}

impl TraceLevel {
    /// The header word.
    pub const fn word(self) -> u64 {
        match self {
            TraceLevel::Summary => 0,
            TraceLevel::Full => 1,
        }
    }

    /// The level a header word names, if any.
    pub const fn from_word(word: u64) -> Option<TraceLevel> {
        match word {
            0 => Some(TraceLevel::Summary),
            1 => Some(TraceLevel::Full),
            _ => None,
        }
    }

    /// The name `sysinit build --trace` takes.
    pub const fn name(self) -> &'static str {
        match self {
            TraceLevel::Summary => "summary",
            TraceLevel::Full => "full",
        }
    }
}

/// The page size the heap arena is aligned to (and the section's address).
pub const PAGE: u64 = 4096;

/// The decoded header of a `.sysinit_spec` section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionHeader {
    /// Bytes after the header in the file: the spec, then the machine note.
    pub room: u64,
    /// Bytes of the spec actually embedded (0: none).
    pub length: u64,
    /// Bytes of heap arena after the file bytes (from [`SectionHeader::heap_offset`]).
    pub heap: u64,
    /// What the root task prints.
    pub trace: TraceLevel,
}

impl SectionHeader {
    /// The header's bytes.
    ///
    /// `const` so the root task can build its initial (empty) section at compile time.
    pub const fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let room = self.room.to_le_bytes();
        let length = self.length.to_le_bytes();
        let heap = self.heap.to_le_bytes();
        let trace = self.trace.word().to_le_bytes();
        let mut i = 0;
        while i < 8 {
            out[i] = MAGIC[i];
            out[8 + i] = room[i];
            out[16 + i] = length[i];
            out[24 + i] = heap[i];
            out[32 + i] = trace[i];
            i += 1;
        }
        out
    }

    /// Reads the header at the start of `bytes` (the section's first bytes or more) and
    /// checks that the spec fits in the room.
    pub fn parse(bytes: &[u8]) -> Result<SectionHeader, HeaderError> {
        let Some(header) = bytes.get(..HEADER_LEN) else {
            return Err(HeaderError::TooShort { len: bytes.len() });
        };
        let mut magic = [0u8; 8];
        magic.copy_from_slice(&header[..8]);
        if magic != MAGIC {
            return Err(HeaderError::BadMagic { found: magic });
        }
        let word = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&header[at..at + 8]);
            u64::from_le_bytes(w)
        };
        let (room, length, heap) = (word(8), word(16), word(24));
        let Some(trace) = TraceLevel::from_word(word(32)) else {
            return Err(HeaderError::BadTraceLevel { found: word(32) });
        };
        if length > room {
            return Err(HeaderError::LengthExceedsRoom { length, room });
        }
        // The section and its heap must fit in the address space (and in `usize`).
        let fits = (HEADER_LEN as u64)
            .checked_add(room)
            .and_then(|n| n.checked_next_multiple_of(PAGE))
            .and_then(|n| n.checked_add(heap))
            .is_some_and(|n| n <= isize::MAX as u64);
        if !fits {
            return Err(HeaderError::TooLarge { room, heap });
        }
        Ok(SectionHeader {
            room,
            length,
            heap,
            trace,
        })
    }

    /// Bytes of the section in the file: the header and the room.
    pub const fn file_bytes(&self) -> u64 {
        HEADER_LEN as u64 + self.room
    }

    /// Where the heap arena starts, from the start of the section: the first page
    /// boundary at or after the file bytes.
    pub const fn heap_offset(&self) -> u64 {
        self.file_bytes().next_multiple_of(PAGE)
    }

    /// Bytes of memory the section's segment occupies: the file bytes, then (if any) the
    /// heap from [`SectionHeader::heap_offset`].
    pub const fn memory_bytes(&self) -> u64 {
        if self.heap == 0 {
            self.file_bytes()
        } else {
            self.heap_offset() + self.heap
        }
    }
}

/// Why the start of a `.sysinit_spec` section is not a valid header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// The section is shorter than the header.
    TooShort {
        /// Bytes in the section.
        len: usize,
    },
    /// The section does not start with [`MAGIC`].
    BadMagic {
        /// The first eight bytes found.
        found: [u8; 8],
    },
    /// The recorded spec length is larger than the room after the header.
    LengthExceedsRoom {
        /// Length in the header.
        length: u64,
        /// Room in the header.
        room: u64,
    },
    /// The trace level word is neither 0 (summary) nor 1 (full).
    BadTraceLevel {
        /// The word found.
        found: u64,
    },
    /// Room and heap together exceed the address space.
    TooLarge {
        /// Room in the header.
        room: u64,
        /// Heap in the header.
        heap: u64,
    },
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::TooShort { len } => write!(
                f,
                "the section is {len} bytes, shorter than its {HEADER_LEN}-byte header"
            ),
            HeaderError::BadMagic { found } => {
                write!(
                    f,
                    "the section starts with {found:02x?} instead of the magic {MAGIC:02x?}"
                )
            }
            HeaderError::LengthExceedsRoom { length, room } => write!(
                f,
                "the header records a spec of {length} bytes but only {room} bytes follow it"
            ),
            HeaderError::BadTraceLevel { found } => write!(
                f,
                "the header records trace level {found}, neither 0 (summary) nor 1 (full)"
            ),
            HeaderError::TooLarge { room, heap } => write!(
                f,
                "the header records {room} bytes of spec room and {heap} bytes of heap, more \
                 than an address space holds"
            ),
        }
    }
}

impl core::error::Error for HeaderError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips() {
        let h = SectionHeader {
            room: 100,
            length: 7,
            heap: 8192,
            trace: TraceLevel::Summary,
        };
        assert_eq!(SectionHeader::parse(&h.to_bytes()), Ok(h));
        assert_eq!(h.file_bytes(), 140);
        assert_eq!(h.heap_offset(), 4096);
        assert_eq!(h.memory_bytes(), 4096 + 8192);
        let no_heap = SectionHeader { heap: 0, ..h };
        assert_eq!(no_heap.memory_bytes(), 140);
        let page = SectionHeader {
            room: 4096 - 40,
            length: 0,
            heap: 1,
            trace: TraceLevel::Summary,
        };
        assert_eq!(page.heap_offset(), 4096);
    }

    #[test]
    fn header_refusals_say_why() {
        assert_eq!(
            SectionHeader::parse(&[0; 5]).unwrap_err().to_string(),
            "the section is 5 bytes, shorter than its 40-byte header"
        );
        let mut s = SectionHeader {
            room: 10,
            length: 0,
            heap: 0,
            trace: TraceLevel::Summary,
        }
        .to_bytes();
        s[0] = b'X';
        assert!(matches!(
            SectionHeader::parse(&s),
            Err(HeaderError::BadMagic { .. })
        ));
        let long = SectionHeader {
            room: 10,
            length: 11,
            heap: 0,
            trace: TraceLevel::Summary,
        };
        assert_eq!(
            SectionHeader::parse(&long.to_bytes())
                .unwrap_err()
                .to_string(),
            "the header records a spec of 11 bytes but only 10 bytes follow it"
        );
        let huge = SectionHeader {
            room: 10,
            length: 0,
            heap: u64::MAX - 10,
            trace: TraceLevel::Summary,
        };
        assert!(matches!(
            SectionHeader::parse(&huge.to_bytes()),
            Err(HeaderError::TooLarge { .. })
        ));
    }
}
