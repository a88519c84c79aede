//! Refusing an output path that is one of the command's inputs: `simulate x.json
//! --trace x.json` or `build -o D --roottask D/image.elf` would destroy the input.

use std::path::{Path, PathBuf};

use crate::CliError;

/// `path` made absolute with symlinks resolved; for a file not written yet, its
/// directory's canonical form joined with its name. `None` when neither exists
/// (then it cannot be an input, which was read).
fn canonical(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = std::fs::canonicalize(path) {
        return Some(p);
    }
    let parent = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(parent).ok()?.join(path.file_name()?))
}

/// Refuses the first of `outputs` (written for `option`) that is one of `inputs`
/// (each with what it is).
pub fn refuse_overwriting(
    option: &str,
    outputs: &[PathBuf],
    inputs: &[(String, &Path)],
    valid: &'static str,
) -> Result<(), CliError> {
    let inputs: Vec<(&str, &Path, PathBuf)> = inputs
        .iter()
        .filter_map(|(what, path)| Some((what.as_str(), *path, canonical(path)?)))
        .collect();
    for output in outputs {
        let Some(out) = canonical(output) else {
            continue;
        };
        if let Some((what, input, _)) = inputs.iter().find(|(_, _, c)| *c == out) {
            return Err(CliError::OutputIsInput {
                option: option.to_string(),
                output: output.clone(),
                what: what.to_string(),
                input: input.to_path_buf(),
                valid,
            });
        }
    }
    Ok(())
}
