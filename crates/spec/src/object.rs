//! The objects of a spec and the capabilities that point at them.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use sysinit_kobj::{Arch, ObjectType, PAGING_LEVELS};

use crate::hex_bytes;

/// Index of an object in [`crate::Spec::objects`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ObjectId(pub u32);

impl ObjectId {
    /// The index into [`crate::Spec::objects`].
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// An object with the name people and error messages call it by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedObject {
    /// Unique, non-empty name (e.g. `"client.cnode"`).
    pub name: String,
    /// What the object is.
    pub object: Object,
}

/// One object the initializer creates (by retyping untyped memory) or obtains
/// (IRQ handlers and I/O port ranges, from the kernel's control caps).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Object {
    /// Untyped memory handed to a component, optionally at a fixed physical address.
    Untyped(Untyped),
    /// IPC endpoint.
    Endpoint,
    /// Notification object.
    Notification,
    /// Capability table.
    #[serde(rename = "cnode")]
    CNode(CNode),
    /// Thread.
    Tcb(Tcb),
    /// Page of memory, optionally at a fixed physical address (device memory or RAM).
    Frame(Frame),
    /// Root paging structure of an address space (level 0): PML4 on x86_64,
    /// the stage-2 root table on aarch64.
    #[serde(rename = "vspace")]
    VSpace(VSpace),
    /// Non-root paging structure at `level` 1..=3.
    PageTable(PageTable),
    /// ASID pool; pools are made in the order they appear in the spec.
    AsidPool,
    /// Virtual CPU (aarch64 only).
    Vcpu,
    /// An interrupt source; caps to it are IRQ handler caps.
    Irq(Irq),
    /// A range of x86 I/O ports (x86_64 only); caps to it are I/O port caps.
    IoPorts(IoPorts),
}

/// Untyped memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Untyped {
    /// log2 of the size in bytes.
    pub size_bits: u8,
    /// Physical address it must start at, or `None` for anywhere.
    pub paddr: Option<u64>,
    /// Whether the memory at `paddr` is device memory (true) or RAM (false). Only an
    /// untyped with a fixed address can be device memory. The planner refuses a spec
    /// whose device untyped would come from RAM, or the reverse: that happens when the
    /// machine has another RAM size than the spec was built for.
    pub device: bool,
}

/// Capability table of `2^radix` slots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CNode {
    /// log2 of the number of slots.
    pub radix: u8,
    /// Filled slots, strictly ascending by index.
    #[serde(default)]
    pub slots: Vec<(u32, Cap)>,
}

/// A thread and everything the initializer configures on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tcb {
    /// Root of the thread's CSpace: a cap to a CNode (its guard is the CSpace guard).
    pub cspace: Cap,
    /// The thread's address space: a cap to a [`Object::VSpace`].
    pub vspace: Cap,
    /// The IPC buffer, if the thread has one.
    pub ipc_buffer: Option<IpcBuffer>,
    /// Fault endpoint, as a CPtr looked up in the thread's own CSpace when a
    /// fault happens (the non-MCS kernel stores a CPtr, not a cap).
    pub fault_endpoint: Option<u64>,
    /// Notification bound to the thread.
    pub bound_notification: Option<Cap>,
    /// VCPU bound to the thread (aarch64 only).
    pub vcpu: Option<Cap>,
    /// Scheduling priority.
    pub priority: u8,
    /// Maximum controlled priority: the highest priority this thread may give.
    pub max_priority: u8,
    /// CPU core the thread runs on.
    pub affinity: u32,
    /// Initial instruction pointer.
    pub entry: u64,
    /// Initial stack pointer.
    pub stack_pointer: u64,
    /// Initial argument registers, at most [`Tcb::MAX_ARGS`]: x0.. on aarch64,
    /// rdi, rsi, rdx, rcx on x86_64.
    #[serde(default)]
    pub args: Vec<u64>,
    /// Whether the thread starts running once the system is initialized.
    pub resume: bool,
}

impl Tcb {
    /// Most initial argument registers a spec may set.
    pub const MAX_ARGS: usize = 4;
}

