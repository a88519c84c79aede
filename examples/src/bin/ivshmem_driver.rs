//! ivshmem_driver: finds QEMU's ivshmem-plain device on PCI bus 0 through an
//! ECAM window, places its shared-memory BAR (BAR2/3, 64-bit) at the physical
//! address the system description fixed, enables memory decoding, writes a
//! nonce at offset 0 and reads it back.
//!
//! One program for both machines: every address comes from the builder
//! (setvars), so only the system description differs. On qemu-x86_64 (q35,
//! `specs/boot-ivshmem-x86_64.system`) the ECAM is the one SeaBIOS enabled at
//! `0xb000_0000` and the BAR goes to 14 TiB; on qemu-aarch64-virt
//! (`specs/boot-ivshmem-aarch64.system`) nothing enumerates PCI before us, the
//! ECAM is the high one at `0x40_1000_0000` and the BAR goes to the start of the
//! high MMIO window, `0x80_0000_0000` (512 GiB), which QEMU's host bridge
//! passes through one to one.
//!
//! What lands in the host's backing file: see `sysinit_examples::pci` (shared
//! with the guest program `guest_hello`, which does the same from EL1).
#![no_std]
#![no_main]

use sysinit_examples::pci::{self, Ecam, DEVICE_IVSHMEM, VENDOR_REDHAT};
use sysinit_pd::{fail, note, report_ok, setvar, ProtectionDomain};

setvar!(ecam_vaddr, bar_vaddr, bar_paddr);

struct Driver;

fn run() -> Result<u64, &'static str> {
    let (ecam, bar_va, bar_pa) = (ecam_vaddr.get(), bar_vaddr.get(), bar_paddr.get());
    if ecam == 0 || bar_va == 0 || bar_pa == 0 {
        return Err("setvars ecam_vaddr, bar_vaddr, bar_paddr not all set by the builder");
    }
    // SAFETY: the builder maps 1 MiB of ECAM (bus 0) at ecam_vaddr, uncached.
    let ecam = unsafe { Ecam::new(ecam as usize) };
    let Some(f) = ecam.find(VENDOR_REDHAT, DEVICE_IVSHMEM) else {
        return Err("no ivshmem device (1af4:1110) on bus 0");
    };
    note!("ivshmem at device {}", ecam.device_number(f));
    ecam.place_bar2_64(f, bar_pa)?;
    note!("BAR2 at {bar_pa:#x}");
    // SAFETY: the builder maps the BAR region (1 MiB, uncached) at bar_vaddr and
    // the device now decodes it.
    unsafe { pci::write_nonce(bar_va as usize) }
}

impl ProtectionDomain for Driver {
    fn init() -> Self {
        match run() {
            Ok(nonce) => {
                note!("nonce {nonce:#x}");
                report_ok();
            }
            Err(why) => fail!("{why}"),
        }
        Driver
    }
}

sysinit_pd::protection_domain!(Driver);
