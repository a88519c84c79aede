//! Why a system cannot be planned, in terms a system builder can act on.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use sysinit_kobj::{Arch, BootUntyped, ObjectType, SizeError};

use crate::Request;

/// A contiguous physical range of boot untypeds of one kind, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UntypedRange {
    /// First byte.
    pub start: u64,
    /// One past the last byte (0 when the range reaches 2^64).
    pub end: u64,
    /// Device memory or RAM.
    pub is_device: bool,
}

impl fmt::Display for UntypedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.is_device { "device" } else { "RAM" };
        write!(f, "{:#x}..{:#x} ({kind})", self.start, self.end)
    }
}

/// Merges the untyped list into maximal contiguous ranges of one kind, in address order.
pub(crate) fn untyped_ranges(untypeds: &[BootUntyped]) -> Vec<UntypedRange> {
    let mut sorted: Vec<&BootUntyped> = untypeds.iter().collect();
    sorted.sort_by_key(|u| u.paddr);
    let mut out: Vec<UntypedRange> = Vec::new();
    for u in sorted {
        let end = u.paddr.wrapping_add(u.size());
        match out.last_mut() {
            Some(r) if r.end == u.paddr && r.is_device == u.is_device => r.end = end,
            _ => out.push(UntypedRange {
                start: u.paddr,
                end,
                is_device: u.is_device,
            }),
        }
    }
    out
}

/// A system the planner refuses, before any retype runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// The object's type or size is not one the kernel can create.
    BadObject {
        /// Object name.
        name: String,
        /// What the kernel would refuse.
        reason: SizeError,
    },
    /// A fixed physical address is not aligned to the object's size.
    Misaligned {
        /// Object name.
        name: String,
        /// Requested address.
        paddr: u64,
        /// log2 of the object size.
        size_bits: u8,
    },
    /// A fixed-address object does not lie entirely inside one boot untyped.
    OutsideUntypeds {
        /// Object name.
        name: String,
        /// Requested address.
        paddr: u64,
        /// log2 of the object size.
        size_bits: u8,
        /// Where fixed-address objects can go.
        valid: Vec<UntypedRange>,
    },
    /// The kernel-virtual address of a fixed address is not aligned to the object's size,
    /// so the kernel would place the object elsewhere.
    KernelVirtualMisaligned {
        /// Object name.
        name: String,
        /// Requested address.
        paddr: u64,
        /// Its kernel-virtual address.
        kva: u64,
        /// log2 of the object size.
        size_bits: u8,
    },
    /// A fixed address lies in device memory, where the kernel creates only frames and untypeds.
    KernelObjectInDeviceMemory {
        /// Object name.
        name: String,
        /// Its type.
        ty: ObjectType,
        /// Requested address.
        paddr: u64,
    },
    /// A fixed-address object is device memory in the spec but lies in a RAM untyped, or
    /// the reverse: the machine's memory map is not the one the spec was built for.
    MemoryKindMismatch {
        /// Object name.
        name: String,
        /// Its address.
        paddr: u64,
        /// Whether the spec says device memory (else RAM).
        device: bool,
        /// Index of the boot untyped holding the address.
        untyped: u32,
        /// That untyped's address.
        untyped_paddr: u64,
        /// log2 of that untyped's size.
        untyped_size_bits: u8,
    },
    /// Two fixed-address objects overlap.
    FixedOverlap {
        /// The object at the lower address.
        first: String,
        /// Its address.
        first_paddr: u64,
        /// log2 of its size.
        first_size_bits: u8,
        /// The object that overlaps it.
        second: String,
        /// Its address.
        second_paddr: u64,
    },
    /// The RAM untypeds cannot hold every object of one size class.
    OutOfMemory {
        /// The first object that found no room.
        name: String,
        /// Its type.
        ty: ObjectType,
        /// The size class, log2 bytes.
        size_bits: u8,
        /// Objects of this class still without room.
        unplaced: u64,
        /// RAM bytes still free (in pieces of any size) when the planner gave up.
        free_bytes: u64,
        /// Largest free aligned block at that point, log2 bytes.
        largest_free_bits: Option<u8>,
    },
}

