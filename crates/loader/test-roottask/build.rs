//! Links the test root task statically at 0x400000: the kernel maps an ELF's
//! segments at their virtual addresses and relocates nothing.
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let script = "ENTRY(_start)
SECTIONS
{
    . = 0x400000;
    .text : { KEEP(*(.text.start)) *(.text .text.*) }
    .rodata : ALIGN(4096) { *(.rodata .rodata.*) }
    .data : ALIGN(4096) { *(.data .data.*) }
    .bss : ALIGN(16) { *(.bss .bss.*) *(COMMON) }
}
";
    fs::write(out.join("roottask.ld"), script).expect("write roottask.ld");
    println!(
        "cargo:rustc-link-arg-bins=-T{}",
        out.join("roottask.ld").display()
    );
    println!("cargo:rerun-if-changed=build.rs");
}
