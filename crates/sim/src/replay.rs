//! Replaying a recorded trace (from a real boot or a simulation) on the kernel model.
//!
//! A recorded boot is trusted only as far as the model agrees with it: every
//! retype is re-run on a model built from the recorded untyped list, and the
//! model must put each first object at the recorded planned address, and each
//! frame at the address the root task read back. With the spec, the host
//! planner must also produce exactly the recorded steps.

use sysinit_kobj::{Arch, BootUntyped, ObjectType};
use sysinit_model::KernelModel;
use sysinit_planner::{Plan, UntypedRef};
use sysinit_trace::{Record, Source};

/// Why a recorded trace does not hold up.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The trace lacks a header, untypeds or steps, or has them out of order.
    #[error("malformed trace: {0}")]
    Malformed(String),
    /// The model refused a recorded retype.
    #[error("step {step}: the kernel model refuses {count} x {ty} from {src}: {error}")]
    Refused {
        /// Step number.
        step: u32,
        /// Source as recorded.
        src: String,
        /// Type.
        ty: ObjectType,
        /// Count.
        count: u32,
        /// The model's error.
        error: String,
    },
    /// The model placed a step's first object elsewhere than recorded.
    #[error("step {step}: recorded planned address {recorded:#x}, but the kernel model places it at {model:#x}")]
    Placement {
        /// Step number.
        step: u32,
        /// Recorded planned address.
        recorded: u64,
        /// Model's address.
        model: u64,
    },
    /// The read-back address differs from the model's.
    #[error("step {step}: the root task read back {recorded:#x}, but the kernel model places the frame at {model:#x}")]
    ReadBack {
        /// Step number.
        step: u32,
        /// Recorded actual address.
        recorded: u64,
        /// Model's address.
        model: u64,
    },
    /// The host planner plans something else for the same spec and untypeds.
    #[error("step {step}: the recorded boot did {recorded}, but the host planner plans {planned}")]
    PlanDiffers {
        /// Step number.
        step: u32,
        /// What the trace says.
        recorded: String,
        /// What the planner says.
        planned: String,
    },
}

/// A recorded trace, split into its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedTrace {
    /// Architecture from the header.
    pub arch: Arch,
    /// The boot untyped list.
    pub untypeds: Vec<BootUntyped>,
    /// The retype records, in order.
    pub retypes: Vec<Record>,
    /// The summary record, if the boot got that far.
    pub summary: Option<Record>,
}

impl RecordedTrace {
    /// Groups `records` (as parsed from a log, in order) into a trace.
    pub fn from_records(records: &[Record]) -> Result<Self, ReplayError> {
        let bad = |s: &str| ReplayError::Malformed(s.to_string());
        let mut it = records.iter();
        let (arch, count) = match it.next() {
            Some(Record::Header { arch, untypeds, .. }) => (*arch, *untypeds as usize),
            _ => return Err(bad("no 'SYSINIT trace' header before the other records")),
        };
        let mut trace = RecordedTrace {
            arch,
            untypeds: Vec::new(),
            retypes: Vec::new(),
            summary: None,
        };
        for r in it {
            match r {
                Record::Header { .. } => {
                    return Err(bad(
                        "a second 'SYSINIT trace' header; give one boot per log",
                    ))
                }
                Record::Untyped { index, untyped } => {
                    if *index as usize != trace.untypeds.len() || !trace.retypes.is_empty() {
                        return Err(ReplayError::Malformed(format!(
                            "untyped {index} out of order"
                        )));
                    }
                    trace.untypeds.push(*untyped);
                }
                Record::Retype { step, .. } => {
                    if *step as usize != trace.retypes.len() {
                        return Err(ReplayError::Malformed(format!(
                            "retype {step} out of order; expected retype {}",
                            trace.retypes.len()
                        )));
                    }
                    trace.retypes.push(*r);
                }
                Record::Summary { .. } => trace.summary = Some(*r),
            }
        }
        if trace.untypeds.len() != count {
            return Err(ReplayError::Malformed(format!(
                "the header announces {count} untypeds, the trace has {}",
                trace.untypeds.len()
            )));
        }
        Ok(trace)
    }
}

