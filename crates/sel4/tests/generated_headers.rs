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
use sysinit_sel4::fault::{self, FaultKind};
use sysinit_sel4::invocation::{aarch64::UserContext as Aarch64UserContext, x86_64::UserContext};
use sysinit_sel4::label::{self, Label};
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
/// `arch/api/invocation.h` of the same build), in order: each one's number is its index.
#[test]
fn x86_64_invocation_labels() {
    let expected: [&str; 53] = [
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
    check_labels(label::X86_64, Arch::X86_64, &expected);
}

/// aarch64: the same three generated headers for our aarch64 configuration.
#[test]
fn aarch64_invocation_labels() {
    let expected: [&str; 56] = [
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
    check_labels(label::AARCH64, Arch::Aarch64, &expected);
}

/// Our numbering of `config` is exactly `expected` (the enumerators in order).
fn check_labels(config: label::Config, arch: Arch, expected: &[&str]) {
    for (number, &name) in expected.iter().enumerate() {
        let number = number as Word;
        let ours = Label::ALL
            .iter()
            .copied()
            .find(|l| l.name() == name)
            .unwrap_or_else(|| panic!("{name} is missing from the label table"));
        assert_eq!(config.number(ours), Some(number), "{name}");
        assert_eq!(config.label_of(number), Some(ours));
        assert_eq!(label::name(arch, number), Some(name));
    }
    assert_eq!(config.count(), expected.len() as Word); // nArchInvocationLabels
    assert_eq!(label::name(arch, expected.len() as Word), None);
}

/// `include/sel4/sel4_arch/types_gen.h` (`seL4_FaultType`) of both builds, and the aarch64
/// fault message layouts of `include/sel4/sel4_arch/constants.h`.
#[test]
fn fault_labels_and_aarch64_layouts() {
    let aarch64: [(FaultKind, Word); 8] = [
        (FaultKind::Null, 0),
        (FaultKind::Cap, 1),
        (FaultKind::UnknownSyscall, 2),
        (FaultKind::UserException, 3),
        (FaultKind::VmFault, 5),
        (FaultKind::VgicMaintenance, 6),
        (FaultKind::VcpuFault, 7),
        (FaultKind::VppiEvent, 8),
    ];
    for (kind, n) in aarch64 {
        assert_eq!(kind.label(label::AARCH64), Some(n), "{kind}");
        let x86 = kind.label(label::X86_64);
        assert_eq!(x86, (n <= 5).then_some(n), "{kind} on x86_64");
    }
    use fault::aarch64::*;
    assert_eq!(
        (
            unknown_syscall::FAULT_IP,
            unknown_syscall::SYSCALL,
            unknown_syscall::LENGTH
        ),
        (8, 12, 13)
    );
    assert_eq!((user_exception::NUMBER, user_exception::LENGTH), (3, 5));
    assert_eq!((vm_fault::ADDR, vm_fault::FSR, vm_fault::LENGTH), (1, 3, 4));
    assert_eq!(
        (vgic_maintenance::IDX, vppi_event::IRQ, vcpu_fault::HSR),
        (0, 0, 0)
    );
}
