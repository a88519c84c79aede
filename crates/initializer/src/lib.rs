//! Builds a system from its spec on a kernel: plans and retypes every object, proves each
//! frame's address, then sets up IRQs, frame contents, address spaces, CNodes and threads.
//!
//! [`initialize`] is the whole boot; [`execute`] is its retype phase alone.
//! The logic is generic over [`Kernel`], which the real seL4 bindings and the
//! host kernel model both implement, so the simulated boot on the host runs
//! the very code the root task runs. Every frame created is read back
//! (`Page_GetAddress`) and compared with the plan before anything maps it: a
//! frame that is not where the plan says stops the boot with the object, the
//! untyped and both addresses.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod init;
mod kernel;

pub use init::{initialize, initialize_with_blob, slots_needed, Initialized};
pub use kernel::{CapData, Kernel, Slot, ThreadStart};

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use sysinit_kobj::BootUntyped;
use sysinit_planner::{Creates, Plan, PlanError, Request, Step, UntypedRef};
use sysinit_spec::{ObjectId, Spec};
use sysinit_trace::Record;

/// The objects of `spec` that are made by retyping, as planner requests, with the spec
/// object each request stands for (IRQ handlers and I/O ports are not retyped).
pub fn requests(spec: &Spec) -> (Vec<Request<'_>>, Vec<ObjectId>) {
    let mut requests = Vec::with_capacity(spec.objects.len());
    let mut ids = Vec::with_capacity(spec.objects.len());
    for (id, named) in spec.iter() {
        if let Some(k) = named.object.kernel_object(spec.arch) {
            requests.push(Request {
                name: &named.name,
                ty: k.ty,
                size_arg: k.size_arg,
                paddr: k.paddr,
                device: k.device,
            });
            ids.push(id);
        }
    }
    (requests, ids)
}

/// Where the initializer finds the boot untypeds and puts new caps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotLayout {
    /// Slot of boot untyped 0 (bootinfo `untyped.start`).
    pub first_untyped: u64,
    /// First empty slot (bootinfo `empty.start`).
    pub first_free: u64,
    /// One past the last empty slot (bootinfo `empty.end`).
    pub end_free: u64,
}

/// Why the initializer stopped. Nothing after the failing step was attempted.
#[derive(Debug, PartialEq, Eq)]
pub enum InitError<E> {
    /// The plan needs more empty slots than the root CNode has.
    OutOfSlots {
        /// Slots the plan needs.
        needed: u64,
        /// Empty slots available.
        available: u64,
    },
    /// The kernel refused a retype.
    Retype {
        /// Step number.
        step: u32,
        /// The step.
        detail: Step,
        /// Slot of the untyped invoked.
        src_slot: u64,
        /// What the kernel said.
        error: E,
    },
    /// A frame is not at its planned physical address.
    FrameMisplaced {
        /// Step number.
        step: u32,
        /// The object's planner request index.
        object: u32,
        /// The object's name in the spec.
        name: String,
        /// Untyped it came from.
        source: UntypedRef,
        /// Where the plan put it.
        planned: u64,
        /// Where the kernel put it.
        actual: u64,
    },
    /// Reading back a frame's address failed.
    ReadBack {
        /// Step number.
        step: u32,
        /// Frame slot.
        slot: u64,
        /// The frame's name in the spec.
        name: String,
        /// What the kernel said.
        error: E,
    },
    /// The planner found no placement for the spec's objects.
    Plan(PlanError),
    /// The spec asks for an ASID pool, which the initializer does not make.
    AsidPoolInSpec {
        /// The ASID pool object.
        object: String,
    },
    /// A thread asks for a CPU other than 0; the initializer sets no affinity (the
    /// kernels it runs on are single-core), so the thread would run on CPU 0 instead.
    AffinityUnsupported {
        /// The TCB object.
        object: String,
        /// The CPU it asks for.
        affinity: u32,
    },
    /// A kernel invocation after the retypes failed.
    Invocation {
        /// The spec object being set up.
        object: String,
        /// The invocation.
        op: &'static str,
        /// What the kernel said.
        error: E,
    },
    /// A spec object refers to something that has no cap (only for unvalidated specs).
    Unresolved {
        /// The object holding the reference.
        object: String,
        /// What it refers to.
        target: String,
    },
}

