//! The whole boot: plan, retype, then IRQs, I/O ports, frame contents, address
//! spaces, CNodes and threads, in that order.
//!
//! Slots: the planned objects take the first free slots (as [`crate::execute`]
//! places them), then, in order of use, IRQ handlers, badged notification copies
//! for IRQs, I/O port caps and frame copies for second and later mappings. The
//! total is computed before the first invocation, so a root CNode that is too
//! small stops the boot before the kernel is touched.
//!
//! Invocations are counted as calls of [`Kernel`] methods: each call is one,
//! `write_frame` included, whatever it costs the implementation underneath.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use sysinit_planner::Plan;
use sysinit_spec::{Mapping, Object, ObjectId, Spec};
use sysinit_trace::Record;

use crate::{
    execute, requests, CapData, Executed, InitError, Kernel, Slot, SlotLayout, ThreadStart,
};
use sysinit_kobj::BootUntyped;

/// What a finished initialization produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Initialized {
    /// The plan that was executed.
    pub plan: Plan,
    /// Slots of the retyped objects by request (see [`crate::requests`]) and invocations
    /// of the retype phase.
    pub executed: Executed,
    /// Root slot of every spec object, by [`ObjectId`]: the object's original cap (IRQ
    /// handler and I/O port caps included). `None` only for objects that get no cap.
    pub object_slots: Vec<Option<Slot>>,
    /// Every [`Kernel`] method call made, retypes and read-backs included.
    pub invocations: u64,
    /// Root slots used, from `SlotLayout::first_free` on.
    pub slots_used: u64,
}

impl Initialized {
    /// The closing trace record. The caller emits it (after `initialize` returns), so a
    /// root task can add the `cycles` it measured around the whole call.
    pub fn summary(&self, cycles: Option<u64>) -> Record {
        Record::Summary {
            objects: self.plan.stats.objects,
            retypes: self.plan.stats.retypes,
            invocations: self.invocations,
            bytes_used: self.plan.stats.bytes_used,
            bytes_lost: self.plan.stats.bytes_lost_to_alignment,
            cycles,
        }
    }
}

/// Builds the whole system of `spec` on `kernel`: exactly one plan
/// ([`sysinit_planner::plan`]), its retypes with read-back ([`execute`], whose trace
/// records go to `out`), then IRQ handlers and I/O ports, frame contents, address
/// spaces, CNode contents, thread configuration, and finally resumes the threads
/// marked `resume`, in object order.
///
/// `spec` must be validated ([`Spec::validate`]); an inconsistent spec still yields an
/// error, never a panic. The `Record::Summary` is not emitted here: see
/// [`Initialized::summary`]. Fills come from [`Spec::blob`]; for a spec decoded with
/// its blob left in place, see [`initialize_with_blob`].
pub fn initialize<K: Kernel>(
    spec: &Spec,
    untypeds: &[BootUntyped],
    slots: SlotLayout,
    kernel: &mut K,
    out: impl FnMut(&Record),
) -> Result<Initialized, InitError<K::Error>> {
    initialize_with_blob(spec, &spec.blob, untypeds, slots, kernel, out)
}

