//! x86_64 invocations (paging, ASIDs, I/O ports, interrupts) and the register block.

use super::{depth, CNodeSlot, Invocation};
use crate::label::{Config, Label};
use crate::{CPtr, CapRights, Word};

const CONFIG: Config = crate::label::X86_64;

paging_and_asids!(
    "X86",
    X86PageUnmap,
    X86PageGetAddress,
    X86ASIDPoolAssign,
    X86ASIDControlMakePool
);

/// Memory type of a mapping (`seL4_X86_VMAttributes`, PAT/PCD/PWT selection).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum VmAttributes {
    /// Write-back caching; the default (`seL4_X86_Default_VMAttributes`).
    WriteBack = 0,
    /// Write-through (`seL4_X86_WriteThrough`).
    WriteThrough = 1,
    /// Caching disabled, overridable by MTRRs (`seL4_X86_CacheDisabled`).
    CacheDisabled = 2,
    /// Strongly uncacheable: device registers (`seL4_X86_Uncacheable`).
    Uncacheable = 3,
    /// Write-combining: frame buffers (`seL4_X86_WriteCombining`).
    WriteCombining = 4,
}

/// A thread's user registers (`seL4_UserContext` on x86_64), in the kernel's order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(C)]
#[allow(missing_docs)]
pub struct UserContext {
    pub rip: Word,
    pub rsp: Word,
    pub rflags: Word,
    pub rax: Word,
    pub rbx: Word,
    pub rcx: Word,
    pub rdx: Word,
    pub rsi: Word,
    pub rdi: Word,
    pub rbp: Word,
    pub r8: Word,
    pub r9: Word,
    pub r10: Word,
    pub r11: Word,
    pub r12: Word,
    pub r13: Word,
    pub r14: Word,
    pub r15: Word,
    pub fs_base: Word,
    pub gs_base: Word,
}

impl UserContext {
    /// Number of registers (`sizeof(seL4_UserContext) / sizeof(seL4_Word)`).
    pub const COUNT: usize = 20;

    /// The registers in the order the kernel reads them.
    pub const fn to_words(&self) -> [Word; Self::COUNT] {
        [
            self.rip,
            self.rsp,
            self.rflags,
            self.rax,
            self.rbx,
            self.rcx,
            self.rdx,
            self.rsi,
            self.rdi,
            self.rbp,
            self.r8,
            self.r9,
            self.r10,
            self.r11,
            self.r12,
            self.r13,
            self.r14,
            self.r15,
            self.fs_base,
            self.gs_base,
        ]
    }
}

/// `TCB_WriteRegisters`: set all user registers; `resume` also makes the thread runnable.
///
/// The System V entry convention puts the first argument in `rdi`.
pub fn tcb_write_registers(tcb: CPtr, resume: bool, regs: &UserContext) -> Invocation {
    super::tcb_write_registers(tcb, resume, &regs.to_words())
}

/// `X86_Page_Map`: map a frame at `vaddr` in `vspace` (its paging structures must exist).
pub fn page_map(
    frame: CPtr,
    vspace: CPtr,
    vaddr: Word,
    rights: CapRights,
    attrs: VmAttributes,
) -> Invocation {
    Invocation::new(frame, label!(X86PageMap))
        .cap(vspace)
        .mr(vaddr)
        .mr(rights.0)
        .mr(attrs as Word)
}

fn map_paging_structure(
    cap: CPtr,
    label: Word,
    vspace: CPtr,
    vaddr: Word,
    attrs: VmAttributes,
) -> Invocation {
    Invocation::new(cap, label)
        .cap(vspace)
        .mr(vaddr)
        .mr(attrs as Word)
}

/// `X86_PageTable_Map`: install a page table covering the 2 MiB around `vaddr`.
pub fn page_table_map(pt: CPtr, vspace: CPtr, vaddr: Word, attrs: VmAttributes) -> Invocation {
    map_paging_structure(pt, label!(X86PageTableMap), vspace, vaddr, attrs)
}

/// `X86_PageDirectory_Map`: install a page directory covering the 1 GiB around `vaddr`.
pub fn page_directory_map(pd: CPtr, vspace: CPtr, vaddr: Word, attrs: VmAttributes) -> Invocation {
    map_paging_structure(pd, label!(X86PageDirectoryMap), vspace, vaddr, attrs)
}

