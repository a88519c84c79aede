//! sysinit's aarch64 kernel loader: boots the embedded seL4 kernel at EL2 or EL1 on QEMU virt.
//!
//! QEMU (`-kernel` with this ELF) enters [`_start`] at EL2 with `virtualization=on`,
//! at EL1 without, with the MMU off. The kernel's link address says which level it
//! needs (`KernelLevel`); the loader runs the MMU at that level. It then
//! 1. plans the layout with `sysinit-loader-layout` (the check the build
//!    already made, now with the loader's exact extent) and refuses, on the
//!    PL011 UART, anything that would not boot;
//! 2. fills the boot translation tables and turns on the EL2 MMU and caches;
//! 3. copies the kernel's segments to their physical addresses, the kernel's
//!    device tree right after the kernel and the root task after that (the
//!    order seL4 wants its reserved regions in), and cleans them to the point
//!    of coherency;
//! 4. jumps to the kernel's virtual entry with `init_kernel`'s arguments in
//!    x0..x5.
//!
//! The payload is embedded at build time (see `build.rs` and docs/loader.md).
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]

mod uart;

use core::arch::{asm, global_asm};
use core::fmt::Write;
use core::ptr::addr_of_mut;

use sysinit_kobj::PhysRange;
use sysinit_loader_layout::elf::Elf;
use sysinit_loader_layout::tables::{self, BootTables};
use sysinit_loader_layout::{Image, KernelLevel, Layout, LayoutError};

use uart::Uart;

static KERNEL: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/kernel.elf"));
static ROOT_TASK: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/roottask.elf"));
static DEVICE_TREE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/kernel.dtb"));

const STACK_BYTES: usize = 64 * 1024;

#[repr(C, align(16))]
struct Stack([u8; STACK_BYTES]);

/// The loader's stack; `_start` points `sp` at its end.
#[no_mangle]
static mut LOADER_STACK: Stack = Stack([0; STACK_BYTES]);

/// The boot tables; the kernel runs on them until it switches to its own, and
/// they live in the guest-RAM carve-out the kernel never touches.
static mut BOOT_TABLES: BootTables = BootTables::new();

// Entry from QEMU: x0 = QEMU's device tree (unused: the kernel's own is embedded).
// Stop interrupts, let FP/SIMD run without trapping (Rust code uses NEON
// registers), zero .bss, set the stack and call `loader_main(qemu_dtb, el)`.
global_asm!(
    ".section .text.start, \"ax\"",
    ".global _start",
    "_start:",
    "    msr daifset, #0xf",
    "    mrs x19, CurrentEL",
    "    lsr x19, x19, #2",
    "    cmp x19, #2",
    "    b.ne 1f",
    "    mov x9, #0x33ff",
    "    msr cptr_el2, x9",
    "    isb",
    "    b 2f",
    // EL1: CPACR_EL1.FPEN = 0b11, FP/SIMD without traps.
    "1:  mov x9, #(3 << 20)",
    "    msr cpacr_el1, x9",
    "    isb",
    "2:  adrp x9, _bss_start",
    "    add x9, x9, :lo12:_bss_start",
    "    adrp x10, _bss_end",
    "    add x10, x10, :lo12:_bss_end",
    "3:  cmp x9, x10",
    "    b.hs 4f",
    "    str xzr, [x9], #8",
    "    b 3b",
    "4:  adrp x9, LOADER_STACK + {stack}",
    "    add x9, x9, :lo12:LOADER_STACK + {stack}",
    "    mov sp, x9",
    "    mov x1, x19",
    "    bl loader_main",
    "5:  wfe",
    "    b 5b",
    stack = const STACK_BYTES,
);

extern "C" {
    static _loader_start: u8;
    static _loader_end: u8;
}

/// Prints `sysinit-loader: refusing to boot: <why>` and stops the CPU.
fn refuse(why: &dyn core::fmt::Display) -> ! {
    let _ = writeln!(Uart, "sysinit-loader: refusing to boot: {why}");
    halt()
}

fn halt() -> ! {
    loop {
        // SAFETY: waiting for an event has no effect on memory.
        unsafe { asm!("wfe", options(nomem, nostack)) };
    }
}

