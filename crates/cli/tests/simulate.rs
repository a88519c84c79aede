//! The `sysinit simulate` command as a user runs it.

use std::path::PathBuf;

mod common;
use common::{sysinit, text};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sysinit-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn the_embedded_example_simulates_on_both_boards() {
    for board in ["qemu-x86_64", "qemu-aarch64-virt"] {
        let out = sysinit(&["simulate", "--board", board]);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(out.status.success(), "{board}: {stderr}");
        assert!(stdout.starts_with("SYSINIT trace v1 arch="), "{stdout}");
        assert!(
            stdout
                .lines()
                .last()
                .unwrap()
                .starts_with("SYSINIT summary objects="),
            "{stdout}"
        );
        assert!(stderr.contains("are where the plan put them"), "{stderr}");
        // Every trace line parses, and every frame's read-back address equals its plan.
        for line in stdout.lines() {
            let record = sysinit_trace::Record::parse(line).expect(line).expect(line);
            if let sysinit_trace::Record::Retype {
                planned,
                actual: Some(actual),
                ..
            } = record
            {
                assert_eq!(planned, actual);
            }
        }
    }
}

#[test]
fn the_x86_example_puts_its_device_frame_far_above_4_gib() {
    let out = sysinit(&["simulate"]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("type=frame_4k size_arg=0 size_bits=12 count=1 planned=0xe0000000000 actual=0xe0000000000"), "{stdout}");
}

#[test]
fn output_is_deterministic() {
    let a = sysinit(&["simulate", "--board", "qemu-aarch64-virt"]);
    let b = sysinit(&["simulate", "--board", "qemu-aarch64-virt"]);
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.stderr, b.stderr);
}

