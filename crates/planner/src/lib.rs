//! Plans the untyped retypes that create every object of a system, placing each where seL4 will.
//!
//! Input: the kernel's boot-time untyped list and the objects a system needs,
//! some of them at fixed physical addresses (device frames, DMA buffers).
//! Output: an ordered list of `Untyped_Retype` steps and, for every object,
//! the exact physical address the kernel will give it.
//!
//! The kernel places a retyped object at `alignUp(freeRef, size)`, where
//! `freeRef` is the *kernel-virtual* address of the untyped plus its
//! watermark. A device untyped's kernel-virtual address can wrap around 2^64
//! (on x86_64 physical 0x80_0000_0000 is kernel-virtual 0), so its physical
//! and kernel-virtual alignments differ; a planner that aligns physical
//! addresses puts objects somewhere else than it believes. Every address here
//! is computed the way `decodeUntypedInvocation` computes it.
//!
//! The same crate runs on the host (`sysinit build`/`simulate`) and inside the
//! root task, so the plan the host reports is the plan the root task executes.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod error;
mod fixed;
mod pack;
mod tile;

use alloc::vec::Vec;
use sysinit_kobj::{
    align_up, BootUntyped, KernelConfig, KernelWindow, ObjectType, RETYPE_FAN_OUT_LIMIT,
};

pub use error::{PlanError, UntypedRange};
pub use tile::{cut_cost, split_cost};

/// One object the system needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// Name used in error messages.
    pub name: &'a str,
    /// Kernel object type.
    pub ty: ObjectType,
    /// `userObjSize`: size bits of an untyped, radix of a CNode, ignored otherwise.
    pub size_arg: u8,
    /// Physical address the object must have, if any.
    pub paddr: Option<u64>,
    /// Whether the object must be device memory (a device frame or untyped) rather than
    /// RAM. Only meaningful with a `paddr`: the untyped holding that address must be of
    /// the same kind, or the plan is refused ([`PlanError::MemoryKindMismatch`]).
    pub device: bool,
}

/// The untyped a retype step draws from (kobj's, shared with the trace format).
pub use sysinit_kobj::UntypedRef;

/// What a retype step creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Creates {
    /// Requested objects `Plan::object_order[first..first + count]`, in address order.
    Objects {
        /// Index into [`Plan::object_order`].
        first: u32,
    },
    /// Untypeds `Plan::derived[first..first + count]`, in address order.
    Untypeds {
        /// Index into [`Plan::derived`].
        first: u32,
    },
}

/// Why a step exists, for reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Cuts memory off so that a fixed-address object lands on its address.
    ReachFixed,
    /// Creates objects.
    Create,
    /// Cuts off the gap before an aligned offset so ordinary objects fit without padding.
    Realign,
}

/// One `Untyped_Retype` invocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The untyped invoked.
    pub source: UntypedRef,
    /// Type of the objects created.
    pub ty: ObjectType,
    /// `userObjSize` passed to the kernel.
    pub size_arg: u8,
    /// log2 of each object's size in bytes.
    pub size_bits: u8,
    /// Number of objects (`nodeWindow`), at most the fan-out limit.
    pub count: u32,
    /// Kernel-virtual address of the first object, as the kernel will compute it.
    pub kva: u64,
    /// Physical address of the first object; object `i` is at `paddr + (i << size_bits)`.
    pub paddr: u64,
    /// What the step creates.
    pub creates: Creates,
    /// Why the step exists.
    pub purpose: Purpose,
}

/// An untyped created by a step, to be retyped further or left free.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DerivedUntyped {
    /// The untyped it was cut from.
    pub parent: UntypedRef,
    /// Physical address.
    pub paddr: u64,
    /// Kernel-virtual address (size-aligned).
    pub kva: u64,
    /// log2 of its size.
    pub size_bits: u8,
    /// Whether it is device memory.
    pub is_device: bool,
}

/// The retypes spent on one fixed-address object, beside what each pure strategy would cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedCost {
    /// The object.
    pub object: u32,
    /// Retypes the plan spends for it (cuts before it, plus its own creation when it
    /// starts a run; 0 for later members of a run created by one retype).
    pub retypes: u32,
    /// Retypes that cutting the gap into maximal aligned untypeds would take, alone in a
    /// fresh copy of its boot untyped.
    pub cut_alone: u32,
    /// Retypes that binary splitting would take, alone in a fresh copy of its boot untyped.
    pub split_alone: u32,
}

/// Totals of a plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlanStats {
    /// Objects requested and placed.
    pub objects: u64,
    /// Retype invocations.
    pub retypes: u64,
    /// Retypes spent reaching fixed addresses.
    pub reach_retypes: u64,
    /// Bytes of the requested objects.
    pub bytes_used: u64,
    /// Bytes skipped by alignment padding and never usable again.
    pub bytes_lost_to_alignment: u64,
}

/// A complete allocation plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Retype steps, in the order they must run.
    pub steps: Vec<Step>,
    /// Object ids (indices into the request list) in creation order.
    pub object_order: Vec<u32>,
    /// Untypeds created by steps.
    pub derived: Vec<DerivedUntyped>,
    /// Physical address of every requested object, by object id.
    pub placements: Vec<u64>,
    /// One entry per fixed-address object, in object id order.
    pub fixed_costs: Vec<FixedCost>,
    /// Totals.
    pub stats: PlanStats,
}

/// Limits the planner respects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanConfig {
    /// Most objects per retype (`CONFIG_RETYPE_FAN_OUT_LIMIT`).
    pub fan_out_limit: u32,
}

