//! Simulated boot: plans a system's objects and runs the initializer on the seL4 kernel model.
//!
//! The initializer code is the root task's own ([`sysinit_initializer`]); only
//! the kernel underneath is the host model. After the run, every object the
//! model created is compared with the plan: a simulated boot succeeds only if
//! each object sits exactly where the planner said, not just the frames a real
//! root task can read back.
#![forbid(unsafe_code)]

mod replay;

pub use replay::{compare_plan, replay, RecordedTrace, ReplayError};

use sysinit_initializer::{
    execute, trace_untypeds, CapData, Executed, InitError, Kernel, Slot, SlotLayout, ThreadStart,
};
use sysinit_kobj::{Arch, BootUntyped, ObjectType};
use sysinit_model::{Cap, KernelModel, ModelError, RetypeError};
use sysinit_planner::{Plan, PlanError, Request};
use sysinit_spec::{IrqSource, Rights};
use sysinit_trace::Record;

/// [`Kernel`] on the host model; slots are the model's flat cspace.
pub struct ModelKernel(pub KernelModel);

/// A model error as the initializer sees it.
#[derive(Debug, thiserror::Error)]
pub enum ModelKernelError {
    /// The model refused a retype.
    #[error(transparent)]
    Retype(#[from] RetypeError),
    /// The model refused another operation.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A slot number does not fit the host's address space.
    #[error("slot {0} is beyond the model's cspace")]
    Slot(u64),
    /// An operation the model does not simulate yet.
    #[error("the kernel model does not simulate {0} yet")]
    NotModelled(&'static str),
}

fn slot(s: u64) -> Result<usize, ModelKernelError> {
    usize::try_from(s).map_err(|_| ModelKernelError::Slot(s))
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
        _: Slot,
        _: u64,
        _: u8,
        _: Slot,
        _: Rights,
        _: CapData,
    ) -> Result<(), Self::Error> {
        Err(ModelKernelError::NotModelled("CNode_Mint"))
    }

    fn root_cnode(&self) -> Slot {
        u64::MAX
    }

    fn asid_assign(&mut self, _: Slot) -> Result<(), Self::Error> {
        Err(ModelKernelError::NotModelled("ASIDPool_Assign"))
    }

    fn map_table(&mut self, _: Slot, _: u8, _: Slot, _: u64) -> Result<(), Self::Error> {
        Err(ModelKernelError::NotModelled("page table mapping"))
    }

    fn map_frame(
        &mut self,
        _: Slot,
        _: Slot,
        _: u64,
        _: Rights,
        _: bool,
    ) -> Result<(), Self::Error> {
        Err(ModelKernelError::NotModelled("frame mapping"))
    }

    fn write_frame(&mut self, _: Slot, _: u8, _: u64, _: &[u8]) -> Result<(), Self::Error> {
        Err(ModelKernelError::NotModelled("frame contents"))
    }

    fn tcb_configure(
        &mut self,
        _: Slot,
        _: u64,
        _: Slot,
        _: CapData,
        _: Slot,
        _: u64,
        _: Option<Slot>,
    ) -> Result<(), Self::Error> {
        Err(ModelKernelError::NotModelled("TCB_Configure"))
    }

    fn tcb_set_sched_params(&mut self, _: Slot, _: u8, _: u8) -> Result<(), Self::Error> {
        Err(ModelKernelError::NotModelled("TCB_SetSchedParams"))
    }

    fn tcb_write_registers(&mut self, _: Slot, _: ThreadStart<'_>) -> Result<(), Self::Error> {
        Err(ModelKernelError::NotModelled("TCB_WriteRegisters"))
    }

    fn tcb_bind_notification(&mut self, _: Slot, _: Slot) -> Result<(), Self::Error> {
        Err(ModelKernelError::NotModelled("TCB_BindNotification"))
    }

    fn vcpu_set_tcb(&mut self, _: Slot, _: Slot) -> Result<(), Self::Error> {
        Err(ModelKernelError::NotModelled("VCPU_SetTCB"))
    }

    fn tcb_resume(&mut self, _: Slot) -> Result<(), Self::Error> {
        Err(ModelKernelError::NotModelled("TCB_Resume"))
    }

    fn irq_get(&mut self, _: &IrqSource, _: Slot) -> Result<(), Self::Error> {
        Err(ModelKernelError::NotModelled("IRQControl_Get"))
    }

    fn irq_set_notification(&mut self, _: Slot, _: Slot) -> Result<(), Self::Error> {
        Err(ModelKernelError::NotModelled("IRQHandler_SetNotification"))
    }

    fn ioports_issue(&mut self, _: u16, _: u16, _: Slot) -> Result<(), Self::Error> {
        Err(ModelKernelError::NotModelled("IOPortControl_Issue"))
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
}

impl Simulation {
    /// The summary record (also the last record of [`Simulation::trace`]).
    pub fn summary(&self) -> Record {
        summary(&self.plan, &self.executed)
    }
}

fn summary(plan: &Plan, executed: &Executed) -> Record {
    Record::Summary {
        objects: plan.stats.objects,
        retypes: plan.stats.retypes,
        invocations: executed.invocations,
        bytes_used: plan.stats.bytes_used,
        bytes_lost: plan.stats.bytes_lost_to_alignment,
        cycles: None,
    }
}

/// Plans `requests` into `untypeds` and boots the plan on the kernel model.
pub fn simulate(
    arch: Arch,
    untypeds: &[BootUntyped],
    requests: &[Request<'_>],
) -> Result<Simulation, SimError> {
    let plan = sysinit_planner::plan(arch, untypeds, requests)?;
    run_plan(arch, untypeds, requests, plan)
}

/// Boots an existing plan on a fresh kernel model built from `untypeds`.
pub fn run_plan(
    arch: Arch,
    untypeds: &[BootUntyped],
    requests: &[Request<'_>],
    plan: Plan,
) -> Result<Simulation, SimError> {
    let needed: u64 = plan.steps.iter().map(|s| u64::from(s.count)).sum();
    let first_free = untypeds.len() as u64;
    let end_free = first_free + needed;
    let mut kernel = ModelKernel(KernelModel::new(arch, untypeds, end_free as usize));
    let mut trace = Vec::with_capacity(untypeds.len() + plan.steps.len() + 2);
    trace_untypeds(arch, untypeds, |r| trace.push(*r));
    let layout = SlotLayout {
        first_untyped: 0,
        first_free,
        end_free,
    };
    let executed = execute(&plan, layout, &mut kernel, |r| trace.push(*r))?;
    let model = kernel.0;
    check_placements(&model, &plan, &executed, requests)?;
    trace.push(summary(&plan, &executed));
    Ok(Simulation {
        plan,
        executed,
        model,
        trace,
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
            None => u64::MAX,
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
