//! Each invocation's encoding checked against the client stubs generated for our
//! configuration (`<prefix>/include/interfaces/sel4_client.h` of the x86_64 and
//! aarch64 builds): label, extra caps in `seL4_SetCap` order, message registers
//! in `mr0..`/`seL4_SetMR` order and the tag's length.

use sysinit_sel4::invocation::{self, aarch64, x86_64, CNodeSlot, RetypeDest};
use sysinit_sel4::{CNodeCapData, CPtr, CapRights, Invocation, MessageInfo, Word};

fn check(inv: &Invocation, service: CPtr, label: Word, caps: &[CPtr], mrs: &[Word]) {
    assert_eq!(inv.service(), service);
    assert_eq!(inv.label(), label);
    assert_eq!(inv.caps(), caps);
    assert_eq!(inv.mrs(), mrs);
    let tag = MessageInfo::new(label, 0, caps.len() as u8, mrs.len() as u8).unwrap();
    assert_eq!(inv.message_info(), tag);
}

const ROOT: CPtr = 2;
const BADGE: Word = 0xbad6e;

fn slot(index: Word) -> CNodeSlot {
    CNodeSlot {
        cnode: ROOT,
        index,
        depth: 64,
    }
}

#[test]
fn untyped_retype() {
    // seL4_MessageInfo_new(UntypedRetype, 0, 1, 6); cap root; type, size_bits,
    // node_index, node_depth, node_offset, num_objects.
    let dest = RetypeDest {
        root: ROOT,
        node_index: 0,
        node_depth: 0,
        node_offset: 100,
    };
    let inv = invocation::untyped_retype(0x40, 8, 0, dest, 256);
    check(&inv, 0x40, 1, &[ROOT], &[8, 0, 0, 0, 100, 256]);
}

#[test]
fn cnode_invocations() {
    let rights = CapRights::READ_WRITE;
    // CNodeCopy (20): 1 cap, 5 registers: dest index, depth, src index, depth, rights.
    check(
        &invocation::cnode_copy(slot(20), slot(10), rights),
        ROOT,
        20,
        &[ROOT],
        &[20, 64, 10, 64, 3],
    );
    // CNodeMint (21): 6 registers, the badge last.
    check(
        &invocation::cnode_mint(slot(20), slot(10), CapRights::ALL, BADGE),
        ROOT,
        21,
        &[ROOT],
        &[20, 64, 10, 64, 0xf, BADGE],
    );
    // CNodeMove (22): 4 registers.
    check(
        &invocation::cnode_move(slot(20), slot(10)),
        ROOT,
        22,
        &[ROOT],
        &[20, 64, 10, 64],
    );
    // CNodeMutate (23): 5 registers, the badge last.
    check(
        &invocation::cnode_mutate(slot(20), slot(10), 7),
        ROOT,
        23,
        &[ROOT],
        &[20, 64, 10, 64, 7],
    );
    // CNodeDelete (18) and CNodeRevoke (17): index, depth; no caps.
    check(&invocation::cnode_delete(slot(5)), ROOT, 18, &[], &[5, 64]);
    check(&invocation::cnode_revoke(slot(5)), ROOT, 17, &[], &[5, 64]);
}

#[test]
fn tcb_invocations() {
    let tcb = 50;
    let guard = CNodeCapData::new(0, 45).unwrap();
    // TCBConfigure (5), non-MCS: caps cspace, vspace, buffer frame; registers
    // fault_ep, cspace_root_data, vspace_root_data, buffer.
    check(
        &invocation::tcb_configure(tcb, 9, 60, guard, 61, 0x1000_0000, 62),
        tcb,
        5,
        &[60, 61, 62],
        &[9, 45, 0, 0x1000_0000],
    );
    // TCBSetSpace (10), non-MCS: caps cspace, vspace; fault_ep, cspace data, vspace data.
    check(
        &invocation::tcb_set_space(tcb, 9, 60, guard, 61),
        tcb,
        10,
        &[60, 61],
        &[9, 45, 0],
    );
    check(
        &invocation::tcb_set_ipc_buffer(tcb, 0x2000, 62),
        tcb,
        9,
        &[62],
        &[0x2000],
    );
    check(
        &invocation::tcb_set_priority(tcb, 1, 100),
        tcb,
        6,
        &[1],
        &[100],
    );
    check(
        &invocation::tcb_set_mc_priority(tcb, 1, 254),
        tcb,
        7,
        &[1],
        &[254],
    );
    check(
        &invocation::tcb_set_sched_params(tcb, 1, 254, 100),
        tcb,
        8,
        &[1],
        &[254, 100],
    );
    check(&invocation::tcb_resume(tcb), tcb, 12, &[], &[]);
    check(&invocation::tcb_suspend(tcb), tcb, 11, &[], &[]);
    check(
        &invocation::tcb_bind_notification(tcb, 70),
        tcb,
        13,
        &[70],
        &[],
    );
    check(
        &invocation::tcb_set_tls_base(tcb, 0x5000),
        tcb,
        15,
        &[],
        &[0x5000],
    );
}

