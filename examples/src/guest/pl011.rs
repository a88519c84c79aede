//! The console: the PL011 the device tree names, transmit only.
//!
//! The UART is left as the firmware or the kernel configured it (baud rate,
//! enables): the guest only waits for room in the FIFO and writes bytes. Its
//! address is set once from the device tree; [`say!`] prints `guest: ...`
//! lines. Before the address is known nothing is printed.

use core::fmt::{self, Write};
use core::ptr::{read_volatile, write_volatile};
use core::sync::atomic::{AtomicUsize, Ordering};

/// UARTDR: data register.
const DR: usize = 0x00;
/// UARTFR: flag register.
const FR: usize = 0x18;
/// UARTFR.TXFF: transmit FIFO full.
const FR_TXFF: u32 = 1 << 5;

/// The UART's (identity-mapped) address, 0 until [`set_base`].
static BASE: AtomicUsize = AtomicUsize::new(0);

/// Where the console is from now on.
///
/// # Safety
/// A PL011's register page must be at `base`, accessible as device memory now
/// and under every later memory map (the stage-1 tables map it Device-nGnRE).
pub unsafe fn set_base(base: usize) {
    BASE.store(base, Ordering::Relaxed);
}

/// The console's address, if known.
pub fn base() -> Option<usize> {
    match BASE.load(Ordering::Relaxed) {
        0 => None,
        base => Some(base),
    }
}

/// The console as a `fmt::Write` sink.
pub struct Console;

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let Some(base) = base() else { return Ok(()) };
        for b in s.bytes() {
            // SAFETY: set_base's contract: a PL011 register page at base; FR and
            // DR are aligned words in it.
            unsafe {
                while read_volatile((base + FR) as *const u32) & FR_TXFF != 0 {}
                write_volatile((base + DR) as *mut u32, u32::from(b));
            }
        }
        Ok(())
    }
}

/// Prints `guest: <formatted>` and a newline on the console.
macro_rules! say {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let mut console = $crate::guest::pl011::Console;
        let _ = console.write_str("guest: ");
        let _ = core::write!(console, $($arg)*);
        let _ = console.write_str("\n");
    }};
}
pub(crate) use say;
