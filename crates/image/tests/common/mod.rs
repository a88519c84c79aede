//! Hand-made ELF executables laid out like the root task (the spec section alone in the
//! last loadable segment), and variants of them that `embed` must refuse.
#![allow(dead_code)]

use sysinit_image::{SectionHeader, TraceLevel, HEADER_LEN};

pub const PT_LOAD: u32 = 1;
pub const PT_GNU_STACK: u32 = 0x6474_e551;
pub const SHT_PROGBITS: u32 = 1;
pub const SHT_STRTAB: u32 = 3;
pub const SHT_NOBITS: u32 = 8;
pub const SHF_WRITE: u64 = 1;
pub const SHF_ALLOC: u64 = 2;
pub const SHF_EXECINSTR: u64 = 4;

/// One section: its data is written at `offset` unless it is NOBITS.
#[derive(Clone)]
pub struct Section {
    pub name: &'static str,
    pub kind: u32,
    pub flags: u64,
    pub addr: u64,
    pub offset: u64,
    pub data: Vec<u8>,
    pub align: u64,
}

/// One program header: (type, vaddr, offset, filesz, memsz).
pub type Segment = (u32, u64, u64, u64, u64);

pub struct Exe {
    pub segments: Vec<Segment>,
    pub sections: Vec<Section>,
}

/// The empty spec section's bytes (as the root task is linked).
pub fn empty_header() -> Vec<u8> {
    SectionHeader {
        room: 0,
        length: 0,
        heap: 0,
        trace: TraceLevel::Summary,
    }
    .to_bytes()
    .to_vec()
}

impl Exe {
    /// Code at 0x401000, the spec section alone in the last segment at 0x402000, then
    /// two sections that are not loaded (one 1-aligned, one 8-aligned).
    pub fn root_task() -> Exe {
        Exe {
            segments: vec![
                (PT_LOAD, 0x40_0000, 0, 0x1010, 0x1010),
                (
                    PT_LOAD,
                    0x40_2000,
                    0x2000,
                    HEADER_LEN as u64,
                    HEADER_LEN as u64,
                ),
                (PT_GNU_STACK, 0, 0, 0, 0),
            ],
            sections: vec![
                Section {
                    name: ".text",
                    kind: SHT_PROGBITS,
                    flags: SHF_ALLOC | SHF_EXECINSTR,
                    addr: 0x40_1000,
                    offset: 0x1000,
                    data: vec![0xf4; 16],
                    align: 16,
                },
                Section {
                    name: ".sysinit_spec",
                    kind: SHT_PROGBITS,
                    flags: SHF_ALLOC | SHF_WRITE,
                    addr: 0x40_2000,
                    offset: 0x2000,
                    data: empty_header(),
                    align: 4096,
                },
                Section {
                    name: ".comment",
                    kind: SHT_PROGBITS,
                    flags: 0,
                    addr: 0,
                    offset: 0x2028,
                    data: b"linker 1.0\0".to_vec(),
                    align: 1,
                },
                Section {
                    name: ".symtab",
                    kind: 2,
                    flags: 0,
                    addr: 0,
                    offset: 0x2038,
                    data: (0..48u8).collect(),
                    align: 8,
                },
            ],
        }
    }

    pub fn section_mut(&mut self, name: &str) -> &mut Section {
        self.sections.iter_mut().find(|s| s.name == name).unwrap()
    }

    /// The file: ELF header, program headers, section data, .shstrtab, section headers.
    pub fn bytes(&self) -> Vec<u8> {
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2; // ELFCLASS64
        b[5] = 1; // little endian
        b[6] = 1;
        let put = |b: &mut Vec<u8>, at: usize, v: &[u8]| {
            if b.len() < at + v.len() {
                b.resize(at + v.len(), 0);
            }
            b[at..at + v.len()].copy_from_slice(v);
        };
        put(&mut b, 16, &2u16.to_le_bytes()); // ET_EXEC
        put(&mut b, 18, &62u16.to_le_bytes()); // EM_X86_64
        put(&mut b, 20, &1u32.to_le_bytes());
        put(&mut b, 24, &0x40_1000u64.to_le_bytes());
        put(&mut b, 32, &64u64.to_le_bytes()); // e_phoff
        put(&mut b, 52, &64u16.to_le_bytes());
        put(&mut b, 54, &56u16.to_le_bytes());
        put(&mut b, 56, &(self.segments.len() as u16).to_le_bytes());
        put(&mut b, 58, &64u16.to_le_bytes());
        for (i, &(t, vaddr, off, filesz, memsz)) in self.segments.iter().enumerate() {
            let at = 64 + i * 56;
            put(&mut b, at, &t.to_le_bytes());
            put(&mut b, at + 4, &6u32.to_le_bytes());
            put(&mut b, at + 8, &off.to_le_bytes());
            put(&mut b, at + 16, &vaddr.to_le_bytes());
            put(&mut b, at + 24, &vaddr.to_le_bytes());
            put(&mut b, at + 32, &filesz.to_le_bytes());
            put(&mut b, at + 40, &memsz.to_le_bytes());
            put(&mut b, at + 48, &0x1000u64.to_le_bytes());
        }
        for s in &self.sections {
            if s.kind != SHT_NOBITS {
                put(&mut b, s.offset as usize, &s.data);
            }
        }
        let mut names = vec![0u8];
        let mut name_at = Vec::new();
        for name in self.sections.iter().map(|s| s.name).chain([".shstrtab"]) {
            name_at.push(names.len() as u32);
            names.extend_from_slice(name.as_bytes());
            names.push(0);
        }
        let strtab_at = b.len() as u64;
        b.extend_from_slice(&names);
        b.resize(b.len().next_multiple_of(8), 0);
        let shoff = b.len() as u64;
        let count = self.sections.len() + 2;
        put(&mut b, 40, &shoff.to_le_bytes());
        put(&mut b, 60, &(count as u16).to_le_bytes());
        put(&mut b, 62, &((count - 1) as u16).to_le_bytes());
        b.resize(b.len() + 64, 0); // the null section
        let strtab = Section {
            name: ".shstrtab",
            kind: SHT_STRTAB,
            flags: 0,
            addr: 0,
            offset: strtab_at,
            data: names.clone(),
            align: 1,
        };
        for (s, name) in self.sections.iter().chain([&strtab]).zip(name_at) {
            let mut h = [0u8; 64];
            h[..4].copy_from_slice(&name.to_le_bytes());
            h[4..8].copy_from_slice(&s.kind.to_le_bytes());
            h[8..16].copy_from_slice(&s.flags.to_le_bytes());
            h[16..24].copy_from_slice(&s.addr.to_le_bytes());
            h[24..32].copy_from_slice(&s.offset.to_le_bytes());
            h[32..40].copy_from_slice(&(s.data.len() as u64).to_le_bytes());
            h[48..56].copy_from_slice(&s.align.to_le_bytes());
            b.extend_from_slice(&h);
        }
        b
    }
}
