//! Compares the kernel model after a boot with the spec it was booted from.

use sysinit_model::{vm_rights, Cap, Entry, KernelModel, ObjectState};
use sysinit_spec::{CNode, Cap as SpecCap, Frame, Irq, Object, ObjectId, Spec, Tcb};

use crate::{cap_rights, irq_number, SimError};

fn fail(spec: &Spec, id: ObjectId, problem: String) -> SimError {
    SimError::EndState {
        object: spec
            .get(id)
            .map_or_else(|| format!("object {id}"), |o| o.name.clone()),
        problem,
    }
}

fn name(spec: &Spec, id: ObjectId) -> String {
    spec.get(id)
        .map_or_else(|| format!("object {id}"), |o| o.name.clone())
}

/// Checks that the model holds the system `spec` describes, given the root slot of every
/// spec object: each thread marked `resume` runs, and each other one (a VM's vCPU
/// thread) stays stopped, with the spec's registers, priorities, address space,
/// fault endpoint CPtr and VCPU (bound both ways); every VSpace entry of [`Spec::vspace_mappings`] is present with
/// the right table or frame, rights and cacheability; every CNode slot holds a cap to
/// the right object with the right rights, badge and guard; every fill is in the frame;
/// every IRQ signals the right notification with the right badge.
pub fn check_end_state(
    spec: &Spec,
    model: &KernelModel,
    object_slots: &[Option<u64>],
) -> Result<(), SimError> {
    let check = EndState {
        spec,
        model,
        object_slots,
    };
    for (id, named) in spec.iter() {
        match &named.object {
            Object::Tcb(tcb) => check.tcb(id, tcb)?,
            Object::VSpace(_) => check.vspace(id)?,
            Object::CNode(cnode) => check.cnode(id, cnode)?,
            Object::Frame(frame) => check.frame(id, frame)?,
            Object::Irq(irq) => check.irq(id, irq)?,
            _ => {}
        }
    }
    Ok(())
}

/// The model after a boot, the spec it ran and the root slot of every spec object.
struct EndState<'a> {
    spec: &'a Spec,
    model: &'a KernelModel,
    object_slots: &'a [Option<u64>],
}

