//! Simulated boot: plans a system's objects and runs the initializer on the seL4 kernel model.
//!
//! The initializer code is the root task's own ([`sysinit_initializer`]); only
//! the kernel underneath is the host model. After the run, every object the
//! model created is compared with the plan: a simulated boot succeeds only if
//! each object sits exactly where the planner said, not just the frames a real
//! root task can read back.
//!
//! [`simulate`] runs the retype phase for planner requests alone; [`simulate_spec`]
//! runs the whole [`sysinit_initializer::initialize`] on a spec and then compares
//! the model's end state with the spec ([`check_end_state`]).
#![forbid(unsafe_code)]

mod replay;

pub use replay::{
    compare_plan, compare_summary, replay, RecordedTrace, ReplayError, Replayed, TraceError,
    TraceLines,
};

mod end_state;
mod heap;

pub use heap::{roottask_heap, HeapError};

pub use end_state::check_end_state;

use sysinit_initializer::{
    execute, initialize, slots_needed, trace_untypeds, CapData, Executed, InitError, Kernel, Slot,
    SlotLayout, ThreadStart,
};
use sysinit_kobj::{BootUntyped, KernelConfig, ObjectType, RootCNodeAtBoot, RootCNodeFull};
use sysinit_model::{
    Cap, CapRights, InvocationError, KernelModel, MintData, MintDest, ModelError, RetypeError,
};
use sysinit_planner::{Plan, PlanError, Request};
use sysinit_spec::{IrqSource, Rights, Spec};
use sysinit_trace::Record;

/// [`Kernel`] on the host model; slots are the model's flat cspace.
pub struct ModelKernel(pub KernelModel);

/// The slot number [`ModelKernel`] gives the root CNode: the model's cspace is the root
/// CNode itself, so this stands for "into the root CNode" in `cnode_mint`.
pub const MODEL_ROOT_CNODE: Slot = u64::MAX;

/// A model error as the initializer sees it.
#[derive(Debug, thiserror::Error)]
pub enum ModelKernelError {
    /// The model refused a retype.
    #[error(transparent)]
    Retype(#[from] RetypeError),
    /// The model refused another operation.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The model refused an invocation as seL4 would.
    #[error(transparent)]
    Invocation(#[from] InvocationError),
    /// A slot number does not fit the host's address space.
    #[error("slot {0} is beyond the model's cspace")]
    Slot(u64),
    /// The kernel mapped a page table at another level than the initializer meant.
    #[error(
        "the page table in slot {table} was mapped as a level-{actual} table, but the \
         initializer meant level {expected}; map the tables above it first"
    )]
    LevelMismatch {
        /// Table slot.
        table: u64,
        /// Level the initializer passed.
        expected: u8,
        /// Level the kernel's walk mapped it at.
        actual: u8,
    },
}

fn slot(s: u64) -> Result<usize, ModelKernelError> {
    usize::try_from(s).map_err(|_| ModelKernelError::Slot(s))
}

/// Spec rights as the model's cap rights.
pub fn cap_rights(r: Rights) -> CapRights {
    CapRights {
        read: r.read,
        write: r.write,
        grant: r.grant,
        grant_reply: r.grant_reply,
    }
}

/// The interrupt number the model keys handlers by: the CPU vector on x86 (I/O APIC
/// pins and MSIs share the vector space), the interrupt number on aarch64.
pub fn irq_number(irq: &IrqSource) -> u32 {
    match *irq {
        IrqSource::Arm { irq, .. } => irq,
        IrqSource::IoApic { vector, .. } | IrqSource::Msi { vector, .. } => vector,
    }
}

impl Kernel for ModelKernel {
    type Error = ModelKernelError;

    fn untyped_retype(
        &mut self,
        src: u64,
        ty: ObjectType,
        size_arg: u8,
        dest: u64,
        count: u32,
    ) -> Result<(), Self::Error> {
        self.0
            .retype(slot(src)?, ty, size_arg, slot(dest)?, count)?;
        Ok(())
    }

