//! The initializer's [`Kernel`] trait on real seL4, one `sysinit-sel4` invocation per operation.
//!
//! The invocations that differ between x86_64 and aarch64 (paging, ASIDs,
//! registers, interrupts, I/O ports) come from [`crate::arch`]; the generic ones
//! (retype, CNode, TCB, IRQ handler) are built here.
//!
//! Frame fills go through a window in the root task's own address space. For
//! 4 KiB frames it is a scratch page: a page-aligned static of the root task's
//! image, unmapped once at start so its virtual address is free and its page
//! table stays. 2 MiB and 1 GiB frames use fixed aligned addresses whose entry
//! is free but whose table exists: [`LARGE_WINDOW`] in the table one level up
//! from the image's page table (x86 page directory, aarch64 level-2 table),
//! [`HUGE_WINDOW`] in the table above that (PDPT, level-1 table). Both arches
//! have four levels of 512 entries, so the same addresses work on both.
//! A fill maps the target frame's own cap at the window, writes, does the
//! architecture's cache maintenance and unmaps it: fills come before any mapping,
//! and an unmapped cap can be mapped again, where the spec says.

use core::fmt;
use core::ptr::NonNull;

use sysinit_initializer::{CapData, Kernel, Slot, ThreadStart};
use sysinit_kobj::{BootUntyped, ObjectType};
use sysinit_sel4::bootinfo::initial_cap;
use sysinit_sel4::invocation::{self, CNodeSlot, RetypeDest};
use sysinit_sel4::object_type::object_type_number;
use sysinit_sel4::{BootInfo, CNodeCapData, CapRights, Invocation, InvocationError, IpcBuffer};
use sysinit_spec::{IrqSource, Rights};

use crate::arch::sys::{Invoker, Reply};
use crate::arch::{self, ARCH};

const PAGE: usize = 4096;

/// Where 2 MiB frames are mapped to be filled: 512 MiB, 2 MiB aligned, in the first
/// GiB whose table (x86 page directory, aarch64 level 2) the kernel made for the image
/// (which ends far below).
pub const LARGE_WINDOW: u64 = 0x2000_0000;

/// Where 1 GiB frames are mapped to be filled: 256 GiB, 1 GiB aligned, under the
/// table (x86 PDPT, aarch64 level 1) that covers the image's first 512 GiB.
pub const HUGE_WINDOW: u64 = 0x40_0000_0000;

/// The page whose virtual address frame fills borrow.
#[repr(C, align(4096))]
struct ScratchPage([u8; PAGE]);

static mut SCRATCH: ScratchPage = ScratchPage([0; PAGE]);

/// Why a kernel operation failed.
#[derive(Debug)]
pub enum KernelError {
    /// The kernel refused an invocation.
    Invocation {
        /// What the root task was doing.
        doing: &'static str,
        /// The invocation and the kernel's answer.
        error: InvocationError,
    },
    /// A fill of a frame of a size the root task has no window for.
    UnfillableFrame {
        /// Frame slot.
        frame: Slot,
        /// Its size.
        size_bits: u8,
    },
    /// A fill that runs past the end of its frame.
    FillOutOfRange {
        /// Frame slot.
        frame: Slot,
        /// Offset of the write.
        offset: u64,
        /// Bytes written.
        len: usize,
    },
    /// A paging level that this architecture has no table for.
    BadTableLevel {
        /// The level asked for.
        level: u8,
    },
    /// A CNode guard that does not fit the cap data word.
    BadGuard {
        /// Guard value.
        guard: u64,
        /// Guard width.
        guard_size: u8,
    },
    /// An object type with no number on this architecture.
    NoSuchType {
        /// The type.
        ty: ObjectType,
    },
    /// An interrupt kind that this architecture does not have.
    UnsupportedIrq {
        /// The kind, as the spec gives it.
        kind: &'static str,
    },
    /// I/O ports asked for on an architecture without them (aarch64).
    #[cfg_attr(target_arch = "x86_64", allow(dead_code))]
    NoIoPorts {
        /// First port.
        first: u16,
        /// Last port.
        last: u16,
    },
    /// The root task could not find its own scratch page among its image frames.
    ScratchNotFound {
        /// The scratch page's virtual address.
        vaddr: u64,
        /// Start of the image as the root task read it from its program headers.
        image_start: u64,
        /// Number of image frame caps the kernel reported.
        frames: u64,
    },
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelError::Invocation { doing, error } => write!(f, "{doing}: {error}"),
            KernelError::UnfillableFrame { frame, size_bits } => write!(
                f,
                "cannot fill the frame in slot {frame:#x}: it is 2^{size_bits} bytes and the root \
                 task can only map 4 KiB, 2 MiB and 1 GiB frames to write them"
            ),
            KernelError::FillOutOfRange { frame, offset, len } => write!(
                f,
                "fill of {len} bytes at offset {offset:#x} runs past the end of the frame in slot {frame:#x}"
            ),
            KernelError::BadTableLevel { level } => write!(
                f,
                "paging level {level} has no {ARCH} table (valid: {})",
                arch::TABLE_LEVELS
            ),
            KernelError::BadGuard { guard, guard_size } => write!(
                f,
                "CNode guard {guard:#x} of {guard_size} bits does not fit seL4's cap data (at most 58 bits of guard, 6 bits of size)"
            ),
            KernelError::NoSuchType { ty } => write!(f, "object type {ty} does not exist on {ARCH}"),
            KernelError::UnsupportedIrq { kind } => {
                write!(f, "{kind} interrupts cannot be issued on {ARCH}")
            }
            KernelError::NoIoPorts { first, last } => write!(
                f,
                "I/O ports {first:#x}..={last:#x} cannot be issued: I/O ports exist only on x86_64 \
                 and this root task runs on {ARCH}"
            ),
            KernelError::ScratchNotFound { vaddr, image_start, frames } => write!(
                f,
                "the scratch page at {vaddr:#x} is not among the {frames} image frames from {image_start:#x}"
            ),
        }
    }
}

