//! The seeds of the `elf_program` fuzz target (fuzz/corpus/elf_program): generated here
//! from [`TestElf::pd`], and every file of the corpus read back in every test run with
//! the fuzz target's checks, so the corpus is exercised without cargo-fuzz.
//! Regenerate with `SYSINIT_BLESS=1 cargo test -p sysinit-builder --test corpus`.

use std::path::PathBuf;

use sysinit_builder::test_elf::TestElf;
use sysinit_builder::ProgramImage;
use sysinit_kobj::Arch;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/elf_program")
}

/// What fuzz/fuzz_targets/elf_program.rs does with one input.
fn run_target(data: &[u8]) {
    for arch in Arch::ALL {
        if let Ok(mut image) = ProgramImage::parse(data, arch) {
            let _ = image.patch_u64("fuzz_symbol", 0x1234);
            let _ = image.patch_name("sysinit_pd_name", "fuzzed", 64);
            for (_, page) in image.pages() {
                if let Some((offset, bytes)) = page.content() {
                    assert!(offset as usize + bytes.len() <= 4096);
                }
            }
        }
    }
}

#[test]
fn corpus_seeds_are_current_and_every_file_runs() {
    let dir = corpus_dir();
    for arch in Arch::ALL {
        let name = format!("pd-{arch}.elf");
        let bytes = TestElf::pd(arch, &["region_vaddr"]).to_bytes();
        let path = dir.join(&name);
        if std::env::var_os("SYSINIT_BLESS").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let on_disk = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; run with SYSINIT_BLESS=1", path.display()));
        assert_eq!(on_disk, bytes, "{name} is stale; run with SYSINIT_BLESS=1");
        // A seed is a valid image, so the fuzzer starts inside the reader.
        assert!(ProgramImage::parse(&on_disk, arch).is_ok(), "{name}");
    }
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        run_target(&bytes);
        files += 1;
    }
    assert!(files >= Arch::ALL.len(), "the corpus lost its seeds");
}
