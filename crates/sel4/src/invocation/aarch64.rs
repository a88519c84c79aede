//! aarch64 invocations (paging, cache maintenance, ASIDs, VCPUs, interrupts) and the register
//! block; `crate::aarch64::Invoker` (built for aarch64 only) performs them.

use super::{depth, CNodeSlot, Invocation};
use crate::label::{Config, Label};
use crate::{CPtr, CapRights, Word};

const CONFIG: Config = crate::label::AARCH64;

paging_and_asids!(
    "ARM",
    ARMPageUnmap,
    ARMPageGetAddress,
    ARMASIDPoolAssign,
    ARMASIDControlMakePool
);

/// Mapping attributes (`seL4_ARM_VMAttributes`), a bit set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VmAttributes(pub Word);

impl VmAttributes {
    /// Cacheable normal memory (`seL4_ARM_PageCacheable`).
    pub const CACHEABLE: VmAttributes = VmAttributes(0x1);
    /// Parity (`seL4_ARM_ParityEnabled`).
    pub const PARITY_ENABLED: VmAttributes = VmAttributes(0x2);
    /// Cacheable with parity (`seL4_ARM_Default_VMAttributes`).
    pub const DEFAULT: VmAttributes = VmAttributes(0x3);
    /// Not executable (`seL4_ARM_ExecuteNever`).
    pub const EXECUTE_NEVER: VmAttributes = VmAttributes(0x4);
    /// Device memory: uncached and not executable.
    pub const DEVICE: VmAttributes = VmAttributes(0x4);
}

/// A thread's user registers (`seL4_UserContext` on aarch64), in the kernel's order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(C)]
#[allow(missing_docs)]
pub struct UserContext {
    pub pc: Word,
    pub sp: Word,
    pub spsr: Word,
    pub x0: Word,
    pub x1: Word,
    pub x2: Word,
    pub x3: Word,
    pub x4: Word,
    pub x5: Word,
    pub x6: Word,
    pub x7: Word,
    pub x8: Word,
    pub x16: Word,
    pub x17: Word,
    pub x18: Word,
    pub x29: Word,
    pub x30: Word,
    pub x9: Word,
    pub x10: Word,
    pub x11: Word,
    pub x12: Word,
    pub x13: Word,
    pub x14: Word,
    pub x15: Word,
    pub x19: Word,
    pub x20: Word,
    pub x21: Word,
    pub x22: Word,
    pub x23: Word,
    pub x24: Word,
    pub x25: Word,
    pub x26: Word,
    pub x27: Word,
    pub x28: Word,
    pub tpidr_el0: Word,
    pub tpidrro_el0: Word,
}

impl UserContext {
    /// Number of registers (`sizeof(seL4_UserContext) / sizeof(seL4_Word)`).
    pub const COUNT: usize = 36;

    /// The registers in the order the kernel reads them.
    pub const fn to_words(&self) -> [Word; Self::COUNT] {
        [
            self.pc,
            self.sp,
            self.spsr,
            self.x0,
            self.x1,
            self.x2,
            self.x3,
            self.x4,
            self.x5,
            self.x6,
            self.x7,
            self.x8,
            self.x16,
            self.x17,
            self.x18,
            self.x29,
            self.x30,
            self.x9,
            self.x10,
            self.x11,
            self.x12,
            self.x13,
            self.x14,
            self.x15,
            self.x19,
            self.x20,
            self.x21,
            self.x22,
            self.x23,
            self.x24,
            self.x25,
            self.x26,
            self.x27,
            self.x28,
            self.tpidr_el0,
            self.tpidrro_el0,
        ]
    }
}

/// `TCB_WriteRegisters`: set all user registers; `resume` also makes the thread runnable.
pub fn tcb_write_registers(tcb: CPtr, resume: bool, regs: &UserContext) -> Invocation {
    super::tcb_write_registers(tcb, resume, &regs.to_words())
}

/// `ARM_Page_Map`: map a frame at `vaddr` in `vspace`.
pub fn page_map(
    frame: CPtr,
    vspace: CPtr,
    vaddr: Word,
    rights: CapRights,
    attrs: VmAttributes,
) -> Invocation {
    Invocation::new(frame, label!(ARMPageMap))
        .cap(vspace)
        .mr(vaddr)
        .mr(rights.0)
        .mr(attrs.0)
}

/// `ARM_Page_Clean_Data`: clean the data cache to the point of coherency for bytes
/// `start..end` of the frame, so writes through a cached mapping reach memory (and
/// uncached mappings of the same frame). The frame cap must be mapped.
pub fn page_clean_data(frame: CPtr, start: Word, end: Word) -> Invocation {
    Invocation::new(frame, label!(ARMPageClean_Data))
        .mr(start)
        .mr(end)
}

/// `ARM_Page_Unify_Instruction`: clean the data cache to the point of unification and
/// invalidate the instruction cache for bytes `start..end` of the frame, so code written
/// through a data mapping is what instruction fetches see. The frame cap must be mapped.
pub fn page_unify_instruction(frame: CPtr, start: Word, end: Word) -> Invocation {
    Invocation::new(frame, label!(ARMPageUnify_Instruction))
        .mr(start)
        .mr(end)
}

/// `ARM_PageTable_Map`: install the next-level table covering `vaddr`.
pub fn page_table_map(pt: CPtr, vspace: CPtr, vaddr: Word, attrs: VmAttributes) -> Invocation {
    Invocation::new(pt, label!(ARMPageTableMap))
        .cap(vspace)
        .mr(vaddr)
        .mr(attrs.0)
}

/// `ARM_VCPU_SetTCB`: bind a VCPU to a thread.
pub fn vcpu_set_tcb(vcpu: CPtr, tcb: CPtr) -> Invocation {
    Invocation::new(vcpu, label!(ARMVCPUSetTCB)).cap(tcb)
}

/// `IRQControl_GetTrigger`: a handler for interrupt `irq` (`edge`: edge- rather than
/// level-triggered), placed at `dest`.
pub fn irq_control_get_trigger(
    irq_control: CPtr,
    irq: Word,
    edge: bool,
    dest: CNodeSlot,
) -> Invocation {
    Invocation::new(irq_control, label!(ARMIRQIssueIRQHandlerTrigger))
        .cap(dest.cnode)
        .mr(irq)
        .mr(edge as Word)
        .mr(dest.index)
        .mr(depth(dest.depth))
}
