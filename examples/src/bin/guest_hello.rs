//! guest_hello: a guest program of our own, run by a VMM PD on aarch64 at EL1
//! the way a guest OS runs, proving what a guest OS relies on. One line per
//! check on the PL011 (`guest: <check>: ok (...)` or `guest: <check>: FAIL
//! <why>`), then `guest: all checks passed` or `guest: N checks failed`, then
//! PSCI SYSTEM_OFF.
//!
//! 1. device tree, memory, reserved-memory: parses the tree it was given,
//!    prints the memory map, checks that its image and the tree lie inside
//!    /memory, that every /reserved-memory region lies inside it (carved out by
//!    `no-map`), and that a
//!    marker written at each reserved region's start reads back.
//! 2. stage-1 MMU: builds its own identity map (/memory Normal cacheable; the
//!    UART, GIC, PCIe ECAM and both PCIe memory windows Device-nGnRE, 40-bit
//!    addresses for the window at 512 GiB) and turns MMU and caches on with
//!    the barriers a guest OS needs, before the first MMIO through it.
//! 3. PL011 PrimeCell ID: periph 0x00341011, cell 0xb105f00d (shared with the
//!    `pl011_id` PD: `sysinit_examples::pl011`).
//! 4. PCIe ivshmem: finds ivshmem (1af4:1110) on bus 0 of the
//!    `pci-host-ecam-generic` bridge, puts its 64-bit BAR2 at the start of the
//!    64-bit window of `ranges`, and writes the nonce the `ivshmem_driver` PD
//!    writes (`sysinit_examples::pci`): the host reads it from the backing file.
//! 5. virtual timer: 3 virtual timer interrupts (PPI 27) through the GICv2
//!    (distributor and CPU interface from the tree) into the EL1 IRQ vector.
//! 6. PSCI: PSCI_VERSION through the tree's /psci method, then SYSTEM_OFF.
//!
//! Any other exception prints ESR/FAR/ELR and powers off, as does a panic.
//!
//! Image and entry (src/guest/boot.rs, guest.ld, build.rs): a flat binary
//! linked at 0x40000000 (guest RAM start), written by rust-lld with
//! `--oformat=binary` (target/aarch64-unknown-none/release/guest_hello is the
//! raw image, for `prefill_path`), entered at its first byte at EL1 with x0 =
//! the device tree's guest-physical address, MMU and caches off. It starts with
//! a Linux arm64 Image header, so QEMU boots it standalone too:
//!
//! ```text
//! cargo build --release --manifest-path examples/Cargo.toml --target aarch64-unknown-none
//! qemu-system-aarch64 -M virt,gic-version=2,highmem=on -cpu cortex-a57 -m 1G -nographic \
//!     -kernel examples/target/aarch64-unknown-none/release/guest_hello \
//!     -object memory-backend-file,id=shm,share=on,mem-path=/tmp/shm-guest,size=1M \
//!     -device ivshmem-plain,memdev=shm
//! od -A x -t x1z -N 32 /tmp/shm-guest    # 21 45 43 4e 45 53 57 51 "sysinit-ivshmem-nonce"
//! ```
//!
//! QEMU loads the Image at 0x40200000 and the entry code moves it to its link
//! address; its tree has no /reserved-memory (reported as "none") and says
//! PSCI method "hvc". On x86_64 this is a stub that only halts: there are no
//! guests there (the examples build for both targets with one command).
#![no_std]
#![no_main]

#[cfg(target_arch = "aarch64")]
#[path = "../guest/mod.rs"]
mod guest;

#[cfg(not(target_arch = "aarch64"))]
mod stub {
    /// Entry of the x86_64 stub: never started by any system description.
    #[no_mangle]
    extern "C" fn _start() -> ! {
        loop {
            core::hint::spin_loop();
        }
    }

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo) -> ! {
        loop {
            core::hint::spin_loop();
        }
    }
}
