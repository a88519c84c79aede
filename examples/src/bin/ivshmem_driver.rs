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
//! What lands in the host's backing file: bytes 0..8 hold [`NONCE`] (little
//! endian), bytes 8.. the text [`NONCE_TEXT`], so a runner can check that the
//! write went through the device to the host.
#![no_std]
#![no_main]

use core::ptr::{read_volatile, write_volatile};

use sysinit_pd::{fail, note, report_ok, setvar, ProtectionDomain};

setvar!(ecam_vaddr, bar_vaddr, bar_paddr);

/// Red Hat, Inc. (virtio and QEMU devices).
const VENDOR_REDHAT: u16 = 0x1af4;
/// ivshmem (plain and doorbell share the id).
const DEVICE_IVSHMEM: u16 = 0x1110;
/// The value written at offset 0 of the shared memory.
const NONCE: u64 = 0x5157_5345_4e43_4521;
/// Written after the nonce, for a human looking at the backing file.
const NONCE_TEXT: &[u8] = b"sysinit-ivshmem-nonce\0";

/// Configuration space offsets (PCI Local Bus spec, type 0 header).
const CFG_ID: usize = 0x00;
const CFG_COMMAND: usize = 0x04;
const CFG_BAR2: usize = 0x18;
const CFG_BAR3: usize = 0x1c;
/// Command register: respond to memory space accesses.
const COMMAND_MEMORY: u16 = 1 << 1;
/// BAR type bits 2..1 = 0b10: a 64-bit memory BAR (it takes the next BAR as its high half).
const BAR_TYPE_MASK: u32 = 0b110;
const BAR_TYPE_64: u32 = 0b100;

/// Configuration space of bus 0 through ECAM: 4 KiB per function, 32 KiB per device.
struct Ecam(usize);

impl Ecam {
    fn function(&self, device: usize, function: usize) -> usize {
        self.0 + (device << 15) + (function << 12)
    }

    fn read32(&self, function: usize, offset: usize) -> u32 {
        // SAFETY: the builder maps 1 MiB of ECAM (bus 0) at ecam_vaddr, uncached;
        // function + offset stays inside it (device < 32, offset < 4 KiB).
        unsafe { read_volatile((function + offset) as *const u32) }
    }

    fn write32(&self, function: usize, offset: usize, value: u32) {
        // SAFETY: as in read32.
        unsafe { write_volatile((function + offset) as *mut u32, value) }
    }

    fn find(&self, vendor: u16, device: u16) -> Option<usize> {
        (0..32)
            .map(|dev| self.function(dev, 0))
            .find(|&f| self.read32(f, CFG_ID) == (u32::from(device) << 16 | u32::from(vendor)))
    }
}

/// Completes the configuration writes before the first access through the BAR.
///
/// x86_64: uncached accesses are already done in program order. aarch64: device
/// memory orders accesses only within one peripheral, and the ECAM and the BAR
/// are two, so the writes that turn decoding on must complete first (`dsb sy`).
fn device_barrier() {
    #[cfg(target_arch = "aarch64")]
    // SAFETY: a barrier instruction; it touches no memory or register.
    unsafe {
        core::arch::asm!("dsb sy", options(nostack, preserves_flags));
    }
}

struct Driver;

fn run() -> Result<u64, &'static str> {
    let (ecam, bar_va, bar_pa) = (ecam_vaddr.get(), bar_vaddr.get(), bar_paddr.get());
    if ecam == 0 || bar_va == 0 || bar_pa == 0 {
        return Err("setvars ecam_vaddr, bar_vaddr, bar_paddr not all set by the builder");
    }
    let ecam = Ecam(ecam as usize);
    let Some(f) = ecam.find(VENDOR_REDHAT, DEVICE_IVSHMEM) else {
        return Err("no ivshmem device (1af4:1110) on bus 0");
    };
    note!("ivshmem at device {}", (f - ecam.0) >> 15);

    let bar2 = ecam.read32(f, CFG_BAR2);
    if bar2 & 1 != 0 || bar2 & BAR_TYPE_MASK != BAR_TYPE_64 {
        return Err("BAR2 is not a 64-bit memory BAR");
    }
    // Decoding off while the BAR halves are inconsistent.
    let command = ecam.read32(f, CFG_COMMAND);
    ecam.write32(f, CFG_COMMAND, command & !u32::from(COMMAND_MEMORY));
    ecam.write32(f, CFG_BAR2, bar_pa as u32);
    ecam.write32(f, CFG_BAR3, (bar_pa >> 32) as u32);
    let placed =
        u64::from(ecam.read32(f, CFG_BAR2) & !0xf) | u64::from(ecam.read32(f, CFG_BAR3)) << 32;
    if placed != bar_pa {
        return Err("BAR2 did not take the address (size or alignment mismatch)");
    }
    ecam.write32(f, CFG_COMMAND, command | u32::from(COMMAND_MEMORY));
    device_barrier();
    note!("BAR2 at {bar_pa:#x}");

    let shared = bar_va as usize;
    // SAFETY: the builder maps the BAR region (1 MiB, uncached) at bar_vaddr and
    // the device now decodes it; the writes stay in the first 32 bytes.
    unsafe {
        write_volatile(shared as *mut u64, NONCE);
        for (i, &b) in NONCE_TEXT.iter().enumerate() {
            write_volatile((shared + 8 + i) as *mut u8, b);
        }
    }
    // SAFETY: as above.
    let back = unsafe { read_volatile(shared as *const u64) };
    if back != NONCE {
        return Err("the nonce did not read back from the BAR");
    }
    Ok(back)
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
