//! The aarch64 `svc #0` ABI of our kernel configuration; the syscalls and
//! [`Invoker`] built on that one entry are shared (the `syscalls` module) and re-exported here.
//!
//! Register use on entry (libsel4's `sel4_arch/syscalls.h` for aarch64):
//! `x7` syscall number, `x0` capability (or the character for
//! `DebugPutChar`), `x1` message tag, `x2`..`x5` message registers 0..3. On
//! return `x0` holds the badge (or sender), `x1` the reply tag and `x2`..`x5`
//! the first message registers; registers 4 and up travel in the IPC buffer.
//! The kernel saves and restores the whole user context, so every other
//! register (the stack pointer included) survives the call; `x6` carries the
//! reply capability only in MCS builds, which ours are not.

use core::arch::asm;

use sysinit_kobj::Arch;

pub use crate::syscalls::*;
use crate::{Syscall, Word};

/// The architecture these syscalls are for, as invocation errors report it.
pub(crate) const ARCH: Arch = Arch::Aarch64;

/// One `svc #0` with every register the kernel reads or writes.
///
/// # Safety
/// The kernel may read and write the calling thread's IPC buffer (and, for
/// invocations, anything the invoked objects control, e.g. mappings of the
/// caller's own address space). No Rust reference to such memory may be live
/// across the call.
#[inline(always)]
pub(crate) unsafe fn syscall(
    sys: Syscall,
    cap: Word,
    info: Word,
    mrs: [Word; FAST_MESSAGE_REGISTERS],
) -> (Word, Word, [Word; FAST_MESSAGE_REGISTERS]) {
    let (mut x0, mut x1) = (cap, info);
    let [mut mr0, mut mr1, mut mr2, mut mr3] = mrs;
    // SAFETY: the caller upholds the memory contract above. The kernel
    // returns to the next instruction with the whole user context restored
    // except x0..x5, which are declared as outputs; it does not use our stack.
    unsafe {
        asm!(
            "svc #0",
            in("x7") sys.word(),
            inout("x0") x0,
            inout("x1") x1,
            inout("x2") mr0,
            inout("x3") mr1,
            inout("x4") mr2,
            inout("x5") mr3,
            options(nostack),
        );
    }
    (x0, x1, [mr0, mr1, mr2, mr3])
}
