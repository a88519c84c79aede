//! Feeds arbitrary bytes to the program image reader for both architectures: it
//! may refuse them, never panic; an image it accepts keeps its segment and
//! entry point promises and must take every patch the builder applies (or
//! refuse it) without panicking either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sysinit_builder::ProgramImage;
use sysinit_kobj::Arch;

fuzz_target!(|data: &[u8]| {
    for arch in Arch::ALL {
        if let Ok(mut image) = ProgramImage::parse(data, arch) {
            // What an accepted image promises: segments above the null page, no
            // two sharing an address, and the entry point in an executable one.
            let segments = image.segments();
            assert!(segments.iter().all(|s| s.vaddr >= 4096 && s.vaddr < s.end));
            assert!(segments.windows(2).all(|w| w[0].end <= w[1].vaddr));
            assert!(segments
                .iter()
                .any(|s| s.rights.execute && (s.vaddr..s.end).contains(&image.entry)));
            let _ = image.patch_u64("fuzz_symbol", 0x1234);
            let _ = image.patch_name("sysinit_pd_name", "fuzzed", 64);
            for (_, page) in image.pages() {
                if let Some((offset, bytes)) = page.content() {
                    assert!(offset as usize + bytes.len() <= 4096);
                }
            }
        }
    }
});
