//! The sysinit root task for seL4 on x86_64 and aarch64: boots the system described by its
//! embedded spec.
//!
//! Flow: print the boot untypeds as trace records (at the full trace level that
//! `sysinit build --trace full` wrote into the section header), decode and validate the
//! spec embedded in the `.sysinit_spec` section (refusing bad bytes before
//! creating anything), plan every object into the boot untypeds, run the
//! initializer against the real kernel ([`sel4_kernel::Sel4Kernel`]), print
//! the summary and suspend. Every line goes to the kernel console through
//! `seL4_DebugPutChar`; a failure prints `SYSINIT error: ...` and stops.
//! What differs between the architectures (entry, cycle counter, paging and
//! interrupt invocations) is in `arch/x86_64.rs` and `arch/aarch64.rs`.
//! docs/roottask.md describes the image layout and the boot in full.
#![no_std]
#![no_main]

extern crate alloc;

#[cfg(target_arch = "x86_64")]
#[path = "arch/x86_64.rs"]
mod arch;

#[cfg(target_arch = "aarch64")]
#[path = "arch/aarch64.rs"]
mod arch;

mod heap;
mod sel4_kernel;
mod spec_section;

use alloc::vec::Vec;
use core::fmt::{self, Write};

use arch::sys::{self, DebugConsole};
use arch::ARCH;

/// The kernel configuration this root task is built for: aarch64 at EL1 with the
/// feature `aarch64-el1`, else the architecture's default (x86_64, aarch64 at EL2).
const KERNEL: KernelConfig = if cfg!(feature = "aarch64-el1") {
    KernelConfig::AARCH64_EL1
} else {
    KernelConfig::of_arch(ARCH)
};
use sel4_kernel::Sel4Kernel;
use sysinit_image::TraceLevel;
use sysinit_initializer::SlotLayout;
use sysinit_kobj::{BootUntyped, KernelConfig};
use sysinit_sel4::BootInfo;
use sysinit_spec::Spec;
use sysinit_trace::Record;

/// Bytes of the root task's stack (in `.bss`).
const STACK_SIZE: usize = 256 << 10;

#[repr(C, align(16))]
struct Stack([u8; STACK_SIZE]);

/// The stack `_start` (in the arch module) sets up before it calls [`main`].
static mut STACK: Stack = Stack([0; STACK_SIZE]);

/// Writes one line to the kernel console.
fn line(args: fmt::Arguments<'_>) {
    let _ = DebugConsole.write_fmt(args);
    sys::debug_put_char(b'\n');
}

fn print(record: &Record) {
    line(format_args!("{record}"));
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    line(format_args!(
        "SYSINIT error: the root task panicked: {info}"
    ));
    idle()
}

/// Parks the root task without faulting: nothing is left for it to do.
fn idle() -> ! {
    loop {
        // Suspending ourselves never returns; should it fail, yielding forever
        // still leaves the CPU to the system's threads.
        let tcb = sysinit_sel4::bootinfo::initial_cap::INIT_THREAD_TCB;
        let _ = suspend(tcb);
        sys::yield_now();
    }
}

fn suspend(tcb: u64) -> Option<()> {
    let bi = BOOT_INFO.get()?;
    // SAFETY: the boot info's IPC buffer is the root task's, and no other
    // invoker is in use when the root task stops.
    let mut inv = unsafe {
        sys::Invoker::new(core::ptr::NonNull::new(
            bi.ipc_buffer as *mut sysinit_sel4::IpcBuffer,
        )?)
    };
    inv.invoke(&sysinit_sel4::invocation::tcb_suspend(tcb))
        .ok()
        .map(drop)
}

/// The boot info, once `main` has checked the pointer.
static BOOT_INFO: BootInfoCell = BootInfoCell(core::cell::Cell::new(None));

struct BootInfoCell(core::cell::Cell<Option<&'static BootInfo>>);

// SAFETY: one thread.
unsafe impl Sync for BootInfoCell {}

impl BootInfoCell {
    fn get(&self) -> Option<&'static BootInfo> {
        self.0.get()
    }
}

macro_rules! fail {
    ($($arg:tt)*) => {{
        line(format_args!("SYSINIT error: {}", format_args!($($arg)*)));
        idle()
    }};
}

