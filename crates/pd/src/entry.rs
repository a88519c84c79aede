//! The program's first instruction and its panic handler (bare metal only).
//!
//! The initializer starts the thread at the ELF entry with the stack pointer at
//! `sysinit_pd_abi::stack_top` (page-aligned) and no other register set up. `.bss` needs no
//! clearing: every frame the initializer maps comes freshly retyped, so zero.

use core::panic::PanicInfo;

// `_start` aligns the stack the way a `call` expects (rsp + 8 a multiple of 16
// at the callee's entry), ends the frame-pointer chain, and enters the Rust
// main that `protection_domain!` defines. That function never returns; `ud2`
// makes a return that should not happen fault loudly instead of running on.
#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(
    ".globl _start",
    ".type _start, @function",
    "_start:",
    "and rsp, -16",
    "xor ebp, ebp",
    "call sysinit_pd_main",
    "ud2",
);

// aarch64: the stack top is page-aligned, already 16-byte aligned as AAPCS64
// requires; clearing the frame pointer and link register ends the frame chain.
#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(
    ".globl _start",
    ".type _start, %function",
    "_start:",
    "mov x29, xzr",
    "mov x30, xzr",
    "bl sysinit_pd_main",
    "udf #0",
);

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    match info.location() {
        Some(at) => crate::report_panic(format_args!(
            "{} at {}:{}",
            info.message(),
            at.file(),
            at.line()
        )),
        None => crate::report_panic(format_args!("{}", info.message())),
    }
    crate::park()
}

/// PDs have no heap. `sysinit-kobj` pulls in `alloc` (through serde), and a
/// program linking `alloc` must name an allocator; this one refuses every
/// request, so an allocation fails (and panics with a report) instead of
/// failing the link.
#[global_allocator]
static NO_HEAP: sysinit_no_heap::NoHeap = sysinit_no_heap::NoHeap;
