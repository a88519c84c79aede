//! Reading the command's inputs: specs, boards and untyped lists from logs.

use std::path::{Path, PathBuf};

use sysinit_board::Board;
use sysinit_kobj::{Arch, BootUntyped};
use sysinit_model::boot_untypeds;
use sysinit_sim::{RecordedTrace, TraceError};
use sysinit_spec::Spec;

use crate::CliError;

/// The example system simulated when no spec is given, per architecture.
const EXAMPLE_X86_64: &str = include_str!("../../../specs/example-x86_64.json");
const EXAMPLE_AARCH64: &str = include_str!("../../../specs/example-aarch64.json");

/// Largest spec, log or root task read, in bytes (1 GiB): far above any real one (a
/// spec with every frame the root CNode can hold is tens of MiB of JSON), and a bound on
/// what an endless input such as `/dev/zero` can make the command allocate.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// Reads at most [`MAX_FILE_BYTES`] of a file, naming it in the error.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, CliError> {
    use std::io::Read;
    let failed = |source| CliError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(failed)?;
    let too_large = || CliError::TooLarge {
        path: path.to_path_buf(),
        max: MAX_FILE_BYTES,
    };
    // A regular file says its size; an endless one (a device, a pipe) is cut off below.
    if file
        .metadata()
        .is_ok_and(|m| m.is_file() && m.len() > MAX_FILE_BYTES)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Reads a text file (at most [`MAX_FILE_BYTES`]), naming it in the error.
pub fn read(path: &Path) -> Result<String, CliError> {
    String::from_utf8(read_bytes(path)?).map_err(|_| CliError::Read {
        path: path.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ),
    })
}

/// A spec, the name to use for it in messages, and the files it was made from.
pub struct LoadedSpec {
    pub spec: Spec,
    pub name: String,
    /// Every file read, with what it is (for refusing to overwrite one).
    pub inputs: Vec<(String, PathBuf)>,
}

/// Loads the simulator's input: a `.system` description built for `board`, a JSON spec,
/// or the embedded example for the board's arch.
pub fn load_input(
    path: Option<&Path>,
    board: &Board,
    search: &[PathBuf],
) -> Result<LoadedSpec, CliError> {
    match path {
        Some(p) if p.extension().is_some_and(|e| e == "system") => {
            let built = crate::system::build_from_description(p, board, search)?;
            let mut inputs = vec![("the system description".to_string(), p.to_path_buf())];
            for pd in &built.pds {
                if let Some(image) = &pd.image {
                    let what = format!("the program image of PD '{}'", pd.name);
                    inputs.push((what, image.clone()));
                }
            }
            Ok(LoadedSpec {
                spec: built.spec,
                name: p.display().to_string(),
                inputs,
            })
        }
        _ => load_spec(path, board.arch()),
    }
}

/// Loads and validates the spec at `path` (JSON, or the binary `spec.bin` form,
/// told apart by its magic), or the embedded example for `arch`.
pub fn load_spec(path: Option<&Path>, arch: Arch) -> Result<LoadedSpec, CliError> {
    let Some(p) = path else {
        let (text, file) = match arch {
            Arch::X86_64 => (EXAMPLE_X86_64, "example-x86_64.json"),
            Arch::Aarch64 => (EXAMPLE_AARCH64, "example-aarch64.json"),
        };
        let name = format!("embedded specs/{file}");
        return json_spec(text, name, Vec::new());
    };
    let name = p.display().to_string();
    let inputs = vec![("the spec".to_string(), p.to_path_buf())];
    let bytes = read_bytes(p)?;
    // A file named .bin is taken for a binary spec even without the magic, so that a
    // damaged spec.bin gets the decoder's message rather than a JSON syntax error.
    let named_bin = p.extension().is_some_and(|e| e == "bin");
    if named_bin || bytes.starts_with(&sysinit_spec::MAGIC) {
        let spec = Spec::from_postcard(&bytes).map_err(|source| CliError::SpecBinary {
            path: name.clone(),
            source,
        })?;
        return validated(spec, name, inputs);
    }
    let text = String::from_utf8(bytes).map_err(|e| CliError::NotASpec {
        path: name.clone(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    json_spec(&text, name, inputs)
}

/// Parses and validates a JSON spec.
fn json_spec(
    text: &str,
    name: String,
    inputs: Vec<(String, PathBuf)>,
) -> Result<LoadedSpec, CliError> {
    let spec = Spec::from_json(text).map_err(|source| CliError::SpecJson {
        path: name.clone(),
        source,
    })?;
    validated(spec, name, inputs)
}

/// `spec` if it passes validation, whichever form it was read from.
fn validated(
    spec: Spec,
    name: String,
    inputs: Vec<(String, PathBuf)>,
) -> Result<LoadedSpec, CliError> {
    spec.validate().map_err(|source| CliError::SpecInvalid {
        path: name.clone(),
        source,
    })?;
    Ok(LoadedSpec { spec, name, inputs })
}

/// Where the boot-time untyped list came from, for the report.
pub enum UntypedSource {
    Board { ram_bytes: u64, dropped: usize },
    Log(PathBuf),
}

/// The boot untyped list the kernel would give on `board` with `ram_bytes` of RAM.
pub fn board_untypeds(
    board: &Board,
    ram_bytes: u64,
) -> Result<(Vec<BootUntyped>, UntypedSource), CliError> {
    let name = board.name().to_string();
    let mem = board
        .boot_memory(ram_bytes)
        .map_err(|source| CliError::Board {
            board: name.clone(),
            source,
        })?;
    let list =
        boot_untypeds(board.kernel(), &mem, usize::MAX).map_err(|source| CliError::BootMemory {
            board: name,
            source,
        })?;
    Ok((
        list.untypeds,
        UntypedSource::Board {
            ram_bytes,
            dropped: list.dropped,
        },
    ))
}

/// A log's records grouped into one recorded boot, refused with the line at fault.
pub fn read_trace(path: &Path) -> Result<RecordedTrace, CliError> {
    RecordedTrace::parse(&read(path)?).map_err(|e| trace_error(path, e))
}

/// A trace refusal as `path:line: what`, or `path: what` when the log as a whole is at fault.
pub fn trace_error(path: &Path, e: TraceError) -> CliError {
    match e.line {
        0 => CliError::Replay {
            path: path.to_path_buf(),
            source: e.error,
        },
        line => CliError::Log {
            path: path.to_path_buf(),
            line,
            what: e.error.to_string(),
        },
    }
}

/// The boot untyped list recorded in a log of a boot on `arch` (another arch is refused).
pub fn log_untypeds(
    path: &Path,
    arch: Arch,
) -> Result<(Vec<BootUntyped>, UntypedSource), CliError> {
    let trace = read_trace(path)?;
    // Another arch's memory map plans into nonsense and fails far from the cause.
    if trace.arch != arch {
        return Err(CliError::UntypedsArchMismatch {
            path: path.display().to_string(),
            log: trace.arch,
            spec: arch,
        });
    }
    Ok((trace.untypeds, UntypedSource::Log(path.to_path_buf())))
}