impl EndState<'_> {
    fn slot_of(&self, id: ObjectId) -> Result<usize, SimError> {
        self.object_slots
            .get(id.index())
            .copied()
            .flatten()
            .and_then(|s| usize::try_from(s).ok())
            .ok_or_else(|| fail(self.spec, id, String::from("it has no capability")))
    }

    fn cap_at(&self, id: ObjectId) -> Result<Cap, SimError> {
        let slot = self.slot_of(id)?;
        self.model
            .cap(slot)
            .copied()
            .ok_or_else(|| fail(self.spec, id, format!("its root slot {slot} is empty")))
    }

    fn kva_of(&self, id: ObjectId) -> Result<u64, SimError> {
        Ok(self.cap_at(id)?.kva())
    }

    /// A thread: running if marked resume, with the spec's registers, priorities, spaces and bindings.
    fn tcb(&self, id: ObjectId, tcb: &Tcb) -> Result<(), SimError> {
        let (spec, model) = (self.spec, self.model);
        let state = model
            .tcb(self.slot_of(id)?)
            .ok_or_else(|| fail(spec, id, String::from("the model has no thread")))?;
        if tcb.resume && !state.running {
            return Err(fail(spec, id, String::from("it was never resumed")));
        }
        // A VM's vCPU thread stays stopped: its VMM sets its registers and starts it.
        if !tcb.resume && state.running {
            return Err(fail(
                spec,
                id,
                String::from("it runs, but the spec leaves it stopped"),
            ));
        }
        // Faults are delivered through this CPtr of the thread's own CSpace (the spec
        // validation checks that it resolves to an endpoint there).
        let fault_ep = tcb.fault_endpoint.unwrap_or(0);
        if state.fault_ep != fault_ep {
            return Err(fail(
                spec,
                id,
                format!(
                    "its fault endpoint CPtr is {:#x}, not {fault_ep:#x}",
                    state.fault_ep
                ),
            ));
        }
        let want = (tcb.entry, tcb.stack_pointer, tcb.args.clone());
        if state.registers.as_ref() != Some(&want) {
            return Err(fail(
                spec,
                id,
                format!("its registers are {:?}, not {want:?}", state.registers),
            ));
        }
        if (state.priority, state.max_priority) != (tcb.priority, tcb.max_priority) {
            return Err(fail(
                spec,
                id,
                format!(
                    "priority/MCP are {}/{}, not {}/{}",
                    state.priority, state.max_priority, tcb.priority, tcb.max_priority
                ),
            ));
        }
        let vspace = state.vspace.map(|c| c.kva());
        if vspace != Some(self.kva_of(tcb.vspace.object)?) {
            return Err(fail(
                spec,
                id,
                format!("its VSpace is not \"{}\"", name(spec, tcb.vspace.object)),
            ));
        }
        let cspace = state.cspace.and_then(|c| c.as_object().copied());
        let want_cspace = (
            self.kva_of(tcb.cspace.object)?,
            tcb.cspace.guard,
            tcb.cspace.guard_size,
        );
        if cspace.map(|c| (c.kva, c.guard, c.guard_size)) != Some(want_cspace) {
            return Err(fail(
                spec,
                id,
                format!(
                    "its CSpace is not \"{}\" with guard {:#x} of {} bits",
                    name(spec, tcb.cspace.object),
                    tcb.cspace.guard,
                    tcb.cspace.guard_size
                ),
            ));
        }
        if let Some(b) = &tcb.ipc_buffer {
            let got = state.ipc_buffer.map(|(v, c)| (v, c.kva()));
            if got != Some((b.vaddr, self.kva_of(b.frame.object)?)) {
                return Err(fail(spec, id, format!("its IPC buffer is {got:?}")));
            }
        }
        if let Some(n) = tcb.bound_notification {
            if state.bound_notification != Some(self.kva_of(n.object)?) {
                return Err(fail(
                    spec,
                    id,
                    String::from("its notification is not bound"),
                ));
            }
        }
        if let Some(v) = tcb.vcpu {
            let vcpu = self.kva_of(v.object)?;
            if state.vcpu != Some(vcpu) {
                return Err(fail(spec, id, String::from("its VCPU is not bound")));
            }
            // Both sides of the binding: the VCPU names this thread back.
            let thread = self.kva_of(id)?;
            match model.object_state(vcpu) {
                Some(ObjectState::Vcpu { tcb: Some(t) }) if *t == thread => {}
                other => {
                    return Err(fail(
                        spec,
                        id,
                        format!(
                            "its VCPU \"{}\" is bound to {other:?}, not to it",
                            name(spec, v.object)
                        ),
                    ))
                }
            }
        }
        Ok(())
    }

    /// An address space: every entry the spec maps, with the right object, rights and cacheability.
    fn vspace(&self, id: ObjectId) -> Result<(), SimError> {
        let (spec, model) = (self.spec, self.model);
        let vspace = self.slot_of(id)?;
        for m in spec.vspace_mappings(id) {
            let entry = model.vspace_entry(vspace, m.level, m.vaddr).copied();
            let target = self.kva_of(m.cap.object)?;
            let ok = match entry {
                Some(Entry::Table { kva, .. }) => !m.is_frame && kva == target,
                Some(Entry::Frame {
                    kva,
                    rights,
                    cached,
                    ..
                }) => {
                    m.is_frame
                        && kva == target
                        && rights == vm_rights(cap_rights(m.cap.rights))
                        && cached == m.cap.cached
                }
                None => false,
            };
            if !ok {
                return Err(fail(
                    spec,
                    id,
                    format!(
                        "the level-{} entry at {:#x} should map \"{}\" but holds {entry:?}",
                        m.level,
                        m.vaddr,
                        name(spec, m.cap.object)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A CNode: every slot holds the right cap.
    fn cnode(&self, id: ObjectId, cnode: &CNode) -> Result<(), SimError> {
        let (spec, model) = (self.spec, self.model);
        let cnode_slot = self.slot_of(id)?;
        for &(index, cap) in &cnode.slots {
            let got = model.cnode_slot(cnode_slot, u64::from(index)).copied();
            if !same_cap(spec, &cap, got, self.cap_at(cap.object)?) {
                return Err(fail(
                    spec,
                    id,
                    format!(
                        "slot {index} should hold a cap to \"{}\" ({:?}) but holds {got:?}",
                        name(spec, cap.object),
                        cap
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A frame: every fill is in place.
    fn frame(&self, id: ObjectId, frame: &Frame) -> Result<(), SimError> {
        let (spec, model) = (self.spec, self.model);
        if frame.fill.is_empty() {
            return Ok(());
        }
        let slot = self.slot_of(id)?;
        for entry in &frame.fill {
            let want = entry.bytes(&spec.blob).unwrap_or_default();
            let got = model
                .frame_bytes(slot, entry.offset, want.len())
                .map_err(|e| fail(spec, id, e.to_string()))?;
            if got != want {
                return Err(fail(
                    spec,
                    id,
                    format!(
                        "the {} bytes at offset {:#x} differ from its fill",
                        want.len(),
                        entry.offset
                    ),
                ));
            }
        }
        Ok(())
    }

    /// An interrupt: it signals the right notification with the right badge.
    fn irq(&self, id: ObjectId, irq: &Irq) -> Result<(), SimError> {
        let (spec, model) = (self.spec, self.model);
        if let Some(n) = irq.notification {
            let got = model.irq_target(irq_number(&irq.source));
            let want = (self.kva_of(n.object)?, n.badge);
            if got.map(|t| (t.notification, t.badge)) != Some(want) {
                return Err(fail(
                    spec,
                    id,
                    format!(
                        "it should signal \"{}\" with badge {:#x}, but signals {got:?}",
                        name(spec, n.object),
                        n.badge
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Whether `got` is a cap to the same object as `original` with the spec cap's attributes.
fn same_cap(spec: &Spec, want: &SpecCap, got: Option<Cap>, original: Cap) -> bool {
    match (got, original) {
        (Some(Cap::Object(g)), Cap::Object(o)) => {
            let is_cnode = matches!(
                spec.get(want.object).map(|o| &o.object),
                Some(Object::CNode(_))
            );
            g.kva == o.kva
                && g.ty == o.ty
                && g.rights == cap_rights(want.rights)
                && g.badge == want.badge
                && (!is_cnode || (g.guard, g.guard_size) == (want.guard, want.guard_size))
        }
        (Some(Cap::Untyped(g)), Cap::Untyped(o)) => g.kva == o.kva && g.size_bits == o.size_bits,
        (Some(Cap::IrqHandler(g)), Cap::IrqHandler(o)) => g == o,
        (Some(Cap::IoPorts(g)), Cap::IoPorts(o)) => g == o,
        _ => false,
    }
}
