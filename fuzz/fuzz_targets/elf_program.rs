//! Feeds arbitrary bytes to the program image reader for both architectures: it
//! may refuse them, never panic, and an image it accepts must take every patch
//! the builder applies (or refuse it) without panicking either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sysinit_builder::ProgramImage;
use sysinit_kobj::Arch;

fuzz_target!(|data: &[u8]| {
    for arch in Arch::ALL {
        if let Ok(mut image) = ProgramImage::parse(data, arch) {
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
