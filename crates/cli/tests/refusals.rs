//! Inputs `build` and `simulate` must refuse with a message and the documented exit
//! status, never a crash, a runaway or a silently overwritten file.

use std::path::{Path, PathBuf};

use sysinit_builder::test_elf::TestElf;
use sysinit_kobj::Arch;

mod common;
use common::{scratch_dir, sysinit, text};

fn scratch(test: &str) -> PathBuf {
    scratch_dir("refusals", test)
}

/// `dir/t.system` with one PD `a` whose generated x86_64 image is `dir/a.elf`.
fn system_with_pd(dir: &Path, regions: &str) -> PathBuf {
    std::fs::write(dir.join("a.elf"), TestElf::pd(Arch::X86_64, &[]).to_bytes()).unwrap();
    let file = dir.join("t.system");
    std::fs::write(
        &file,
        format!(
            "<system>\n    {regions}\n    <protection_domain name=\"a\"><program_image path=\"a.elf\" /></protection_domain>\n</system>\n"
        ),
    )
    .unwrap();
    file
}

#[test]
fn build_and_simulate_refuse_a_region_larger_than_ram_before_allocating() {
    let dir = scratch("huge");
    let system = system_with_pd(
        &dir,
        r#"<memory_region name="huge" size="0x4000000000000000" />"#,
    );
    let out_dir = dir.join("out");
    for args in [
        vec![
            "build",
            system.to_str().unwrap(),
            "--board",
            "qemu-x86_64",
            "-o",
            out_dir.to_str().unwrap(),
        ],
        vec![
            "simulate",
            system.to_str().unwrap(),
            "--board",
            "qemu-x86_64",
        ],
    ] {
        let out = sysinit(&args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let stderr = text(&out.stderr);
        // Validation may refuse the size first; either way the region is named.
        assert!(
            stderr.contains("t.system:2:5: error: <memory_region name=\"huge\">: "),
            "{stderr}"
        );
        assert!(stderr.ends_with("sysinit: 1 error\n"), "{stderr}");
    }
    assert!(!out_dir.join("spec.json").exists());
}

fn example_spec() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/example-x86_64.json")
}

#[test]
fn simulate_refuses_a_trace_file_that_is_its_spec() {
    let dir = scratch("trace-is-spec");
    let spec = dir.join("ex.json");
    std::fs::copy(example_spec(), &spec).unwrap();
    let before = std::fs::read(&spec).unwrap();
    // The same file under another name: compared after resolving `..`.
    let other = dir.join("sub/../ex.json");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let out = sysinit(&[
        "simulate",
        spec.to_str().unwrap(),
        "--trace",
        other.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {} (written for --trace) is the spec {}; writing it would destroy that \
             input; valid: another file for --trace\n",
            other.display(),
            spec.display()
        )
    );
    assert_eq!(
        std::fs::read(&spec).unwrap(),
        before,
        "the spec is untouched"
    );
}

#[test]
fn build_refuses_an_output_directory_holding_its_root_task() {
    let dir = scratch("out-is-roottask");
    let system = system_with_pd(&dir, "");
    let out_dir = dir.join("D");
    std::fs::create_dir_all(&out_dir).unwrap();
    let roottask = out_dir.join("image.elf");
    std::fs::write(&roottask, b"the root task").unwrap();
    let out = sysinit(&[
        "build",
        system.to_str().unwrap(),
        "--board",
        "qemu-x86_64",
        "-o",
        out_dir.to_str().unwrap(),
        "--roottask",
        roottask.to_str().unwrap(),
    ]);
    // The root task is checked as an ELF first; a real one reaches the overwrite check.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    std::fs::write(&roottask, TestElf::pd(Arch::X86_64, &[]).to_bytes()).unwrap();
    let before = std::fs::read(&roottask).unwrap();
    let out = sysinit(&[
        "build",
        system.to_str().unwrap(),
        "--board",
        "qemu-x86_64",
        "-o",
        out_dir.to_str().unwrap(),
        "--roottask",
        roottask.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.ends_with(&format!(
            "error: {} (written for -o {}) is the root task (--roottask) {}; writing it would \
             destroy that input; valid: an output directory (-o) holding none of the inputs\n",
            roottask.display(),
            out_dir.display(),
            roottask.display()
        )),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&roottask).unwrap(), before);
    assert!(!out_dir.join("spec.json").exists(), "nothing written");
}

