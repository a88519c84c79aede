use core::fmt;

use sysinit_kobj::PhysRange;

/// The parts of a boot image, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Image {
    /// The loader itself (code, data, stack, page tables and the embedded payload).
    Loader,
    /// The seL4 kernel ELF.
    Kernel,
    /// The root task ELF.
    RootTask,
    /// The flattened device tree handed to the kernel.
    DeviceTree,
}

impl fmt::Display for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Image::Loader => "loader",
            Image::Kernel => "kernel",
            Image::RootTask => "root task",
            Image::DeviceTree => "device tree",
        })
    }
}

/// Why an image cannot be booted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// The bytes are not an ELF64 little-endian aarch64 executable, or its headers are broken.
    BadElf {
        /// Which image.
        image: Image,
        /// What is wrong.
        reason: &'static str,
    },
    /// A program header points outside the file or has file size > memory size.
    BadSegment {
        /// Which image.
        image: Image,
        /// Index of the program header.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The ELF has no loadable segment.
    NoLoadSegments {
        /// Which image.
        image: Image,
    },
    /// The device tree blob is malformed.
    BadDeviceTree {
        /// What is wrong.
        reason: &'static str,
    },
    /// An address or size computation passes 2^64.
    AddressOverflow {
        /// Which image.
        image: Image,
    },
    /// An address is not aligned as the boot protocol needs.
    Misaligned {
        /// Which image.
        image: Image,
        /// Which address.
        what: &'static str,
        /// The address.
        value: u64,
        /// The alignment it needs, in bytes.
        align: u64,
    },
    /// Kernel segments are placed with different virtual-to-physical offsets;
    /// the loader maps the kernel with one offset.
    KernelOffsetsDiffer {
        /// Offset (vaddr - paddr) of the first segment.
        first: u64,
        /// The differing offset.
        other: u64,
    },
    /// The kernel's virtual range leaves the 1 GiB the boot tables map.
    KernelTooLarge {
        /// The kernel's virtual start.
        virt_start: u64,
        /// The kernel's virtual end.
        virt_end: u64,
    },
    /// The kernel's virtual start lies in the identity-mapped first 512 GiB.
    KernelInIdentityWindow {
        /// The kernel's virtual start.
        virt_start: u64,
    },
    /// Two images would occupy the same physical memory.
    Overlap {
        /// The first image.
        first: Image,
        /// Its range.
        first_range: PhysRange,
        /// The second image.
        second: Image,
        /// Its range.
        second_range: PhysRange,
    },
    /// An image does not lie inside one RAM range it may use.
    OutOfRam {
        /// Which image.
        image: Image,
        /// Its range.
        range: PhysRange,
        /// Where it may go (the first allowed range, for the message).
        allowed: PhysRange,
    },
    /// An image overlaps a range reserved by the board.
    Reserved {
        /// Which image.
        image: Image,
        /// Its range.
        range: PhysRange,
        /// Name of the reserved range.
        name: &'static str,
        /// The reserved range.
        reserved: PhysRange,
    },
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LayoutError::BadElf { image, reason } => {
                write!(
                    f,
                    "the {image} is not a loadable aarch64 ELF64 executable: {reason}"
                )
            }
            LayoutError::BadSegment {
                image,
                index,
                reason,
            } => {
                write!(
                    f,
                    "the {image}'s program header {index} is broken: {reason}"
                )
            }
            LayoutError::NoLoadSegments { image } => {
                write!(f, "the {image} ELF has no PT_LOAD segment to load")
            }
            LayoutError::BadDeviceTree { reason } => {
                write!(
                    f,
                    "the device tree is not a flattened device tree blob: {reason}"
                )
            }
            LayoutError::AddressOverflow { image } => {
                write!(
                    f,
                    "the {image}'s addresses pass the end of the 64-bit address space"
                )
            }
            LayoutError::Misaligned {
                image,
                what,
                value,
                align,
            } => write!(
                f,
                "the {image}'s {what} {value:#x} is not aligned to {align:#x} bytes; \
                 relink it at a multiple of {align:#x}"
            ),
            LayoutError::KernelOffsetsDiffer { first, other } => write!(
                f,
                "the kernel's segments have different virtual-to-physical offsets \
                 ({first:#x} and {other:#x}); the boot tables map the kernel with one offset"
            ),
            LayoutError::KernelTooLarge {
                virt_start,
                virt_end,
            } => write!(
                f,
                "the kernel's virtual range {virt_start:#x}..{virt_end:#x} crosses a 1 GiB \
                 boundary; the boot tables map only the 1 GiB block it starts in"
            ),
            LayoutError::KernelInIdentityWindow { virt_start } => write!(
                f,
                "the kernel's virtual start {virt_start:#x} is below 512 GiB, where the loader \
                 keeps its identity map; this is not a hypervisor-mode seL4 kernel"
            ),
            LayoutError::Overlap {
                first,
                first_range,
                second,
                second_range,
            } => write!(
                f,
                "the {first} at {first_range} and the {second} at {second_range} overlap; \
                 move the loader (its link address) or shrink the images"
            ),
            LayoutError::OutOfRam {
                image,
                range,
                allowed,
            } => write!(
                f,
                "the {image} at {range} is not inside RAM it may use (e.g. {allowed}); \
                 boot with the RAM size the kernel was built for or shrink the image"
            ),
            LayoutError::Reserved {
                image,
                range,
                name,
                reserved,
            } => write!(
                f,
                "the {image} at {range} overlaps the reserved range {name} {reserved}"
            ),
        }
    }
}
