//! `sysinit check` and `sysinit build` as a user runs them.

use std::path::{Path, PathBuf};

use sysinit_builder::test_elf::TestElf;
use sysinit_kobj::Arch;

mod common;
use common::{scratch_dir, sysinit, text};

fn scratch(test: &str) -> PathBuf {
    scratch_dir("build", test)
}

fn specs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs")
}

/// The boards a `specs/*.system` file is for: its arch's if the name ends in one, else all.
fn boards_for(file: &str) -> Vec<&'static str> {
    let stem = file.trim_end_matches(".system");
    let all = [("qemu-x86_64", "x86_64"), ("qemu-aarch64-virt", "aarch64")];
    let named: Vec<&str> = all
        .iter()
        .filter(|(_, a)| stem.ends_with(a))
        .map(|(b, _)| *b)
        .collect();
    if named.is_empty() {
        all.iter().map(|(b, _)| *b).collect()
    } else {
        named
    }
}

#[test]
fn check_accepts_every_example_on_its_boards() {
    let mut checked = 0;
    for entry in std::fs::read_dir(specs_dir()).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        if !file.ends_with(".system") {
            continue;
        }
        for board in boards_for(&file) {
            let out = sysinit(&["check", path.to_str().unwrap(), "--board", board]);
            assert!(
                out.status.success(),
                "{file} on {board}: {}",
                text(&out.stderr)
            );
            assert!(text(&out.stdout).contains(&format!("valid on board {board}")));
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} checks");
}

#[test]
fn check_prints_every_error_and_exits_1() {
    let dir = scratch("check-invalid");
    let file = dir.join("bad.system");
    std::fs::write(
        &file,
        r#"<system>
    <protection_domain name="a" priority="300"><program_image path="a.elf" /></protection_domain>
    <protection_domain name="a"><program_image path="b.elf" /></protection_domain>
</system>"#,
    )
    .unwrap();
    let out = sysinit(&["check", file.to_str().unwrap(), "--board", "qemu-x86_64"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.matches(": error: ").count(), 2, "{stderr}");
    assert!(stderr.ends_with("sysinit: 2 errors\n"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let out = sysinit(&["build", "x.system", "--board", "qemu-x86_64"]);
    assert_eq!(out.status.code(), Some(2));
    let out = sysinit(&["check", "x.system", "--board", "no-such-board"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn build_writes_a_spec_that_validates_a_report_and_simulates() {
    let dir = scratch("build");
    let elfs = dir.join("elfs");
    std::fs::create_dir_all(&elfs).unwrap();
    std::fs::write(
        elfs.join("ping.elf"),
        TestElf::pd(Arch::X86_64, &["shared"]).to_bytes(),
    )
    .unwrap();
    std::fs::write(
        elfs.join("pong.elf"),
        TestElf::pd(Arch::X86_64, &["shared"]).to_bytes(),
    )
    .unwrap();
    let system = specs_dir().join("pingpong.system");
    let out_dir = dir.join("out");
    let out = sysinit(&[
        "build",
        system.to_str().unwrap(),
        "--board",
        "qemu-x86_64",
        "-o",
        out_dir.to_str().unwrap(),
        "--search-path",
        elfs.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bin = std::fs::read(out_dir.join("spec.bin")).unwrap();
    let spec = sysinit_spec::Spec::from_postcard(&bin).unwrap();
    let json = std::fs::read_to_string(out_dir.join("spec.json")).unwrap();
    assert_eq!(sysinit_spec::Spec::from_json(&json).unwrap(), spec);
    assert!(spec.id_of("pd.ping.tcb").is_some());
    let report = std::fs::read_to_string(out_dir.join("report.txt")).unwrap();
    assert!(
        report.contains("protection domain ping (entry 0x400000)"),
        "{report}"
    );
    assert!(report.contains("region shared"), "{report}");
    assert!(report.contains("pd.pong.tcb"), "{report}");

    let out = sysinit(&[
        "simulate",
        system.to_str().unwrap(),
        "--board",
        "qemu-x86_64",
        "--search-path",
        elfs.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("SYSINIT summary"));
}

#[test]
fn build_reports_a_missing_image_and_exits_1() {
    let dir = scratch("missing");
    let system = specs_dir().join("hello.system");
    let out = sysinit(&[
        "build",
        system.to_str().unwrap(),
        "--board",
        "qemu-x86_64",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "<protection_domain name=\"hello\">: program image 'hello.elf' not found; tried "
        ),
        "{stderr}"
    );
}

#[test]
fn build_refuses_a_system_larger_than_the_ram_before_writing_anything() {
    let dir = scratch("too-big");
    std::fs::write(
        dir.join("pd.elf"),
        TestElf::pd(Arch::X86_64, &[]).to_bytes(),
    )
    .unwrap();
    let system =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/build/too-big-for-512M.system");
    let out_dir = dir.join("out");
    let out = sysinit(&[
        "build",
        system.to_str().unwrap(),
        "--board",
        "qemu-x86_64",
        "--ram",
        "512M",
        "-o",
        out_dir.to_str().unwrap(),
        "--search-path",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line: {stderr}"));
    assert_eq!(
        error,
        format!(
            "error: {}: the system does not fit board qemu-x86_64 with 512.0 MiB of RAM: it \
             needs 549466144 bytes (524.0 MiB), the board has 535687168 bytes (510.9 MiB) of \
             RAM for the kernel and user level; needed: the kernel image 2174976 bytes, the \
             root task image 93343744 bytes (its code, stack, a spec of 3582754 bytes and a \
             heap of 89235456 bytes), the root task's kernel objects 16812032 bytes, the \
             system's 106721 objects in RAM 437135392 bytes; valid: --ram 576M or more, or a \
             smaller system; nothing was written",
            system.display()
        )
    );
    assert!(
        !out_dir.exists(),
        "the refused build wrote {}",
        out_dir.display()
    );
}

#[test]
fn build_with_a_roottask_refuses_a_system_larger_than_the_ram_and_leaves_the_output_alone() {
    let dir = scratch("too-big-roottask");
    std::fs::write(
        dir.join("pd.elf"),
        TestElf::pd(Arch::X86_64, &[]).to_bytes(),
    )
    .unwrap();
    let roottask = dir.join("roottask.elf");
    std::fs::write(&roottask, common::roottask_elf(0x40_0000, 0x47_9000)).unwrap();
    let system =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/build/too-big-for-512M.system");
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(out_dir.join("spec.json"), "an earlier build's").unwrap();
    let out = sysinit(&[
        "build",
        system.to_str().unwrap(),
        "--board",
        "qemu-x86_64",
        "--ram",
        "512M",
        "-o",
        out_dir.to_str().unwrap(),
        "--search-path",
        dir.to_str().unwrap(),
        "--roottask",
        roottask.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    // The first round (no heap yet) fits; the measured heap does not.
    assert!(
        stderr.contains(&format!(
            "error: {}: the system does not fit board qemu-x86_64 with 512.0 MiB of RAM: it needs ",
            system.display()
        )) && stderr.contains("a heap of 89235456 bytes)")
            && stderr
                .contains("valid: --ram 576M or more, or a smaller system; nothing was written"),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["spec.json"]);
    assert_eq!(
        std::fs::read_to_string(out_dir.join("spec.json")).unwrap(),
        "an earlier build's"
    );
}