#[test]
fn tcb_write_registers_x86_64() {
    // TCBWriteRegisters (3): tag length 22; mr0 = resume | flags << 8, mr1 = count,
    // then rip, rsp, rflags, rax, ..., r15, fs_base, gs_base.
    let regs = x86_64::UserContext {
        rip: 0x40_1000,
        rsp: 0x7000,
        rdi: 0x1234,
        gs_base: 0x99,
        ..Default::default()
    };
    let inv = x86_64::tcb_write_registers(50, true, &regs);
    let mut expected = [0; 22];
    expected[0] = 1;
    expected[1] = 20;
    expected[2] = 0x40_1000;
    expected[3] = 0x7000;
    expected[2 + 8] = 0x1234; // rdi is the ninth register
    expected[21] = 0x99;
    check(&inv, 50, 3, &[], &expected);
}

#[test]
fn tcb_write_registers_aarch64() {
    // Tag length 38 = 2 + 36 registers: pc, sp, spsr, x0..x8, x16, x17, x18, x29, x30, ...
    let regs = aarch64::UserContext {
        pc: 0x40_0000,
        sp: 0x8000,
        x0: 7,
        tpidrro_el0: 5,
        ..Default::default()
    };
    let inv = aarch64::tcb_write_registers(50, false, &regs);
    assert_eq!(inv.mrs().len(), 38);
    assert_eq!(inv.mrs()[..6], [0, 36, 0x40_0000, 0x8000, 0, 7]);
    assert_eq!(inv.mrs()[37], 5);
}

#[test]
fn irq_handler_invocations() {
    check(
        &invocation::irq_handler_set_notification(80, 70),
        80,
        28,
        &[70],
        &[],
    );
    check(&invocation::irq_handler_ack(80), 80, 27, &[], &[]);
    check(&invocation::irq_handler_clear(80), 80, 29, &[], &[]);
    // IRQIssueIRQHandler (26): irq, index, depth.
    check(
        &invocation::irq_control_get(4, 33, slot(90)),
        4,
        26,
        &[ROOT],
        &[33, 90, 64],
    );
}

#[test]
fn x86_paging_invocations() {
    use x86_64::VmAttributes;
    // X86PageMap (39): cap vspace; vaddr, rights, attr.
    check(
        &x86_64::page_map(
            100,
            3,
            0x40_0000,
            CapRights::READ_WRITE,
            VmAttributes::WriteBack,
        ),
        100,
        39,
        &[3],
        &[0x40_0000, 3, 0],
    );
    check(
        &x86_64::page_map(
            100,
            3,
            0x40_0000,
            CapRights::READ,
            VmAttributes::Uncacheable,
        ),
        100,
        39,
        &[3],
        &[0x40_0000, 2, 3],
    );
    check(&x86_64::page_unmap(100), 100, 40, &[], &[]);
    check(&x86_64::page_get_address(100), 100, 41, &[], &[]);
    // X86PageTableMap (37), X86PageDirectoryMap (35), X86PDPTMap (33): vaddr, attr.
    check(
        &x86_64::page_table_map(101, 3, 0x40_0000, VmAttributes::WriteBack),
        101,
        37,
        &[3],
        &[0x40_0000, 0],
    );
    check(
        &x86_64::page_directory_map(102, 3, 0x40_0000, VmAttributes::WriteBack),
        102,
        35,
        &[3],
        &[0x40_0000, 0],
    );
    check(
        &x86_64::pdpt_map(103, 3, 0, VmAttributes::WriteBack),
        103,
        33,
        &[3],
        &[0, 0],
    );
    // X86ASIDPoolAssign (43): cap vspace, no registers.
    check(&x86_64::asid_pool_assign(6, 104), 6, 43, &[104], &[]);
    // X86ASIDControlMakePool (42): caps untyped, root; index, depth.
    check(
        &x86_64::asid_control_make_pool(5, 105, slot(106)),
        5,
        42,
        &[105, ROOT],
        &[106, 64],
    );
}