/// seL4 through the root task's IPC buffer.
pub struct Sel4Kernel<'a> {
    invoker: Invoker,
    scratch_vaddr: u64,
    /// The boot untypeds, to tell RAM from device frames when the architecture maps
    /// fills of the two differently ([`arch::FILL_BY_MEMORY_KIND`]).
    untypeds: &'a [BootUntyped],
    /// Invocations made (for the boot summary).
    pub invocations: u64,
}

fn root(slot: Slot) -> CNodeSlot {
    CNodeSlot {
        cnode: initial_cap::INIT_THREAD_CNODE,
        index: slot,
        depth: 64,
    }
}

fn cap_rights(r: Rights) -> CapRights {
    CapRights::new(r.grant_reply, r.grant, r.read, r.write)
}

fn cap_data(data: CapData) -> Result<u64, KernelError> {
    match data {
        CapData::None => Ok(0),
        CapData::Badge(b) => Ok(b),
        CapData::Guard { guard, guard_size } => CNodeCapData::new(guard, guard_size)
            .map(|d| d.0)
            .ok_or(KernelError::BadGuard { guard, guard_size }),
    }
}

extern "C" {
    /// The ELF header, mapped at the start of the first load segment (defined by the linker).
    static __ehdr_start: u8;
}

/// Lowest virtual address of the image's load segments, page aligned: where the kernel
/// started the `userImageFrames` caps.
fn image_start() -> u64 {
    // SAFETY: the linker defines `__ehdr_start` at the mapped ELF header; the
    // fields read are inside its 64 bytes and the program header table it
    // points to, which lld places in the same first segment.
    unsafe {
        let ehdr = core::ptr::addr_of!(__ehdr_start);
        let phoff = ehdr.add(32).cast::<u64>().read_unaligned() as usize;
        let phentsize = ehdr.add(54).cast::<u16>().read_unaligned() as usize;
        let phnum = ehdr.add(56).cast::<u16>().read_unaligned() as usize;
        let mut lowest = u64::MAX;
        for i in 0..phnum {
            let ph = ehdr.add(phoff + i * phentsize);
            const PT_LOAD: u32 = 1;
            if ph.cast::<u32>().read_unaligned() == PT_LOAD {
                lowest = lowest.min(ph.add(16).cast::<u64>().read_unaligned());
            }
        }
        lowest & !(PAGE as u64 - 1)
    }
}