/// Where a thread's IPC buffer lives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpcBuffer {
    /// Cap to the 4 KiB frame holding the buffer.
    pub frame: Cap,
    /// Virtual address of the buffer in the thread's VSpace, where that frame is mapped.
    pub vaddr: u64,
}

/// A page of memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Frame {
    /// log2 of the size: 12, 21 or 30.
    pub size_bits: u8,
    /// Physical address it must be at (device memory, DMA buffers), or `None` for anywhere.
    pub paddr: Option<u64>,
    /// Whether the frame is device memory (true) or RAM (false). Only a frame with a
    /// fixed address can be device memory; program, stack and IPC buffer frames are RAM.
    /// The planner refuses a device frame that would come from a RAM untyped and a RAM
    /// frame that would come from a device untyped (see [`Untyped::device`]).
    pub device: bool,
    /// Initial contents, sorted by offset and not overlapping; bytes not
    /// covered stay as the kernel leaves them (zero for RAM).
    #[serde(default)]
    pub fill: Vec<FillEntry>,
}

/// Bytes written into a frame before the system starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FillEntry {
    /// Offset in the frame of the first byte written.
    pub offset: u64,
    /// The bytes.
    pub content: FillContent,
}

impl FillEntry {
    /// Number of bytes written.
    pub fn len(&self) -> u64 {
        match &self.content {
            FillContent::Data(data) => data.len() as u64,
            FillContent::Blob { len, .. } => *len,
        }
    }

    /// Whether nothing is written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes to write, given the spec's data blob; `None` if a blob range
    /// falls outside it (never for a validated spec).
    pub fn bytes<'a>(&'a self, blob: &'a [u8]) -> Option<&'a [u8]> {
        match &self.content {
            FillContent::Data(data) => Some(data),
            FillContent::Blob { start, len } => {
                let start = usize::try_from(*start).ok()?;
                let end = start.checked_add(usize::try_from(*len).ok()?)?;
                blob.get(start..end)
            }
        }
    }
}

/// Where fill bytes come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FillContent {
    /// The bytes themselves (hex in JSON); for small contents.
    Data(#[serde(with = "hex_bytes")] Vec<u8>),
    /// `len` bytes of [`crate::Spec::blob`] from `start`; for program images,
    /// so the root task can copy straight from the embedded spec.
    Blob {
        /// Offset in the blob.
        start: u64,
        /// Number of bytes.
        len: u64,
    },
}

/// The root paging structure of an address space.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VSpace {
    /// Filled entries, strictly ascending by index: caps to level-1 page tables.
    #[serde(default)]
    pub slots: Vec<(u32, Cap)>,
}

/// A paging structure below the root.
///
/// Both architectures use four levels of 512-entry tables here. An entry of
/// a level-`l` table holds a cap to a level-`l+1` table or, for `l >= 1`, a
/// frame cap mapping a page of 2^(12 + 9 * (3 - l)) bytes: 1 GiB at level 1,
/// 2 MiB at level 2, 4 KiB at level 3. On x86_64 level 1 is a PDPT, level 2 a
/// page directory and level 3 a page table; on aarch64 all are page tables.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageTable {
    /// 1, 2 or 3.
    pub level: u8,
    /// Filled entries, strictly ascending by index.
    #[serde(default)]
    pub slots: Vec<(u32, Cap)>,
}

/// An interrupt source and the notification it signals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Irq {
    /// Which interrupt.
    pub source: IrqSource,
    /// Badged cap to the notification signalled when the interrupt fires.
    pub notification: Option<Cap>,
}