#[test]
fn x86_io_and_irq_invocations() {
    // X86IOPortControlIssue (44): cap root; first, last, index, depth.
    check(
        &x86_64::io_port_control_issue(7, 0x3f8, 0x3ff, slot(110)),
        7,
        44,
        &[ROOT],
        &[0x3f8, 0x3ff, 110, 64],
    );
    check(&x86_64::io_port_in8(111, 0x3fd), 111, 45, &[], &[0x3fd]);
    check(
        &x86_64::io_port_out8(111, 0x3f8, b'A'),
        111,
        48,
        &[],
        &[0x3f8, 65],
    );
    check(
        &x86_64::io_port_out32(111, 0xcf8, 1 << 31),
        111,
        50,
        &[],
        &[0xcf8, 1 << 31],
    );
    // X86IRQIssueIRQHandlerIOAPIC (51): cap root; index, depth, ioapic, pin, level, polarity, vector.
    let pin = x86_64::IoapicPin {
        ioapic: 0,
        pin: 4,
        level_triggered: false,
        active_low: false,
    };
    check(
        &x86_64::irq_control_get_ioapic(4, slot(120), pin, 4),
        4,
        51,
        &[ROOT],
        &[120, 64, 0, 4, 0, 0, 4],
    );
    // X86IRQIssueIRQHandlerMSI (52): cap root; index, depth, bus, dev, func, handle, vector.
    let msi = x86_64::MsiSource {
        bus: 0,
        dev: 3,
        func: 0,
        handle: 9,
    };
    check(
        &x86_64::irq_control_get_msi(4, slot(121), msi, 20),
        4,
        52,
        &[ROOT],
        &[121, 64, 0, 3, 0, 9, 20],
    );
}

#[test]
fn aarch64_paging_invocations() {
    use aarch64::VmAttributes;
    // ARMPageMap (40): cap vspace; vaddr, rights, attr.
    check(
        &aarch64::page_map(
            100,
            3,
            0x40_0000,
            CapRights::READ_WRITE,
            VmAttributes::DEFAULT,
        ),
        100,
        40,
        &[3],
        &[0x40_0000, 3, 3],
    );
    // ARMPageTableMap (38): vaddr, attr.
    check(
        &aarch64::page_table_map(101, 3, 0x40_0000, VmAttributes::DEFAULT),
        101,
        38,
        &[3],
        &[0x40_0000, 3],
    );
    check(&aarch64::page_get_address(100), 100, 46, &[], &[]);
    check(&aarch64::page_unmap(100), 100, 41, &[], &[]);
    // ARMPageClean_Data (42): start_offset, end_offset.
    check(
        &aarch64::page_clean_data(100, 0, 512),
        100,
        42,
        &[],
        &[0, 512],
    );
    // ARMPageUnify_Instruction (45): start_offset, end_offset.
    check(
        &aarch64::page_unify_instruction(100, 16, 4096),
        100,
        45,
        &[],
        &[16, 4096],
    );
    check(&aarch64::asid_pool_assign(6, 104), 6, 48, &[104], &[]);
    check(
        &aarch64::asid_control_make_pool(5, 105, slot(106)),
        5,
        47,
        &[105, ROOT],
        &[106, 64],
    );
    check(&aarch64::vcpu_set_tcb(130, 50), 130, 49, &[50], &[]);
    // ARMIRQIssueIRQHandlerTrigger (54): cap root; irq, trigger, index, depth.
    check(
        &aarch64::irq_control_get_trigger(4, 33, true, slot(131)),
        4,
        54,
        &[ROOT],
        &[33, 1, 131, 64],
    );
}

#[test]
fn tcb_read_registers() {
    // TCBReadRegisters (2): mr0 = suspend | arch_flags << 8, mr1 = count.
    check(
        &invocation::tcb_read_registers(50, true, 20),
        50,
        2,
        &[],
        &[1, 20],
    );
    check(
        &aarch64::tcb_read_registers(50, false),
        50,
        2,
        &[],
        &[0, 36],
    );
}

#[test]
fn user_context_words_round_trip() {
    let words: [Word; 36] = core::array::from_fn(|i| 100 + i as Word);
    let regs = aarch64::UserContext::from_words(&words);
    assert_eq!(regs.to_words(), words);
    // x9 is the 18th register of the block, after x30; x31 is xzr.
    assert_eq!(regs.x(9), 117);
    assert_eq!(regs.x(31), 0);
    let mut regs = regs;
    regs.set_x(31, 5);
    regs.set_x(16, 7);
    assert_eq!(regs.to_words()[..12], words[..12]);
    assert_eq!(regs.x16, 7);
    // A short reply leaves the rest zero.
    assert_eq!(aarch64::UserContext::from_words(&[1, 2]).spsr, 0);
}

#[test]
fn vcpu_invocations() {
    use aarch64::VcpuReg;
    // ARMVCPUInjectIRQ (50): mr0 = virq | priority << 16 | group << 24 | index << 32.
    check(
        &aarch64::vcpu_inject_irq(330, 27, 0x1f, 1, 3),
        330,
        50,
        &[],
        &[27 | 0x1f << 16 | 1 << 24 | 3 << 32],
    );
    // ARMVCPUReadReg (51): field; ARMVCPUWriteReg (52): field, value; ARMVCPUAckVPPI (53): irq.
    check(
        &aarch64::vcpu_read_reg(330, VcpuReg::CNTV_CTL),
        330,
        51,
        &[],
        &[20],
    );
    check(
        &aarch64::vcpu_write_reg(330, VcpuReg::VMPIDR_EL2, 0x8000_0000),
        330,
        52,
        &[],
        &[16, 0x8000_0000],
    );
    check(&aarch64::vcpu_ack_vppi(330, 27), 330, 53, &[], &[27]);
}
