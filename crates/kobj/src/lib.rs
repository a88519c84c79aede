//! seL4 kernel object types, their sizes per architecture, and the kernel's untyped limits.
//!
//! This crate is the single source of truth for "how big is this object" and
//! "where does the kernel map physical memory in its own address space". The
//! planner, the kernel model, the spec types and the root task all read these
//! numbers from here, so they can never disagree with one another. The values
//! follow the kernel configuration in `kernel-config/` (non-MCS, no hardware
//! debug API, `KernelXSaveSize` below 832 on x86_64, hypervisor mode and a
//! 44-bit physical address size on aarch64); a change there must be mirrored here.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use core::fmt;
use serde::{Deserialize, Serialize};

mod root_cnode;

pub use root_cnode::{
    RootCNodeAtBoot, RootCNodeFull, NUM_INITIAL_CAPS, ROOT_CNODE_SIZE_BITS, ROOT_TASK_SLOTS,
};

/// Smallest untyped the kernel hands out or lets us create (`seL4_MinUntypedBits`).
/// The untyped watermark (`capFreeIndex`) counts in units of this size.
pub const MIN_UNTYPED_BITS: u8 = 4;
/// Largest untyped the kernel creates or accepts (`seL4_MaxUntypedBits`, both 64-bit arches).
pub const MAX_UNTYPED_BITS: u8 = 47;
/// Most objects one `Untyped_Retype` may create (`CONFIG_RETYPE_FAN_OUT_LIMIT`, default 256).
pub const RETYPE_FAN_OUT_LIMIT: u32 = 256;
/// Bits of one capability slot (`seL4_SlotBits`): a CNode of radix r takes 2^(r+5) bytes.
pub const SLOT_BITS: u8 = 5;
/// Machine word width; sizes at or beyond it are refused by the kernel.
pub const WORD_BITS: u8 = 64;
/// Index bits of every paging structure on both arches for our configs: 512 entries of 8 bytes.
pub const PAGE_TABLE_INDEX_BITS: u8 = 9;
/// Levels of paging structures, root included: 4 on x86_64 (PML4, PDPT, PD, PT) and on
/// aarch64 with a 44-bit PA (the stage-2 root starts at level 0).
pub const PAGING_LEVELS: u8 = 4;
/// log2 of the IPC buffer's size and required alignment (`seL4_IPCBufferSizeBits`, both arches).
pub const IPC_BUFFER_SIZE_BITS: u8 = 10;

/// The two architectures sysinit targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Arch {
    /// x86_64 on the pc99 platform.
    X86_64,
    /// aarch64 with the kernel at EL2 (hypervisor support on).
    Aarch64,
}

impl Arch {
    /// Every supported architecture, for iteration in tests and help texts.
    pub const ALL: [Arch; 2] = [Arch::X86_64, Arch::Aarch64];

    /// The kernel's physical-to-virtual mapping in this architecture's default
    /// configuration ([`KernelConfig::of_arch`]: EL2 on aarch64).
    pub const fn kernel_window(self) -> KernelWindow {
        KernelConfig::of_arch(self).kernel_window()
    }

