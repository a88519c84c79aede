//! Program images: a PD's ELF executable turned into 4 KiB pages, an entry point and symbols.
//!
//! Every check a malformed file could fail is an [`ElfError`]; nothing here
//! panics on bad input (see the `elf_program` fuzz target and the proptests).

use std::collections::BTreeMap;

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader, Sym};
use object::{Endianness, FileKind};
use sysinit_kobj::Arch;
use sysinit_pd_abi::PAGE_SIZE;

/// Most bytes of memory one image may occupy (1 GiB): keeps a corrupt `p_memsz`
/// from asking for millions of pages.
pub const MAX_IMAGE_BYTES: u64 = 1 << 30;

/// Why an ELF file cannot be a PD's program image.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ElfError {
    /// The magic number is missing.
    #[error("is not an ELF file (no ELF magic number); valid: a 64-bit ELF executable")]
    NotElf,
    /// A 32-bit ELF.
    #[error("is a 32-bit ELF file; valid: a 64-bit ELF executable")]
    Not64Bit,
    /// Big-endian data.
    #[error("is a big-endian ELF file; valid: a little-endian ELF executable")]
    BigEndian,
    /// Built for another machine.
    #[error("is built for {found}, but the board is {arch}; valid: an ELF executable for {arch} (e_machine {expected})")]
    WrongMachine {
        /// What the file says, as a name when we know it.
        found: String,
        /// The board's architecture.
        arch: Arch,
        /// The `e_machine` value that would be right.
        expected: u16,
    },
    /// Not `ET_EXEC`.
    #[error(
        "is not an executable (ELF type {e_type}); valid: a statically linked executable (ET_EXEC)"
    )]
    NotExecutable {
        /// `e_type`.
        e_type: u16,
    },
    /// The headers do not parse.
    #[error("is malformed: {0}")]
    Malformed(String),
    /// A segment's file bytes lie past the end of the file.
    #[error("segment {index} has file bytes [{offset:#x}..+{filesz:#x}) past the end of the {file_len:#x}-byte file")]
    SegmentOutsideFile {
        /// Program header index.
        index: usize,
        /// `p_offset`.
        offset: u64,
        /// `p_filesz`.
        filesz: u64,
        /// File length.
        file_len: u64,
    },
    /// `p_filesz > p_memsz`.
    #[error("segment {index} has more file bytes ({filesz:#x}) than memory bytes ({memsz:#x})")]
    FileLargerThanMemory {
        /// Program header index.
        index: usize,
        /// `p_filesz`.
        filesz: u64,
        /// `p_memsz`.
        memsz: u64,
    },
    /// A segment reaches past the user address space.
    #[error("segment {index} at [{vaddr:#x}..+{memsz:#x}) reaches past the user address space end {limit:#x}")]
    SegmentOutOfRange {
        /// Program header index.
        index: usize,
        /// `p_vaddr`.
        vaddr: u64,
        /// `p_memsz`.
        memsz: u64,
        /// End of user space.
        limit: u64,
    },
    /// No program headers at all.
    #[error("has no program headers (e_phnum {e_phnum:#x}{}); valid: a linked executable with at least one PT_LOAD segment", if *e_phnum == elf::PN_XNUM { ", PN_XNUM: the count is section 0's sh_info, which is 0" } else { "" })]
    NoProgramHeaders {
        /// `e_phnum` as written.
        e_phnum: u16,
    },
    /// Program headers, but nothing to load.
    #[error("has no loadable (PT_LOAD) segment with memory among its {headers} program headers; valid: a linked executable with at least one PT_LOAD segment")]
    NoLoadableSegments {
        /// Program headers in the file.
        headers: usize,
    },
    /// A segment on the null page, which stays unmapped so null pointers fault.
    #[error("segment {index} at [{vaddr:#x}..{end:#x}) lies on the null page [0x0..{PAGE_SIZE:#x}), which stays unmapped so that null pointers fault; valid: segments at or above {PAGE_SIZE:#x}")]
    SegmentOnNullPage {
        /// Program header index.
        index: usize,
        /// `p_vaddr`.
        vaddr: u64,
        /// `p_vaddr + p_memsz`.
        end: u64,
    },
    /// Two segments claim the same bytes: the later would overwrite the earlier.
    #[error("segments {first} [{first_vaddr:#x}..{first_end:#x}) and {second} [{second_vaddr:#x}..{second_end:#x}) overlap, so one would overwrite the other's bytes; valid: segments that share no address")]
    OverlappingSegments {
        /// Index of the segment starting lower.
        first: usize,
        /// Its `p_vaddr`.
        first_vaddr: u64,
        /// Its end.
        first_end: u64,
        /// Index of the other.
        second: usize,
        /// Its `p_vaddr`.
        second_vaddr: u64,
        /// Its end.
        second_end: u64,
    },
    /// `e_entry` is 0.
    #[error("has entry point 0x0; valid: the address of code in an executable (PF_X) segment")]
    NullEntry,
    /// `e_entry` lies in no loadable segment.
    #[error("has entry point {entry:#x} outside every loadable segment ({segments}); valid: an address in an executable (PF_X) segment")]
    EntryOutsideSegments {
        /// `e_entry`.
        entry: u64,
        /// The segments, as `[start..end) rwx`, comma separated.
        segments: String,
    },
    /// `e_entry` lies in a segment without PF_X.
    #[error("has entry point {entry:#x} in segment {index} [{vaddr:#x}..{end:#x}), which is not executable ({rights}); valid: an address in an executable (PF_X) segment")]
    EntryNotExecutable {
        /// `e_entry`.
        entry: u64,
        /// Program header index.
        index: usize,
        /// `p_vaddr`.
        vaddr: u64,
        /// `p_vaddr + p_memsz`.
        end: u64,
        /// The segment's rights.
        rights: SegmentRights,
    },
    /// Too much memory.
    #[error("needs {bytes:#x} bytes of memory; valid: at most {MAX_IMAGE_BYTES:#x}")]
    TooLarge {
        /// Bytes of the loadable segments, page-rounded.
        bytes: u64,
    },
}

