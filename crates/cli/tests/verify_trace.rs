//! `sysinit verify-trace` on logs no boot could print: each fixture in
//! tests/fixtures/verify-trace breaks one rule and gets exactly one message, naming
//! the line at fault. `valid.log` is the unbroken trace the others are made from.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify-trace")
}

/// Runs `sysinit verify-trace` in the fixture folder, so messages name files as given.
fn verify(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sysinit"))
        .arg("verify-trace")
        .args(args)
        .current_dir(fixtures())
        .output()
        .expect("runs")
}

/// (fixture, the whole of standard error).
const EXPECTED: &[(&str, &str)] = &[
    (
        "count_above_fan_out.log",
        "error: count_above_fan_out.log:6: retype 1: count=4000000000, but one retype creates 1..=256 objects (the kernel's fan-out limit)",
    ),
    (
        "frame_without_read_back.log",
        "error: frame_without_read_back.log:6: retype 1: frame_4k without a read-back address (actual=-); the root task reads back every frame it creates, so the check was skipped",
    ),
    (
        "header_count_differs.log",
        "error: header_count_differs.log:2: malformed trace: the header announces 3 untypeds, the trace has 2",
    ),
    (
        "read_back_on_a_tcb.log",
        "error: read_back_on_a_tcb.log:7: retype 2: actual=0x103000 on a tcb; only frames have a read-back address",
    ),
    (
        "record_after_the_summary.log",
        "error: record_after_the_summary.log:9: malformed trace: a trace record after the summary line; give one boot per log",
    ),
    (
        "retype_out_of_order.log",
        "error: retype_out_of_order.log:7: malformed trace: retype 3 out of order; expected retype 2",
    ),
    (
        "size_bits_contradict_type.log",
        "error: size_bits_contradict_type.log:7: retype 2: size_bits=12, but a tcb with size_arg=0 is 2^11 bytes on x86_64",
    ),
    (
        "summary_bytes_lost.log",
        "error: summary_bytes_lost.log:8: the summary says bytes_lost=0, but the replayed steps give 4080",
    ),
    (
        "summary_bytes_used.log",
        "error: summary_bytes_used.log:8: the summary says bytes_used=10255, but the replayed steps give 10256",
    ),
    (
        "summary_invocations.log",
        "error: summary_invocations.log:8: the summary says invocations=4, but the replayed steps give at least 5 (one per retype and per frame read back)",
    ),
    (
        "summary_objects.log",
        "error: summary_objects.log:8: the summary says objects=5, but the replayed steps give 4",
    ),
    (
        "summary_only.log",
        "error: summary_only.log:2: the log has a summary line but no allocation trace: the root \
         task was built with `sysinit build --trace summary` (the default), which prints only \
         the summary; nothing can be replayed from it, so rebuild with `sysinit build --trace \
         full` and boot again",
    ),
    (
        "summary_retypes.log",
        "error: summary_retypes.log:8: the summary says retypes=4, but the replayed steps give 3",
    ),
    (
        "untyped_after_a_retype.log",
        "error: untyped_after_a_retype.log:8: malformed trace: untyped 2 after a retype; every untyped line comes before the first retype",
    ),
    (
        "untyped_misaligned.log",
        "error: untyped_misaligned.log:3: boot untyped #0 (paddr 0x1000, 20 bits) is invalid: its kernel virtual address is not aligned to its size",
    ),
    (
        "untyped_out_of_order.log",
        "error: untyped_out_of_order.log:4: malformed trace: untyped 2 out of order; expected untyped 1",
    ),
    (
        "untyped_overlapping.log",
        "error: untyped_overlapping.log:4: boot untyped #1 (paddr 0x100000, 20 bits) overlaps boot untyped #0; the kernel hands out each byte of memory once",
    ),
    (
        "untyped_size_bits_48.log",
        "error: untyped_size_bits_48.log:3: boot untyped #0 (paddr 0x0, 48 bits) is invalid: size must be 4..=47 bits",
    ),
    (
        "untyped_wrapping.log",
        "error: untyped_wrapping.log:3: boot untyped #0 (paddr 0xffff808000000000, 47 bits) is invalid: it passes the end of the 64-bit physical address space",
    ),
];

#[test]
fn the_unbroken_trace_verifies() {
    let out = verify(&["valid.log"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "valid.log: 3 retypes on 2 boot untypeds (x86_64) replayed on the kernel model; every object is at its recorded address\n\
         valid.log: the summary line agrees with the replayed steps\n"
    );
}

#[test]
fn every_broken_trace_is_refused_with_its_line_and_message() {
    for (file, expected) in EXPECTED {
        let out = verify(&[file]);
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim_end(),
            *expected,
            "{file}"
        );
        assert!(out.stdout.is_empty(), "{file}: nothing passed");
    }
}