#[no_mangle]
extern "C" fn loader_main(qemu_dtb: u64, current_el: u64) -> ! {
    let _ = writeln!(
        Uart,
        "sysinit-loader: started at EL{current_el} (QEMU's device tree at {qemu_dtb:#x}, not used)"
    );
    let level = match Elf::parse(KERNEL, Image::Kernel).and_then(|k| KernelLevel::of_kernel(&k)) {
        Ok(level) => level,
        Err(e) => refuse(&e),
    };
    if current_el != level.number() {
        match level {
            KernelLevel::El2 => refuse(&format_args!(
                "running at EL{current_el}, the hypervisor-mode kernel needs EL2: \
                 start QEMU with -machine virt,virtualization=on"
            )),
            KernelLevel::El1 => refuse(&format_args!(
                "running at EL{current_el}, this kernel (no hypervisor support) runs at EL1: \
                 start QEMU with -machine virt,virtualization=off"
            )),
        }
    }
    let memory = level.qemu_virt();
    // Only the addresses of the linker symbols are taken, never their contents.
    let loader = PhysRange::new(
        core::ptr::addr_of!(_loader_start) as u64,
        core::ptr::addr_of!(_loader_end) as u64,
    );
    let (kernel, root_task, layout) = match plan(loader, memory) {
        Ok(v) => v,
        Err(e) => refuse(&e),
    };
    for (image, range) in layout.parts() {
        let _ = writeln!(Uart, "sysinit-loader: {image:>12} {range}");
    }

    let tables = addr_of_mut!(BOOT_TABLES);
    // SAFETY: single core, nothing else refers to the tables; the MMU is off,
    // so no translation uses them while they change.
    unsafe { (*tables).fill(tables as u64, &layout, memory) };
    // SAFETY: the tables identity-map the loader (code, data, stack, the UART)
    // with the attributes it ran with, so execution continues after the switch.
    unsafe {
        match level {
            KernelLevel::El2 => enable_mmu(BootTables::root(tables as u64)),
            KernelLevel::El1 => enable_mmu_el1(BootTables::root(tables as u64)),
        }
    };
    let _ = writeln!(
        Uart,
        "sysinit-loader: MMU and caches on at EL{}",
        level.number()
    );

    // SAFETY: the plan put every destination in RAM outside the loader and
    // outside one another, and the identity map covers RAM.
    unsafe {
        load_kernel(&kernel, &layout);
        load_root_task(&root_task, &layout);
        copy(DEVICE_TREE, layout.device_tree.start);
        for (image, range) in layout.parts() {
            if image != Image::Loader {
                clean_to_poc(range);
            }
        }
        asm!("dsb ish", "ic iallu", "dsb ish", "isb", options(nostack));
    }

    let args = layout.kernel_arguments();
    let _ = writeln!(
        Uart,
        "sysinit-loader: entering the kernel at {:#x} (ui_p_reg {:#x}..{:#x}, pv_offset {:#x}, \
         v_entry {:#x}, dtb {:#x} size {:#x})\n",
        layout.kernel_entry, args[0], args[1], args[2], args[3], args[4], args[5]
    );
    // SAFETY: the kernel is loaded and mapped at its virtual addresses; this
    // is the boot protocol of seL4's `_start` (head.S) and never returns.
    unsafe {
        asm!(
            "br {entry}",
            entry = in(reg) layout.kernel_entry,
            in("x0") args[0],
            in("x1") args[1],
            in("x2") args[2],
            in("x3") args[3],
            in("x4") args[4],
            in("x5") args[5],
            options(noreturn),
        )
    }
}

fn plan(
    loader: PhysRange,
    memory: &sysinit_loader_layout::Memory<'_>,
) -> Result<(Elf<'static>, Elf<'static>, Layout), LayoutError> {
    let kernel = Elf::parse(KERNEL, Image::Kernel)?;
    let root_task = Elf::parse(ROOT_TASK, Image::RootTask)?;
    let layout = Layout::plan(loader, &kernel, &root_task, DEVICE_TREE, memory)?;
    Ok((kernel, root_task, layout))
}

/// Copies `bytes` to physical (identity-mapped) address `dest`.
///
/// # Safety
/// `dest..dest + bytes.len()` must be mapped writable memory no Rust object uses.
unsafe fn copy(bytes: &[u8], dest: u64) {
    // SAFETY: forwarded to the caller; the source is the loader's rodata,
    // which the plan keeps apart from every destination.
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), dest as *mut u8, bytes.len()) };
}

/// Writes `len` zero bytes at physical (identity-mapped) address `dest`.
///
/// # Safety
/// As for [`copy`].
unsafe fn zero(dest: u64, len: u64) {
    // SAFETY: forwarded to the caller.
    unsafe { core::ptr::write_bytes(dest as *mut u8, 0, len as usize) };
}

