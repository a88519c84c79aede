//! Link every example as a static, non-relocatable executable at 0x200000.
//!
//! The initializer loads PT_LOAD segments where they say and relocates nothing,
//! so the program must not be position-independent (x86_64-unknown-none links
//! static-pie by default). 0x200000 keeps the program far below the stack and
//! IPC buffer at the top of the user address space (sysinit-pd-abi) and leaves
//! the zero page unmapped.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.ends_with("-none") {
        println!("cargo:rustc-link-arg-bins=--no-pie");
        println!("cargo:rustc-link-arg-bins=--image-base=0x200000");
        println!("cargo:rustc-link-arg-bins=-zmax-page-size=0x1000");
    }
}
