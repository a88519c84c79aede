//! Finding the files a description names (program images, prefill files) on the
//! search path, the same way for every kind.

use std::path::{Path, PathBuf};

/// Why a written path did not lead to a regular file.
pub(crate) enum Missing {
    /// Something that is not a regular file is where the file should be.
    NotAFile {
        /// What it is: "a directory", "a character device", ...
        kind: &'static str,
        /// Where.
        found: PathBuf,
    },
    /// Nothing there.
    NotFound {
        /// Every file tried, comma separated.
        tried: String,
        /// The search directories, comma separated.
        search: String,
    },
}

/// Finds `written`: an absolute path as it is, a relative one in each of `search`
/// in turn (the caller puts the description's own directory first).
pub(crate) fn locate(written: &str, search: &[PathBuf]) -> Result<PathBuf, Missing> {
    let written = Path::new(written);
    let candidates: Vec<PathBuf> = if written.is_absolute() {
        vec![written.to_path_buf()]
    } else {
        search.iter().map(|dir| dir.join(written)).collect()
    };
    if let Some(path) = candidates.iter().find(|p| p.is_file()) {
        return Ok(path.clone());
    }
    // A directory or a device where the file should be is named as such, not
    // "not found" (and a device such as /dev/zero is never read).
    if let Some((found, kind)) = candidates
        .iter()
        .find_map(|p| Some((p, not_a_file_kind(p)?)))
    {
        return Err(Missing::NotAFile {
            kind,
            found: found.clone(),
        });
    }
    let list = |paths: &[PathBuf]| {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        if names.is_empty() {
            "(none)".to_string()
        } else {
            names.join(", ")
        }
    };
    Err(Missing::NotFound {
        tried: list(&candidates),
        search: list(search),
    })
}

/// What `path` is, if it exists and is not a regular file.
fn not_a_file_kind(path: &Path) -> Option<&'static str> {
    let file_type = std::fs::metadata(path).ok()?.file_type();
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_char_device() {
            return Some("a character device");
        }
        if file_type.is_block_device() {
            return Some("a block device");
        }
        if file_type.is_fifo() {
            return Some("a FIFO");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}
