//! The numbers of this crate checked against a build of our kernel configuration.
//!
//! Every literal below was extracted from the headers a build of
//! `kernel-config/x86_64.cmake` and `kernel-config/aarch64.cmake` at seL4
//! commit 1326364bc9135d9445d936ebc01e38a402c1f4c6 generated and installed
//! (`<prefix>/include/...`, see docs/kernel.md), by compiling a C file that
//! evaluates each constant, `sizeof` and `offsetof` with those headers for the
//! target architecture. When the kernel or its configuration changes, redo
//! that extraction and update both the crate and these literals.

use core::mem::{align_of, offset_of, size_of};

use sysinit_kobj::{Arch, ObjectType};
use sysinit_sel4::bootinfo::{initial_cap, BootInfo, SlotRegion, UntypedDesc};
use sysinit_sel4::invocation::{aarch64::UserContext as Aarch64UserContext, x86_64::UserContext};
use sysinit_sel4::label::{self, aarch64, x86_64};
use sysinit_sel4::object_type::{object_type_number, object_type_of_number};
use sysinit_sel4::{IpcBuffer, Syscall, Word, MAX_BOOTINFO_UNTYPED_CAPS};

/// From `include/sel4/bootinfo_types.h` with `CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS` 230, non-MCS:
/// `sizeof(seL4_BootInfo)` 3848 and the field offsets (same on both architectures).
#[test]
fn boot_info_layout() {
    assert_eq!(MAX_BOOTINFO_UNTYPED_CAPS, 230);
    assert_eq!(size_of::<BootInfo>(), 3848);
    assert_eq!(align_of::<BootInfo>(), 8);
    assert_eq!(offset_of!(BootInfo, extra_len), 0);
    assert_eq!(offset_of!(BootInfo, node_id), 8);
    assert_eq!(offset_of!(BootInfo, num_nodes), 16);
    assert_eq!(offset_of!(BootInfo, num_iopt_levels), 24);
    assert_eq!(offset_of!(BootInfo, ipc_buffer), 32);
    assert_eq!(offset_of!(BootInfo, empty), 40);
    assert_eq!(offset_of!(BootInfo, shared_frames), 56);
    assert_eq!(offset_of!(BootInfo, user_image_frames), 72);
    assert_eq!(offset_of!(BootInfo, user_image_paging), 88);
    assert_eq!(offset_of!(BootInfo, io_space_caps), 104);
    assert_eq!(offset_of!(BootInfo, extra_bi_pages), 120);
    assert_eq!(offset_of!(BootInfo, init_thread_cnode_size_bits), 136);
    assert_eq!(offset_of!(BootInfo, init_thread_domain), 144);
    assert_eq!(offset_of!(BootInfo, untyped), 152);
    assert_eq!(offset_of!(BootInfo, untyped_list), 168);
    // The kernel asserts the structure fits its 4 KiB frame.
    assert!(size_of::<BootInfo>() <= 4096);
}

/// `sizeof(seL4_UntypedDesc)` 16, `sizeof(seL4_SlotRegion)` 16 and their offsets.
#[test]
fn untyped_desc_and_slot_region_layout() {
    assert_eq!(size_of::<UntypedDesc>(), 16);
    assert_eq!(offset_of!(UntypedDesc, paddr), 0);
    assert_eq!(offset_of!(UntypedDesc, size_bits), 8);
    assert_eq!(offset_of!(UntypedDesc, is_device), 9);
    assert_eq!(offset_of!(UntypedDesc, padding), 10);
    assert_eq!(size_of::<SlotRegion>(), 16);
    assert_eq!(offset_of!(SlotRegion, start), 0);
    assert_eq!(offset_of!(SlotRegion, end), 8);
}

