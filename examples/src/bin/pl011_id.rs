//! pl011_id: maps QEMU virt's PL011 UART (aarch64, `0x0900_0000`) uncached and
//! reads its PrimeCell identification registers; ok only if they name an ARM
//! PL011.
//!
//! The registers are the last eight words of the 4 KiB register page: UARTPeriphID0..3
//! at 0xFE0..0xFEC (part number 0x011, designer 0x41 = ARM, revision, configuration)
//! and UARTPCellID0..3 at 0xFF0..0xFFC (the PrimeCell signature 0D F0 05 B1). Only
//! the low byte of each word is defined. The program only reads, so it does not
//! disturb the kernel, which prints through the same UART.
#![no_std]
#![no_main]

use core::ptr::read_volatile;

use sysinit_pd::{fail, note, report_ok, setvar, ProtectionDomain};

setvar!(uart_vaddr);

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

/// The four identification bytes starting at `offset` of the register page at `base`.
fn id_bytes(base: usize, offset: usize) -> [u8; 4] {
    core::array::from_fn(|i| {
        // SAFETY: the builder maps the UART's 4 KiB register page at uart_vaddr,
        // uncached; offset + 12 < 0x1000 and the word reads are aligned, as device
        // memory requires.
        let word = unsafe { read_volatile((base + offset + 4 * i) as *const u32) };
        word as u8
    })
}

struct Pl011Id;

fn run() -> Result<(), &'static str> {
    let base = uart_vaddr.get();
    if base == 0 {
        return Err("setvar uart_vaddr not set by the builder (map the UART with setvar_vaddr)");
    }
    let periph = id_bytes(base as usize, PERIPH_ID0);
    let pcell = id_bytes(base as usize, PCELL_ID0);
    note!(
        "UARTPeriphID0-3 {:#04x} {:#04x} {:#04x} {:#04x}",
        periph[0],
        periph[1],
        periph[2],
        periph[3]
    );
    note!(
        "UARTPCellID0-3 {:#04x} {:#04x} {:#04x} {:#04x}",
        pcell[0],
        pcell[1],
        pcell[2],
        pcell[3]
    );
    let part = u16::from(periph[0]) | u16::from(periph[1] & 0xf) << 8;
    let designer = periph[1] >> 4 | (periph[2] & 0xf) << 4;
    let revision = periph[2] >> 4;
    note!("part {part:#05x}, designer {designer:#04x}, revision {revision}");
    if pcell != PRIMECELL_ID {
        return Err("UARTPCellID0-3 is not the PrimeCell signature 0x0d 0xf0 0x05 0xb1");
    }
    if part != PART_PL011 || designer != DESIGNER_ARM {
        return Err("a PrimeCell, but not an ARM PL011 (part 0x011, designer 0x41)");
    }
    Ok(())
}

impl ProtectionDomain for Pl011Id {
    fn init() -> Self {
        match run() {
            Ok(()) => report_ok(),
            Err(why) => fail!("{why}"),
        }
        Pl011Id
    }
}

sysinit_pd::protection_domain!(Pl011Id);
