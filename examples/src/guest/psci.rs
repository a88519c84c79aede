//! PSCI calls (VERSION, SYSTEM_OFF) through the conduit the device tree's
//! /psci node names: `smc` (sysinit's VMM traps it) or `hvc` (QEMU's virt
//! machine without EL2/EL3 emulates PSCI behind it).

use core::arch::asm;
use core::sync::atomic::{AtomicU8, Ordering};

/// PSCI_VERSION (SMC32).
pub const VERSION: u32 = 0x8400_0000;
/// SYSTEM_OFF (SMC32).
pub const SYSTEM_OFF: u32 = 0x8400_0008;

/// The instruction PSCI calls go through.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Conduit {
    Smc,
    Hvc,
}

impl Conduit {
    /// From /psci `method`.
    pub fn from_method(method: &str) -> Option<Self> {
        match method {
            "smc" => Some(Conduit::Smc),
            "hvc" => Some(Conduit::Hvc),
            _ => None,
        }
    }

    /// The method's name, as the device tree spells it.
    pub fn name(self) -> &'static str {
        match self {
            Conduit::Smc => "smc",
            Conduit::Hvc => "hvc",
        }
    }
}

/// 0 = unknown, 1 = smc, 2 = hvc: what the exception handler may use.
static CONDUIT: AtomicU8 = AtomicU8::new(0);

/// Records the conduit for [`conduit`] (and so for the fault handler's power-off).
pub fn set_conduit(conduit: Conduit) {
    CONDUIT.store(
        match conduit {
            Conduit::Smc => 1,
            Conduit::Hvc => 2,
        },
        Ordering::Relaxed,
    );
}

/// The conduit the device tree named, once [`set_conduit`] ran.
pub fn conduit() -> Option<Conduit> {
    match CONDUIT.load(Ordering::Relaxed) {
        1 => Some(Conduit::Smc),
        2 => Some(Conduit::Hvc),
        _ => None,
    }
}

/// Calls PSCI function `function` with no arguments; returns x0.
pub fn call(conduit: Conduit, function: u32) -> u64 {
    let mut x0 = u64::from(function);
    // SAFETY: a PSCI call per the SMC Calling Convention: it may clobber x0-x17
    // (declared) and touches no memory of ours. Which instruction is right
    // comes from the device tree; the wrong one is an exception the vectors
    // report.
    unsafe {
        match conduit {
            Conduit::Smc => asm!("smc #0", inout("x0") x0, out("x1") _, out("x2") _, out("x3") _,
                out("x4") _, out("x5") _, out("x6") _, out("x7") _, out("x8") _, out("x9") _,
                out("x10") _, out("x11") _, out("x12") _, out("x13") _, out("x14") _,
                out("x15") _, out("x16") _, out("x17") _, options(nostack)),
            Conduit::Hvc => asm!("hvc #0", inout("x0") x0, out("x1") _, out("x2") _, out("x3") _,
                out("x4") _, out("x5") _, out("x6") _, out("x7") _, out("x8") _, out("x9") _,
                out("x10") _, out("x11") _, out("x12") _, out("x13") _, out("x14") _,
                out("x15") _, out("x16") _, out("x17") _, options(nostack)),
        }
    }
    x0
}

/// SYSTEM_OFF through the recorded conduit; returns only if it fails (or no
/// conduit is known), with PSCI's return value.
pub fn system_off() -> Option<i32> {
    conduit().map(|c| call(c, SYSTEM_OFF) as i32)
}