/// `include/sel4/shared_types.h`: `sizeof(seL4_IPCBuffer)` 1024, aligned to its size, and offsets.
#[test]
fn ipc_buffer_layout() {
    assert_eq!(size_of::<IpcBuffer>(), 1024);
    assert_eq!(align_of::<IpcBuffer>(), 1024);
    assert_eq!(offset_of!(IpcBuffer, tag), 0);
    assert_eq!(offset_of!(IpcBuffer, msg), 8);
    assert_eq!(offset_of!(IpcBuffer, user_data), 968);
    assert_eq!(offset_of!(IpcBuffer, caps_or_badges), 976);
    assert_eq!(offset_of!(IpcBuffer, receive_cnode), 1000);
    assert_eq!(offset_of!(IpcBuffer, receive_index), 1008);
    assert_eq!(offset_of!(IpcBuffer, receive_depth), 1016);
    // 1 << seL4_IPCBufferSizeBits, the same number sysinit-kobj uses.
    assert_eq!(
        1usize << sysinit_kobj::IPC_BUFFER_SIZE_BITS,
        size_of::<IpcBuffer>()
    );
}

/// `sizeof(seL4_UserContext)`: 160 bytes on x86_64, 288 on aarch64.
#[test]
fn user_context_layout() {
    assert_eq!(size_of::<UserContext>(), 160);
    assert_eq!(UserContext::COUNT * 8, 160);
    assert_eq!(size_of::<Aarch64UserContext>(), 288);
    assert_eq!(Aarch64UserContext::COUNT * 8, 288);
}

/// `include/sel4/syscall.h` (generated from `api/syscall.xml`): `seL4_Syscall_ID` values.
#[test]
fn syscall_numbers() {
    let expected: [(Syscall, i64); 15] = [
        (Syscall::Call, -1),
        (Syscall::ReplyRecv, -2),
        (Syscall::Send, -3),
        (Syscall::NbSend, -4),
        (Syscall::Recv, -5),
        (Syscall::Reply, -6),
        (Syscall::Yield, -7),
        (Syscall::NbRecv, -8),
        (Syscall::DebugPutChar, -9),
        (Syscall::DebugDumpScheduler, -10),
        (Syscall::DebugHalt, -11),
        (Syscall::DebugCapIdentify, -12),
        (Syscall::DebugSnapshot, -13),
        (Syscall::DebugNameThread, -14),
        // Present only in the x86_64 header (CONFIG_SET_TLS_BASE_SELF).
        (Syscall::SetTlsBase, -30),
    ];
    for (s, n) in expected {
        assert_eq!(s.word(), n as Word, "{s:?}");
    }
    assert!(Syscall::SetTlsBase.exists_on(Arch::X86_64));
    assert!(!Syscall::SetTlsBase.exists_on(Arch::Aarch64));
}

/// `include/sel4/bootinfo_types.h`: `seL4_RootCNodeCapSlots`.
#[test]
fn initial_cap_slots() {
    assert_eq!(initial_cap::INIT_THREAD_TCB, 1);
    assert_eq!(initial_cap::INIT_THREAD_CNODE, 2);
    assert_eq!(initial_cap::INIT_THREAD_VSPACE, 3);
    assert_eq!(initial_cap::IRQ_CONTROL, 4);
    assert_eq!(initial_cap::ASID_CONTROL, 5);
    assert_eq!(initial_cap::INIT_THREAD_ASID_POOL, 6);
    assert_eq!(initial_cap::IO_PORT_CONTROL, 7);
    assert_eq!(initial_cap::IO_SPACE, 8);
    assert_eq!(initial_cap::BOOT_INFO_FRAME, 9);
    assert_eq!(initial_cap::INIT_THREAD_IPC_BUFFER, 10);
    assert_eq!(initial_cap::DOMAIN, 11);
    assert_eq!(initial_cap::SMMU_SID_CONTROL, 12);
    assert_eq!(initial_cap::SMMU_CB_CONTROL, 13);
    assert_eq!(initial_cap::INIT_THREAD_SC, 14);
    assert_eq!(initial_cap::SMC, 15);
    assert_eq!(initial_cap::NUM_INITIAL_CAPS, 16);
}

