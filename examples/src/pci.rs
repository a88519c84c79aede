//! PCI configuration through ECAM, and the ivshmem nonce: used by the
//! `ivshmem_driver` PD and the `guest_hello` guest.
//!
//! Bus 0 only: both users sit behind a host bridge whose bus 0 holds the
//! ivshmem-plain device, and nothing enumerates bridges before them.
//!
//! What lands in the host's backing file: bytes 0..8 hold [`NONCE`] (little
//! endian), bytes 8.. the text [`NONCE_TEXT`], so a runner can check that the
//! write went through the device to the host.

use core::ptr::{read_volatile, write_volatile};

/// Red Hat, Inc. (virtio and QEMU devices).
pub const VENDOR_REDHAT: u16 = 0x1af4;
/// ivshmem (plain and doorbell share the id).
pub const DEVICE_IVSHMEM: u16 = 0x1110;
/// The value written at offset 0 of the shared memory.
pub const NONCE: u64 = 0x5157_5345_4e43_4521;
/// Written after the nonce, for a human looking at the backing file.
pub const NONCE_TEXT: &[u8] = b"sysinit-ivshmem-nonce\0";

/// Configuration space offsets (PCI Local Bus spec, type 0 header).
const CFG_ID: usize = 0x00;
const CFG_COMMAND: usize = 0x04;
const CFG_BAR2: usize = 0x18;
const CFG_BAR3: usize = 0x1c;
/// Command register: respond to memory space accesses.
const COMMAND_MEMORY: u32 = 1 << 1;
/// BAR type bits 2..1 = 0b10: a 64-bit memory BAR (it takes the next BAR as its high half).
const BAR_TYPE_MASK: u32 = 0b110;
const BAR_TYPE_64: u32 = 0b100;
/// Bus 0's share of an ECAM window: 32 devices x 8 functions x 4 KiB.
pub const ECAM_BUS_SIZE: u64 = 1 << 20;

/// Configuration space of bus 0 through ECAM: 4 KiB per function, 32 KiB per device.
pub struct Ecam(usize);

/// One function's configuration space: its address in the ECAM window.
#[derive(Clone, Copy)]
pub struct Function(usize);

impl Ecam {
    /// The ECAM window whose bus 0 is mapped (uncached) at `base`.
    ///
    /// # Safety
    /// [`ECAM_BUS_SIZE`] bytes at `base` must be mapped as device memory and be
    /// an ECAM window for as long as the value lives.
    pub unsafe fn new(base: usize) -> Self {
        Ecam(base)
    }

    fn read32(&self, function: Function, offset: usize) -> u32 {
        // SAFETY: `new`'s contract maps 1 MiB of ECAM (bus 0) at self.0, and every
        // Function comes from `find` (device < 32, function 0); offset < 4 KiB
        // and 4-aligned, as device memory requires.
        unsafe { read_volatile((function.0 + offset) as *const u32) }
    }

    fn write32(&self, function: Function, offset: usize, value: u32) {
        // SAFETY: as in read32.
        unsafe { write_volatile((function.0 + offset) as *mut u32, value) }
    }

    /// Function 0 of the first device on bus 0 with this vendor and device id.
    pub fn find(&self, vendor: u16, device: u16) -> Option<Function> {
        let id = u32::from(device) << 16 | u32::from(vendor);
        (0..32)
            .map(|dev| Function(self.0 + (dev << 15)))
            .find(|&f| self.read32(f, CFG_ID) == id)
    }

    /// The device number of `function` on bus 0.
    pub fn device_number(&self, function: Function) -> usize {
        (function.0 - self.0) >> 15
    }

    /// Places the 64-bit memory BAR2/3 of `function` at `addr` and turns memory
    /// decoding on. Decoding is off while the BAR halves are inconsistent; the
    /// address is read back, so a size or alignment mismatch is caught here.
    pub fn place_bar2_64(&self, f: Function, addr: u64) -> Result<(), &'static str> {
        let bar2 = self.read32(f, CFG_BAR2);
        if bar2 & 1 != 0 || bar2 & BAR_TYPE_MASK != BAR_TYPE_64 {
            return Err("BAR2 is not a 64-bit memory BAR");
        }
        let command = self.read32(f, CFG_COMMAND);
        self.write32(f, CFG_COMMAND, command & !COMMAND_MEMORY);
        self.write32(f, CFG_BAR2, addr as u32);
        self.write32(f, CFG_BAR3, (addr >> 32) as u32);
        let placed =
            u64::from(self.read32(f, CFG_BAR2) & !0xf) | u64::from(self.read32(f, CFG_BAR3)) << 32;
        if placed != addr {
            return Err("BAR2 did not take the address (size or alignment mismatch)");
        }
        self.write32(f, CFG_COMMAND, command | COMMAND_MEMORY);
        device_barrier();
        Ok(())
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

/// Writes [`NONCE`] and [`NONCE_TEXT`] at the start of the shared memory mapped
/// at `shared` and reads the nonce back.
///
/// # Safety
/// At least 32 bytes at `shared` must be mapped (uncached) onto an ivshmem BAR
/// that decodes, or onto memory nothing else uses.
pub unsafe fn write_nonce(shared: usize) -> Result<u64, &'static str> {
    // SAFETY: the caller's contract; the writes stay in the first 32 bytes and
    // the u64 one is 8-aligned if `shared` is (BARs are at least 16-aligned).
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
