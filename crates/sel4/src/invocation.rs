//! The invocations an initializer makes, encoded as plain data.
//!
//! An [`Invocation`] is everything one `seL4_Call` on a capability sends: the
//! invoked capability, the label, the extra capabilities and the message
//! registers, in the order the kernel's interface definitions
//! (`object-api*.xml`) give them. Building one performs no syscall, so the
//! encoding is testable on the host and an initializer can log or replay
//! exactly what it asked the kernel. [`crate::x86_64::Invoker`] performs them.
//!
//! Arguments narrower than a word (CNode depths) are masked to their width as
//! the kernel reads them; `Bool`/`Uint8` pairs share one register.

use crate::{label, CNodeCapData, CPtr, CapRights, MessageInfo, Word, MSG_MAX_EXTRA_CAPS};

/// Most message registers any invocation here sends (aarch64 `TCB_WriteRegisters`: 2 + 36).
pub const MAX_INVOCATION_MRS: usize = 38;

/// One kernel invocation: `seL4_Call(service, MessageInfo(label, 0, caps, mrs))`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Invocation {
    service: CPtr,
    label: Word,
    caps: [CPtr; MSG_MAX_EXTRA_CAPS],
    cap_count: u8,
    mrs: [Word; MAX_INVOCATION_MRS],
    mr_count: u8,
}

impl Invocation {
    /// An invocation of `label` on `service` with no arguments yet.
    pub const fn new(service: CPtr, label: Word) -> Invocation {
        Invocation {
            service,
            label,
            caps: [0; MSG_MAX_EXTRA_CAPS],
            cap_count: 0,
            mrs: [0; MAX_INVOCATION_MRS],
            mr_count: 0,
        }
    }

    // The builders below are only used with the fixed argument lists of this
    // module, which stay within the limits; `debug_assert` documents that.
    const fn cap(mut self, cap: CPtr) -> Invocation {
        debug_assert!((self.cap_count as usize) < MSG_MAX_EXTRA_CAPS);
        self.caps[self.cap_count as usize] = cap;
        self.cap_count += 1;
        self
    }

    const fn mr(mut self, value: Word) -> Invocation {
        debug_assert!((self.mr_count as usize) < MAX_INVOCATION_MRS);
        self.mrs[self.mr_count as usize] = value;
        self.mr_count += 1;
        self
    }

    /// The capability invoked.
    pub const fn service(&self) -> CPtr {
        self.service
    }

    /// The invocation label.
    pub const fn label(&self) -> Word {
        self.label
    }

    /// The extra capabilities, in order (sent through the IPC buffer's `caps_or_badges`).
    pub fn caps(&self) -> &[CPtr] {
        &self.caps[..self.cap_count as usize]
    }

    /// The message registers, in order.
    pub fn mrs(&self) -> &[Word] {
        &self.mrs[..self.mr_count as usize]
    }

    /// The message tag to send.
    pub const fn message_info(&self) -> MessageInfo {
        MessageInfo((self.label << 12) | ((self.cap_count as Word) << 7) | (self.mr_count as Word))
    }
}

/// A slot addressed by a CNode capability, an index and a depth (the `root`/`index`/`depth` triple).
///
/// With a single-level CSpace whose root CNode has radix r and guard 64 - r,
/// a slot is `{ cnode: root, index: slot, depth: 64 }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CNodeSlot {
    /// CNode capability the lookup starts from (in the caller's CSpace).
    pub cnode: CPtr,
    /// Address resolved from `cnode`.
    pub index: Word,
    /// Number of bits of `index` to resolve.
    pub depth: u8,
}

/// Where `Untyped_Retype` puts the new capabilities: `count` consecutive slots from `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RetypeDest {
    /// CNode capability the lookup of the destination CNode starts from.
    pub root: CPtr,
    /// Address of the destination CNode, resolved from `root` (0 with depth 0: `root` itself).
    pub node_index: Word,
    /// Bits of `node_index` to resolve.
    pub node_depth: Word,
    /// First slot in the destination CNode.
    pub node_offset: Word,
}

/// `Untyped_Retype`: create `count` objects of `object_type` (see [`crate::object_type`]).
///
/// `size_bits` is the size of untypeds, the radix of CNodes, ignored otherwise.
pub fn untyped_retype(
    untyped: CPtr,
    object_type: Word,
    size_bits: Word,
    dest: RetypeDest,
    count: Word,
) -> Invocation {
    Invocation::new(untyped, label::UNTYPED_RETYPE)
        .cap(dest.root)
        .mr(object_type)
        .mr(size_bits)
        .mr(dest.node_index)
        .mr(dest.node_depth)
        .mr(dest.node_offset)
        .mr(count)
}