#[test]
fn every_fixture_has_its_expected_message() {
    let mut files: Vec<String> = std::fs::read_dir(fixtures())
        .expect("the fixture folder exists")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "valid.log")
        .collect();
    files.sort();
    let listed: Vec<&str> = EXPECTED.iter().map(|(file, _)| *file).collect();
    assert_eq!(files, listed);
}

#[test]
fn a_system_description_as_spec_is_refused_with_the_way_to_a_spec() {
    let system = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/hello.system");
    let system = system.to_str().unwrap();
    let out = verify(&["valid.log", "--spec", system]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        format!(
            "error: {system}: --spec takes the spec the boot ran (spec.json or spec.bin, as \
             `sysinit build` writes them), not a system description; build it first with \
             `sysinit build {system} --board BOARD -o DIR` and pass DIR/spec.json"
        )
    );
}

#[test]
fn a_binary_spec_is_read_and_a_broken_one_refused_with_the_decoders_message() {
    let dir = std::env::temp_dir().join(format!("sysinit-verify-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("boot.log");
    let sim = Command::new(env!("CARGO_BIN_EXE_sysinit"))
        .args(["simulate", "--trace"])
        .arg(&log)
        .output()
        .unwrap();
    assert!(sim.status.success());
    let json = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/example-x86_64.json");
    let spec = sysinit_spec::Spec::from_json(&std::fs::read_to_string(json).unwrap()).unwrap();
    let bin = dir.join("spec.bin");
    std::fs::write(&bin, spec.to_postcard()).unwrap();
    let (log, bin) = (log.to_str().unwrap(), bin.to_str().unwrap());
    let ok = verify(&[log, "--spec", bin]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).ends_with(&format!(
        "{log}: the host planner plans exactly these steps for {bin}\n\
         {log}: the summary line is what booting {bin} on the kernel model gives\n"
    )));

    let garbage = dir.join("garbage.bin");
    std::fs::write(&garbage, "garbage").unwrap();
    let garbage = garbage.to_str().unwrap();
    let bad = verify(&[log, "--spec", garbage]);
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&bad.stderr).trim_end(),
        format!(
            "error: {garbage}: binary spec: not a sysinit spec: it starts with b\"garbage\" instead of the \
             magic b\"sysinit\\x00\""
        )
    );
}

/// With the spec, every summary figure but the cycles is exact: a recorded boot whose
/// summary claims one invocation more (or a huge number), or, where the steps create
/// untypeds, one object or byte more, is refused at the summary line. The replay alone can
/// only bound those figures, and accepts each forgery.
#[test]
fn with_the_spec_the_summary_must_be_exactly_the_simulated_boot() {
    let boots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/boots/x86_64");
    let dir = std::env::temp_dir().join(format!("sysinit-verify-summary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (boot, field, value, says) in [
        ("pingpong", "invocations", "85", "86"),
        ("pingpong", "invocations", "85", "18446744073709551615"),
        ("example-objects", "objects", "39", "40"),
        ("example-objects", "bytes_used", "2291776", "2291777"),
    ] {
        let log = std::fs::read_to_string(boots.join(boot).join("boot.log")).unwrap();
        let spec = boots.join(boot).join("spec.json");
        let spec = spec.to_str().unwrap();
        let (line, summary) = log
            .lines()
            .enumerate()
            .find(|(_, l)| l.starts_with("SYSINIT summary "))
            .expect("the recorded boot finished");
        let from = format!(" {field}={value} ");
        assert!(summary.contains(&from), "{summary}");
        let forged = log.replace(
            summary,
            &summary.replace(&from, &format!(" {field}={says} ")),
        );
        let file = dir.join(format!("{boot}-{field}-{says}.log"));
        std::fs::write(&file, forged).unwrap();
        let file = file.to_str().unwrap();
        assert!(
            verify(&[file]).status.success(),
            "{file} passes without the spec"
        );
        let out = verify(&[file, "--spec", spec]);
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim_end(),
            format!(
                "error: {file}:{}: the summary says {field}={says}, but booting the spec on the \
                 kernel model gives {field}={value}",
                line + 1
            )
        );
        let ok = verify(&[
            boots.join(boot).join("boot.log").to_str().unwrap(),
            "--spec",
            spec,
        ]);
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
    }
}

/// An aarch64 spec for an x86_64 boot: refused as such, not as a plan differing at step 0.
#[test]
fn a_spec_for_another_arch_is_refused_as_such() {
    let boots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/boots");
    let log = boots.join("x86_64/pingpong/boot.log");
    let spec = boots.join("aarch64/pingpong/spec.json");
    let (log, spec) = (log.to_str().unwrap(), spec.to_str().unwrap());
    let out = verify(&[log, "--spec", spec]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        format!(
            "error: {spec} is a spec for aarch64, but {log} is of an x86_64 boot; valid: the spec \
             that boot ran"
        )
    );
}
