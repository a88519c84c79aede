//! The PD's name, which the builder writes into the program image.

use sysinit_pd_abi::PD_NAME_LEN;

/// Shown when the builder left the name empty (a program run outside `sysinit build`).
pub const UNNAMED: &str = "unnamed";

/// The name stored in a NUL-padded byte array: the bytes before the first NUL,
/// cut at the last whole UTF-8 character, or [`UNNAMED`] if that is empty.
pub fn name_from_bytes(bytes: &[u8]) -> &str {
    let bytes = &bytes[..bytes.len().min(PD_NAME_LEN)];
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let name = match core::str::from_utf8(&bytes[..len]) {
        Ok(name) => name,
        // A name cut by the builder in the middle of a character still shows
        // the part that is valid.
        Err(e) => core::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or(""),
    };
    if name.is_empty() {
        UNNAMED
    } else {
        name
    }
}

/// The array the builder fills, named [`sysinit_pd_abi::PD_NAME_SYMBOL`].
///
/// An `UnsafeCell` so that the compiler reads the bytes from memory instead of
/// folding the all-zero initializer into the code: the builder changes them in
/// the ELF file after compilation. It lives in `.data` so it has bytes in the
/// file to patch.
#[repr(transparent)]
pub struct PatchedName(core::cell::UnsafeCell<[u8; PD_NAME_LEN]>);

// SAFETY: nothing writes the array at run time; the builder wrote it before the
// program started, so shared reads from any thread are sound.
unsafe impl Sync for PatchedName {}

impl PatchedName {
    /// The bytes the builder wrote.
    pub fn bytes(&'static self) -> &'static [u8; PD_NAME_LEN] {
        // SAFETY: see the Sync impl: the array is never written at run time.
        unsafe { &*self.0.get() }
    }
}

#[doc(hidden)]
#[no_mangle]
#[used]
#[link_section = ".data.sysinit_pd_name"]
pub static sysinit_pd_name: PatchedName =
    PatchedName(core::cell::UnsafeCell::new([0; PD_NAME_LEN]));

/// This PD's name as the system description gives it.
pub fn pd_name() -> &'static str {
    name_from_bytes(sysinit_pd_name.bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_ends_at_the_first_nul() {
        let mut bytes = [0u8; PD_NAME_LEN];
        bytes[..4].copy_from_slice(b"ping");
        assert_eq!(name_from_bytes(&bytes), "ping");
    }

    #[test]
    fn a_full_array_is_a_full_name() {
        let bytes = [b'a'; PD_NAME_LEN];
        assert_eq!(name_from_bytes(&bytes).len(), PD_NAME_LEN);
    }

    #[test]
    fn an_empty_array_is_unnamed() {
        assert_eq!(name_from_bytes(&[0; PD_NAME_LEN]), UNNAMED);
        assert_eq!(name_from_bytes(&[]), UNNAMED);
    }

    #[test]
    fn a_character_cut_in_half_is_dropped() {
        let mut bytes = [0u8; PD_NAME_LEN];
        let text = "pd-é".as_bytes();
        bytes[..text.len() - 1].copy_from_slice(&text[..text.len() - 1]);
        assert_eq!(name_from_bytes(&bytes), "pd-");
    }

    #[test]
    fn invalid_utf8_from_the_start_is_unnamed() {
        assert_eq!(name_from_bytes(&[0xff, 0xfe, 0]), UNNAMED);
    }

    #[test]
    fn an_unpatched_image_is_unnamed() {
        assert_eq!(pd_name(), UNNAMED);
    }
}