const fn depth(d: u8) -> Word {
    d as Word
}

/// `CNode_Copy`: copy `src` to the empty slot `dest` with at most `rights`.
pub fn cnode_copy(dest: CNodeSlot, src: CNodeSlot, rights: CapRights) -> Invocation {
    Invocation::new(dest.cnode, label::CNODE_COPY)
        .cap(src.cnode)
        .mr(dest.index)
        .mr(depth(dest.depth))
        .mr(src.index)
        .mr(depth(src.depth))
        .mr(rights.0)
}

/// `CNode_Mint`: copy `src` to `dest` with at most `rights` and a badge (or CNode guard data).
pub fn cnode_mint(dest: CNodeSlot, src: CNodeSlot, rights: CapRights, badge: Word) -> Invocation {
    Invocation::new(dest.cnode, label::CNODE_MINT)
        .cap(src.cnode)
        .mr(dest.index)
        .mr(depth(dest.depth))
        .mr(src.index)
        .mr(depth(src.depth))
        .mr(rights.0)
        .mr(badge)
}

/// `CNode_Move`: move `src` to the empty slot `dest`.
pub fn cnode_move(dest: CNodeSlot, src: CNodeSlot) -> Invocation {
    Invocation::new(dest.cnode, label::CNODE_MOVE)
        .cap(src.cnode)
        .mr(dest.index)
        .mr(depth(dest.depth))
        .mr(src.index)
        .mr(depth(src.depth))
}

/// `CNode_Mutate`: move `src` to `dest`, setting a badge (or CNode guard data).
pub fn cnode_mutate(dest: CNodeSlot, src: CNodeSlot, badge: Word) -> Invocation {
    Invocation::new(dest.cnode, label::CNODE_MUTATE)
        .cap(src.cnode)
        .mr(dest.index)
        .mr(depth(dest.depth))
        .mr(src.index)
        .mr(depth(src.depth))
        .mr(badge)
}

/// `CNode_Delete`: delete the capability in `slot`.
pub fn cnode_delete(slot: CNodeSlot) -> Invocation {
    Invocation::new(slot.cnode, label::CNODE_DELETE)
        .mr(slot.index)
        .mr(depth(slot.depth))
}

/// `CNode_Revoke`: delete every capability derived from the one in `slot`.
pub fn cnode_revoke(slot: CNodeSlot) -> Invocation {
    Invocation::new(slot.cnode, label::CNODE_REVOKE)
        .mr(slot.index)
        .mr(depth(slot.depth))
}

/// `TCB_Configure` (non-MCS): fault endpoint, CSpace, VSpace and IPC buffer in one call.
///
/// `fault_ep` is a CPtr in the configured thread's own CSpace (0 for none).
/// The VSpace root data argument has no effect on x86 or ARM and is sent as 0.
pub fn tcb_configure(
    tcb: CPtr,
    fault_ep: CPtr,
    cspace_root: CPtr,
    cspace_root_data: CNodeCapData,
    vspace_root: CPtr,
    ipc_buffer_addr: Word,
    ipc_buffer_frame: CPtr,
) -> Invocation {
    Invocation::new(tcb, label::TCB_CONFIGURE)
        .cap(cspace_root)
        .cap(vspace_root)
        .cap(ipc_buffer_frame)
        .mr(fault_ep)
        .mr(cspace_root_data.0)
        .mr(0)
        .mr(ipc_buffer_addr)
}

/// `TCB_SetSpace` (non-MCS): fault endpoint, CSpace and VSpace.
pub fn tcb_set_space(
    tcb: CPtr,
    fault_ep: CPtr,
    cspace_root: CPtr,
    cspace_root_data: CNodeCapData,
    vspace_root: CPtr,
) -> Invocation {
    Invocation::new(tcb, label::TCB_SET_SPACE)
        .cap(cspace_root)
        .cap(vspace_root)
        .mr(fault_ep)
        .mr(cspace_root_data.0)
        .mr(0)
}

/// `TCB_SetIPCBuffer`: the thread's IPC buffer address and the frame backing it.
pub fn tcb_set_ipc_buffer(tcb: CPtr, ipc_buffer_addr: Word, ipc_buffer_frame: CPtr) -> Invocation {
    Invocation::new(tcb, label::TCB_SET_IPC_BUFFER)
        .cap(ipc_buffer_frame)
        .mr(ipc_buffer_addr)
}

