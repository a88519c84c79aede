//! The root task image as the kernel sees it: the virtual span its ELF occupies.
//!
//! The span decides two things at boot: how many bytes of physical memory the
//! image takes (the kernel copies it, page-granular, right after itself on
//! x86), and how many paging structures the kernel creates for the root task's
//! address space, which are part of the root server objects carved from the top
//! of free RAM. So the span of the real ELF is what makes the board's boot
//! untyped list exact; without one the board file's estimate is used.

use object::elf::{FileHeader64, EM_AARCH64, EM_X86_64, PT_LOAD};
use object::read::elf::{FileHeader, ProgramHeader};
use object::Endianness;
use sysinit_kobj::{align_up, is_aligned, Arch};
use thiserror::Error;

const PAGE_BITS: u8 = 12;

/// The virtual address span `[vaddr_start, vaddr_end)` of the root task's image,
/// page-aligned at both ends as the kernel's ELF loader makes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RootTaskImage {
    vaddr_start: u64,
    vaddr_end: u64,
}

/// Why a root task image span or ELF cannot be used.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum RootTaskImageError {
    /// The bytes are not a 64-bit ELF file this crate can read.
    #[error("not a 64-bit ELF file: {message}")]
    NotElf64 { message: String },
    /// The ELF is built for another machine than the board's.
    #[error(
        "the ELF is for machine {found} (e_machine), not {expected}; \
         build the root task for {expected}"
    )]
    WrongMachine { found: u16, expected: Arch },
    /// No program header occupies memory, so the kernel has nothing to load.
    #[error("the ELF has no segment that occupies memory; seL4 refuses to load it")]
    NoSegments,
    /// A segment's end lies beyond 2^64.
    #[error("a segment at {vaddr:#x} with memory size {memsz:#x} wraps around 2^64")]
    SegmentWraps { vaddr: u64, memsz: u64 },
    /// The span does not start on a page boundary.
    #[error(
        "the image starts at {vaddr_start:#x}, which is not 4 KiB aligned; seL4 refuses \
         such an image (link the root task at a page boundary, e.g. 0x400000)"
    )]
    UnalignedStart { vaddr_start: u64 },
    /// The span is empty, inverted or ends beyond the last page.
    #[error(
        "[{vaddr_start:#x}..{vaddr_end:#x}) is not an image span; it must be non-empty \
         and end at or below 0xffff_ffff_ffff_f000"
    )]
    BadSpan { vaddr_start: u64, vaddr_end: u64 },
}

impl RootTaskImage {
    /// The span `[vaddr_start, vaddr_end)`; the end is rounded up to a page, as the kernel does.
    pub fn new(vaddr_start: u64, vaddr_end: u64) -> Result<RootTaskImage, RootTaskImageError> {
        let end = align_up(vaddr_end, PAGE_BITS);
        // align_up wraps to 0 past the last page; that is no span either.
        if vaddr_end <= vaddr_start || end < vaddr_end {
            return Err(RootTaskImageError::BadSpan {
                vaddr_start,
                vaddr_end,
            });
        }
        if !is_aligned(vaddr_start, PAGE_BITS) {
            return Err(RootTaskImageError::UnalignedStart { vaddr_start });
        }
        Ok(RootTaskImage {
            vaddr_start,
            vaddr_end: end,
        })
    }

    /// The span the boot loader computes for the ELF file `elf`, built for `arch`.
    ///
    /// x86_64: seL4 loads the root task itself, and its `elf_getMemoryBounds`
    /// (src/arch/x86/64/kernel/elf.c) spans every program header with a non-zero
    /// memory size, whatever its type. aarch64: the boot loader loads the
    /// `PT_LOAD` segments. Either way the end is rounded up to a page.
    pub fn from_elf(elf: &[u8], arch: Arch) -> Result<RootTaskImage, RootTaskImageError> {
        let not_elf = |e: object::Error| RootTaskImageError::NotElf64 {
            message: e.to_string(),
        };
        let header = FileHeader64::<Endianness>::parse(elf).map_err(not_elf)?;
        let endian = header.endian().map_err(not_elf)?;
        let machine = header.e_machine(endian);
        let expected_machine = match arch {
            Arch::X86_64 => EM_X86_64,
            Arch::Aarch64 => EM_AARCH64,
        };
        if machine != expected_machine {
            return Err(RootTaskImageError::WrongMachine {
                found: machine,
                expected: arch,
            });
        }
        let mut span: Option<(u64, u64)> = None;
        for phdr in header.program_headers(endian, elf).map_err(not_elf)? {
            let (vaddr, memsz) = (phdr.p_vaddr(endian), phdr.p_memsz(endian));
            let counts = match arch {
                Arch::X86_64 => memsz > 0,
                Arch::Aarch64 => memsz > 0 && phdr.p_type(endian) == PT_LOAD,
            };
            if !counts {
                continue;
            }
            let end = vaddr
                .checked_add(memsz)
                .ok_or(RootTaskImageError::SegmentWraps { vaddr, memsz })?;
            span = Some(match span {
                Some((start, old_end)) => (start.min(vaddr), old_end.max(end)),
                None => (vaddr, end),
            });
        }
        let (start, end) = span.ok_or(RootTaskImageError::NoSegments)?;
        RootTaskImage::new(start, end)
    }

    /// First virtual address of the image.
    pub fn vaddr_start(&self) -> u64 {
        self.vaddr_start
    }

    /// One past the image's last virtual address (page-aligned).
    pub fn vaddr_end(&self) -> u64 {
        self.vaddr_end
    }

    /// Bytes of physical memory the image takes once loaded: the whole span, holes included.
    pub fn bytes(&self) -> u64 {
        self.vaddr_end - self.vaddr_start
    }
}

