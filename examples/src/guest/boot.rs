//! Entry, stack and exception vectors: the only assembly of the guest.
//!
//! Entry contract (the Linux arm64 boot protocol, which sysinit's VMM and QEMU's
//! `-kernel` both follow): the CPU enters the image's first byte at EL1 with
//! x0 = guest-physical address of the device tree, MMU and caches off, and
//! interrupts masked (masked again here all the same).
//!
//! The image begins with a Linux arm64 Image header (64 bytes: a branch over
//! it, text_offset 0, image_size, flags, magic "ARM\x64" at 56) so that QEMU's
//! `-kernel` boots it with its own device tree in x0; sysinit's VMM ignores the
//! header and enters at offset 0 too, where the branch is.
//!
//! The image is linked at 0x40000000 (guest.ld) and is not position-independent:
//! Rust's static relocation model puts absolute addresses in .rodata (format
//! strings, tables). QEMU loads an Image at RAM + 2 MiB + text_offset (its own
//! boot stub holds the first page), so the entry code, written PC-relative,
//! compares where it runs with where it is linked and, if they differ, copies
//! the file part of the image (.text .. .data) to the link address, makes the
//! instruction side see the copy, and jumps there. Entered at 0x40000000 (the
//! VMM) nothing moves. The copy needs the link range to be free RAM that does
//! not hold the device tree (true for QEMU, which puts the tree at RAM +
//! 128 MiB) and a load address above the link address (QEMU's): otherwise the
//! entry code stops in a WFI loop before any output, as it has no console yet.
//!
//! Then: FP/SIMD on (Rust code uses the vector registers), .bss zeroed, SP_EL1
//! on the boot stack, VBAR_EL1 on the vectors, and `guest_main(dtb, loaded_at)`.
//!
//! Vectors: IRQs from the current EL (SP_EL1) save the caller-saved integer and
//! vector registers and call `guest_irq` (mod.rs); every other entry is a bug in
//! the guest (or an unexpected IRQ path) and goes to `guest_unexpected` (mod.rs)
//! on a stack of its own, which prints the syndrome and powers off.

use core::arch::global_asm;

/// Size of the boot stack.
const STACK_SIZE: usize = 32 * 1024;
/// Size of the stack the unexpected-exception handler runs on.
const EXC_STACK_SIZE: usize = 8 * 1024;