/// `TCB_SetPriority`: `authority`'s maximum controlled priority bounds `priority`.
pub fn tcb_set_priority(tcb: CPtr, authority: CPtr, priority: Word) -> Invocation {
    Invocation::new(tcb, label::TCB_SET_PRIORITY)
        .cap(authority)
        .mr(priority)
}

/// `TCB_SetMCPriority`: the highest priority the thread may give to threads (itself included).
pub fn tcb_set_mc_priority(tcb: CPtr, authority: CPtr, mcp: Word) -> Invocation {
    Invocation::new(tcb, label::TCB_SET_MC_PRIORITY)
        .cap(authority)
        .mr(mcp)
}

/// `TCB_SetSchedParams` (non-MCS): maximum controlled priority and priority in one call.
pub fn tcb_set_sched_params(tcb: CPtr, authority: CPtr, mcp: Word, priority: Word) -> Invocation {
    Invocation::new(tcb, label::TCB_SET_SCHED_PARAMS)
        .cap(authority)
        .mr(mcp)
        .mr(priority)
}

/// `TCB_Resume`: make the thread runnable.
pub fn tcb_resume(tcb: CPtr) -> Invocation {
    Invocation::new(tcb, label::TCB_RESUME)
}

/// `TCB_Suspend`: stop the thread.
pub fn tcb_suspend(tcb: CPtr) -> Invocation {
    Invocation::new(tcb, label::TCB_SUSPEND)
}

/// `TCB_BindNotification`: deliver `notification`'s signals to the thread's receives.
pub fn tcb_bind_notification(tcb: CPtr, notification: CPtr) -> Invocation {
    Invocation::new(tcb, label::TCB_BIND_NOTIFICATION).cap(notification)
}

/// `TCB_SetTLSBase`: the thread's TLS register (FS base on x86_64, `TPIDR_EL0` on aarch64).
pub fn tcb_set_tls_base(tcb: CPtr, tls_base: Word) -> Invocation {
    Invocation::new(tcb, label::TCB_SET_TLS_BASE).mr(tls_base)
}

/// `TCB_WriteRegisters` with an architecture's register block already flattened.
///
/// Register 0 packs `resume` (bit 0) and the arch flags (bits 15..8, unused
/// on our architectures); register 1 is the number of registers written.
fn tcb_write_registers(tcb: CPtr, resume: bool, regs: &[Word]) -> Invocation {
    let mut inv = Invocation::new(tcb, label::TCB_WRITE_REGISTERS)
        .mr(resume as Word)
        .mr(regs.len() as Word);
    for &r in regs {
        inv = inv.mr(r);
    }
    inv
}

/// `IRQHandler_SetNotification`: signal `notification` when the interrupt fires.
pub fn irq_handler_set_notification(handler: CPtr, notification: CPtr) -> Invocation {
    Invocation::new(handler, label::IRQ_SET_IRQ_HANDLER).cap(notification)
}

/// `IRQHandler_Ack`: let the interrupt fire again.
pub fn irq_handler_ack(handler: CPtr) -> Invocation {
    Invocation::new(handler, label::IRQ_ACK_IRQ)
}

/// `IRQHandler_Clear`: stop signalling the notification.
pub fn irq_handler_clear(handler: CPtr) -> Invocation {
    Invocation::new(handler, label::IRQ_CLEAR_IRQ_HANDLER)
}

/// `IRQControl_Get`: a handler capability for platform interrupt `irq`, placed at `dest`.
pub fn irq_control_get(irq_control: CPtr, irq: Word, dest: CNodeSlot) -> Invocation {
    Invocation::new(irq_control, label::IRQ_ISSUE_IRQ_HANDLER)
        .cap(dest.cnode)
        .mr(irq)
        .mr(dest.index)
        .mr(depth(dest.depth))
}

/// `DomainSet_Set`: move `tcb` to scheduling domain `domain`.
pub fn domain_set_set(domain_cap: CPtr, domain: u8, tcb: CPtr) -> Invocation {
    Invocation::new(domain_cap, label::DOMAIN_SET_SET)
        .cap(tcb)
        .mr(domain as Word)
}