#[test]
fn a_recorded_untyped_list_replaces_the_board_derivation() {
    let trace = scratch("trace.log");
    let out = sysinit(&["simulate", "--trace", trace.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty(), "the trace went to the file");
    // Replaying on the recorded list gives the same trace.
    let again = sysinit(&["simulate", "--untypeds", trace.to_str().unwrap()]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(
        text(&again.stdout),
        std::fs::read_to_string(&trace).unwrap()
    );
    assert!(text(&again.stderr).contains("recorded in"));
}

#[test]
fn a_log_without_untypeds_is_refused_with_its_name() {
    let log = scratch("empty.log");
    std::fs::write(&log, "seL4 booting\n").unwrap();
    let out = sysinit(&["simulate", "--untypeds", log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("empty.log: no 'SYSINIT' trace lines"),
        "{stderr}"
    );
}

#[test]
fn a_broken_log_line_is_refused_with_its_line_number() {
    let log = scratch("broken.log");
    std::fs::write(
        &log,
        "boot\nSYSINIT untyped 0 paddr=0x0 size_bits=x device=1\n",
    )
    .unwrap();
    let out = sysinit(&["simulate", "--untypeds", log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("broken.log:2: broken trace line: bad size_bits"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_missing_spec_file_is_named() {
    let out = sysinit(&["simulate", "/nonexistent/system.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("error: cannot read /nonexistent/system.json:"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_spec_for_the_other_architecture_is_refused() {
    let spec = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../specs/example-aarch64.json"
    );
    let out = sysinit(&["simulate", spec, "--board", "qemu-x86_64"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("is a spec for aarch64, but board qemu-x86_64 is x86_64"),
        "{stderr}"
    );
}

#[test]
fn a_ram_size_the_board_cannot_have_is_refused_with_the_valid_range() {
    let out = sysinit(&["simulate", "--ram", "2M"]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert_eq!(
        text(&out.stderr),
        "error: --ram 2.0 MiB: board 'qemu-x86_64': RAM size 0x200000 is too small; valid: \
         0x8000000..=0x4000000000\n"
    );
}

#[test]
fn a_system_that_does_not_fit_is_refused_before_any_retype() {
    let spec = scratch("huge.json");
    std::fs::write(
        &spec,
        r#"{"format": "sysinit-spec", "version": 2, "arch": "x86_64", "objects": [
            {"name": "pool", "object": {"untyped": {"size_bits": 40, "paddr": null, "device": false}}}
        ]}"#,
    )
    .unwrap();
    let out = sysinit(&["simulate", spec.to_str().unwrap(), "--ram", "256M"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: out of memory for size class 40 (1 TiB): object 'pool' (untyped) and 0 more of that size found no room;"),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "no trace is printed for a refused plan"
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = sysinit(&["simulate", "--board", "raspberry-pi"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown board 'raspberry-pi'; valid boards: "),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(sysinit(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        sysinit(&["simulate", "--ram", "lots"]).status.code(),
        Some(2)
    );
}

#[test]
fn a_simulated_trace_verifies_and_a_tampered_one_does_not() {
    let trace = scratch("verify.log");
    assert!(sysinit(&["simulate", "--trace", trace.to_str().unwrap()])
        .status
        .success());
    let spec = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../specs/example-x86_64.json"
    );
    let ok = sysinit(&["verify-trace", trace.to_str().unwrap(), "--spec", spec]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(
        text(&ok.stdout).contains("the host planner plans exactly these steps"),
        "{}",
        text(&ok.stdout)
    );

    // A planned address moved by one page: the model disagrees.
    let original = std::fs::read_to_string(&trace).unwrap();
    let tampered_path = scratch("tampered.log");
    let tampered = original.replacen(
        "planned=0xe0000000000 actual=0xe0000000000",
        "planned=0xe0000001000 actual=0xe0000001000",
        1,
    );
    assert_ne!(tampered, original);
    std::fs::write(&tampered_path, tampered).unwrap();
    let bad = sysinit(&["verify-trace", tampered_path.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    let stderr = text(&bad.stderr);
    assert!(stderr.contains("recorded planned address 0xe0000001000, but the kernel model places it at 0xe0000000000"), "{stderr}");

    // A spec with one more endpoint: the recorded boot is not the boot of this spec.
    let mut other = sysinit_spec::Spec::from_json(&std::fs::read_to_string(spec).unwrap()).unwrap();
    other.objects.push(sysinit_spec::NamedObject {
        name: "extra.ep".into(),
        object: sysinit_spec::Object::Endpoint,
    });
    let other_path = scratch("other.json");
    std::fs::write(&other_path, other.to_json_pretty()).unwrap();
    let differs = sysinit(&[
        "verify-trace",
        trace.to_str().unwrap(),
        "--spec",
        other_path.to_str().unwrap(),
    ]);
    assert_eq!(differs.status.code(), Some(1));
    let stderr = text(&differs.stderr);
    assert!(
        stderr.contains("the recorded boot did 2 x endpoint"),
        "{stderr}"
    );
    assert!(
        stderr.contains("but the host planner plans 3 x endpoint"),
        "{stderr}"
    );
}

#[test]
fn a_system_beyond_the_root_cnode_is_refused_with_the_slot_counts() {
    // 0x7fb40000 bytes in 4 KiB pages: 523,072 frames (validation allows up to 2^19), more
    // than the 2^19-slot root CNode holds once seL4 has filled its boot caps (with the
    // board's estimate of the root task image, hello's 0x80000 bytes: 128 image frames).
    let dir = scratch("root-cnode");
    std::fs::create_dir_all(&dir).unwrap();
    let elf = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/corpus/elf_program/pd-x86_64.elf"
    );
    std::fs::copy(elf, dir.join("pd.elf")).unwrap();
    let system = dir.join("pages.system");
    std::fs::write(
        &system,
        r#"<system>
    <memory_region name="big" size="0x7fb40000" />
    <protection_domain name="pd" priority="100">
        <program_image path="pd.elf" />
        <map mr="big" vaddr="0x10000000" perms="rw" />
    </protection_domain>
</system>
"#,
    )
    .unwrap();
    let out = sysinit(&["simulate", system.to_str().unwrap(), "--ram", "4G"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "no trace for a boot that cannot happen"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.lines().any(|l| l
            == "error: the system needs 524112 root CNode slots, but only 524024 are free: the \
                root CNode has 2^19 = 524288 slots, seL4 fills 263 at boot (16 initial caps, \
                128 root task image frames, 3 root task paging structures, 1 extra boot info \
                frames, 115 untypeds) and the root task keeps 1 for frame fills; make the system \
                smaller (fewer objects, larger pages) or build the kernel with a larger \
                KernelRootCNodeSizeBits"),
        "{stderr}"
    );
    // `build` refuses the same system with the same counts, before writing an image.
    let out_dir = dir.join("out");
    let built = sysinit(&[
        "build",
        system.to_str().unwrap(),
        "--board",
        "qemu-x86_64",
        "--ram",
        "4G",
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(built.status.code(), Some(1));
    let build_err = text(&built.stderr);
    assert!(
        build_err.lines().any(|l| l.starts_with(
            "error: the system needs 524112 root CNode slots, but only 524024 are free"
        )),
        "{build_err}"
    );
    assert!(!out_dir.join("image.elf").exists() && !out_dir.join("report.txt").exists());
}

#[test]
fn a_spec_is_simulated_with_the_ram_it_was_built_for_unless_told_otherwise() {
    let dir = scratch("built-for-ram");
    std::fs::create_dir_all(&dir).unwrap();
    let elf = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/corpus/elf_program/pd-x86_64.elf"
    );
    std::fs::copy(elf, dir.join("pd.elf")).unwrap();
    let system = dir.join("a.system");
    std::fs::write(
        &system,
        r#"<system>
    <protection_domain name="pd" priority="100">
        <program_image path="pd.elf" />
    </protection_domain>
</system>
"#,
    )
    .unwrap();
    let out = dir.join("out");
    let built = sysinit(&[
        "build",
        system.to_str().unwrap(),
        "--board",
        "qemu-x86_64",
        "--ram",
        "1G",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(built.status.code(), Some(0), "{}", text(&built.stderr));
    let spec = out.join("spec.json");

    let as_built = sysinit(&["simulate", spec.to_str().unwrap()]);
    assert_eq!(as_built.status.code(), Some(0));
    let stderr = text(&as_built.stderr);
    assert!(
        stderr.contains("derived from the board with 1.0 GiB of RAM"),
        "{stderr}"
    );

    let asked = sysinit(&["simulate", spec.to_str().unwrap(), "--ram", "2G"]);
    assert_eq!(asked.status.code(), Some(0));
    let stderr = text(&asked.stderr);
    assert!(
        stderr.starts_with(
            "sysinit: note: the spec was built for 1.0 GiB of RAM; simulating the 2.0 GiB asked for\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("derived from the board with 2.0 GiB of RAM"),
        "{stderr}"
    );
}

/// An aarch64 boot's untypeds for an x86_64 spec: refused as such, not with a retype
/// failure deep in the plan.
#[test]
fn untypeds_from_a_boot_on_another_arch_are_refused() {
    let log = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/boots/aarch64/pingpong/boot.log"
    );
    let out = sysinit(&["simulate", "--board", "qemu-x86_64", "--untypeds", log]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim_end(),
        format!(
            "error: {log}: the log is of an aarch64 boot, but the spec is for x86_64; valid: the log \
             of an x86_64 boot for --untypeds"
        )
    );
}

/// Specs, logs and root tasks are read up to 1 GiB (an endless input such as /dev/zero
/// made every command but `check` allocate until memory ran out). A sparse file just
/// over the limit is refused by its size, before anything is read.
#[test]
fn inputs_over_a_gib_are_refused_before_reading() {
    let big = scratch("huge.json");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len((1 << 30) + 1).unwrap();
    let big = big.to_str().unwrap();
    let expected = format!(
        "error: cannot read {big}: larger than 1073741824 bytes; valid: a file of at most 1073741824 bytes"
    );
    for args in [
        vec!["simulate", big],
        vec!["simulate", "--untypeds", big],
        vec!["verify-trace", big],
    ] {
        let out = sysinit(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(text(&out.stderr).trim_end(), expected, "{args:?}");
    }
    std::fs::remove_file(big).unwrap();
}

/// A spec built for 2 GiB is simulated with 2 GiB, not the board's default 512 MiB
/// (which would plan, for another machine than the one it is for); a spec built for
/// another board is simulated with a warning that says which.
#[test]
fn a_spec_for_another_machine_is_simulated_with_a_warning() {
    let spec = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/boots/x86_64/pingpong/spec.json"
    );
    let text_of = std::fs::read_to_string(spec).unwrap();
    let json = text_of.replace("\"ram_bytes\": 536870912", "\"ram_bytes\": 2147483648");
    assert_ne!(json, text_of, "the recorded spec names its RAM size");
    let file = scratch("built-for-2g.json");
    std::fs::write(&file, &json).unwrap();
    let file = file.to_str().unwrap();
    let out = sysinit(&["simulate", file]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(
        stderr.contains("derived from the board with 2.0 GiB of RAM"),
        "{stderr}"
    );

    let other = json.replace("\"board\": \"qemu-x86_64\"", "\"board\": \"my-x86-board\"");
    assert_ne!(other, json, "the recorded spec names its board");
    let file = scratch("built-for-other-board.json");
    std::fs::write(&file, other).unwrap();
    let file = file.to_str().unwrap();
    let out = sysinit(&["simulate", file]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr).lines().next().unwrap(),
        format!(
            "sysinit: warning: {file} was built for board my-x86-board with 2.0 GiB of RAM, but \
             is simulated on board qemu-x86_64 with 512.0 MiB; give --board my-x86-board to \
             simulate the machine it is for"
        )
    );
}
