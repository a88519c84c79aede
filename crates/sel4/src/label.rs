//! Invocation labels of our kernel configuration.
//!
//! The kernel generates the label enumeration from its interface XML files in
//! three consecutive parts: the generic methods (`object-api.xml`), then the
//! word-size specific ones (`object-api-sel4-arch.xml`), then the architecture
//! family's (`object-api-arch.xml`), each part starting where the previous one
//! ended. Methods whose XML condition is false in a configuration take no
//! number, so the arch-specific labels below hold only for our configurations
//! (no MCS, no SMP, no hardware debug API; x86_64 without IOMMU and VT-x).

use sysinit_kobj::Arch;

use crate::Word;

pub use generic::*;

/// Labels shared by both architectures: the generic part of the enumeration.
pub mod generic {
    use crate::Word;

    /// `InvalidInvocation`.
    pub const INVALID_INVOCATION: Word = 0;
    /// `UntypedRetype`.
    pub const UNTYPED_RETYPE: Word = 1;
    /// `TCBReadRegisters`.
    pub const TCB_READ_REGISTERS: Word = 2;
    /// `TCBWriteRegisters`.
    pub const TCB_WRITE_REGISTERS: Word = 3;
    /// `TCBCopyRegisters`.
    pub const TCB_COPY_REGISTERS: Word = 4;
    /// `TCBConfigure`.
    pub const TCB_CONFIGURE: Word = 5;
    /// `TCBSetPriority`.
    pub const TCB_SET_PRIORITY: Word = 6;
    /// `TCBSetMCPriority`.
    pub const TCB_SET_MC_PRIORITY: Word = 7;
    /// `TCBSetSchedParams`.
    pub const TCB_SET_SCHED_PARAMS: Word = 8;
    /// `TCBSetIPCBuffer`.
    pub const TCB_SET_IPC_BUFFER: Word = 9;
    /// `TCBSetSpace`.
    pub const TCB_SET_SPACE: Word = 10;
    /// `TCBSuspend`.
    pub const TCB_SUSPEND: Word = 11;
    /// `TCBResume`.
    pub const TCB_RESUME: Word = 12;
    /// `TCBBindNotification`.
    pub const TCB_BIND_NOTIFICATION: Word = 13;
    /// `TCBUnbindNotification`.
    pub const TCB_UNBIND_NOTIFICATION: Word = 14;
    /// `TCBSetTLSBase`.
    pub const TCB_SET_TLS_BASE: Word = 15;
    /// `TCBSetFlags`.
    pub const TCB_SET_FLAGS: Word = 16;
    /// `CNodeRevoke`.
    pub const CNODE_REVOKE: Word = 17;
    /// `CNodeDelete`.
    pub const CNODE_DELETE: Word = 18;
    /// `CNodeCancelBadgedSends`.
    pub const CNODE_CANCEL_BADGED_SENDS: Word = 19;
    /// `CNodeCopy`.
    pub const CNODE_COPY: Word = 20;
    /// `CNodeMint`.
    pub const CNODE_MINT: Word = 21;
    /// `CNodeMove`.
    pub const CNODE_MOVE: Word = 22;
    /// `CNodeMutate`.
    pub const CNODE_MUTATE: Word = 23;
    /// `CNodeRotate`.
    pub const CNODE_ROTATE: Word = 24;
    /// `CNodeSaveCaller`.
    pub const CNODE_SAVE_CALLER: Word = 25;
    /// `IRQIssueIRQHandler`.
    pub const IRQ_ISSUE_IRQ_HANDLER: Word = 26;
    /// `IRQAckIRQ`.
    pub const IRQ_ACK_IRQ: Word = 27;
    /// `IRQSetIRQHandler`.
    pub const IRQ_SET_IRQ_HANDLER: Word = 28;
    /// `IRQClearIRQHandler`.
    pub const IRQ_CLEAR_IRQ_HANDLER: Word = 29;
    /// `DomainSetSet`.
    pub const DOMAIN_SET_SET: Word = 30;
    /// `DomainScheduleConfigure`.
    pub const DOMAIN_SCHEDULE_CONFIGURE: Word = 31;
    /// `DomainScheduleSetStart`.
    pub const DOMAIN_SCHEDULE_SET_START: Word = 32;
}

/// x86_64 labels: the generic ones, then x86_64 (`sel4_arch`) and x86 (`arch`) methods.
pub mod x86_64 {
    pub use super::generic::*;
    use crate::Word;

