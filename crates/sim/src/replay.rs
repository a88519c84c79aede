//! Replaying a recorded trace (from a real boot or a simulation) on the kernel model.
//!
//! A recorded boot is trusted only as far as the model agrees with it: every
//! retype is re-run on a model built from the recorded untyped list, and the
//! model must put each first object at the recorded planned address, and each
//! frame at the address the root task read back. With the spec, the host
//! planner must also produce exactly the recorded steps.
//!
//! A log is untrusted input: every figure is checked against the kernel's limits
//! before anything is sized from it, and every refusal names the log line at fault.

use sysinit_kobj::{
    Arch, BootUntyped, KernelConfig, ObjectType, RootCNodeAtBoot, MIN_UNTYPED_BITS,
    RETYPE_FAN_OUT_LIMIT,
};
use sysinit_model::{check_boot_untypeds, Cap, KernelModel, ModelError};
use sysinit_planner::{Plan, UntypedRef};
use sysinit_trace::{ParseError, Record, Source};

/// Why a recorded trace does not hold up, and the log line that shows it.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {error}")]
pub struct TraceError {
    /// 1-based line of the log (0 when the log as a whole is at fault).
    pub line: usize,
    /// What is wrong.
    pub error: ReplayError,
}

/// Why a recorded trace does not hold up.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// A line starts like a trace line but does not parse.
    #[error("broken trace line: {0}")]
    Broken(ParseError),
    /// The log holds no trace at all.
    #[error("no 'SYSINIT' trace lines; is this a sysinit trace or boot log?")]
    NoTrace,
    /// The log holds the summary line and no trace: the root task was built with the
    /// summary trace level, which cannot be verified.
    #[error(
        "the log has a summary line but no allocation trace: the root task was built with \
         `sysinit build --trace summary` (the default), which prints only the summary; \
         nothing can be replayed from it, so rebuild with `sysinit build --trace full` and boot again"
    )]
    SummaryOnly,
    /// A figure of a record is one no boot could print.
    #[error("{0}")]
    Impossible(String),
    /// The boot untyped list is one the kernel never reports.
    #[error("{0}")]
    BootUntypeds(ModelError),
    /// The summary line disagrees with the steps replayed.
    #[error("the summary says {field}={recorded}, but the replayed steps give {replayed}")]
    Summary {
        /// The summary's field.
        field: &'static str,
        /// Its recorded value.
        recorded: u64,
        /// What the replay gives (a value or a range).
        replayed: String,
    },
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
    /// The summary line disagrees with booting the spec on the kernel model.
    #[error("the summary says {field}={recorded}, but booting the spec on the kernel model gives {field}={simulated}")]
    SummaryDiffersFromSpec {
        /// The summary's field.
        field: &'static str,
        /// Its recorded value.
        recorded: u64,
        /// What the simulated boot of the spec gives.
        simulated: u64,
    },
}

/// A recorded trace, split into its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedTrace {
    /// Architecture from the header.
    pub arch: Arch,
    /// Kernel configuration from the header (its window decides what the boot
    /// untypeds and every placement must be).
    pub kernel: KernelConfig,
    /// The boot untyped list.
    pub untypeds: Vec<BootUntyped>,
    /// The retype records, in order.
    pub retypes: Vec<Record>,
    /// The summary record, if the boot got that far.
    pub summary: Option<Record>,
    /// Where each record stood in the log.
    pub lines: TraceLines,
}

/// 1-based log lines of a trace's records (0 for records not read from a log).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceLines {
    /// The header.
    pub header: usize,
    /// Each boot untyped.
    pub untypeds: Vec<usize>,
    /// Each retype.
    pub retypes: Vec<usize>,
    /// The summary.
    pub summary: usize,
}

fn at(line: usize, error: ReplayError) -> TraceError {
    TraceError { line, error }
}

fn impossible(line: usize, what: String) -> TraceError {
    at(line, ReplayError::Impossible(what))
}

impl RecordedTrace {
    /// Reads the trace out of a log's text (other lines are skipped); a broken trace
    /// line, records out of order, and figures no boot could print are refused with
    /// their line.
    pub fn parse(text: &str) -> Result<Self, TraceError> {
        let mut records = Vec::new();
        for (n, line) in text.lines().enumerate() {
            match Record::parse(line) {
                Ok(Some(r)) => records.push((n + 1, r)),
                Ok(None) => {}
                Err(e) => return Err(at(n + 1, ReplayError::Broken(e))),
            }
        }
        if records.is_empty() {
            return Err(at(0, ReplayError::NoTrace));
        }
        Self::from_lines(&records)
    }

