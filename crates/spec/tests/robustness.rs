//! Decoding arbitrary bytes never panics: random inputs and mutations of valid
//! encodings. Cases: 500 by default; set PROPTEST_CASES to run more.

mod common;

use proptest::prelude::*;
use sysinit_spec::{Arch, Spec};

fn valid_encodings() -> Vec<Vec<u8>> {
    vec![
        common::tiny_spec().to_postcard(),
        common::example(Arch::X86_64).to_postcard(),
        common::example(Arch::Aarch64).to_postcard(),
    ]
}

fn config() -> ProptestConfig {
    // ProptestConfig::default() reads PROPTEST_CASES; only the default changes here.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(500);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// One edit to a valid encoding.
#[derive(Clone, Debug)]
enum Mutation {
    Flip { at: usize, bit: u8 },
    Set { at: usize, byte: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Remove { at: usize, len: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..12)
        )
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1usize..16).prop_map(|(at, len)| Mutation::Remove { at, len }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len().max(1);
    match m {
        Mutation::Flip { at, bit } => {
            if let Some(b) = bytes.get_mut(at % len) {
                *b ^= 1 << bit;
            }
        }
        Mutation::Set { at, byte } => {
            if let Some(b) = bytes.get_mut(at % len) {
                *b = *byte;
            }
        }
        Mutation::Insert { at, bytes: new } => {
            let at = at % (bytes.len() + 1);
            bytes.splice(at..at, new.iter().copied());
        }
        Mutation::Remove { at, len: n } => {
            let at = at % len;
            let end = (at + n).min(bytes.len());
            if at < end {
                bytes.drain(at..end);
            }
        }
        Mutation::Truncate { at } => bytes.truncate(at % len),
    }
}

/// Decodes and, if that succeeds, checks the result is as good as any valid spec.
fn decode_without_panic(bytes: &[u8]) {
    if let Ok(spec) = Spec::from_postcard(bytes) {
        spec.validate().expect("a decoded spec is valid");
        for (id, _) in spec.iter() {
            let _ = spec.vspace_mappings(id);
            let _ = spec.get(id).unwrap().object.kernel_object(spec.arch);
        }
        assert_eq!(Spec::from_postcard(&spec.to_postcard()).unwrap(), spec);
    }
    let _ = Spec::from_postcard_borrowing_blob(bytes);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..256), header in 0usize..3) {
        // Random bytes alone almost never get past the magic, so most cases get a real header.
        let mut bytes = match header {
            0 => Vec::new(),
            1 => sysinit_spec::MAGIC.to_vec(),
            _ => [&sysinit_spec::MAGIC[..], &sysinit_spec::FORMAT_VERSION.to_le_bytes()].concat(),
        };
        bytes.extend(tail);
        decode_without_panic(&bytes);
    }

    #[test]
    fn mutated_encodings_never_panic(which in 0usize..3, edits in proptest::collection::vec(mutation(), 1..6)) {
        let mut bytes = valid_encodings().swap_remove(which);
        for m in &edits {
            apply(&mut bytes, m);
        }
        decode_without_panic(&bytes);
    }

    #[test]
    fn mutated_json_never_panics(at in any::<usize>(), byte in any::<u8>()) {
        let mut text = common::tiny_spec().to_json_pretty().into_bytes();
        let len = text.len();
        text[at % len] = byte;
        if let Ok(text) = String::from_utf8(text) {
            let _ = Spec::from_json(&text);
        }
    }
}
