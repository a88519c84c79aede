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

use crate::label::{self, Label};
use crate::{CNodeCapData, CPtr, CapRights, MessageInfo, Word, MSG_MAX_EXTRA_CAPS};

/// The number of a label every configuration numbers alike, checked at build time.
macro_rules! common {
    ($label:ident) => {
        const { label::common(Label::$label) }
    };
}

/// The number of a label in the enclosing module's `CONFIG`, checked at build time.
macro_rules! label {
    ($label:ident) => {
        const { CONFIG.label(Label::$label) }
    };
}

/// The number of a label `CONFIG` may lack (the VCPU methods, absent without hypervisor
/// support): there `InvalidInvocation` (0), which the kernel refuses with
/// `seL4_IllegalOperation`. Nothing calls them in such a build: a spec with vcpus is
/// refused for that configuration before any invocation.
macro_rules! label_if_present {
    ($label:ident) => {
        const {
            match CONFIG.number(Label::$label) {
                Some(n) => n,
                None => 0,
            }
        }
    };
}

/// The invocations both architectures have with the same arguments, differing only in
/// their labels: defined once, instantiated in each architecture's module.
macro_rules! paging_and_asids {
    ($prefix:literal, $unmap:ident, $get_address:ident, $assign:ident, $make_pool:ident) => {
        #[doc = concat!("`", $prefix, "_Page_Unmap`.")]
        pub fn page_unmap(frame: CPtr) -> Invocation {
            Invocation::new(frame, label!($unmap))
        }

        #[doc = concat!("`", $prefix, "_Page_GetAddress`: the reply's register 0 is the frame's physical address.")]
        pub fn page_get_address(frame: CPtr) -> Invocation {
            Invocation::new(frame, label!($get_address))
        }

        #[doc = concat!("`", $prefix, "_ASIDPool_Assign`: give `vspace` an ASID from the pool.")]
        pub fn asid_pool_assign(pool: CPtr, vspace: CPtr) -> Invocation {
            Invocation::new(pool, label!($assign)).cap(vspace)
        }

        #[doc = concat!("`", $prefix, "_ASIDControl_MakePool`: turn a 4 KiB untyped into an ASID pool at `dest`.")]
        pub fn asid_control_make_pool(
            asid_control: CPtr,
            untyped: CPtr,
            dest: CNodeSlot,
        ) -> Invocation {
            Invocation::new(asid_control, label!($make_pool))
                .cap(untyped)
                .cap(dest.cnode)
                .mr(dest.index)
                .mr(depth(dest.depth))
        }
    };
}

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
    Invocation::new(untyped, common!(UntypedRetype))
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
    Invocation::new(dest.cnode, common!(CNodeCopy))
        .cap(src.cnode)
        .mr(dest.index)
        .mr(depth(dest.depth))
        .mr(src.index)
        .mr(depth(src.depth))
        .mr(rights.0)
}

/// `CNode_Mint`: copy `src` to `dest` with at most `rights` and a badge (or CNode guard data).
pub fn cnode_mint(dest: CNodeSlot, src: CNodeSlot, rights: CapRights, badge: Word) -> Invocation {
    Invocation::new(dest.cnode, common!(CNodeMint))
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
    Invocation::new(dest.cnode, common!(CNodeMove))
        .cap(src.cnode)
        .mr(dest.index)
        .mr(depth(dest.depth))
        .mr(src.index)
        .mr(depth(src.depth))
}

/// `CNode_Mutate`: move `src` to `dest`, setting a badge (or CNode guard data).
pub fn cnode_mutate(dest: CNodeSlot, src: CNodeSlot, badge: Word) -> Invocation {
    Invocation::new(dest.cnode, common!(CNodeMutate))
        .cap(src.cnode)
        .mr(dest.index)
        .mr(depth(dest.depth))
        .mr(src.index)
        .mr(depth(src.depth))
        .mr(badge)
}

/// `CNode_Delete`: delete the capability in `slot`.
pub fn cnode_delete(slot: CNodeSlot) -> Invocation {
    Invocation::new(slot.cnode, common!(CNodeDelete))
        .mr(slot.index)
        .mr(depth(slot.depth))
}

/// `CNode_Revoke`: delete every capability derived from the one in `slot`.
pub fn cnode_revoke(slot: CNodeSlot) -> Invocation {
    Invocation::new(slot.cnode, common!(CNodeRevoke))
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
    Invocation::new(tcb, common!(TCBConfigure))
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
    Invocation::new(tcb, common!(TCBSetSpace))
        .cap(cspace_root)
        .cap(vspace_root)
        .mr(fault_ep)
        .mr(cspace_root_data.0)
        .mr(0)
}

