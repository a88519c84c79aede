//! Polled output on QEMU virt's PL011 UART (0x0900_0000), usable with the MMU on or off.

use core::fmt;

const BASE: usize = 0x0900_0000;
/// Data register.
const DR: usize = 0x00;
/// Flag register; bit 5 is "transmit FIFO full".
const FR: usize = 0x18;
const FR_TXFF: u32 = 1 << 5;

/// The console. QEMU's PL011 needs no setup to transmit.
pub struct Uart;

impl Uart {
    fn put(byte: u8) {
        // SAFETY: the PL011 registers are at this address on QEMU virt; with
        // the MMU off all accesses are device accesses, and the boot tables map
        // the first GiB as device memory.
        unsafe {
            while core::ptr::read_volatile((BASE + FR) as *const u32) & FR_TXFF != 0 {}
            core::ptr::write_volatile((BASE + DR) as *mut u32, u32::from(byte));
        }
    }
}

impl fmt::Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                Uart::put(b'\r');
            }
            Uart::put(b);
        }
        Ok(())
    }
}
