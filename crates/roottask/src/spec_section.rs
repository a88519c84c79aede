//! The `.sysinit_spec` section: the spec `sysinit build` writes in after linking, and
//! where the heap arena the build sized for it lies.
//!
//! The root task is linked with only the section's header, alone in the last loadable
//! segment (spec.ld); `sysinit build` grows that segment to the header, the spec's
//! bytes and the heap (crates/image documents the layout). The section is initialised
//! data, not `.bss`, so it has bytes in the ELF file to overwrite.

use core::cell::UnsafeCell;
use sysinit_image::{HeaderError, SectionHeader, TraceLevel, HEADER_LEN};

/// Only the header: the linker script (spec.ld) page-aligns the section.
#[repr(C, align(8))]
struct Section {
    header: [u8; HEADER_LEN],
}

/// `UnsafeCell` keeps the compiler from treating the contents as the constant
/// it was initialised with: they are replaced in the file after linking.
struct Embedded(UnsafeCell<Section>);

// SAFETY: nothing ever writes the section at run time.
unsafe impl Sync for Embedded {}

#[used]
#[link_section = ".sysinit_spec"]
static SPEC: Embedded = Embedded(UnsafeCell::new(Section {
    header: SectionHeader {
        room: 0,
        length: 0,
        heap: 0,
        trace: TraceLevel::Summary,
    }
    .to_bytes(),
}));

/// What the build put into the section.
pub struct Contents {
    /// The spec's bytes (empty if none was embedded).
    pub spec: &'static [u8],
    /// Start of the heap arena (page-aligned).
    pub heap_base: usize,
    /// Bytes of heap arena.
    pub heap_bytes: usize,
    /// What to print: the whole allocation trace or only the summary.
    pub trace: TraceLevel,
}

/// The embedded spec and the heap arena, after checking the header.
pub fn embedded() -> Result<Contents, HeaderError> {
    // `black_box` hides which static the pointer is to, so every read below
    // really loads from memory instead of using the link-time initialiser; the
    // bytes after the header lie beyond the static, in the segment the build grew.
    let base = core::hint::black_box(SPEC.0.get().cast::<u8>().cast_const());
    // SAFETY: the header is the static's own initialised, never-written bytes.
    let header = SectionHeader::parse(unsafe { core::slice::from_raw_parts(base, HEADER_LEN) })?;
    // SAFETY: `sysinit build` made the segment's file bytes the header and `room`
    // more bytes (loaded, never written, living as long as the root task); `parse`
    // checked that the section and its heap fit in the address space.
    let spec = unsafe { core::slice::from_raw_parts(base.add(HEADER_LEN), header.length as usize) };
    Ok(Contents {
        spec,
        heap_base: base as usize + header.heap_offset() as usize,
        heap_bytes: header.heap as usize,
        trace: header.trace,
    })
}
