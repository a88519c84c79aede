//! The fuzz seed corpus in `fuzz/corpus/spec_decode/`: generated here, and
//! every file in it (seeds and anything a fuzzing run added) decoded here, so
//! normal test runs exercise it without cargo-fuzz.
//!
//! The `valid-*` seeds also pin the binary encoding: if they change, the
//! format changed, and `FORMAT_VERSION` must be bumped.

mod common;

use std::path::PathBuf;

use common::{blessing, example, repo_root, tiny_spec};
use sysinit_spec::{Arch, Object, ObjectId, Spec, FORMAT_VERSION};

const CORPUS: &str = "fuzz/corpus/spec_decode";

/// The seeds, by file name. `valid-*` must decode, `invalid-*` must not.
fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let tiny = tiny_spec().to_postcard();
    let mut wrong_magic = tiny.clone();
    wrong_magic[..8].copy_from_slice(b"capdl\0\0\0");
    let mut wrong_version = tiny.clone();
    wrong_version[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let mut dangling = example(Arch::Aarch64);
    if let Object::CNode(c) = &mut dangling.objects[0].object {
        c.slots[0].1.object = ObjectId(1000);
    }
    let example_x86 = example(Arch::X86_64).to_postcard();
    vec![
        ("valid-empty.bin", Spec::new(Arch::X86_64).to_postcard()),
        ("valid-tiny.bin", tiny.clone()),
        ("valid-example-x86_64.bin", example_x86.clone()),
        (
            "valid-example-aarch64.bin",
            example(Arch::Aarch64).to_postcard(),
        ),
        ("invalid-wrong-magic.bin", wrong_magic),
        ("invalid-wrong-version.bin", wrong_version),
        (
            "invalid-truncated.bin",
            example_x86[..example_x86.len() / 2].to_vec(),
        ),
        ("invalid-trailing.bin", [&tiny[..], b"x"].concat()),
        ("invalid-dangling.bin", dangling.to_postcard()),
    ]
}

fn corpus_dir() -> PathBuf {
    repo_root().join(CORPUS)
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
            "{name} no longer matches what this build encodes: the binary format changed. \
             Bump FORMAT_VERSION in crates/spec/src/encoding.rs (currently {FORMAT_VERSION}), \
             then rerun with SYSINIT_BLESS=1 and commit the new seeds and example specs"
        );
    }
}

#[test]
fn every_corpus_file_decodes_without_panic() {
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
        let result = Spec::from_postcard(&bytes);
        if name.starts_with("valid-") {
            result.unwrap_or_else(|e| panic!("{name}: {e}"));
        } else if name.starts_with("invalid-") {
            assert!(result.is_err(), "{name} decoded");
        }
    }
}