extern "C" fn main(bi: *const BootInfo) -> ! {
    // SAFETY: the kernel passes a pointer to the boot info frame it mapped for us.
    let Some(bi) = (unsafe { bi.as_ref() }) else {
        fail!("the kernel passed no boot info")
    };
    BOOT_INFO.0.set(Some(bi));
    let start = arch::cycles();

    // The heap first: everything after this allocates.
    let section = match spec_section::embedded() {
        Ok(s) => s,
        Err(e) => fail!("the embedded spec section is damaged: {e}"),
    };
    // SAFETY: the arena is the tail of the image's last segment, which `sysinit build`
    // sized for it and nothing else uses; nothing has allocated yet.
    unsafe { heap::HEAP.init(section.heap_base, section.heap_bytes) };

    // The allocations from here on are exactly those `sysinit_sim::roottask_heap`
    // replays on the host to size the heap: keep the two in step.
    let mut untypeds: Vec<BootUntyped> = Vec::with_capacity(bi.untyped_descs().len());
    untypeds.extend(bi.untypeds().map(|(_, u)| u));
    // Every character is a system call: at the summary level (`sysinit build`'s default)
    // only the summary and the closing line are printed, the full trace only when the
    // image was built with `--trace full`.
    let full = section.trace == TraceLevel::Full;
    let trace = |record: &Record| {
        if full {
            print(record)
        }
    };
    sysinit_initializer::trace_untypeds(KERNEL, &untypeds, trace);

    let bytes = match section.spec {
        [] => fail!(
            "no spec is embedded in this root task; put one in with `sysinit build` \
             (the .sysinit_spec section is empty)"
        ),
        b => b,
    };
    // Decoded in place: the blob (program images, fills) stays in the embedded bytes,
    // only the object list goes on the heap.
    let (spec, blob) = match Spec::from_postcard_borrowing_blob(bytes) {
        Ok(s) => s,
        Err(e) => fail!(
            "the embedded spec ({} bytes) was refused, nothing was created: {e}",
            bytes.len()
        ),
    };
    if spec.arch != ARCH {
        fail!(
            "the embedded spec is for {}, but this root task runs on {ARCH}; build the \
             system for {ARCH} or use the {} root task (nothing was created)",
            spec.arch,
            spec.arch
        )
    }
    if spec.kernel() != KERNEL {
        fail!(
            "the embedded spec is for the {} kernel configuration, but this root task is built \
             for {KERNEL}; build the system for the board of this kernel, or build the root task \
             {} the cargo feature aarch64-el1 (nothing was created)",
            spec.kernel(),
            if spec.kernel() == KernelConfig::AARCH64_EL1 { "with" } else { "without" }
        )
    }
    if full {
        line(format_args!(
            "SYSINIT roottask spec objects={} blob_bytes={} spec_bytes={}",
            spec.objects.len(),
            blob.len(),
            bytes.len()
        ));
    }

    // The last empty slot stays unused: fills once copied frame caps there, and
    // `sysinit_sim::roottask_heap` and the build's slot count still leave it out.
    if bi.empty.len() < 2 {
        fail!("the root CNode has no empty slots ({})", bi.empty)
    }
    let layout = SlotLayout {
        first_untyped: bi.untyped.start,
        first_free: bi.empty.start,
        end_free: bi.empty.end - 1,
    };
    // SAFETY: `bi` is this thread's boot info and the kernel is the only invoker from here on.
    let mut kernel = match unsafe { Sel4Kernel::new(bi, &untypeds) } {
        Ok(k) => k,
        Err(e) => fail!("{e}"),
    };

    let done = match sysinit_initializer::initialize_with_blob(
        &spec,
        blob,
        &untypeds,
        layout,
        &mut kernel,
        trace,
    ) {
        Ok(done) => done,
        Err(e) => fail!("{}", sysinit_initializer::failure_text(&e, &spec)),
    };
    let cycles = arch::cycles()
        .zip(start)
        .map(|(end, start)| end.wrapping_sub(start));
    print(&done.summary(cycles));
    line(format_args!(
        "SYSINIT roottask done heap_used={} heap_peak={} heap_bytes={} kernel_invocations={}",
        heap::HEAP.used(),
        heap::HEAP.peak(),
        heap::HEAP.capacity(),
        kernel.invocations
    ));
    kernel.suspend_self();
    idle()
}
