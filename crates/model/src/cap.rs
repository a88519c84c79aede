//! The capabilities the model keeps in its slots and in CNode objects.

use serde::{Deserialize, Serialize};
use sysinit_kobj::ObjectType;

/// A capability in one slot of the modelled cspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cap {
    /// Untyped memory, with its watermark.
    Untyped(UntypedCap),
    /// Any other object created by retype.
    Object(ObjectCap),
    /// An IRQ handler, issued by IRQ control for one interrupt.
    IrqHandler(IrqHandlerCap),
    /// A range of x86 I/O ports, issued by I/O port control.
    IoPorts(IoPortsCap),
}

/// Access rights of a capability (seL4's `seL4_CapRights`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct CapRights {
    /// Read (receive on endpoints, map readable).
    pub read: bool,
    /// Write (send on endpoints, map writable).
    pub write: bool,
    /// Grant.
    pub grant: bool,
    /// Grant reply.
    pub grant_reply: bool,
}

impl CapRights {
    /// Every right: what retype and the control caps hand out.
    pub const ALL: CapRights = CapRights {
        read: true,
        write: true,
        grant: true,
        grant_reply: true,
    };

    /// The rights both have (`maskCapRights`).
    pub const fn intersect(self, other: CapRights) -> CapRights {
        CapRights {
            read: self.read && other.read,
            write: self.write && other.write,
            grant: self.grant && other.grant,
            grant_reply: self.grant_reply && other.grant_reply,
        }
    }
}

/// Where a frame or paging structure cap is mapped, or the ASID a VSpace cap was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappedAt {
    /// ASID of the address space (`capFMappedASID`, `capPTMappedASID`, the VSpace's ASID).
    pub asid: u16,
    /// First virtual address translated (0 for a VSpace).
    pub vaddr: u64,
}

/// An IRQ handler capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IrqHandlerCap {
    /// The interrupt: the CPU vector on x86_64, the interrupt number on aarch64.
    pub irq: u32,
}

/// An I/O port range capability, both ends inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IoPortsCap {
    /// First port.
    pub first: u16,
    /// Last port.
    pub last: u16,
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
    /// Slot of the untyped it was retyped from (copies keep their original's).
    pub parent: usize,
    /// Rights of this cap; retype gives all, mint can only take some away.
    pub rights: CapRights,
    /// Badge of an endpoint or notification cap (0 = unbadged).
    pub badge: u64,
    /// Guard value of a CNode cap.
    pub guard: u64,
    /// Guard width in bits of a CNode cap.
    pub guard_size: u8,
    /// Frame or paging structure: where this cap maps it; VSpace: its ASID. `None` until then.
    pub mapped: Option<MappedAt>,
}

impl Cap {
    /// Kernel-virtual address of the first byte.
    pub const fn kva(&self) -> u64 {
        match self {
            Cap::Untyped(u) => u.kva,
            Cap::Object(o) => o.kva,
            Cap::IrqHandler(_) | Cap::IoPorts(_) => 0,
        }
    }

    /// Physical address of the first byte.
    pub const fn paddr(&self) -> u64 {
        match self {
            Cap::Untyped(u) => u.paddr,
            Cap::Object(o) => o.paddr,
            Cap::IrqHandler(_) | Cap::IoPorts(_) => 0,
        }
    }

    /// log2 of the size in bytes.
    pub const fn size_bits(&self) -> u8 {
        match self {
            Cap::Untyped(u) => u.size_bits,
            Cap::Object(o) => o.size_bits,
            Cap::IrqHandler(_) | Cap::IoPorts(_) => 0,
        }
    }

    /// Whether the memory is device memory.
    pub const fn is_device(&self) -> bool {
        match self {
            Cap::Untyped(u) => u.is_device,
            Cap::Object(o) => o.is_device,
            Cap::IrqHandler(_) | Cap::IoPorts(_) => false,
        }
    }

    /// Slot of the untyped this cap was retyped from, if any.
    pub const fn parent(&self) -> Option<usize> {
        match self {
            Cap::Untyped(u) => u.parent,
            Cap::Object(o) => Some(o.parent),
            Cap::IrqHandler(_) | Cap::IoPorts(_) => None,
        }
    }

    /// The object type this cap refers to; `None` for IRQ handlers and I/O ports,
    /// which are not made from untyped memory.
    pub const fn object_type(&self) -> Option<ObjectType> {
        match self {
            Cap::Untyped(_) => Some(ObjectType::Untyped),
            Cap::Object(o) => Some(o.ty),
            Cap::IrqHandler(_) | Cap::IoPorts(_) => None,
        }
    }

    /// What kind of cap this is, for messages.
    pub const fn kind_name(&self) -> &'static str {
        match self {
            Cap::Untyped(_) => "untyped",
            Cap::Object(o) => o.ty.name(),
            Cap::IrqHandler(_) => "irq_handler",
            Cap::IoPorts(_) => "io_ports",
        }
    }

    /// The untyped capability, if this is one.
    pub const fn as_untyped(&self) -> Option<&UntypedCap> {
        match self {
            Cap::Untyped(u) => Some(u),
            _ => None,
        }
    }

    /// The object capability, if this is one.
    pub const fn as_object(&self) -> Option<&ObjectCap> {
        match self {
            Cap::Object(o) => Some(o),
            _ => None,
        }
    }
}