impl<E: fmt::Display> fmt::Display for InitError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::OutOfSlots { needed, available } => write!(
                f,
                "the plan needs {needed} capability slots but the root CNode has {available} empty; \
                 build the kernel with a larger KernelRootCNodeSizeBits"
            ),
            InitError::Retype { step, detail, src_slot, error } => write!(
                f,
                "retype step {step} failed: {} x {} (size_arg {}) from {} (slot {src_slot}) planned at {:#x}: {error}",
                detail.count,
                detail.ty,
                detail.size_arg,
                UntypedName(detail.source),
                detail.paddr
            ),
            InitError::FrameMisplaced { step, name, source, planned, actual, .. } => write!(
                f,
                "frame \"{name}\" from {} (step {step}) is at physical address {actual:#x}, \
                 but the plan put it at {planned:#x}; refusing to map it",
                UntypedName(*source)
            ),
            InitError::ReadBack { step, slot, name, error } => write!(
                f,
                "reading back the address of frame \"{name}\" (slot {slot}, step {step}) failed: {error}"
            ),
            InitError::Plan(error) => {
                write!(f, "no allocation plan, nothing was created: {error}")
            }
            InitError::AsidPoolInSpec { object } => write!(
                f,
                "\"{object}\" is an ASID pool; sysinit assigns every VSpace an ASID from the root \
                 task's own pool and creates no pools, so remove it from the spec"
            ),
            InitError::AffinityUnsupported { object, affinity } => write!(
                f,
                "\"{object}\" asks for CPU {affinity}; sysinit starts every thread on CPU 0 \
                 (it supports single-core kernels only), so give it affinity 0"
            ),
            InitError::Invocation { object, op, error } => {
                write!(f, "setting up \"{object}\" ({op}): {error}")
            }
            InitError::Unresolved { object, target } => write!(
                f,
                "\"{object}\" refers to {target}, which has no capability; validate the spec first"
            ),
        }
    }
}

impl<E: fmt::Display + fmt::Debug> core::error::Error for InitError<E> {}

/// What the root task prints after `SYSINIT error: ` when [`initialize`] fails on `spec`:
/// the error and, for a refused plan, the machine the spec was built for, the likeliest
/// cause of a fixed address that is not where the spec expects it.
pub fn failure_text<E: fmt::Display>(error: &InitError<E>, spec: &Spec) -> String {
    use core::fmt::Write;
    let mut text = String::new();
    let _ = write!(text, "{error}");
    if let (InitError::Plan(_), Some(machine)) = (error, &spec.machine) {
        let _ = write!(
            text,
            " (this image was built for {} with {} of RAM)",
            machine.board,
            RamSize(machine.ram_bytes)
        );
    }
    text
}

/// A RAM size in MiB when it is whole MiB (as QEMU's `-m` takes it), else in bytes.
struct RamSize(u64);

impl fmt::Display for RamSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(1 << 20) {
            write!(f, "{} MiB", self.0 >> 20)
        } else {
            write!(f, "{} bytes", self.0)
        }
    }
}

struct UntypedName(UntypedRef);

impl fmt::Display for UntypedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            UntypedRef::Boot(i) => write!(f, "boot untyped {i}"),
            UntypedRef::Derived(i) => write!(f, "derived untyped {i}"),
        }
    }
}

/// What executing a plan produced: the slot of every object and untyped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Executed {
    /// Slot of each requested object, by object id.
    pub object_slots: Vec<u64>,
    /// Slot of each derived untyped.
    pub derived_slots: Vec<u64>,
    /// Kernel invocations made (retypes and read-backs).
    pub invocations: u64,
}

