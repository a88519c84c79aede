//! Link every example PD as a static, non-relocatable executable at 0x200000,
//! and the guest program `guest_hello` as a flat binary at 0x40000000.
//!
//! The initializer loads PT_LOAD segments where they say and relocates nothing,
//! so the program must not be position-independent (x86_64-unknown-none links
//! static-pie by default). 0x200000 keeps the program far below the stack and
//! IPC buffer at the top of the user address space (sysinit-pd-abi) and leaves
//! the zero page unmapped.
//!
//! `guest_hello` is no PD: it is raw bytes prefilled into guest RAM (Microkit's
//! `prefill_path`), entered at its first byte. Its own linker script (guest.ld)
//! places it at 0x40000000 with the entry section first, and rust-lld writes the
//! loadable sections as a flat binary (`--oformat=binary`), so the file
//! target/aarch64-unknown-none/release/guest_hello is the image itself and no
//! objcopy is needed. Its linker script overrides the PD base address.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.ends_with("-none") {
        println!("cargo:rustc-link-arg-bins=--no-pie");
        println!("cargo:rustc-link-arg-bins=--image-base=0x200000");
        println!("cargo:rustc-link-arg-bins=-zmax-page-size=0x1000");
    }
    // On x86_64 guest_hello is a stub (an ELF like the PDs), built only so that
    // one command builds the examples for either target.
    println!("cargo:rerun-if-changed=guest.ld");
    if target == "aarch64-unknown-none" {
        let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
        println!("cargo:rustc-link-arg-bin=guest_hello=-T{dir}/guest.ld");
        println!("cargo:rustc-link-arg-bin=guest_hello=--oformat=binary");
    }
}