/// [`initialize`] with the fill data in `blob` instead of [`Spec::blob`]: the root task
/// decodes its spec with [`Spec::from_postcard_borrowing_blob`], so that the blob stays
/// in the embedded bytes and only the object list needs heap.
pub fn initialize_with_blob<K: Kernel>(
    spec: &Spec,
    blob: &[u8],
    untypeds: &[BootUntyped],
    slots: SlotLayout,
    kernel: &mut K,
    out: impl FnMut(&Record),
) -> Result<Initialized, InitError<K::Error>> {
    // Refusals that need no kernel come first.
    if let Some((_, named)) = spec
        .iter()
        .find(|(_, o)| matches!(o.object, Object::AsidPool))
    {
        return Err(InitError::AsidPoolInSpec {
            object: named.name.clone(),
        });
    }
    // Affinity is never set (no SMP support); running the thread elsewhere than asked
    // would be a silent wrong result.
    let elsewhere = spec.iter().find_map(|(_, o)| match &o.object {
        Object::Tcb(t) if t.affinity != 0 => Some((o.name.clone(), t.affinity)),
        _ => None,
    });
    if let Some((object, affinity)) = elsewhere {
        return Err(InitError::AffinityUnsupported { object, affinity });
    }
    let (reqs, ids) = requests(spec);
    let plan = sysinit_planner::plan(spec.kernel(), untypeds, &reqs).map_err(InitError::Plan)?;
    let mappings = all_mappings(spec);
    let retyped: u64 = plan.steps.iter().map(|s| u64::from(s.count)).sum();
    let needed = retyped + extra_slots(spec, &mappings);
    let available = slots.end_free.saturating_sub(slots.first_free);
    if needed > available {
        return Err(InitError::OutOfSlots { needed, available });
    }

    let executed = execute(&plan, &reqs, slots, kernel, out)?;
    let mut run = Run {
        spec,
        blob,
        kernel,
        object_slots: vec![None; spec.objects.len()],
        next_slot: slots.first_free + retyped,
        invocations: executed.invocations,
    };
    for (&id, &slot) in ids.iter().zip(&executed.object_slots) {
        if let Some(entry) = run.object_slots.get_mut(id.index()) {
            *entry = Some(slot);
        }
    }
    run.irqs_and_ports()?;
    run.fill_frames()?;
    run.address_spaces(&mappings)?;
    run.cnodes()?;
    run.threads()?;
    Ok(Initialized {
        plan,
        executed,
        object_slots: run.object_slots,
        invocations: run.invocations,
        slots_used: run.next_slot - slots.first_free,
    })
}

/// Root slots `initialize` needs for `spec` executed by `plan`: the plan's objects and
/// untypeds, plus IRQ handlers, badged notification copies, I/O port caps and frame
/// copies. Lets a caller size a root CNode (the simulator does) before initializing.
pub fn slots_needed(spec: &Spec, plan: &Plan) -> u64 {
    let retyped: u64 = plan.steps.iter().map(|s| u64::from(s.count)).sum();
    retyped + extra_slots(spec, &all_mappings(spec))
}

fn all_mappings(spec: &Spec) -> Vec<(ObjectId, Vec<Mapping>)> {
    spec.iter()
        .filter(|(_, o)| matches!(o.object, Object::VSpace(_)))
        .map(|(id, _)| (id, spec.vspace_mappings(id)))
        .collect()
}

/// Slots beyond the retyped objects: see the module documentation.
fn extra_slots(spec: &Spec, mappings: &[(ObjectId, Vec<Mapping>)]) -> u64 {
    let mut extra = 0u64;
    for (_, named) in spec.iter() {
        match &named.object {
            Object::Irq(irq) => extra += 1 + u64::from(irq.notification.is_some()),
            Object::IoPorts(_) => extra += 1,
            _ => {}
        }
    }
    let mut times_mapped = vec![0u64; spec.objects.len()];
    for m in mappings
        .iter()
        .flat_map(|(_, m)| m.iter())
        .filter(|m| m.is_frame)
    {
        if let Some(n) = times_mapped.get_mut(m.cap.object.index()) {
            *n += 1;
        }
    }
    extra
        + times_mapped
            .iter()
            .map(|n| n.saturating_sub(1))
            .sum::<u64>()
}

struct Run<'a, K: Kernel> {
    spec: &'a Spec,
    /// The fill data (the spec's blob, wherever it lives).
    blob: &'a [u8],
    kernel: &'a mut K,
    object_slots: Vec<Option<Slot>>,
    next_slot: Slot,
    invocations: u64,
}