    /// Lower-case name used on command lines, in boards and in traces.
    pub const fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// Parses [`Arch::name`].
    pub fn from_name(name: &str) -> Option<Arch> {
        Arch::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Page sizes (in bits) a frame may have on this architecture, smallest first.
    pub const fn frame_size_bits(self) -> [u8; 3] {
        [12, 21, 30]
    }

    /// Exclusive end of the virtual range user frames may be mapped in, in this
    /// architecture's default configuration ([`KernelConfig::user_vaddr_end`]).
    pub const fn user_vaddr_end(self) -> u64 {
        KernelConfig::of_arch(self).user_vaddr_end()
    }

    /// Highest interrupt number `IRQControl_Get*` accepts in our kernel configurations
    /// (kernel-config/*.cmake): on x86_64 (pc99) the user vector, at most
    /// `irq_user_max - irq_user_min` = 155 - 48 = 107; on aarch64 (qemu-arm-virt, GICv2)
    /// the platform's `maxIRQ`, 159. Higher ones are `seL4_RangeError`. The board files
    /// state the same (`max_vector`, `max_irq`; checked by the board's tests).
    pub const fn max_user_irq(self) -> u32 {
        match self {
            Arch::X86_64 => 107,
            Arch::Aarch64 => 159,
        }
    }

    /// The paging structure at `level` (0 = the VSpace root, [`PAGING_LEVELS`] - 1 = last level).
    pub const fn paging_structure(self, level: u8) -> Option<ObjectType> {
        match (self, level) {
            (_, 0) => Some(ObjectType::VSpace),
            (Arch::X86_64, 1) => Some(ObjectType::X86Pdpt),
            (Arch::X86_64, 2) => Some(ObjectType::X86PageDirectory),
            (_, 1..=3) => Some(ObjectType::PageTable),
            _ => None,
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A kernel configuration sysinit supports: the architecture and the build options
/// that change what sysinit must know about the kernel (its window, `seL4_UserTop`,
/// the object types and invocation labels it has). One value per file in
/// `kernel-config/`; the board names it (`arch` and `virtualization`), the spec
/// carries it, the root task is built for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KernelConfig {
    /// The architecture.
    pub arch: Arch,
    /// `KernelArmHypervisorSupport` (`CONFIG_ARM_HYPERVISOR_SUPPORT`): the aarch64 kernel
    /// runs at EL2 and has VCPU objects. Always false on x86_64 (no VT-x).
    pub hypervisor: bool,
}

impl KernelConfig {
    /// `kernel-config/x86_64.cmake`.
    pub const X86_64: KernelConfig = KernelConfig {
        arch: Arch::X86_64,
        hypervisor: false,
    };
    /// `kernel-config/aarch64.cmake`: the kernel at EL2.
    pub const AARCH64: KernelConfig = KernelConfig {
        arch: Arch::Aarch64,
        hypervisor: true,
    };
    /// `kernel-config/aarch64-el1.cmake`: the kernel at EL1, no hypervisor support.
    pub const AARCH64_EL1: KernelConfig = KernelConfig {
        arch: Arch::Aarch64,
        hypervisor: false,
    };
    /// Every configuration, for iteration in tests and help texts.
    pub const ALL: [KernelConfig; 3] = [Self::X86_64, Self::AARCH64, Self::AARCH64_EL1];

    /// The configuration an architecture means when nothing else is said (the first
    /// one sysinit supported): x86_64, aarch64 at EL2.
    pub const fn of_arch(arch: Arch) -> KernelConfig {
        match arch {
            Arch::X86_64 => Self::X86_64,
            Arch::Aarch64 => Self::AARCH64,
        }
    }

    /// Whether this is [`KernelConfig::of_arch`] of its architecture.
    pub const fn is_arch_default(self) -> bool {
        self.hypervisor == Self::of_arch(self.arch).hypervisor
    }

    /// The configuration with hypervisor support `hypervisor`, if sysinit supports it.
    pub const fn with_hypervisor(arch: Arch, hypervisor: bool) -> Option<KernelConfig> {
        match (arch, hypervisor) {
            (Arch::X86_64, false) => Some(Self::X86_64),
            (Arch::Aarch64, true) => Some(Self::AARCH64),
            (Arch::Aarch64, false) => Some(Self::AARCH64_EL1),
            (Arch::X86_64, true) => None,
        }
    }

    /// Name used on command lines, in traces and in `SEL4_PREFIX` (its directory).
    pub const fn name(self) -> &'static str {
        match (self.arch, self.hypervisor) {
            (Arch::X86_64, _) => "x86_64",
            (Arch::Aarch64, true) => "aarch64",
            (Arch::Aarch64, false) => "aarch64-el1",
        }
    }

    /// Parses [`KernelConfig::name`].
    pub fn from_name(name: &str) -> Option<KernelConfig> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The kernel's physical-to-virtual mapping in this configuration.
    pub const fn kernel_window(self) -> KernelWindow {
        match (self.arch, self.hypervisor) {
            // include/plat/pc99/plat/64/plat_mode/machine/hardware.h:
            // PPTR_BASE 0xffffff8000000000, PADDR_BASE 0.
            (Arch::X86_64, _) => KernelWindow {
                pptr_base_offset: 0xffff_ff80_0000_0000,
                paddr_user_device_top: 1 << 47,
                // PPTR_TOP 0xffffffff80000000 - PPTR_BASE.
                paddr_top: 0x7f_8000_0000,
            },
            // include/arch/arm/arch/64/mode/hardware.h with CONFIG_ARM_HYPERVISOR_SUPPORT:
            // PPTR_BASE 0x0000008000000000, PADDR_BASE 0; Cortex-A57: PA size 44 bits.
            (Arch::Aarch64, true) => KernelWindow {
                pptr_base_offset: 0x0000_0080_0000_0000,
                paddr_user_device_top: 1 << 44,
                // PPTR_TOP 0x000000ffc0000000 - PPTR_BASE.
                paddr_top: 0x7f_c000_0000,
            },
            // The same header without hypervisor support (EL1): PPTR_BASE
            // 0xffffff8000000000 (2^64 - 2^39), so physical 2^39 and above (QEMU virt's
            // high PCIe window) wraps to kernel-virtual 0 and up, as on x86_64;
            // CONFIG_PADDR_USER_DEVICE_TOP 2^44 (gen_config.h of that build).
            (Arch::Aarch64, false) => KernelWindow {
                pptr_base_offset: 0xffff_ff80_0000_0000,
                paddr_user_device_top: 1 << 44,
                // PPTR_TOP 0xffffffffc0000000 - PPTR_BASE.
                paddr_top: 0x7f_c000_0000,
            },
        }
    }

    /// Exclusive end of the virtual range user frames may be mapped in (`seL4_UserTop` + 1,
    /// rounded to what a mapping may reach).
    ///
    /// x86_64: the kernel refuses a mapping whose end passes `USER_TOP`
    /// (0x7fff_ffff_ffff), so the last page below 2^47 stays unmapped.
    /// aarch64 at EL2 (44-bit PA): `seL4_UserTop` is 2^44 - 1, inclusive.
    /// aarch64 at EL1: `seL4_UserTop` is 0x7fff_ffff_ffff, inclusive
    /// (`sel4/sel4_arch/constants.h` without `CONFIG_ARM_HYPERVISOR_SUPPORT`).
    pub const fn user_vaddr_end(self) -> u64 {
        match (self.arch, self.hypervisor) {
            (Arch::X86_64, _) => 0x7fff_ffff_f000,
            (Arch::Aarch64, true) => 1 << 44,
            (Arch::Aarch64, false) => 1 << 47,
        }
    }

    /// Whether objects of type `ty` exist in this configuration (a VCPU needs
    /// hypervisor support).
    pub const fn has_object(self, ty: ObjectType) -> bool {
        ty.exists_on(self.arch) && (!matches!(ty, ObjectType::Vcpu) || self.hypervisor)
    }
}

impl From<Arch> for KernelConfig {
    fn from(arch: Arch) -> KernelConfig {
        KernelConfig::of_arch(arch)
    }
}

impl fmt::Display for KernelConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the kernel sees physical memory: kernel VA = paddr + `pptr_base_offset`, modulo 2^64.
///
/// seL4 places and aligns every object by its kernel-virtual address
/// (`alignUp(freeRef, size)` in `decodeUntypedInvocation`), and the boot-time
/// untypeds are size-aligned chunks of the kernel-virtual image of each
/// physical region. For device memory the addition can wrap around 2^64, which
/// is why alignment in physical space and in kernel-virtual space differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KernelWindow {
    /// `PPTR_BASE - PADDR_BASE`: what the kernel adds to a physical address.
    pub pptr_base_offset: u64,
    /// `CONFIG_PADDR_USER_DEVICE_TOP`: device untypeds stop below this physical address.
    pub paddr_user_device_top: u64,
    /// `PADDR_TOP`: RAM at or above this physical address is outside the kernel window,
    /// so the kernel cannot use it as normal memory and hands it out as device untypeds.
    pub paddr_top: u64,
}

impl KernelWindow {
    /// Kernel-virtual address of physical address `paddr` (wrapping, as the kernel computes it).
    pub const fn kva(&self, paddr: u64) -> u64 {
        paddr.wrapping_add(self.pptr_base_offset)
    }

