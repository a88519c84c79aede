//! Prefilled memory regions (Microkit's `prefill_path`): the bytes a region starts
//! with, read from a file on the search path, or generated (a guest device tree).
//! The layout turns them into fill entries of the region's frames, so the root
//! task writes them at boot exactly like program image pages.

use std::collections::BTreeMap;
use std::path::PathBuf;

use sysinit_sdf::{MemoryRegion, SystemDescription};

use crate::error::{BuildError, BuildErrors};
use crate::files::{self, Missing};

/// What one region is prefilled with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefill {
    /// What the bytes are, for messages and reports: `prefill file <path>` or
    /// `the guest device tree of '<vm>'`.
    pub what: String,
    /// The bytes, written from the region's first byte on (the rest stays zero).
    pub bytes: Vec<u8>,
}

/// Every region's prefill, by region name.
pub type Prefills = BTreeMap<String, Prefill>;

/// Reads every region's `prefill_path` (found like program images: an absolute path
/// as it is, a relative one in each of `search`). A file larger than its region is
/// refused, with both sizes, before it is read.
pub fn load_prefills(
    description: &SystemDescription,
    search: &[PathBuf],
) -> Result<Prefills, BuildErrors> {
    let mut errors = Vec::new();
    let mut prefills = Prefills::new();
    for mr in &description.memory_regions {
        let Some(written) = &mr.prefill_path else {
            continue;
        };
        match read(mr, written, search) {
            Ok(prefill) => {
                prefills.insert(mr.name.clone(), prefill);
            }
            Err(e) => errors.push(*e),
        }
    }
    if errors.is_empty() {
        Ok(prefills)
    } else {
        Err(BuildErrors(errors))
    }
}

// Boxed: BuildError is large, and every caller only collects it.
fn read(mr: &MemoryRegion, written: &str, search: &[PathBuf]) -> Result<Prefill, Box<BuildError>> {
    let path = files::locate(written, search).map_err(|missing| {
        Box::new(match missing {
            Missing::NotAFile { kind, found } => BuildError::PrefillNotAFile {
                location: mr.location.clone(),
                mr: mr.name.clone(),
                path: written.to_string(),
                kind,
                found,
            },
            Missing::NotFound { tried, search } => BuildError::PrefillNotFound {
                location: mr.location.clone(),
                mr: mr.name.clone(),
                path: written.to_string(),
                tried,
                search,
            },
        })
    })?;
    let unreadable = |e: std::io::Error| {
        Box::new(BuildError::PrefillRead {
            location: mr.location.clone(),
            mr: mr.name.clone(),
            path: path.clone(),
            message: e.to_string(),
        })
    };
    let what = format!("prefill file {}", path.display());
    // The size first: a file far larger than the region is never read into memory.
    let size = std::fs::metadata(&path).map_err(unreadable)?.len();
    fits(mr, &what, size)?;
    let bytes = std::fs::read(&path).map_err(unreadable)?;
    // The file may have grown since its size was taken.
    fits(mr, &what, bytes.len() as u64)?;
    Ok(Prefill { what, bytes })
}

/// Refuses `size` bytes of `what` that do not fit in `mr`.
pub(crate) fn fits(mr: &MemoryRegion, what: &str, size: u64) -> Result<(), Box<BuildError>> {
    if size > mr.size {
        return Err(Box::new(BuildError::PrefillTooLarge {
            location: mr.location.clone(),
            mr: mr.name.clone(),
            what: what.to_string(),
            size,
            region: mr.size,
        }));
    }
    Ok(())
}
