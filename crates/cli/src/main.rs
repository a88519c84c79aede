//! The sysinit command: simulate, check and build seL4 systems.
//!
//! Exit status: 0 on success, 1 when the input is invalid or cannot be
//! planned (every error found is printed), 2 on usage errors (bad arguments, a
//! `--ram` the board cannot have, a missing `--search-path`, an output that
//! would overwrite an input).
//!
//! Modules, each using only those before it: `error`, `units` (sizes in text),
//! `overwrite` (outputs that are inputs),
//! `system` (a description built for a board), `input` (specs, logs, boot
//! untypeds), `report` and `build_report` (what `simulate` and `build` print),
//! then one per command: `build` (check and build), `simulate`, `verify`,
//! `initramfs`.
#![forbid(unsafe_code)]

mod build;
mod build_report;
mod error;
mod initramfs;
mod input;
mod overwrite;
mod report;
mod simulate;
mod system;
mod units;
mod verify;
mod vm_report;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The system allocator, counting: `sysinit build` measures the root task's heap need
/// by replaying the root task's allocations (`sysinit_sim::roottask_heap`).
#[global_allocator]
static HEAP: sysinit_bump::host::Counting = sysinit_bump::host::Counting;

pub use error::CliError;

/// seL4 system initializer: plans every kernel object of a system in kernel-virtual
/// space and simulates the boot against a model of the kernel.
#[derive(Parser, Debug)]
#[command(name = "sysinit", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Plan a system and boot it on the seL4 kernel model; print the allocation trace.
    ///
    /// Without SPEC, simulates the embedded example system for the board's architecture.
    Simulate(SimulateArgs),
    /// Check a recorded boot log against the kernel model (and the planner, given the spec).
    ///
    /// Every recorded retype is re-run on a model built from the log's own untyped list;
    /// each must land at the recorded address, and each frame at the address the root
    /// task read back. With --spec, the host planner must plan exactly the recorded steps.
    VerifyTrace(VerifyArgs),
    /// Validate a system description (SDF) against a board; program images are not needed.
    ///
    /// Prints every problem found; exit status 1 if there is any.
    Check(CheckArgs),
    /// Build a system description into a spec (spec.json, spec.bin), a report and, with
    /// --roottask, a bootable image.
    Build(BuildArgs),
    /// Pack a Linux guest's initramfs (newc cpio): /init, /dev/console, /proc, /sys.
    Initramfs(InitramfsArgs),
}

/// Arguments of `sysinit check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The system description (.system, Microkit SDF).
    pub system: PathBuf,
    /// Board to check against.
    #[arg(long, value_parser = board_name)]
    pub board: String,
    /// RAM size given to QEMU (-m), e.g. 512M, 2G or 1T. Default: the board's.
    #[arg(long, value_parser = parse_size)]
    pub ram: Option<u64>,
}

/// Arguments of `sysinit build`.
#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    /// The system description (.system, Microkit SDF).
    pub system: PathBuf,
    /// Board to build for.
    #[arg(long, value_parser = board_name)]
    pub board: String,
    /// Directory to write spec.json, spec.bin, report.txt (and image.elf) to.
    #[arg(short, long = "output", value_name = "OUTDIR")]
    pub output: PathBuf,
    /// Another directory to look for program images in, after the description's own.
    #[arg(long, value_name = "DIR")]
    pub search_path: Vec<PathBuf>,
    /// The sysinit root task ELF to embed the spec into, giving OUTDIR/image.elf.
    #[arg(long, value_name = "ELF")]
    pub roottask: Option<PathBuf>,
    /// RAM size given to QEMU (-m), e.g. 512M, 2G or 1T. Default: the board's.
    #[arg(long, value_parser = parse_size)]
    pub ram: Option<u64>,
    /// What the root task prints: `summary` (only the summary line: fast) or `full` (the
    /// whole allocation trace, which `sysinit verify-trace` replays; the boot scripts and
    /// recorded boots use it).
    #[arg(long, value_enum, default_value_t = TraceArg::Summary)]
    pub trace: TraceArg,
}

