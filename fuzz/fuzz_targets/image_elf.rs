//! Reading the embedded spec out of arbitrary bytes must never panic, and a
//! successful read must round-trip through `embed_spec`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(spec) = sysinit_image::embedded_spec(data) {
        let spec = spec.to_vec();
        let again = sysinit_image::embed_spec(data, &spec).expect("a readable section accepts its own spec");
        assert_eq!(sysinit_image::embedded_spec(&again).ok(), Some(&spec[..]));
    }
});
