//! The kernel model: a flat cspace of capabilities and seL4's `Untyped_Retype` on it.
//!
//! Follows `decodeUntypedInvocation`, `invokeUntyped_Retype` and `resetUntypedCap`
//! in seL4's src/object/untyped.c.

use serde::{Deserialize, Serialize};
use sysinit_kobj::{
    align_up, is_aligned, Arch, BootUntyped, KernelConfig, ObjectType, SizeError, MAX_UNTYPED_BITS,
    MIN_UNTYPED_BITS, RETYPE_FAN_OUT_LIMIT, WORD_BITS,
};

use std::collections::BTreeMap;

use crate::cap::{Cap, CapRights, ObjectCap, UntypedCap};
use crate::error::{ArgumentProblem, ModelError, RangeChecked, RetypeError};
use crate::objects::{IrqTarget, ObjectState};

/// What a successful retype created: `count` objects of 2^`object_size_bits` bytes,
/// back to back from `first_kva`, in the destination slots `dest_first..dest_first + count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retyped {
    /// Kernel-virtual address of the first object.
    pub first_kva: u64,
    /// Physical address of the first object.
    pub first_paddr: u64,
    /// log2 of each object's size.
    pub object_size_bits: u8,
    /// Number of objects created.
    pub count: u32,
}

/// seL4's untyped memory semantics on a single flat cspace.
///
/// Slot indices play the role of both capability addresses and the destination
/// CNode's slot offsets: the cspace is one CNode of `total_slots` slots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelModel {
    pub(crate) arch: Arch,
    pub(crate) kernel: KernelConfig,
    pub(crate) slots: Vec<Option<Cap>>,
    /// State of every object that has any, by kernel-virtual address (which is unique
    /// among live objects): CNode contents, address spaces, threads, frame bytes.
    pub(crate) objects: BTreeMap<u64, ObjectState>,
    /// ASIDs handed out from the root task's pool, to the VSpace (by address) holding each.
    pub(crate) asids: BTreeMap<u16, u64>,
    /// Interrupts with a handler issued, and the notification each signals.
    pub(crate) irqs: BTreeMap<u32, Option<IrqTarget>>,
    /// I/O port ranges issued so far (`x86KSAllocatedIOPorts`).
    pub(crate) ioports: Vec<(u16, u16)>,
    /// MCP of the invoking thread, the authority for priorities.
    pub(crate) authority_mcp: u8,
}

/// Bytes in 2^`bits`, without overflow for any `bits` a caller could pass.
fn bytes(bits: u8) -> u128 {
    1u128.checked_shl(u32::from(bits)).unwrap_or(u128::MAX)
}

fn saturate_u64(value: u128) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

impl KernelModel {
    /// Boot untypeds are placed in slots 0..n in list order; all other slots start empty.
    ///
    /// Each starts with the watermark at its end and no children, as `provide_untyped_cap`
    /// creates it, so its first retype resets it to the start. Never fails: if
    /// `total_slots` is smaller than the list, the cspace grows to hold every untyped,
    /// and untypeds the kernel could never report (see [`KernelModel::try_new`]) are
    /// kept as given; retypes on them stay inside them but are otherwise unspecified.
    ///
    /// `kernel` is the kernel configuration (an [`Arch`] means its default one).
    pub fn new(
        kernel: impl Into<KernelConfig>,
        untypeds: &[BootUntyped],
        total_slots: usize,
    ) -> Self {
        let kernel = kernel.into();
        let arch = kernel.arch;
        let window = kernel.kernel_window();
        let mut slots: Vec<Option<Cap>> = untypeds
            .iter()
            .map(|ut| {
                Some(Cap::Untyped(UntypedCap {
                    kva: window.kva(ut.paddr),
                    paddr: ut.paddr,
                    size_bits: ut.size_bits,
                    is_device: ut.is_device,
                    free_index: saturate_u64(bytes(ut.size_bits) >> MIN_UNTYPED_BITS),
                    children: 0,
                    parent: None,
                }))
            })
            .collect();
        slots.resize(total_slots.max(untypeds.len()), None);
        KernelModel {
            arch,
            kernel,
            slots,
            objects: BTreeMap::new(),
            asids: BTreeMap::new(),
            irqs: BTreeMap::new(),
            ioports: Vec::new(),
            authority_mcp: crate::ROOT_TASK_MCP,
        }
    }

