//! Turns a system description, a board and the PD program images into a sysinit spec.
//!
//! [`build_system`] is the whole job: it validates the description
//! ([`sysinit_sdf::validate`]), refuses what sysinit cannot build yet
//! ([`refusals`]), finds and reads every program image ([`load_images`], ELF
//! parsing in [`elf`]) and prefill files ([`load_prefills`]), generates guest
//! device trees, and lays out every PD and virtual machine ([`build_spec`]) by the
//! slot and address contract of `sysinit-pd-abi`, following Microkit's meaning of
//! channels, protected procedures, interrupts, child PDs and VMs. The result is a
//! validated [`Spec`] plus a per-PD and per-VM list of mappings for reports.
#![forbid(unsafe_code)]

pub mod cpio;
pub mod elf;
mod error;
mod files;
mod guest;
mod layout;
mod prefill;
#[cfg(feature = "test-elf")]
pub mod test_elf;

use std::collections::BTreeMap;
use std::path::PathBuf;

use sysinit_board::Board;
use sysinit_sdf::{describe, SystemDescription};
use sysinit_spec::Spec;

pub use elf::{ElfError, PatchError, ProgramImage, Segment, SegmentRights};
pub use error::{BuildError, BuildErrors};
use files::Missing;
pub use layout::{build_spec, Mapping, MappingSource, PdLayout, VmLayout, ROOT_CNODE_SLOTS};
pub use prefill::{load_prefills, Prefill, Prefills};

/// A spec and what each PD sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltSystem {
    /// The validated spec.
    pub spec: Spec,
    /// Every PD's address space, in description order (parents before children).
    pub pds: Vec<PdLayout>,
    /// Every virtual machine's guest-physical address space, in description order.
    pub vms: Vec<VmLayout>,
    /// The generated guest device tree of each VM that asks for one, by VM name
    /// (also the prefill of its region); `sysinit build` writes each as `<vm>.dtb`.
    pub guest_device_trees: BTreeMap<String, Vec<u8>>,
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
        let path = match files::locate(&image.path, search) {
            Ok(path) => path,
            Err(Missing::NotAFile { kind, found }) => {
                errors.push(BuildError::ImageNotAFile {
                    location: image.location.clone(),
                    pd: pd.name.clone(),
                    path: image.path.clone(),
                    kind,
                    found,
                });
                continue;
            }
            Err(Missing::NotFound { tried, search }) => {
                errors.push(BuildError::ImageNotFound {
                    location: image.location.clone(),
                    pd: pd.name.clone(),
                    path: image.path.clone(),
                    tried,
                    search,
                });
                continue;
            }
        };
        let path = &path;
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
    let mut prefills = load_prefills(description, search)?;
    let trees = guest::add_device_trees(description, board, &mut prefills)?;
    let mut built = build_spec(description, board, images, &prefills)?;
    built.guest_device_trees = trees;
    Ok(built)
}