global_asm!(
    r#"
    .section .text.head, "ax"
    .global _start
_start:
    b       .Lentry             // code0: branch over the header
    .long   0                   // code1
    .quad   0                   // text_offset
    .quad   __image_size        // image_size, .bss included
    .quad   0x2                 // flags: little endian, 4 KiB pages
    .quad   0, 0, 0             // res2..res4
    .ascii  "ARM\x64"           // magic
    .long   0                   // res5
.Lentry:
    msr     daifset, #0xf
    mov     x19, x0             // the device tree, kept across the move
    adr     x20, _start         // where we run
    ldr     x2, =__image_start  // where we are linked
    // A device tree inside the link range would be overwritten (by the move
    // or by zeroing .bss): stop, there is no console yet to say so.
    ldr     x3, =__image_end
    cmp     x19, x2
    ccmp    x19, x3, #2, hs     // x19 >= start: compare with end; else C=1 ("hs")
    b.lo    .Lhalt
    cmp     x20, x2
    b.eq    .Lplaced
    // Only a move down is a safe forward copy when the ranges overlap.
    b.lo    .Lhalt
    // Copy the file part, 16 bytes at a time (its size is 16-aligned).
    ldr     x3, =__file_size
    mov     x1, x20
.Lcopy:
    ldp     x4, x5, [x1], #16
    stp     x4, x5, [x2], #16
    subs    x3, x3, #16
    b.hi    .Lcopy
    // The copy was written as data: complete it, and drop any stale
    // instructions for the new range, before executing it.
    dsb     sy
    ic      iallu
    dsb     sy
    isb
    ldr     x4, =.Lplaced
    br      x4
.Lplaced:
    // FP/SIMD at EL1 and EL0 untrapped (CPACR_EL1.FPEN = 0b11).
    mov     x1, #(3 << 20)
    msr     cpacr_el1, x1
    isb
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
.Lzero:
    cmp     x1, x2
    b.hs    .Lzeroed
    stp     xzr, xzr, [x1], #16
    b       .Lzero
.Lzeroed:
    msr     spsel, #1
    ldr     x1, =__stack_top
    mov     sp, x1
    ldr     x1, =__vectors
    msr     vbar_el1, x1
    isb
    mov     x0, x19
    mov     x1, x20
    bl      guest_main
.Lhalt:
    wfi
    b       .Lhalt
    .ltorg

    // 16 entries of 0x80 bytes, the table 2 KiB aligned (VBAR_EL1).
    .macro  unexpected kind
    .balign 0x80
    mov     x0, #\kind
    b       .Lunexpected
    .endm

    .section .text.vectors, "ax"
    .balign 0x800
__vectors:
    unexpected 0                // current EL, SP_EL0: sync
    unexpected 1                // IRQ
    unexpected 2                // FIQ
    unexpected 3                // SError
    unexpected 4                // current EL, SP_EL1: sync
    .balign 0x80                // IRQ: the one expected exception
    b       .Lirq
    unexpected 6                // FIQ
    unexpected 7                // SError
    unexpected 8                // lower EL, AArch64: sync
    unexpected 9
    unexpected 10
    unexpected 11
    unexpected 12               // lower EL, AArch32
    unexpected 13
    unexpected 14
    unexpected 15

.Lunexpected:
    // A stack of its own: the fault may be a bad SP.
    ldr     x5, =__exc_stack_top
    mov     sp, x5
    mrs     x1, esr_el1
    mrs     x2, far_el1
    mrs     x3, elr_el1
    bl      guest_unexpected
    b       .Lhalt

.Lirq:
    // Caller-saved state of the interrupted code: x0-x18, x29, x30 (x19-x28
    // are callee-saved, so the Rust handler preserves them) and all 32 vector
    // registers (the AAPCS64 preserves only the low halves of v8-v15; saving
    // them whole is simpler than saving the upper halves).
    sub     sp, sp, #560
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x29, [sp, #144]
    str     x30, [sp, #160]
    add     x0, sp, #176
    stp     q0, q1, [x0, #0]
    stp     q2, q3, [x0, #32]
    stp     q4, q5, [x0, #64]
    stp     q6, q7, [x0, #96]
    stp     q8, q9, [x0, #128]
    stp     q10, q11, [x0, #160]
    stp     q12, q13, [x0, #192]
    stp     q14, q15, [x0, #224]
    stp     q16, q17, [x0, #256]
    stp     q18, q19, [x0, #288]
    stp     q20, q21, [x0, #320]
    stp     q22, q23, [x0, #352]
    add     x0, x0, #384
    stp     q24, q25, [x0, #0]
    stp     q26, q27, [x0, #32]
    stp     q28, q29, [x0, #64]
    stp     q30, q31, [x0, #96]
    bl      guest_irq
    add     x0, sp, #176
    ldp     q0, q1, [x0, #0]
    ldp     q2, q3, [x0, #32]
    ldp     q4, q5, [x0, #64]
    ldp     q6, q7, [x0, #96]
    ldp     q8, q9, [x0, #128]
    ldp     q10, q11, [x0, #160]
    ldp     q12, q13, [x0, #192]
    ldp     q14, q15, [x0, #224]
    ldp     q16, q17, [x0, #256]
    ldp     q18, q19, [x0, #288]
    ldp     q20, q21, [x0, #320]
    ldp     q22, q23, [x0, #352]
    add     x0, x0, #384
    ldp     q24, q25, [x0, #0]
    ldp     q26, q27, [x0, #32]
    ldp     q28, q29, [x0, #64]
    ldp     q30, q31, [x0, #96]
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x29, [sp, #144]
    ldr     x30, [sp, #160]
    add     sp, sp, #560
    eret
    .ltorg

    .section .bss.stacks, "aw", %nobits
    .balign 16
    .space  {stack}
__stack_top:
    .space  {exc_stack}
__exc_stack_top:
"#,
    stack = const STACK_SIZE,
    exc_stack = const EXC_STACK_SIZE,
);

/// What the linker script and the entry code know about the image.
pub struct Layout {
    /// Link (and run) address of the first byte.
    pub start: usize,
    /// End of .bss: stacks and page tables included.
    pub end: usize,
}

/// The image's extent in memory, from the linker script's symbols.
pub fn layout() -> Layout {
    extern "C" {
        static __image_start: u8;
        static __image_end: u8;
    }
    // Only the symbols' addresses are taken; nothing is read through them.
    Layout {
        start: core::ptr::addr_of!(__image_start) as usize,
        end: core::ptr::addr_of!(__image_end) as usize,
    }
}
