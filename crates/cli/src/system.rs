//! Reading a system description and building it for a board: what `check`,
//! `build` and `simulate` of a `.system` share.

use std::path::{Path, PathBuf};

use sysinit_board::Board;
use sysinit_builder::BuiltSystem;

use crate::units::Bytes;
use crate::CliError;

/// The board, at the RAM size asked for.
pub fn board(name: &str, ram: Option<u64>) -> Result<Board, CliError> {
    let board = Board::by_name(name).map_err(|source| CliError::Board {
        board: name.to_string(),
        source,
    })?;
    match ram {
        // The board names its valid range; a RAM size outside it is a usage error.
        Some(bytes) => board
            .with_ram_bytes(bytes)
            .map_err(|source| CliError::Usage(format!("--ram {}: {source}", Bytes(bytes)))),
        None => Ok(board),
    }
}

/// Reads and parses the description at `system` (not yet validated).
pub fn parse(system: &Path) -> Result<sysinit_sdf::SystemDescription, CliError> {
    sysinit_sdf::parse_file(system).map_err(|e| CliError::Invalid(e.into()))
}

/// Where program images are looked for: the description's directory, then `--search-path`s.
///
/// A `--search-path` that is not a directory is refused: a typo there would
/// otherwise surface only as "image not found", or not at all.
pub fn search_paths(system: &Path, extra: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    for dir in extra {
        if !dir.is_dir() {
            let what = if dir.exists() {
                "is not a directory"
            } else {
                "does not exist"
            };
            return Err(CliError::Usage(format!(
                "--search-path {}: {what}; valid: a directory holding program images",
                dir.display()
            )));
        }
    }
    let own = match system.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok(std::iter::once(own).chain(extra.iter().cloned()).collect())
}

/// Parses, validates and builds `system` on `board`: the spec `simulate` and `build` use.
pub fn build_from_description(
    system: &Path,
    board: &Board,
    extra_search: &[PathBuf],
) -> Result<BuiltSystem, CliError> {
    let search = search_paths(system, extra_search)?;
    let description = parse(system)?;
    eprintln!(
        "sysinit: building {} ({} PDs, {} memory regions) for board {}",
        system.display(),
        description.all_protection_domains().len(),
        description.memory_regions.len(),
        board.name()
    );
    warn_executable_maps(&description, board);
    sysinit_builder::build_system(&description, board, &search).map_err(CliError::Invalid)
}

/// On x86_64, one warning per `<map>` without `x`: seL4 never sets the XD bit there, so
/// such a mapping stays executable (aarch64 maps it execute-never). Not an error: the
/// system works, it is only less protected than its description says.
pub fn warn_executable_maps(description: &sysinit_sdf::SystemDescription, board: &Board) {
    if board.arch() != sysinit_spec::Arch::X86_64 {
        return;
    }
    for (pd, _) in description.all_protection_domains() {
        for map in pd.maps.iter().filter(|m| !m.perms.execute) {
            eprintln!(
                "sysinit: warning: {}: <map mr=\"{}\"> of protection domain '{}' has no \"x\" \
                 in perms, but seL4 on x86_64 never sets the XD bit: the mapping stays \
                 executable (only aarch64 makes it execute-never)",
                map.location, map.mr, pd.name
            );
        }
    }
}