fn size_text(bits: u8) -> String {
    match bits {
        0..=9 => alloc::format!("{} B", 1u64 << bits),
        10..=19 => alloc::format!("{} KiB", 1u64 << (bits - 10)),
        20..=29 => alloc::format!("{} MiB", 1u64 << (bits - 20)),
        30..=39 => alloc::format!("{} GiB", 1u64 << (bits - 30)),
        _ => alloc::format!("{} TiB", 1u64 << (bits - 40)),
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::BadObject { name, reason } => write!(f, "object '{name}': {reason}"),
            PlanError::Misaligned { name, paddr, size_bits } => write!(
                f,
                "object '{name}': physical address {paddr:#x} is not aligned to its size ({}); \
                 the nearest valid addresses are {:#x} and {:#x}",
                size_text(*size_bits),
                paddr & !((1u64 << size_bits) - 1),
                (paddr & !((1u64 << size_bits) - 1)).wrapping_add(1u64 << size_bits),
            ),
            PlanError::OutsideUntypeds { name, paddr, size_bits, valid } => {
                write!(
                    f,
                    "object '{name}': {} at physical address {paddr:#x} is not inside the untyped \
                     memory the kernel provides; valid ranges:",
                    size_text(*size_bits)
                )?;
                for r in valid {
                    write!(f, "\n  {r}")?;
                }
                Ok(())
            }
            PlanError::KernelVirtualMisaligned { name, paddr, kva, size_bits } => write!(
                f,
                "object '{name}': physical address {paddr:#x} is kernel-virtual address {kva:#x}, \
                 which is not aligned to the object's size ({}); seL4 aligns objects in \
                 kernel-virtual space, so no retype can create it at that physical address",
                size_text(*size_bits)
            ),
            PlanError::KernelObjectInDeviceMemory { name, ty, paddr } => write!(
                f,
                "object '{name}': a {ty} cannot be created at {paddr:#x}, which is device memory; \
                 the kernel creates only frames and untypeds there (give it no fixed address, or \
                 choose a RAM address)"
            ),
            PlanError::MemoryKindMismatch { name, paddr, device, untyped, untyped_paddr, untyped_size_bits } => {
                let (said, found) = if *device { ("device memory", "RAM") } else { ("RAM", "device memory") };
                write!(
                    f,
                    "object '{name}': the spec says {said} at {paddr:#x}, but the machine has {found} \
                     there (boot untyped {untyped}: {found} at {untyped_paddr:#x}..{:#x}, {}); the \
                     machine's memory map is not the one the spec was built for: rebuild with the \
                     RAM size the machine has (`sysinit build --ram`), or boot the machine with the \
                     RAM the image was built for",
                    untyped_paddr.wrapping_add(1u64.checked_shl(u32::from(*untyped_size_bits)).unwrap_or(0)),
                    size_text(*untyped_size_bits),
                )
            }
            PlanError::FixedOverlap { first, first_paddr, first_size_bits, second, second_paddr } => write!(
                f,
                "object '{second}' at {second_paddr:#x} overlaps object '{first}' at {first_paddr:#x}..{:#x}; \
                 fixed-address objects must not share memory",
                first_paddr.wrapping_add(1u64 << first_size_bits)
            ),
            PlanError::OutOfMemory { name, ty, size_bits, unplaced, free_bytes, largest_free_bits } => {
                write!(
                    f,
                    "out of memory for size class {size_bits} ({}): object '{name}' ({ty}) and {} more \
                     of that size found no room; {free_bytes:#x} bytes of RAM remain free",
                    size_text(*size_bits),
                    unplaced.saturating_sub(1),
                )?;
                match largest_free_bits {
                    Some(b) => write!(f, ", the largest aligned block is {}", size_text(*b)),
                    None => Ok(()),
                }
            }
        }
    }
}

/// Size in bits of every requested object, or the first the kernel would refuse.
pub(crate) fn object_sizes(arch: Arch, requests: &[Request<'_>]) -> Result<Vec<u8>, PlanError> {
    requests
        .iter()
        .map(|r| {
            r.ty.size_bits(arch, r.size_arg)
                .map_err(|reason| PlanError::BadObject {
                    name: r.name.to_string(),
                    reason,
                })
        })
        .collect()
}

impl core::error::Error for PlanError {}