/// How the kernel is asked for an IRQ handler.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum IrqSource {
    /// aarch64 GIC interrupt (`IRQControl_GetTrigger`).
    Arm {
        /// Interrupt number.
        irq: u32,
        /// Edge (true) or level (false) triggered.
        edge_triggered: bool,
    },
    /// x86 I/O APIC pin (`IRQControl_GetIOAPIC`).
    IoApic {
        /// Index of the I/O APIC.
        ioapic: u32,
        /// Pin on that I/O APIC.
        pin: u32,
        /// Level (true) or edge (false) triggered.
        level_triggered: bool,
        /// Active low (true) or high (false).
        active_low: bool,
        /// CPU vector the kernel delivers it on (offset from the kernel's first IRQ vector).
        vector: u32,
    },
    /// x86 PCI MSI (`IRQControl_GetMSI`).
    Msi {
        /// PCI bus.
        pci_bus: u8,
        /// PCI device (0..32).
        pci_dev: u8,
        /// PCI function (0..8).
        pci_func: u8,
        /// MSI handle the driver programs into the device.
        handle: u64,
        /// CPU vector (offset from the kernel's first IRQ vector).
        vector: u32,
    },
}

/// A range of x86 I/O ports, inclusive on both ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IoPorts {
    /// First port.
    pub first: u16,
    /// Last port (inclusive).
    pub last: u16,
}

/// How an object is made by `Untyped_Retype`: what the planner places.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KernelObject {
    /// Kernel object type.
    pub ty: ObjectType,
    /// `userObjSize`: size bits for untypeds, radix for CNodes, 0 otherwise.
    pub size_arg: u8,
    /// Fixed physical address, if the object must be at one.
    pub paddr: Option<u64>,
    /// Whether the object must be made from device memory (only frames and untypeds at a
    /// fixed address can be); false means RAM.
    pub device: bool,
}

impl Object {
    /// The kernel object this spec object is retyped into, or `None` for
    /// objects that are not made from untyped memory (IRQ handlers, I/O ports).
    ///
    /// Meant for validated specs: an object whose type or size is invalid on
    /// `arch` (which [`crate::Spec::validate`] rejects) also yields `None`.
    pub fn kernel_object(&self, arch: Arch) -> Option<KernelObject> {
        let plain = |ty: ObjectType| KernelObject {
            ty,
            size_arg: 0,
            paddr: None,
            device: false,
        };
        let object = match self {
            Object::Untyped(u) => KernelObject {
                ty: ObjectType::Untyped,
                size_arg: u.size_bits,
                paddr: u.paddr,
                device: u.device,
            },
            Object::Endpoint => plain(ObjectType::Endpoint),
            Object::Notification => plain(ObjectType::Notification),
            Object::CNode(c) => KernelObject {
                ty: ObjectType::CNode,
                size_arg: c.radix,
                paddr: None,
                device: false,
            },
            Object::Tcb(_) => plain(ObjectType::Tcb),
            Object::Frame(f) => KernelObject {
                ty: ObjectType::frame_of_size_bits(f.size_bits)?,
                size_arg: 0,
                paddr: f.paddr,
                device: f.device,
            },
            Object::VSpace(_) => plain(arch.paging_structure(0)?),
            Object::PageTable(t) if t.level >= 1 => plain(arch.paging_structure(t.level)?),
            Object::PageTable(_) => return None,
            Object::AsidPool => plain(ObjectType::AsidPool),
            Object::Vcpu => plain(ObjectType::Vcpu),
            Object::Irq(_) | Object::IoPorts(_) => return None,
        };
        object.ty.exists_on(arch).then_some(object)
    }

    /// Short lower-case name of the kind of object, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Object::Untyped(_) => "untyped",
            Object::Endpoint => "endpoint",
            Object::Notification => "notification",
            Object::CNode(_) => "cnode",
            Object::Tcb(_) => "tcb",
            Object::Frame(_) => "frame",
            Object::VSpace(_) => "vspace",
            Object::PageTable(_) => "page_table",
            Object::AsidPool => "asid_pool",
            Object::Vcpu => "vcpu",
            Object::Irq(_) => "irq",
            Object::IoPorts(_) => "io_ports",
        }
    }

    /// The paging level of a VSpace (0) or page table, `None` for other objects.
    pub fn table_level(&self) -> Option<u8> {
        match self {
            Object::VSpace(_) => Some(0),
            Object::PageTable(t) => Some(t.level),
            _ => None,
        }
    }

    /// The filled entries of a VSpace or page table (empty for other objects).
    pub fn table_slots(&self) -> &[(u32, Cap)] {
        match self {
            Object::VSpace(t) => &t.slots,
            Object::PageTable(t) => &t.slots,
            _ => &[],
        }
    }
}