/// Why a symbol could not be patched.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The symbol table has no such symbol.
    #[error("symbol '{symbol}' is not in the program image; valid: a global {size}-byte variable named '{symbol}'")]
    Missing {
        /// The symbol.
        symbol: String,
        /// Size it should have.
        size: u64,
    },
    /// The symbol has the wrong size.
    #[error("symbol '{symbol}' is {found} bytes; valid: {size} bytes")]
    WrongSize {
        /// The symbol.
        symbol: String,
        /// Its size.
        found: u64,
        /// Size it should have.
        size: u64,
    },
    /// The symbol is not inside a loaded segment.
    #[error("symbol '{symbol}' at {addr:#x} is not inside a loadable segment; valid: a variable in .data or .bss")]
    NotLoaded {
        /// The symbol.
        symbol: String,
        /// Its address.
        addr: u64,
    },
    /// Two variables written share bytes: the later write would silently change the
    /// earlier value.
    #[error("symbol '{symbol}' at {addr:#x} ({size} bytes) shares bytes with '{other}', which is set too; valid: a separate variable for each value set")]
    Overlaps {
        /// The symbol being written.
        symbol: String,
        /// Its address.
        addr: u64,
        /// Its size.
        size: u64,
        /// The symbol written before that it overlaps.
        other: String,
    },
}

/// Access rights a segment asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SegmentRights {
    /// PF_R
    pub read: bool,
    /// PF_W
    pub write: bool,
    /// PF_X
    pub execute: bool,
}

impl SegmentRights {
    fn union(self, other: SegmentRights) -> SegmentRights {
        SegmentRights {
            read: self.read | other.read,
            write: self.write | other.write,
            execute: self.execute | other.execute,
        }
    }
}

impl std::fmt::Display for SegmentRights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (on, c) in [(self.read, 'r'), (self.write, 'w'), (self.execute, 'x')] {
            if on {
                write!(f, "{c}")?;
            } else {
                f.write_str("-")?;
            }
        }
        Ok(())
    }
}

/// One 4 KiB page of an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// Union of the rights of every segment touching the page.
    pub rights: SegmentRights,
    /// The page's bytes, only once something non-zero-tail was written.
    bytes: Option<Box<[u8]>>,
    /// The written part: `[start, end)` within the page.
    written: Option<(usize, usize)>,
}

impl Page {
    fn write(&mut self, offset: usize, src: &[u8]) {
        let end = offset + src.len();
        let Some(dst) = self
            .bytes
            .get_or_insert_with(|| vec![0; PAGE_SIZE as usize].into_boxed_slice())
            .get_mut(offset..end)
        else {
            return; // callers split writes at page boundaries
        };
        dst.copy_from_slice(src);
        self.written = Some(match self.written {
            Some((s, e)) => (s.min(offset), e.max(end)),
            None => (offset, end),
        });
    }

