//! Every example in specs/ parses and validates on the boards it is for.
//!
//! A file named `*-x86_64.system` or `*-aarch64.system` is for that
//! architecture's boards; any other is for every board. A system with a
//! `<virtual_machine>` is only for boards whose kernel has hypervisor support
//! (not `qemu-aarch64-virt-el1`, which refuses it: tests in `specs/invalid`).

use std::path::{Path, PathBuf};

use sysinit_board::Board;

fn specs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs")
}

fn boards_for(file_name: &str) -> Vec<Board> {
    let stem = file_name.trim_end_matches(".system");
    Board::names()
        .into_iter()
        .map(|name| Board::by_name(name).unwrap())
        .filter(|board| {
            let arch = board.arch().name();
            let specific = ["x86_64", "aarch64"]
                .iter()
                .find(|a| stem.ends_with(&format!("-{a}")));
            specific.is_none_or(|a| *a == arch)
        })
        .collect()
}

#[test]
fn every_example_validates_on_its_boards() {
    let mut files: Vec<_> = std::fs::read_dir(specs_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".system"))
        .collect();
    files.sort();
    assert!(files.len() >= 6, "examples missing: {files:?}");
    for file in &files {
        let text = std::fs::read_to_string(specs_dir().join(file)).unwrap();
        let shown = format!("specs/{file}");
        let description = sysinit_sdf::parse_str(&text, &shown).unwrap_or_else(|e| panic!("{e}"));
        let boards: Vec<Board> = boards_for(file)
            .into_iter()
            .filter(|b| b.virtualization() || !text.contains("<virtual_machine"))
            .collect();
        assert!(!boards.is_empty(), "{file} is for no board");
        for board in boards {
            for ram in [board.default_ram_bytes(), 4 << 30] {
                let board = board.clone().with_ram_bytes(ram).unwrap();
                if let Err(e) = sysinit_sdf::validate(&description, &board) {
                    panic!(
                        "{file} on {} with {ram:#x} bytes of RAM:\n{e}",
                        board.name()
                    );
                }
            }
        }
    }
}

#[test]
fn parse_file_names_the_path() {
    let path = specs_dir().join("hello.system");
    let description = sysinit_sdf::parse_file(&path).unwrap();
    let pd = &description.protection_domains[0];
    assert_eq!(pd.name, "hello");
    assert_eq!(pd.location.line, 4);
    assert_eq!(pd.location.column, 5);
    assert_eq!(&*pd.location.file, path.display().to_string());

    let missing = specs_dir().join("no-such-file.system");
    let err = sysinit_sdf::parse_file(&missing).unwrap_err();
    assert!(err.to_string().starts_with(&format!(
        "{}: error: cannot read the system description:",
        missing.display()
    )));
}
