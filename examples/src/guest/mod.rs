//! The guest program's checks, in the order they run; see
//! `src/bin/guest_hello.rs` for what it proves and how to run it.

// A check's message (`Msg`, 176 bytes) is returned by value: there is no heap
// to box it in, and it travels up one or two frames once per check.
#![allow(clippy::result_large_err)]

mod boot;
mod gic;
mod mmu;
mod msg;
mod pl011;
mod platform;
mod psci;
mod timer;

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use msg::{msg, Msg};
use pl011::say;
use platform::{device_tree, platform, Platform};
use sysinit_examples::pci::{self, Ecam, DEVICE_IVSHMEM, ECAM_BUS_SIZE, VENDOR_REDHAT};
use sysinit_examples::pl011::Ids;

/// Written at the start of every reserved region and read back: "sysinit!".
const RESERVED_MARKER: u64 = u64::from_le_bytes(*b"sysinit!");
/// Timer interrupts to take.
const TIMER_IRQS: u32 = 3;
/// Timer period: 10 ms, as a divisor of the counter frequency.
const TIMER_HZ: u64 = 100;
/// Priority given to the timer interrupt (any value PMR 0xff lets through).
const TIMER_PRIORITY: u8 = 0xa0;

/// Counts the checks that failed; prints one line per check.
struct Checks {
    failed: u32,
}

impl Checks {
    fn report(&mut self, check: &str, result: Result<Msg, Msg>) {
        match result {
            Ok(detail) if detail.is_empty() => say!("{check}: ok"),
            Ok(detail) => say!("{check}: ok ({detail})"),
            Err(why) => {
                self.failed += 1;
                say!("{check}: FAIL {why}");
            }
        }
    }
}

/// Check 1: the memory map.
fn check_memory(p: &Platform, image: (u64, u64), dtb: (u64, u64)) -> Result<Msg, Msg> {
    if p.memory.is_empty() {
        return Err(msg!("no /memory node"));
    }
    let inside = |(start, end): (u64, u64)| p.memory.iter().any(|m| m.contains(start, end));
    if !inside(image) {
        return Err(msg!(
            "the image {:#x}..{:#x} is not inside /memory",
            image.0,
            image.1
        ));
    }
    if !inside(dtb) {
        return Err(msg!(
            "the device tree {:#x}..{:#x} is not inside /memory",
            dtb.0,
            dtb.1
        ));
    }
    Ok(msg!("image and device tree inside /memory"))
}

/// Check 1, second half: reserved regions lie inside /memory (the device tree
/// convention: /reserved-memory carves them out of it, `no-map`) and are usable.
/// Runs with the MMU off.
fn check_reserved(p: &Platform) -> Result<Msg, Msg> {
    if p.reserved.is_empty() {
        return Ok(msg!("none"));
    }
    for r in p.reserved.iter() {
        if !p
            .memory
            .iter()
            .any(|m| m.contains(r.start, r.start + r.size))
        {
            return Err(msg!("{} is not inside /memory", r.name));
        }
        if r.size < 8 || r.start % 8 != 0 {
            return Err(msg!("{} is smaller than 8 bytes or unaligned", r.name));
        }
        // SAFETY: the device tree reserves this range for the guest (the VMM
        // maps it, stage 2); with the MMU off the access is Device-nGnRnE,
        // aligned. Only its first word is touched.
        let back = unsafe {
            core::ptr::write_volatile(r.start as *mut u64, RESERVED_MARKER);
            core::ptr::read_volatile(r.start as *const u64)
        };
        if back != RESERVED_MARKER {
            return Err(msg!(
                "{} read back {back:#x}, not the marker {RESERVED_MARKER:#x}",
                r.name
            ));
        }
    }
    Ok(msg!(
        "{} region(s) inside /memory, marker written and read back",
        p.reserved.len()
    ))
}

