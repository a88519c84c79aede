//! The boot info frame the kernel hands the root task (`bootinfo_types.h`).
//!
//! The layout is for our configuration: non-MCS (no `schedcontrol` region)
//! and [`MAX_BOOTINFO_UNTYPED_CAPS`] entries in the untyped list, 3848 bytes
//! in all. The kernel maps the frame into the root task and passes its
//! address in the first argument register; extra boot info (ACPI RSDP, TSC
//! frequency, device tree, ...) follows in the pages after it.

use core::fmt;

use sysinit_kobj::BootUntyped;

use crate::{CPtr, Word, MAX_BOOTINFO_UNTYPED_CAPS, PAGE_SIZE};

/// A half-open range of slots `[start, end)` in the root CNode (`seL4_SlotRegion`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct SlotRegion {
    /// First slot of the region.
    pub start: Word,
    /// First slot after the region.
    pub end: Word,
}

impl SlotRegion {
    /// Number of slots (0 if the kernel reported `end < start`).
    pub const fn len(&self) -> Word {
        self.end.saturating_sub(self.start)
    }

    /// Whether the region has no slots.
    pub const fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// Whether `slot` lies inside.
    pub const fn contains(&self, slot: CPtr) -> bool {
        self.start <= slot && slot < self.end
    }

    /// The slots in order.
    pub fn slots(&self) -> core::ops::Range<CPtr> {
        self.start..self.end.max(self.start)
    }
}

impl fmt::Display for SlotRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "slots [{:#x}..{:#x})", self.start, self.end)
    }
}

/// One untyped capability the kernel created at boot (`seL4_UntypedDesc`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct UntypedDesc {
    /// Physical address of the first byte.
    pub paddr: Word,
    /// log2 of the size in bytes.
    pub size_bits: u8,
    /// 1 for device memory (never zeroed, frames and untypeds only), 0 for RAM.
    pub is_device: u8,
    /// Unused; keeps the entry two words long.
    pub padding: [u8; 6],
}

impl UntypedDesc {
    /// The same untyped in the shared kernel-object vocabulary.
    pub const fn to_boot_untyped(&self) -> BootUntyped {
        BootUntyped {
            paddr: self.paddr,
            size_bits: self.size_bits,
            is_device: self.is_device != 0,
        }
    }
}

/// The boot info frame (`seL4_BootInfo`) of our configuration.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct BootInfo {
    /// Bytes of extra boot info in the pages after this frame (`extraLen`).
    pub extra_len: Word,
    /// This node's index, 0 on a single core (`nodeID`).
    pub node_id: Word,
    /// Number of nodes, 1 on a single core (`numNodes`).
    pub num_nodes: Word,
    /// IOMMU page-table levels, 0 without IOMMU (`numIOPTLevels`).
    pub num_iopt_levels: Word,
    /// Root task's virtual address of its IPC buffer (`ipcBuffer`).
    pub ipc_buffer: Word,
    /// Free slots of the root CNode (`empty`).
    pub empty: SlotRegion,
    /// Frames shared between nodes; empty on one core (`sharedFrames`).
    pub shared_frames: SlotRegion,
    /// Frames of the root task's own image (`userImageFrames`).
    pub user_image_frames: SlotRegion,
    /// Paging structures of the root task's image (`userImagePaging`).
    pub user_image_paging: SlotRegion,
    /// IOSpace caps (ARM SMMU); empty in our configurations (`ioSpaceCaps`).
    pub io_space_caps: SlotRegion,
    /// Frames holding the extra boot info (`extraBIPages`).
    pub extra_bi_pages: SlotRegion,
    /// log2 of the root CNode's slot count (`initThreadCNodeSizeBits`).
    pub init_thread_cnode_size_bits: Word,
    /// Scheduling domain of the root task (`initThreadDomain`).
    pub init_thread_domain: Word,
    /// Untyped caps; entry i of `untyped_list` describes slot `untyped.start + i` (`untyped`).
    pub untyped: SlotRegion,
    /// Descriptions of the untyped caps (`untypedList`).
    pub untyped_list: [UntypedDesc; MAX_BOOTINFO_UNTYPED_CAPS],
}

impl BootInfo {
    /// The valid part of [`BootInfo::untyped_list`]: one entry per slot of [`BootInfo::untyped`].
    ///
    /// Clamped to the list's capacity, so a corrupt region cannot read past it.
    pub fn untyped_descs(&self) -> &[UntypedDesc] {
        let n = usize::try_from(self.untyped.len())
            .unwrap_or(usize::MAX)
            .min(MAX_BOOTINFO_UNTYPED_CAPS);
        &self.untyped_list[..n]
    }