    /// The written bytes and their offset in the page; `None` for pages of zeros only.
    pub fn content(&self) -> Option<(u64, &[u8])> {
        let (start, end) = self.written?;
        Some((start as u64, self.bytes.as_deref()?.get(start..end)?))
    }
}

/// One loadable segment, as the file gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Program header index.
    pub index: usize,
    /// `p_vaddr`.
    pub vaddr: u64,
    /// `p_vaddr + p_memsz` (no segment wraps).
    pub end: u64,
    /// `p_flags`.
    pub rights: SegmentRights,
}

/// A loaded program image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramImage {
    /// Entry point.
    pub entry: u64,
    /// Loadable segments with memory, by address.
    segments: Vec<Segment>,
    /// Pages by virtual address.
    pages: BTreeMap<u64, Page>,
    /// Symbols: name → (address, size).
    symbols: BTreeMap<String, (u64, u64)>,
    /// Variables written so far: address, size, symbol.
    patched: Vec<(u64, u64, String)>,
}

fn machine_name(machine: u16) -> String {
    match machine {
        elf::EM_X86_64 => "x86_64".into(),
        elf::EM_AARCH64 => "aarch64".into(),
        elf::EM_386 => "i386".into(),
        elf::EM_ARM => "arm (32-bit)".into(),
        elf::EM_RISCV => "riscv".into(),
        other => format!("e_machine {other}"),
    }
}

/// The `e_machine` of `arch`.
pub fn machine_of(arch: Arch) -> u16 {
    match arch {
        Arch::X86_64 => elf::EM_X86_64,
        Arch::Aarch64 => elf::EM_AARCH64,
    }
}

/// The ELF header, if it is a little-endian 64-bit executable for `arch`.
fn parse_header(
    data: &[u8],
    arch: Arch,
) -> Result<(&elf::FileHeader64<Endianness>, Endianness), ElfError> {
    match FileKind::parse(data) {
        Ok(FileKind::Elf64) => {}
        Ok(FileKind::Elf32) => return Err(ElfError::Not64Bit),
        _ if data.starts_with(&elf::ELFMAG) => {
            return Err(ElfError::Malformed("unknown ELF class".into()))
        }
        _ => return Err(ElfError::NotElf),
    }
    let malformed = |e: object::read::Error| ElfError::Malformed(e.to_string());
    let header = elf::FileHeader64::<Endianness>::parse(data).map_err(malformed)?;
    let endian = header.endian().map_err(malformed)?;
    if endian != Endianness::Little {
        return Err(ElfError::BigEndian);
    }
    let machine = header.e_machine(endian);
    if machine != machine_of(arch) {
        return Err(ElfError::WrongMachine {
            found: machine_name(machine),
            arch,
            expected: machine_of(arch),
        });
    }
    let e_type = header.e_type(endian);
    if e_type != elf::ET_EXEC {
        return Err(ElfError::NotExecutable { e_type });
    }
    Ok((header, endian))
}

/// A `PT_LOAD` header with memory, checked on its own, and its file bytes.
fn checked_segment<'d>(
    index: usize,
    ph: &elf::ProgramHeader64<Endianness>,
    endian: Endianness,
    data: &'d [u8],
    limit: u64,
) -> Result<(Segment, &'d [u8]), ElfError> {
    let (vaddr, memsz) = (ph.p_vaddr(endian), ph.p_memsz(endian));
    let (offset, filesz) = (ph.p_offset(endian), ph.p_filesz(endian));
    if filesz > memsz {
        return Err(ElfError::FileLargerThanMemory {
            index,
            filesz,
            memsz,
        });
    }
    let file_bytes = offset
        .checked_add(filesz)
        .and_then(|end| data.get(usize::try_from(offset).ok()?..usize::try_from(end).ok()?))
        .ok_or(ElfError::SegmentOutsideFile {
            index,
            offset,
            filesz,
            file_len: data.len() as u64,
        })?;
    let end = vaddr.checked_add(memsz).filter(|&end| end <= limit).ok_or(
        ElfError::SegmentOutOfRange {
            index,
            vaddr,
            memsz,
            limit,
        },
    )?;
    if vaddr < PAGE_SIZE {
        return Err(ElfError::SegmentOnNullPage { index, vaddr, end });
    }
    let flags = ph.p_flags(endian);
    let rights = SegmentRights {
        read: flags & elf::PF_R != 0,
        write: flags & elf::PF_W != 0,
        execute: flags & elf::PF_X != 0,
    };
    let segment = Segment {
        index,
        vaddr,
        end,
        rights,
    };
    Ok((segment, file_bytes))
}

