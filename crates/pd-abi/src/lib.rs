//! The contract between the system builder and protection domains: cap slots, badges, stack and IPC buffer.
//!
//! `sysinit build` lays out every PD's CSpace and address space by these
//! numbers, and the PD runtime (`sysinit-pd`) finds its capabilities by them.
//! They follow libmicrokit's layout, so Microkit system descriptions keep their
//! meaning: channel `c` notifies through slot `BASE_OUTPUT_NOTIFICATION_CAP + c`,
//! calls a protected procedure through `BASE_ENDPOINT_CAP + c`, acknowledges its
//! interrupt through `BASE_IRQ_CAP + c`.
#![no_std]
#![forbid(unsafe_code)]

use sysinit_kobj::Arch;

/// Radix of every PD's CSpace root CNode (512 slots). Its cap carries a guard of
/// `64 - CNODE_RADIX` zero bits, so a slot number is a valid CPtr at depth 64.
pub const CNODE_RADIX: u8 = 9;
/// The PD's input: its endpoint if it serves protected procedures (its notification is
/// bound to its TCB), otherwise its notification. The PD waits on this slot.
pub const INPUT_CAP: u64 = 1;
/// Base of the notification caps used to notify over channels (badged with `1 << id`
/// of the receiving end).
pub const BASE_OUTPUT_NOTIFICATION_CAP: u64 = 10;
/// Base of the endpoint caps used to call protected procedures over channels (badged
/// with [`PPC_BADGE`] `| id` of the receiving end).
pub const BASE_ENDPOINT_CAP: u64 = 74;
/// Base of the IRQ handler caps, indexed by the interrupt's channel id.
pub const BASE_IRQ_CAP: u64 = 138;
/// Base of the TCB caps of child PDs, indexed by child id.
pub const BASE_TCB_CAP: u64 = 202;
/// Base of the TCB caps of the virtual machine's vCPU threads, indexed by vCPU id
/// (libmicrokit's `BASE_VM_TCB_CAP`): the VMM sets their registers and resumes them.
pub const BASE_VM_TCB_CAP: u64 = 266;
/// Base of the VCPU caps of the virtual machine, indexed by vCPU id (libmicrokit's
/// `BASE_VCPU_CAP`): the VMM injects interrupts and acknowledges virtual PPIs through them.
pub const BASE_VCPU_CAP: u64 = 330;
/// Base of the x86 I/O port caps, indexed by the port range's id.
pub const BASE_IOPORT_CAP: u64 = 394;
/// Badge bit that marks a message on the input endpoint as a protected procedure call;
/// the low bits are the caller's channel id.
pub const PPC_BADGE: u64 = 1 << 63;
/// Badge bit that marks a message on the input endpoint as a fault of a child PD or of
/// a vCPU thread of the PD's virtual machine (libmicrokit's `1 << 62`); the low bits are
/// the child's or the vCPU's id. The input endpoint of a PD with a virtual machine is an
/// endpoint (its notification bound to its TCB), so faults reach it.
pub const FAULT_BADGE: u64 = 1 << 62;
/// Highest channel id (also for interrupts and I/O port ranges): 61, as in Microkit
/// (62 channels, ids 0..=61), so a Microkit description means the same here.
pub const MAX_CHANNEL_ID: u64 = 61;

// The slot ranges must not overlap, and all must fit the CNode: checked when compiling.
const _: () = {
    let bases = [
        BASE_OUTPUT_NOTIFICATION_CAP,
        BASE_ENDPOINT_CAP,
        BASE_IRQ_CAP,
        BASE_TCB_CAP,
        BASE_VM_TCB_CAP,
        BASE_VCPU_CAP,
        BASE_IOPORT_CAP,
    ];
    let mut i = 1;
    while i < bases.len() {
        assert!(bases[i - 1] + MAX_CHANNEL_ID < bases[i]);
        i += 1;
    }
    assert!(BASE_IOPORT_CAP + MAX_CHANNEL_ID < 1 << CNODE_RADIX);
    assert!(INPUT_CAP < BASE_OUTPUT_NOTIFICATION_CAP);
};

/// Size of the pages the runtime layout uses.
pub const PAGE_SIZE: u64 = 0x1000;

/// Virtual address of a PD's IPC buffer: the highest user page.
pub const fn ipc_buffer_vaddr(arch: Arch) -> u64 {
    (arch.user_vaddr_end() - 1) & !(PAGE_SIZE - 1)
}

/// Top of a PD's stack: one unmapped guard page below the IPC buffer.
pub const fn stack_top(arch: Arch) -> u64 {
    ipc_buffer_vaddr(arch) - PAGE_SIZE
}

/// Lowest address of what a PD keeps at the top of its address space for a stack of
/// `stack_size` bytes: an unmapped guard page below the stack, the stack, the guard
/// page above it and the IPC buffer. Nothing else (no program segment, no `<map>`) may
/// reach into it, so a stack overflow faults on the lower guard instead of silently
/// writing into whatever was mapped below.
pub const fn stack_region_bottom(arch: Arch, stack_size: u64) -> u64 {
    stack_top(arch)
        .saturating_sub(stack_size)
        .saturating_sub(PAGE_SIZE)
}

/// ELF symbol (a byte array) the builder fills with the PD's name, NUL-padded, if the
/// program has it.
pub const PD_NAME_SYMBOL: &str = "sysinit_pd_name";
/// Length of [`PD_NAME_SYMBOL`]'s array; longer names are cut.
pub const PD_NAME_LEN: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stack_sits_below_the_ipc_buffer_with_a_guard_page_between() {
        for arch in Arch::ALL {
            assert_eq!(
                ipc_buffer_vaddr(arch) + PAGE_SIZE,
                arch.user_vaddr_end() & !(PAGE_SIZE - 1)
            );
            assert_eq!(stack_top(arch) + PAGE_SIZE, ipc_buffer_vaddr(arch));
        }
        assert_eq!(ipc_buffer_vaddr(Arch::X86_64), 0x7fff_ffff_e000);
    }

    #[test]
    fn a_guard_page_sits_below_the_stack_too() {
        for arch in Arch::ALL {
            assert_eq!(
                stack_region_bottom(arch, 0x2000) + PAGE_SIZE + 0x2000,
                stack_top(arch)
            );
        }
        assert_eq!(stack_region_bottom(Arch::X86_64, 0x2000), 0x7fff_ffff_a000);
    }
}
