//! Mappings without `x`: execute-never where the kernel can (aarch64), a warning where it
//! cannot (seL4 on x86_64 never sets XD), and the spec says which mappings are executable.

use std::path::Path;
use std::process::Command;

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
        .to_string_lossy()
        .into_owned()
}

fn check(system: &str, board: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sysinit"))
        .args(["check", &repo(system), "--board", board])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn x86_64_warns_about_each_map_without_x() {
    let (ok, stderr) = check("specs/boot-ivshmem-x86_64.system", "qemu-x86_64");
    assert!(ok, "a warning is not an error: {stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("sysinit: warning: "))
        .collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    let expected = format!(
        "sysinit: warning: {}:22:9: <map mr=\"pci_ecam\"> of protection domain 'ivshmem_driver' \
         has no \"x\" in perms, but seL4 on x86_64 never sets the XD bit: the mapping stays \
         executable (only aarch64 makes it execute-never)",
        repo("specs/boot-ivshmem-x86_64.system")
    );
    assert_eq!(warnings[0], expected);
}

#[test]
fn aarch64_does_not_warn() {
    let (ok, stderr) = check("specs/boot-ivshmem-aarch64.system", "qemu-aarch64-virt");
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
}
