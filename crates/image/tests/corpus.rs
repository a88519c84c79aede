//! The seeds of the `image_elf` fuzz target (fuzz/corpus/image_elf): generated here,
//! and read back in every test run so the corpus is exercised without cargo-fuzz.
//! Regenerate with `SYSINIT_BLESS=1 cargo test -p sysinit-image`.

mod common;

use std::path::PathBuf;
use sysinit_image::{embed_spec, embedded_spec};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/image_elf")
}

#[test]
fn corpus_seeds_are_current_and_readable() {
    // A small executable laid out as crates/roottask links it.
    let empty = common::Exe::root_task().bytes();
    let seeds = [
        ("empty-section.elf", empty.clone(), &b""[..]),
        (
            "with-spec.elf",
            embed_spec(&empty, b"sysinit\0spec").unwrap(),
            &b"sysinit\0spec"[..],
        ),
    ];
    let dir = corpus_dir();
    for (name, bytes, spec) in &seeds {
        let path = dir.join(name);
        if std::env::var_os("SYSINIT_BLESS").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, bytes).unwrap();
        }
        let on_disk = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; run with SYSINIT_BLESS=1", path.display()));
        assert_eq!(&on_disk, bytes, "{name} is stale; run with SYSINIT_BLESS=1");
        assert_eq!(embedded_spec(&on_disk), Ok(*spec));
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let _ = embedded_spec(&bytes);
    }
}
