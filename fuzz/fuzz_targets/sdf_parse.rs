//! Feeds arbitrary UTF-8 to the system description reader and, when it parses,
//! to the validator on every built-in board: neither may panic, and every
//! problem they report must carry a location in the fuzzed file.
//!
//! The input limits are reached twice: the default nesting limit (128 levels)
//! directly, with `-max_len` raised (fuzz/README.md), and both limits with a
//! second, small set (1 KiB, 8 levels), since 16 MiB inputs are beyond fuzzing.
//! Under the small limits an input is either refused for its size or depth,
//! or read exactly as under the default ones.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sysinit_board::Board;
use sysinit_sdf::{InputLimits, SdfError, SdfErrorKind};

const SMALL: InputLimits = InputLimits {
    max_bytes: 1024,
    max_depth: 8,
};

fuzz_target!(|text: &str| {
    let result = sysinit_sdf::parse_str(text, "fuzz.system");
    let small = sysinit_sdf::parse_str_with_limits(text, "fuzz.system", SMALL);
    match &small {
        Err(e) if text.len() > SMALL.max_bytes => {
            assert!(matches!(
                e.errors(),
                [SdfError {
                    location: None,
                    kind: SdfErrorKind::TooLarge { max: 1024, .. }
                }]
            ));
        }
        Err(e) if matches!(e.errors(), [SdfError { kind: SdfErrorKind::TooDeep { .. }, .. }]) => {}
        other => assert_eq!(other, &result, "the small limits changed the reading"),
    }
    let errors = match result {
        Ok(description) => {
            let mut errors = Vec::new();
            for name in Board::names() {
                let board = Board::by_name(name).expect("built-in boards load");
                if let Err(e) = sysinit_sdf::validate(&description, &board) {
                    errors.extend(e.0);
                }
            }
            errors
        }
        Err(e) => {
            assert!(!e.0.is_empty(), "a failed parse reports something");
            e.0
        }
    };
    for error in errors {
        let location = error.location().expect("every SDF error has a location");
        assert_eq!(&*location.file, "fuzz.system");
        assert!(error.to_string().starts_with("fuzz.system:"));
    }
});