    /// Physical address of kernel-virtual address `kva` (wrapping).
    pub const fn paddr(&self, kva: u64) -> u64 {
        kva.wrapping_sub(self.pptr_base_offset)
    }
}

/// One entry of the kernel's boot-time untyped list (`seL4_UntypedDesc` in BootInfo).
///
/// The kernel reports the *physical* address, but the untyped is size-aligned
/// in kernel-virtual space ([`KernelWindow::kva`]), not necessarily physically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BootUntyped {
    /// Physical address of the first byte.
    pub paddr: u64,
    /// log2 of the size in bytes.
    pub size_bits: u8,
    /// Device memory: may only be retyped into frames and untypeds, and is never zeroed.
    pub is_device: bool,
}

impl BootUntyped {
    /// Size in bytes.
    pub const fn size(&self) -> u64 {
        1u64 << self.size_bits
    }

    /// Whether physical address `paddr` lies inside this untyped.
    pub const fn contains(&self, paddr: u64) -> bool {
        paddr.wrapping_sub(self.paddr) < self.size()
    }
}

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

/// The untyped a retype step draws from, as the planner plans it and a trace records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UntypedRef {
    /// Entry `i` of the boot-time untyped list.
    Boot(u32),
    /// Untyped number `i` created by an earlier step (the planner's `Plan::derived`).
    Derived(u32),
}