/// Refuses two segments sharing an address (`segments` sorted by address); sharing
/// a page is fine, its rights are the union.
fn check_overlaps(segments: &[Segment]) -> Result<(), ElfError> {
    let mut reach: Option<&Segment> = None;
    for s in segments {
        if let Some(r) = reach.filter(|r| s.vaddr < r.end) {
            return Err(ElfError::OverlappingSegments {
                first: r.index,
                first_vaddr: r.vaddr,
                first_end: r.end,
                second: s.index,
                second_vaddr: s.vaddr,
                second_end: s.end,
            });
        }
        if reach.is_none_or(|r| s.end > r.end) {
            reach = Some(s);
        }
    }
    Ok(())
}

/// Refuses an entry point that is not in an executable segment.
fn check_entry(entry: u64, segments: &[Segment]) -> Result<(), ElfError> {
    if entry == 0 {
        return Err(ElfError::NullEntry);
    }
    let Some(s) = segments.iter().find(|s| (s.vaddr..s.end).contains(&entry)) else {
        let list: Vec<String> = segments
            .iter()
            .map(|s| format!("[{:#x}..{:#x}) {}", s.vaddr, s.end, s.rights))
            .collect();
        return Err(ElfError::EntryOutsideSegments {
            entry,
            segments: list.join(", "),
        });
    };
    if !s.rights.execute {
        return Err(ElfError::EntryNotExecutable {
            entry,
            index: s.index,
            vaddr: s.vaddr,
            end: s.end,
            rights: s.rights,
        });
    }
    Ok(())
}

impl ProgramImage {
    /// Parses `data` as a program image for `arch`.
    pub fn parse(data: &[u8], arch: Arch) -> Result<ProgramImage, ElfError> {
        let (header, endian) = parse_header(data, arch)?;
        let malformed = |e: object::read::Error| ElfError::Malformed(e.to_string());
        let mut image = ProgramImage {
            entry: header.e_entry(endian),
            segments: Vec::new(),
            pages: BTreeMap::new(),
            symbols: BTreeMap::new(),
            patched: Vec::new(),
        };
        let headers = header.program_headers(endian, data).map_err(malformed)?;
        if headers.is_empty() {
            return Err(ElfError::NoProgramHeaders {
                e_phnum: header.e_phnum(endian),
            });
        }
        let limit = arch.user_vaddr_end();
        let mut total: u64 = 0;
        for (index, ph) in headers.iter().enumerate() {
            if ph.p_type(endian) != elf::PT_LOAD || ph.p_memsz(endian) == 0 {
                continue;
            }
            let (segment, file_bytes) = checked_segment(index, ph, endian, data, limit)?;
            let first_page = segment.vaddr & !(PAGE_SIZE - 1);
            let last_page_end = segment.end.div_ceil(PAGE_SIZE) * PAGE_SIZE;
            total = total.saturating_add(last_page_end - first_page);
            if total > MAX_IMAGE_BYTES {
                return Err(ElfError::TooLarge { bytes: total });
            }
            let mut page = first_page;
            while page < last_page_end {
                let entry = image.pages.entry(page).or_insert(Page {
                    rights: SegmentRights::default(),
                    bytes: None,
                    written: None,
                });
                entry.rights = entry.rights.union(segment.rights);
                page += PAGE_SIZE;
            }
            image.segments.push(segment);
            image.write(segment.vaddr, file_bytes);
        }
        if image.segments.is_empty() {
            return Err(ElfError::NoLoadableSegments {
                headers: headers.len(),
            });
        }
        image.segments.sort_by_key(|s| (s.vaddr, s.index));
        check_overlaps(&image.segments)?;
        check_entry(image.entry, &image.segments)?;
        image
            .read_symbols(header, endian, data)
            .map_err(malformed)?;
        Ok(image)
    }

