//! Recorded real boots (tests/boots/<arch>/<name>/) replayed on every run.
//!
//! Each directory holds the serial log of a real seL4 boot under QEMU
//! (`boot.log`), the spec that boot ran (`spec.json`) and how it was made
//! (`boot.toml`: board, RAM, kernel commit, QEMU command). CI has no seL4, so
//! it checks the recording instead: the kernel model must put every object at
//! the recorded address, the host planner must plan exactly the recorded steps,
//! and the board model must predict the kernel's device untypeds exactly.

use std::path::{Path, PathBuf};
use std::process::Command;

use sysinit_board::Board;
use sysinit_model::boot_untypeds;
use sysinit_trace::Record;

fn boots() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/boots");
    let mut dirs = Vec::new();
    for arch in std::fs::read_dir(&root).expect("tests/boots exists") {
        for boot in std::fs::read_dir(arch.unwrap().path()).unwrap() {
            let dir = boot.unwrap().path();
            if dir.join("boot.log").exists() {
                dirs.push(dir);
            }
        }
    }
    dirs.sort();
    dirs
}

#[derive(serde::Deserialize)]
struct Meta {
    /// PDs that reported `SYSINIT pd NAME ok` in the boot.
    expect_pds: Vec<String>,
    board: String,
    ram: String,
    kernel_commit: String,
    qemu_command: String,
}

fn meta(dir: &Path) -> Meta {
    toml::from_str(&std::fs::read_to_string(dir.join("boot.toml")).expect("boot.toml"))
        .expect("valid boot.toml")
}

fn ram_bytes(text: &str) -> u64 {
    let (n, shift) = match text.as_bytes().last() {
        Some(b'G') => (&text[..text.len() - 1], 30),
        Some(b'M') => (&text[..text.len() - 1], 20),
        _ => (text, 0),
    };
    n.parse::<u64>().expect("ram size") << shift
}

#[test]
fn there_are_recorded_boots_for_x86_64() {
    let dirs = boots();
    assert!(
        dirs.iter().any(|d| d.parent().unwrap().ends_with("x86_64")),
        "no recorded x86_64 boot in {dirs:?}"
    );
    for dir in &dirs {
        let m = meta(dir);
        assert_eq!(
            m.kernel_commit.len(),
            40,
            "{}: kernel_commit must be a full commit id",
            dir.display()
        );
        assert!(
            m.qemu_command.starts_with("qemu-system-"),
            "{}: qemu_command",
            dir.display()
        );
        assert!(
            dir.join("spec.json").exists(),
            "{}: spec.json missing",
            dir.display()
        );
    }
}

#[test]
fn every_recorded_boot_finished_and_every_pd_reported_ok() {
    for dir in boots() {
        let m = meta(&dir);
        let log = std::fs::read_to_string(dir.join("boot.log")).unwrap();
        let lines: Vec<&str> = log.lines().map(str::trim_end).collect();
        assert!(
            lines.iter().any(|l| l.starts_with("SYSINIT summary ")),
            "{}: no summary line",
            dir.display()
        );
        assert!(
            !lines.iter().any(|l| l.starts_with("SYSINIT error")),
            "{}: the boot failed",
            dir.display()
        );
        for pd in &m.expect_pds {
            let ok = format!("SYSINIT pd {pd} ok");
            assert!(
                lines.contains(&ok.as_str()),
                "{}: no '{ok}' line",
                dir.display()
            );
        }
    }
}

#[test]
fn every_recorded_boot_replays_on_the_model_and_matches_the_planner() {
    for dir in boots() {
        let out = Command::new(env!("CARGO_BIN_EXE_sysinit"))
            .args(["verify-trace"])
            .arg(dir.join("boot.log"))
            .arg("--spec")
            .arg(dir.join("spec.json"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}: {}{}",
            dir.display(),
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("the host planner plans exactly these steps"),
            "{stdout}"
        );
    }
}

#[test]
fn the_board_model_predicts_the_real_device_untypeds() {
    for dir in boots() {
        let m = meta(&dir);
        let log = std::fs::read_to_string(dir.join("boot.log")).unwrap();
        let real: Vec<_> = log
            .lines()
            .filter_map(|l| match Record::parse(l.trim_end()) {
                Ok(Some(Record::Untyped { untyped, .. })) if untyped.is_device => Some(untyped),
                _ => None,
            })
            .collect();
        let board = Board::by_name(&m.board).unwrap();
        let mem = board.boot_memory(ram_bytes(&m.ram)).unwrap();
        let model: Vec<_> = boot_untypeds(board.arch(), &mem, usize::MAX)
            .unwrap()
            .untypeds
            .into_iter()
            .filter(|u| u.is_device)
            .collect();
        assert_eq!(
            model,
            real,
            "{}: device untypeds differ from the real boot",
            dir.display()
        );
    }
}