    /// Groups `records` (as parsed from a log, in order) into a trace; lines count from 1.
    pub fn from_records(records: &[Record]) -> Result<Self, TraceError> {
        let numbered: Vec<(usize, Record)> = records
            .iter()
            .enumerate()
            .map(|(n, r)| (n + 1, *r))
            .collect();
        Self::from_lines(&numbered)
    }

    /// Groups `records` with their log lines into a trace, checking each record as it
    /// comes: nothing here is sized from a figure before the figure is checked.
    pub fn from_lines(records: &[(usize, Record)]) -> Result<Self, TraceError> {
        let bad = |line, s: &str| at(line, ReplayError::Malformed(s.to_string()));
        let mut it = records.iter();
        let (header, arch, kernel, count) = match it.next() {
            Some(&(line, ref r @ Record::Header { arch, untypeds, .. })) => (
                line,
                arch,
                r.kernel()
                    .ok_or_else(|| bad(line, "no supported kernel configuration"))?,
                untypeds as usize,
            ),
            Some(&(line, Record::Summary { .. })) => {
                return Err(at(line, ReplayError::SummaryOnly))
            }
            Some(&(line, _)) => {
                return Err(bad(
                    line,
                    "no 'SYSINIT trace' header before the other records",
                ))
            }
            None => return Err(at(0, ReplayError::NoTrace)),
        };
        let mut trace = RecordedTrace {
            arch,
            kernel,
            untypeds: Vec::new(),
            retypes: Vec::new(),
            summary: None,
            lines: TraceLines {
                header,
                ..TraceLines::default()
            },
        };
        for &(line, r) in it {
            if trace.summary.is_some() {
                return Err(bad(
                    line,
                    "a trace record after the summary line; give one boot per log",
                ));
            }
            match r {
                Record::Header { .. } => {
                    return Err(bad(
                        line,
                        "a second 'SYSINIT trace' header; give one boot per log",
                    ))
                }
                Record::Untyped { index, untyped } => {
                    if !trace.retypes.is_empty() {
                        return Err(at(
                            line,
                            ReplayError::Malformed(format!(
                                "untyped {index} after a retype; every untyped line comes \
                                 before the first retype"
                            )),
                        ));
                    }
                    if index as usize != trace.untypeds.len() {
                        return Err(at(
                            line,
                            ReplayError::Malformed(format!(
                                "untyped {index} out of order; expected untyped {}",
                                trace.untypeds.len()
                            )),
                        ));
                    }
                    trace.untypeds.push(untyped);
                    trace.lines.untypeds.push(line);
                }
                Record::Retype { step, .. } => {
                    if step as usize != trace.retypes.len() {
                        return Err(at(
                            line,
                            ReplayError::Malformed(format!(
                                "retype {step} out of order; expected retype {}",
                                trace.retypes.len()
                            )),
                        ));
                    }
                    check_retype(arch, line, &r)?;
                    trace.retypes.push(r);
                    trace.lines.retypes.push(line);
                }
                Record::Summary { .. } => {
                    trace.summary = Some(r);
                    trace.lines.summary = line;
                }
            }
        }
        if trace.untypeds.len() != count {
            return Err(at(
                header,
                ReplayError::Malformed(format!(
                    "the header announces {count} untypeds, the trace has {}",
                    trace.untypeds.len()
                )),
            ));
        }
        check_boot_untypeds(kernel, &trace.untypeds).map_err(|e| trace.untyped_error(e))?;
        Ok(trace)
    }

    /// The model's complaint about the boot untyped list, at the line of the untyped at fault.
    fn untyped_error(&self, e: ModelError) -> TraceError {
        let index = match e {
            ModelError::InvalidBootUntyped { index, .. }
            | ModelError::OverlappingBootUntypeds { index, .. } => Some(index),
            _ => None,
        };
        let line = index
            .and_then(|i| self.lines.untypeds.get(i).copied())
            .unwrap_or(self.lines.header);
        at(line, ReplayError::BootUntypeds(e))
    }

    /// The log line of retype step `n` (0 if unknown).
    fn retype_line(&self, n: usize) -> usize {
        self.lines.retypes.get(n).copied().unwrap_or(0)
    }
}