#[test]
fn build_refuses_an_output_that_is_a_program_image() {
    let dir = scratch("out-is-image");
    let system = system_with_pd(&dir, "");
    std::fs::rename(dir.join("a.elf"), dir.join("spec.bin")).unwrap();
    let text_now = std::fs::read_to_string(&system)
        .unwrap()
        .replace("a.elf", "spec.bin");
    std::fs::write(&system, text_now).unwrap();
    let out = sysinit(&[
        "build",
        system.to_str().unwrap(),
        "--board",
        "qemu-x86_64",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).ends_with(&format!(
            "error: {} (written for -o {}) is the program image of PD 'a' {}; writing it would \
             destroy that input; valid: an output directory (-o) holding none of the inputs\n",
            dir.join("spec.bin").display(),
            dir.display(),
            dir.join("spec.bin").display()
        )),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn ram_sizes_outside_the_board_are_usage_errors() {
    let out = sysinit(&["simulate", "--ram", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: invalid value '0' for '--ram <RAM>': 0 bytes of RAM cannot boot; write e.g. 512M \
         or 2G\n\nFor more information, try '--help'.\n"
    );
    let out = sysinit(&["simulate", "--ram", "1T"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: --ram 1.0 TiB: board 'qemu-x86_64': RAM size 0x10000000000 is too large; valid: \
         0x8000000..=0x4000000000\n"
    );
    let out = sysinit(&[
        "check",
        "x.system",
        "--board",
        "qemu-aarch64-virt",
        "--ram",
        "1T",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).starts_with("error: --ram 1.0 TiB: board 'qemu-aarch64-virt': "));
}

#[test]
fn a_missing_search_path_is_refused() {
    let dir = scratch("search-path");
    let system = system_with_pd(&dir, "");
    let missing = dir.join("no-such-dir");
    for command in ["build", "simulate"] {
        let mut args = vec![command, system.to_str().unwrap(), "--board", "qemu-x86_64"];
        let out_dir = dir.join("out");
        if command == "build" {
            args.extend(["-o", out_dir.to_str().unwrap()]);
        }
        args.extend(["--search-path", missing.to_str().unwrap()]);
        let out = sysinit(&args);
        assert_eq!(out.status.code(), Some(2), "{command}");
        assert_eq!(
            text(&out.stderr),
            format!(
                "error: --search-path {}: does not exist; valid: a directory holding program images\n",
                missing.display()
            ),
            "{command}"
        );
    }
    let file = dir.join("a.elf");
    let out = sysinit(&[
        "simulate",
        system.to_str().unwrap(),
        "--search-path",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: --search-path {}: is not a directory; valid: a directory holding program images\n",
            file.display()
        )
    );
}

#[test]
fn simulate_reads_a_binary_spec_and_says_what_a_broken_one_is() {
    let dir = scratch("binary");
    let system = system_with_pd(&dir, "");
    let out_dir = dir.join("out");
    let built = sysinit(&[
        "build",
        system.to_str().unwrap(),
        "--board",
        "qemu-x86_64",
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    assert!(built.status.success(), "{}", text(&built.stderr));
    let bin = out_dir.join("spec.bin");
    let json = out_dir.join("spec.json");
    let from_bin = sysinit(&["simulate", bin.to_str().unwrap()]);
    let from_json = sysinit(&["simulate", json.to_str().unwrap()]);
    assert!(from_bin.status.success(), "{}", text(&from_bin.stderr));
    assert_eq!(
        from_bin.stdout, from_json.stdout,
        "the same trace from either form"
    );
    assert!(!from_bin.stdout.is_empty());

    let bytes = std::fs::read(&bin).unwrap();
    let cut = dir.join("cut.bin");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let out = sysinit(&["simulate", cut.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with(&format!("error: {}: binary spec: ", cut.display())),
        "{}",
        text(&out.stderr)
    );

    let junk = dir.join("junk.json");
    std::fs::write(&junk, b"\xff\xfe{}").unwrap();
    let out = sysinit(&["simulate", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {}: neither a JSON spec (byte 0x0 is not UTF-8) nor a binary spec (it does \
             not start with the magic \"sysinit\\0\"); valid: spec.json or spec.bin as `sysinit \
             build` writes them, or a .system description\n",
            junk.display()
        )
    );
}

#[test]
fn build_refuses_two_msis_on_one_device_handle_at_the_second() {
    let dir = scratch("msi");
    let system = system_with_pd(&dir, "");
    let text_now = std::fs::read_to_string(&system).unwrap().replace(
        "<program_image path=\"a.elf\" />",
        "<program_image path=\"a.elf\" />\n        <irq id=\"1\" pcidev=\"00:02.0\" handle=\"0\" vector=\"21\" />\n        <irq id=\"2\" pcidev=\"00:02.0\" handle=\"0\" vector=\"22\" />",
    );
    std::fs::write(&system, text_now).unwrap();
    let out_dir = dir.join("out");
    let out = sysinit(&[
        "build",
        system.to_str().unwrap(),
        "--board",
        "qemu-x86_64",
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    // Validation may refuse it first; either way at the second <irq>, never as a sysinit bug.
    assert!(
        stderr.contains(&format!(
            "{}:5:9: error: <irq id=\"2\"> in <protection_domain name=\"a\">: ",
            system.display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("sysinit bug"), "{stderr}");
}
