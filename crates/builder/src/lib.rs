//! Turns a system description, a board and the PD program images into a sysinit spec.
//!
//! [`build_system`] is the whole job: it validates the description
//! ([`sysinit_sdf::validate`]), refuses what sysinit cannot build yet
//! ([`refusals`]), finds and reads every program image ([`load_images`], ELF
//! parsing in [`elf`]), and lays out every PD ([`build_spec`]) by the slot and
//! address contract of `sysinit-pd-abi`, following Microkit's meaning of
//! channels, protected procedures, interrupts and child PDs. The result is a
//! validated [`Spec`] plus a per-PD list of mappings for reports.
#![forbid(unsafe_code)]

pub mod elf;
mod error;
mod layout;
#[cfg(feature = "test-elf")]
pub mod test_elf;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sysinit_board::Board;
use sysinit_sdf::{describe, SystemDescription};
use sysinit_spec::Spec;

pub use elf::{ElfError, PatchError, ProgramImage, Segment, SegmentRights};
pub use error::{BuildError, BuildErrors};
pub use layout::{build_spec, Mapping, MappingSource, PdLayout, ROOT_CNODE_SLOTS};

/// A spec and what each PD sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltSystem {
    /// The validated spec.
    pub spec: Spec,
    /// Every PD's address space, in description order (parents before children).
    pub pds: Vec<PdLayout>,
}

/// A PD's program image and the file it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadedImage {
    /// The file read.
    pub path: PathBuf,
    /// Its contents.
    pub image: ProgramImage,
}

/// What sysinit refuses to build although the description is valid.
///
/// Needs no program images, so `sysinit check` reports these too.
pub fn refusals(description: &SystemDescription) -> Vec<BuildError> {
    let mut errors = Vec::new();
    for (pd, _) in description.all_protection_domains() {
        if let Some(vm) = &pd.virtual_machine {
            errors.push(BuildError::NotSupportedYet {
                location: vm.location.clone(),
                element: describe::inside(&describe::vm(vm), &describe::pd(pd)),
                what: "virtual machines are",
                reason: "the spec has no guest address spaces or vCPU setup, and the x86_64 kernel has no VT-x",
            });
        }
        for setvar in &pd.setvars {
            let Some(mr) = description.memory_region(&setvar.region_paddr) else {
                continue; // validation reports unknown regions
            };
            if mr.phys_addr.is_none() {
                let own = describe::element("setvar", "symbol", Some(&setvar.symbol));
                errors.push(BuildError::RegionPaddrUnknown {
                    location: setvar.location.clone(),
                    element: describe::inside(&own, &describe::pd(pd)),
                    mr: mr.name.clone(),
                });
            }
        }
    }
    errors
}

/// Validates `description` on `board` and applies [`refusals`]: everything `sysinit check` does.
pub fn check(description: &SystemDescription, board: &Board) -> Result<(), BuildErrors> {
    let mut errors: Vec<BuildError> = match sysinit_sdf::validate(description, board) {
        Ok(()) => Vec::new(),
        Err(e) => e.0.into_iter().map(BuildError::Description).collect(),
    };
    // One mistake, one message: a refusal at an element validation already
    // refused (x86 `<setvar region_paddr>` on a region without phys_addr) is left out.
    let refused: Vec<_> = errors
        .iter()
        .filter_map(|e| match e {
            BuildError::Description(d) => d.location().cloned(),
            _ => None,
        })
        .collect();
    errors.extend(refusals(description).into_iter().filter(|refusal| {
        !matches!(refusal, BuildError::RegionPaddrUnknown { location, .. } if refused.contains(location))
    }));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(BuildErrors(errors))
    }
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

/// Finds and parses every PD's program image.
///
/// A relative path is looked up in each of `search` in turn (the caller puts the
/// description's own directory first); an absolute path is used as it is. Files
/// used by several PDs are read once.
pub fn load_images(
    description: &SystemDescription,
    board: &Board,
    search: &[PathBuf],
) -> Result<BTreeMap<String, LoadedImage>, BuildErrors> {
    let mut errors = Vec::new();
    let mut images = BTreeMap::new();
    let mut parsed: BTreeMap<PathBuf, Result<ProgramImage, ElfError>> = BTreeMap::new();
    for (pd, _) in description.all_protection_domains() {
        let image = &pd.program_image;
        let written = Path::new(&image.path);
        let candidates: Vec<PathBuf> = if written.is_absolute() {
            vec![written.to_path_buf()]
        } else {
            search.iter().map(|dir| dir.join(written)).collect()
        };
        let Some(path) = candidates.iter().find(|p| p.is_file()) else {
            // A directory or a device where the file should be is named as such, not
            // "not found" (and a device such as /dev/zero is never read).
            if let Some((found, kind)) = candidates
                .iter()
                .find_map(|p| Some((p, not_a_file_kind(p)?)))
            {
                errors.push(BuildError::ImageNotAFile {
                    location: image.location.clone(),
                    pd: pd.name.clone(),
                    path: image.path.clone(),
                    kind,
                    found: found.clone(),
                });
                continue;
            }
            let list = |paths: &[PathBuf]| {
                let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                if names.is_empty() {
                    "(none)".to_string()
                } else {
                    names.join(", ")
                }
            };
            errors.push(BuildError::ImageNotFound {
                location: image.location.clone(),
                pd: pd.name.clone(),
                path: image.path.clone(),
                tried: list(&candidates),
                search: list(search),
            });
            continue;
        };
        if !parsed.contains_key(path) {
            let bytes = match std::fs::read(path) {
                Ok(bytes) => bytes,
                Err(e) => {
                    errors.push(BuildError::ImageRead {
                        location: image.location.clone(),
                        pd: pd.name.clone(),
                        path: path.clone(),
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            parsed.insert(path.clone(), ProgramImage::parse(&bytes, board.arch()));
        }
        match &parsed[path] {
            Ok(program) => {
                images.insert(
                    pd.name.clone(),
                    LoadedImage {
                        path: path.clone(),
                        image: program.clone(),
                    },
                );
            }
            Err(source) => errors.push(BuildError::Elf {
                location: image.location.clone(),
                pd: pd.name.clone(),
                path: path.clone(),
                source: source.clone(),
            }),
        }
    }
    if errors.is_empty() {
        Ok(images)
    } else {
        Err(BuildErrors(errors))
    }
}

/// Validates, loads the images and builds the spec: `sysinit build` without the file output.
pub fn build_system(
    description: &SystemDescription,
    board: &Board,
    search: &[PathBuf],
) -> Result<BuiltSystem, BuildErrors> {
    check(description, board)?;
    let images = load_images(description, board, search)?;
    build_spec(description, board, images)
}