    /// Each boot untyped with the CNode slot of its capability.
    pub fn untypeds(&self) -> impl Iterator<Item = (CPtr, BootUntyped)> + '_ {
        self.untyped
            .slots()
            .zip(self.untyped_descs())
            .map(|(slot, d)| (slot, d.to_boot_untyped()))
    }
}

/// Initial capabilities in fixed root CNode slots (`seL4_RootCNodeCapSlots`).
pub mod initial_cap {
    use crate::CPtr;

    /// Always empty.
    pub const NULL: CPtr = 0;
    /// The root task's TCB.
    pub const INIT_THREAD_TCB: CPtr = 1;
    /// The root CNode itself.
    pub const INIT_THREAD_CNODE: CPtr = 2;
    /// The root task's VSpace root (PML4 / aarch64 VSpace).
    pub const INIT_THREAD_VSPACE: CPtr = 3;
    /// Authority to create IRQ handler caps.
    pub const IRQ_CONTROL: CPtr = 4;
    /// Authority to create ASID pools.
    pub const ASID_CONTROL: CPtr = 5;
    /// The ASID pool the root task's VSpace is in.
    pub const INIT_THREAD_ASID_POOL: CPtr = 6;
    /// x86 I/O port control; null on aarch64.
    pub const IO_PORT_CONTROL: CPtr = 7;
    /// IOMMU space; null without IOMMU (our configurations).
    pub const IO_SPACE: CPtr = 8;
    /// The boot info frame.
    pub const BOOT_INFO_FRAME: CPtr = 9;
    /// The root task's IPC buffer frame.
    pub const INIT_THREAD_IPC_BUFFER: CPtr = 10;
    /// Authority to set threads' scheduling domains.
    pub const DOMAIN: CPtr = 11;
    /// ARM SMMU stream ID control; null in our configurations.
    pub const SMMU_SID_CONTROL: CPtr = 12;
    /// ARM SMMU context bank control; null in our configurations.
    pub const SMMU_CB_CONTROL: CPtr = 13;
    /// Root task's scheduling context; null without MCS.
    pub const INIT_THREAD_SC: CPtr = 14;
    /// ARM SMC call authority; null in our configurations.
    pub const SMC: CPtr = 15;
    /// Number of fixed slots; the first free slot is at least this.
    pub const NUM_INITIAL_CAPS: CPtr = 16;
}

/// Kind of one chunk of extra boot info (`seL4_BootInfoID`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExtraBootInfoId {
    /// Filler to be skipped.
    Padding,
    /// x86 VBE graphics information.
    X86Vbe,
    /// x86 multiboot memory map.
    X86MbMmap,
    /// x86 ACPI root pointer (RSDP).
    X86AcpiRsdp,
    /// x86 framebuffer information.
    X86Framebuffer,
    /// x86 TSC frequency in MHz.
    X86TscFreq,
    /// Flattened device tree.
    Fdt,
    /// An identifier this crate does not know.
    Other(Word),
}

impl ExtraBootInfoId {
    /// Decodes the header's `id` word.
    pub const fn from_word(id: Word) -> ExtraBootInfoId {
        match id {
            0 => ExtraBootInfoId::Padding,
            1 => ExtraBootInfoId::X86Vbe,
            2 => ExtraBootInfoId::X86MbMmap,
            3 => ExtraBootInfoId::X86AcpiRsdp,
            4 => ExtraBootInfoId::X86Framebuffer,
            5 => ExtraBootInfoId::X86TscFreq,
            6 => ExtraBootInfoId::Fdt,
            other => ExtraBootInfoId::Other(other),
        }
    }
}

/// One chunk of extra boot info: its kind and its payload (the bytes after the two-word header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtraBootInfoChunk<'a> {
    /// What the payload is.
    pub id: ExtraBootInfoId,
    /// The payload.
    pub payload: &'a [u8],
}

/// Iterates over the chunks of the extra boot info region (`seL4_BootInfoHeader` records).
///
/// `bytes` is the region that starts one page after the boot info frame and
/// is [`BootInfo::extra_len`] long. Iteration stops at the first malformed
/// header (length shorter than a header or running past the end) instead of
/// reading out of bounds.
pub fn extra_boot_info(bytes: &[u8]) -> impl Iterator<Item = ExtraBootInfoChunk<'_>> {
    let mut rest = bytes;
    core::iter::from_fn(move || {
        const HEADER: usize = 16;
        let header = rest.get(..HEADER)?;
        let (id, len) = header.split_at(8);
        let id = Word::from_ne_bytes(id.try_into().ok()?);
        let len = usize::try_from(Word::from_ne_bytes(len.try_into().ok()?)).ok()?;
        if len < HEADER || len > rest.len() {
            rest = &[];
            return None;
        }
        let chunk = ExtraBootInfoChunk {
            id: ExtraBootInfoId::from_word(id),
            payload: &rest[HEADER..len],
        };
        rest = &rest[len..];
        Some(chunk)
    })
}