impl Default for PlanConfig {
    fn default() -> Self {
        PlanConfig {
            fan_out_limit: RETYPE_FAN_OUT_LIMIT,
        }
    }
}

/// Plans every object of `requests` into `untypeds` (the boot-time list, in bootinfo order).
///
/// Everything is checked before the first step is produced: a plan is either
/// complete or refused with the reason, never partial.
///
/// `kernel` is the kernel configuration (its window decides every placement); an
/// [`sysinit_kobj::Arch`] means that architecture's default configuration.
pub fn plan(
    kernel: impl Into<KernelConfig>,
    untypeds: &[BootUntyped],
    requests: &[Request<'_>],
) -> Result<Plan, PlanError> {
    plan_with(kernel, untypeds, requests, PlanConfig::default())
}

/// [`plan`] with explicit limits.
pub fn plan_with(
    kernel: impl Into<KernelConfig>,
    untypeds: &[BootUntyped],
    requests: &[Request<'_>],
    config: PlanConfig,
) -> Result<Plan, PlanError> {
    let kernel = kernel.into();
    let mut b = Builder::new(kernel, requests.len(), config);
    let sizes = error::object_sizes(kernel.arch, requests)?;
    let groups = fixed::validate_fixed(kernel, untypeds, requests, &sizes)?;
    let mut free = Vec::new();
    fixed::place_fixed(&mut b, untypeds, requests, &groups, &mut free);
    pack::pack_ordinary(&mut b, untypeds, requests, &sizes, &groups, free)?;
    Ok(b.finish())
}

/// An untyped as a retype source: which one, and where the kernel sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Source {
    pub(crate) r: UntypedRef,
    /// Kernel-virtual base (aligned to the untyped's size).
    pub(crate) kva: u64,
    pub(crate) is_device: bool,
}

/// What one retype creates: `count` objects of one type and size.
#[derive(Clone, Copy, Debug)]
pub(crate) struct What<'a> {
    pub(crate) ty: ObjectType,
    pub(crate) size_arg: u8,
    pub(crate) size_bits: u8,
    pub(crate) count: u32,
    /// Requested objects created, in address order; `None` for cut-off untypeds.
    pub(crate) objects: Option<&'a [u32]>,
}

impl What<'_> {
    /// `count` untypeds of 2^`size_bits` bytes.
    pub(crate) fn untypeds(size_bits: u8, count: u32) -> What<'static> {
        What {
            ty: ObjectType::Untyped,
            size_arg: size_bits,
            size_bits,
            count,
            objects: None,
        }
    }
}

/// Accumulates the plan while the phases run.
pub(crate) struct Builder {
    pub(crate) window: KernelWindow,
    pub(crate) config: PlanConfig,
    pub(crate) plan: Plan,
}

impl Builder {
    fn new(kernel: KernelConfig, objects: usize, config: PlanConfig) -> Self {
        let plan = Plan {
            placements: alloc::vec![0; objects],
            object_order: Vec::with_capacity(objects),
            ..Plan::default()
        };
        Builder {
            window: kernel.kernel_window(),
            config,
            plan,
        }
    }

    /// Appends one retype of `count` objects of `size_bits` from `source`, whose
    /// kernel-virtual base is `base_kva` and watermark `watermark` (bytes), and
    /// returns the new watermark.
    ///
    /// The address is computed exactly as the kernel computes it: aligned up in
    /// kernel-virtual space from `base_kva + watermark`, wrapping modulo 2^64.
    /// `objects` names the requested objects created (in address order); `None`
    /// means the step creates untypeds, recorded in [`Plan::derived`].
    pub(crate) fn retype(
        &mut self,
        source: Source,
        watermark: u64,
        what: What<'_>,
        purpose: Purpose,
    ) -> u64 {
        let free_ref = source.kva.wrapping_add(watermark);
        let kva = align_up(free_ref, what.size_bits);
        self.plan.stats.bytes_lost_to_alignment += kva.wrapping_sub(free_ref);
        self.plan.stats.retypes += 1;
        if purpose == Purpose::ReachFixed {
            self.plan.stats.reach_retypes += 1;
        }
        let creates = match what.objects {
            Some(ids) => {
                let first = self.plan.object_order.len() as u32;
                for (i, &id) in ids.iter().enumerate() {
                    let k = kva.wrapping_add((i as u64) << what.size_bits);
                    self.plan.placements[id as usize] = self.window.paddr(k);
                    self.plan.object_order.push(id);
                }
                self.plan.stats.objects += ids.len() as u64;
                self.plan.stats.bytes_used += (ids.len() as u64) << what.size_bits;
                Creates::Objects { first }
            }
            None => {
                let first = self.plan.derived.len() as u32;
                for i in 0..u64::from(what.count) {
                    let k = kva.wrapping_add(i << what.size_bits);
                    self.plan.derived.push(DerivedUntyped {
                        parent: source.r,
                        paddr: self.window.paddr(k),
                        kva: k,
                        size_bits: what.size_bits,
                        is_device: source.is_device,
                    });
                }
                Creates::Untypeds { first }
            }
        };
        self.plan.steps.push(Step {
            source: source.r,
            ty: what.ty,
            size_arg: what.size_arg,
            size_bits: what.size_bits,
            count: what.count,
            kva,
            paddr: self.window.paddr(kva),
            creates,
            purpose,
        });
        kva.wrapping_sub(source.kva) + (u64::from(what.count) << what.size_bits)
    }

    fn finish(mut self) -> Plan {
        self.plan.fixed_costs.sort_by_key(|c| c.object);
        self.plan
    }
}