    /// `X86PDPTMap`.
    pub const X86_PDPT_MAP: Word = 33;
    /// `X86PDPTUnmap`.
    pub const X86_PDPT_UNMAP: Word = 34;
    /// `X86PageDirectoryMap`.
    pub const X86_PAGE_DIRECTORY_MAP: Word = 35;
    /// `X86PageDirectoryUnmap`.
    pub const X86_PAGE_DIRECTORY_UNMAP: Word = 36;
    /// `X86PageTableMap`.
    pub const X86_PAGE_TABLE_MAP: Word = 37;
    /// `X86PageTableUnmap`.
    pub const X86_PAGE_TABLE_UNMAP: Word = 38;
    /// `X86PageMap`.
    pub const X86_PAGE_MAP: Word = 39;
    /// `X86PageUnmap`.
    pub const X86_PAGE_UNMAP: Word = 40;
    /// `X86PageGetAddress`.
    pub const X86_PAGE_GET_ADDRESS: Word = 41;
    /// `X86ASIDControlMakePool`.
    pub const X86_ASID_CONTROL_MAKE_POOL: Word = 42;
    /// `X86ASIDPoolAssign`.
    pub const X86_ASID_POOL_ASSIGN: Word = 43;
    /// `X86IOPortControlIssue`.
    pub const X86_IO_PORT_CONTROL_ISSUE: Word = 44;
    /// `X86IOPortIn8`.
    pub const X86_IO_PORT_IN8: Word = 45;
    /// `X86IOPortIn16`.
    pub const X86_IO_PORT_IN16: Word = 46;
    /// `X86IOPortIn32`.
    pub const X86_IO_PORT_IN32: Word = 47;
    /// `X86IOPortOut8`.
    pub const X86_IO_PORT_OUT8: Word = 48;
    /// `X86IOPortOut16`.
    pub const X86_IO_PORT_OUT16: Word = 49;
    /// `X86IOPortOut32`.
    pub const X86_IO_PORT_OUT32: Word = 50;
    /// `X86IRQIssueIRQHandlerIOAPIC`.
    pub const X86_IRQ_ISSUE_IRQ_HANDLER_IOAPIC: Word = 51;
    /// `X86IRQIssueIRQHandlerMSI`.
    pub const X86_IRQ_ISSUE_IRQ_HANDLER_MSI: Word = 52;
}

/// aarch64 labels: the generic ones, then aarch64 (`sel4_arch`) and ARM (`arch`) methods.
pub mod aarch64 {
    pub use super::generic::*;
    use crate::Word;

    /// `ARMVSpaceClean_Data`.
    pub const ARM_VSPACE_CLEAN_DATA: Word = 33;
    /// `ARMVSpaceInvalidate_Data`.
    pub const ARM_VSPACE_INVALIDATE_DATA: Word = 34;
    /// `ARMVSpaceCleanInvalidate_Data`.
    pub const ARM_VSPACE_CLEAN_INVALIDATE_DATA: Word = 35;
    /// `ARMVSpaceUnify_Instruction`.
    pub const ARM_VSPACE_UNIFY_INSTRUCTION: Word = 36;
    /// `ARMSMCCall`.
    pub const ARM_SMC_CALL: Word = 37;
    /// `ARMPageTableMap`.
    pub const ARM_PAGE_TABLE_MAP: Word = 38;
    /// `ARMPageTableUnmap`.
    pub const ARM_PAGE_TABLE_UNMAP: Word = 39;
    /// `ARMPageMap`.
    pub const ARM_PAGE_MAP: Word = 40;
    /// `ARMPageUnmap`.
    pub const ARM_PAGE_UNMAP: Word = 41;
    /// `ARMPageClean_Data`.
    pub const ARM_PAGE_CLEAN_DATA: Word = 42;
    /// `ARMPageInvalidate_Data`.
    pub const ARM_PAGE_INVALIDATE_DATA: Word = 43;
    /// `ARMPageCleanInvalidate_Data`.
    pub const ARM_PAGE_CLEAN_INVALIDATE_DATA: Word = 44;
    /// `ARMPageUnify_Instruction`.
    pub const ARM_PAGE_UNIFY_INSTRUCTION: Word = 45;
    /// `ARMPageGetAddress`.
    pub const ARM_PAGE_GET_ADDRESS: Word = 46;
    /// `ARMASIDControlMakePool`.
    pub const ARM_ASID_CONTROL_MAKE_POOL: Word = 47;
    /// `ARMASIDPoolAssign`.
    pub const ARM_ASID_POOL_ASSIGN: Word = 48;
    /// `ARMVCPUSetTCB`.
    pub const ARM_VCPU_SET_TCB: Word = 49;
    /// `ARMVCPUInjectIRQ`.
    pub const ARM_VCPU_INJECT_IRQ: Word = 50;
    /// `ARMVCPUReadReg`.
    pub const ARM_VCPU_READ_REG: Word = 51;
    /// `ARMVCPUWriteReg`.
    pub const ARM_VCPU_WRITE_REG: Word = 52;
    /// `ARMVCPUAckVPPI`.
    pub const ARM_VCPU_ACK_VPPI: Word = 53;
    /// `ARMIRQIssueIRQHandlerTrigger`.
    pub const ARM_IRQ_ISSUE_IRQ_HANDLER_TRIGGER: Word = 54;
    /// `ARMIRQIssueSGISignal`.
    pub const ARM_IRQ_ISSUE_SGI_SIGNAL: Word = 55;
}

