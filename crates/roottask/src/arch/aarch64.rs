//! aarch64 specifics of the root task: entry, cycle counter, and the ARM invocations
//! behind the [`sysinit_initializer::Kernel`] methods that differ between architectures.

use sysinit_initializer::{Slot, ThreadStart};
use sysinit_kobj::Arch;
use sysinit_sel4::invocation::aarch64::{self as arm, UserContext, VmAttributes};
use sysinit_sel4::invocation::CNodeSlot;
use sysinit_sel4::{CPtr, CapRights, Invocation};
use sysinit_spec::IrqSource;

use crate::sel4_kernel::KernelError;

/// The syscall ABI: `Invoker`, `Reply`, `DebugConsole`, `debug_put_char`, `yield_now`.
pub use sysinit_sel4::aarch64 as sys;

/// The architecture this root task runs on; the embedded spec must be for it.
pub const ARCH: Arch = Arch::Aarch64;

/// What the paging levels of the spec are on aarch64 (for error messages).
pub const TABLE_LEVELS: &str = "1, 2 and 3, each a PageTable under the VSpace root";

/// Whether a fill first asks the frame's address to map device memory uncached: yes.
/// RAM is written through a cached window and then cleaned ([`after_fill`]); device
/// memory must not be mapped cacheable, and the kernel refuses cache maintenance on
/// it when it lies outside the kernel window (most of QEMU virt's PCIe space).
pub const FILL_BY_MEMORY_KIND: bool = true;

/// Name of the frame map invocation (for error messages).
pub const PAGE_MAP: &str = "ARMPage_Map";

// seL4 enters the root task at the ELF entry with x0 = the boot info address and
// sp undefined: set sp to the top of the stack, clear the frame pointer and link
// register so backtraces end here, keep x0 for `main`, and never return.
core::arch::global_asm!(
    ".globl _start",
    "_start:",
    "adrp x9, {stack} + {size}",
    "add x9, x9, :lo12:{stack} + {size}",
    "mov sp, x9",
    "mov x29, xzr",
    "mov x30, xzr",
    "bl {main}",
    "2: wfe",
    "b 2b",
    stack = sym crate::STACK,
    size = const crate::STACK_SIZE,
    main = sym crate::main,
);

/// The generic timer's virtual counter (`cntvct_el0`), in counter ticks (QEMU virt:
/// 62.5 MHz). The kernel lets user mode read it because kernel-config/aarch64.cmake
/// sets `KernelArmExportVCNTUser`; without that the read traps.
pub fn cycles() -> Option<u64> {
    let ticks: u64;
    // SAFETY: reads a system register that the kernel configuration exports to EL0;
    // no memory is touched.
    unsafe {
        core::arch::asm!("isb", "mrs {0}, cntvct_el0", out(reg) ticks, options(nomem, nostack))
    };
    Some(ticks)
}

/// Normal cacheable memory, as libsel4's `seL4_ARM_Default_VMAttributes`.
const CACHED: VmAttributes = VmAttributes::DEFAULT;

/// Device memory: without `PageCacheable` seL4 maps device-nGnRnE; never executable.
const UNCACHED: VmAttributes = VmAttributes::EXECUTE_NEVER;

/// Normal cacheable memory that instructions cannot be fetched from.
const CACHED_EXECUTE_NEVER: VmAttributes =
    VmAttributes(VmAttributes::DEFAULT.0 | VmAttributes::EXECUTE_NEVER.0);

/// `ARMPage_Map`: normal cacheable memory, or device memory when not `cached`;
/// execute-never unless `executable` (device memory always).
pub fn page_map(
    frame: CPtr,
    vspace: CPtr,
    vaddr: u64,
    rights: CapRights,
    cached: bool,
    executable: bool,
) -> Invocation {
    let attrs = match (cached, executable) {
        (true, true) => CACHED,
        (true, false) => CACHED_EXECUTE_NEVER,
        (false, _) => UNCACHED,
    };
    arm::page_map(frame, vspace, vaddr, rights, attrs)
}

/// `ARMPage_Unmap`.
pub fn page_unmap(frame: CPtr) -> Invocation {
    arm::page_unmap(frame)
}

/// `ARMPage_GetAddress`.
pub fn page_get_address(frame: CPtr) -> Invocation {
    arm::page_get_address(frame)
}

/// `ARMPageTable_Map` for levels 1..=3. The kernel decides the level itself: it walks
/// from the VSpace root to the first empty entry covering `vaddr`, so the initializer's
/// top-down order puts each table where the spec says.
pub fn table_map(
    table: CPtr,
    level: u8,
    vspace: CPtr,
    vaddr: u64,
) -> Result<Invocation, KernelError> {
    match level {
        1..=3 => Ok(arm::page_table_map(table, vspace, vaddr, CACHED)),
        _ => Err(KernelError::BadTableLevel { level }),
    }
}

/// `ARMASIDPool_Assign` (a VMID in hypervisor mode).
pub fn asid_pool_assign(pool: CPtr, vspace: CPtr) -> Invocation {
    arm::asid_pool_assign(pool, vspace)
}

/// `TCB_WriteRegisters` without resuming: `pc`, `sp` and the AAPCS64 argument
/// registers `x0..x3`, as a Rust `extern "C"` entry expects them. `spsr` 0 lets the
/// kernel choose user mode.
pub fn tcb_write_registers(tcb: CPtr, start: ThreadStart<'_>) -> Invocation {
    let arg = |i: usize| start.args.get(i).copied().unwrap_or(0);
    let regs = UserContext {
        pc: start.pc,
        sp: start.sp,
        x0: arg(0),
        x1: arg(1),
        x2: arg(2),
        x3: arg(3),
        ..UserContext::default()
    };
    arm::tcb_write_registers(tcb, false, &regs)
}

/// `ARMVCPU_SetTCB`.
pub fn vcpu_set_tcb(vcpu: CPtr, tcb: CPtr) -> Result<Invocation, KernelError> {
    Ok(arm::vcpu_set_tcb(vcpu, tcb))
}

/// `IRQControl_GetTrigger` (edge or level) into `dest`.
pub fn irq_get(control: CPtr, irq: &IrqSource, dest: CNodeSlot) -> Result<Invocation, KernelError> {
    match *irq {
        IrqSource::Arm {
            irq,
            edge_triggered,
        } => Ok(arm::irq_control_get_trigger(
            control,
            u64::from(irq),
            edge_triggered,
            dest,
        )),
        IrqSource::IoApic { .. } | IrqSource::Msi { .. } => Err(KernelError::UnsupportedIrq {
            kind: "x86 I/O APIC and MSI",
        }),
    }
}

/// I/O ports exist only on x86.
pub fn ioports_issue(
    _control: CPtr,
    first: u16,
    last: u16,
    _dest: CNodeSlot,
) -> Result<Invocation, KernelError> {
    Err(KernelError::NoIoPorts { first, last })
}

/// Cache maintenance after writing `offset..end` of the frame mapped (cached) from
/// `frame`: clean the data to the point of coherency, so a target that maps the frame
/// uncached reads what was written, then make instruction fetches see it, since
/// fills are mostly program code.
pub fn after_fill(frame: Slot, offset: u64, end: u64) -> [Option<(&'static str, Invocation)>; 2] {
    if end <= offset {
        return [None, None];
    }
    [
        Some((
            "cleaning a filled frame to memory",
            arm::page_clean_data(frame, offset, end),
        )),
        Some((
            "making a filled frame's code visible to instruction fetches",
            arm::page_unify_instruction(frame, offset, end),
        )),
    ]
}
