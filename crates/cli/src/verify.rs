//! `sysinit verify-trace`: a recorded boot against the kernel model and the planner.

use std::path::Path;

use sysinit_initializer::requests;
use sysinit_kobj::Arch;
use sysinit_sim::{compare_plan, compare_summary, replay, simulate_spec, ReplayError, TraceError};

use crate::input::{load_spec, read_trace, trace_error, LoadedSpec};
use crate::{CliError, VerifyArgs};

/// Runs the command; prints one line per check passed.
pub fn run(args: &VerifyArgs) -> Result<(), CliError> {
    let trace = read_trace(&args.log)?;
    let at_line = |e: TraceError| trace_error(&args.log, e);
    let replayed = replay(&trace).map_err(at_line)?;
    println!(
        "{}: {} retypes on {} boot untypeds ({}) replayed on the kernel model; every object is at its recorded address",
        args.log.display(),
        replayed.retypes,
        trace.untypeds.len(),
        trace.arch
    );
    match trace.summary {
        Some(_) => println!(
            "{}: the summary line agrees with the replayed steps",
            args.log.display()
        ),
        None => println!(
            "{}: no summary line: the boot stopped before it finished",
            args.log.display()
        ),
    }
    if let Some(path) = &args.spec {
        let loaded = load_verify_spec(path, trace.arch)?;
        if loaded.spec.arch != trace.arch {
            return Err(CliError::SpecArchDiffers {
                spec_path: loaded.name,
                spec: loaded.spec.arch,
                log: args.log.display().to_string(),
                log_arch: trace.arch,
            });
        }
        if loaded.spec.kernel() != trace.kernel {
            return Err(CliError::KernelMismatch {
                path: loaded.name,
                spec: loaded.spec.kernel(),
                other: format!("the boot in {}", args.log.display()),
                other_kernel: trace.kernel,
                fix: "the spec that boot ran",
            });
        }
        let (reqs, _) = requests(&loaded.spec);
        let plan = sysinit_planner::plan(trace.kernel, &trace.untypeds, &reqs)
            .map_err(sysinit_sim::SimError::from)?;
        compare_plan(&trace, &plan).map_err(at_line)?;
        println!(
            "{}: the host planner plans exactly these steps for {}",
            args.log.display(),
            loaded.name
        );
        // The replay can only bound some summary figures; booting the spec itself on the
        // recorded untypeds gives every one of them exactly.
        if trace.summary.is_some() {
            let simulated = simulate_spec(&loaded.spec, &trace.untypeds)?;
            compare_summary(&trace, &simulated.summary()).map_err(at_line)?;
            println!(
                "{}: the summary line is what booting {} on the kernel model gives",
                args.log.display(),
                loaded.name
            );
        }
    }
    if trace.summary.is_none() {
        return Err(CliError::Replay {
            path: args.log.clone(),
            source: ReplayError::Malformed("the trace has no summary line".into()),
        });
    }
    Ok(())
}

/// The spec given with `--spec`: JSON, or the binary spec.bin ([`load_spec`]). A system description is
/// refused with the way to get a spec from it, not with a JSON syntax error.
fn load_verify_spec(path: &Path, arch: Arch) -> Result<LoadedSpec, CliError> {
    // Only the start is looked at: the whole file is read once, by `load_spec`.
    let is_description = || {
        use std::io::Read;
        let mut start = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(64 << 10).read_to_end(&mut start))
            .is_ok_and(|_| start.trim_ascii_start().starts_with(b"<"))
    };
    match path.extension().and_then(|e| e.to_str()) {
        Some("system") => Err(CliError::SpecIsDescription {
            path: path.to_path_buf(),
        }),
        _ if is_description() => Err(CliError::SpecIsDescription {
            path: path.to_path_buf(),
        }),
        _ => load_spec(Some(path), arch),
    }
}
