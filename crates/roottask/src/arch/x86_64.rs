//! x86_64 specifics of the root task: entry, cycle counter, and the x86 invocations
//! behind the [`sysinit_initializer::Kernel`] methods that differ between architectures.

use sysinit_initializer::{Slot, ThreadStart};
use sysinit_kobj::{Arch, ObjectType};
use sysinit_sel4::invocation::x86_64::{
    self as x86, IoapicPin, MsiSource, UserContext, VmAttributes,
};
use sysinit_sel4::invocation::CNodeSlot;
use sysinit_sel4::{CPtr, CapRights, Invocation};
use sysinit_spec::IrqSource;

use crate::sel4_kernel::KernelError;

/// The syscall ABI: `Invoker`, `Reply`, `DebugConsole`, `debug_put_char`, `yield_now`.
pub use sysinit_sel4::x86_64 as sys;

/// The architecture this root task runs on; the embedded spec must be for it.
pub const ARCH: Arch = Arch::X86_64;

/// What the paging levels of the spec are on x86_64 (for error messages).
pub const TABLE_LEVELS: &str = "1 PDPT, 2 page directory, 3 page table";

/// Whether a fill first asks the frame's address to map device memory uncached: no, x86
/// fills through write-back windows (device frames are not filled in practice).
pub const FILL_BY_MEMORY_KIND: bool = false;

/// Name of the frame map invocation (for error messages).
pub const PAGE_MAP: &str = "X86Page_Map";

// The kernel starts the root task at the ELF entry with the boot info pointer
// in rdi and no usable stack: set one up, keep rdi for `main`, and never return.
core::arch::global_asm!(
    ".globl _start",
    "_start:",
    "lea rsp, [rip + {stack} + {size}]",
    "xor ebp, ebp",
    "call {main}",
    "2: hlt",
    "jmp 2b",
    stack = sym crate::STACK,
    size = const crate::STACK_SIZE,
    main = sym crate::main,
);

/// The time stamp counter.
pub fn cycles() -> Option<u64> {
    // SAFETY: rdtsc only reads the time stamp counter.
    #[allow(unused_unsafe)]
    Some(unsafe { core::arch::x86_64::_rdtsc() })
}

/// `X86Page_Map`: write-back, or strongly uncacheable for device memory.
///
/// `executable` is ignored: seL4 on x86_64 never sets the XD bit, so every mapping is
/// executable (docs/roottask.md; `sysinit check` warns about maps without `x`).
pub fn page_map(
    frame: CPtr,
    vspace: CPtr,
    vaddr: u64,
    rights: CapRights,
    cached: bool,
    executable: bool,
) -> Invocation {
    let _ = executable;
    let attrs = if cached {
        VmAttributes::WriteBack
    } else {
        VmAttributes::Uncacheable
    };
    x86::page_map(frame, vspace, vaddr, rights, attrs)
}

/// `X86Page_Unmap`.
pub fn page_unmap(frame: CPtr) -> Invocation {
    x86::page_unmap(frame)
}

/// `X86Page_GetAddress`.
pub fn page_get_address(frame: CPtr) -> Invocation {
    x86::page_get_address(frame)
}

/// The map invocation of the paging structure at `level` (PDPT, page directory, page table).
pub fn table_map(
    table: CPtr,
    level: u8,
    vspace: CPtr,
    vaddr: u64,
) -> Result<Invocation, KernelError> {
    let attrs = VmAttributes::WriteBack;
    Ok(match level {
        1 => x86::pdpt_map(table, vspace, vaddr, attrs),
        2 => x86::page_directory_map(table, vspace, vaddr, attrs),
        3 => x86::page_table_map(table, vspace, vaddr, attrs),
        _ => return Err(KernelError::BadTableLevel { level }),
    })
}

/// `X86ASIDPool_Assign`.
pub fn asid_pool_assign(pool: CPtr, vspace: CPtr) -> Invocation {
    x86::asid_pool_assign(pool, vspace)
}

/// `TCB_WriteRegisters` without resuming: `rip`, `rsp` and the System V argument
/// registers, as a Rust `extern "C"` entry expects them.
pub fn tcb_write_registers(tcb: CPtr, start: ThreadStart<'_>) -> Invocation {
    let arg = |i: usize| start.args.get(i).copied().unwrap_or(0);
    let regs = UserContext {
        rip: start.pc,
        rsp: start.sp,
        rdi: arg(0),
        rsi: arg(1),
        rdx: arg(2),
        rcx: arg(3),
        ..UserContext::default()
    };
    x86::tcb_write_registers(tcb, false, &regs)
}

/// VCPUs are aarch64 objects.
pub fn vcpu_set_tcb(_vcpu: CPtr, _tcb: CPtr) -> Result<Invocation, KernelError> {
    Err(KernelError::NoSuchType {
        ty: ObjectType::Vcpu,
    })
}

/// `IRQControl_GetIOAPIC` or `IRQControl_GetMSI` into `dest`.
pub fn irq_get(control: CPtr, irq: &IrqSource, dest: CNodeSlot) -> Result<Invocation, KernelError> {
    Ok(match *irq {
        IrqSource::IoApic {
            ioapic,
            pin,
            level_triggered,
            active_low,
            vector,
        } => {
            let pin = IoapicPin {
                ioapic: u64::from(ioapic),
                pin: u64::from(pin),
                level_triggered,
                active_low,
            };
            x86::irq_control_get_ioapic(control, dest, pin, u64::from(vector))
        }
        IrqSource::Msi {
            pci_bus,
            pci_dev,
            pci_func,
            handle,
            vector,
        } => {
            let source = MsiSource {
                bus: u64::from(pci_bus),
                dev: u64::from(pci_dev),
                func: u64::from(pci_func),
                handle,
            };
            x86::irq_control_get_msi(control, dest, source, u64::from(vector))
        }
        IrqSource::Arm { .. } => return Err(KernelError::UnsupportedIrq { kind: "ARM" }),
    })
}

/// `X86IOPortControl_Issue` for ports `first..=last` into `dest`.
pub fn ioports_issue(
    control: CPtr,
    first: u16,
    last: u16,
    dest: CNodeSlot,
) -> Result<Invocation, KernelError> {
    Ok(x86::io_port_control_issue(control, first, last, dest))
}

/// Cache maintenance after a fill through a window: none, x86 keeps instruction fetches
/// coherent with data writes.
pub fn after_fill(
    _frame: Slot,
    _offset: u64,
    _end: u64,
) -> [Option<(&'static str, Invocation)>; 2] {
    [None, None]
}
