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
    /// Nothing to load.
    #[error("has no loadable (PT_LOAD) segment with memory")]
    NoLoadableSegments,
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

/// A loaded program image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramImage {
    /// Entry point.
    pub entry: u64,
    /// Pages by virtual address.
    pages: BTreeMap<u64, Page>,
    /// Symbols: name → (address, size).
    symbols: BTreeMap<String, (u64, u64)>,
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

impl ProgramImage {
    /// Parses `data` as a program image for `arch`.
    pub fn parse(data: &[u8], arch: Arch) -> Result<ProgramImage, ElfError> {
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
        let mut image = ProgramImage {
            entry: header.e_entry(endian),
            pages: BTreeMap::new(),
            symbols: BTreeMap::new(),
        };
        let segments = header.program_headers(endian, data).map_err(malformed)?;
        let limit = arch.user_vaddr_end();
        let mut total: u64 = 0;
        for (index, ph) in segments.iter().enumerate() {
            if ph.p_type(endian) != elf::PT_LOAD || ph.p_memsz(endian) == 0 {
                continue;
            }
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
            let first_page = vaddr & !(PAGE_SIZE - 1);
            let last_page_end = end.div_ceil(PAGE_SIZE) * PAGE_SIZE;
            total = total.saturating_add(last_page_end - first_page);
            if total > MAX_IMAGE_BYTES {
                return Err(ElfError::TooLarge { bytes: total });
            }
            let flags = ph.p_flags(endian);
            let rights = SegmentRights {
                read: flags & elf::PF_R != 0,
                write: flags & elf::PF_W != 0,
                execute: flags & elf::PF_X != 0,
            };
            let mut page = first_page;
            while page < last_page_end {
                let entry = image.pages.entry(page).or_insert(Page {
                    rights: SegmentRights::default(),
                    bytes: None,
                    written: None,
                });
                entry.rights = entry.rights.union(rights);
                page += PAGE_SIZE;
            }
            image.write(vaddr, file_bytes);
        }
        if image.pages.is_empty() {
            return Err(ElfError::NoLoadableSegments);
        }
        image
            .read_symbols(header, endian, data)
            .map_err(malformed)?;
        Ok(image)
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

    /// Writes `value` (little-endian) into the 8-byte variable `symbol`.
    pub fn patch_u64(&mut self, symbol: &str, value: u64) -> Result<(), PatchError> {
        let (addr, _) = self.checked_symbol(symbol, Some(8))?;
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
        let mut bytes = vec![0u8; len];
        let text = name.as_bytes();
        let n = text.len().min(len - 1);
        bytes[..n].copy_from_slice(&text[..n]);
        self.write(addr, &bytes);
        Ok(true)
    }
}