/// Check 2: the identity map, MMU and caches on.
fn check_mmu(p: &Platform, image: (u64, u64), dtb: (u64, u64)) -> Result<Msg, Msg> {
    let mut map = mmu::Map::new().ok_or_else(|| msg!("the table pool is taken"))?;
    let normal = |map: &mut mmu::Map, start, size| map.map(start, size, mmu::Memory::Normal);
    for m in p.memory.iter() {
        normal(&mut map, m.start, m.size).map_err(|e| msg!("{}: {e}", m.name))?;
    }
    // Should check 1 have failed, the guest still needs its own image and tree.
    let in_memory = |(start, end): (u64, u64)| p.memory.iter().any(|m| m.contains(start, end));
    if !in_memory(image) {
        normal(&mut map, image.0, image.1 - image.0).map_err(|e| msg!("image: {e}"))?;
    }
    if !in_memory(dtb) {
        normal(&mut map, dtb.0, dtb.1 - dtb.0).map_err(|e| msg!("device tree: {e}"))?;
    }
    let mut device = |what: &str, start, size| {
        map.map(start, size, mmu::Memory::Device)
            .map_err(|e| msg!("{what}: {e}"))
    };
    device("UART", p.uart, 0x1000)?;
    if let Some((gicd, gicc)) = p.gic {
        device("GICD", gicd, 0x1000)?;
        device("GICC", gicc, 0x2000)?;
    }
    if let Some(pcie) = p.pcie {
        device("PCIe ECAM", pcie.ecam.0, pcie.ecam.1)?;
        if let Some((start, size)) = pcie.mmio32 {
            device("PCIe 32-bit window", start, size)?;
        }
        if let Some((_, start, size)) = pcie.mmio64 {
            device("PCIe 64-bit window", start, size)?;
        }
    }
    let tables = map.tables_used();
    map.enable(image).map_err(|e| msg!("{e}"))?;
    Ok(msg!("identity map in {tables} tables, MMU and caches on"))
}

/// Check 3: the PL011's PrimeCell identification.
fn check_pl011(p: &Platform) -> Result<Msg, Msg> {
    // SAFETY: the UART's 4 KiB register page is mapped Device-nGnRE (check 2)
    // and the console already prints through it.
    let ids = unsafe { Ids::read(p.uart as usize) };
    let (periph, cell) = (ids.periph_word(), ids.pcell_word());
    ids.check_pl011()
        .map_err(|why| msg!("{why} (periph {periph:#010x}, cell {cell:#010x})"))?;
    Ok(msg!(
        "periph ID {periph:#010x}, cell ID {cell:#010x}, revision {}",
        ids.revision()
    ))
}

/// Check 4: the ivshmem BAR placed in the 64-bit window, the nonce written.
fn check_ivshmem(p: &Platform) -> Result<Msg, Msg> {
    let pcie = p
        .pcie
        .ok_or_else(|| msg!("no pci-host-ecam-generic node"))?;
    if pcie.ecam.1 < ECAM_BUS_SIZE {
        return Err(msg!("ECAM {:#x} smaller than one bus", pcie.ecam.1));
    }
    let (pci_addr, cpu_addr, size) = pcie
        .mmio64
        .ok_or_else(|| msg!("no 64-bit memory window in the host bridge's ranges"))?;
    // SAFETY: bus 0's ECAM is mapped Device-nGnRE (check 2).
    let ecam = unsafe { Ecam::new(pcie.ecam.0 as usize) };
    let f = ecam
        .find(VENDOR_REDHAT, DEVICE_IVSHMEM)
        .ok_or_else(|| msg!("no ivshmem device (1af4:1110) on bus 0"))?;
    ecam.place_bar2_64(f, pci_addr)
        .map_err(|why| msg!("{why}"))?;
    // SAFETY: the 64-bit window is mapped Device-nGnRE (check 2) and the BAR
    // now decodes at its start; `size` is at least the BAR's, which took
    // the address.
    let nonce = unsafe { pci::write_nonce(cpu_addr as usize) }.map_err(|why| msg!("{why}"))?;
    say!("ivshmem nonce {nonce:#x} written");
    Ok(msg!(
        "device {}, BAR2 at {cpu_addr:#x}, window size {size:#x}",
        ecam.device_number(f)
    ))
}

/// Timer interrupts taken by [`guest_irq`].
static TIMER_TAKEN: AtomicU32 = AtomicU32::new(0);
/// Other interrupts taken by [`guest_irq`].
static OTHER_TAKEN: AtomicU32 = AtomicU32::new(0);
/// The timer's interrupt id, for [`guest_irq`].
static TIMER_ID: AtomicU32 = AtomicU32::new(u32::MAX);

