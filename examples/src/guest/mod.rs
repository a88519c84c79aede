//! The guest program's checks, in the order they run; see
//! `src/bin/guest_hello.rs` for what it proves and how to run it.

// A check's message (`Msg`, 176 bytes) is returned by value: there is no heap
// to box it in, and it travels up one or two frames once per check.
#![allow(clippy::result_large_err)]

mod boot;
mod dt;
mod gic;
mod mmu;
mod msg;
mod pl011;
mod psci;
mod timer;

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use dt::{Fdt, Node, RegEntry};
use msg::{msg, Msg};
use pl011::say;
use sysinit_examples::pci::{self, Ecam, DEVICE_IVSHMEM, ECAM_BUS_SIZE, VENDOR_REDHAT};
use sysinit_examples::pl011::Ids;

/// Largest device tree accepted (a sanity bound before trusting its header).
const MAX_DTB_SIZE: usize = 2 << 20;
/// How many /memory and /reserved-memory ranges are kept.
const MAX_RANGES: usize = 8;
/// Written at the start of every reserved region and read back: "sysinit!".
const RESERVED_MARKER: u64 = u64::from_le_bytes(*b"sysinit!");
/// Timer interrupts to take.
const TIMER_IRQS: u32 = 3;
/// Timer period: 10 ms, as a divisor of the counter frequency.
const TIMER_HZ: u64 = 100;
/// Priority given to the timer interrupt (any value PMR 0xff lets through).
const TIMER_PRIORITY: u8 = 0xa0;
/// PCI `ranges` space codes (phys.hi bits 25:24) of the 32-bit and 64-bit
/// memory windows.
const SPACE_MEM32: u32 = 0b10;
const SPACE_MEM64: u32 = 0b11;

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

/// A (start, size) list with a fixed capacity.
#[derive(Clone, Copy)]
struct Range<'a> {
    name: &'a str,
    start: u64,
    size: u64,
}

impl Range<'_> {
    fn end(&self) -> u64 {
        self.start.saturating_add(self.size)
    }

    fn contains(&self, start: u64, end: u64) -> bool {
        self.start <= start && end <= self.end()
    }

    fn overlaps(&self, other: &Range) -> bool {
        self.start < other.end() && other.start < self.end()
    }
}

struct Ranges<'a> {
    list: [Range<'a>; MAX_RANGES],
    len: usize,
}

impl<'a> Ranges<'a> {
    fn new() -> Self {
        Ranges {
            list: [Range {
                name: "",
                start: 0,
                size: 0,
            }; MAX_RANGES],
            len: 0,
        }
    }

    fn push(&mut self, range: Range<'a>) -> Result<(), Msg> {
        let slot = self
            .list
            .get_mut(self.len)
            .ok_or_else(|| msg!("more than {MAX_RANGES} ranges"))?;
        *slot = range;
        self.len += 1;
        Ok(())
    }

    fn iter(&self) -> impl Iterator<Item = &Range<'a>> {
        self.list[..self.len].iter()
    }
}

/// The device tree facts the checks use.
struct Platform<'a> {
    memory: Ranges<'a>,
    reserved: Ranges<'a>,
    uart: u64,
    gic: Option<(u64, u64)>,
    timer_irq: Option<u32>,
    psci: Option<psci::Conduit>,
    pcie: Option<Pcie>,
}

/// A `pci-host-ecam-generic` host bridge.
#[derive(Clone, Copy)]
struct Pcie {
    ecam: (u64, u64),
    /// The 32-bit memory window: (cpu address, size).
    mmio32: Option<(u64, u64)>,
    /// The 64-bit memory window: (pci address, cpu address, size).
    mmio64: Option<(u64, u64, u64)>,
}

/// The first entry of a node's `reg`.
fn first_reg(node: &Node) -> Result<RegEntry, Msg> {
    let mut reg = node.reg().map_err(|e| msg!("{}: reg: {e}", node.name()))?;
    reg.next().ok_or_else(|| msg!("{}: empty reg", node.name()))
}

/// A string property, if present and a string.
fn string<'a>(node: &Node<'a>, name: &str) -> Option<&'a str> {
    node.property(name).and_then(|p| p.as_str().ok())
}

/// Reads a number of `n` cells (at most 2) from `cells`.
fn take(cells: &mut impl Iterator<Item = u32>, n: u32) -> Option<u64> {
    if n > 2 {
        return None;
    }
    (0..n).try_fold(0u64, |acc, _| Some(acc << 32 | u64::from(cells.next()?)))
}

fn parse_pcie(node: &Node) -> Result<Pcie, Msg> {
    let ecam = first_reg(node)?;
    let (child, parent) = (node.cells(), node.parent_cells());
    if child.address != 3 {
        return Err(msg!(
            "{}: #address-cells {}, not 3",
            node.name(),
            child.address
        ));
    }
    let mut pcie = Pcie {
        ecam: (ecam.address, ecam.size),
        mmio32: None,
        mmio64: None,
    };
    let Some(ranges) = node.property("ranges") else {
        return Ok(pcie);
    };
    let mut cells = ranges
        .u32s()
        .map_err(|e| msg!("{}: ranges: {e}", node.name()))?;
    // Each entry: phys.hi (space code in bits 25:24), the 64-bit PCI address,
    // the CPU address (parent's #address-cells), the size (own #size-cells).
    while let Some(hi) = cells.next() {
        let entry = (|| {
            let pci_addr = take(&mut cells, 2)?;
            let cpu_addr = take(&mut cells, parent.address)?;
            let size = take(&mut cells, child.size)?;
            Some((pci_addr, cpu_addr, size))
        })();
        let Some((pci_addr, cpu_addr, size)) = entry else {
            return Err(msg!("{}: malformed ranges", node.name()));
        };
        match hi >> 24 & 0b11 {
            SPACE_MEM32 => pcie.mmio32 = Some((cpu_addr, size)),
            SPACE_MEM64 => pcie.mmio64 = Some((pci_addr, cpu_addr, size)),
            _ => {}
        }
    }
    Ok(pcie)
}

