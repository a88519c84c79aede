//! The kernel operations the initializer needs, by capability slot in the root task's CNode.
//!
//! Implemented by the root task on real seL4 (`sysinit-sel4` invocations) and by
//! the simulator on the host kernel model, so both run the same initializer.
//! Slots (`Slot`) are indices into the root task's CNode, usable as CPtrs at
//! depth 64. Every method is one kernel invocation unless it says otherwise;
//! [`crate::initialize`] counts one per successful method call either way
//! (`write_frame` included), so the summary's count is the same on seL4 and on
//! the model.

use core::fmt;
use sysinit_kobj::ObjectType;
use sysinit_spec::{IrqSource, Rights};

/// A slot of the root task's CNode.
pub type Slot = u64;

/// What `CNode_Mint` puts in the new cap's data word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapData {
    /// Nothing: a plain copy with the given rights.
    None,
    /// An endpoint or notification badge.
    Badge(u64),
    /// A CNode guard: `guard_size` bits with value `guard`.
    Guard {
        /// Guard value.
        guard: u64,
        /// Guard width in bits.
        guard_size: u8,
    },
}

/// How a new thread starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadStart<'a> {
    /// Instruction pointer.
    pub pc: u64,
    /// Stack pointer.
    pub sp: u64,
    /// Argument registers, at most four.
    pub args: &'a [u64],
}

/// The kernel as the initializer uses it.
pub trait Kernel {
    /// A kernel error, printable with the invocation that failed.
    type Error: fmt::Display + fmt::Debug;

    /// `Untyped_Retype(src, ty, size_arg, root CNode, dest..dest + count)`.
    fn untyped_retype(
        &mut self,
        src: Slot,
        ty: ObjectType,
        size_arg: u8,
        dest: Slot,
        count: u32,
    ) -> Result<(), Self::Error>;

    /// The physical address of the frame in `frame` (`Page_GetAddress`).
    fn frame_paddr(&mut self, frame: Slot) -> Result<u64, Self::Error>;

    /// `CNode_Mint`: a copy of the cap in root slot `src`, with `rights` and `data`, placed
    /// in slot `index` of the CNode whose cap is in root slot `cnode` (looked up at depth
    /// `depth`, the CNode's radix). With `cnode` equal to [`Kernel::root_cnode`] the copy
    /// goes into the root CNode itself (depth 64).
    fn cnode_mint(
        &mut self,
        cnode: Slot,
        index: u64,
        depth: u8,
        src: Slot,
        rights: Rights,
        data: CapData,
    ) -> Result<(), Self::Error>;

    /// The slot of the root task's own CNode cap (`seL4_CapInitThreadCNode`).
    fn root_cnode(&self) -> Slot;

    /// Assigns the VSpace in `vspace` an ASID from the root task's ASID pool.
    fn asid_assign(&mut self, vspace: Slot) -> Result<(), Self::Error>;

    /// Maps the paging structure in `table` (level 1..=3 of the spec's numbering) into
    /// `vspace` so that it translates addresses from `vaddr`.
    fn map_table(
        &mut self,
        table: Slot,
        level: u8,
        vspace: Slot,
        vaddr: u64,
    ) -> Result<(), Self::Error>;

    /// Maps the frame in `frame` into `vspace` at `vaddr` with `rights`, cached or not
    /// (device memory is mapped uncached). A frame cap maps once: map copies for more.
    fn map_frame(
        &mut self,
        frame: Slot,
        vspace: Slot,
        vaddr: u64,
        rights: Rights,
        cached: bool,
    ) -> Result<(), Self::Error>;

    /// [`Kernel::map_frame`], execute-never unless `executable`. Only aarch64 can keep
    /// a mapping from being executed (`seL4_ARM_ExecuteNever`); seL4 on x86_64 never
    /// sets XD, so there every mapping is executable. The default ignores `executable`,
    /// for kernels that do not model instruction fetches (the host kernel model).
    fn map_frame_executable(
        &mut self,
        frame: Slot,
        vspace: Slot,
        vaddr: u64,
        rights: Rights,
        cached: bool,
        executable: bool,
    ) -> Result<(), Self::Error> {
        let _ = executable;
        self.map_frame(frame, vspace, vaddr, rights, cached)
    }

    /// Writes `data` at `offset` into the frame in `frame` (of 2^`size_bits` bytes). May take
    /// several invocations (the root task maps the frame into its own address space).
    fn write_frame(
        &mut self,
        frame: Slot,
        size_bits: u8,
        offset: u64,
        data: &[u8],
    ) -> Result<(), Self::Error>;

    /// `TCB_Configure` without a fault endpoint change beyond `fault_ep`: the thread's
    /// CSpace root (the CNode cap in `cspace`, with `cspace_data` as its guard), VSpace,
    /// and IPC buffer (frame `ipc_buffer` mapped at `ipc_buffer_vaddr`, or none).
    #[allow(clippy::too_many_arguments)]
    fn tcb_configure(
        &mut self,
        tcb: Slot,
        fault_ep: u64,
        cspace: Slot,
        cspace_data: CapData,
        vspace: Slot,
        ipc_buffer_vaddr: u64,
        ipc_buffer: Option<Slot>,
    ) -> Result<(), Self::Error>;

    /// Sets maximum controlled priority and priority, with the root task's authority.
    fn tcb_set_sched_params(
        &mut self,
        tcb: Slot,
        max_priority: u8,
        priority: u8,
    ) -> Result<(), Self::Error>;

    /// Sets the initial registers (without resuming).
    fn tcb_write_registers(&mut self, tcb: Slot, start: ThreadStart<'_>)
        -> Result<(), Self::Error>;

    /// Binds the notification in `ntfn` to the thread.
    fn tcb_bind_notification(&mut self, tcb: Slot, ntfn: Slot) -> Result<(), Self::Error>;

    /// Binds the VCPU in `vcpu` to the thread (aarch64).
    fn vcpu_set_tcb(&mut self, vcpu: Slot, tcb: Slot) -> Result<(), Self::Error>;

    /// Starts the thread.
    fn tcb_resume(&mut self, tcb: Slot) -> Result<(), Self::Error>;

    /// Gets the handler for `irq` from IRQ control into root slot `dest`.
    fn irq_get(&mut self, irq: &IrqSource, dest: Slot) -> Result<(), Self::Error>;

    /// Makes the handler in `handler` signal the notification cap in `ntfn`.
    fn irq_set_notification(&mut self, handler: Slot, ntfn: Slot) -> Result<(), Self::Error>;

    /// Issues a cap to x86 I/O ports `first..=last` into root slot `dest`.
    fn ioports_issue(&mut self, first: u16, last: u16, dest: Slot) -> Result<(), Self::Error>;
}
