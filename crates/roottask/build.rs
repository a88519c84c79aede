//! Build settings of the root task: its target and link arguments, among them the
//! linker script that puts the spec section last (spec.ld).

use std::{env, path::PathBuf};

/// The targets the root task is written for; the first is the default in .cargo/config.toml.
const TARGETS: [&str; 2] = ["x86_64-unknown-none", "aarch64-unknown-none"];

fn main() {
    println!("cargo:rerun-if-changed=spec.ld");
    let target = env::var("TARGET").unwrap_or_default();
    if !TARGETS.contains(&target.as_str()) {
        eprintln!(
            "sysinit-roottask is a bare-metal seL4 program for {} or {}, not {target}. Build it \
             from crates/roottask (its .cargo/config.toml sets the target), or from the \
             repository root with `cargo build --release --manifest-path \
             crates/roottask/Cargo.toml --config crates/roottask/.cargo/config.toml` \
             (add `--target aarch64-unknown-none` for aarch64).",
            TARGETS[0], TARGETS[1]
        );
        std::process::exit(1);
    }
    // A static, non-PIE ELF at 0x400000: seL4 maps the image where the ELF says
    // and applies no relocations; the low 4 MiB stay unmapped so null-ish
    // pointers fault. The ELF header stays in the first load segment (lld's
    // default layout), where the root task reads its program headers.
    for arg in ["-no-pie", "--image-base=0x400000"] {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
    if target.starts_with("aarch64") {
        // lld aligns aarch64 segments to 64 KiB by default; seL4 maps 4 KiB pages,
        // so page alignment is enough and keeps the file and the image small.
        println!("cargo:rustc-link-arg-bins=-zmax-page-size=4096");
    }
    // The spec section alone in the last PT_LOAD segment, where `sysinit build` grows it
    // to the spec's size and adds the heap (crates/image documents the layout).
    let dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    println!(
        "cargo:rustc-link-arg-bins=-T{}",
        dir.join("spec.ld").display()
    );
}
