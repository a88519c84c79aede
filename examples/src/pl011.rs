//! PL011 PrimeCell identification: used by the `pl011_id` PD and the
//! `guest_hello` guest.
//!
//! The registers are the last eight words of the 4 KiB register page: UARTPeriphID0..3
//! at 0xFE0..0xFEC (part number 0x011, designer 0x41 = ARM, revision, configuration)
//! and UARTPCellID0..3 at 0xFF0..0xFFC (the PrimeCell signature 0D F0 05 B1). Only
//! the low byte of each word is defined. Reading them only reads, so it does not
//! disturb whoever else prints through the same UART.

use core::ptr::read_volatile;

/// Offset of UARTPeriphID0; ID1..3 follow at 4-byte steps.
const PERIPH_ID0: usize = 0xfe0;
/// Offset of UARTPCellID0; ID1..3 follow at 4-byte steps.
const PCELL_ID0: usize = 0xff0;
/// The PrimeCell signature every AMBA PrimeCell peripheral has in PCellID0..3.
const PRIMECELL_ID: [u8; 4] = [0x0d, 0xf0, 0x05, 0xb1];
/// PL011's part number: PeriphID0 and the low nibble of PeriphID1.
const PART_PL011: u16 = 0x011;
/// ARM's JEP106 designer code: the high nibble of PeriphID1 and the low one of PeriphID2.
const DESIGNER_ARM: u8 = 0x41;

/// The identification registers of one PrimeCell.
pub struct Ids {
    /// UARTPeriphID0..3, low byte of each.
    pub periph: [u8; 4],
    /// UARTPCellID0..3, low byte of each.
    pub pcell: [u8; 4],
}

impl Ids {
    /// Reads the identification registers of the register page mapped at `base`.
    ///
    /// # Safety
    /// The 4 KiB register page of a PrimeCell must be mapped (uncached) at `base`.
    pub unsafe fn read(base: usize) -> Self {
        let bytes = |offset: usize| -> [u8; 4] {
            core::array::from_fn(|i| {
                // SAFETY: the caller maps the 4 KiB register page at base;
                // offset + 12 < 0x1000 and the word reads are aligned, as device
                // memory requires.
                let word = unsafe { read_volatile((base + offset + 4 * i) as *const u32) };
                word as u8
            })
        };
        Ids {
            periph: bytes(PERIPH_ID0),
            pcell: bytes(PCELL_ID0),
        }
    }

    /// PeriphID0..3 as one word (PeriphID0 in the low byte): 0x00341011 for QEMU's PL011.
    pub fn periph_word(&self) -> u32 {
        u32::from_le_bytes(self.periph)
    }

    /// PCellID0..3 as one word (PCellID0 in the low byte): 0xb105f00d for any PrimeCell.
    pub fn pcell_word(&self) -> u32 {
        u32::from_le_bytes(self.pcell)
    }

    /// The part number (0x011 for a PL011).
    pub fn part(&self) -> u16 {
        u16::from(self.periph[0]) | u16::from(self.periph[1] & 0xf) << 8
    }

    /// The JEP106 designer code (0x41 for ARM).
    pub fn designer(&self) -> u8 {
        self.periph[1] >> 4 | (self.periph[2] & 0xf) << 4
    }

    /// The revision of the part.
    pub fn revision(&self) -> u8 {
        self.periph[2] >> 4
    }

    /// Ok if the registers name an ARM PL011.
    pub fn check_pl011(&self) -> Result<(), &'static str> {
        if self.pcell != PRIMECELL_ID {
            return Err("UARTPCellID0-3 is not the PrimeCell signature 0x0d 0xf0 0x05 0xb1");
        }
        if self.part() != PART_PL011 || self.designer() != DESIGNER_ARM {
            return Err("a PrimeCell, but not an ARM PL011 (part 0x011, designer 0x41)");
        }
        Ok(())
    }
}