    /// Like [`KernelModel::new`], but refuses untypeds the kernel could never report
    /// ([`check_boot_untypeds`]) and a list that does not fit in `total_slots`.
    pub fn try_new(
        kernel: impl Into<KernelConfig>,
        untypeds: &[BootUntyped],
        total_slots: usize,
    ) -> Result<Self, ModelError> {
        let kernel = kernel.into();
        if untypeds.len() > total_slots {
            return Err(ModelError::TooFewSlots {
                untypeds: untypeds.len(),
                total_slots,
            });
        }
        check_boot_untypeds(kernel, untypeds)?;
        Ok(Self::new(kernel, untypeds, total_slots))
    }

    /// The architecture whose object sizes and kernel window are modelled.
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// The kernel configuration modelled (its window and user top).
    pub fn kernel(&self) -> KernelConfig {
        self.kernel
    }

    /// Number of slots in the modelled cspace.
    pub fn total_slots(&self) -> usize {
        self.slots.len()
    }

    /// The capability in `slot`, if any.
    pub fn cap(&self, slot: usize) -> Option<&Cap> {
        self.slots.get(slot).and_then(Option::as_ref)
    }

    /// Every live capability with its slot, in slot order.
    pub fn caps(&self) -> impl Iterator<Item = (usize, &Cap)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(slot, cap)| cap.as_ref().map(|cap| (slot, cap)))
    }

    /// Every live non-untyped object with its slot, in slot order.
    pub fn live_objects(&self) -> impl Iterator<Item = (usize, &ObjectCap)> {
        self.caps()
            .filter_map(|(slot, cap)| cap.as_object().map(|object| (slot, object)))
    }

    /// Slot of the live non-untyped object that holds physical address `paddr`, if any.
    pub fn find_object_at(&self, paddr: u64) -> Option<usize> {
        self.live_objects()
            .find(|(_, object)| {
                u128::from(paddr.wrapping_sub(object.paddr)) < bytes(object.size_bits)
            })
            .map(|(slot, _)| slot)
    }

    /// `Page_GetAddress`: the physical address of the frame in `slot`.
    pub fn frame_paddr(&self, slot: usize) -> Result<u64, ModelError> {
        match self.existing(slot)? {
            Cap::Object(object) if object.ty.is_frame() => Ok(object.paddr),
            other => Err(ModelError::NotAFrame {
                slot,
                what: other.kind_name(),
            }),
        }
    }

    /// Deletes the cap in `slot`.
    ///
    /// Only leaf caps may go: an untyped with live children is refused, because
    /// removing it would need a revoke, which the model does not have. The parent
    /// untyped loses a child; once it has none, its next retype starts from its
    /// base again, as the kernel's reset does.
    pub fn delete(&mut self, slot: usize) -> Result<(), ModelError> {
        let cap = *self.existing(slot)?;
        if let Cap::Untyped(untyped) = cap {
            if untyped.children > 0 {
                return Err(ModelError::HasChildren {
                    slot,
                    children: untyped.children,
                });
            }
        }
        self.slots[slot] = None;
        if let Some(Some(Cap::Untyped(parent))) = cap.parent().and_then(|p| self.slots.get_mut(p)) {
            parent.children = parent.children.saturating_sub(1);
        }
        Ok(())
    }

    fn existing(&self, slot: usize) -> Result<&Cap, ModelError> {
        match self.slots.get(slot) {
            None => Err(ModelError::SlotOutOfRange {
                slot,
                total_slots: self.slots.len(),
            }),
            Some(None) => Err(ModelError::EmptySlot { slot }),
            Some(Some(cap)) => Ok(cap),
        }
    }

    /// `Untyped_Retype`: creates `count` objects of type `ty` from the untyped in
    /// `src`, with caps in slots `dest_first..dest_first + count`.
    ///
    /// Arguments are checked in the order of `decodeUntypedInvocation`, so when
    /// several are wrong the error is the one the kernel returns. Objects are placed
    /// at the watermark rounded up to the object size *in kernel-virtual space*.
    pub fn retype(
        &mut self,
        src: usize,
        ty: ObjectType,
        size_arg: u8,
        dest_first: usize,
        count: u32,
    ) -> Result<Retyped, RetypeError> {
        let untyped = match self.slots.get(src) {
            Some(Some(Cap::Untyped(untyped))) => *untyped,
            _ => return Err(RetypeError::InvalidCapability { slot: src }),
        };
        let object_size_bits = object_size_bits(self.arch, ty, size_arg)?;
        self.check_destination(dest_first, count)?;

        // The kernel only remembers the watermark while the untyped has children;
        // without any it starts again from the base (and clears the memory).
        let reset = untyped.children == 0;
        let free_index = if reset { 0 } else { untyped.free_index };
        let free_offset = u128::from(free_index) << MIN_UNTYPED_BITS;
        let untyped_bytes = bytes(untyped.size_bits);
        let free_bytes = untyped_bytes.saturating_sub(free_offset);
        let requested_bytes = u128::from(count) << object_size_bits;

        // The capacity check looks at the free bytes *before* aligning, like the
        // kernel. That is enough: if the objects were to fit at the watermark they
        // also fit once the watermark is rounded up. The untyped's base is aligned
        // to its own size, which is at least the object size here (a larger object
        // already failed this check), and so is its end. The end minus the objects'
        // total is then a multiple of the object size that lies at or above the
        // watermark, so the rounded-up watermark cannot pass it.
        if (free_bytes >> object_size_bits) < u128::from(count) {
            return Err(RetypeError::NotEnoughMemory {
                memory_left: saturate_u64(free_bytes),
                slot: src,
                count,
                object_size_bits,
            });
        }

        if untyped.is_device && !ty.allowed_in_device_memory() {
            return Err(RetypeError::InvalidArgument {
                argument: 1,
                problem: ArgumentProblem::KernelObjectInDeviceMemory { ty },
            });
        }

        // Alignment happens on the kernel-virtual address, which may wrap around
        // 2^64 for device memory; offsets from the base stay exact with wrapping
        // arithmetic because a size-aligned untyped ends at or before 2^64.
        let free_ref = untyped.kva.wrapping_add(saturate_u64(free_offset));
        let first_kva = align_up(free_ref, object_size_bits);
        let first_offset = u128::from(first_kva.wrapping_sub(untyped.kva));
        let new_watermark = first_offset + requested_bytes;
        if new_watermark > untyped_bytes {
            // Only reachable for an untyped whose base is not size-aligned (see `new`),
            // which the argument above excludes for anything the kernel creates.
            return Err(RetypeError::NotEnoughMemory {
                memory_left: saturate_u64(free_bytes),
                slot: src,
                count,
                object_size_bits,
            });
        }

        let window = self.kernel.kernel_window();
        for i in 0..count {
            let kva = first_kva.wrapping_add(u64::from(i) << object_size_bits);
            let paddr = window.paddr(kva);
            let cap = if ty == ObjectType::Untyped {
                Cap::Untyped(UntypedCap {
                    kva,
                    paddr,
                    size_bits: object_size_bits,
                    is_device: untyped.is_device,
                    free_index: 0,
                    children: 0,
                    parent: Some(src),
                })
            } else {
                Cap::Object(ObjectCap {
                    ty,
                    size_arg,
                    size_bits: object_size_bits,
                    kva,
                    paddr,
                    is_device: untyped.is_device,
                    parent: src,
                    rights: CapRights::ALL,
                    badge: 0,
                    guard: 0,
                    guard_size: 0,
                    mapped: None,
                })
            };
            if let Some(state) = ObjectState::fresh(ty, size_arg) {
                self.objects.insert(kva, state);
            }
            self.slots[dest_first + i as usize] = Some(cap);
        }
        if let Some(Some(Cap::Untyped(source))) = self.slots.get_mut(src) {
            source.free_index = saturate_u64(new_watermark >> MIN_UNTYPED_BITS);
            source.children = source.children.saturating_add(count);
        }
        Ok(Retyped {
            first_kva,
            first_paddr: window.paddr(first_kva),
            object_size_bits,
            count,
        })
    }

    /// The destination checks of `decodeUntypedInvocation`: offset inside the node,
    /// fan-out within limits, window inside the node, every slot empty.
    fn check_destination(&self, dest_first: usize, count: u32) -> Result<(), RetypeError> {
        let node_size = self.slots.len() as u64;
        let offset = dest_first as u64;
        if node_size == 0 || offset > node_size - 1 {
            return Err(RetypeError::RangeError {
                min: 0,
                max: node_size.saturating_sub(1),
                what: RangeChecked::DestinationOffset { dest_first },
            });
        }
        if !(1..=RETYPE_FAN_OUT_LIMIT).contains(&count) {
            return Err(RetypeError::RangeError {
                min: 1,
                max: u64::from(RETYPE_FAN_OUT_LIMIT),
                what: RangeChecked::FanOut { count },
            });
        }
        if u64::from(count) > node_size - offset {
            return Err(RetypeError::RangeError {
                min: 1,
                max: node_size - offset,
                what: RangeChecked::DestinationWindow { dest_first, count },
            });
        }
        let window = dest_first..dest_first + count as usize;
        if let Some(slot) = window.into_iter().find(|&slot| self.slots[slot].is_some()) {
            return Err(RetypeError::DeleteFirst { slot });
        }
        Ok(())
    }
}

