//! A host model of the seL4 kernel's untyped memory semantics and boot-time untyped list.
#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};
use sysinit_kobj::PhysRange;

/// What the kernel knows about physical memory when it creates the boot-time untypeds.
///
/// Mirrors the inputs of seL4's `create_untypeds` (src/kernel/boot.c).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootMemory {
    /// Every physical range that is *not* device memory (`ndks_boot.reserved`): all RAM,
    /// including what the kernel and the root task occupy, and firmware-reserved RAM.
    /// Sorted and non-overlapping. Device untypeds cover the gaps between these ranges,
    /// up to `CONFIG_PADDR_USER_DEVICE_TOP`.
    pub reserved: Vec<PhysRange>,
    /// The kernel's boot-only code and data, handed back as normal untypeds (may be empty).
    pub boot_reuse: Option<PhysRange>,
    /// RAM left free after the kernel placed itself, the root task and the boot info
    /// (`ndks_boot.freemem`), in the kernel's order. Becomes normal untypeds.
    pub free_ram: Vec<PhysRange>,
}