impl std::fmt::Display for RootTaskImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "vaddr [{:#x}..{:#x}) ({:#x} bytes)",
            self.vaddr_start,
            self.vaddr_end,
            self.bytes()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal little-endian ELF64 executable with the given program headers
    /// (type, vaddr, memsz) and no sections.
    fn elf(machine: u16, phdrs: &[(u32, u64, u64)]) -> Vec<u8> {
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2; // ELFCLASS64
        b[5] = 1; // little endian
        b[6] = 1; // EV_CURRENT
        b[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        b[18..20].copy_from_slice(&machine.to_le_bytes());
        b[20..24].copy_from_slice(&1u32.to_le_bytes());
        b[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
        b[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
        b[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
        b[56..58].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
        for &(p_type, vaddr, memsz) in phdrs {
            let mut p = vec![0u8; 56];
            p[..4].copy_from_slice(&p_type.to_le_bytes());
            p[16..24].copy_from_slice(&vaddr.to_le_bytes());
            p[24..32].copy_from_slice(&vaddr.to_le_bytes());
            p[40..48].copy_from_slice(&memsz.to_le_bytes());
            b.extend_from_slice(&p);
        }
        b
    }

    const PT_TLS: u32 = 7;
    const PT_GNU_STACK: u32 = 0x6474_e551;

    #[test]
    fn span_of_the_recorded_root_task() {
        // The program headers of the sysinit-roottask that made tests/boots/x86_64.
        let bytes = elf(
            EM_X86_64,
            &[
                (6, 0x40_0040, 0x1c0), // PT_PHDR
                (PT_LOAD, 0x40_0000, 0x4e74),
                (PT_LOAD, 0x40_5e80, 0x2_867f),
                (PT_LOAD, 0x42_f500, 0xb00),
                (PT_LOAD, 0x43_0698, 0x224_3968),
                (PT_GNU_STACK, 0, 0),
            ],
        );
        let image = RootTaskImage::from_elf(&bytes, Arch::X86_64).unwrap();
        assert_eq!(image, RootTaskImage::new(0x40_0000, 0x267_4000).unwrap());
        assert_eq!(image.bytes(), 0x227_4000);
        assert_eq!(
            image.to_string(),
            "vaddr [0x400000..0x2674000) (0x2274000 bytes)"
        );
    }

    #[test]
    fn span_of_the_recorded_aarch64_root_task() {
        // The program headers of the sysinit-roottask that made tests/boots/aarch64
        // (readelf -l); our loader put it at [0x60241000..0x624b2000).
        let bytes = elf(
            EM_AARCH64,
            &[
                (PT_LOAD, 0x40_0000, 0x8ae0),
                (PT_LOAD, 0x40_9ae0, 0x2_3d84),
                (PT_LOAD, 0x42_e868, 0x224_17a8),
                (PT_GNU_STACK, 0, 0),
            ],
        );
        let image = RootTaskImage::from_elf(&bytes, Arch::Aarch64).unwrap();
        assert_eq!(image, RootTaskImage::new(0x40_0000, 0x267_1000).unwrap());
        assert_eq!(image.bytes(), 0x624b_2000 - 0x6024_1000);
    }

    #[test]
    fn x86_counts_every_segment_with_memory_and_aarch64_only_loads() {
        let phdrs = [(PT_LOAD, 0x40_0000, 0x1000), (PT_TLS, 0x50_0000, 0x10)];
        let x86 = RootTaskImage::from_elf(&elf(EM_X86_64, &phdrs), Arch::X86_64).unwrap();
        assert_eq!(x86.vaddr_end(), 0x50_1000);
        let arm = RootTaskImage::from_elf(&elf(EM_AARCH64, &phdrs), Arch::Aarch64).unwrap();
        assert_eq!(arm.vaddr_end(), 0x40_1000);
    }

    #[test]
    fn unusable_elfs_are_refused_with_the_reason() {
        assert!(matches!(
            RootTaskImage::from_elf(b"not an elf", Arch::X86_64),
            Err(RootTaskImageError::NotElf64 { .. })
        ));
        let arm = elf(EM_AARCH64, &[(PT_LOAD, 0x40_0000, 0x1000)]);
        assert_eq!(
            RootTaskImage::from_elf(&arm, Arch::X86_64)
                .unwrap_err()
                .to_string(),
            "the ELF is for machine 183 (e_machine), not x86_64; build the root task for x86_64"
        );
        let empty = elf(EM_X86_64, &[(PT_GNU_STACK, 0, 0)]);
        assert_eq!(
            RootTaskImage::from_elf(&empty, Arch::X86_64),
            Err(RootTaskImageError::NoSegments)
        );
        let unaligned = elf(EM_X86_64, &[(PT_LOAD, 0x40_0800, 0x1000)]);
        assert_eq!(
            RootTaskImage::from_elf(&unaligned, Arch::X86_64),
            Err(RootTaskImageError::UnalignedStart {
                vaddr_start: 0x40_0800
            })
        );
        let wraps = elf(EM_X86_64, &[(PT_LOAD, u64::MAX - 0xfff, 0x2000)]);
        assert!(matches!(
            RootTaskImage::from_elf(&wraps, Arch::X86_64),
            Err(RootTaskImageError::SegmentWraps { .. })
        ));
    }

    #[test]
    fn spans_round_their_end_up_to_a_page() {
        let image = RootTaskImage::new(0x40_0000, 0x40_0001).unwrap();
        assert_eq!(image.vaddr_end(), 0x40_1000);
        assert!(RootTaskImage::new(0x40_0000, 0x40_0000).is_err());
        assert!(RootTaskImage::new(0x40_0000, u64::MAX).is_err());
    }
}