/// The kernel's enumerator names of every x86_64 label, indexed by label.
pub const X86_64_NAMES: [&str; 53] = [
    "InvalidInvocation",
    "UntypedRetype",
    "TCBReadRegisters",
    "TCBWriteRegisters",
    "TCBCopyRegisters",
    "TCBConfigure",
    "TCBSetPriority",
    "TCBSetMCPriority",
    "TCBSetSchedParams",
    "TCBSetIPCBuffer",
    "TCBSetSpace",
    "TCBSuspend",
    "TCBResume",
    "TCBBindNotification",
    "TCBUnbindNotification",
    "TCBSetTLSBase",
    "TCBSetFlags",
    "CNodeRevoke",
    "CNodeDelete",
    "CNodeCancelBadgedSends",
    "CNodeCopy",
    "CNodeMint",
    "CNodeMove",
    "CNodeMutate",
    "CNodeRotate",
    "CNodeSaveCaller",
    "IRQIssueIRQHandler",
    "IRQAckIRQ",
    "IRQSetIRQHandler",
    "IRQClearIRQHandler",
    "DomainSetSet",
    "DomainScheduleConfigure",
    "DomainScheduleSetStart",
    "X86PDPTMap",
    "X86PDPTUnmap",
    "X86PageDirectoryMap",
    "X86PageDirectoryUnmap",
    "X86PageTableMap",
    "X86PageTableUnmap",
    "X86PageMap",
    "X86PageUnmap",
    "X86PageGetAddress",
    "X86ASIDControlMakePool",
    "X86ASIDPoolAssign",
    "X86IOPortControlIssue",
    "X86IOPortIn8",
    "X86IOPortIn16",
    "X86IOPortIn32",
    "X86IOPortOut8",
    "X86IOPortOut16",
    "X86IOPortOut32",
    "X86IRQIssueIRQHandlerIOAPIC",
    "X86IRQIssueIRQHandlerMSI",
];

/// The kernel's enumerator names of every aarch64 label, indexed by label.
pub const AARCH64_NAMES: [&str; 56] = [
    "InvalidInvocation",
    "UntypedRetype",
    "TCBReadRegisters",
    "TCBWriteRegisters",
    "TCBCopyRegisters",
    "TCBConfigure",
    "TCBSetPriority",
    "TCBSetMCPriority",
    "TCBSetSchedParams",
    "TCBSetIPCBuffer",
    "TCBSetSpace",
    "TCBSuspend",
    "TCBResume",
    "TCBBindNotification",
    "TCBUnbindNotification",
    "TCBSetTLSBase",
    "TCBSetFlags",
    "CNodeRevoke",
    "CNodeDelete",
    "CNodeCancelBadgedSends",
    "CNodeCopy",
    "CNodeMint",
    "CNodeMove",
    "CNodeMutate",
    "CNodeRotate",
    "CNodeSaveCaller",
    "IRQIssueIRQHandler",
    "IRQAckIRQ",
    "IRQSetIRQHandler",
    "IRQClearIRQHandler",
    "DomainSetSet",
    "DomainScheduleConfigure",
    "DomainScheduleSetStart",
    "ARMVSpaceClean_Data",
    "ARMVSpaceInvalidate_Data",
    "ARMVSpaceCleanInvalidate_Data",
    "ARMVSpaceUnify_Instruction",
    "ARMSMCCall",
    "ARMPageTableMap",
    "ARMPageTableUnmap",
    "ARMPageMap",
    "ARMPageUnmap",
    "ARMPageClean_Data",
    "ARMPageInvalidate_Data",
    "ARMPageCleanInvalidate_Data",
    "ARMPageUnify_Instruction",
    "ARMPageGetAddress",
    "ARMASIDControlMakePool",
    "ARMASIDPoolAssign",
    "ARMVCPUSetTCB",
    "ARMVCPUInjectIRQ",
    "ARMVCPUReadReg",
    "ARMVCPUWriteReg",
    "ARMVCPUAckVPPI",
    "ARMIRQIssueIRQHandlerTrigger",
    "ARMIRQIssueSGISignal",
];

/// The kernel's name of `label` on `arch` (for error messages and traces).
pub fn name(arch: Arch, label: Word) -> Option<&'static str> {
    let names: &[&'static str] = match arch {
        Arch::X86_64 => &X86_64_NAMES,
        Arch::Aarch64 => &AARCH64_NAMES,
    };
    usize::try_from(label)
        .ok()
        .and_then(|i| names.get(i).copied())
}