/// Bytes a level-`level` table entry maps, as log2 (level 0 covers 2^39 per
/// entry, level 3 a 4 KiB page; levels past 3 count as 3).
pub const fn entry_span_bits(level: u8) -> u8 {
    // 12 page-offset bits plus 9 bits for every level below this one.
    12 + sysinit_kobj::PAGE_TABLE_INDEX_BITS * (PAGING_LEVELS - 1).saturating_sub(level)
}

/// A capability to an object, with the attributes that matter for its kind.
///
/// One flat shape for every cap keeps specs easy to write and read; the
/// validator rejects attributes that make no sense for the target object
/// (a badge on a frame cap, a guard on an endpoint cap, ...).
///
/// In JSON, attributes at their default (all rights, badge 0, no guard,
/// cached, not executable) may be omitted and are not written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cap {
    /// The object the cap points at.
    pub object: ObjectId,
    /// Rights; the default is all of them, as on the original cap.
    #[serde(default = "Rights::all")]
    pub rights: Rights,
    /// Badge, for endpoint and notification caps (0 = unbadged).
    #[serde(default)]
    pub badge: u64,
    /// Guard value, for CNode caps; fits in `guard_size` bits.
    #[serde(default)]
    pub guard: u64,
    /// Guard size in bits, for CNode caps.
    #[serde(default)]
    pub guard_size: u8,
    /// Cacheability of the mapping, for frame caps in page tables; false for device registers.
    #[serde(default = "default_cached")]
    pub cached: bool,
    /// Whether instructions may be fetched through the mapping, for frame caps in page
    /// tables (Microkit's `perms` with `x`). A mapping without it is execute-never on
    /// aarch64 (`seL4_ARM_ExecuteNever`); seL4 on x86_64 never sets XD, so there every
    /// mapping stays executable whatever this says.
    #[serde(default)]
    pub executable: bool,
}

fn default_cached() -> bool {
    true
}

impl Cap {
    /// A cap with all rights and no attributes.
    pub const fn new(object: ObjectId) -> Cap {
        Cap {
            object,
            rights: Rights::all(),
            badge: 0,
            guard: 0,
            guard_size: 0,
            cached: true,
            executable: false,
        }
    }

    /// The same cap with `rights`.
    pub const fn with_rights(self, rights: Rights) -> Cap {
        Cap { rights, ..self }
    }

    /// The same cap with `badge`.
    pub const fn with_badge(self, badge: u64) -> Cap {
        Cap { badge, ..self }
    }

    /// The same cap with a guard of `guard_size` bits holding `guard`.
    pub const fn with_guard(self, guard: u64, guard_size: u8) -> Cap {
        Cap {
            guard,
            guard_size,
            ..self
        }
    }

    /// The same cap mapping executable code.
    pub const fn executable(self) -> Cap {
        Cap {
            executable: true,
            ..self
        }
    }

    /// The same cap mapping uncached (device registers).
    pub const fn uncached(self) -> Cap {
        Cap {
            cached: false,
            ..self
        }
    }
}

impl Serialize for Cap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The binary form must have every field (it is not self-describing);
        // the human form leaves defaults out so specs stay readable.
        let human = serializer.is_human_readable();
        let written = |is_default: bool| !human || !is_default;
        let fields = 1
            + usize::from(written(self.rights == Rights::all()))
            + usize::from(written(self.badge == 0))
            + usize::from(written(self.guard == 0))
            + usize::from(written(self.guard_size == 0))
            + usize::from(written(self.cached))
            + usize::from(written(!self.executable));
        let mut s = serializer.serialize_struct("Cap", fields)?;
        s.serialize_field("object", &self.object)?;
        if written(self.rights == Rights::all()) {
            s.serialize_field("rights", &self.rights)?;
        }
        if written(self.badge == 0) {
            s.serialize_field("badge", &self.badge)?;
        }
        if written(self.guard == 0) {
            s.serialize_field("guard", &self.guard)?;
        }
        if written(self.guard_size == 0) {
            s.serialize_field("guard_size", &self.guard_size)?;
        }
        if written(self.cached) {
            s.serialize_field("cached", &self.cached)?;
        }
        if written(!self.executable) {
            s.serialize_field("executable", &self.executable)?;
        }
        s.end()
    }
}

