use sysinit_kobj::PhysRange;

use crate::elf::Elf;
use crate::{Image, LayoutError, PAGE_SIZE};

/// The boot tables map the kernel with 2 MiB blocks.
const BLOCK_SIZE: u64 = 1 << 21;
/// One level-1 entry (and the kernel's boot mapping) covers 1 GiB.
const GIB: u64 = 1 << 30;
/// One level-0 entry covers 512 GiB; entry 0 is the loader's identity map.
const L0_SPAN: u64 = 1 << 39;

/// The physical memory of a machine as the loader sees it.
#[derive(Clone, Copy, Debug)]
pub struct Memory<'a> {
    /// All RAM; the loader must lie inside one of these ranges.
    pub ram: &'a [PhysRange],
    /// RAM the kernel manages (its device tree's memory minus reservations);
    /// the kernel, the root task and the device tree must each lie inside one.
    pub kernel_ram: &'a [PhysRange],
    /// Ranges no image may overlap, with a name for messages.
    pub reserved: &'a [(&'static str, PhysRange)],
}

/// QEMU virt with `-m 2048`, as our kernel's device tree describes it.
///
/// RAM is 0x4000_0000..0xc000_0000; the kernel's device tree reserves the first
/// 512 MiB for guest RAM (`vm-memory`), so the kernel uses 0x6000_0000..0xc000_0000.
/// QEMU writes its own device tree (1 MiB) at the start of RAM before the loader
/// runs when `-kernel` is an ELF, so nothing may be linked there.
pub const QEMU_VIRT: Memory<'static> = Memory {
    ram: &[PhysRange::new(0x4000_0000, 0xc000_0000)],
    kernel_ram: &[PhysRange::new(0x6000_0000, 0xc000_0000)],
    reserved: &[("qemu-dtb", PhysRange::new(0x4000_0000, 0x4010_0000))],
};

/// QEMU virt with `-m 2048` for a kernel without hypervisor support (EL1,
/// `kernel-config/aarch64-el1.cmake`): no guest-RAM carve-out, the kernel uses
/// all of RAM and its image loads at 0x4000_0000.
///
/// QEMU's own device tree at the start of RAM matters only to what is linked
/// there (QEMU writes it after loading the loader's ELF); the kernel image is
/// copied over it at run time, after which nothing reads it. So it is not a
/// reserved range here; the loader itself sits far above it
/// ([`QEMU_VIRT_LOADER`]). The loader and its boot tables lie in the kernel's
/// RAM: the kernel switches to its own tables (in its image) before it hands
/// out any free memory, as with seL4's own elfloader.
pub const QEMU_VIRT_EL1: Memory<'static> = Memory {
    ram: &[PhysRange::new(0x4000_0000, 0xc000_0000)],
    kernel_ram: &[PhysRange::new(0x4000_0000, 0xc000_0000)],
    reserved: &[],
};

/// The exception level a kernel runs at, from where it is linked: a kernel with
/// hypervisor support (EL2) runs in the lower half (0xffc0000000 for ours),
/// one without (EL1) in the upper half, through `TTBR1_EL1` (0xffffffffc0000000).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelLevel {
    /// EL1: no hypervisor support.
    El1,
    /// EL2: hypervisor support.
    El2,
}

impl KernelLevel {
    /// The level of a kernel whose virtual start is `virt_start`.
    pub const fn of_virt_start(virt_start: u64) -> KernelLevel {
        if virt_start >= 1 << 63 {
            KernelLevel::El1
        } else {
            KernelLevel::El2
        }
    }

    /// The level of `kernel` (from its first loadable segment).
    pub fn of_kernel(kernel: &Elf<'_>) -> Result<KernelLevel, LayoutError> {
        let seg = kernel
            .load_segments()
            .next()
            .ok_or(LayoutError::NoLoadSegments {
                image: Image::Kernel,
            })?;
        Ok(KernelLevel::of_virt_start(seg.vaddr))
    }

    /// The number: 1 or 2.
    pub const fn number(self) -> u64 {
        match self {
            KernelLevel::El1 => 1,
            KernelLevel::El2 => 2,
        }
    }

    /// QEMU virt's memory as a kernel at this level sees it.
    pub const fn qemu_virt(self) -> &'static Memory<'static> {
        match self {
            KernelLevel::El1 => &QEMU_VIRT_EL1,
            KernelLevel::El2 => &QEMU_VIRT,
        }
    }
}

/// Where the loader is linked on QEMU virt, and the most it may occupy.
///
/// Inside the guest-RAM carve-out, which the kernel never touches, so the
/// loader's page tables stay intact while the kernel boots on them. The linker
/// script makes this range the loader's only memory region: an image that
/// outgrows it fails to link.
pub const QEMU_VIRT_LOADER: PhysRange = PhysRange::new(0x4800_0000, 0x4c00_0000);

