//! The fuzz seed corpus in `fuzz/corpus/fdt_read/`: generated here, and every
//! file in it (seeds and anything a fuzzing run added) read here, so normal
//! test runs exercise it without cargo-fuzz. `SYSINIT_BLESS=1` regenerates.

mod common;

use std::path::PathBuf;

use common::sample;
use sysinit_fdt::Fdt;

const CORPUS: &str = "fuzz/corpus/fdt_read";

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(CORPUS)
}

fn blessing() -> bool {
    std::env::var_os("SYSINIT_BLESS").is_some_and(|v| v == "1")
}

/// The seeds, by file name. `valid-*` must be read, `invalid-*` refused.
fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let good = sample();
    let off_struct = u32::from_be_bytes(good[8..12].try_into().unwrap()) as usize;
    let mut bad_token = good.clone();
    bad_token[off_struct..off_struct + 4].copy_from_slice(&7u32.to_be_bytes());
    let mut bad_version = good.clone();
    bad_version[20..24].copy_from_slice(&16u32.to_be_bytes());
    vec![
        ("valid-sample.dtb", good.clone()),
        ("invalid-truncated.dtb", good[..good.len() / 2].to_vec()),
        ("invalid-token.dtb", bad_token),
        ("invalid-version.dtb", bad_version),
    ]
}

#[test]
fn committed_seeds_match_the_generator() {
    for (name, bytes) in seeds() {
        let path = corpus_dir().join(name);
        if blessing() {
            std::fs::create_dir_all(corpus_dir()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
            continue;
        }
        let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            committed == bytes,
            "{name} differs from what the writer makes now; if the change is meant, \
             rerun with SYSINIT_BLESS=1 and commit the new seeds"
        );
    }
}

#[test]
fn every_corpus_file_is_read_without_panic() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= seeds().len(), "the corpus lost its seeds");
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        match Fdt::new(&bytes) {
            Ok(fdt) => {
                assert!(!name.starts_with("invalid-"), "{name} was read");
                for node in fdt.nodes() {
                    let _ = node.reg();
                    let _ = node.properties().count();
                }
            }
            Err(e) => assert!(!name.starts_with("valid-"), "{name}: {e}"),
        }
    }
}