/// `TCB_SetIPCBuffer`: the thread's IPC buffer address and the frame backing it.
pub fn tcb_set_ipc_buffer(tcb: CPtr, ipc_buffer_addr: Word, ipc_buffer_frame: CPtr) -> Invocation {
    Invocation::new(tcb, common!(TCBSetIPCBuffer))
        .cap(ipc_buffer_frame)
        .mr(ipc_buffer_addr)
}

/// `TCB_SetPriority`: `authority`'s maximum controlled priority bounds `priority`.
pub fn tcb_set_priority(tcb: CPtr, authority: CPtr, priority: Word) -> Invocation {
    Invocation::new(tcb, common!(TCBSetPriority))
        .cap(authority)
        .mr(priority)
}

/// `TCB_SetMCPriority`: the highest priority the thread may give to threads (itself included).
pub fn tcb_set_mc_priority(tcb: CPtr, authority: CPtr, mcp: Word) -> Invocation {
    Invocation::new(tcb, common!(TCBSetMCPriority))
        .cap(authority)
        .mr(mcp)
}

/// `TCB_SetSchedParams` (non-MCS): maximum controlled priority and priority in one call.
pub fn tcb_set_sched_params(tcb: CPtr, authority: CPtr, mcp: Word, priority: Word) -> Invocation {
    Invocation::new(tcb, common!(TCBSetSchedParams))
        .cap(authority)
        .mr(mcp)
        .mr(priority)
}

/// `TCB_Resume`: make the thread runnable.
pub fn tcb_resume(tcb: CPtr) -> Invocation {
    Invocation::new(tcb, common!(TCBResume))
}

/// `TCB_Suspend`: stop the thread.
pub fn tcb_suspend(tcb: CPtr) -> Invocation {
    Invocation::new(tcb, common!(TCBSuspend))
}

/// `TCB_BindNotification`: deliver `notification`'s signals to the thread's receives.
pub fn tcb_bind_notification(tcb: CPtr, notification: CPtr) -> Invocation {
    Invocation::new(tcb, common!(TCBBindNotification)).cap(notification)
}

/// `TCB_SetTLSBase`: the thread's TLS register (FS base on x86_64, `TPIDR_EL0` on aarch64).
pub fn tcb_set_tls_base(tcb: CPtr, tls_base: Word) -> Invocation {
    Invocation::new(tcb, common!(TCBSetTLSBase)).mr(tls_base)
}

/// `TCB_ReadRegisters`: the thread's first `count` user registers, in the order of the
/// architecture's register block; `suspend` also stops the thread. The reply carries
/// them as its message registers (the first four in machine registers, the rest in
/// the IPC buffer).
pub fn tcb_read_registers(tcb: CPtr, suspend: bool, count: Word) -> Invocation {
    Invocation::new(tcb, common!(TCBReadRegisters))
        .mr(suspend as Word)
        .mr(count)
}

/// `TCB_WriteRegisters` with an architecture's register block already flattened.
///
/// Register 0 packs `resume` (bit 0) and the arch flags (bits 15..8, unused
/// on our architectures); register 1 is the number of registers written.
fn tcb_write_registers(tcb: CPtr, resume: bool, regs: &[Word]) -> Invocation {
    let mut inv = Invocation::new(tcb, common!(TCBWriteRegisters))
        .mr(resume as Word)
        .mr(regs.len() as Word);
    for &r in regs {
        inv = inv.mr(r);
    }
    inv
}

/// `IRQHandler_SetNotification`: signal `notification` when the interrupt fires.
pub fn irq_handler_set_notification(handler: CPtr, notification: CPtr) -> Invocation {
    Invocation::new(handler, common!(IRQSetIRQHandler)).cap(notification)
}

/// `IRQHandler_Ack`: let the interrupt fire again.
pub fn irq_handler_ack(handler: CPtr) -> Invocation {
    Invocation::new(handler, common!(IRQAckIRQ))
}

/// `IRQHandler_Clear`: stop signalling the notification.
pub fn irq_handler_clear(handler: CPtr) -> Invocation {
    Invocation::new(handler, common!(IRQClearIRQHandler))
}

/// `IRQControl_Get`: a handler capability for platform interrupt `irq`, placed at `dest`.
pub fn irq_control_get(irq_control: CPtr, irq: Word, dest: CNodeSlot) -> Invocation {
    Invocation::new(irq_control, common!(IRQIssueIRQHandler))
        .cap(dest.cnode)
        .mr(irq)
        .mr(dest.index)
        .mr(depth(dest.depth))
}

/// `DomainSet_Set`: move `tcb` to scheduling domain `domain`.
pub fn domain_set_set(domain_cap: CPtr, domain: u8, tcb: CPtr) -> Invocation {
    Invocation::new(domain_cap, common!(DomainSetSet))
        .cap(tcb)
        .mr(domain as Word)
}

pub mod x86_64;

pub mod aarch64;