impl<'a> Sel4Kernel<'a> {
    /// Sets up the kernel interface and frees the scratch page's address.
    ///
    /// # Safety
    /// `bi` must be the boot info the kernel passed to this (the only) thread,
    /// and no other `Invoker` may use its IPC buffer.
    pub unsafe fn new(
        bi: &BootInfo,
        untypeds: &'a [BootUntyped],
    ) -> Result<Sel4Kernel<'a>, KernelError> {
        let ipc =
            NonNull::new(bi.ipc_buffer as *mut IpcBuffer).expect("the kernel maps an IPC buffer");
        // SAFETY: forwarded to the caller.
        let invoker = unsafe { Invoker::new(ipc) };
        let scratch_vaddr = core::ptr::addr_of!(SCRATCH) as u64;
        let start = image_start();
        let index = scratch_vaddr.wrapping_sub(start) / PAGE as u64;
        let own = bi.user_image_frames.start + index;
        if scratch_vaddr < start || !bi.user_image_frames.contains(own) {
            return Err(KernelError::ScratchNotFound {
                vaddr: scratch_vaddr,
                image_start: start,
                frames: bi.user_image_frames.len(),
            });
        }
        let mut k = Sel4Kernel {
            invoker,
            scratch_vaddr,
            untypeds,
            invocations: 0,
        };
        k.call(
            "unmapping the root task's scratch page",
            arch::page_unmap(own),
        )?;
        Ok(k)
    }

    fn call(&mut self, doing: &'static str, inv: Invocation) -> Result<Reply, KernelError> {
        self.invocations += 1;
        self.invoker
            .invoke(&inv)
            .map_err(|error| KernelError::Invocation { doing, error })
    }

    /// Suspends the calling thread (the root task) for good.
    pub fn suspend_self(&mut self) {
        let _ = self.call(
            "suspending the root task",
            invocation::tcb_suspend(initial_cap::INIT_THREAD_TCB),
        );
    }
}