/// x86_64: `include/sel4/objecttype.h`, `include/sel4/sel4_arch/objecttype.h`
/// (x86_64, CONFIG_HUGE_PAGE) and `include/sel4/arch/objecttype.h` (x86, no IOMMU, no VT-x).
#[test]
fn x86_64_object_type_numbers() {
    let expected: [(ObjectType, Word); 12] = [
        (ObjectType::Untyped, 0),           // seL4_UntypedObject
        (ObjectType::Tcb, 1),               // seL4_TCBObject
        (ObjectType::Endpoint, 2),          // seL4_EndpointObject
        (ObjectType::Notification, 3),      // seL4_NotificationObject
        (ObjectType::CNode, 4),             // seL4_CapTableObject
        (ObjectType::X86Pdpt, 5),           // seL4_X86_PDPTObject
        (ObjectType::VSpace, 6),            // seL4_X64_PML4Object
        (ObjectType::HugePage, 7),          // seL4_X64_HugePageObject
        (ObjectType::SmallPage, 8),         // seL4_X86_4K
        (ObjectType::LargePage, 9),         // seL4_X86_LargePageObject
        (ObjectType::PageTable, 10),        // seL4_X86_PageTableObject
        (ObjectType::X86PageDirectory, 11), // seL4_X86_PageDirectoryObject
    ];
    for (ty, n) in expected {
        assert_eq!(object_type_number(Arch::X86_64, ty), Some(n), "{ty}");
        assert_eq!(object_type_of_number(Arch::X86_64, n), Some(ty));
    }
    assert_eq!(sysinit_sel4::object_type::x86_64::COUNT, 12); // seL4_ObjectTypeCount
    assert_eq!(object_type_number(Arch::X86_64, ObjectType::Vcpu), None);
    assert_eq!(object_type_number(Arch::X86_64, ObjectType::AsidPool), None);
}

/// aarch64: `include/sel4/objecttype.h`, `include/sel4/sel4_arch/objecttype.h` (aarch64)
/// and `include/sel4/arch/objecttype.h` (ARM with CONFIG_ARM_HYPERVISOR_SUPPORT).
#[test]
fn aarch64_object_type_numbers() {
    let expected: [(ObjectType, Word); 11] = [
        (ObjectType::Untyped, 0),
        (ObjectType::Tcb, 1),
        (ObjectType::Endpoint, 2),
        (ObjectType::Notification, 3),
        (ObjectType::CNode, 4),
        (ObjectType::HugePage, 5),  // seL4_ARM_HugePageObject
        (ObjectType::VSpace, 6),    // seL4_ARM_VSpaceObject
        (ObjectType::SmallPage, 7), // seL4_ARM_SmallPageObject
        (ObjectType::LargePage, 8), // seL4_ARM_LargePageObject
        (ObjectType::PageTable, 9), // seL4_ARM_PageTableObject
        (ObjectType::Vcpu, 10),     // seL4_ARM_VCPUObject
    ];
    for (ty, n) in expected {
        assert_eq!(object_type_number(Arch::Aarch64, ty), Some(n), "{ty}");
        assert_eq!(object_type_of_number(Arch::Aarch64, n), Some(ty));
    }
    assert_eq!(sysinit_sel4::object_type::aarch64::COUNT, 11);
    assert_eq!(object_type_number(Arch::Aarch64, ObjectType::X86Pdpt), None);
    assert_eq!(
        object_type_number(Arch::Aarch64, ObjectType::AsidPool),
        None
    );
}

/// Every object type the kernel model knows maps to a distinct number on each arch where it exists.
#[test]
fn object_type_numbers_are_distinct() {
    for arch in Arch::ALL {
        let mut seen = [false; 16];
        for ty in ObjectType::ALL {
            if let Some(n) = object_type_number(arch, ty) {
                assert!(ty.exists_on(arch));
                assert!(!seen[n as usize], "{arch}: {ty} reuses number {n}");
                seen[n as usize] = true;
            }
        }
    }
}