/// Where every part of the boot image goes, and what the kernel is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The loader's own range.
    pub loader: PhysRange,
    /// The kernel's segments, from the first segment's page to the end of the last.
    /// The device tree follows at the next page, then the root task at the page after it.
    pub kernel: PhysRange,
    /// `vaddr - paddr` of every kernel segment (wrapping).
    pub kernel_virt_offset: u64,
    /// The kernel's virtual start (the virtual address of `kernel.start`).
    pub kernel_virt_start: u64,
    /// The kernel's entry point (virtual).
    pub kernel_entry: u64,
    /// The exception level the kernel runs at (from where it is linked).
    pub kernel_level: KernelLevel,
    /// The root task's region (page aligned): the kernel's `ui_p_reg`.
    pub root_task: PhysRange,
    /// `paddr - vaddr` of the root task (wrapping): the kernel's `pv_offset`.
    pub root_task_pv_offset: u64,
    /// The root task's entry point (virtual).
    pub root_task_entry: u64,
    /// The device tree's exact bytes.
    pub device_tree: PhysRange,
}

fn align_up(value: u64, align: u64, image: Image) -> Result<u64, LayoutError> {
    value
        .checked_add(align - 1)
        .map(|v| v & !(align - 1))
        .ok_or(LayoutError::AddressOverflow { image })
}

/// Size of a flattened device tree blob from its header (`totalsize`).
pub(crate) fn device_tree_size(dtb: &[u8]) -> Result<u64, LayoutError> {
    let bad = |reason| LayoutError::BadDeviceTree { reason };
    if dtb.len() < 40 {
        return Err(bad("shorter than its 40-byte header"));
    }
    if dtb[..4] != [0xd0, 0x0d, 0xfe, 0xed] {
        return Err(bad("no FDT magic 0xd00dfeed"));
    }
    let total = u32::from_be_bytes([dtb[4], dtb[5], dtb[6], dtb[7]]);
    if total < 40 || total as usize > dtb.len() {
        return Err(bad("its header's totalsize does not match the blob"));
    }
    Ok(u64::from(total))
}

impl Layout {
    /// Places the images and checks the result against `memory`.
    ///
    /// The kernel goes to the physical addresses its ELF names; the device
    /// tree starts at the first page after it; the root task starts at the
    /// first page after the device tree, keeping its segments' relative
    /// positions. (seL4 wants its reserved regions in this order.)
    /// `loader` is the range the loader occupies (or may occupy).
    pub fn plan(
        loader: PhysRange,
        kernel: &Elf<'_>,
        root_task: &Elf<'_>,
        device_tree: &[u8],
        memory: &Memory<'_>,
    ) -> Result<Layout, LayoutError> {
        let (kernel_range, kernel_virt_offset, kernel_virt_start) = place_kernel(kernel)?;

        // seL4 reserves the device tree before the root task and insists its
        // reserved regions ascend (init_freemem: "reserved region in wrong
        // order"), so the device tree comes first, as seL4's elfloader does.
        let dtb_size = device_tree_size(device_tree)?;
        let dtb_start = kernel_range.end;
        let dtb_end = dtb_start
            .checked_add(dtb_size)
            .ok_or(LayoutError::AddressOverflow {
                image: Image::DeviceTree,
            })?;
        let dtb_range = PhysRange::new(dtb_start, dtb_end);

        let (rt_lo, rt_hi) = root_task.vaddr_bounds();
        let rt_lo = rt_lo & !(PAGE_SIZE - 1);
        let rt_size = align_up(rt_hi, PAGE_SIZE, Image::RootTask)? - rt_lo;
        let rt_start = align_up(dtb_end, PAGE_SIZE, Image::RootTask)?;
        let rt_end = rt_start
            .checked_add(rt_size)
            .ok_or(LayoutError::AddressOverflow {
                image: Image::RootTask,
            })?;
        let root_task_range = PhysRange::new(rt_start, rt_end);
        if !root_task.entry().is_multiple_of(4) {
            return Err(LayoutError::Misaligned {
                image: Image::RootTask,
                what: "entry point",
                value: root_task.entry(),
                align: 4,
            });
        }

        let layout = Layout {
            loader,
            kernel: kernel_range,
            kernel_virt_offset,
            kernel_virt_start,
            kernel_entry: kernel.entry(),
            kernel_level: KernelLevel::of_virt_start(kernel_virt_start),
            root_task: root_task_range,
            root_task_pv_offset: rt_start.wrapping_sub(rt_lo),
            root_task_entry: root_task.entry(),
            device_tree: dtb_range,
        };
        layout.check(memory)?;
        Ok(layout)
    }

