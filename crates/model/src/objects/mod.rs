//! Object state beyond untyped memory, and the invocations that change it, one module
//! per kind of object: paging structures ([`paging`]), frame contents ([`frame`]), CNode
//! copies ([`cnode`]), threads and VCPUs ([`tcb`]), interrupts and I/O ports ([`irq`]).
//!
//! Each rule follows the seL4 function named in its comment (non-MCS kernel,
//! the x86_64 and aarch64 code paths). Where the model is stricter than the
//! kernel, the comment says so: those are mistakes the kernel would let pass
//! silently but that leave a system other than the spec describes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sysinit_kobj::{Arch, ObjectType};

use crate::cap::{Cap, ObjectCap};
use crate::error::{InvocationError, Sel4Error};
use crate::KernelModel;

mod cnode;
mod frame;
mod irq;
mod paging;
mod tcb;

pub use cnode::{MintData, MintDest};
pub use irq::IrqTarget;
pub use paging::{entry_span_bits, vm_rights, Entry};
pub use tcb::{TcbState, ROOT_TASK_MCP};

/// State of one object, by its kernel-virtual address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectState {
    /// A CNode: its radix and filled slots.
    CNode {
        /// log2 of the slot count.
        radix: u8,
        /// Filled slots by index.
        slots: BTreeMap<u64, Cap>,
    },
    /// An address space root: every entry of every table in it.
    VSpace {
        /// Entries by (level of the table holding it, first virtual address it covers).
        entries: BTreeMap<(u8, u64), Entry>,
    },
    /// A frame: bytes written so far, in 4 KiB chunks by chunk index (unwritten bytes read 0).
    Frame {
        /// Written chunks.
        chunks: BTreeMap<u64, Vec<u8>>,
    },
    /// A thread.
    Tcb(Box<TcbState>),
    /// A notification and the thread bound to it (by TCB address).
    Notification {
        /// Bound thread.
        bound_tcb: Option<u64>,
    },
    /// A VCPU and the thread it is bound to.
    Vcpu {
        /// Bound thread.
        tcb: Option<u64>,
    },
}

impl ObjectState {
    /// The state a freshly retyped object starts in, for types that have any.
    pub(crate) fn fresh(ty: ObjectType, size_arg: u8) -> Option<ObjectState> {
        Some(match ty {
            ObjectType::CNode => ObjectState::CNode {
                radix: size_arg,
                slots: BTreeMap::new(),
            },
            ObjectType::VSpace => ObjectState::VSpace {
                entries: BTreeMap::new(),
            },
            t if t.is_frame() => ObjectState::Frame {
                chunks: BTreeMap::new(),
            },
            ObjectType::Tcb => ObjectState::Tcb(Box::default()),
            ObjectType::Notification => ObjectState::Notification { bound_tcb: None },
            ObjectType::Vcpu => ObjectState::Vcpu { tcb: None },
            _ => return None,
        })
    }
}

fn err(op: &'static str, code: Sel4Error, detail: String) -> InvocationError {
    InvocationError { op, code, detail }
}

/// What an invocation needs in one of its slots, and what messages call that slot.
#[derive(Clone, Copy, Debug)]
pub(super) enum Want {
    /// An object of exactly this type; the name is the slot's role in messages.
    Type(ObjectType, &'static str),
    /// A frame of any size; the name is the slot's role in messages.
    Frame(&'static str),
    /// A paging structure below the VSpace root on the model's architecture.
    Table,
}

/// A right an invocation needs on a cap, as messages name it.
#[derive(Clone, Copy, Debug)]
pub(super) enum Right {
    /// Read (receive, for notifications).
    Read,
    /// Write (send, for notifications).
    Write,
}

impl Want {
    fn role(self) -> &'static str {
        match self {
            Want::Type(_, role) | Want::Frame(role) => role,
            Want::Table => "table",
        }
    }

    fn admits(self, arch: Arch, ty: ObjectType) -> bool {
        match self {
            Want::Type(want, _) => ty == want,
            Want::Frame(_) => ty.is_frame(),
            Want::Table => paging::paging_level(arch, ty).is_some(),
        }
    }
}

impl Right {
    fn name(self) -> &'static str {
        match self {
            Right::Read => "read (receive)",
            Right::Write => "write (send)",
        }
    }
}

impl KernelModel {
    fn root_cap(&self, op: &'static str, slot: usize, role: &str) -> Result<Cap, InvocationError> {
        match self.slots.get(slot) {
            Some(Some(cap)) => Ok(*cap),
            Some(None) => Err(err(
                op,
                Sel4Error::InvalidCapability,
                format!("{role} slot {slot} is empty"),
            )),
            None => Err(err(
                op,
                Sel4Error::InvalidCapability,
                format!(
                    "{role} slot {slot} is outside the root CNode (0..{})",
                    self.slots.len()
                ),
            )),
        }
    }

    /// The object cap in root slot `slot` if it is what `want` asks for; otherwise the
    /// invocation fails with `code` (the kernel's code for this argument of `op`).
    fn typed(
        &self,
        op: &'static str,
        slot: usize,
        want: Want,
        code: Sel4Error,
    ) -> Result<ObjectCap, InvocationError> {
        let role = want.role();
        let cap = self.root_cap(op, slot, role)?;
        match cap {
            Cap::Object(o) if want.admits(self.arch, o.ty) => Ok(o),
            other => Err(err(
                op,
                code,
                format!(
                    "{role} slot {slot} holds a {} cap, which is the wrong type",
                    other.kind_name()
                ),
            )),
        }
    }

    /// [`KernelModel::typed`], and the cap must also carry `right` (else `lacking`).
    fn typed_with(
        &self,
        op: &'static str,
        slot: usize,
        want: Want,
        code: Sel4Error,
        right: Right,
        lacking: Sel4Error,
    ) -> Result<ObjectCap, InvocationError> {
        let cap = self.typed(op, slot, want, code)?;
        let has = match right {
            Right::Read => cap.rights.read,
            Right::Write => cap.rights.write,
        };
        if has {
            return Ok(cap);
        }
        Err(err(
            op,
            lacking,
            format!(
                "the {} cap in slot {slot} lacks the {} right",
                cap.ty,
                right.name()
            ),
        ))
    }
    fn set_root(&mut self, slot: usize, cap: Cap) {
        if let Some(entry) = self.slots.get_mut(slot) {
            *entry = Some(cap);
        }
    }

    /// The state of the object at kernel-virtual address `kva`, if it has any.
    pub fn object_state(&self, kva: u64) -> Option<&ObjectState> {
        self.objects.get(&kva)
    }
}