/// The IRQ vector's Rust half: acknowledge, count, re-arm or stop the timer, EOI.
#[no_mangle]
extern "C" fn guest_irq() {
    let Some(iar) = gic::acknowledge() else {
        return;
    };
    let id = iar & 0x3ff;
    if id == gic::SPURIOUS {
        return;
    }
    if id == TIMER_ID.load(Ordering::Relaxed) {
        // Plain load and store, no read-modify-write: only this handler writes.
        let taken = TIMER_TAKEN.load(Ordering::Relaxed) + 1;
        TIMER_TAKEN.store(taken, Ordering::Relaxed);
        if taken < TIMER_IRQS {
            timer::arm(timer::frequency() / TIMER_HZ);
        } else {
            timer::stop();
        }
    } else {
        OTHER_TAKEN.store(OTHER_TAKEN.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }
    gic::end_of_interrupt(iar);
}

/// Check 5: virtual timer interrupts through the GIC.
fn check_timer(p: &Platform) -> Result<Msg, Msg> {
    let (gicd, gicc) = p
        .gic
        .ok_or_else(|| msg!("no GICv2 node (arm,cortex-a15-gic)"))?;
    let id = p
        .timer_irq
        .ok_or_else(|| msg!("no timer node with a virtual timer interrupt"))?;
    let frequency = timer::frequency();
    if frequency == 0 {
        return Err(msg!("CNTFRQ_EL0 is 0"));
    }
    TIMER_ID.store(id, Ordering::Relaxed);
    // SAFETY: both windows are mapped Device-nGnRE (check 2).
    let gic = unsafe { gic::Gic::new(gicd as usize, gicc as usize) };
    gic.enable(id, TIMER_PRIORITY);
    if !gic.is_enabled(id) {
        return Err(msg!("GICD_ISENABLER does not show interrupt {id} enabled"));
    }
    gic.enable_cpu_interface();
    let deadline = timer::now() + 2 * frequency;
    timer::arm(frequency / TIMER_HZ);
    timer::unmask_irqs();
    while TIMER_TAKEN.load(Ordering::Relaxed) < TIMER_IRQS && timer::now() < deadline {
        timer::wait_for_interrupt();
    }
    timer::mask_irqs();
    timer::stop();
    let (taken, other) = (
        TIMER_TAKEN.load(Ordering::Relaxed),
        OTHER_TAKEN.load(Ordering::Relaxed),
    );
    if taken < TIMER_IRQS {
        return Err(msg!(
            "{taken} of {TIMER_IRQS} timer interrupts in 2 s ({other} other)"
        ));
    }
    Ok(msg!("{taken} interrupts, id {id}, {other} other"))
}

/// Check 6, first half: PSCI_VERSION.
fn check_psci(p: &Platform) -> Result<Msg, Msg> {
    let conduit = p
        .psci
        .ok_or_else(|| msg!("no /psci node with method smc or hvc"))?;
    psci::set_conduit(conduit);
    let version = psci::call(conduit, psci::VERSION) as i32;
    if version < 0 {
        return Err(msg!("PSCI_VERSION returned {version}"));
    }
    Ok(msg!(
        "version {}.{} via {}",
        version >> 16,
        version & 0xffff,
        conduit.name()
    ))
}

/// Entered from boot.rs with the entry's x0 and the address the image was
/// loaded at (before it moved to its link address).
#[no_mangle]
extern "C" fn guest_main(dtb_addr: usize, loaded_at: usize) -> ! {
    let fdt = match device_tree(dtb_addr) {
        Ok(fdt) => fdt,
        // Without a tree there is no console to say so on.
        Err(_) => halt(),
    };
    let p = match platform(&fdt) {
        Ok(p) => p,
        Err(_) => halt(),
    };
    if p.uart == 0 {
        halt();
    }
    // SAFETY: the tree names a PL011 there; it is identity-mapped Device by
    // check 2 and reachable with the MMU off before that.
    unsafe { pl011::set_base(p.uart as usize) };
    let layout = boot::layout();
    let image = (layout.start as u64, layout.end as u64);
    let dtb = (dtb_addr as u64, (dtb_addr + fdt.total_size()) as u64);
    say!(
        "hello from EL{}: image {:#x}..{:#x} (loaded at {loaded_at:#x}), device tree at {dtb_addr:#x}",
        current_el(),
        image.0,
        image.1
    );
    let mut checks = Checks { failed: 0 };
    checks.report(
        "device tree",
        Ok(msg!(
            "version {}, {} bytes",
            fdt.version(),
            fdt.total_size()
        )),
    );
    for m in p.memory.iter() {
        say!("memory {:#x}..{:#x} {}", m.start, m.end(), m.name);
    }
    for r in p.reserved.iter() {
        say!("reserved {:#x}..{:#x} {}", r.start, r.end(), r.name);
    }
    checks.report("memory", check_memory(&p, image, dtb));
    checks.report("reserved-memory", check_reserved(&p));
    let mmu = check_mmu(&p, image, dtb);
    let mmu_on = mmu.is_ok();
    checks.report("stage-1 MMU", mmu);
    if mmu_on {
        checks.report("PL011 PrimeCell ID", check_pl011(&p));
        checks.report("PCIe ivshmem", check_ivshmem(&p));
        checks.report("virtual timer", check_timer(&p));
    } else {
        say!("PL011, PCIe and timer checks skipped: no stage-1 map");
        checks.failed += 3;
    }
    checks.report("PSCI", check_psci(&p));
    match checks.failed {
        0 => say!("all checks passed"),
        n => say!("{n} checks failed"),
    }
    power_off()
}

/// The exception level the guest runs at (CurrentEL).
fn current_el() -> u64 {
    let el: u64;
    // SAFETY: reads a system register.
    unsafe { core::arch::asm!("mrs {}, currentel", out(reg) el, options(nomem, nostack)) };
    el >> 2 & 3
}

/// PSCI SYSTEM_OFF; if it returns, says so and halts.
fn power_off() -> ! {
    say!("PSCI SYSTEM_OFF");
    match psci::system_off() {
        Some(ret) => say!("PSCI SYSTEM_OFF: FAIL it returned {ret}"),
        None => say!("PSCI SYSTEM_OFF: FAIL no PSCI conduit in the device tree"),
    }
    halt()
}

/// Waits for interrupts forever, IRQs masked.
fn halt() -> ! {
    timer::mask_irqs();
    loop {
        timer::wait_for_interrupt();
    }
}

/// Names of the 16 vector entries, for [`guest_unexpected`].
const VECTOR_NAMES: [&str; 16] = [
    "sync (EL1, SP_EL0)",
    "IRQ (EL1, SP_EL0)",
    "FIQ (EL1, SP_EL0)",
    "SError (EL1, SP_EL0)",
    "sync",
    "IRQ",
    "FIQ",
    "SError",
    "sync (EL0, AArch64)",
    "IRQ (EL0, AArch64)",
    "FIQ (EL0, AArch64)",
    "SError (EL0, AArch64)",
    "sync (EL0, AArch32)",
    "IRQ (EL0, AArch32)",
    "FIQ (EL0, AArch32)",
    "SError (EL0, AArch32)",
];

/// Set on the first unexpected exception.
static IN_UNEXPECTED: AtomicBool = AtomicBool::new(false);

/// Any exception but an EL1 IRQ: a bug. Says what and where, powers off.
#[no_mangle]
extern "C" fn guest_unexpected(kind: u64, esr: u64, far: u64, elr: u64) -> ! {
    // An exception inside this handler (a bad console, or a PSCI conduit that
    // faults, as `smc` does where nothing implements it) must not loop.
    // Load and store, not swap: with the MMU off memory is Device, where
    // exclusive accesses need not work, and there is one CPU.
    if IN_UNEXPECTED.load(Ordering::Relaxed) {
        say!("exception inside the exception handler: halted (ESR_EL1 {esr:#x}, ELR_EL1 {elr:#x})");
        halt();
    }
    IN_UNEXPECTED.store(true, Ordering::Relaxed);
    let name = VECTOR_NAMES.get(kind as usize).copied().unwrap_or("?");
    say!(
        "exception: FAIL {name}: ESR_EL1 {esr:#x} (EC {:#x}) FAR_EL1 {far:#x} ELR_EL1 {elr:#x}",
        esr >> 26
    );
    power_off()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    say!("panic: FAIL {info}");
    power_off()
}
