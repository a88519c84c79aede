//! aarch64 invocations (paging, cache maintenance, ASIDs, VCPUs, interrupts) and the register
//! block; `crate::aarch64::Invoker` (built for aarch64 only) performs them.

use super::{depth, CNodeSlot, Invocation};
use crate::label::{Config, Label};
use crate::{CPtr, CapRights, Word};

const CONFIG: Config = crate::label::AARCH64_BUILT_FOR;

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

impl UserContext {
    /// The registers from words in the kernel's order (a `TCB_ReadRegisters` reply);
    /// missing words read as 0.
    pub fn from_words(words: &[Word]) -> UserContext {
        let w = |i: usize| words.get(i).copied().unwrap_or(0);
        UserContext {
            pc: w(0),
            sp: w(1),
            spsr: w(2),
            x0: w(3),
            x1: w(4),
            x2: w(5),
            x3: w(6),
            x4: w(7),
            x5: w(8),
            x6: w(9),
            x7: w(10),
            x8: w(11),
            x16: w(12),
            x17: w(13),
            x18: w(14),
            x29: w(15),
            x30: w(16),
            x9: w(17),
            x10: w(18),
            x11: w(19),
            x12: w(20),
            x13: w(21),
            x14: w(22),
            x15: w(23),
            x19: w(24),
            x20: w(25),
            x21: w(26),
            x22: w(27),
            x23: w(28),
            x24: w(29),
            x25: w(30),
            x26: w(31),
            x27: w(32),
            x28: w(33),
            tpidr_el0: w(34),
            tpidrro_el0: w(35),
        }
    }

    /// General-purpose register `xn` (0..=30); 31 is the zero register `xzr` in the
    /// instructions that name it as a data register, so it reads 0.
    pub const fn x(&self, n: u8) -> Word {
        match n {
            0 => self.x0,
            1 => self.x1,
            2 => self.x2,
            3 => self.x3,
            4 => self.x4,
            5 => self.x5,
            6 => self.x6,
            7 => self.x7,
            8 => self.x8,
            9 => self.x9,
            10 => self.x10,
            11 => self.x11,
            12 => self.x12,
            13 => self.x13,
            14 => self.x14,
            15 => self.x15,
            16 => self.x16,
            17 => self.x17,
            18 => self.x18,
            19 => self.x19,
            20 => self.x20,
            21 => self.x21,
            22 => self.x22,
            23 => self.x23,
            24 => self.x24,
            25 => self.x25,
            26 => self.x26,
            27 => self.x27,
            28 => self.x28,
            29 => self.x29,
            30 => self.x30,
            _ => 0,
        }
    }

    /// Sets `xn` (0..=30); a write to 31 (`xzr`) or beyond is discarded, as the
    /// hardware discards it.
    pub fn set_x(&mut self, n: u8, value: Word) {
        let r = match n {
            0 => &mut self.x0,
            1 => &mut self.x1,
            2 => &mut self.x2,
            3 => &mut self.x3,
            4 => &mut self.x4,
            5 => &mut self.x5,
            6 => &mut self.x6,
            7 => &mut self.x7,
            8 => &mut self.x8,
            9 => &mut self.x9,
            10 => &mut self.x10,
            11 => &mut self.x11,
            12 => &mut self.x12,
            13 => &mut self.x13,
            14 => &mut self.x14,
            15 => &mut self.x15,
            16 => &mut self.x16,
            17 => &mut self.x17,
            18 => &mut self.x18,
            19 => &mut self.x19,
            20 => &mut self.x20,
            21 => &mut self.x21,
            22 => &mut self.x22,
            23 => &mut self.x23,
            24 => &mut self.x24,
            25 => &mut self.x25,
            26 => &mut self.x26,
            27 => &mut self.x27,
            28 => &mut self.x28,
            29 => &mut self.x29,
            30 => &mut self.x30,
            _ => return,
        };
        *r = value;
    }
}

/// `TCB_ReadRegisters` of the whole register block ([`UserContext::COUNT`] registers);
/// decode the reply with [`UserContext::from_words`].
pub fn tcb_read_registers(tcb: CPtr, suspend: bool) -> Invocation {
    super::tcb_read_registers(tcb, suspend, UserContext::COUNT as Word)
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
    Invocation::new(vcpu, label_if_present!(ARMVCPUSetTCB)).cap(tcb)
}

