//! `dtc -I dtb -O dts` of a blob, for the tests of sysinit-fdt and sysinit-guest-dt
//! (guest-dt includes this file by path). Skipped, loudly, where dtc is not installed
//! (Debian/Ubuntu: `apt-get install device-tree-compiler`).

use std::io::Write;
use std::process::{Command, Stdio};

/// dtc's source form of `blob` and its warnings, or None (said loudly) without dtc.
pub fn dtc_decompile(blob: &[u8]) -> Option<(String, String)> {
    let child = Command::new("dtc")
        .args(["-I", "dtb", "-O", "dts", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            eprintln!(
                "SKIPPED: dtc not runnable ({e}); install device-tree-compiler to run this check"
            );
            return None;
        }
    };
    child.stdin.take().unwrap().write_all(blob).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "dtc refused the blob: {stderr}");
    Some((String::from_utf8(out.stdout).unwrap(), stderr))
}
