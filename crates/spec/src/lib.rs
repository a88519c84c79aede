//! The system spec: every kernel object sysinit creates, the caps in its
//! CNodes, its page-table mappings and thread settings, and the versioned
//! encodings that carry it from the host tool to the root task.
//!
//! The model follows CapDL: a spec is a flat list of named [`Object`]s that
//! refer to each other through [`Cap`]s holding an [`ObjectId`] (an index into
//! [`Spec::objects`]). Mappings are caps in page-table slots, so the
//! initializer builds each address space by walking its tables from the root.
//! Bulk data (program images) lives in one [`Spec::blob`] that fill entries
//! point into, so the root task can copy straight from the embedded bytes.
//!
//! Two encodings exist:
//! - binary ([`Spec::to_postcard`], [`Spec::from_postcard`]): a magic, a
//!   format version, a postcard body, then the blob. This is what the root
//!   task embeds and decodes.
//! - JSON (feature `json`, [`Spec::to_json_pretty`], [`Spec::from_json`]):
//!   for people and for the host tool's input and output.
//!
//! Decoding always validates ([`Spec::validate`]), so consumers only ever see
//! specs whose references, sizes and mappings are consistent. The format is
//! described in `docs/spec-format.md`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod builder;
mod encoding;
mod error;
mod hex_bytes;
#[cfg(feature = "json")]
mod json;
mod object;
mod validate;
mod walk;

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

pub use builder::SpecBuilder;
pub use encoding::{DecodeError, FORMAT_VERSION, MAGIC};
pub use error::{CapSite, SpecError, SpecErrorKind};
#[cfg(feature = "json")]
pub use json::{JsonError, JSON_VERSION};
pub use object::{
    entry_span_bits, CNode, Cap, FillContent, FillEntry, Frame, IoPorts, IpcBuffer, Irq, IrqSource,
    KernelObject, NamedObject, Object, ObjectId, PageTable, Rights, Tcb, Untyped, VSpace,
};
pub use sysinit_kobj::{Arch, KernelConfig, ObjectType};
pub use walk::Mapping;

/// A whole system: the objects to create and the data to fill frames with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// Architecture the spec is for; sizes and object types are checked against it.
    pub arch: Arch,
    /// Whether the kernel has hypervisor support (`KernelArmHypervisorSupport`: aarch64
    /// at EL2; false for aarch64 at EL1 and on x86_64). With [`Spec::arch`] it names the
    /// kernel configuration ([`Spec::kernel`]): its window, user top, object types and
    /// invocation labels. The root task refuses a spec for another configuration.
    pub hypervisor: bool,
    /// Every object, indexed by [`ObjectId`]. Names are unique.
    pub objects: Vec<NamedObject>,
    /// The machine the spec was built for, if the builder knew it. Informational for
    /// the root task (which checks every fixed address against the untypeds it is
    /// given), and what runners boot with (docs/spec-format.md).
    pub machine: Option<Machine>,
    /// Bytes that [`FillContent::Blob`] entries refer to.
    pub blob: Vec<u8>,
}

/// The machine a spec was built for: its fixed addresses are device memory or RAM
/// as they are on this board with this much RAM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    /// Board name, as `sysinit build --board` takes it (e.g. `qemu-x86_64`).
    pub board: String,
    /// Bytes of RAM the machine boots with (e.g. QEMU's `-m`).
    pub ram_bytes: u64,
}

impl Spec {
    /// An empty spec for `arch` in its default kernel configuration
    /// ([`KernelConfig::of_arch`]).
    pub fn new(arch: Arch) -> Spec {
        Spec::for_kernel(KernelConfig::of_arch(arch))
    }

    /// An empty spec for the kernel configuration `kernel`.
    pub fn for_kernel(kernel: KernelConfig) -> Spec {
        Spec {
            arch: kernel.arch,
            hypervisor: kernel.hypervisor,
            objects: Vec::new(),
            machine: None,
            blob: Vec::new(),
        }
    }

    /// The kernel configuration the spec is for; the architecture's default
    /// configuration if [`Spec::hypervisor`] names none (which [`Spec::validate`] refuses).
    pub fn kernel(&self) -> KernelConfig {
        KernelConfig::with_hypervisor(self.arch, self.hypervisor)
            .unwrap_or(KernelConfig::of_arch(self.arch))
    }

    /// The object with id `id`, if it exists.
    pub fn get(&self, id: ObjectId) -> Option<&NamedObject> {
        self.objects.get(id.index())
    }

    /// The id of the object called `name`.
    pub fn id_of(&self, name: &str) -> Option<ObjectId> {
        let index = self.objects.iter().position(|o| o.name == name)?;
        u32::try_from(index).ok().map(ObjectId)
    }

    /// Objects with their ids, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (ObjectId, &NamedObject)> {
        // Validation guarantees fewer than 2^32 objects, so the cast is exact.
        self.objects
            .iter()
            .enumerate()
            .map(|(i, o)| (ObjectId(i as u32), o))
    }
}
