//! Feeds arbitrary bytes to the spec decoder, the root task's only door for
//! untrusted data: it must never panic, and whatever it accepts must be a
//! valid spec that survives a round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sysinit_spec::Spec;

fuzz_target!(|bytes: &[u8]| {
    let borrowed = Spec::from_postcard_borrowing_blob(bytes);
    match Spec::from_postcard(bytes) {
        Ok(spec) => {
            spec.validate().expect("decoded specs are valid");
            let (without_blob, blob) = borrowed.expect("both decoders agree");
            assert_eq!(blob, &spec.blob[..]);
            assert_eq!(without_blob.objects, spec.objects);
            for (id, named) in spec.iter() {
                let _ = named.object.kernel_object(spec.arch);
                for mapping in spec.vspace_mappings(id) {
                    assert!(mapping.vaddr < spec.arch.user_vaddr_end());
                }
            }
            // Not byte-equal to the input: postcard accepts over-long varints.
            let again = Spec::from_postcard(&spec.to_postcard()).expect("re-encoded spec decodes");
            assert_eq!(again, spec);
        }
        Err(_) => assert!(borrowed.is_err(), "both decoders agree"),
    }
});