    /// The loadable segments with memory, by address.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    fn read_symbols(
        &mut self,
        header: &elf::FileHeader64<Endianness>,
        endian: Endianness,
        data: &[u8],
    ) -> object::read::Result<()> {
        let sections = header.sections(endian, data)?;
        let symbols = sections.symbols(endian, data, elf::SHT_SYMTAB)?;
        for sym in symbols.iter() {
            let name = sym.name(endian, symbols.strings())?;
            if name.is_empty() || sym.st_shndx(endian) == elf::SHN_UNDEF {
                continue;
            }
            let Ok(name) = std::str::from_utf8(name) else {
                continue;
            };
            let global = sym.st_bind() != elf::STB_LOCAL;
            let value = (sym.st_value(endian), sym.st_size(endian));
            // A global wins over a local static of the same name.
            if global || !self.symbols.contains_key(name) {
                self.symbols.insert(name.to_string(), value);
            }
        }
        Ok(())
    }

    /// Writes `bytes` at `vaddr`, page by page (the pages must exist).
    fn write(&mut self, mut vaddr: u64, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let page_base = vaddr & !(PAGE_SIZE - 1);
            let offset = (vaddr - page_base) as usize;
            let n = bytes.len().min(PAGE_SIZE as usize - offset);
            if let Some(page) = self.pages.get_mut(&page_base) {
                page.write(offset, &bytes[..n]);
            }
            bytes = &bytes[n..];
            vaddr = vaddr.wrapping_add(n as u64);
        }
    }

    /// The pages, by virtual address.
    pub fn pages(&self) -> impl Iterator<Item = (u64, &Page)> {
        self.pages.iter().map(|(v, p)| (*v, p))
    }

    /// Address and size of symbol `name`.
    pub fn symbol(&self, name: &str) -> Option<(u64, u64)> {
        self.symbols.get(name).copied()
    }

    /// Whether `[addr, addr + len)` lies in loaded pages.
    fn is_loaded(&self, addr: u64, len: u64) -> bool {
        let Some(end) = addr.checked_add(len) else {
            return false;
        };
        let mut page = addr & !(PAGE_SIZE - 1);
        while page < end {
            if !self.pages.contains_key(&page) {
                return false;
            }
            page += PAGE_SIZE;
        }
        true
    }

    fn checked_symbol(&self, symbol: &str, size: Option<u64>) -> Result<(u64, u64), PatchError> {
        let want = size.unwrap_or(8);
        let (addr, found) = self.symbol(symbol).ok_or_else(|| PatchError::Missing {
            symbol: symbol.to_string(),
            size: want,
        })?;
        if size.is_some_and(|s| s != found) {
            return Err(PatchError::WrongSize {
                symbol: symbol.to_string(),
                found,
                size: want,
            });
        }
        if !self.is_loaded(addr, found) {
            return Err(PatchError::NotLoaded {
                symbol: symbol.to_string(),
                addr,
            });
        }
        Ok((addr, found))
    }

    /// Records that `[addr, addr + size)` is written for `symbol`; refuses it if another
    /// symbol written before shares a byte (two symbols may alias in a hand-made or
    /// hostile image). Writing the same symbol again is the caller's business.
    fn claim(&mut self, symbol: &str, addr: u64, size: u64) -> Result<(), PatchError> {
        let end = addr.saturating_add(size);
        let clash = self
            .patched
            .iter()
            .find(|(a, s, name)| name != symbol && *a < end && addr < a.saturating_add(*s));
        if let Some((_, _, other)) = clash {
            return Err(PatchError::Overlaps {
                symbol: symbol.to_string(),
                addr,
                size,
                other: other.clone(),
            });
        }
        self.patched.push((addr, size, symbol.to_string()));
        Ok(())
    }

    /// Writes `value` (little-endian) into the 8-byte variable `symbol`.
    pub fn patch_u64(&mut self, symbol: &str, value: u64) -> Result<(), PatchError> {
        let (addr, _) = self.checked_symbol(symbol, Some(8))?;
        self.claim(symbol, addr, 8)?;
        self.write(addr, &value.to_le_bytes());
        Ok(())
    }

    /// Writes `name`, cut to fit and NUL-padded, into the byte array `symbol` if the
    /// image has it (at most `max_len` bytes, always NUL-terminated). Returns whether it did.
    pub fn patch_name(
        &mut self,
        symbol: &str,
        name: &str,
        max_len: usize,
    ) -> Result<bool, PatchError> {
        if self.symbol(symbol).is_none() {
            return Ok(false);
        }
        let (addr, size) = self.checked_symbol(symbol, None)?;
        let len = usize::try_from(size).unwrap_or(usize::MAX).min(max_len);
        if len == 0 {
            return Ok(true);
        }
        self.claim(symbol, addr, len as u64)?;
        let mut bytes = vec![0u8; len];
        let text = name.as_bytes();
        let n = text.len().min(len - 1);
        bytes[..n].copy_from_slice(&text[..n]);
        self.write(addr, &bytes);
        Ok(true)
    }
}