/// A half-open physical address range `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PhysRange {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

impl PhysRange {
    /// Builds `[start, end)`.
    pub const fn new(start: u64, end: u64) -> Self {
        PhysRange { start, end }
    }
    /// Length in bytes.
    pub const fn len(&self) -> u64 {
        self.end - self.start
    }
    /// Whether the range holds no bytes.
    pub const fn is_empty(&self) -> bool {
        self.end <= self.start
    }
    /// Whether `paddr` lies inside.
    pub const fn contains(&self, paddr: u64) -> bool {
        self.start <= paddr && paddr < self.end
    }
    /// Whether the two ranges share a byte.
    pub const fn overlaps(&self, other: &PhysRange) -> bool {
        self.start < other.end && other.start < self.end
    }
}

impl fmt::Display for PhysRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:#x}..{:#x})", self.start, self.end)
    }
}

/// Kernel object types that can be created by retyping untyped memory.
///
/// Frames come in the three page sizes both architectures share; paging
/// structures are named for what they are on each architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ObjectType {
    /// More untyped memory; its size is the `size_bits` argument.
    Untyped,
    /// Thread control block.
    Tcb,
    /// IPC endpoint.
    Endpoint,
    /// Notification object.
    Notification,
    /// Capability table; the argument is its radix (log2 of the slot count).
    CNode,
    /// 4 KiB frame.
    SmallPage,
    /// 2 MiB frame.
    LargePage,
    /// 1 GiB frame.
    HugePage,
    /// Root of an address space: PML4 on x86_64, the VSpace root table on aarch64.
    VSpace,
    /// Last-level page table (x86_64 PT, aarch64 intermediate/leaf page table).
    PageTable,
    /// x86_64 page directory.
    X86PageDirectory,
    /// x86_64 page directory pointer table.
    X86Pdpt,
    /// ASID pool.
    AsidPool,
    /// Virtual CPU (aarch64 hypervisor mode).
    Vcpu,
}

/// Why an object size cannot be computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeError {
    /// The type does not exist on this architecture.
    NotOnArch { ty: ObjectType, arch: Arch },
    /// The size argument is outside what the kernel accepts for this type.
    BadSizeArgument {
        ty: ObjectType,
        given: u8,
        min: u8,
        max: u8,
    },
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SizeError::NotOnArch { ty, arch } => {
                write!(f, "object type {} does not exist on {arch}", ty.name())
            }
            SizeError::BadSizeArgument {
                ty,
                given,
                min,
                max,
            } => write!(
                f,
                "{} size argument {given} is out of range (valid: {min}..={max})",
                ty.name()
            ),
        }
    }
}

impl ObjectType {
    /// Every object type, in a fixed order.
    pub const ALL: [ObjectType; 14] = [
        ObjectType::Untyped,
        ObjectType::Tcb,
        ObjectType::Endpoint,
        ObjectType::Notification,
        ObjectType::CNode,
        ObjectType::SmallPage,
        ObjectType::LargePage,
        ObjectType::HugePage,
        ObjectType::VSpace,
        ObjectType::PageTable,
        ObjectType::X86PageDirectory,
        ObjectType::X86Pdpt,
        ObjectType::AsidPool,
        ObjectType::Vcpu,
    ];

