//! Small ELF executables written on the fly, for tests and benchmarks (feature `test-elf`).
//!
//! Tests generate their program images instead of committing binaries, so
//! the bytes always match what the test says they are.

use object::elf;
use object::write::elf::{FileHeader, ProgramHeader, Sym, Writer};
use object::Endianness;
use sysinit_kobj::Arch;

use crate::elf::machine_of;

/// One `PT_LOAD` segment.
#[derive(Clone, Debug)]
pub struct TestSegment {
    /// `p_vaddr`.
    pub vaddr: u64,
    /// The file bytes.
    pub data: Vec<u8>,
    /// `p_memsz` (at least `data.len()` for a sound file).
    pub memsz: u64,
    /// `PF_R | PF_W | PF_X` bits.
    pub flags: u32,
}

/// An executable to write.
#[derive(Clone, Debug)]
pub struct TestElf {
    /// `e_machine`.
    pub machine: u16,
    /// `e_entry`.
    pub entry: u64,
    /// Loadable segments.
    pub segments: Vec<TestSegment>,
    /// Global symbols: name, address, size (absolute, in no section).
    pub symbols: Vec<(String, u64, u64)>,
}

/// Where [`TestElf::pd`] puts its text.
pub const TEXT_VADDR: u64 = 0x40_0000;
/// Where [`TestElf::pd`] puts its data; variables follow from here on, 8 bytes apart.
pub const DATA_VADDR: u64 = 0x40_1000;

impl TestElf {
    /// A PD-like program for `arch`: one page of code, a data page holding an
    /// 8-byte variable for each of `variables` (in order, from [`DATA_VADDR`]),
    /// and a 64-byte `sysinit_pd_name` array in a bss page after it.
    pub fn pd(arch: Arch, variables: &[&str]) -> TestElf {
        let mut symbols: Vec<(String, u64, u64)> = variables
            .iter()
            .enumerate()
            .map(|(i, name)| (name.to_string(), DATA_VADDR + 8 * i as u64, 8))
            .collect();
        let data_len = (8 * variables.len() as u64).max(8);
        symbols.push((
            sysinit_pd_abi::PD_NAME_SYMBOL.to_string(),
            DATA_VADDR + 0x1000,
            64,
        ));
        TestElf {
            machine: machine_of(arch),
            entry: TEXT_VADDR,
            segments: vec![
                TestSegment {
                    vaddr: TEXT_VADDR,
                    data: vec![0xcc; 0x40],
                    memsz: 0x40,
                    flags: elf::PF_R | elf::PF_X,
                },
                TestSegment {
                    vaddr: DATA_VADDR,
                    data: vec![0x11; data_len as usize],
                    memsz: 0x2000,
                    flags: elf::PF_R | elf::PF_W,
                },
            ],
            symbols,
        }
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = Writer::new(Endianness::Little, true, &mut out);
        w.reserve_file_header();
        w.reserve_program_headers(self.segments.len() as u32);
        let offsets: Vec<usize> = self
            .segments
            .iter()
            .map(|s| w.reserve(s.data.len(), 16))
            .collect();
        let names: Vec<_> = self
            .symbols
            .iter()
            .map(|(name, _, _)| w.add_string(name.as_bytes()))
            .collect();
        w.reserve_null_section_index();
        w.reserve_null_symbol_index();
        for _ in &self.symbols {
            w.reserve_symbol_index(None);
        }
        w.reserve_symtab_section_index();
        w.reserve_strtab_section_index();
        w.reserve_shstrtab_section_index();
        w.reserve_symtab();
        w.reserve_strtab();
        w.reserve_shstrtab();
        w.reserve_section_headers();
        // Only fails for values the writer cannot encode; ours are fixed.
        let _ = w.write_file_header(&FileHeader {
            os_abi: 0,
            abi_version: 0,
            e_type: elf::ET_EXEC,
            e_machine: self.machine,
            e_entry: self.entry,
            e_flags: 0,
        });
        for (s, &offset) in self.segments.iter().zip(&offsets) {
            w.write_program_header(&ProgramHeader {
                p_type: elf::PT_LOAD,
                p_flags: s.flags,
                p_offset: offset as u64,
                p_vaddr: s.vaddr,
                p_paddr: s.vaddr,
                p_filesz: s.data.len() as u64,
                p_memsz: s.memsz,
                p_align: 0x1000,
            });
        }
        for s in &self.segments {
            w.write_align(16);
            w.write(&s.data);
        }
        w.write_null_symbol();
        for ((_, addr, size), name) in self.symbols.iter().zip(&names) {
            w.write_symbol(&Sym {
                name: Some(*name),
                section: None,
                st_info: (elf::STB_GLOBAL << 4) | elf::STT_OBJECT,
                st_other: 0,
                st_shndx: elf::SHN_ABS,
                st_value: *addr,
                st_size: *size,
            });
        }
        w.write_strtab();
        w.write_shstrtab();
        w.write_null_section_header();
        w.write_symtab_section_header(1);
        w.write_strtab_section_header();
        w.write_shstrtab_section_header();
        out
    }
}