/// The root task's trace level (`sysinit_image::TraceLevel`) on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceArg {
    /// Only `SYSINIT summary` and `SYSINIT roottask done`.
    Summary,
    /// The whole allocation trace.
    Full,
}

impl From<TraceArg> for sysinit_image::TraceLevel {
    fn from(t: TraceArg) -> Self {
        match t {
            TraceArg::Summary => sysinit_image::TraceLevel::Summary,
            TraceArg::Full => sysinit_image::TraceLevel::Full,
        }
    }
}

/// Arguments of `sysinit verify-trace`.
#[derive(clap::Args, Debug)]
pub struct InitramfsArgs {
    /// The executable that becomes /init.
    #[arg(long, value_name = "FILE")]
    pub init: PathBuf,
    /// The archive to write.
    #[arg(short, long = "output", value_name = "FILE")]
    pub output: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// Serial log or trace file holding one boot's `SYSINIT` lines.
    pub log: PathBuf,
    /// The spec (JSON or binary) that boot ran, to check the plan as well as the placements.
    #[arg(long)]
    pub spec: Option<PathBuf>,
}

/// Arguments of `sysinit simulate`.
#[derive(clap::Args, Debug)]
pub struct SimulateArgs {
    /// CapDL spec in JSON or binary form (spec.json, spec.bin; see docs/spec-format.md)
    /// or a system description (`.system`, built as `sysinit build` would).
    /// Default: the embedded example.
    pub spec: Option<PathBuf>,
    /// Another directory to look for program images in (for a `.system` input).
    #[arg(long, value_name = "DIR")]
    pub search_path: Vec<PathBuf>,
    /// Board model whose memory map gives the boot-time untyped list.
    #[arg(long, default_value = "qemu-x86_64", value_parser = board_name)]
    pub board: String,
    /// RAM size given to QEMU (-m), e.g. 512M, 2G or 1T. Default: the board's.
    #[arg(long, value_parser = parse_size)]
    pub ram: Option<u64>,
    /// Take the boot-time untyped list from a trace or serial log (its `SYSINIT untyped`
    /// lines) instead of deriving it from the board.
    #[arg(long, value_name = "LOG")]
    pub untypeds: Option<PathBuf>,
    /// Write the trace to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
}

fn board_name(name: &str) -> Result<String, String> {
    let names = sysinit_board::Board::names();
    if names.contains(&name) {
        Ok(name.to_string())
    } else {
        Err(format!(
            "unknown board '{name}'; valid boards: {}",
            names.join(", ")
        ))
    }
}

/// Parses `512M`, `2G`, `1T`, `1024K` or a plain byte count; zero is no RAM size.
fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, shift) = match text.as_bytes().last() {
        Some(b'K' | b'k') => (&text[..text.len() - 1], 10),
        Some(b'M' | b'm') => (&text[..text.len() - 1], 20),
        Some(b'G' | b'g') => (&text[..text.len() - 1], 30),
        Some(b'T' | b't') => (&text[..text.len() - 1], 40),
        _ => (text, 0),
    };
    let bytes = digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1u64 << shift))
        .ok_or_else(|| {
            format!("'{text}' is not a size; write e.g. 512M, 2G, 1T or a byte count")
        })?;
    if bytes == 0 {
        return Err("0 bytes of RAM cannot boot; write e.g. 512M or 2G".to_string());
    }
    Ok(bytes)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Simulate(args) => simulate::run(&args),
        Command::VerifyTrace(args) => verify::run(&args),
        Command::Check(args) => build::check(&args),
        Command::Build(args) => build::build(&args),
        Command::Initramfs(args) => initramfs::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Invalid(errors)) => {
            // Each message already reads `file:line:column: error: ...`.
            eprintln!("{errors}");
            let n = errors.errors().len();
            eprintln!("sysinit: {n} error{}", if n == 1 { "" } else { "s" });
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_suffixes() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999G").is_err());
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        assert_eq!(
            parse_size("0"),
            Err("0 bytes of RAM cannot boot; write e.g. 512M or 2G".to_string())
        );
    }
}