/// Refuses a boot untyped list the kernel could never report: a size outside
/// `MIN_UNTYPED_BITS..=MAX_UNTYPED_BITS`, a kernel virtual address not aligned to the
/// size, a range past the end of the physical address space, or two untypeds that share
/// bytes (the kernel hands out each byte once). O(n log n) in the list's length.
pub fn check_boot_untypeds(
    kernel: impl Into<KernelConfig>,
    untypeds: &[BootUntyped],
) -> Result<(), ModelError> {
    let window = kernel.into().kernel_window();
    let end = |ut: &BootUntyped| u128::from(ut.paddr) + bytes(ut.size_bits);
    for (index, ut) in untypeds.iter().enumerate() {
        let reason = if !(MIN_UNTYPED_BITS..=MAX_UNTYPED_BITS).contains(&ut.size_bits) {
            Some("size must be 4..=47 bits")
        } else if !is_aligned(window.kva(ut.paddr), ut.size_bits) {
            Some("its kernel virtual address is not aligned to its size")
        } else if end(ut) > 1u128 << WORD_BITS {
            Some("it passes the end of the 64-bit physical address space")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(ModelError::InvalidBootUntyped {
                index,
                paddr: ut.paddr,
                size_bits: ut.size_bits,
                reason,
            });
        }
    }
    let mut order: Vec<usize> = (0..untypeds.len()).collect();
    order.sort_by_key(|&i| (untypeds[i].paddr, i));
    for pair in order.windows(2) {
        let (a, b) = (&untypeds[pair[0]], &untypeds[pair[1]]);
        if end(a) > u128::from(b.paddr) {
            let (index, other) = (pair[0].max(pair[1]), pair[0].min(pair[1]));
            let ut = &untypeds[index];
            return Err(ModelError::OverlappingBootUntypeds {
                index,
                paddr: ut.paddr,
                size_bits: ut.size_bits,
                other,
            });
        }
    }
    Ok(())
}

