//! Malformed program images are refused, never a panic.

use proptest::prelude::*;
use sysinit_builder::test_elf::TestElf;
use sysinit_builder::ProgramImage;
use sysinit_kobj::Arch;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = ProgramImage::parse(&bytes, Arch::X86_64);
    }

    #[test]
    fn corrupted_executables_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = TestElf::pd(Arch::X86_64, &["a", "b"]).to_bytes();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let _ = ProgramImage::parse(&bytes, Arch::X86_64);
        bytes.truncate(cut.index(bytes.len() + 1));
        if let Ok(mut image) = ProgramImage::parse(&bytes, Arch::X86_64) {
            let _ = image.patch_u64("a", 1);
            let _ = image.patch_name(sysinit_pd_abi::PD_NAME_SYMBOL, "name", 64);
        }
    }
}
