//! GICv2: the distributor (emulated by sysinit's VMM, so only plain aligned
//! 32-bit accesses) and the CPU interface (the hardware's virtual CPU
//! interface under the VMM, QEMU's GICC standalone; same registers).

use core::ptr::{read_volatile, write_volatile};
use core::sync::atomic::{AtomicUsize, Ordering};

/// GICD_CTLR: distributor enable (bit 0).
const GICD_CTLR: usize = 0x000;
/// GICD_ISENABLER<n>: set-enable, one bit per interrupt.
const GICD_ISENABLER: usize = 0x100;
/// GICD_IPRIORITYR<n>: one byte per interrupt, read and written as words.
const GICD_IPRIORITYR: usize = 0x400;
/// GICC_CTLR: CPU interface enable (bit 0).
const GICC_CTLR: usize = 0x00;
/// GICC_PMR: priority mask; 0xff lets every priority through.
const GICC_PMR: usize = 0x04;
/// GICC_IAR: acknowledge; the low 10 bits are the interrupt id.
const GICC_IAR: usize = 0x0c;
/// GICC_EOIR: end of interrupt, written with the IAR value.
const GICC_EOIR: usize = 0x10;
/// The id GICC_IAR returns when nothing is pending.
pub const SPURIOUS: u32 = 1023;

/// The GIC's two register windows (identity-mapped addresses).
#[derive(Clone, Copy)]
pub struct Gic {
    gicd: usize,
    gicc: usize,
}

/// The CPU interface address for the IRQ handler, 0 until [`Gic::new`].
static GICC: AtomicUsize = AtomicUsize::new(0);

fn read(addr: usize) -> u32 {
    // SAFETY: `Gic::new`'s contract: addr is a word-aligned register of the
    // GIC's distributor or CPU interface window, mapped as device memory.
    unsafe { read_volatile(addr as *const u32) }
}

fn write(addr: usize, value: u32) {
    // SAFETY: as in read.
    unsafe { write_volatile(addr as *mut u32, value) }
}

impl Gic {
    /// The GIC with its distributor at `gicd` and CPU interface at `gicc`.
    ///
    /// # Safety
    /// Both windows (4 KiB at least) must be a GICv2's, mapped as device
    /// memory from now on.
    pub unsafe fn new(gicd: usize, gicc: usize) -> Self {
        GICC.store(gicc, Ordering::Relaxed);
        Gic { gicd, gicc }
    }

    /// Enables interrupt `id` (a PPI or SPI) at `priority` and the distributor.
    pub fn enable(&self, id: u32, priority: u8) {
        let word = self.gicd + GICD_IPRIORITYR + 4 * (id as usize / 4);
        let shift = 8 * (id % 4);
        let value = read(word) & !(0xff << shift) | u32::from(priority) << shift;
        write(word, value);
        write(
            self.gicd + GICD_ISENABLER + 4 * (id as usize / 32),
            1 << (id % 32),
        );
        write(self.gicd + GICD_CTLR, 1);
    }

    /// Whether the distributor reports `id` enabled.
    pub fn is_enabled(&self, id: u32) -> bool {
        read(self.gicd + GICD_ISENABLER + 4 * (id as usize / 32)) & 1 << (id % 32) != 0
    }

    /// Opens the CPU interface to every priority.
    pub fn enable_cpu_interface(&self) {
        write(self.gicc + GICC_PMR, 0xff);
        write(self.gicc + GICC_CTLR, 1);
    }
}

/// Acknowledges the highest-priority pending interrupt: the raw GICC_IAR value
/// (None before the GIC is set up).
pub fn acknowledge() -> Option<u32> {
    match GICC.load(Ordering::Relaxed) {
        0 => None,
        gicc => Some(read(gicc + GICC_IAR)),
    }
}

/// Ends the interrupt `iar` (the value [`acknowledge`] returned).
pub fn end_of_interrupt(iar: u32) {
    let gicc = GICC.load(Ordering::Relaxed);
    if gicc != 0 {
        write(gicc + GICC_EOIR, iar);
    }
}
