//! Everything the command can refuse, with the file it was reading.

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
        "{path} is a spec for {spec}, but board {board} is {board_arch}; choose a {spec} board"
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
    /// A binary spec does not decode.
    #[error("{path}: {source}")]
    SpecBin {
        /// The file given.
        path: PathBuf,
        /// Why.
        source: sysinit_spec::DecodeError,
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
    /// The system cannot be planned or the simulated boot failed.
    #[error("{0}")]
    Sim(#[from] sysinit_sim::SimError),
}