/// # Safety
/// The layout must come from [`Layout::plan`] for this kernel; the MMU maps RAM 1:1.
unsafe fn load_kernel(kernel: &Elf<'_>, layout: &Layout) {
    for seg in kernel.load_segments() {
        let dest = layout.kernel_paddr(seg.vaddr);
        // SAFETY: the plan placed the kernel inside kernel RAM, clear of the loader.
        unsafe {
            copy(kernel.file_bytes(&seg), dest);
            zero(dest + seg.file_size, seg.mem_size - seg.file_size);
        }
    }
}

/// # Safety
/// As for [`load_kernel`].
unsafe fn load_root_task(root_task: &Elf<'_>, layout: &Layout) {
    // SAFETY: the whole region is the root task's; gaps between segments are zeroed too.
    unsafe { zero(layout.root_task.start, layout.root_task.len()) };
    for seg in root_task.load_segments() {
        // SAFETY: as above; segments lie inside the region by construction.
        unsafe {
            copy(
                root_task.file_bytes(&seg),
                layout.root_task_paddr(seg.vaddr),
            )
        };
    }
}

/// Cleans the data cache lines of `range` to the point of coherency, so the
/// kernel and the root task see the bytes whatever their mappings' cacheability.
///
/// # Safety
/// `range` must be mapped.
unsafe fn clean_to_poc(range: PhysRange) {
    let ctr: u64;
    // SAFETY: reading CTR_EL0 has no side effect.
    unsafe { asm!("mrs {}, ctr_el0", out(reg) ctr, options(nomem, nostack)) };
    let line = 4u64 << ((ctr >> 16) & 0xf);
    let mut addr = range.start & !(line - 1);
    while addr < range.end {
        // SAFETY: cleaning a mapped line only writes back what is there.
        unsafe { asm!("dc cvac, {}", in(reg) addr, options(nostack)) };
        addr += line;
    }
    // SAFETY: a barrier.
    unsafe { asm!("dsb sy", options(nostack)) };
}

/// Turns on the EL2 MMU and caches with the tables at `root`.
///
/// # Safety
/// The tables must map the code, data and stack in use at their current
/// addresses with normal memory attributes.
unsafe fn enable_mmu(root: u64) {
    // SAFETY: the caller guarantees the new translation is the identity for
    // everything in use; the sequence is the architectural one (set attributes
    // and control, set the root, invalidate stale TLB entries, then enable).
    unsafe {
        asm!(
            // The tables were written with the MMU off; make them visible to the walker.
            "dsb sy",
            "msr mair_el2, {mair}",
            "msr tcr_el2, {tcr}",
            "isb",
            "msr ttbr0_el2, {root}",
            "isb",
            "tlbi alle2",
            "dsb ish",
            "isb",
            "ic iallu",
            "mrs {tmp}, sctlr_el2",
            "orr {tmp}, {tmp}, {bits}",
            "msr sctlr_el2, {tmp}",
            "isb",
            mair = in(reg) tables::MAIR_EL2,
            tcr = in(reg) tables::TCR_EL2,
            root = in(reg) root,
            bits = in(reg) tables::SCTLR_EL2_MMU_AND_CACHES,
            tmp = out(reg) _,
            options(nostack),
        );
    }
}

/// Turns on the EL1 MMU and caches with the tables at `root` for both halves:
/// `TTBR0_EL1` (the identity map the loader runs on) and `TTBR1_EL1` (the
/// kernel's window at 0xffffffffc0000000, level-0 entry 511 of the same table).
///
/// # Safety
/// As for [`enable_mmu`].
unsafe fn enable_mmu_el1(root: u64) {
    // SAFETY: as for `enable_mmu`, at EL1.
    unsafe {
        asm!(
            "dsb sy",
            "msr mair_el1, {mair}",
            "msr tcr_el1, {tcr}",
            "isb",
            "msr ttbr0_el1, {root}",
            "msr ttbr1_el1, {root}",
            "isb",
            "tlbi vmalle1",
            "dsb ish",
            "isb",
            "ic iallu",
            "mrs {tmp}, sctlr_el1",
            "orr {tmp}, {tmp}, {bits}",
            "msr sctlr_el1, {tmp}",
            "isb",
            mair = in(reg) tables::MAIR_EL1,
            tcr = in(reg) tables::TCR_EL1,
            root = in(reg) root,
            bits = in(reg) tables::SCTLR_EL1_MMU_AND_CACHES,
            tmp = out(reg) _,
            options(nostack),
        );
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let _ = writeln!(Uart, "sysinit-loader: panic: {info}");
    halt()
}

/// `sysinit-kobj` links `alloc` (through serde); the loader never allocates.
#[global_allocator]
static NO_HEAP: sysinit_no_heap::NoHeap = sysinit_no_heap::NoHeap;
