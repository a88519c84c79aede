//! The sdf_parse fuzz target's seed corpus (fuzz/corpus/sdf_parse) as an
//! ordinary test: every seed goes through the reader and, when it parses, the
//! validator on every board, with the target's checks (every problem located
//! in the file). A crash the fuzzer finds is kept there as a seed once fixed.

use std::path::Path;

use sysinit_board::Board;

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/sdf_parse");
    let mut seeds: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    seeds.sort();
    seeds
}

/// The messages for one seed, checked as the fuzz target checks them.
fn messages(bytes: &[u8]) -> Vec<String> {
    let errors = match sysinit_sdf::parse_bytes(bytes, "fuzz.system") {
        Ok(description) => {
            let mut errors = Vec::new();
            for name in Board::names() {
                let board = Board::by_name(name).unwrap();
                if let Err(e) = sysinit_sdf::validate(&description, &board) {
                    errors.extend(e.0);
                }
            }
            errors
        }
        Err(e) => {
            assert!(!e.0.is_empty());
            e.0
        }
    };
    for error in &errors {
        let location = error.location().expect("located");
        assert_eq!(&*location.file, "fuzz.system");
    }
    errors.iter().map(|e| e.to_string()).collect()
}

#[test]
fn every_seed_runs_through_reader_and_validator() {
    let seeds = corpus();
    assert!(seeds.len() >= 5, "seeds missing: {}", seeds.len());
    for (name, bytes) in &seeds {
        let messages = messages(bytes);
        // Seeds say what they are: valid-* validate on some board, invalid-* are refused.
        if name.starts_with("invalid-") {
            assert!(!messages.is_empty(), "{name} is accepted");
        }
    }
}

#[test]
fn the_deep_nesting_seed_reaches_the_depth_limit() {
    let seeds = corpus();
    let (_, deep) = seeds
        .iter()
        .find(|(name, _)| name == "invalid-deep-nesting.system")
        .unwrap();
    assert_eq!(
        messages(deep),
        ["fuzz.system:1:4725: error: <protection_domain>: elements nested more than 128 deep; valid: at most 128 levels of nested elements"]
    );
}