/// `X86_PDPT_Map`: install a PDPT covering the 512 GiB around `vaddr` in a PML4.
pub fn pdpt_map(pdpt: CPtr, pml4: CPtr, vaddr: Word, attrs: VmAttributes) -> Invocation {
    map_paging_structure(pdpt, label!(X86PDPTMap), pml4, vaddr, attrs)
}

/// `X86_IOPortControl_Issue`: a capability for ports `first..=last`, placed at `dest`.
pub fn io_port_control_issue(
    io_port_control: CPtr,
    first: u16,
    last: u16,
    dest: CNodeSlot,
) -> Invocation {
    Invocation::new(io_port_control, label!(X86IOPortControlIssue))
        .cap(dest.cnode)
        .mr(first as Word)
        .mr(last as Word)
        .mr(dest.index)
        .mr(depth(dest.depth))
}

/// `X86_IOPort_In8`: the reply's register 0 holds the byte read.
pub fn io_port_in8(io_port: CPtr, port: u16) -> Invocation {
    Invocation::new(io_port, label!(X86IOPortIn8)).mr(port as Word)
}

/// `X86_IOPort_In16`: the reply's register 0 holds the value read.
pub fn io_port_in16(io_port: CPtr, port: u16) -> Invocation {
    Invocation::new(io_port, label!(X86IOPortIn16)).mr(port as Word)
}

/// `X86_IOPort_In32`: the reply's register 0 holds the value read.
pub fn io_port_in32(io_port: CPtr, port: u16) -> Invocation {
    Invocation::new(io_port, label!(X86IOPortIn32)).mr(port as Word)
}

/// `X86_IOPort_Out8`.
pub fn io_port_out8(io_port: CPtr, port: u16, value: u8) -> Invocation {
    Invocation::new(io_port, label!(X86IOPortOut8))
        .mr(port as Word)
        .mr(value as Word)
}

/// `X86_IOPort_Out16`.
pub fn io_port_out16(io_port: CPtr, port: u16, value: u16) -> Invocation {
    Invocation::new(io_port, label!(X86IOPortOut16))
        .mr(port as Word)
        .mr(value as Word)
}

/// `X86_IOPort_Out32`.
pub fn io_port_out32(io_port: CPtr, port: u16, value: u32) -> Invocation {
    Invocation::new(io_port, label!(X86IOPortOut32))
        .mr(port as Word)
        .mr(value as Word)
}

/// An IOAPIC input and how it signals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IoapicPin {
    /// IOAPIC index in ACPI MADT order.
    pub ioapic: Word,
    /// Pin on that IOAPIC.
    pub pin: Word,
    /// Level-triggered (true) or edge-triggered.
    pub level_triggered: bool,
    /// Active low (true) or active high.
    pub active_low: bool,
}

/// `IRQControl_GetIOAPIC`: a handler for an IOAPIC pin, placed at `dest`.
///
/// `irq` is the kernel's user IRQ number, 0..=107 on pc99; the CPU sees it
/// as vector `irq` + 48. Each number can have one handler at a time.
pub fn irq_control_get_ioapic(
    irq_control: CPtr,
    dest: CNodeSlot,
    pin: IoapicPin,
    irq: Word,
) -> Invocation {
    Invocation::new(irq_control, label!(X86IRQIssueIRQHandlerIOAPIC))
        .cap(dest.cnode)
        .mr(dest.index)
        .mr(depth(dest.depth))
        .mr(pin.ioapic)
        .mr(pin.pin)
        .mr(pin.level_triggered as Word)
        .mr(pin.active_low as Word)
        .mr(irq)
}

/// The PCI function and MSI handle of an MSI interrupt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MsiSource {
    /// PCI bus.
    pub bus: Word,
    /// PCI device.
    pub dev: Word,
    /// PCI function.
    pub func: Word,
    /// Value the kernel reports back for this MSI (chosen by the caller).
    pub handle: Word,
}

/// `IRQControl_GetMSI`: a handler for an MSI, placed at `dest`.
///
/// `irq` is the kernel's user IRQ number, 0..=107 on pc99; the device must
/// be programmed to send vector `irq` + 48.
pub fn irq_control_get_msi(
    irq_control: CPtr,
    dest: CNodeSlot,
    source: MsiSource,
    irq: Word,
) -> Invocation {
    Invocation::new(irq_control, label!(X86IRQIssueIRQHandlerMSI))
        .cap(dest.cnode)
        .mr(dest.index)
        .mr(depth(dest.depth))
        .mr(source.bus)
        .mr(source.dev)
        .mr(source.func)
        .mr(source.handle)
        .mr(irq)
}
