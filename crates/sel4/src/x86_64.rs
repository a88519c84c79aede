//! The x86_64 `syscall` ABI of our kernel configuration; the syscalls and
//! [`Invoker`] built on that one entry are shared (the `syscalls` module) and re-exported here.
//!
//! Register use on entry: `rdx` syscall number, `rdi` capability (or the
//! character for `DebugPutChar`), `rsi` message tag, `r10`, `r8`, `r9`, `r15`
//! message registers 0..3. On return `rdi` holds the badge (or sender), `rsi`
//! the reply tag and the same four registers the first message registers;
//! registers 4 and up travel in the IPC buffer. The kernel clobbers `rcx` and
//! `r11` (`sysret` state) and `rdx`, and does not preserve `rsp` at all: the
//! caller keeps it in `rbx`, which the kernel does preserve, and restores it
//! after `syscall`. Rust reserves `rbx`, so the sequence saves and restores
//! the compiler's `rbx` around that use.

use core::arch::asm;

use sysinit_kobj::Arch;

pub use crate::syscalls::*;
use crate::{Syscall, Word};

/// The architecture these syscalls are for, as invocation errors report it.
pub(crate) const ARCH: Arch = Arch::X86_64;

/// One `syscall` with every register the kernel reads or writes.
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
    let (mut rdi, mut rsi) = (cap, info);
    let [mut mr0, mut mr1, mut mr2, mut mr3] = mrs;
    // SAFETY: the caller upholds the memory contract above. The asm leaves the
    // stack untouched (`nostack`): it only parks `rsp` in `rbx` while the
    // kernel runs and puts it and the compiler's `rbx` back. `saved` is an
    // `out` operand, so it shares no register with an input, and it is not
    // `rcx`/`r11`/`rdx`, the only other registers the kernel changes.
    unsafe {
        asm!(
            "mov {saved}, rbx",
            "mov rbx, rsp",
            "syscall",
            "mov rsp, rbx",
            "mov rbx, {saved}",
            saved = out(reg) _,
            inout("rdx") sys.word() => _,
            inout("rdi") rdi,
            inout("rsi") rsi,
            inout("r10") mr0,
            inout("r8") mr1,
            inout("r9") mr2,
            inout("r15") mr3,
            out("rcx") _,
            out("r11") _,
            options(nostack),
        );
    }
    (rdi, rsi, [mr0, mr1, mr2, mr3])
}
