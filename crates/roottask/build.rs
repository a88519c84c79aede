//! Reads the spec section's capacity from `SYSINIT_SPEC_CAPACITY` (bytes) at build time.

use std::{env, fs, path::PathBuf};

use sysinit_image::{CAPACITY_ENV as ENV, DEFAULT_CAPACITY as DEFAULT};

fn main() {
    println!("cargo:rerun-if-env-changed={ENV}");
    let capacity = match env::var(ENV) {
        Err(_) => DEFAULT,
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 && n <= 1 << 30 => n,
            _ => {
                eprintln!("{ENV}={v:?} is not a byte count between 1 and 1073741824");
                std::process::exit(1);
            }
        },
    };
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(
        out.join("spec_capacity.rs"),
        format!("/// Bytes of room for the spec (from {ENV} at build time).\npub const SPEC_CAPACITY: usize = {capacity};\n"),
    )
    .expect("OUT_DIR is writable");
}
