//! Inputs `build` and `simulate` must refuse with a message and the documented exit
//! status, never a crash, a runaway or a silently overwritten file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sysinit_builder::test_elf::TestElf;
use sysinit_kobj::Arch;

fn sysinit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sysinit"))
        .args(args)
        .output()
        .expect("runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "sysinit-cli-refusals-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
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