/// The object size checks of `decodeUntypedInvocation`, in its order, with sizes from kobj.
fn object_size_bits(arch: Arch, ty: ObjectType, size_arg: u8) -> Result<u8, RetypeError> {
    let not_on_arch = RetypeError::InvalidArgument {
        argument: 0,
        problem: ArgumentProblem::TypeNotOnArch { ty, arch },
    };
    let too_large = RetypeError::RangeError {
        min: 0,
        max: u64::from(MAX_UNTYPED_BITS),
        what: RangeChecked::ObjectSize { ty, size_arg },
    };
    if !ty.exists_on(arch) {
        return Err(not_on_arch);
    }
    // The kernel refuses a size argument of a word's width or more for every type,
    // even those that ignore it, before it looks at the type's own limits.
    if size_arg >= WORD_BITS {
        return Err(too_large);
    }
    match ty.size_bits(arch, size_arg) {
        Ok(bits) if bits > MAX_UNTYPED_BITS => Err(too_large),
        Ok(bits) => Ok(bits),
        Err(SizeError::NotOnArch { .. }) => Err(not_on_arch),
        // kobj's upper limits are exactly where the object would exceed
        // MAX_UNTYPED_BITS, which the kernel reports as a range error; its lower
        // limits are the kernel's separate "too small" checks on argument 1.
        Err(SizeError::BadSizeArgument { given, max, .. }) if given > max => Err(too_large),
        Err(SizeError::BadSizeArgument { .. }) => Err(RetypeError::InvalidArgument {
            argument: 1,
            problem: if ty == ObjectType::CNode {
                ArgumentProblem::CNodeRadixZero
            } else {
                ArgumentProblem::UntypedTooSmall {
                    size_bits: size_arg,
                }
            },
        }),
    }
}
