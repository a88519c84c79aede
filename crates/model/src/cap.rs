//! The capabilities the model keeps in its slots.

use serde::{Deserialize, Serialize};
use sysinit_kobj::ObjectType;

/// A capability in one slot of the modelled cspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cap {
    /// Untyped memory, with its watermark.
    Untyped(UntypedCap),
    /// Any other object created by retype.
    Object(ObjectCap),
}

/// An untyped capability, with the fields of seL4's `cap_untyped_cap` plus the model's bookkeeping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UntypedCap {
    /// Kernel-virtual address of the first byte (`capPtr`); size-aligned.
    pub kva: u64,
    /// Physical address of the first byte (the kernel window's image of `kva`).
    pub paddr: u64,
    /// log2 of the size in bytes (`capBlockSize`).
    pub size_bits: u8,
    /// Device memory (`capIsDevice`): only frames and untypeds may be made from it.
    pub is_device: bool,
    /// The watermark (`capFreeIndex`) in units of 2^[`sysinit_kobj::MIN_UNTYPED_BITS`]
    /// (16) bytes from `kva`. Boot untypeds start full (2^(size_bits - 4)), as the
    /// kernel creates them, so their first retype resets and clears them.
    pub free_index: u64,
    /// How many caps created from this untyped are still live.
    pub children: u32,
    /// Slot of the untyped this one was retyped from; `None` for boot untypeds.
    pub parent: Option<usize>,
}

/// A non-untyped object's capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectCap {
    /// The object's type.
    pub ty: ObjectType,
    /// The size argument given to retype (a CNode's radix; ignored by fixed-size types).
    pub size_arg: u8,
    /// log2 of the object's size in bytes.
    pub size_bits: u8,
    /// Kernel-virtual address of the object.
    pub kva: u64,
    /// Physical address of the object.
    pub paddr: u64,
    /// Whether the object lies in device memory.
    pub is_device: bool,
    /// Slot of the untyped it was retyped from.
    pub parent: usize,
}

impl Cap {
    /// Kernel-virtual address of the first byte.
    pub const fn kva(&self) -> u64 {
        match self {
            Cap::Untyped(u) => u.kva,
            Cap::Object(o) => o.kva,
        }
    }

    /// Physical address of the first byte.
    pub const fn paddr(&self) -> u64 {
        match self {
            Cap::Untyped(u) => u.paddr,
            Cap::Object(o) => o.paddr,
        }
    }

    /// log2 of the size in bytes.
    pub const fn size_bits(&self) -> u8 {
        match self {
            Cap::Untyped(u) => u.size_bits,
            Cap::Object(o) => o.size_bits,
        }
    }

    /// Whether the memory is device memory.
    pub const fn is_device(&self) -> bool {
        match self {
            Cap::Untyped(u) => u.is_device,
            Cap::Object(o) => o.is_device,
        }
    }

    /// Slot of the untyped this cap was retyped from, if any.
    pub const fn parent(&self) -> Option<usize> {
        match self {
            Cap::Untyped(u) => u.parent,
            Cap::Object(o) => Some(o.parent),
        }
    }

    /// The object type this cap refers to.
    pub const fn object_type(&self) -> ObjectType {
        match self {
            Cap::Untyped(_) => ObjectType::Untyped,
            Cap::Object(o) => o.ty,
        }
    }

    /// The untyped capability, if this is one.
    pub const fn as_untyped(&self) -> Option<&UntypedCap> {
        match self {
            Cap::Untyped(u) => Some(u),
            Cap::Object(_) => None,
        }
    }

    /// The object capability, if this is one.
    pub const fn as_object(&self) -> Option<&ObjectCap> {
        match self {
            Cap::Untyped(_) => None,
            Cap::Object(o) => Some(o),
        }
    }
}