impl Kernel for Sel4Kernel<'_> {
    type Error = KernelError;

    fn untyped_retype(
        &mut self,
        src: Slot,
        ty: ObjectType,
        size_arg: u8,
        dest: Slot,
        count: u32,
    ) -> Result<(), KernelError> {
        let number = object_type_number(ARCH, ty).ok_or(KernelError::NoSuchType { ty })?;
        let dest = RetypeDest {
            root: initial_cap::INIT_THREAD_CNODE,
            node_index: 0,
            node_depth: 0,
            node_offset: dest,
        };
        let inv =
            invocation::untyped_retype(src, number, u64::from(size_arg), dest, u64::from(count));
        self.call("Untyped_Retype", inv).map(drop)
    }

    fn frame_paddr(&mut self, frame: Slot) -> Result<u64, KernelError> {
        self.call(
            "reading back a frame address",
            arch::page_get_address(frame),
        )
        .map(|r| r.mrs[0])
    }

    fn cnode_mint(
        &mut self,
        cnode: Slot,
        index: u64,
        depth: u8,
        src: Slot,
        rights: Rights,
        data: CapData,
    ) -> Result<(), KernelError> {
        let dest = if cnode == self.root_cnode() {
            root(index)
        } else {
            CNodeSlot {
                cnode,
                index,
                depth,
            }
        };
        let inv = invocation::cnode_mint(dest, root(src), cap_rights(rights), cap_data(data)?);
        self.call("CNode_Mint", inv).map(drop)
    }

    fn root_cnode(&self) -> Slot {
        initial_cap::INIT_THREAD_CNODE
    }

    fn asid_assign(&mut self, vspace: Slot) -> Result<(), KernelError> {
        let inv = arch::asid_pool_assign(initial_cap::INIT_THREAD_ASID_POOL, vspace);
        self.call("ASIDPool_Assign", inv).map(drop)
    }

    fn map_table(
        &mut self,
        table: Slot,
        level: u8,
        vspace: Slot,
        vaddr: u64,
    ) -> Result<(), KernelError> {
        let inv = arch::table_map(table, level, vspace, vaddr)?;
        self.call("mapping a paging structure", inv).map(drop)
    }

    fn map_frame(
        &mut self,
        frame: Slot,
        vspace: Slot,
        vaddr: u64,
        rights: Rights,
        cached: bool,
    ) -> Result<(), KernelError> {
        // Without a word on execution, a mapping is execute-never (where the arch can).
        self.map_frame_executable(frame, vspace, vaddr, rights, cached, false)
    }

    fn map_frame_executable(
        &mut self,
        frame: Slot,
        vspace: Slot,
        vaddr: u64,
        rights: Rights,
        cached: bool,
        executable: bool,
    ) -> Result<(), KernelError> {
        let inv = arch::page_map(frame, vspace, vaddr, cap_rights(rights), cached, executable);
        self.call(arch::PAGE_MAP, inv).map(drop)
    }

    fn write_frame(
        &mut self,
        frame: Slot,
        size_bits: u8,
        offset: u64,
        data: &[u8],
    ) -> Result<(), KernelError> {
        let window = match size_bits {
            12 => self.scratch_vaddr,
            21 => LARGE_WINDOW,
            30 => HUGE_WINDOW,
            _ => return Err(KernelError::UnfillableFrame { frame, size_bits }),
        };
        let fits = offset
            .checked_add(data.len() as u64)
            .is_some_and(|end| end <= 1 << size_bits);
        if !fits {
            return Err(KernelError::FillOutOfRange {
                frame,
                offset,
                len: data.len(),
            });
        }
        // The frame's own cap is mapped into the window and unmapped again: an unmapped
        // cap can be mapped anew, so the initializer still maps it where the spec says
        // (fills come before any mapping). No cap copy, so two invocations fewer per fill.
        // Device memory is written through a device mapping and needs no cache
        // maintenance; only aarch64 tells the two apart (x86 fills write-back).
        let ram = if arch::FILL_BY_MEMORY_KIND {
            let paddr = self
                .call(
                    "reading the address of a frame to fill",
                    arch::page_get_address(frame),
                )?
                .mrs[0];
            self.untypeds
                .iter()
                .any(|u| !u.is_device && u.contains(paddr))
        } else {
            true
        };
        let map = arch::page_map(
            frame,
            initial_cap::INIT_THREAD_VSPACE,
            window,
            CapRights::READ_WRITE,
            ram,
            false,
        );
        self.call("mapping a frame into the root task to fill it", map)?;
        // SAFETY: the window now maps the target frame, writable, and nothing
        // else refers to it; `offset + len` <= the frame's size was checked. The
        // syscalls around this are compiler barriers (their asm may touch memory).
        unsafe {
            let dst = (window as *mut u8).add(offset as usize);
            core::ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len());
        }
        if ram {
            let end = offset + data.len() as u64;
            for (doing, inv) in arch::after_fill(frame, offset, end).into_iter().flatten() {
                self.call(doing, inv)?;
            }
        }
        self.call("unmapping a filled frame", arch::page_unmap(frame))
            .map(drop)
    }

    fn tcb_configure(
        &mut self,
        tcb: Slot,
        fault_ep: u64,
        cspace: Slot,
        cspace_data: CapData,
        vspace: Slot,
        ipc_buffer_vaddr: u64,
        ipc_buffer: Option<Slot>,
    ) -> Result<(), KernelError> {
        let data = CNodeCapData(cap_data(cspace_data)?);
        let inv = invocation::tcb_configure(
            tcb,
            fault_ep,
            cspace,
            data,
            vspace,
            ipc_buffer_vaddr,
            ipc_buffer.unwrap_or(initial_cap::NULL),
        );
        self.call("TCB_Configure", inv).map(drop)
    }

    fn tcb_set_sched_params(
        &mut self,
        tcb: Slot,
        max_priority: u8,
        priority: u8,
    ) -> Result<(), KernelError> {
        let inv = invocation::tcb_set_sched_params(
            tcb,
            initial_cap::INIT_THREAD_TCB,
            u64::from(max_priority),
            u64::from(priority),
        );
        self.call("TCB_SetSchedParams", inv).map(drop)
    }

    fn tcb_write_registers(
        &mut self,
        tcb: Slot,
        start: ThreadStart<'_>,
    ) -> Result<(), KernelError> {
        self.call("TCB_WriteRegisters", arch::tcb_write_registers(tcb, start))
            .map(drop)
    }

    fn tcb_bind_notification(&mut self, tcb: Slot, ntfn: Slot) -> Result<(), KernelError> {
        self.call(
            "TCB_BindNotification",
            invocation::tcb_bind_notification(tcb, ntfn),
        )
        .map(drop)
    }

    fn vcpu_set_tcb(&mut self, vcpu: Slot, tcb: Slot) -> Result<(), KernelError> {
        let inv = arch::vcpu_set_tcb(vcpu, tcb)?;
        self.call("VCPU_SetTCB", inv).map(drop)
    }

    fn tcb_resume(&mut self, tcb: Slot) -> Result<(), KernelError> {
        self.call("TCB_Resume", invocation::tcb_resume(tcb))
            .map(drop)
    }

    fn irq_get(&mut self, irq: &IrqSource, dest: Slot) -> Result<(), KernelError> {
        let inv = arch::irq_get(initial_cap::IRQ_CONTROL, irq, root(dest))?;
        self.call("IRQControl_Get", inv).map(drop)
    }

    fn irq_set_notification(&mut self, handler: Slot, ntfn: Slot) -> Result<(), KernelError> {
        self.call(
            "IRQHandler_SetNotification",
            invocation::irq_handler_set_notification(handler, ntfn),
        )
        .map(drop)
    }

    fn ioports_issue(&mut self, first: u16, last: u16, dest: Slot) -> Result<(), KernelError> {
        let inv = arch::ioports_issue(initial_cap::IO_PORT_CONTROL, first, last, root(dest))?;
        self.call("IOPortControl_Issue", inv).map(drop)
    }
}
