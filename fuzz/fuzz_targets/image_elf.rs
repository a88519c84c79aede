//! Reading the embedded spec out of arbitrary bytes and growing the spec segment must
//! never panic; an image `embed` accepts must read back what was embedded, and
//! embedding the same again must give the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let spec = sysinit_image::embedded_spec(data).map(<[u8]>::to_vec);
    let spec = spec.unwrap_or_else(|_| b"sysinit".to_vec());
    // `embed` refuses ELFs whose spec section is not alone in the last segment; what it
    // accepts must be well formed.
    if let Ok(again) = sysinit_image::embed(data, &spec, None, 4096, sysinit_image::TraceLevel::Full) {
        assert_eq!(sysinit_image::embedded_spec(&again).ok(), Some(&spec[..]));
        assert_eq!(sysinit_image::embedded_heap_bytes(&again).ok(), Some(4096));
        let twice = sysinit_image::embed(&again, &spec, None, 4096, sysinit_image::TraceLevel::Full).expect("an embedded image takes a spec again");
        assert_eq!(twice, again);
    }
});