    /// Stable lower-case name, used in traces and specs.
    pub const fn name(self) -> &'static str {
        match self {
            ObjectType::Untyped => "untyped",
            ObjectType::Tcb => "tcb",
            ObjectType::Endpoint => "endpoint",
            ObjectType::Notification => "notification",
            ObjectType::CNode => "cnode",
            ObjectType::SmallPage => "frame_4k",
            ObjectType::LargePage => "frame_2m",
            ObjectType::HugePage => "frame_1g",
            ObjectType::VSpace => "vspace",
            ObjectType::PageTable => "page_table",
            ObjectType::X86PageDirectory => "page_directory",
            ObjectType::X86Pdpt => "pdpt",
            ObjectType::AsidPool => "asid_pool",
            ObjectType::Vcpu => "vcpu",
        }
    }

    /// Parses [`ObjectType::name`].
    pub fn from_name(name: &str) -> Option<ObjectType> {
        ObjectType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether the kernel accepts this type from a device untyped (`Arch_isFrameType` or untyped).
    pub const fn allowed_in_device_memory(self) -> bool {
        matches!(
            self,
            ObjectType::Untyped
                | ObjectType::SmallPage
                | ObjectType::LargePage
                | ObjectType::HugePage
        )
    }

    /// Whether this is a frame (page) type.
    pub const fn is_frame(self) -> bool {
        matches!(
            self,
            ObjectType::SmallPage | ObjectType::LargePage | ObjectType::HugePage
        )
    }

    /// The frame type of a page size in bits, if there is one.
    pub const fn frame_of_size_bits(size_bits: u8) -> Option<ObjectType> {
        match size_bits {
            12 => Some(ObjectType::SmallPage),
            21 => Some(ObjectType::LargePage),
            30 => Some(ObjectType::HugePage),
            _ => None,
        }
    }

    /// Whether the type takes a size argument (`userObjSize`) that changes its size.
    pub const fn has_size_argument(self) -> bool {
        matches!(self, ObjectType::Untyped | ObjectType::CNode)
    }

    /// Whether the type exists on `arch`.
    pub const fn exists_on(self, arch: Arch) -> bool {
        match self {
            ObjectType::X86PageDirectory | ObjectType::X86Pdpt => matches!(arch, Arch::X86_64),
            ObjectType::Vcpu => matches!(arch, Arch::Aarch64),
            _ => true,
        }
    }

    /// log2 of the object's size in bytes, as the kernel's `getObjectSize` computes it.
    ///
    /// `size_arg` is `userObjSize`: the size for untypeds, the radix for CNodes,
    /// and ignored for every fixed-size type. The ranges checked here are the
    /// ones `decodeUntypedInvocation` enforces.
    pub const fn size_bits(self, arch: Arch, size_arg: u8) -> Result<u8, SizeError> {
        if !self.exists_on(arch) {
            return Err(SizeError::NotOnArch { ty: self, arch });
        }
        Ok(match self {
            ObjectType::Untyped => {
                if size_arg < MIN_UNTYPED_BITS || size_arg > MAX_UNTYPED_BITS {
                    return Err(SizeError::BadSizeArgument {
                        ty: self,
                        given: size_arg,
                        min: MIN_UNTYPED_BITS,
                        max: MAX_UNTYPED_BITS,
                    });
                }
                size_arg
            }
            ObjectType::CNode => {
                if size_arg < 1 || size_arg > MAX_UNTYPED_BITS - SLOT_BITS {
                    return Err(SizeError::BadSizeArgument {
                        ty: self,
                        given: size_arg,
                        min: 1,
                        max: MAX_UNTYPED_BITS - SLOT_BITS,
                    });
                }
                size_arg + SLOT_BITS
            }
            // seL4_TCBBits is 11 for our configs (no XSAVE area >= 832 bytes on
            // x86_64, no hardware debug API on aarch64).
            ObjectType::Tcb => 11,
            ObjectType::Endpoint => 4,
            ObjectType::Notification => 5,
            ObjectType::SmallPage => 12,
            ObjectType::LargePage => 21,
            ObjectType::HugePage => 30,
            // aarch64 with a 44-bit PA uses a 4-level stage-2 table: a one-page root.
            ObjectType::VSpace => 12,
            ObjectType::PageTable => 12,
            ObjectType::X86PageDirectory => 12,
            ObjectType::X86Pdpt => 12,
            ObjectType::AsidPool => 12,
            ObjectType::Vcpu => 12,
        })
    }
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Rounds `value` up to a multiple of 2^`bits`, wrapping modulo 2^64 like the kernel's `alignUp`.
pub const fn align_up(value: u64, bits: u8) -> u64 {
    if bits >= 64 {
        // Every value rounds up to 2^64, which wraps to 0; the kernel never asks.
        return 0;
    }
    let mask = (1u64 << bits) - 1;
    value.wrapping_add(mask) & !mask
}

/// Whether `value` is a multiple of 2^`bits`.
pub const fn is_aligned(value: u64, bits: u8) -> bool {
    bits >= 64 && value == 0 || bits < 64 && value & ((1u64 << bits) - 1) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in ObjectType::ALL {
            assert_eq!(ObjectType::from_name(t.name()), Some(t));
        }
        for a in Arch::ALL {
            assert_eq!(Arch::from_name(a.name()), Some(a));
        }
    }

    #[test]
    fn cnode_size_includes_slot_bits() {
        assert_eq!(ObjectType::CNode.size_bits(Arch::X86_64, 10), Ok(15));
        assert!(ObjectType::CNode.size_bits(Arch::X86_64, 0).is_err());
    }

    #[test]
    fn untyped_size_limits() {
        assert!(ObjectType::Untyped.size_bits(Arch::Aarch64, 3).is_err());
        assert_eq!(ObjectType::Untyped.size_bits(Arch::Aarch64, 47), Ok(47));
        assert!(ObjectType::Untyped.size_bits(Arch::Aarch64, 48).is_err());
    }

    #[test]
    fn arch_specific_types() {
        assert!(ObjectType::Vcpu.size_bits(Arch::X86_64, 0).is_err());
        assert!(ObjectType::X86Pdpt.size_bits(Arch::Aarch64, 0).is_err());
    }

    #[test]
    fn paging_structures_per_level() {
        assert_eq!(Arch::X86_64.paging_structure(1), Some(ObjectType::X86Pdpt));
        assert_eq!(
            Arch::X86_64.paging_structure(2),
            Some(ObjectType::X86PageDirectory)
        );
        assert_eq!(
            Arch::Aarch64.paging_structure(2),
            Some(ObjectType::PageTable)
        );
        for arch in Arch::ALL {
            assert_eq!(arch.paging_structure(0), Some(ObjectType::VSpace));
            assert_eq!(arch.paging_structure(3), Some(ObjectType::PageTable));
            assert_eq!(arch.paging_structure(PAGING_LEVELS), None);
            // Four levels of 9 index bits over 4 KiB pages cover the user range.
            let covered = 12 + u32::from(PAGE_TABLE_INDEX_BITS) * u32::from(PAGING_LEVELS);
            assert!(arch.user_vaddr_end() <= 1u64 << covered);
        }
        for config in KernelConfig::ALL {
            let covered = 12 + u32::from(PAGE_TABLE_INDEX_BITS) * u32::from(PAGING_LEVELS);
            assert!(config.user_vaddr_end() <= 1u64 << covered);
        }
    }

    #[test]
    fn x86_device_window_wraps() {
        let w = Arch::X86_64.kernel_window();
        assert_eq!(w.kva(0x80_0000_0000), 0);
        assert_eq!(w.paddr(0), 0x80_0000_0000);
    }

    #[test]
    fn aarch64_el1_device_window_wraps() {
        let w = KernelConfig::AARCH64_EL1.kernel_window();
        // QEMU virt's high PCIe window starts at 2^39: kernel-virtual 0 at EL1.
        assert_eq!(w.kva(0x80_0000_0000), 0);
        assert_eq!(w.kva(0x4000_0000), 0xffff_ff80_4000_0000);
        assert_eq!(w.paddr(0), 0x80_0000_0000);
        // At EL2 the same address does not wrap.
        assert_eq!(
            KernelConfig::AARCH64.kernel_window().kva(0x80_0000_0000),
            0x100_0000_0000
        );
    }

    #[test]
    fn kernel_config_names_round_trip() {
        for c in KernelConfig::ALL {
            assert_eq!(KernelConfig::from_name(c.name()), Some(c));
            assert_eq!(KernelConfig::with_hypervisor(c.arch, c.hypervisor), Some(c));
        }
        assert!(KernelConfig::AARCH64.has_object(ObjectType::Vcpu));
        assert!(!KernelConfig::AARCH64_EL1.has_object(ObjectType::Vcpu));
        assert!(
            KernelConfig::AARCH64_EL1.user_vaddr_end() > KernelConfig::AARCH64.user_vaddr_end()
        );
    }

    #[test]
    fn align_up_wraps_like_the_kernel() {
        assert_eq!(align_up(0xffff_ffff_ffff_f001, 12), 0);
        assert_eq!(align_up(0x1001, 12), 0x2000);
        assert!(is_aligned(0x2000, 13));
        assert!(!is_aligned(0x2000, 14));
    }
}
