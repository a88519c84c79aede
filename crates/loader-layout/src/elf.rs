//! A minimal reader for the ELF64 little-endian aarch64 executables the loader carries.
//!
//! Only what loading needs: the entry point and the `PT_LOAD` program headers.
//! Every header is bounds-checked when the file is parsed, so the accessors
//! afterwards cannot fail.

use crate::{Image, LayoutError};

const PT_LOAD: u32 = 1;
const ET_EXEC: u16 = 2;
const EM_AARCH64: u16 = 183;
const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;

/// One `PT_LOAD` segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Virtual address of the first byte.
    pub vaddr: u64,
    /// Physical address of the first byte, as the linker recorded it.
    pub paddr: u64,
    /// Offset of the segment's bytes in the file.
    pub offset: u64,
    /// Bytes present in the file.
    pub file_size: u64,
    /// Bytes in memory; the part past `file_size` is zero (bss).
    pub mem_size: u64,
}

/// A parsed, bounds-checked ELF64 executable.
#[derive(Clone, Copy, Debug)]
pub struct Elf<'a> {
    bytes: &'a [u8],
    entry: u64,
    phoff: usize,
    phentsize: usize,
    phnum: usize,
}

fn read_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn read_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn read_u64(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

impl<'a> Elf<'a> {
    /// Parses `bytes` as the executable `image`, checking every program header.
    pub fn parse(bytes: &'a [u8], image: Image) -> Result<Elf<'a>, LayoutError> {
        let bad = |reason| LayoutError::BadElf { image, reason };
        if bytes.len() < EHDR_SIZE {
            return Err(bad("shorter than an ELF64 header"));
        }
        if bytes[..4] != *b"\x7fELF" {
            return Err(bad("no ELF magic"));
        }
        if bytes[4] != 2 || bytes[5] != 1 {
            return Err(bad("not ELF64 little-endian"));
        }
        if read_u16(bytes, 16) != ET_EXEC {
            return Err(bad("not a static executable (e_type is not ET_EXEC)"));
        }
        if read_u16(bytes, 18) != EM_AARCH64 {
            return Err(bad("not built for aarch64 (e_machine is not EM_AARCH64)"));
        }
        let entry = read_u64(bytes, 24);
        let phoff = usize::try_from(read_u64(bytes, 32)).map_err(|_| bad("e_phoff too large"))?;
        let phentsize = usize::from(read_u16(bytes, 54));
        let phnum = usize::from(read_u16(bytes, 56));
        if phentsize < PHDR_SIZE {
            return Err(bad("program header entries smaller than 56 bytes"));
        }
        let table_end = phentsize
            .checked_mul(phnum)
            .and_then(|n| n.checked_add(phoff))
            .ok_or(bad("program header table size overflows"))?;
        if table_end > bytes.len() {
            return Err(bad("program header table runs past the end of the file"));
        }
        let elf = Elf {
            bytes,
            entry,
            phoff,
            phentsize,
            phnum,
        };
        let mut loads = 0;
        for index in 0..phnum {
            let Some(seg) = elf.segment(index) else {
                continue;
            };
            let broken = |reason| LayoutError::BadSegment {
                image,
                index,
                reason,
            };
            if seg.file_size > seg.mem_size {
                return Err(broken("file size larger than memory size"));
            }
            let file_end = seg
                .offset
                .checked_add(seg.file_size)
                .ok_or(broken("offset + size overflows"))?;
            if file_end > bytes.len() as u64 {
                return Err(broken("its bytes run past the end of the file"));
            }
            if seg.vaddr.checked_add(seg.mem_size).is_none()
                || seg.paddr.checked_add(seg.mem_size).is_none()
            {
                return Err(LayoutError::AddressOverflow { image });
            }
            loads += 1;
        }
        if loads == 0 {
            return Err(LayoutError::NoLoadSegments { image });
        }
        Ok(elf)
    }

    /// The entry point (a virtual address).
    pub fn entry(&self) -> u64 {
        self.entry
    }

    /// The `PT_LOAD` program header at `index`, if it is one and occupies memory.
    fn segment(&self, index: usize) -> Option<Segment> {
        let at = self.phoff + index * self.phentsize;
        let b = self.bytes;
        if read_u32(b, at) != PT_LOAD {
            return None;
        }
        let seg = Segment {
            offset: read_u64(b, at + 8),
            vaddr: read_u64(b, at + 16),
            paddr: read_u64(b, at + 24),
            file_size: read_u64(b, at + 32),
            mem_size: read_u64(b, at + 40),
        };
        (seg.mem_size > 0).then_some(seg)
    }

    /// The loadable segments in program header order.
    pub fn load_segments(&self) -> impl Iterator<Item = Segment> + '_ {
        (0..self.phnum).filter_map(|i| self.segment(i))
    }

    /// The bytes of `segment` present in the file (`file_size` of them).
    ///
    /// `segment` must come from [`Elf::load_segments`] of this file; any other
    /// segment yields an empty slice rather than a panic.
    pub fn file_bytes(&self, segment: &Segment) -> &'a [u8] {
        let start = usize::try_from(segment.offset).unwrap_or(usize::MAX);
        let len = usize::try_from(segment.file_size).unwrap_or(usize::MAX);
        start
            .checked_add(len)
            .and_then(|end| self.bytes.get(start..end))
            .unwrap_or(&[])
    }

    /// Lowest and highest-plus-one virtual address over the loadable segments.
    pub fn vaddr_bounds(&self) -> (u64, u64) {
        self.load_segments().fold((u64::MAX, 0), |(lo, hi), s| {
            (lo.min(s.vaddr), hi.max(s.vaddr + s.mem_size))
        })
    }

    /// Lowest and highest-plus-one physical address over the loadable segments.
    pub fn paddr_bounds(&self) -> (u64, u64) {
        self.load_segments().fold((u64::MAX, 0), |(lo, hi), s| {
            (lo.min(s.paddr), hi.max(s.paddr + s.mem_size))
        })
    }
}