    fn frame_paddr(&mut self, s: u64) -> Result<u64, Self::Error> {
        Ok(self.0.frame_paddr(slot(s)?)?)
    }

    fn cnode_mint(
        &mut self,
        cnode: Slot,
        index: u64,
        depth: u8,
        src: Slot,
        rights: Rights,
        data: CapData,
    ) -> Result<(), Self::Error> {
        let dest = if cnode == MODEL_ROOT_CNODE && depth == 64 {
            MintDest::Root(slot(index)?)
        } else {
            MintDest::CNode {
                cnode: slot(cnode)?,
                index,
                depth,
            }
        };
        let data = match data {
            CapData::None => MintData::None,
            CapData::Badge(b) => MintData::Badge(b),
            CapData::Guard { guard, guard_size } => MintData::Guard {
                guard,
                size: guard_size,
            },
        };
        Ok(self.0.mint(dest, slot(src)?, cap_rights(rights), data)?)
    }

    fn root_cnode(&self) -> Slot {
        MODEL_ROOT_CNODE
    }

    fn asid_assign(&mut self, vspace: Slot) -> Result<(), Self::Error> {
        self.0.asid_assign(slot(vspace)?)?;
        Ok(())
    }

    fn map_table(
        &mut self,
        table: Slot,
        level: u8,
        vspace: Slot,
        vaddr: u64,
    ) -> Result<(), Self::Error> {
        let actual = self.0.map_table(slot(table)?, slot(vspace)?, vaddr)?;
        if actual != level {
            return Err(ModelKernelError::LevelMismatch {
                table,
                expected: level,
                actual,
            });
        }
        Ok(())
    }

    fn map_frame(
        &mut self,
        frame: Slot,
        vspace: Slot,
        vaddr: u64,
        rights: Rights,
        cached: bool,
    ) -> Result<(), Self::Error> {
        Ok(self.0.map_frame(
            slot(frame)?,
            slot(vspace)?,
            vaddr,
            cap_rights(rights),
            cached,
        )?)
    }

    fn write_frame(
        &mut self,
        frame: Slot,
        size_bits: u8,
        offset: u64,
        data: &[u8],
    ) -> Result<(), Self::Error> {
        Ok(self.0.write_frame(slot(frame)?, size_bits, offset, data)?)
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
    ) -> Result<(), Self::Error> {
        let guard = match cspace_data {
            CapData::Guard { guard, guard_size } => Some((guard, guard_size)),
            CapData::None | CapData::Badge(_) => None,
        };
        let buffer = ipc_buffer.map(slot).transpose()?;
        Ok(self.0.tcb_configure(
            slot(tcb)?,
            fault_ep,
            slot(cspace)?,
            guard,
            slot(vspace)?,
            ipc_buffer_vaddr,
            buffer,
        )?)
    }

    fn tcb_set_sched_params(
        &mut self,
        tcb: Slot,
        max_priority: u8,
        priority: u8,
    ) -> Result<(), Self::Error> {
        Ok(self
            .0
            .tcb_set_sched_params(slot(tcb)?, max_priority, priority)?)
    }

    fn tcb_write_registers(
        &mut self,
        tcb: Slot,
        start: ThreadStart<'_>,
    ) -> Result<(), Self::Error> {
        Ok(self
            .0
            .tcb_write_registers(slot(tcb)?, start.pc, start.sp, start.args)?)
    }

    fn tcb_bind_notification(&mut self, tcb: Slot, ntfn: Slot) -> Result<(), Self::Error> {
        Ok(self.0.tcb_bind_notification(slot(tcb)?, slot(ntfn)?)?)
    }

    fn vcpu_set_tcb(&mut self, vcpu: Slot, tcb: Slot) -> Result<(), Self::Error> {
        Ok(self.0.vcpu_set_tcb(slot(vcpu)?, slot(tcb)?)?)
    }

    fn tcb_resume(&mut self, tcb: Slot) -> Result<(), Self::Error> {
        Ok(self.0.tcb_resume(slot(tcb)?)?)
    }

