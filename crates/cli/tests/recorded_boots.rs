//! Recorded real boots (tests/boots/<arch>/<name>/) replayed on every run.
//!
//! Each directory holds the serial log of a real seL4 boot under QEMU
//! (`boot.log`), the spec that boot ran (`spec.json`) and how it was made
//! (`boot.toml`: board, RAM, kernel commit, QEMU command, root task span). CI
//! has no seL4, so it checks the recording instead: the kernel model must put
//! every object at the recorded address, the host planner must plan exactly the
//! recorded steps, and the board model must predict the kernel's device
//! untypeds exactly, and on x86_64 (whose board is calibrated to our kernel
//! build) the whole untyped list, RAM included, in the kernel's order.

use std::path::{Path, PathBuf};
use std::process::Command;

use sysinit_board::{Board, RootTaskImage};
use sysinit_kobj::{Arch, BootUntyped, PhysRange};
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
    /// Virtual span `[start, end)` of the root task ELF the boot ran.
    roottask_vaddr: Option<[u64; 2]>,
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

/// The untyped list a boot log reports, in its order.
fn real_untypeds(log: &str) -> Vec<BootUntyped> {
    log.lines()
        .filter_map(|l| match Record::parse(l.trim_end()) {
            Ok(Some(Record::Untyped { untyped, .. })) => Some(untyped),
            _ => None,
        })
        .collect()
}

/// The hex value of `key=0x...` in the first log line that starts with `prefix`.
fn logged(log: &str, prefix: &str, key: &str) -> u64 {
    let line = log
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no log line starting with '{prefix}'"));
    let value = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=0x")))
        .unwrap_or_else(|| panic!("no {key}= in '{line}'"));
    u64::from_str_radix(value, 16).unwrap_or_else(|_| panic!("{key} in '{line}'"))
}

/// The board of a recorded boot, at its RAM size, loading its root task image.
fn recorded_board(m: &Meta) -> Board {
    let board = Board::by_name(&m.board)
        .unwrap()
        .with_ram_bytes(ram_bytes(&m.ram))
        .unwrap();
    match m.roottask_vaddr {
        Some([start, end]) => board
            .with_root_task_image(RootTaskImage::new(start, end).unwrap())
            .unwrap(),
        None => board,
    }
}

/// Where two untyped lists first differ, for a message a person can read.
fn first_difference(model: &[BootUntyped], real: &[BootUntyped]) -> Option<String> {
    let show = |u: Option<&BootUntyped>| match u {
        Some(u) => format!(
            "paddr={:#x} size_bits={} device={}",
            u.paddr, u.size_bits, u.is_device as u8
        ),
        None => "(none)".to_string(),
    };
    (0..model.len().max(real.len()))
        .find(|&i| model.get(i) != real.get(i))
        .map(|i| {
            format!(
                "untyped {i}: model {} but the real boot {} (model {} untypeds, real {})",
                show(model.get(i)),
                show(real.get(i)),
                model.len(),
                real.len()
            )
        })
}

#[test]
fn the_board_model_predicts_the_real_device_untypeds() {
    for dir in boots() {
        let m = meta(&dir);
        let log = std::fs::read_to_string(dir.join("boot.log")).unwrap();
        let real: Vec<_> = real_untypeds(&log)
            .into_iter()
            .filter(|u| u.is_device)
            .collect();
        let board = recorded_board(&m);
        let mem = board.boot_memory(board.ram_bytes()).unwrap();
        let model: Vec<_> = boot_untypeds(board.arch(), &mem, usize::MAX)
            .unwrap()
            .untypeds
            .into_iter()
            .filter(|u| u.is_device)
            .collect();
        assert_eq!(
            first_difference(&model, &real),
            None,
            "{}: device untypeds differ from the real boot",
            dir.display()
        );
    }
}

/// The kernel's own boot messages agree with boot.toml and with the board's layout:
/// the root task span it loaded, where it says it put itself and the root task.
#[test]
fn the_board_layout_matches_the_kernels_boot_messages_on_x86_64() {
    for dir in boots()
        .into_iter()
        .filter(|d| d.parent().unwrap().ends_with("x86_64"))
    {
        let m = meta(&dir);
        let log = std::fs::read_to_string(dir.join("boot.log")).unwrap();
        let [start, end] = m.roottask_vaddr.unwrap_or_else(|| {
            panic!(
                "{}: boot.toml needs roottask_vaddr = [start, end]",
                dir.display()
            )
        });
        assert_eq!(
            (start, end),
            (
                logged(&log, "size=", "v_start"),
                logged(&log, "size=", "v_end")
            ),
            "{}: roottask_vaddr differs from the kernel's ELF-loading line",
            dir.display()
        );
        let board = recorded_board(&m);
        let layout = board.boot_layout(board.ram_bytes()).unwrap();
        assert_eq!(
            layout.kernel_image,
            PhysRange::new(
                logged(&log, "Kernel loaded to:", "start"),
                logged(&log, "Kernel loaded to:", "end")
            ),
            "{}: kernel image",
            dir.display()
        );
        let to = logged(&log, "Moving loaded userland images", "to");
        let size = logged(&log, "Moving loaded userland images", "size");
        assert_eq!(
            layout.root_task_image,
            PhysRange::new(to, to + size),
            "{}: root task image",
            dir.display()
        );
    }
}

/// The calibrated x86_64 board reproduces every untyped of every recorded boot,
/// device and RAM, in the kernel's order: the planner's placements in report.txt
/// are then exactly what the root task does on that boot.
#[test]
fn the_board_model_predicts_the_entire_real_untyped_list_on_x86_64() {
    let mut checked = 0;
    for dir in boots() {
        let m = meta(&dir);
        let board = recorded_board(&m);
        if board.arch() != Arch::X86_64 {
            continue;
        }
        let log = std::fs::read_to_string(dir.join("boot.log")).unwrap();
        let real = real_untypeds(&log);
        assert!(real.iter().any(|u| !u.is_device), "{}", dir.display());
        let mem = board.boot_memory(board.ram_bytes()).unwrap();
        let model = boot_untypeds(board.arch(), &mem, usize::MAX).unwrap();
        assert_eq!(model.dropped, 0);
        assert_eq!(
            first_difference(&model.untypeds, &real),
            None,
            "{}: the board model's boot untypeds differ from the real boot",
            dir.display()
        );
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} x86_64 boots checked");
}
