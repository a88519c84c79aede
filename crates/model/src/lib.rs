//! A host model of the seL4 kernel's untyped memory semantics and boot-time untyped list.
//!
//! This crate is the oracle the untyped planner is tested against and the machine
//! the simulated boot runs on, so it follows the kernel's rules to the letter,
//! including the ones that surprise:
//!
//! - **Boot untyped list** ([`boot_untypeds`]): device gaps between the reserved
//!   ranges, the device region up to `CONFIG_PADDR_USER_DEVICE_TOP`, the reclaimed
//!   boot image, then free RAM, each cut into chunks that are size-aligned in
//!   *kernel-virtual* space. On x86_64 the device region's kernel VAs wrap past
//!   2^64, so a device untyped may be aligned there but not physically. Untypeds
//!   beyond the BootInfo capacity are dropped and counted.
//! - **Untyped_Retype** ([`KernelModel::retype`]): the argument checks in the
//!   order of `decodeUntypedInvocation` with the kernel's error codes and data;
//!   the capacity check on free bytes before alignment; placement at the watermark
//!   rounded up in kernel-virtual space; the watermark (`capFreeIndex`) in 16-byte
//!   units; the reset of an untyped with no live children back to its base;
//!   device untypeds that hold only frames and untypeds.
//! - **Capability tree**: each cap knows its parent untyped and each untyped how
//!   many live children it has, which is all a reset needs.
//!
//! - **Everything else the initializer does** (module `objects`, one submodule per kind of object): CNode contents and
//!   `CNode_Mint` with `deriveCap`'s rules, ASID assignment, page-table and frame
//!   mapping per architecture, frame contents, TCB configuration, priorities,
//!   notification and VCPU binding, resume, IRQ handlers and I/O port ranges, each
//!   refused with the seL4 error code the kernel returns ([`InvocationError`]).
//!
//! Not modelled: revoke (only leaf caps can be deleted), moves of caps, the MDB's
//! ordering beyond parent and child counts, multi-level lookups from the root
//! (the root cspace is one flat CNode; minted copies into other CNodes are kept
//! but not resolved through), zeroing, unmapping, scheduling after resume,
//! preemption during reset, and the caps seL4 puts in the root CNode at boot other than
//! the untypeds (`sysinit_kobj::RootCNodeAtBoot` counts them; the simulator leaves
//! their slots empty).
#![forbid(unsafe_code)]

mod boot;
mod cap;
mod error;
mod kernel;
mod objects;

pub use boot::{boot_untypeds, untypeds_for_region, validate_boot_memory, BootUntypedList};
pub use cap::{Cap, CapRights, IoPortsCap, IrqHandlerCap, MappedAt, ObjectCap, UntypedCap};
pub use error::{
    ArgumentProblem, BootMemoryError, InvocationError, MemoryList, ModelError, RangeChecked,
    RetypeError, Sel4Error,
};
pub use kernel::{check_boot_untypeds, KernelModel, Retyped};
pub use objects::{
    entry_span_bits, vm_rights, Entry, IrqTarget, MintData, MintDest, ObjectState, TcbState,
    ROOT_TASK_MCP,
};
/// Boot memory is shared vocabulary (the boards describe it, the model turns it into
/// untypeds): it lives in kobj and is re-exported here.
pub use sysinit_kobj::BootMemory;