/// x86_64: enumerators of `include/sel4/invocation.h`, `include/sel4/sel4_arch/invocation.h`
/// and `include/sel4/arch/invocation.h` as generated for our x86_64 configuration (identical to
/// the kernel-side `gen_headers/api/invocation.h`, `arch/api/sel4_invocation.h`,
/// `arch/api/invocation.h` of the same build).
#[test]
fn x86_64_invocation_labels() {
    let expected: [(Word, &str, Word); 53] = [
        (x86_64::INVALID_INVOCATION, "InvalidInvocation", 0),
        (x86_64::UNTYPED_RETYPE, "UntypedRetype", 1),
        (x86_64::TCB_READ_REGISTERS, "TCBReadRegisters", 2),
        (x86_64::TCB_WRITE_REGISTERS, "TCBWriteRegisters", 3),
        (x86_64::TCB_COPY_REGISTERS, "TCBCopyRegisters", 4),
        (x86_64::TCB_CONFIGURE, "TCBConfigure", 5),
        (x86_64::TCB_SET_PRIORITY, "TCBSetPriority", 6),
        (x86_64::TCB_SET_MC_PRIORITY, "TCBSetMCPriority", 7),
        (x86_64::TCB_SET_SCHED_PARAMS, "TCBSetSchedParams", 8),
        (x86_64::TCB_SET_IPC_BUFFER, "TCBSetIPCBuffer", 9),
        (x86_64::TCB_SET_SPACE, "TCBSetSpace", 10),
        (x86_64::TCB_SUSPEND, "TCBSuspend", 11),
        (x86_64::TCB_RESUME, "TCBResume", 12),
        (x86_64::TCB_BIND_NOTIFICATION, "TCBBindNotification", 13),
        (x86_64::TCB_UNBIND_NOTIFICATION, "TCBUnbindNotification", 14),
        (x86_64::TCB_SET_TLS_BASE, "TCBSetTLSBase", 15),
        (x86_64::TCB_SET_FLAGS, "TCBSetFlags", 16),
        (x86_64::CNODE_REVOKE, "CNodeRevoke", 17),
        (x86_64::CNODE_DELETE, "CNodeDelete", 18),
        (
            x86_64::CNODE_CANCEL_BADGED_SENDS,
            "CNodeCancelBadgedSends",
            19,
        ),
        (x86_64::CNODE_COPY, "CNodeCopy", 20),
        (x86_64::CNODE_MINT, "CNodeMint", 21),
        (x86_64::CNODE_MOVE, "CNodeMove", 22),
        (x86_64::CNODE_MUTATE, "CNodeMutate", 23),
        (x86_64::CNODE_ROTATE, "CNodeRotate", 24),
        (x86_64::CNODE_SAVE_CALLER, "CNodeSaveCaller", 25),
        (x86_64::IRQ_ISSUE_IRQ_HANDLER, "IRQIssueIRQHandler", 26),
        (x86_64::IRQ_ACK_IRQ, "IRQAckIRQ", 27),
        (x86_64::IRQ_SET_IRQ_HANDLER, "IRQSetIRQHandler", 28),
        (x86_64::IRQ_CLEAR_IRQ_HANDLER, "IRQClearIRQHandler", 29),
        (x86_64::DOMAIN_SET_SET, "DomainSetSet", 30),
        (
            x86_64::DOMAIN_SCHEDULE_CONFIGURE,
            "DomainScheduleConfigure",
            31,
        ),
        (
            x86_64::DOMAIN_SCHEDULE_SET_START,
            "DomainScheduleSetStart",
            32,
        ),
        (x86_64::X86_PDPT_MAP, "X86PDPTMap", 33),
        (x86_64::X86_PDPT_UNMAP, "X86PDPTUnmap", 34),
        (x86_64::X86_PAGE_DIRECTORY_MAP, "X86PageDirectoryMap", 35),
        (
            x86_64::X86_PAGE_DIRECTORY_UNMAP,
            "X86PageDirectoryUnmap",
            36,
        ),
        (x86_64::X86_PAGE_TABLE_MAP, "X86PageTableMap", 37),
        (x86_64::X86_PAGE_TABLE_UNMAP, "X86PageTableUnmap", 38),
        (x86_64::X86_PAGE_MAP, "X86PageMap", 39),
        (x86_64::X86_PAGE_UNMAP, "X86PageUnmap", 40),
        (x86_64::X86_PAGE_GET_ADDRESS, "X86PageGetAddress", 41),
        (
            x86_64::X86_ASID_CONTROL_MAKE_POOL,
            "X86ASIDControlMakePool",
            42,
        ),
        (x86_64::X86_ASID_POOL_ASSIGN, "X86ASIDPoolAssign", 43),
        (
            x86_64::X86_IO_PORT_CONTROL_ISSUE,
            "X86IOPortControlIssue",
            44,
        ),
        (x86_64::X86_IO_PORT_IN8, "X86IOPortIn8", 45),
        (x86_64::X86_IO_PORT_IN16, "X86IOPortIn16", 46),
        (x86_64::X86_IO_PORT_IN32, "X86IOPortIn32", 47),
        (x86_64::X86_IO_PORT_OUT8, "X86IOPortOut8", 48),
        (x86_64::X86_IO_PORT_OUT16, "X86IOPortOut16", 49),
        (x86_64::X86_IO_PORT_OUT32, "X86IOPortOut32", 50),
        (
            x86_64::X86_IRQ_ISSUE_IRQ_HANDLER_IOAPIC,
            "X86IRQIssueIRQHandlerIOAPIC",
            51,
        ),
        (
            x86_64::X86_IRQ_ISSUE_IRQ_HANDLER_MSI,
            "X86IRQIssueIRQHandlerMSI",
            52,
        ),
    ];
    for (i, (ours, name, number)) in expected.into_iter().enumerate() {
        assert_eq!(ours, number, "{name}");
        assert_eq!(number, i as Word, "{name}: labels are consecutive");
        assert_eq!(label::name(Arch::X86_64, number), Some(name));
    }
    assert_eq!(label::X86_64_NAMES.len(), 53); // nArchInvocationLabels
    assert_eq!(label::name(Arch::X86_64, 53), None);
}