/// The checks one retype line must pass on its own: a fan-out the kernel allows,
/// size_bits that follow from the type and size_arg, and a read-back address exactly
/// for frames (the root task reads back every frame it creates).
fn check_retype(arch: Arch, line: usize, r: &Record) -> Result<(), TraceError> {
    let Record::Retype {
        step,
        ty,
        size_arg,
        size_bits,
        count,
        actual,
        ..
    } = *r
    else {
        return Ok(());
    };
    if !(1..=RETYPE_FAN_OUT_LIMIT).contains(&count) {
        return Err(impossible(
            line,
            format!(
                "retype {step}: count={count}, but one retype creates 1..={RETYPE_FAN_OUT_LIMIT} \
                 objects (the kernel's fan-out limit)"
            ),
        ));
    }
    if let Ok(bits) = ty.size_bits(arch, size_arg) {
        if bits != size_bits {
            return Err(impossible(
                line,
                format!(
                    "retype {step}: size_bits={size_bits}, but a {ty} with size_arg={size_arg} \
                     is 2^{bits} bytes on {arch}"
                ),
            ));
        }
    }
    match (ty.is_frame(), actual) {
        (true, None) => Err(impossible(
            line,
            format!(
                "retype {step}: {ty} without a read-back address (actual=-); the root task \
                 reads back every frame it creates, so the check was skipped"
            ),
        )),
        (false, Some(a)) => Err(impossible(
            line,
            format!("retype {step}: actual={a:#x} on a {ty}; only frames have a read-back address"),
        )),
        _ => Ok(()),
    }
}

fn src_name(src: UntypedRef) -> String {
    Source(src).to_string()
}

/// The figures a replay establishes for the summary line. Where the log cannot tell
/// an untyped the spec asked for from one the planner split off, a range is given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Retype steps replayed.
    pub retypes: u64,
    /// Objects other than untypeds created.
    pub objects: u64,
    /// Untypeds created (the spec's own untyped objects are among them).
    pub untypeds: u64,
    /// Bytes of the objects other than untypeds.
    pub bytes_used: u64,
    /// Bytes of the untypeds created.
    pub untyped_bytes: u64,
    /// Bytes skipped by alignment before each step's first object.
    pub bytes_lost: u64,
    /// Invocations the steps take at least: each retype and each frame's read-back.
    pub min_invocations: u64,
}

/// Re-runs every recorded retype on a model built from the recorded untyped list, then
/// holds the summary line (if any) against what the replay establishes.
pub fn replay(trace: &RecordedTrace) -> Result<Replayed, TraceError> {
    // `RecordedTrace`'s fields are public: check the lines again rather than trust
    // that this trace came through `from_lines`, before sizing the model from them.
    let mut needed = 0u64;
    let root = RootCNodeAtBoot::minimal(trace.untypeds.len() as u64);
    for (n, r) in trace.retypes.iter().enumerate() {
        check_retype(trace.arch, trace.retype_line(n), r)?;
        if let Record::Retype { count, .. } = r {
            needed += u64::from(*count);
        }
        // Every object's cap went into the root CNode; more than it can hold is a
        // boot that never happened (and would size the model beyond any kernel's).
        root.check(needed).map_err(|full| {
            at(
                trace.retype_line(n),
                ReplayError::Impossible(format!("after retype {n}, {full}")),
            )
        })?;
    }
    let first_free = trace.untypeds.len();
    let total = first_free as u64 + needed;
    let mut model = KernelModel::try_new(trace.kernel, &trace.untypeds, total as usize)
        .map_err(|e| trace.untyped_error(e))?;
    let mut next = first_free;
    let mut derived: Vec<usize> = Vec::new();
    let mut sums = Replayed::default();
    for (n, r) in trace.retypes.iter().enumerate() {
        let line = trace.retype_line(n);
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
                return Err(at(
                    line,
                    ReplayError::Malformed(format!(
                        "step {step}: source {} does not exist yet",
                        src_name(source)
                    )),
                ))
            }
        };
        let refused = |error: String| {
            at(
                line,
                ReplayError::Refused {
                    step,
                    src: src_name(source),
                    ty,
                    count,
                    error,
                },
            )
        };
        let free_ref = match model.cap(src) {
            // The kernel starts an untyped without children from its base again.
            Some(Cap::Untyped(u)) if u.children > 0 => {
                u.kva.wrapping_add(u.free_index << MIN_UNTYPED_BITS)
            }
            Some(Cap::Untyped(u)) => u.kva,
            _ => 0,
        };
        let done = model
            .retype(src, ty, size_arg, next, count)
            .map_err(|e| refused(e.to_string()))?;
        if done.first_paddr != planned {
            return Err(at(
                line,
                ReplayError::Placement {
                    step,
                    recorded: planned,
                    model: done.first_paddr,
                },
            ));
        }
        if let Some(recorded) = actual {
            let model_paddr = model
                .frame_paddr(next)
                .map_err(|e| refused(e.to_string()))?;
            if recorded != model_paddr {
                return Err(at(
                    line,
                    ReplayError::ReadBack {
                        step,
                        recorded,
                        model: model_paddr,
                    },
                ));
            }
        }
        let created = u64::from(count);
        let bytes = created << done.object_size_bits;
        sums.retypes += 1;
        sums.bytes_lost += done.first_kva.wrapping_sub(free_ref);
        sums.min_invocations += 1 + if ty.is_frame() { created } else { 0 };
        if ty == ObjectType::Untyped {
            derived.extend(next..next + count as usize);
            sums.untypeds += created;
            sums.untyped_bytes += bytes;
        } else {
            sums.objects += created;
            sums.bytes_used += bytes;
        }
        next += count as usize;
    }
    check_summary(trace, &sums)?;
    Ok(sums)
}

