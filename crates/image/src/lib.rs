//! The root task's embedded spec: the `.sysinit_spec` section layout, and on the host
//! putting a spec into a built root task ELF and reading it back.
//!
//! The root task (crates/roottask) reserves a fixed-size section, named
//! [`SECTION_NAME`], that starts with a [`HEADER_LEN`]-byte header followed
//! by `capacity` bytes of room:
//!
//! | offset | size | field |
//! |-------:|-----:|-------|
//! | 0      | 8    | [`MAGIC`] |
//! | 8      | 8    | capacity in bytes, little endian |
//! | 16     | 8    | length of the spec in bytes, little endian (0 = none embedded) |
//! | 24     | 8    | reserved, zero |
//!
//! `sysinit build` copies the root task ELF and writes the spec's bytes and
//! length into that section in place ([`embed_spec`]); nothing else in the
//! file moves, so the root task needs no relinking.
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
    embed_spec, embed_spec_with_note, embedded_spec, machine_note, ImageError, MachineNote,
};

/// How the machine note after the spec starts (see the crate documentation).
pub const MACHINE_NOTE_PREFIX: &str = "sysinit-machine ";

/// Name of the ELF section that holds the spec.
pub const SECTION_NAME: &str = ".sysinit_spec";

/// First bytes of the section: identifies it and the header layout version.
pub const MAGIC: [u8; 8] = *b"SYSSPEC1";

/// Bytes of the header before the spec's own bytes.
pub const HEADER_LEN: usize = 32;

/// Capacity the root task is built with unless `SYSINIT_SPEC_CAPACITY` says otherwise: 2 MiB.
///
/// The room is part of the ELF file (the section must have file bytes to be
/// filled after linking), so it is kept well below the heap's size.
pub const DEFAULT_CAPACITY: usize = 2 << 20;

/// The environment variable the root task's build reads its capacity (bytes) from.
pub const CAPACITY_ENV: &str = "SYSINIT_SPEC_CAPACITY";

/// The decoded header of a `.sysinit_spec` section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionHeader {
    /// Room for the spec, in bytes.
    pub capacity: u64,
    /// Bytes of the spec actually embedded (0: none).
    pub length: u64,
}

impl SectionHeader {
    /// The header's bytes.
    ///
    /// `const` so the root task can build its initial (empty) section at compile time.
    pub const fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let capacity = self.capacity.to_le_bytes();
        let length = self.length.to_le_bytes();
        let mut i = 0;
        while i < 8 {
            out[i] = MAGIC[i];
            out[8 + i] = capacity[i];
            out[16 + i] = length[i];
            i += 1;
        }
        out
    }

    /// Reads the header at the start of `section` (the whole section's bytes) and checks
    /// that capacity and length fit in it.
    pub fn parse(section: &[u8]) -> Result<SectionHeader, HeaderError> {
        let Some(header) = section.get(..HEADER_LEN) else {
            return Err(HeaderError::TooShort { len: section.len() });
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
        let (capacity, length) = (word(8), word(16));
        let room = (section.len() - HEADER_LEN) as u64;
        if capacity > room {
            return Err(HeaderError::CapacityExceedsSection { capacity, room });
        }
        if length > capacity {
            return Err(HeaderError::LengthExceedsCapacity { length, capacity });
        }
        Ok(SectionHeader { capacity, length })
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
    /// The header claims more room than the section has.
    CapacityExceedsSection {
        /// Capacity in the header.
        capacity: u64,
        /// Bytes after the header in the section.
        room: u64,
    },
    /// The recorded spec length is larger than the capacity.
    LengthExceedsCapacity {
        /// Length in the header.
        length: u64,
        /// Capacity in the header.
        capacity: u64,
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
                write!(f, "the section starts with {found:02x?} instead of the magic {MAGIC:02x?}")
            }
            HeaderError::CapacityExceedsSection { capacity, room } => write!(
                f,
                "the header claims a capacity of {capacity} bytes but the section has room for {room}"
            ),
            HeaderError::LengthExceedsCapacity { length, capacity } => write!(
                f,
                "the header records a spec of {length} bytes but the capacity is {capacity}"
            ),
        }
    }
}

impl core::error::Error for HeaderError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(capacity: u64, length: u64, room: usize) -> Vec<u8> {
        let mut s = SectionHeader { capacity, length }.to_bytes().to_vec();
        s.resize(HEADER_LEN + room, 0);
        s
    }

    #[test]
    fn header_round_trips() {
        let s = section(100, 7, 100);
        assert_eq!(
            SectionHeader::parse(&s),
            Ok(SectionHeader {
                capacity: 100,
                length: 7
            })
        );
    }

    #[test]
    fn header_refusals_say_why() {
        assert_eq!(
            SectionHeader::parse(&[0; 5]).unwrap_err().to_string(),
            "the section is 5 bytes, shorter than its 32-byte header"
        );
        let mut s = section(10, 0, 10);
        s[0] = b'X';
        assert!(matches!(
            SectionHeader::parse(&s),
            Err(HeaderError::BadMagic { .. })
        ));
        assert_eq!(
            SectionHeader::parse(&section(11, 0, 10))
                .unwrap_err()
                .to_string(),
            "the header claims a capacity of 11 bytes but the section has room for 10"
        );
        assert_eq!(
            SectionHeader::parse(&section(10, 11, 10))
                .unwrap_err()
                .to_string(),
            "the header records a spec of 11 bytes but the capacity is 10"
        );
    }
}
