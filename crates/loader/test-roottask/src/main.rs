//! The smallest useful aarch64 root task: proves that sysinit-loader booted seL4.
//!
//! It prints `SYSINIT pd loader-test ok`, the number of boot untypeds and the
//! IPC buffer address from the boot info, then `SYSINIT summary`, the lines
//! `qemu/run-aarch64.sh` waits for, and yields forever.
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]

use core::arch::global_asm;
use core::fmt::Write;

use sysinit_sel4::aarch64::{debug_put_str, yield_now, DebugConsole};
use sysinit_sel4::BootInfo;

const STACK_BYTES: usize = 16 * 1024;

#[repr(C, align(16))]
struct Stack([u8; STACK_BYTES]);

/// The kernel starts the root task with no stack; `_start` sets this one.
#[no_mangle]
static mut ROOTTASK_STACK: Stack = Stack([0; STACK_BYTES]);

// The kernel enters with x0 = the boot info's address and sp undefined.
global_asm!(
    ".section .text.start, \"ax\"",
    ".global _start",
    "_start:",
    "    adrp x9, ROOTTASK_STACK + {stack}",
    "    add x9, x9, :lo12:ROOTTASK_STACK + {stack}",
    "    mov sp, x9",
    "    bl roottask_main",
    "1:  b 1b",
    stack = const STACK_BYTES,
);

#[no_mangle]
extern "C" fn roottask_main(bootinfo: *const BootInfo) -> ! {
    // SAFETY: the kernel maps the boot info frame read-only at this address
    // for the root task's whole life and never changes it afterwards.
    let bi = unsafe { &*bootinfo };
    let untypeds = bi.untyped_descs();
    let bytes: u64 = untypeds
        .iter()
        .filter(|u| u.is_device == 0)
        .map(|u| 1u64 << u.size_bits)
        .sum();
    let _ = writeln!(
        DebugConsole,
        "SYSINIT pd loader-test ok: boot info at {:#x}, {} untypeds ({} RAM bytes), IPC buffer at {:#x}, {} free slots",
        bootinfo as usize,
        untypeds.len(),
        bytes,
        bi.ipc_buffer,
        bi.empty.len()
    );
    debug_put_str("SYSINIT summary: loader-test booted by sysinit-loader\n");
    loop {
        yield_now();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let _ = writeln!(DebugConsole, "SYSINIT error: loader-test panicked: {info}");
    loop {
        yield_now();
    }
}

/// `sysinit-kobj` (under `sysinit-sel4`) links `alloc`; this task never allocates.
struct NoAlloc;

// SAFETY: returning null is always a valid answer of `alloc` (allocation failure).
unsafe impl core::alloc::GlobalAlloc for NoAlloc {
    unsafe fn alloc(&self, _: core::alloc::Layout) -> *mut u8 {
        core::ptr::null_mut()
    }
    unsafe fn dealloc(&self, _: *mut u8, _: core::alloc::Layout) {}
}

#[global_allocator]
static ALLOCATOR: NoAlloc = NoAlloc;
