//! The binary and JSON encodings: round trips and every way decoding must refuse.

mod common;

use common::{example, tiny_spec};
use sysinit_spec::{Arch, DecodeError, Spec, SpecErrorKind, FORMAT_VERSION, MAGIC};

fn header(version: u32) -> Vec<u8> {
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&version.to_le_bytes());
    bytes
}

#[test]
fn postcard_round_trips() {
    for spec in [
        tiny_spec(),
        example(Arch::X86_64),
        example(Arch::Aarch64),
        Spec::new(Arch::Aarch64),
    ] {
        let bytes = spec.to_postcard();
        assert_eq!(Spec::from_postcard(&bytes).unwrap(), spec);
        // Deterministic: encoding the decoded spec gives the same bytes.
        assert_eq!(Spec::from_postcard(&bytes).unwrap().to_postcard(), bytes);
    }
}

#[test]
fn json_round_trips() {
    for spec in [
        tiny_spec(),
        example(Arch::X86_64),
        example(Arch::Aarch64),
        Spec::new(Arch::X86_64),
    ] {
        let text = spec.to_json_pretty();
        assert_eq!(Spec::from_json(&text).unwrap(), spec);
        assert_eq!(Spec::from_json(&text).unwrap().to_json_pretty(), text);
    }
}

#[test]
fn encoding_starts_with_magic_and_version() {
    let bytes = tiny_spec().to_postcard();
    assert_eq!(&bytes[..8], b"sysinit\0");
    assert_eq!(bytes[8..12], FORMAT_VERSION.to_le_bytes());
}

#[test]
fn borrowing_decode_leaves_the_blob_in_place() {
    let spec = example(Arch::X86_64);
    let bytes = spec.to_postcard();
    let (decoded, blob) = Spec::from_postcard_borrowing_blob(&bytes).unwrap();
    assert!(decoded.blob.is_empty());
    assert_eq!(blob, &spec.blob[..]);
    assert_eq!(blob.as_ptr(), bytes[bytes.len() - blob.len()..].as_ptr());
    assert_eq!(
        Spec {
            blob: blob.to_vec(),
            ..decoded
        },
        spec
    );
}

#[test]
fn wrong_magic_is_not_a_spec() {
    let mut bytes = tiny_spec().to_postcard();
    bytes[0] = b'S';
    let err = Spec::from_postcard(&bytes).unwrap_err();
    assert!(matches!(err, DecodeError::NotASpec { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with("not a sysinit spec: "), "{text}");
    assert!(text.contains(r#"b"Sysinit\x00""#), "{text}");

    assert!(matches!(
        Spec::from_postcard(b""),
        Err(DecodeError::NotASpec { .. })
    ));
    assert!(matches!(
        Spec::from_postcard(b"\x7fELF\x02\x01\x01\0\0\0"),
        Err(DecodeError::NotASpec { .. })
    ));
}

#[test]
fn wrong_version_is_refused_before_the_body() {
    // The body after the header is garbage: the version must be reported, not the garbage.
    let mut bytes = header(FORMAT_VERSION + 1);
    bytes.extend_from_slice(&[0xff; 16]);
    let err = Spec::from_postcard(&bytes).unwrap_err();
    assert_eq!(
        err,
        DecodeError::VersionMismatch {
            found: FORMAT_VERSION + 1,
            supported: FORMAT_VERSION
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "spec format version {}; this build reads version {FORMAT_VERSION}; \
             rebuild the spec with a matching sysinit",
            FORMAT_VERSION + 1
        )
    );
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = example(Arch::Aarch64).to_postcard();
    for len in 0..bytes.len() {
        let err = Spec::from_postcard(&bytes[..len]).expect_err("a truncated spec must not decode");
        if len >= 1 {
            assert!(
                matches!(err, DecodeError::Truncated { .. }),
                "at {len}: {err:?}"
            );
        }
    }
}

#[test]
fn trailing_bytes_are_refused() {
    let mut bytes = tiny_spec().to_postcard();
    bytes.extend_from_slice(b"junk");
    assert_eq!(
        Spec::from_postcard(&bytes).unwrap_err(),
        DecodeError::TrailingBytes { count: 4 }
    );
}

/// postcard's unsigned LEB128 varint.
fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[test]
fn huge_length_prefixes_fail_fast() {
    // objects: claims 2^32 - 1 objects, provides none.
    let mut bytes = header(FORMAT_VERSION);
    bytes.push(0); // arch X86_64
    bytes.push(0); // hypervisor false
    varint(u64::from(u32::MAX), &mut bytes);
    assert_eq!(
        Spec::from_postcard(&bytes).unwrap_err(),
        DecodeError::Truncated { part: "body" }
    );

    // One object whose name claims 2^62 bytes.
    let mut bytes = header(FORMAT_VERSION);
    bytes.push(0);
    bytes.push(0); // hypervisor false
    varint(1, &mut bytes);
    varint(1 << 62, &mut bytes);
    bytes.extend_from_slice(b"abc");
    assert!(Spec::from_postcard(&bytes).is_err());

    // A frame fill claiming u64::MAX data bytes.
    let mut bytes = header(FORMAT_VERSION);
    bytes.push(0);
    bytes.push(0); // hypervisor false
    varint(1, &mut bytes);
    varint(1, &mut bytes);
    bytes.push(b'f');
    bytes.push(5); // Object::Frame
    bytes.push(12); // size_bits
    bytes.push(0); // paddr: None
    varint(1, &mut bytes); // one fill entry
    varint(0, &mut bytes); // offset
    bytes.push(0); // FillContent::Data
    varint(u64::MAX, &mut bytes);
    assert!(Spec::from_postcard(&bytes).is_err());

    // A blob length far beyond the input.
    let mut bytes = header(FORMAT_VERSION);
    bytes.push(0);
    bytes.push(0); // hypervisor false
    varint(0, &mut bytes);
    bytes.push(0); // no machine
    varint(u64::MAX, &mut bytes);
    assert_eq!(
        Spec::from_postcard(&bytes).unwrap_err(),
        DecodeError::Truncated { part: "data blob" }
    );
}

#[test]
fn malformed_bodies_are_reported() {
    let mut bytes = header(FORMAT_VERSION);
    bytes.push(7); // no such arch
    bytes.push(0);
    bytes.push(0);
    let err = Spec::from_postcard(&bytes).unwrap_err();
    assert!(matches!(err, DecodeError::Malformed { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("the spec body is malformed"),
        "{err}"
    );
}

#[test]
fn decoding_validates() {
    let mut spec = tiny_spec();
    if let sysinit_spec::Object::CNode(c) = &mut spec.objects[1].object {
        c.slots[0].1.object = sysinit_spec::ObjectId(99);
    }
    let err = Spec::from_postcard(&spec.to_postcard()).unwrap_err();
    let DecodeError::Invalid(e) = &err else {
        panic!("{err:?}")
    };
    assert!(matches!(e.kind, SpecErrorKind::DanglingCap { .. }));
    assert_eq!(
        err.to_string(),
        "the spec is invalid: object \"cnode\": the cap in slot 1 refers to object #99, \
         but the spec has only 3 objects"
    );
}