    /// The parts in physical order of placement, with their ranges.
    pub fn parts(&self) -> [(Image, PhysRange); 4] {
        [
            (Image::Loader, self.loader),
            (Image::Kernel, self.kernel),
            (Image::DeviceTree, self.device_tree),
            (Image::RootTask, self.root_task),
        ]
    }

    fn check(&self, memory: &Memory<'_>) -> Result<(), LayoutError> {
        let inside = |range: PhysRange, allowed: &[PhysRange]| {
            allowed
                .iter()
                .any(|a| a.start <= range.start && range.end <= a.end)
        };
        let first_or_empty =
            |allowed: &[PhysRange]| allowed.first().copied().unwrap_or(PhysRange::new(0, 0));
        if !self.loader.start.is_multiple_of(PAGE_SIZE) {
            return Err(LayoutError::Misaligned {
                image: Image::Loader,
                what: "physical start",
                value: self.loader.start,
                align: PAGE_SIZE,
            });
        }
        for (image, range) in self.parts() {
            let allowed = if image == Image::Loader {
                memory.ram
            } else {
                memory.kernel_ram
            };
            if !inside(range, allowed) {
                return Err(LayoutError::OutOfRam {
                    image,
                    range,
                    allowed: first_or_empty(allowed),
                });
            }
        }
        let parts = self.parts();
        for (i, &(first, first_range)) in parts.iter().enumerate() {
            for &(second, second_range) in &parts[i + 1..] {
                if first_range.overlaps(&second_range) {
                    return Err(LayoutError::Overlap {
                        first,
                        first_range,
                        second,
                        second_range,
                    });
                }
            }
            for &(name, reserved) in memory.reserved {
                if first_range.overlaps(&reserved) {
                    return Err(LayoutError::Reserved {
                        image: first,
                        range: first_range,
                        name,
                        reserved,
                    });
                }
            }
        }
        Ok(())
    }

    /// The kernel's boot arguments in register order x0..x5: `ui_p_reg_start`,
    /// `ui_p_reg_end`, `pv_offset`, `v_entry`, `dtb_addr_p`, `dtb_size`.
    pub fn kernel_arguments(&self) -> [u64; 6] {
        [
            self.root_task.start,
            self.root_task.end,
            self.root_task_pv_offset,
            self.root_task_entry,
            self.device_tree.start,
            self.device_tree.len(),
        ]
    }

    /// Physical address a kernel segment at `vaddr` goes to.
    pub fn kernel_paddr(&self, vaddr: u64) -> u64 {
        vaddr.wrapping_sub(self.kernel_virt_offset)
    }

    /// Physical address a root task segment at `vaddr` goes to.
    pub fn root_task_paddr(&self, vaddr: u64) -> u64 {
        vaddr.wrapping_add(self.root_task_pv_offset)
    }
}

/// The kernel's physical range, its virtual offset and virtual start.
fn place_kernel(kernel: &Elf<'_>) -> Result<(PhysRange, u64, u64), LayoutError> {
    let mut offset = None;
    for seg in kernel.load_segments() {
        let this = seg.vaddr.wrapping_sub(seg.paddr);
        match offset {
            None => offset = Some(this),
            Some(first) if first != this => {
                return Err(LayoutError::KernelOffsetsDiffer { first, other: this })
            }
            Some(_) => {}
        }
    }
    let offset = offset.ok_or(LayoutError::NoLoadSegments {
        image: Image::Kernel,
    })?;
    let (p_lo, p_hi) = kernel.paddr_bounds();
    // The boot tables map the kernel with 2 MiB blocks starting at its first byte.
    if !p_lo.is_multiple_of(BLOCK_SIZE) {
        return Err(LayoutError::Misaligned {
            image: Image::Kernel,
            what: "physical start",
            value: p_lo,
            align: BLOCK_SIZE,
        });
    }
    let v_lo = p_lo.wrapping_add(offset);
    let size = p_hi - p_lo;
    if !v_lo.is_multiple_of(BLOCK_SIZE) {
        return Err(LayoutError::Misaligned {
            image: Image::Kernel,
            what: "virtual start",
            value: v_lo,
            align: BLOCK_SIZE,
        });
    }
    if v_lo < L0_SPAN {
        return Err(LayoutError::KernelInIdentityWindow { virt_start: v_lo });
    }
    // Room from the virtual start to the end of its 1 GiB, computed without
    // adding to addresses: an EL1 kernel's GiB is the last one below 2^64, whose
    // end does not fit in 64 bits.
    let room = GIB - (v_lo & (GIB - 1));
    if size > room {
        return Err(LayoutError::KernelTooLarge {
            virt_start: v_lo,
            virt_end: v_lo.wrapping_add(size),
        });
    }
    let end = align_up(p_hi, PAGE_SIZE, Image::Kernel)?;
    Ok((PhysRange::new(p_lo, end), offset, v_lo))
}
