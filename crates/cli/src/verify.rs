//! `sysinit verify-trace`: a recorded boot against the kernel model and the planner.

use sysinit_initializer::requests;
use sysinit_sim::{compare_plan, replay, ReplayError};
use sysinit_trace::Record;

use crate::input::{load_spec, read_trace};
use crate::{CliError, VerifyArgs};

/// Runs the command; prints one line per check passed.
pub fn run(args: &VerifyArgs) -> Result<(), CliError> {
    let trace = read_trace(&args.log)?;
    let replay_err = |source| CliError::Replay {
        path: args.log.clone(),
        source,
    };
    let steps = replay(&trace).map_err(replay_err)?;
    println!(
        "{}: {steps} retypes on {} boot untypeds ({}) replayed on the kernel model; every object is at its recorded address",
        args.log.display(),
        trace.untypeds.len(),
        trace.arch
    );
    match trace.summary {
        Some(Record::Summary { retypes, .. }) if retypes != steps as u64 => {
            return Err(replay_err(ReplayError::Malformed(format!(
                "the summary counts {retypes} retypes, the trace has {steps}"
            ))));
        }
        Some(_) => {}
        None => println!(
            "{}: no summary line: the boot stopped before it finished",
            args.log.display()
        ),
    }
    if let Some(path) = &args.spec {
        let loaded = load_spec(Some(path), trace.arch)?;
        let (reqs, _) = requests(&loaded.spec);
        let plan = sysinit_planner::plan(trace.arch, &trace.untypeds, &reqs)
            .map_err(sysinit_sim::SimError::from)?;
        compare_plan(&trace, &plan).map_err(replay_err)?;
        println!(
            "{}: the host planner plans exactly these steps for {}",
            args.log.display(),
            loaded.name
        );
    }
    if trace.summary.is_none() {
        return Err(replay_err(ReplayError::Malformed(
            "the trace has no summary line".into(),
        )));
    }
    Ok(())
}