/// x86_64 invocations (paging, ASIDs, I/O ports, interrupts) and the register block.
pub mod x86_64 {
    use super::{depth, CNodeSlot, Invocation};
    use crate::label::x86_64 as label;
    use crate::{CPtr, CapRights, Word};

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
        Invocation::new(frame, label::X86_PAGE_MAP)
            .cap(vspace)
            .mr(vaddr)
            .mr(rights.0)
            .mr(attrs as Word)
    }

    /// `X86_Page_Unmap`.
    pub fn page_unmap(frame: CPtr) -> Invocation {
        Invocation::new(frame, label::X86_PAGE_UNMAP)
    }

    /// `X86_Page_GetAddress`: the reply's register 0 is the frame's physical address.
    pub fn page_get_address(frame: CPtr) -> Invocation {
        Invocation::new(frame, label::X86_PAGE_GET_ADDRESS)
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
        map_paging_structure(pt, label::X86_PAGE_TABLE_MAP, vspace, vaddr, attrs)
    }

    /// `X86_PageDirectory_Map`: install a page directory covering the 1 GiB around `vaddr`.
    pub fn page_directory_map(
        pd: CPtr,
        vspace: CPtr,
        vaddr: Word,
        attrs: VmAttributes,
    ) -> Invocation {
        map_paging_structure(pd, label::X86_PAGE_DIRECTORY_MAP, vspace, vaddr, attrs)
    }

    /// `X86_PDPT_Map`: install a PDPT covering the 512 GiB around `vaddr` in a PML4.
    pub fn pdpt_map(pdpt: CPtr, pml4: CPtr, vaddr: Word, attrs: VmAttributes) -> Invocation {
        map_paging_structure(pdpt, label::X86_PDPT_MAP, pml4, vaddr, attrs)
    }

    /// `X86_ASIDPool_Assign`: give `vspace` (a PML4) an ASID from the pool.
    pub fn asid_pool_assign(pool: CPtr, vspace: CPtr) -> Invocation {
        Invocation::new(pool, label::X86_ASID_POOL_ASSIGN).cap(vspace)
    }

    /// `X86_ASIDControl_MakePool`: turn a 4 KiB untyped into an ASID pool at `dest`.
    pub fn asid_control_make_pool(
        asid_control: CPtr,
        untyped: CPtr,
        dest: CNodeSlot,
    ) -> Invocation {
        Invocation::new(asid_control, label::X86_ASID_CONTROL_MAKE_POOL)
            .cap(untyped)
            .cap(dest.cnode)
            .mr(dest.index)
            .mr(depth(dest.depth))
    }

    /// `X86_IOPortControl_Issue`: a capability for ports `first..=last`, placed at `dest`.
    pub fn io_port_control_issue(
        io_port_control: CPtr,
        first: u16,
        last: u16,
        dest: CNodeSlot,
    ) -> Invocation {
        Invocation::new(io_port_control, label::X86_IO_PORT_CONTROL_ISSUE)
            .cap(dest.cnode)
            .mr(first as Word)
            .mr(last as Word)
            .mr(dest.index)
            .mr(depth(dest.depth))
    }

    /// `X86_IOPort_In8`: the reply's register 0 holds the byte read.
    pub fn io_port_in8(io_port: CPtr, port: u16) -> Invocation {
        Invocation::new(io_port, label::X86_IO_PORT_IN8).mr(port as Word)
    }

    /// `X86_IOPort_In16`: the reply's register 0 holds the value read.
    pub fn io_port_in16(io_port: CPtr, port: u16) -> Invocation {
        Invocation::new(io_port, label::X86_IO_PORT_IN16).mr(port as Word)
    }

    /// `X86_IOPort_In32`: the reply's register 0 holds the value read.
    pub fn io_port_in32(io_port: CPtr, port: u16) -> Invocation {
        Invocation::new(io_port, label::X86_IO_PORT_IN32).mr(port as Word)
    }

    /// `X86_IOPort_Out8`.
    pub fn io_port_out8(io_port: CPtr, port: u16, value: u8) -> Invocation {
        Invocation::new(io_port, label::X86_IO_PORT_OUT8)
            .mr(port as Word)
            .mr(value as Word)
    }

    /// `X86_IOPort_Out16`.
    pub fn io_port_out16(io_port: CPtr, port: u16, value: u16) -> Invocation {
        Invocation::new(io_port, label::X86_IO_PORT_OUT16)
            .mr(port as Word)
            .mr(value as Word)
    }

    /// `X86_IOPort_Out32`.
    pub fn io_port_out32(io_port: CPtr, port: u16, value: u32) -> Invocation {
        Invocation::new(io_port, label::X86_IO_PORT_OUT32)
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
        Invocation::new(irq_control, label::X86_IRQ_ISSUE_IRQ_HANDLER_IOAPIC)
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
        Invocation::new(irq_control, label::X86_IRQ_ISSUE_IRQ_HANDLER_MSI)
            .cap(dest.cnode)
            .mr(dest.index)
            .mr(depth(dest.depth))
            .mr(source.bus)
            .mr(source.dev)
            .mr(source.func)
            .mr(source.handle)
            .mr(irq)
    }
}