    fn irq_get(&mut self, irq: &IrqSource, dest: Slot) -> Result<(), Self::Error> {
        Ok(self.0.irq_get(irq_number(irq), slot(dest)?)?)
    }

    fn irq_set_notification(&mut self, handler: Slot, ntfn: Slot) -> Result<(), Self::Error> {
        Ok(self.0.irq_set_notification(slot(handler)?, slot(ntfn)?)?)
    }

    fn ioports_issue(&mut self, first: u16, last: u16, dest: Slot) -> Result<(), Self::Error> {
        Ok(self.0.ioports_issue(first, last, slot(dest)?)?)
    }
}

/// Why a simulated boot failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The planner refused the system.
    #[error("{0}")]
    Plan(#[from] PlanError),
    /// The initializer stopped on the model.
    #[error("the simulated root task stopped: {0}")]
    Init(#[from] InitError<ModelKernelError>),
    /// After the boot, the model's state differs from what the spec describes.
    #[error("after the simulated boot, \"{object}\" is not as the spec says: {problem}")]
    EndState {
        /// The spec object.
        object: String,
        /// What differs.
        problem: String,
    },
    /// The spec's caps do not fit in the root CNode.
    #[error("{0}")]
    RootCNode(#[from] RootCNodeFull),
    /// The model put an object somewhere other than the plan.
    #[error(
        "object '{name}' ({ty}) is at physical address {actual:#x} in the kernel model, \
         but the plan put it at {planned:#x}"
    )]
    Diverged {
        /// Object name.
        name: String,
        /// Its type.
        ty: ObjectType,
        /// Planned address.
        planned: u64,
        /// Address in the model.
        actual: u64,
    },
}

/// A finished simulated boot.
pub struct Simulation {
    /// The plan that ran.
    pub plan: Plan,
    /// Slots of everything created.
    pub executed: Executed,
    /// The model after the boot.
    pub model: KernelModel,
    /// The trace, in the format a real boot prints.
    pub trace: Vec<Record>,
    /// Root slot of every spec object, by object id (empty for planner-only runs).
    pub object_slots: Vec<Option<u64>>,
    /// Every kernel invocation made.
    pub invocations: u64,
}

impl Simulation {
    /// The summary record (also the last record of [`Simulation::trace`]).
    pub fn summary(&self) -> Record {
        summary(&self.plan, self.invocations)
    }
}

fn summary(plan: &Plan, invocations: u64) -> Record {
    Record::Summary {
        objects: plan.stats.objects,
        retypes: plan.stats.retypes,
        invocations,
        bytes_used: plan.stats.bytes_used,
        bytes_lost: plan.stats.bytes_lost_to_alignment,
        cycles: None,
    }
}

/// Boots a whole spec on the kernel model with the root task's own [`initialize`], then
/// checks that every object is where the plan put it and that the end state is the
/// spec's: threads running, every mapping present, every CNode slot holding the right
/// cap, every fill in place (see [`check_end_state`]).
///
/// The root CNode is the smallest any boot has ([`RootCNodeAtBoot::minimal`]); with a
/// board's kernel and root task image, use [`simulate_spec_in`].
pub fn simulate_spec(spec: &Spec, untypeds: &[BootUntyped]) -> Result<Simulation, SimError> {
    simulate_spec_in(
        spec,
        untypeds,
        RootCNodeAtBoot::minimal(untypeds.len() as u64),
    )
}