/// `ARM_VCPU_InjectIRQ`: put virtual interrupt `virq` (0..1023) pending in list register
/// `index` of the vCPU's virtual GIC, with `priority` (0..31, the list register's
/// 5-bit field) and `group` (0 or 1). The kernel asks for a maintenance interrupt when
/// the guest ends it (a `VGICMaintenance` fault naming `index`), and refuses an index
/// whose interrupt is still active with `seL4_DeleteFirst`.
pub fn vcpu_inject_irq(vcpu: CPtr, virq: u16, priority: u8, group: u8, index: u8) -> Invocation {
    Invocation::new(vcpu, label_if_present!(ARMVCPUInjectIRQ))
        .mr(virq as Word | (priority as Word) << 16 | (group as Word) << 24 | (index as Word) << 32)
}

/// `ARM_VCPU_AckVPPI`: unmask the virtual PPI `irq` (the kernel masked it when it sent
/// the `VPPIEvent` fault), so it can fire again.
pub fn vcpu_ack_vppi(vcpu: CPtr, irq: Word) -> Invocation {
    Invocation::new(vcpu, label_if_present!(ARMVCPUAckVPPI)).mr(irq)
}

/// `ARM_VCPU_ReadReg`: the reply's register 0 is the vCPU register `reg` ([`VcpuReg`]).
pub fn vcpu_read_reg(vcpu: CPtr, reg: VcpuReg) -> Invocation {
    Invocation::new(vcpu, label_if_present!(ARMVCPUReadReg)).mr(reg.0)
}

/// `ARM_VCPU_WriteReg`: set the vCPU register `reg` to `value`.
pub fn vcpu_write_reg(vcpu: CPtr, reg: VcpuReg, value: Word) -> Invocation {
    Invocation::new(vcpu, label_if_present!(ARMVCPUWriteReg))
        .mr(reg.0)
        .mr(value)
}

/// A vCPU register the kernel saves per vCPU (`seL4_VCPUReg`, aarch64): the guest's
/// EL1 system registers and its virtual timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VcpuReg(pub Word);

#[allow(missing_docs)]
impl VcpuReg {
    pub const SCTLR: VcpuReg = VcpuReg(0);
    pub const CPACR: VcpuReg = VcpuReg(1);
    pub const TTBR0: VcpuReg = VcpuReg(2);
    pub const TTBR1: VcpuReg = VcpuReg(3);
    pub const TCR: VcpuReg = VcpuReg(4);
    pub const MAIR: VcpuReg = VcpuReg(5);
    pub const AMAIR: VcpuReg = VcpuReg(6);
    pub const CIDR: VcpuReg = VcpuReg(7);
    pub const ACTLR: VcpuReg = VcpuReg(8);
    pub const AFSR0: VcpuReg = VcpuReg(9);
    pub const AFSR1: VcpuReg = VcpuReg(10);
    pub const ESR: VcpuReg = VcpuReg(11);
    pub const FAR: VcpuReg = VcpuReg(12);
    pub const PAR: VcpuReg = VcpuReg(13);
    pub const VBAR: VcpuReg = VcpuReg(14);
    pub const TPIDR_EL1: VcpuReg = VcpuReg(15);
    pub const VMPIDR_EL2: VcpuReg = VcpuReg(16);
    pub const SP_EL1: VcpuReg = VcpuReg(17);
    pub const ELR_EL1: VcpuReg = VcpuReg(18);
    pub const SPSR_EL1: VcpuReg = VcpuReg(19);
    pub const CNTV_CTL: VcpuReg = VcpuReg(20);
    pub const CNTV_CVAL: VcpuReg = VcpuReg(21);
    pub const CNTVOFF: VcpuReg = VcpuReg(22);
    pub const CNTKCTL_EL1: VcpuReg = VcpuReg(23);
    /// Number of registers (`seL4_VCPUReg_Num`).
    pub const COUNT: Word = 24;
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
