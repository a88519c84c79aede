//! Object type numbers for `Untyped_Retype` (`seL4_ObjectType` and the arch extensions).
//!
//! The kernel numbers the generic types first (untyped, TCB, endpoint,
//! notification, CNode), then the types of the word-size specific
//! architecture (`sel4_arch`), then those of the architecture family
//! (`arch`). Types that a configuration leaves out take no number, so these
//! values hold only for our configurations (no MCS, no IOMMU, no VT-x on
//! x86_64; hypervisor support on aarch64).

use sysinit_kobj::{Arch, ObjectType};

use crate::Word;

/// Generic object types, the same on every architecture.
pub mod generic {
    use crate::Word;
    /// `seL4_UntypedObject`.
    pub const UNTYPED: Word = 0;
    /// `seL4_TCBObject`.
    pub const TCB: Word = 1;
    /// `seL4_EndpointObject`.
    pub const ENDPOINT: Word = 2;
    /// `seL4_NotificationObject`.
    pub const NOTIFICATION: Word = 3;
    /// `seL4_CapTableObject`.
    pub const CNODE: Word = 4;
}

/// x86_64 object types of our configuration.
pub mod x86_64 {
    pub use super::generic::*;
    use crate::Word;
    /// `seL4_X86_PDPTObject`.
    pub const PDPT: Word = 5;
    /// `seL4_X64_PML4Object`: the VSpace root.
    pub const PML4: Word = 6;
    /// `seL4_X64_HugePageObject` (1 GiB; needs `CONFIG_HUGE_PAGE`).
    pub const HUGE_PAGE: Word = 7;
    /// `seL4_X86_4K`.
    pub const SMALL_PAGE: Word = 8;
    /// `seL4_X86_LargePageObject` (2 MiB).
    pub const LARGE_PAGE: Word = 9;
    /// `seL4_X86_PageTableObject`.
    pub const PAGE_TABLE: Word = 10;
    /// `seL4_X86_PageDirectoryObject`.
    pub const PAGE_DIRECTORY: Word = 11;
    /// Number of object types (`seL4_ObjectTypeCount`).
    pub const COUNT: Word = 12;
}

/// aarch64 object types of our configuration.
pub mod aarch64 {
    pub use super::generic::*;
    use crate::Word;
    /// `seL4_ARM_HugePageObject` (1 GiB).
    pub const HUGE_PAGE: Word = 5;
    /// `seL4_ARM_VSpaceObject`: the VSpace root.
    pub const VSPACE: Word = 6;
    /// `seL4_ARM_SmallPageObject` (4 KiB).
    pub const SMALL_PAGE: Word = 7;
    /// `seL4_ARM_LargePageObject` (2 MiB).
    pub const LARGE_PAGE: Word = 8;
    /// `seL4_ARM_PageTableObject` (every level below the root).
    pub const PAGE_TABLE: Word = 9;
    /// `seL4_ARM_VCPUObject` (hypervisor support).
    pub const VCPU: Word = 10;
    /// Number of object types (`seL4_ObjectTypeCount`).
    pub const COUNT: Word = 11;
}

/// The `type` argument of `Untyped_Retype` that creates `ty` on `arch`.
///
/// `None` when the kernel cannot create the type by retyping on that
/// architecture: ASID pools come from `ASIDControl_MakePool` instead, and the
/// arch-specific types of the other architecture do not exist.
pub const fn object_type_number(arch: Arch, ty: ObjectType) -> Option<Word> {
    Some(match (arch, ty) {
        (_, ObjectType::Untyped) => generic::UNTYPED,
        (_, ObjectType::Tcb) => generic::TCB,
        (_, ObjectType::Endpoint) => generic::ENDPOINT,
        (_, ObjectType::Notification) => generic::NOTIFICATION,
        (_, ObjectType::CNode) => generic::CNODE,
        (_, ObjectType::AsidPool) => return None,

        (Arch::X86_64, ObjectType::SmallPage) => x86_64::SMALL_PAGE,
        (Arch::X86_64, ObjectType::LargePage) => x86_64::LARGE_PAGE,
        (Arch::X86_64, ObjectType::HugePage) => x86_64::HUGE_PAGE,
        (Arch::X86_64, ObjectType::VSpace) => x86_64::PML4,
        (Arch::X86_64, ObjectType::PageTable) => x86_64::PAGE_TABLE,
        (Arch::X86_64, ObjectType::X86PageDirectory) => x86_64::PAGE_DIRECTORY,
        (Arch::X86_64, ObjectType::X86Pdpt) => x86_64::PDPT,
        (Arch::X86_64, ObjectType::Vcpu) => return None,

        (Arch::Aarch64, ObjectType::SmallPage) => aarch64::SMALL_PAGE,
        (Arch::Aarch64, ObjectType::LargePage) => aarch64::LARGE_PAGE,
        (Arch::Aarch64, ObjectType::HugePage) => aarch64::HUGE_PAGE,
        (Arch::Aarch64, ObjectType::VSpace) => aarch64::VSPACE,
        (Arch::Aarch64, ObjectType::PageTable) => aarch64::PAGE_TABLE,
        (Arch::Aarch64, ObjectType::Vcpu) => aarch64::VCPU,
        (Arch::Aarch64, ObjectType::X86PageDirectory | ObjectType::X86Pdpt) => return None,
    })
}

/// The object type a retype `type` number creates on `arch` (inverse of [`object_type_number`]).
pub fn object_type_of_number(arch: Arch, number: Word) -> Option<ObjectType> {
    ObjectType::ALL
        .into_iter()
        .find(|&ty| object_type_number(arch, ty) == Some(number))
}
