//! The generic timer's virtual timer (CNTV_*_EL0) and counter, EL1's own.

use core::arch::asm;

/// CNTV_CTL_EL0.ENABLE.
const CTL_ENABLE: u64 = 1 << 0;
/// CNTV_CTL_EL0.IMASK: the timer condition raises no interrupt.
const CTL_IMASK: u64 = 1 << 1;

/// Counter frequency in Hz (CNTFRQ_EL0, set by firmware or the hypervisor).
pub fn frequency() -> u64 {
    let f: u64;
    // SAFETY: reads a system register; no memory, no side effect.
    unsafe { asm!("mrs {}, cntfrq_el0", out(reg) f, options(nomem, nostack)) };
    f
}

/// The virtual count (CNTVCT_EL0), after an ISB so it is not read early.
pub fn now() -> u64 {
    let t: u64;
    // SAFETY: reads a system register; no memory, no side effect.
    unsafe { asm!("isb", "mrs {}, cntvct_el0", out(reg) t, options(nomem, nostack)) };
    t
}

/// Fires the virtual timer `ticks` counter ticks from now, interrupt unmasked.
pub fn arm(ticks: u64) {
    // SAFETY: writes the virtual timer's own registers; the ISB makes the
    // new state take effect before the caller goes on (to WFI, say).
    unsafe {
        asm!(
            "msr cntv_tval_el0, {t}",
            "msr cntv_ctl_el0, {c}",
            "isb",
            t = in(reg) ticks,
            c = in(reg) CTL_ENABLE,
            options(nomem, nostack),
        )
    };
}

/// Stops the virtual timer and masks its interrupt, so the line drops.
pub fn stop() {
    // SAFETY: as in arm.
    unsafe { asm!("msr cntv_ctl_el0, {}", "isb", in(reg) CTL_IMASK, options(nomem, nostack)) };
}

/// Lets IRQs in (PSTATE.I clear).
pub fn unmask_irqs() {
    // SAFETY: the vectors are installed (boot.rs) before any check runs.
    // Not `nomem`: the IRQ handler writes memory the caller then reads.
    unsafe { asm!("msr daifclr, #2", options(nostack)) };
}

/// Keeps IRQs out (PSTATE.I set).
pub fn mask_irqs() {
    // SAFETY: only PSTATE changes.
    unsafe { asm!("msr daifset, #2", options(nostack)) };
}

/// Waits for an interrupt (which wakes the CPU even while PSTATE.I masks it).
pub fn wait_for_interrupt() {
    // SAFETY: WFI only suspends the CPU; not `nomem`: an IRQ taken on wake-up
    // changes memory the caller reads.
    unsafe { asm!("wfi", options(nostack)) };
}
