//! The `.sysinit_spec` section: room for the spec that `sysinit build` writes in after linking.
//!
//! Its layout is `sysinit-image`'s; its capacity comes from `SYSINIT_SPEC_CAPACITY`
//! at build time (see build.rs). The section is initialised data, not `.bss`, so it
//! has bytes in the ELF file to overwrite.

use core::cell::UnsafeCell;
use sysinit_image::{HeaderError, SectionHeader, HEADER_LEN};

include!(concat!(env!("OUT_DIR"), "/spec_capacity.rs"));

#[repr(C, align(8))]
struct Section {
    header: [u8; HEADER_LEN],
    room: [u8; SPEC_CAPACITY],
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
        capacity: SPEC_CAPACITY as u64,
        length: 0,
    }
    .to_bytes(),
    room: [0; SPEC_CAPACITY],
}));

/// The embedded spec bytes (empty if none was embedded), after checking the header.
pub fn embedded() -> Result<&'static [u8], HeaderError> {
    // `black_box` hides which static the pointer is to, so every read below
    // really loads from memory instead of using the link-time initialiser.
    let base = core::hint::black_box(SPEC.0.get().cast::<u8>().cast_const());
    // SAFETY: the section is `HEADER_LEN + SPEC_CAPACITY` bytes of initialised,
    // never-written memory that lives as long as the root task.
    let section = unsafe { core::slice::from_raw_parts(base, HEADER_LEN + SPEC_CAPACITY) };
    let header = SectionHeader::parse(section)?;
    Ok(&section[HEADER_LEN..HEADER_LEN + header.length as usize])
}