/// The trace records that open a trace: the header and the boot untyped list.
pub fn trace_untypeds(
    kernel: impl Into<sysinit_kobj::KernelConfig>,
    untypeds: &[BootUntyped],
    mut out: impl FnMut(&Record),
) {
    let kernel = kernel.into();
    out(&Record::Header {
        version: sysinit_trace::FORMAT_VERSION,
        arch: kernel.arch,
        hypervisor: kernel.hypervisor,
        untypeds: untypeds.len() as u32,
    });
    for (index, &untyped) in untypeds.iter().enumerate() {
        out(&Record::Untyped {
            index: index as u32,
            untyped,
        });
    }
}

/// The spec name of request `index`, for messages.
fn request_name(requests: &[Request<'_>], index: u32) -> String {
    requests.get(index as usize).map_or_else(
        || alloc::format!("request #{index}"),
        |r| String::from(r.name),
    )
}

/// Runs every retype of `plan` in order, reading back each frame's address, and emits one
/// trace record per step to `out`. `requests` are those `plan` was made for; errors
/// name objects by them.
pub fn execute<K: Kernel>(
    plan: &Plan,
    requests: &[Request<'_>],
    slots: SlotLayout,
    kernel: &mut K,
    mut out: impl FnMut(&Record),
) -> Result<Executed, InitError<K::Error>> {
    let needed: u64 = plan.steps.iter().map(|s| u64::from(s.count)).sum();
    let available = slots.end_free.saturating_sub(slots.first_free);
    if needed > available {
        return Err(InitError::OutOfSlots { needed, available });
    }
    let mut done = Executed {
        object_slots: vec![u64::MAX; plan.placements.len()],
        derived_slots: vec![u64::MAX; plan.derived.len()],
        invocations: 0,
    };
    let mut next_slot = slots.first_free;
    for (n, step) in plan.steps.iter().enumerate() {
        let n = n as u32;
        let src_slot = match step.source {
            UntypedRef::Boot(i) => slots.first_untyped + u64::from(i),
            UntypedRef::Derived(i) => done.derived_slots[i as usize],
        };
        kernel
            .untyped_retype(src_slot, step.ty, step.size_arg, next_slot, step.count)
            .map_err(|error| InitError::Retype {
                step: n,
                detail: *step,
                src_slot,
                error,
            })?;
        done.invocations += 1;
        let mut actual = None;
        match step.creates {
            Creates::Untypeds { first } => {
                for k in 0..step.count {
                    done.derived_slots[(first + k) as usize] = next_slot + u64::from(k);
                }
            }
            Creates::Objects { first } => {
                for k in 0..step.count {
                    let object = plan.object_order[(first + k) as usize];
                    let slot = next_slot + u64::from(k);
                    done.object_slots[object as usize] = slot;
                    if step.ty.is_frame() {
                        let name = || request_name(requests, object);
                        let got =
                            kernel
                                .frame_paddr(slot)
                                .map_err(|error| InitError::ReadBack {
                                    step: n,
                                    slot,
                                    name: name(),
                                    error,
                                })?;
                        done.invocations += 1;
                        let planned = step.paddr + (u64::from(k) << step.size_bits);
                        if got != planned {
                            return Err(InitError::FrameMisplaced {
                                step: n,
                                object,
                                name: name(),
                                source: step.source,
                                planned,
                                actual: got,
                            });
                        }
                        actual.get_or_insert(got);
                    }
                }
            }
        }
        out(&Record::Retype {
            step: n,
            source: step.source,
            ty: step.ty,
            size_arg: step.size_arg,
            size_bits: step.size_bits,
            count: step.count,
            planned: step.paddr,
            actual,
        });
        next_slot += u64::from(step.count);
    }
    Ok(done)
}
