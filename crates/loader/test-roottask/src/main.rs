//! The smallest useful aarch64 root task: proves that sysinit-loader booted seL4.
//!
//! It exercises the aarch64 syscall ABI of `sysinit-sel4` (an `Untyped_Retype`
//! of a notification, a badged `CNode_Mint`, `seL4_Signal` and `seL4_Wait`
//! returning the badge, and a refused retype decoded as `seL4_RangeError`),
//! then prints `SYSINIT pd loader-test ok` with the number of boot untypeds
//! and `SYSINIT summary`, the lines `qemu/run-aarch64.sh` waits for, and
//! yields forever. Any surprise is a `SYSINIT error` line.
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]

use core::arch::global_asm;
use core::fmt::Write;

use core::ptr::NonNull;

use sysinit_sel4::aarch64::{debug_put_str, signal, wait, yield_now, DebugConsole, Invoker};
use sysinit_sel4::bootinfo::initial_cap;
use sysinit_sel4::invocation::{cnode_mint, untyped_retype, CNodeSlot, RetypeDest};
use sysinit_sel4::object_type::generic::NOTIFICATION;
use sysinit_sel4::{BootInfo, CPtr, CapRights, ErrorDetails, IpcBuffer};

/// The badge minted onto the notification and expected back from `seL4_Wait`.
const BADGE: u64 = 5;

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
    if let Err(why) = exercise_abi(bi) {
        let _ = writeln!(DebugConsole, "SYSINIT error: loader-test: {why}");
        loop {
            yield_now();
        }
    }
    let _ = writeln!(
        DebugConsole,
        "SYSINIT pd loader-test ok: boot info at {:#x}, {} untypeds ({} RAM bytes), IPC buffer at {:#x}, \
         {} free slots; retype, mint, signal/wait (badge {BADGE}) and a range error all as expected",
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

/// A slot of the root CNode (2^19 slots, 45-bit zero guard: depth 64 names any slot).
fn slot(index: CPtr) -> CNodeSlot {
    CNodeSlot {
        cnode: initial_cap::INIT_THREAD_CNODE,
        index,
        depth: 64,
    }
}

/// Retypes a notification, mints a badged copy, signals it and waits for the badge.
fn exercise_abi(bi: &BootInfo) -> Result<(), &'static str> {
    let Some((untyped, _)) = bi.untypeds().find(|(_, u)| !u.is_device) else {
        return Err("no RAM untyped in the boot info");
    };
    let (ntfn, badged) = (bi.empty.start, bi.empty.start + 1);
    let Some(ipc) = NonNull::new(bi.ipc_buffer as *mut IpcBuffer) else {
        return Err("the boot info names no IPC buffer");
    };
    // SAFETY: this is the root task's own IPC buffer, used by nothing else.
    let mut invoker = unsafe { Invoker::new(ipc) };
    let dest = |offset| RetypeDest {
        root: initial_cap::INIT_THREAD_CNODE,
        node_index: 0,
        node_depth: 0,
        node_offset: offset,
    };
    invoker
        .invoke(&untyped_retype(untyped, NOTIFICATION, 0, dest(ntfn), 1))
        .map_err(|_| "Untyped_Retype of one notification failed")?;
    match invoker.invoke(&untyped_retype(untyped, NOTIFICATION, 0, dest(badged), 257)) {
        Err(e) if matches!(e.details, ErrorDetails::RangeError { .. }) => {}
        _ => return Err("a retype of 257 objects did not fail with seL4_RangeError"),
    }
    invoker
        .invoke(&cnode_mint(slot(badged), slot(ntfn), CapRights::ALL, BADGE))
        .map_err(|_| "CNode_Mint of a badged notification failed")?;
    signal(badged);
    // SAFETY: `ntfn` is a notification, so the kernel writes no message into the IPC buffer.
    let got = unsafe { wait(ntfn) };
    if got != BADGE {
        return Err("seL4_Wait did not return the badge the signal carried");
    }
    Ok(())
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let _ = writeln!(DebugConsole, "SYSINIT error: loader-test panicked: {info}");
    loop {
        yield_now();
    }
}

/// `sysinit-kobj` (under `sysinit-sel4`) links `alloc`; this task never allocates.
#[global_allocator]
static NO_HEAP: sysinit_no_heap::NoHeap = sysinit_no_heap::NoHeap;