/// aarch64 invocations (paging, cache maintenance, ASIDs, VCPUs, interrupts) and the register
/// block; [`crate::aarch64::Invoker`] performs them.
pub mod aarch64 {
    use super::{depth, CNodeSlot, Invocation};
    use crate::label::aarch64 as label;
    use crate::{CPtr, CapRights, Word};

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
        Invocation::new(frame, label::ARM_PAGE_MAP)
            .cap(vspace)
            .mr(vaddr)
            .mr(rights.0)
            .mr(attrs.0)
    }

    /// `ARM_Page_Unmap`.
    pub fn page_unmap(frame: CPtr) -> Invocation {
        Invocation::new(frame, label::ARM_PAGE_UNMAP)
    }

    /// `ARM_Page_Clean_Data`: clean the data cache to the point of coherency for bytes
    /// `start..end` of the frame, so writes through a cached mapping reach memory (and
    /// uncached mappings of the same frame). The frame cap must be mapped.
    pub fn page_clean_data(frame: CPtr, start: Word, end: Word) -> Invocation {
        Invocation::new(frame, label::ARM_PAGE_CLEAN_DATA)
            .mr(start)
            .mr(end)
    }

    /// `ARM_Page_Unify_Instruction`: clean the data cache to the point of unification and
    /// invalidate the instruction cache for bytes `start..end` of the frame, so code written
    /// through a data mapping is what instruction fetches see. The frame cap must be mapped.
    pub fn page_unify_instruction(frame: CPtr, start: Word, end: Word) -> Invocation {
        Invocation::new(frame, label::ARM_PAGE_UNIFY_INSTRUCTION)
            .mr(start)
            .mr(end)
    }

    /// `ARM_Page_GetAddress`: the reply's register 0 is the frame's physical address.
    pub fn page_get_address(frame: CPtr) -> Invocation {
        Invocation::new(frame, label::ARM_PAGE_GET_ADDRESS)
    }

    /// `ARM_PageTable_Map`: install the next-level table covering `vaddr`.
    pub fn page_table_map(pt: CPtr, vspace: CPtr, vaddr: Word, attrs: VmAttributes) -> Invocation {
        Invocation::new(pt, label::ARM_PAGE_TABLE_MAP)
            .cap(vspace)
            .mr(vaddr)
            .mr(attrs.0)
    }

    /// `ARM_ASIDPool_Assign`: give `vspace` an ASID (VMID in hypervisor mode) from the pool.
    pub fn asid_pool_assign(pool: CPtr, vspace: CPtr) -> Invocation {
        Invocation::new(pool, label::ARM_ASID_POOL_ASSIGN).cap(vspace)
    }

    /// `ARM_ASIDControl_MakePool`: turn a 4 KiB untyped into an ASID pool at `dest`.
    pub fn asid_control_make_pool(
        asid_control: CPtr,
        untyped: CPtr,
        dest: CNodeSlot,
    ) -> Invocation {
        Invocation::new(asid_control, label::ARM_ASID_CONTROL_MAKE_POOL)
            .cap(untyped)
            .cap(dest.cnode)
            .mr(dest.index)
            .mr(depth(dest.depth))
    }

    /// `ARM_VCPU_SetTCB`: bind a VCPU to a thread.
    pub fn vcpu_set_tcb(vcpu: CPtr, tcb: CPtr) -> Invocation {
        Invocation::new(vcpu, label::ARM_VCPU_SET_TCB).cap(tcb)
    }

    /// `IRQControl_GetTrigger`: a handler for interrupt `irq` (`edge`: edge- rather than
    /// level-triggered), placed at `dest`.
    pub fn irq_control_get_trigger(
        irq_control: CPtr,
        irq: Word,
        edge: bool,
        dest: CNodeSlot,
    ) -> Invocation {
        Invocation::new(irq_control, label::ARM_IRQ_ISSUE_IRQ_HANDLER_TRIGGER)
            .cap(dest.cnode)
            .mr(irq)
            .mr(edge as Word)
            .mr(dest.index)
            .mr(depth(dest.depth))
    }
}
