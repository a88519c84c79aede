//! CNode contents and `CNode_Mint`.

use sysinit_kobj::{ObjectType, WORD_BITS};

use super::paging::paging_level;
use super::{err, ObjectState};
use crate::cap::{Cap, CapRights, ObjectCap};
use crate::error::{InvocationError, Sel4Error};
use crate::KernelModel;

/// Where `CNode_Mint` puts its copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MintDest {
    /// A slot of the root CNode itself.
    Root(usize),
    /// Slot `index` of the CNode whose cap is in root slot `cnode`, resolved with `depth` bits.
    CNode {
        /// Root slot of the CNode cap.
        cnode: usize,
        /// Index in that CNode.
        index: u64,
        /// Bits resolved (must be the CNode's radix plus its cap's guard size).
        depth: u8,
    },
}

/// The data word of a mint, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MintData {
    /// Keep the cap's data.
    None,
    /// Badge an endpoint or notification cap.
    Badge(u64),
    /// Set a CNode cap's guard.
    Guard {
        /// Guard value.
        guard: u64,
        /// Guard width.
        size: u8,
    },
}

/// Gives a CNode cap a guard of `size` bits, as `updateCapData` does for CNodes; the
/// kernel refuses a guard that, with the radix, passes the word size.
pub(super) fn set_guard(
    op: &'static str,
    cnode: &mut ObjectCap,
    guard: u64,
    size: u8,
) -> Result<(), InvocationError> {
    if u16::from(size) + u16::from(cnode.size_arg) > u16::from(WORD_BITS) {
        return Err(err(
            op,
            Sel4Error::IllegalOperation,
            format!(
                "a {size}-bit guard and radix {} exceed 64 bits",
                cnode.size_arg
            ),
        ));
    }
    cnode.guard_size = size;
    cnode.guard = if size >= 64 {
        guard
    } else {
        guard & ((1u64 << size) - 1)
    };
    Ok(())
}

impl KernelModel {
    /// `CNode_Mint` (`decodeCNodeInvocation`, `deriveCap`, `updateCapData`).
    ///
    /// Destination: the CNode cap must be a CNode (FailedLookup), the depth 1..=64
    /// (RangeError) and equal to the CNode's radix plus its guard size, and the index
    /// below 2^radix (FailedLookup; the kernel would ignore higher bits and put the
    /// cap elsewhere, which the model refuses); the slot must be empty (DeleteFirst).
    /// Source: an empty slot is FailedLookup. Deriving: an untyped with children is
    /// RevokeFirst, an unmapped page table or a VSpace without ASID IllegalOperation,
    /// a frame copy starts unmapped. Data: re-badging a badged cap or a guard that
    /// does not fit beside the radix makes the kernel refuse (IllegalOperation).
    pub fn mint(
        &mut self,
        dest: MintDest,
        src: usize,
        rights: CapRights,
        data: MintData,
    ) -> Result<(), InvocationError> {
        // Destination lookup comes first in the kernel.
        let target = self.mint_target(dest)?;
        let mut copy = self.derive(src, rights, data)?;
        if let Cap::Object(o) = &mut copy {
            // Copies count as children of the untyped for the reset rule.
            if let Some(Some(Cap::Untyped(parent))) = self.slots.get_mut(o.parent) {
                parent.children = parent.children.saturating_add(1);
            }
        }
        match target {
            None => {
                if let MintDest::Root(index) = dest {
                    self.set_root(index, copy);
                }
            }
            Some((kva, index)) => {
                if let Some(ObjectState::CNode { slots, .. }) = self.objects.get_mut(&kva) {
                    slots.insert(index, copy);
                }
            }
        }
        Ok(())
    }