fn src_name(src: UntypedRef) -> String {
    Source(src).to_string()
}

/// Re-runs every recorded retype on a model built from the recorded untyped list.
/// Returns the number of steps checked.
pub fn replay(trace: &RecordedTrace) -> Result<usize, ReplayError> {
    let needed: u64 = trace
        .retypes
        .iter()
        .map(|r| match r {
            Record::Retype { count, .. } => u64::from(*count),
            _ => 0,
        })
        .sum();
    let first_free = trace.untypeds.len();
    let mut model = KernelModel::new(trace.arch, &trace.untypeds, first_free + needed as usize);
    let mut next = first_free;
    let mut derived: Vec<usize> = Vec::new();
    for r in &trace.retypes {
        let Record::Retype {
            step,
            source,
            ty,
            size_arg,
            count,
            planned,
            actual,
            ..
        } = *r
        else {
            continue;
        };
        let src = match source {
            UntypedRef::Boot(i) if (i as usize) < first_free => i as usize,
            UntypedRef::Derived(i) if (i as usize) < derived.len() => derived[i as usize],
            _ => {
                return Err(ReplayError::Malformed(format!(
                    "step {step}: source {} does not exist yet",
                    src_name(source)
                )))
            }
        };
        let refused = |error: String| ReplayError::Refused {
            step,
            src: src_name(source),
            ty,
            count,
            error,
        };
        let done = model
            .retype(src, ty, size_arg, next, count)
            .map_err(|e| refused(e.to_string()))?;
        if done.first_paddr != planned {
            return Err(ReplayError::Placement {
                step,
                recorded: planned,
                model: done.first_paddr,
            });
        }
        if let Some(recorded) = actual {
            let model_paddr = model
                .frame_paddr(next)
                .map_err(|e| refused(e.to_string()))?;
            if recorded != model_paddr {
                return Err(ReplayError::ReadBack {
                    step,
                    recorded,
                    model: model_paddr,
                });
            }
        }
        if ty == ObjectType::Untyped {
            derived.extend(next..next + count as usize);
        }
        next += count as usize;
    }
    Ok(trace.retypes.len())
}

/// Checks that `plan` (the host planner's, for the same spec and untyped list) consists of
/// exactly the recorded steps.
pub fn compare_plan(trace: &RecordedTrace, plan: &Plan) -> Result<(), ReplayError> {
    let describe = |src: UntypedRef, ty: ObjectType, size_arg: u8, count: u32, paddr: u64| {
        format!(
            "{count} x {ty} (size_arg {size_arg}) from {} at {paddr:#x}",
            src_name(src)
        )
    };
    for (n, r) in trace.retypes.iter().enumerate() {
        let Record::Retype {
            source,
            ty,
            size_arg,
            count,
            planned,
            ..
        } = *r
        else {
            continue;
        };
        let recorded = describe(source, ty, size_arg, count, planned);
        match plan.steps.get(n) {
            Some(s)
                if (s.source, s.ty, s.size_arg, s.count, s.paddr)
                    == (source, ty, size_arg, count, planned) => {}
            Some(s) => {
                let planned = describe(s.source, s.ty, s.size_arg, s.count, s.paddr);
                return Err(ReplayError::PlanDiffers {
                    step: n as u32,
                    recorded,
                    planned,
                });
            }
            None => {
                return Err(ReplayError::PlanDiffers {
                    step: n as u32,
                    recorded,
                    planned: "nothing more".into(),
                })
            }
        }
    }
    if plan.steps.len() > trace.retypes.len() {
        let s = &plan.steps[trace.retypes.len()];
        return Err(ReplayError::PlanDiffers {
            step: trace.retypes.len() as u32,
            recorded: "nothing more (the boot stopped or the trace is cut short)".into(),
            planned: describe(s.source, s.ty, s.size_arg, s.count, s.paddr),
        });
    }
    Ok(())
}