/// Holds the summary line against the replay: retypes and bytes lost exactly; objects
/// and bytes used within what the untypeds created leave open; invocations at least
/// the retypes and read-backs.
fn check_summary(trace: &RecordedTrace, sums: &Replayed) -> Result<(), TraceError> {
    let Some(Record::Summary {
        objects,
        retypes,
        invocations,
        bytes_used,
        bytes_lost,
        ..
    }) = trace.summary
    else {
        return Ok(());
    };
    let range = |low: u64, extra: u64| {
        if extra == 0 {
            low.to_string()
        } else {
            format!(
                "{low}..={} (untypeds may be the spec's objects)",
                low + extra
            )
        }
    };
    let checks = [
        ("retypes", retypes, sums.retypes, 0),
        ("objects", objects, sums.objects, sums.untypeds),
        (
            "bytes_used",
            bytes_used,
            sums.bytes_used,
            sums.untyped_bytes,
        ),
        ("bytes_lost", bytes_lost, sums.bytes_lost, 0),
    ];
    for (field, recorded, low, extra) in checks {
        if recorded < low || recorded - low > extra {
            return Err(at(
                trace.lines.summary,
                ReplayError::Summary {
                    field,
                    recorded,
                    replayed: range(low, extra),
                },
            ));
        }
    }
    if invocations < sums.min_invocations {
        return Err(at(
            trace.lines.summary,
            ReplayError::Summary {
                field: "invocations",
                recorded: invocations,
                replayed: format!(
                    "at least {} (one per retype and per frame read back)",
                    sums.min_invocations
                ),
            },
        ));
    }
    Ok(())
}

/// Checks that `plan` (the host planner's, for the same spec and untyped list) consists of
/// exactly the recorded steps.
pub fn compare_plan(trace: &RecordedTrace, plan: &Plan) -> Result<(), TraceError> {
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
                return Err(at(
                    trace.retype_line(n),
                    ReplayError::PlanDiffers {
                        step: n as u32,
                        recorded,
                        planned,
                    },
                ));
            }
            None => {
                return Err(at(
                    trace.retype_line(n),
                    ReplayError::PlanDiffers {
                        step: n as u32,
                        recorded,
                        planned: "nothing more".into(),
                    },
                ))
            }
        }
    }
    if plan.steps.len() > trace.retypes.len() {
        let s = &plan.steps[trace.retypes.len()];
        // The step is missing from the log: blame the line where it should have been.
        let line = match trace.lines.summary {
            0 => trace
                .lines
                .retypes
                .last()
                .copied()
                .unwrap_or(trace.lines.header),
            summary => summary,
        };
        return Err(at(
            line,
            ReplayError::PlanDiffers {
                step: trace.retypes.len() as u32,
                recorded: "nothing more (the boot stopped or the trace is cut short)".into(),
                planned: describe(s.source, s.ty, s.size_arg, s.count, s.paddr),
            },
        ));
    }
    Ok(())
}

/// Holds the recorded summary against `simulated`, the summary of booting the same spec
/// on the same untypeds in the kernel model: with the spec known, every figure but the
/// cycles is exact (the replay alone can only bound objects, bytes used and invocations).
pub fn compare_summary(trace: &RecordedTrace, simulated: &Record) -> Result<(), TraceError> {
    let (
        Some(Record::Summary {
            objects,
            retypes,
            invocations,
            bytes_used,
            bytes_lost,
            ..
        }),
        Record::Summary {
            objects: s_objects,
            retypes: s_retypes,
            invocations: s_invocations,
            bytes_used: s_bytes_used,
            bytes_lost: s_bytes_lost,
            ..
        },
    ) = (trace.summary, *simulated)
    else {
        return Ok(());
    };
    let fields = [
        ("objects", objects, s_objects),
        ("retypes", retypes, s_retypes),
        ("invocations", invocations, s_invocations),
        ("bytes_used", bytes_used, s_bytes_used),
        ("bytes_lost", bytes_lost, s_bytes_lost),
    ];
    for (field, recorded, simulated) in fields {
        if recorded != simulated {
            return Err(at(
                trace.lines.summary,
                ReplayError::SummaryDiffersFromSpec {
                    field,
                    recorded,
                    simulated,
                },
            ));
        }
    }
    Ok(())
}
