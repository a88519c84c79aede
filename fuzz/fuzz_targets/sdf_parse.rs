//! Feeds arbitrary UTF-8 to the system description reader and, when it parses,
//! to the validator on every built-in board: neither may panic, and every
//! problem they report must carry a location in the fuzzed file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sysinit_board::Board;

fuzz_target!(|text: &str| {
    let result = sysinit_sdf::parse_str(text, "fuzz.system");
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