    /// Where a mint's copy goes: `None` for a root slot, else the CNode's address and
    /// index; the checks of the destination lookup in the kernel's order.
    fn mint_target(&self, dest: MintDest) -> Result<Option<(u64, u64)>, InvocationError> {
        const OP: &str = "CNode_Mint";
        match dest {
            MintDest::Root(index) => {
                if index >= self.slots.len() {
                    return Err(err(
                        OP,
                        Sel4Error::FailedLookup,
                        format!(
                            "destination slot {index} is outside the root CNode (0..{})",
                            self.slots.len()
                        ),
                    ));
                }
                if self.slots[index].is_some() {
                    return Err(err(
                        OP,
                        Sel4Error::DeleteFirst,
                        format!("destination root slot {index} is not empty"),
                    ));
                }
                Ok(None)
            }
            MintDest::CNode {
                cnode,
                index,
                depth,
            } => {
                if depth == 0 || depth > WORD_BITS {
                    return Err(err(
                        OP,
                        Sel4Error::RangeError,
                        format!("depth {depth} is out of range (1..=64)"),
                    ));
                }
                let cap = match self.slots.get(cnode) {
                    Some(Some(Cap::Object(o))) if o.ty == ObjectType::CNode => *o,
                    _ => {
                        return Err(err(
                            OP,
                            Sel4Error::FailedLookup,
                            format!("destination root slot {cnode} holds no CNode cap"),
                        ))
                    }
                };
                let Some(ObjectState::CNode { radix, slots }) = self.objects.get(&cap.kva) else {
                    return Err(err(
                        OP,
                        Sel4Error::FailedLookup,
                        format!("the CNode in root slot {cnode} has no state"),
                    ));
                };
                let bits = u16::from(*radix) + u16::from(cap.guard_size);
                if u16::from(depth) != bits {
                    return Err(err(
                        OP,
                        Sel4Error::FailedLookup,
                        format!(
                            "depth {depth} does not match the CNode in root slot {cnode} \
                             (radix {radix}, guard {} bits: depth must be {bits})",
                            cap.guard_size
                        ),
                    ));
                }
                if index >> radix != 0 {
                    return Err(err(
                        OP,
                        Sel4Error::FailedLookup,
                        format!(
                            "index {index} is outside the CNode in root slot {cnode} (0..{})",
                            1u64 << radix
                        ),
                    ));
                }
                if slots.contains_key(&index) {
                    return Err(err(
                        OP,
                        Sel4Error::DeleteFirst,
                        format!("slot {index} of the CNode in root slot {cnode} is not empty"),
                    ));
                }
                Ok(Some((cap.kva, index)))
            }
        }
    }

    /// The copy `deriveCap` and `updateCapData` make of the cap in root slot `src`.
    fn derive(
        &self,
        src: usize,
        rights: CapRights,
        data: MintData,
    ) -> Result<Cap, InvocationError> {
        const OP: &str = "CNode_Mint";
        let source = match self.slots.get(src) {
            Some(Some(cap)) => *cap,
            _ => {
                return Err(err(
                    OP,
                    Sel4Error::FailedLookup,
                    format!("source root slot {src} is empty or outside the root CNode"),
                ))
            }
        };
        let copy = match source {
            Cap::Untyped(u) if u.children > 0 => {
                return Err(err(
                    OP,
                    Sel4Error::RevokeFirst,
                    format!(
                    "the untyped in slot {src} has {} children; it can only be copied without any",
                    u.children
                ),
                ))
            }
            Cap::Untyped(u) => Cap::Untyped(crate::UntypedCap {
                children: 0,
                parent: Some(src),
                ..u
            }),
            Cap::Object(o) => {
                let paging = paging_level(self.arch, o.ty).is_some() || o.ty == ObjectType::VSpace;
                if paging && o.mapped.is_none() {
                    return Err(err(
                        OP,
                        Sel4Error::IllegalOperation,
                        format!(
                            "the {} in slot {src} is not mapped (or has no ASID); the kernel only \
                             copies paging structures that are",
                            o.ty
                        ),
                    ));
                }
                let mut o = o;
                if o.ty.is_frame() {
                    o.mapped = None;
                }
                o.rights = o.rights.intersect(rights);
                match (data, o.ty) {
                    (MintData::Badge(b), ObjectType::Endpoint | ObjectType::Notification) => {
                        if o.badge != 0 && b != 0 {
                            return Err(err(
                                OP,
                                Sel4Error::IllegalOperation,
                                format!("the cap in slot {src} already has badge {}", o.badge),
                            ));
                        }
                        if o.badge == 0 {
                            o.badge = b;
                        }
                    }
                    (MintData::Guard { guard, size }, ObjectType::CNode) => {
                        set_guard(OP, &mut o, guard, size)?;
                    }
                    _ => {}
                }
                Cap::Object(o)
            }
            other => other,
        };
        Ok(copy)
    }

    /// The cap in slot `index` of the CNode whose cap is in root slot `cnode`.
    pub fn cnode_slot(&self, cnode: usize, index: u64) -> Option<&Cap> {
        let kva = self.cap(cnode)?.as_object()?.kva;
        match self.objects.get(&kva) {
            Some(ObjectState::CNode { slots, .. }) => slots.get(&index),
            _ => None,
        }
    }
}
