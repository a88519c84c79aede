//! What the command-line tests share: running `sysinit` as a user does, and scratch
//! directories that parallel tests do not share.
#![allow(dead_code)] // each test file uses its own subset

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the `sysinit` binary built for these tests with `args`.
pub fn sysinit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sysinit"))
        .args(args)
        .output()
        .expect("runs")
}

/// Output bytes as text (lossy: messages are ASCII, paths may not be).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An empty directory for one test of one test file (`suite`), fresh for each run.
pub fn scratch_dir(suite: &str, test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("sysinit-cli-{suite}-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
