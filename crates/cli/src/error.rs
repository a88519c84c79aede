//! Everything the command can refuse, with the file it was reading.
//!
//! [`CliError::exit_code`] says which are usage errors (2) and which are not (1).

use std::path::PathBuf;

/// A failure the user can act on.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A spec, log or root task larger than the command reads (an endless file such as
    /// `/dev/zero` would otherwise exhaust memory).
    #[error("cannot read {path}: larger than {max} bytes; valid: a file of at most {max} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        max: u64,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The spec is not valid JSON of the spec format.
    #[error("{path}: {source}")]
    SpecJson {
        /// The file.
        path: String,
        /// Why.
        source: sysinit_spec::JsonError,
    },
    /// The spec is well-formed but inconsistent.
    #[error("{path}: {source}")]
    SpecInvalid {
        /// The file.
        path: String,
        /// Why.
        source: sysinit_spec::SpecError,
    },
    /// The spec is for another architecture than the board.
    #[error(
        "{path} is a spec for {spec}, but board {board} is {board_arch}; valid: a board for {spec}"
    )]
    ArchMismatch {
        /// The spec file.
        path: String,
        /// Its arch.
        spec: sysinit_kobj::Arch,
        /// The board.
        board: String,
        /// The board's arch.
        board_arch: sysinit_kobj::Arch,
    },
    /// The `--untypeds` log is of a boot on another architecture than the spec's.
    #[error("{path}: the log is of an {log} boot, but the spec is for {spec}; valid: the log of an {spec} boot for --untypeds")]
    UntypedsArchMismatch {
        /// The log.
        path: String,
        /// The log's arch.
        log: sysinit_kobj::Arch,
        /// The spec's arch.
        spec: sysinit_kobj::Arch,
    },
    /// `verify-trace --spec` with a spec for another architecture than the boot's.
    #[error("{spec_path} is a spec for {spec}, but {log} is of an {log_arch} boot; valid: the spec that boot ran")]
    SpecArchDiffers {
        /// The spec.
        spec_path: String,
        /// Its arch.
        spec: sysinit_kobj::Arch,
        /// The log.
        log: String,
        /// The log's arch.
        log_arch: sysinit_kobj::Arch,
    },
    /// Same architecture, another kernel configuration (aarch64 at EL1 against EL2):
    /// window, labels and object types differ.
    #[error("{path} is for the {spec} kernel configuration, but {other} is {other_kernel}; valid: {fix}")]
    KernelMismatch {
        /// The spec file.
        path: String,
        /// Its kernel configuration.
        spec: sysinit_kobj::KernelConfig,
        /// What it was compared with ("board X", "the boot in LOG").
        other: String,
        /// That one's configuration.
        other_kernel: sysinit_kobj::KernelConfig,
        /// What would be valid.
        fix: &'static str,
    },
    /// The board cannot give the memory map asked for (the error names the board).
    #[error("{source}")]
    Board {
        /// The board.
        board: String,
        /// Why.
        source: sysinit_board::BoardError,
    },
    /// The board's memory map is not one the kernel accepts.
    #[error("board {board}: {source}")]
    BootMemory {
        /// The board.
        board: String,
        /// Why.
        source: sysinit_model::BootMemoryError,
    },
    /// A log's untyped lines are broken or missing.
    #[error("{path}:{line}: {what}")]
    Log {
        /// The log.
        path: PathBuf,
        /// 1-based line number (0 when the whole log is at fault).
        line: usize,
        /// What is wrong.
        what: String,
    },
    /// `verify-trace --spec` was given a system description instead of a spec.
    #[error(
        "{path}: --spec takes the spec the boot ran (spec.json or spec.bin, as `sysinit build` \
         writes them), not a system description; build it first with `sysinit build {path} \
         --board BOARD -o DIR` and pass DIR/spec.json"
    )]
    SpecIsDescription {
        /// The file given.
        path: PathBuf,
    },
    /// A recorded trace does not hold up against the model or the planner.
    #[error("{path}: {source}")]
    Replay {
        /// The log.
        path: PathBuf,
        /// Why.
        source: sysinit_sim::ReplayError,
    },
    /// The system description is invalid or cannot be built (every problem found).
    #[error("{0}")]
    Invalid(sysinit_builder::BuildErrors),
    /// The root task ELF cannot take the spec.
    #[error("root task {path}: {source}")]
    Image {
        /// The root task ELF.
        path: PathBuf,
        /// Why.
        source: sysinit_image::ImageError,
    },
    /// The root task's heap could not be measured.
    #[error("measuring the root task's heap for this system: {0}")]
    Heap(sysinit_sim::HeapError),
    /// Sizing the root task's heap did not settle (each size changed the boot memory
    /// enough to need another).
    #[error(
        "the root task's heap size did not settle after {rounds} rounds (last: {heap} bytes \
         needed, {had} bytes given); this is a bug in sysinit"
    )]
    HeapUnsettled {
        /// Rounds tried.
        rounds: usize,
        /// Bytes needed in the last round.
        heap: u64,
        /// Bytes the image of the last round had.
        had: u64,
    },
    /// The system takes more RAM than the board has at this size (refused before
    /// anything is written).
    #[error("{0}")]
    DoesNotFit(Box<crate::build::DoesNotFit>),
    /// The command line asks for something impossible (exit status 2, like clap's).
    #[error("{0}")]
    Usage(String),
    /// An output file would replace one of the command's inputs.
    #[error("{output} (written for {option}) is {what} {input}; writing it would destroy that input; valid: {valid}", output = output.display(), input = input.display())]
    OutputIsInput {
        /// The option naming the output, e.g. "--trace" or "-o DIR".
        option: String,
        /// The output, as the command would write it.
        output: PathBuf,
        /// Which input, e.g. "the spec".
        what: String,
        /// The input, as given.
        input: PathBuf,
        /// What to do instead.
        valid: &'static str,
    },
    /// Neither text (a JSON spec) nor a binary spec.
    #[error("{path}: neither a JSON spec (byte {offset:#x} is not UTF-8) nor a binary spec (it does not start with the magic \"sysinit\\0\"); valid: spec.json or spec.bin as `sysinit build` writes them, or a .system description")]
    NotASpec {
        /// The file.
        path: String,
        /// Offset of the first byte that is not UTF-8.
        offset: usize,
    },
    /// A binary spec (spec.bin) that does not decode.
    #[error("{path}: binary spec: {source}")]
    SpecBinary {
        /// The file.
        path: String,
        /// Why.
        source: sysinit_spec::DecodeError,
    },
    /// The initramfs cannot be packed.
    #[error("{0}")]
    Cpio(#[from] sysinit_builder::cpio::CpioError),
    /// The system cannot be planned or the simulated boot failed.
    #[error("{0}")]
    Sim(#[from] sysinit_sim::SimError),
}

impl CliError {
    /// The exit status: 2 for usage errors (as clap's own), 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::OutputIsInput { .. } => 2,
            _ => 1,
        }
    }
}