impl<K: Kernel> Run<'_, K> {
    fn name(&self, id: ObjectId) -> String {
        self.spec
            .get(id)
            .map_or_else(|| alloc::format!("object {id}"), |o| o.name.clone())
    }

    /// Counts one invocation, or names the object and operation that failed.
    fn call<T>(
        &mut self,
        id: ObjectId,
        op: &'static str,
        result: Result<T, K::Error>,
    ) -> Result<T, InitError<K::Error>> {
        match result {
            Ok(v) => {
                self.invocations += 1;
                Ok(v)
            }
            Err(error) => Err(InitError::Invocation {
                object: self.name(id),
                op,
                error,
            }),
        }
    }

    /// The root slot of `target`, referred to by `id`'s spec entry.
    fn slot_of(&self, id: ObjectId, target: ObjectId) -> Result<Slot, InitError<K::Error>> {
        self.object_slots
            .get(target.index())
            .copied()
            .flatten()
            .ok_or_else(|| InitError::Unresolved {
                object: self.name(id),
                target: self.name(target),
            })
    }

    fn take_slot(&mut self) -> Slot {
        let slot = self.next_slot;
        self.next_slot += 1;
        slot
    }

    fn irqs_and_ports(&mut self) -> Result<(), InitError<K::Error>> {
        let spec = self.spec;
        for (id, named) in spec.iter() {
            match &named.object {
                Object::Irq(irq) => {
                    let handler = self.take_slot();
                    let r = self.kernel.irq_get(&irq.source, handler);
                    self.call(id, "IRQControl_Get", r)?;
                    self.object_slots[id.index()] = Some(handler);
                    if let Some(cap) = irq.notification {
                        let ntfn = self.slot_of(id, cap.object)?;
                        let copy = self.take_slot();
                        let root = self.kernel.root_cnode();
                        let r = self.kernel.cnode_mint(
                            root,
                            copy,
                            64,
                            ntfn,
                            cap.rights,
                            CapData::Badge(cap.badge),
                        );
                        self.call(id, "CNode_Mint (badged notification for the IRQ)", r)?;
                        let r = self.kernel.irq_set_notification(handler, copy);
                        self.call(id, "IRQHandler_SetNotification", r)?;
                    }
                }
                Object::IoPorts(ports) => {
                    let slot = self.take_slot();
                    let r = self.kernel.ioports_issue(ports.first, ports.last, slot);
                    self.call(id, "IOPortControl_Issue", r)?;
                    self.object_slots[id.index()] = Some(slot);
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn fill_frames(&mut self) -> Result<(), InitError<K::Error>> {
        let spec = self.spec;
        for (id, named) in spec.iter() {
            let Object::Frame(frame) = &named.object else {
                continue;
            };
            if frame.fill.is_empty() {
                continue;
            }
            let slot = self.slot_of(id, id)?;
            for entry in &frame.fill {
                let bytes = entry
                    .bytes(self.blob)
                    .ok_or_else(|| InitError::Unresolved {
                        object: named.name.clone(),
                        target: String::from("its fill data in the spec's blob"),
                    })?;
                let r = self
                    .kernel
                    .write_frame(slot, frame.size_bits, entry.offset, bytes);
                self.call(id, "frame write", r)?;
            }
        }
        Ok(())
    }

    fn address_spaces(
        &mut self,
        mappings: &[(ObjectId, Vec<Mapping>)],
    ) -> Result<(), InitError<K::Error>> {
        let mut mapped_once = vec![false; self.spec.objects.len()];
        for (vspace_id, entries) in mappings {
            let vspace = self.slot_of(*vspace_id, *vspace_id)?;
            let r = self.kernel.asid_assign(vspace);
            self.call(*vspace_id, "ASIDPool_Assign", r)?;
            // Tables first, each before the tables below it (the walk order is top-down).
            for m in entries.iter().filter(|m| !m.is_frame) {
                let table = self.slot_of(*vspace_id, m.cap.object)?;
                let r = self.kernel.map_table(table, m.level + 1, vspace, m.vaddr);
                self.call(m.cap.object, "PageTable_Map", r)?;
            }
            for m in entries.iter().filter(|m| m.is_frame) {
                let frame_id = m.cap.object;
                let own = self.slot_of(*vspace_id, frame_id)?;
                let first = mapped_once
                    .get_mut(frame_id.index())
                    .is_some_and(|seen| !core::mem::replace(seen, true));
                // A frame cap holds one mapping; every further one needs its own copy.
                let slot = if first {
                    own
                } else {
                    let copy = self.take_slot();
                    let root = self.kernel.root_cnode();
                    let r = self.kernel.cnode_mint(
                        root,
                        copy,
                        64,
                        own,
                        sysinit_spec::Rights::all(),
                        CapData::None,
                    );
                    self.call(
                        frame_id,
                        "CNode_Mint (copy of a frame for another mapping)",
                        r,
                    )?;
                    copy
                };
                let r = self.kernel.map_frame_executable(
                    slot,
                    vspace,
                    m.vaddr,
                    m.cap.rights,
                    m.cap.cached,
                    m.cap.executable,
                );
                self.call(frame_id, "Page_Map", r)?;
            }
        }
        Ok(())
    }

    fn cnodes(&mut self) -> Result<(), InitError<K::Error>> {
        let spec = self.spec;
        for (id, named) in spec.iter() {
            let Object::CNode(cnode) = &named.object else {
                continue;
            };
            let cnode_slot = self.slot_of(id, id)?;
            for &(index, cap) in &cnode.slots {
                let src = self.slot_of(id, cap.object)?;
                let data = match spec.get(cap.object).map(|o| &o.object) {
                    Some(Object::Endpoint | Object::Notification) => CapData::Badge(cap.badge),
                    Some(Object::CNode(_)) => CapData::Guard {
                        guard: cap.guard,
                        guard_size: cap.guard_size,
                    },
                    _ => CapData::None,
                };
                let r = self.kernel.cnode_mint(
                    cnode_slot,
                    u64::from(index),
                    cnode.radix,
                    src,
                    cap.rights,
                    data,
                );
                self.call(id, "CNode_Mint", r)?;
            }
        }
        Ok(())
    }

    fn threads(&mut self) -> Result<(), InitError<K::Error>> {
        let spec = self.spec;
        for (id, named) in spec.iter() {
            let Object::Tcb(tcb) = &named.object else {
                continue;
            };
            let slot = self.slot_of(id, id)?;
            let cspace = self.slot_of(id, tcb.cspace.object)?;
            let vspace = self.slot_of(id, tcb.vspace.object)?;
            let (buffer_vaddr, buffer) = match &tcb.ipc_buffer {
                Some(b) => (b.vaddr, Some(self.slot_of(id, b.frame.object)?)),
                None => (0, None),
            };
            let r = self.kernel.tcb_configure(
                slot,
                tcb.fault_endpoint.unwrap_or(0),
                cspace,
                CapData::Guard {
                    guard: tcb.cspace.guard,
                    guard_size: tcb.cspace.guard_size,
                },
                vspace,
                buffer_vaddr,
                buffer,
            );
            self.call(id, "TCB_Configure", r)?;
            let r = self
                .kernel
                .tcb_set_sched_params(slot, tcb.max_priority, tcb.priority);
            self.call(id, "TCB_SetSchedParams", r)?;
            let start = ThreadStart {
                pc: tcb.entry,
                sp: tcb.stack_pointer,
                args: &tcb.args,
            };
            let r = self.kernel.tcb_write_registers(slot, start);
            self.call(id, "TCB_WriteRegisters", r)?;
            if let Some(ntfn) = tcb.bound_notification {
                let ntfn = self.slot_of(id, ntfn.object)?;
                let r = self.kernel.tcb_bind_notification(slot, ntfn);
                self.call(id, "TCB_BindNotification", r)?;
            }
            if let Some(vcpu) = tcb.vcpu {
                let vcpu = self.slot_of(id, vcpu.object)?;
                let r = self.kernel.vcpu_set_tcb(vcpu, slot);
                self.call(id, "VCPU_SetTCB", r)?;
            }
        }
        for (id, named) in spec.iter() {
            if let Object::Tcb(tcb) = &named.object {
                if tcb.resume {
                    let slot = self.slot_of(id, id)?;
                    let r = self.kernel.tcb_resume(slot);
                    self.call(id, "TCB_Resume", r)?;
                }
            }
        }
        Ok(())
    }
}