/// Access rights of a cap.
///
/// Encoded as one byte of flags in binary and as a list of names in JSON,
/// e.g. `["read", "write"]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Rights {
    /// Read (receive on endpoints, map readable).
    pub read: bool,
    /// Write (send on endpoints, map writable).
    pub write: bool,
    /// Grant: send caps over an endpoint.
    pub grant: bool,
    /// Grant reply: let the receiver reply with caps.
    pub grant_reply: bool,
}

const RIGHT_NAMES: [&str; 4] = ["read", "write", "grant", "grant_reply"];

impl Rights {
    /// No rights.
    pub const NONE: Rights = Rights {
        read: false,
        write: false,
        grant: false,
        grant_reply: false,
    };
    /// Read only.
    pub const READ: Rights = Rights {
        read: true,
        ..Rights::NONE
    };
    /// Read and write.
    pub const READ_WRITE: Rights = Rights {
        read: true,
        write: true,
        ..Rights::NONE
    };
    /// Write only (e.g. send-only endpoint caps).
    pub const WRITE: Rights = Rights {
        write: true,
        ..Rights::NONE
    };

    /// All four rights.
    pub const fn all() -> Rights {
        Rights {
            read: true,
            write: true,
            grant: true,
            grant_reply: true,
        }
    }

    fn flags(self) -> [bool; 4] {
        [self.read, self.write, self.grant, self.grant_reply]
    }

    fn bits(self) -> u8 {
        self.flags()
            .iter()
            .enumerate()
            .fold(0, |acc, (i, &on)| acc | (u8::from(on) << i))
    }

    fn from_bits(bits: u8) -> Option<Rights> {
        if bits >> RIGHT_NAMES.len() != 0 {
            return None;
        }
        let on = |i: usize| bits & (1 << i) != 0;
        Some(Rights {
            read: on(0),
            write: on(1),
            grant: on(2),
            grant_reply: on(3),
        })
    }
}

impl fmt::Display for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (name, on) in RIGHT_NAMES.iter().zip(self.flags()) {
            if on {
                if !first {
                    f.write_str("+")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("no rights")?;
        }
        Ok(())
    }
}

impl Serialize for Rights {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            let names: Vec<&str> = RIGHT_NAMES
                .iter()
                .zip(self.flags())
                .filter(|(_, on)| *on)
                .map(|(n, _)| *n)
                .collect();
            let mut seq = serializer.serialize_seq(Some(names.len()))?;
            for name in names {
                seq.serialize_element(name)?;
            }
            seq.end()
        } else {
            serializer.serialize_u8(self.bits())
        }
    }
}

impl<'de> Deserialize<'de> for Rights {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Rights, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_seq(RightNamesVisitor)
        } else {
            let bits = u8::deserialize(deserializer)?;
            Rights::from_bits(bits).ok_or_else(|| {
                de::Error::custom(format_args!(
                    "rights flags {bits:#x} have unknown bits (valid: 0..=0xf)"
                ))
            })
        }
    }
}

struct RightNamesVisitor;

impl<'de> Visitor<'de> for RightNamesVisitor {
    type Value = Rights;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of rights out of \"read\", \"write\", \"grant\", \"grant_reply\"")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Rights, A::Error> {
        let mut rights = Rights::NONE;
        while let Some(name) = seq.next_element::<String>()? {
            let slot = match name.as_str() {
                "read" => &mut rights.read,
                "write" => &mut rights.write,
                "grant" => &mut rights.grant,
                "grant_reply" => &mut rights.grant_reply,
                other => return Err(de::Error::unknown_variant(other, &RIGHT_NAMES)),
            };
            if *slot {
                return Err(de::Error::custom(format_args!(
                    "right \"{name}\" is listed twice"
                )));
            }
            *slot = true;
        }
        Ok(rights)
    }
}