/// [`simulate_spec`] in the root CNode `root` as it is when the root task starts.
///
/// The model's root CNode has the real size, 2^`root.size_bits` slots: the boot
/// untypeds from slot 0, then exactly the slots the kernel leaves free
/// ([`RootCNodeAtBoot::free`]); the rest stands for the caps seL4 holds there. A spec
/// whose caps do not fit (counted with a plan made beforehand, which the planner's
/// determinism makes equal to the one `initialize` makes) is refused before anything
/// runs, as the real root task would refuse it.
pub fn simulate_spec_in(
    spec: &Spec,
    untypeds: &[BootUntyped],
    root: RootCNodeAtBoot,
) -> Result<Simulation, SimError> {
    let (reqs, _) = sysinit_initializer::requests(spec);
    let sizing = sysinit_planner::plan(spec.kernel(), untypeds, &reqs)?;
    root.check(slots_needed(spec, &sizing))?;
    let first_free = untypeds.len() as u64;
    let end_free = first_free + root.free();
    // The model holds every slot in host memory; a root CNode beyond the host's
    // address space is one no kernel could have.
    let total = usize::try_from(root.slots().max(end_free)).map_err(|_| {
        SimError::Init(InitError::OutOfSlots {
            needed: end_free,
            available: usize::MAX as u64,
        })
    })?;
    let mut kernel = ModelKernel(KernelModel::new(spec.kernel(), untypeds, total));
    let mut trace = Vec::new();
    trace_untypeds(spec.kernel(), untypeds, |r| trace.push(*r));
    let layout = SlotLayout {
        first_untyped: 0,
        first_free,
        end_free,
    };
    let done = initialize(spec, untypeds, layout, &mut kernel, |r| trace.push(*r))?;
    let model = kernel.0;
    check_placements(&model, &done.plan, &done.executed, &reqs)?;
    check_end_state(spec, &model, &done.object_slots)?;
    trace.push(done.summary(None));
    Ok(Simulation {
        invocations: done.invocations,
        plan: done.plan,
        executed: done.executed,
        model,
        trace,
        object_slots: done.object_slots,
    })
}

/// Plans `requests` into `untypeds` and boots the plan on the kernel model.
pub fn simulate(
    kernel: impl Into<KernelConfig>,
    untypeds: &[BootUntyped],
    requests: &[Request<'_>],
) -> Result<Simulation, SimError> {
    let kernel = kernel.into();
    let plan = sysinit_planner::plan(kernel, untypeds, requests)?;
    run_plan(kernel, untypeds, requests, plan)
}

/// Boots an existing plan on a fresh kernel model built from `untypeds`.
pub fn run_plan(
    kernel: impl Into<KernelConfig>,
    untypeds: &[BootUntyped],
    requests: &[Request<'_>],
    plan: Plan,
) -> Result<Simulation, SimError> {
    let kernel = kernel.into();
    let needed: u64 = plan.steps.iter().map(|s| u64::from(s.count)).sum();
    let first_free = untypeds.len() as u64;
    let end_free = first_free + needed;
    let mut model_kernel = ModelKernel(KernelModel::new(kernel, untypeds, end_free as usize));
    let mut trace = Vec::with_capacity(untypeds.len() + plan.steps.len() + 2);
    trace_untypeds(kernel, untypeds, |r| trace.push(*r));
    let layout = SlotLayout {
        first_untyped: 0,
        first_free,
        end_free,
    };
    let executed = execute(&plan, requests, layout, &mut model_kernel, |r| {
        trace.push(*r)
    })?;
    let model = model_kernel.0;
    check_placements(&model, &plan, &executed, requests)?;
    trace.push(summary(&plan, executed.invocations));
    Ok(Simulation {
        invocations: executed.invocations,
        plan,
        executed,
        model,
        trace,
        object_slots: Vec::new(),
    })
}

/// Compares every object in the model with its planned address.
fn check_placements(
    model: &KernelModel,
    plan: &Plan,
    executed: &Executed,
    requests: &[Request<'_>],
) -> Result<(), SimError> {
    for (id, (&slot, &planned)) in executed
        .object_slots
        .iter()
        .zip(&plan.placements)
        .enumerate()
    {
        let actual = match model.cap(slot as usize) {
            Some(Cap::Object(o)) => o.paddr,
            Some(Cap::Untyped(u)) => u.paddr,
            _ => u64::MAX,
        };
        if actual != planned {
            let r = &requests[id];
            return Err(SimError::Diverged {
                name: r.name.to_string(),
                ty: r.ty,
                planned,
                actual,
            });
        }
    }
    Ok(())
}
