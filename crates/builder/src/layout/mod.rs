//! Lays out every PD: its kernel objects, CSpace slots and address space.
//!
//! Object order and names are deterministic: memory region frames first
//! (`mr.<name>.frame<i>`, file order), then per PD in description order (parents
//! before children) `pd.<name>.cnode`, `.vspace`, `.notification`, `.endpoint`
//! (only if some channel may call it), `.ipc_buffer`, `.tcb`; then per PD its
//! stack (`.stack@<vaddr>`), IRQ (`.irq<id>`) and I/O port (`.ioport<id>`)
//! objects and program (`.image@<vaddr>`) pages, with page tables made on demand
//! (`pd.<name>.vspace.pt<level>@<vaddr>`). Last, per virtual machine in
//! description order, `vm.<name>.vspace`, `.cnode`, per vCPU `.vcpu<id>` and
//! `.tcb<id>`, and its stage-2 tables (`vm.<name>.vspace.pt<level>@<gpa>`).
//!
//! One module per phase, run in this order by [`build_spec`] once [`budget`]
//! has counted what they will need: [`regions`] (memory region frames, and later their mappings), [`pd`] (each
//! PD's objects, CSpace contract slots and stack), [`channels`], [`irqs`]
//! (interrupts and I/O ports), [`patches`] (setvar and the PD name),
//! [`image`] (program pages) and [`vm`] (virtual machines). What memory a frame is and how it is mapped is
//! decided in [`frames`] for every phase.

mod budget;
mod channels;
mod frames;
mod image;
mod irqs;
mod patches;
mod pd;
mod regions;
mod vm;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use budget::ROOT_CNODE_SLOTS;
use sysinit_board::Board;
use sysinit_sdf::{describe, Location, Perms, SystemDescription};
use sysinit_spec::{Cap, ObjectId, SpecBuilder};
pub use vm::VmLayout;

use crate::error::{BuildError, BuildErrors};
use crate::prefill::Prefills;
use crate::{BuiltSystem, LoadedImage};

/// What a mapping shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MappingSource {
    /// Pages of the program image.
    Image,
    /// The stack.
    Stack,
    /// The IPC buffer.
    IpcBuffer,
    /// A memory region; `paddr` when it has a fixed address.
    Region {
        /// The region.
        name: String,
        /// Its fixed physical address.
        paddr: Option<u64>,
        /// Whether it is device memory.
        device: bool,
    },
}

/// One contiguous mapping of a PD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// First virtual address.
    pub vaddr: u64,
    /// Bytes.
    pub size: u64,
    /// Page size in bytes.
    pub page_size: u64,
    /// Rights asked for (the frame caps carry read, write and execute).
    pub perms: Perms,
    /// Whether the mapping is cached.
    pub cached: bool,
    /// What is mapped.
    pub source: MappingSource,
}

/// A PD's address space, for reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PdLayout {
    /// The PD.
    pub name: String,
    /// Entry point.
    pub entry: u64,
    /// The program image file read, if the PD had one.
    pub image: Option<PathBuf>,
    /// Mappings by address.
    pub mappings: Vec<Mapping>,
}

/// The spec being built and every error found so far, shared by the phases.
struct Layout {
    b: SpecBuilder,
    errors: Vec<BuildError>,
}

impl Layout {
    /// Puts `cap` in `slot` of `cnode`.
    fn set_slot(&mut self, cnode: ObjectId, slot: u64, cap: Cap) {
        // Slots come from pd-abi bases plus validated ids: always below 2^CNODE_RADIX.
        if let Err(e) = self.b.set_slot(cnode, slot as u32, cap) {
            self.errors.push(BuildError::Internal(e.to_string()));
        }
    }

    /// Maps `cap` at `vaddr` in `vspace`; a failure is reported as `what` (made only
    /// then) of the element `at` (its location and text). Returns whether it mapped.
    fn map(
        &mut self,
        vspace: ObjectId,
        vaddr: u64,
        cap: Cap,
        at: (&Location, &str),
        what: impl FnOnce() -> String,
    ) -> bool {
        match self.b.map(vspace, vaddr, cap) {
            Ok(()) => true,
            Err(error) => {
                self.errors.push(BuildError::Layout {
                    location: at.0.clone(),
                    element: at.1.to_string(),
                    what: what(),
                    message: error.to_string(),
                });
                false
            }
        }
    }
}

/// Builds the spec from a description that passed [`crate::check`] and its images.
pub fn build_spec(
    description: &SystemDescription,
    board: &Board,
    mut images: BTreeMap<String, LoadedImage>,
    prefills: &Prefills,
) -> Result<BuiltSystem, BuildErrors> {
    budget::check(description, board, &images).map_err(BuildErrors)?;
    let arch = board.arch();
    let mut layout = Layout {
        b: SpecBuilder::for_kernel(board.kernel()),
        errors: Vec::new(),
    };
    let pds = description.all_protection_domains();
    let regions = regions::add_frames(&mut layout, description, prefills);
    let objects = pd::add_objects(&mut layout, description, &pds, &images, arch);
    channels::connect(&mut layout, description, &objects);
    let mut patches = patches::collect(description, prefills);

    let mut layouts = Vec::with_capacity(pds.len());
    for (pd, parent) in &pds {
        let name = pd.name.as_str();
        let Some(o) = objects.get(name) else { continue };
        let pd_element = describe::pd(pd);
        let mut mappings = vec![pd::ipc_buffer_mapping(arch)];
        pd::connect(&mut layout, pd, *parent, o, &objects);
        mappings.push(pd::add_stack(&mut layout, pd, &pd_element, o, arch));
        irqs::add_irqs(&mut layout, pd, o);
        irqs::add_ioports(&mut layout, pd, o);
        regions::map_into(
            &mut layout,
            description,
            &regions,
            &pd.maps,
            &pd_element,
            o.vspace,
            &mut mappings,
        );
        let entry = images.get(name).map_or(0, |i| i.image.entry);
        let image = images.get(name).map(|i| i.path.clone());
        if let Some(loaded) = images.get_mut(name) {
            let wanted = patches.remove(name).unwrap_or_default();
            patches::apply(&mut layout, pd, &pd_element, loaded, wanted);
            image::add_pages(&mut layout, pd, &pd_element, o, loaded, &mut mappings, arch);
        }
        mappings.sort_by_key(|m| m.vaddr);
        layouts.push(PdLayout {
            name: name.to_string(),
            entry,
            image,
            mappings,
        });
    }
    let mut vms = Vec::new();
    for (pd, _) in &pds {
        if let (Some(vm), Some(o)) = (&pd.virtual_machine, objects.get(pd.name.as_str())) {
            vms.push(vm::add_vm(&mut layout, description, &regions, pd, vm, o));
        }
    }
    // Patches for PDs without an image cannot happen: load_images refuses them first.
    if !layout.errors.is_empty() {
        return Err(BuildErrors(layout.errors));
    }
    let mut spec = layout
        .b
        .build()
        .map_err(|e| BuildErrors(vec![BuildError::Internal(e.to_string())]))?;
    // Which fixed addresses are device memory depends on the RAM size: record it.
    spec.machine = Some(sysinit_spec::Machine {
        board: board.name().to_string(),
        ram_bytes: board.ram_bytes(),
    });
    Ok(BuiltSystem {
        spec,
        pds: layouts,
        vms,
        guest_device_trees: BTreeMap::new(),
    })
}

/// `<map mr="..."> in <protection_domain ...>`.
fn map_element(map: &sysinit_sdf::Map, pd_element: &str) -> String {
    describe::inside(&describe::element("map", "mr", Some(&map.mr)), pd_element)
}
