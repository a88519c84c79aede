//! pl011_id: maps QEMU virt's PL011 UART (aarch64, `0x0900_0000`) uncached and
//! reads its PrimeCell identification registers; ok only if they name an ARM
//! PL011.
//!
//! The register layout and the check are `sysinit_examples::pl011`'s, shared
//! with the guest program `guest_hello`. The program only reads, so it does not
//! disturb the kernel, which prints through the same UART.
#![no_std]
#![no_main]

use sysinit_examples::pl011::Ids;
use sysinit_pd::{fail, note, report_ok, setvar, ProtectionDomain};

setvar!(uart_vaddr);

struct Pl011Id;

fn run() -> Result<(), &'static str> {
    let base = uart_vaddr.get();
    if base == 0 {
        return Err("setvar uart_vaddr not set by the builder (map the UART with setvar_vaddr)");
    }
    // SAFETY: the builder maps the UART's 4 KiB register page at uart_vaddr, uncached.
    let ids = unsafe { Ids::read(base as usize) };
    let (periph, pcell) = (ids.periph, ids.pcell);
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
    note!(
        "part {:#05x}, designer {:#04x}, revision {}",
        ids.part(),
        ids.designer(),
        ids.revision()
    );
    ids.check_pl011()
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