/// aarch64: the same three generated headers for our aarch64 configuration.
#[test]
fn aarch64_invocation_labels() {
    let expected: [(Word, &str, Word); 56] = [
        (aarch64::INVALID_INVOCATION, "InvalidInvocation", 0),
        (aarch64::UNTYPED_RETYPE, "UntypedRetype", 1),
        (aarch64::TCB_READ_REGISTERS, "TCBReadRegisters", 2),
        (aarch64::TCB_WRITE_REGISTERS, "TCBWriteRegisters", 3),
        (aarch64::TCB_COPY_REGISTERS, "TCBCopyRegisters", 4),
        (aarch64::TCB_CONFIGURE, "TCBConfigure", 5),
        (aarch64::TCB_SET_PRIORITY, "TCBSetPriority", 6),
        (aarch64::TCB_SET_MC_PRIORITY, "TCBSetMCPriority", 7),
        (aarch64::TCB_SET_SCHED_PARAMS, "TCBSetSchedParams", 8),
        (aarch64::TCB_SET_IPC_BUFFER, "TCBSetIPCBuffer", 9),
        (aarch64::TCB_SET_SPACE, "TCBSetSpace", 10),
        (aarch64::TCB_SUSPEND, "TCBSuspend", 11),
        (aarch64::TCB_RESUME, "TCBResume", 12),
        (aarch64::TCB_BIND_NOTIFICATION, "TCBBindNotification", 13),
        (
            aarch64::TCB_UNBIND_NOTIFICATION,
            "TCBUnbindNotification",
            14,
        ),
        (aarch64::TCB_SET_TLS_BASE, "TCBSetTLSBase", 15),
        (aarch64::TCB_SET_FLAGS, "TCBSetFlags", 16),
        (aarch64::CNODE_REVOKE, "CNodeRevoke", 17),
        (aarch64::CNODE_DELETE, "CNodeDelete", 18),
        (
            aarch64::CNODE_CANCEL_BADGED_SENDS,
            "CNodeCancelBadgedSends",
            19,
        ),
        (aarch64::CNODE_COPY, "CNodeCopy", 20),
        (aarch64::CNODE_MINT, "CNodeMint", 21),
        (aarch64::CNODE_MOVE, "CNodeMove", 22),
        (aarch64::CNODE_MUTATE, "CNodeMutate", 23),
        (aarch64::CNODE_ROTATE, "CNodeRotate", 24),
        (aarch64::CNODE_SAVE_CALLER, "CNodeSaveCaller", 25),
        (aarch64::IRQ_ISSUE_IRQ_HANDLER, "IRQIssueIRQHandler", 26),
        (aarch64::IRQ_ACK_IRQ, "IRQAckIRQ", 27),
        (aarch64::IRQ_SET_IRQ_HANDLER, "IRQSetIRQHandler", 28),
        (aarch64::IRQ_CLEAR_IRQ_HANDLER, "IRQClearIRQHandler", 29),
        (aarch64::DOMAIN_SET_SET, "DomainSetSet", 30),
        (
            aarch64::DOMAIN_SCHEDULE_CONFIGURE,
            "DomainScheduleConfigure",
            31,
        ),
        (
            aarch64::DOMAIN_SCHEDULE_SET_START,
            "DomainScheduleSetStart",
            32,
        ),
        (aarch64::ARM_VSPACE_CLEAN_DATA, "ARMVSpaceClean_Data", 33),
        (
            aarch64::ARM_VSPACE_INVALIDATE_DATA,
            "ARMVSpaceInvalidate_Data",
            34,
        ),
        (
            aarch64::ARM_VSPACE_CLEAN_INVALIDATE_DATA,
            "ARMVSpaceCleanInvalidate_Data",
            35,
        ),
        (
            aarch64::ARM_VSPACE_UNIFY_INSTRUCTION,
            "ARMVSpaceUnify_Instruction",
            36,
        ),
        (aarch64::ARM_SMC_CALL, "ARMSMCCall", 37),
        (aarch64::ARM_PAGE_TABLE_MAP, "ARMPageTableMap", 38),
        (aarch64::ARM_PAGE_TABLE_UNMAP, "ARMPageTableUnmap", 39),
        (aarch64::ARM_PAGE_MAP, "ARMPageMap", 40),
        (aarch64::ARM_PAGE_UNMAP, "ARMPageUnmap", 41),
        (aarch64::ARM_PAGE_CLEAN_DATA, "ARMPageClean_Data", 42),
        (
            aarch64::ARM_PAGE_INVALIDATE_DATA,
            "ARMPageInvalidate_Data",
            43,
        ),
        (
            aarch64::ARM_PAGE_CLEAN_INVALIDATE_DATA,
            "ARMPageCleanInvalidate_Data",
            44,
        ),
        (
            aarch64::ARM_PAGE_UNIFY_INSTRUCTION,
            "ARMPageUnify_Instruction",
            45,
        ),
        (aarch64::ARM_PAGE_GET_ADDRESS, "ARMPageGetAddress", 46),
        (
            aarch64::ARM_ASID_CONTROL_MAKE_POOL,
            "ARMASIDControlMakePool",
            47,
        ),
        (aarch64::ARM_ASID_POOL_ASSIGN, "ARMASIDPoolAssign", 48),
        (aarch64::ARM_VCPU_SET_TCB, "ARMVCPUSetTCB", 49),
        (aarch64::ARM_VCPU_INJECT_IRQ, "ARMVCPUInjectIRQ", 50),
        (aarch64::ARM_VCPU_READ_REG, "ARMVCPUReadReg", 51),
        (aarch64::ARM_VCPU_WRITE_REG, "ARMVCPUWriteReg", 52),
        (aarch64::ARM_VCPU_ACK_VPPI, "ARMVCPUAckVPPI", 53),
        (
            aarch64::ARM_IRQ_ISSUE_IRQ_HANDLER_TRIGGER,
            "ARMIRQIssueIRQHandlerTrigger",
            54,
        ),
        (
            aarch64::ARM_IRQ_ISSUE_SGI_SIGNAL,
            "ARMIRQIssueSGISignal",
            55,
        ),
    ];
    for (i, (ours, name, number)) in expected.into_iter().enumerate() {
        assert_eq!(ours, number, "{name}");
        assert_eq!(number, i as Word, "{name}: labels are consecutive");
        assert_eq!(label::name(Arch::Aarch64, number), Some(name));
    }
    assert_eq!(label::AARCH64_NAMES.len(), 56); // nArchInvocationLabels
}