/// The interrupt id of the virtual timer, from the timer node's
/// `interrupts`: secure physical, non-secure physical, virtual, hypervisor,
/// three cells each for the GIC (type, number, flags).
fn virtual_timer_irq(node: &Node) -> Option<u32> {
    let mut cells = node.property("interrupts")?.u32s().ok()?;
    let kind = cells.nth(6)?;
    let number = cells.next()?;
    // GIC binding: type 1 = PPI (ids from 16), 0 = SPI (ids from 32).
    Some(number + if kind == 1 { 16 } else { 32 })
}

/// Collects what the checks need from the tree.
fn platform<'a>(fdt: &Fdt<'a>) -> Result<Platform<'a>, Msg> {
    let mut p = Platform {
        memory: Ranges::new(),
        reserved: Ranges::new(),
        uart: 0,
        gic: None,
        timer_irq: None,
        psci: None,
        pcie: None,
    };
    for node in fdt.nodes() {
        if string(&node, "device_type") == Some("memory") {
            for r in node.reg().map_err(|e| msg!("{}: reg: {e}", node.name()))? {
                p.memory.push(Range {
                    name: node.name(),
                    start: r.address,
                    size: r.size,
                })?;
            }
        } else if node.base_name() == "reserved-memory" {
            for child in node.children() {
                for r in child
                    .reg()
                    .map_err(|e| msg!("{}: reg: {e}", child.name()))?
                {
                    p.reserved.push(Range {
                        name: child.name(),
                        start: r.address,
                        size: r.size,
                    })?;
                }
            }
        } else if node.is_compatible("arm,pl011") && p.uart == 0 {
            p.uart = first_reg(&node)?.address;
        } else if node.is_compatible("arm,cortex-a15-gic") || node.is_compatible("arm,gic-400") {
            let mut reg = node.reg().map_err(|e| msg!("{}: reg: {e}", node.name()))?;
            if let (Some(d), Some(c)) = (reg.next(), reg.next()) {
                p.gic = Some((d.address, c.address));
            }
        } else if node.is_compatible("arm,armv8-timer") || node.is_compatible("arm,armv7-timer") {
            p.timer_irq = virtual_timer_irq(&node);
        } else if node.base_name() == "psci" {
            p.psci = string(&node, "method").and_then(psci::Conduit::from_method);
        } else if node.is_compatible("pci-host-ecam-generic") {
            p.pcie = Some(parse_pcie(&node)?);
        }
    }
    Ok(p)
}

/// Reads the device tree at `addr` (the entry's x0).
fn device_tree(addr: usize) -> Result<Fdt<'static>, Msg> {
    if addr == 0 || !addr.is_multiple_of(8) {
        return Err(msg!(
            "address {addr:#x} is not a device tree's (0 or not 8-aligned)"
        ));
    }
    // SAFETY: the entry contract puts a device tree at x0, in RAM that stays as
    // it is for the whole run; its header is read first (8 bytes, aligned),
    // and its size is bounded before the whole blob is looked at.
    let header: [u32; 2] = unsafe { core::ptr::read_volatile(addr as *const [u32; 2]) };
    let total = u32::from_be(header[1]) as usize;
    if u32::from_be(header[0]) != 0xd00d_feed || total > MAX_DTB_SIZE {
        return Err(msg!(
            "no device tree at {addr:#x} (magic or size {total:#x} wrong)"
        ));
    }
    // SAFETY: as above: `total` bytes of device tree, never written by us.
    let blob = unsafe { core::slice::from_raw_parts(addr as *const u8, total) };
    Fdt::new(blob).map_err(|e| msg!("{e}"))
}

/// Check 1: the memory map.
fn check_memory(p: &Platform, image: (u64, u64), dtb: (u64, u64)) -> Result<Msg, Msg> {
    if p.memory.len == 0 {
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

/// Check 1, second half: reserved regions lie outside /memory and are usable.
/// Runs with the MMU off: /reserved-memory regions are `no-map`, so the
/// stage-1 map leaves them out.
fn check_reserved(p: &Platform) -> Result<Msg, Msg> {
    if p.reserved.len == 0 {
        return Ok(msg!("none"));
    }
    for r in p.reserved.iter() {
        if let Some(m) = p.memory.iter().find(|m| m.overlaps(r)) {
            return Err(msg!("{} overlaps /memory {}", r.name, m.name));
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
        "{} region(s) outside /memory, marker written and read back",
        p.reserved.len
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

/// Timer interrupts taken by [`on_irq`].
static TIMER_TAKEN: AtomicU32 = AtomicU32::new(0);
/// Other interrupts taken by [`on_irq`].
static OTHER_TAKEN: AtomicU32 = AtomicU32::new(0);
/// The timer's interrupt id, for [`on_irq`].
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
    say!(
        "PSCI version {}.{} via {}",
        version >> 16,
        version & 0xffff,
        conduit.name()
    );
    Ok(msg!("version {}.{}", version >> 16, version & 0xffff))
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
