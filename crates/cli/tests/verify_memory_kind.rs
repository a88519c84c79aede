//! `verify-trace` refuses a log in which a device frame was retyped from RAM (issue 8):
//! tests/refusals/x86_64/device-in-ram/before-the-fix.log is what the root task did
//! before the planner checked memory kinds, on the untyped list of a real 2 GiB boot of
//! a spec built for 512 MiB.

use std::path::Path;
use std::process::Command;

#[test]
fn a_device_frame_retyped_from_ram_is_refused() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/refusals/x86_64/device-in-ram");
    let out = Command::new(env!("CARGO_BIN_EXE_sysinit"))
        .arg("verify-trace")
        .arg(dir.join("before-the-fix.log"))
        .arg("--spec")
        .arg(dir.join("spec.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim_end(),
        "error: object 'mr.bar.frame0': the spec says device memory at 0x40000000, but the \
         machine has RAM there (boot untyped 78: RAM at 0x40000000..0x60000000, 512 MiB); the \
         machine's memory map is not the one the spec was built for: rebuild with the RAM size \
         the machine has (`sysinit build --ram`), or boot the machine with the RAM the image \
         was built for"
    );
    // The model replay alone cannot tell: the frame is where the log says.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("every object is at its recorded address"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("the host planner plans exactly these steps"),
        "{stdout}"
    );
}