/// Offset of the extra boot info from the start of the boot info frame.
pub const EXTRA_BOOT_INFO_OFFSET: usize = PAGE_SIZE;

#[cfg(test)]
mod tests {
    use super::*;

    fn boot_info_with(untyped: SlotRegion) -> BootInfo {
        BootInfo {
            extra_len: 0,
            node_id: 0,
            num_nodes: 1,
            num_iopt_levels: 0,
            ipc_buffer: 0,
            empty: SlotRegion::default(),
            shared_frames: SlotRegion::default(),
            user_image_frames: SlotRegion::default(),
            user_image_paging: SlotRegion::default(),
            io_space_caps: SlotRegion::default(),
            extra_bi_pages: SlotRegion::default(),
            init_thread_cnode_size_bits: 19,
            init_thread_domain: 0,
            untyped,
            untyped_list: [UntypedDesc::default(); MAX_BOOTINFO_UNTYPED_CAPS],
        }
    }

    #[test]
    fn untypeds_pair_slots_with_descriptors() {
        let mut bi = boot_info_with(SlotRegion { start: 40, end: 42 });
        bi.untyped_list[0] = UntypedDesc {
            paddr: 0x10_0000,
            size_bits: 20,
            is_device: 0,
            padding: [0; 6],
        };
        bi.untyped_list[1] = UntypedDesc {
            paddr: 0xfec0_0000,
            size_bits: 12,
            is_device: 1,
            padding: [0; 6],
        };
        let mut it = bi.untypeds();
        assert_eq!(
            it.next(),
            Some((
                40,
                BootUntyped {
                    paddr: 0x10_0000,
                    size_bits: 20,
                    is_device: false
                }
            ))
        );
        assert_eq!(it.next().map(|(s, u)| (s, u.is_device)), Some((41, true)));
        assert_eq!(it.next(), None);
    }

    #[test]
    fn untyped_descs_never_exceed_the_list() {
        let bi = boot_info_with(SlotRegion {
            start: 0,
            end: Word::MAX,
        });
        assert_eq!(bi.untyped_descs().len(), MAX_BOOTINFO_UNTYPED_CAPS);
        let backwards = boot_info_with(SlotRegion { start: 10, end: 5 });
        assert!(backwards.untyped_descs().is_empty());
        assert!(backwards.untyped.is_empty());
    }

    fn chunk(id: Word, payload: &[u8], out: &mut [u8]) -> usize {
        let len = 16 + payload.len();
        out[..8].copy_from_slice(&id.to_ne_bytes());
        out[8..16].copy_from_slice(&(len as Word).to_ne_bytes());
        out[16..len].copy_from_slice(payload);
        len
    }

    #[test]
    fn extra_boot_info_chunks() {
        let mut buf = [0u8; 64];
        let a = chunk(5, &[1, 0, 0, 0, 0, 0, 0, 0], &mut buf);
        let b = chunk(3, &[9; 4], &mut buf[a..]);
        let chunks: [_; 2] = {
            let mut it = extra_boot_info(&buf[..a + b]);
            [it.next().unwrap(), it.next().unwrap()]
        };
        assert_eq!(chunks[0].id, ExtraBootInfoId::X86TscFreq);
        assert_eq!(chunks[0].payload, &[1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(chunks[1].id, ExtraBootInfoId::X86AcpiRsdp);
        assert_eq!(chunks[1].payload, &[9; 4]);
        assert_eq!(extra_boot_info(&buf[..a + b]).count(), 2);
    }

    #[test]
    fn extra_boot_info_stops_at_malformed_headers() {
        let mut buf = [0u8; 32];
        // Length 8 is shorter than the header itself.
        buf[8..16].copy_from_slice(&8u64.to_ne_bytes());
        assert_eq!(extra_boot_info(&buf).count(), 0);
        // Length past the end of the region.
        buf[8..16].copy_from_slice(&1000u64.to_ne_bytes());
        assert_eq!(extra_boot_info(&buf).count(), 0);
        // A truncated header.
        assert_eq!(extra_boot_info(&buf[..10]).count(), 0);
    }
}
