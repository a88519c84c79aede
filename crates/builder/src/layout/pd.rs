//! Each PD's own objects (CNode, VSpace, notification, endpoint, IPC buffer,
//! TCB), the pd-abi slots that tie PDs together, and the stack.

use std::collections::{BTreeMap, BTreeSet};

use sysinit_kobj::Arch;
use sysinit_pd_abi as abi;
use sysinit_sdf::{describe, Perms, ProtectionDomain, SystemDescription};
use sysinit_spec::{Cap, IpcBuffer, Object, ObjectId, Tcb, VSpace};

use super::frames::{mapping_cap, ram_page};
use super::{Layout, Mapping, MappingSource};
use crate::LoadedImage;

/// The kernel objects of one PD.
pub(super) struct PdObjects {
    pub(super) cnode: ObjectId,
    pub(super) vspace: ObjectId,
    pub(super) notification: ObjectId,
    pub(super) endpoint: Option<ObjectId>,
    pub(super) tcb: ObjectId,
}

/// Adds every PD's objects (description order), by PD name, and maps each IPC buffer.
pub(super) fn add_objects<'d>(
    layout: &mut Layout,
    description: &SystemDescription,
    pds: &[(&'d ProtectionDomain, Option<&'d ProtectionDomain>)],
    images: &BTreeMap<String, LoadedImage>,
    arch: Arch,
) -> BTreeMap<&'d str, PdObjects> {
    let callee = callees(description);
    let mut objects = BTreeMap::new();
    for (pd, _) in pds {
        let entry = images.get(&pd.name).map_or(0, |i| i.image.entry);
        let o = add_pd(layout, pd, callee.contains(pd.name.as_str()), entry, arch);
        objects.insert(pd.name.as_str(), o);
    }
    objects
}

/// One PD's objects; `called` when some channel may call it (it gets an endpoint).
fn add_pd(
    layout: &mut Layout,
    pd: &ProtectionDomain,
    called: bool,
    entry: u64,
    arch: Arch,
) -> PdObjects {
    let name = &pd.name;
    let b = &mut layout.b;
    let cnode = b.add(
        format!("pd.{name}.cnode"),
        Object::CNode(sysinit_spec::CNode {
            radix: abi::CNODE_RADIX,
            slots: Vec::new(),
        }),
    );
    let vspace = b.add(
        format!("pd.{name}.vspace"),
        Object::VSpace(VSpace { slots: Vec::new() }),
    );
    let notification = b.add(format!("pd.{name}.notification"), Object::Notification);
    let endpoint = called.then(|| b.add(format!("pd.{name}.endpoint"), Object::Endpoint));
    let ipc = b.add(format!("pd.{name}.ipc_buffer"), ram_page(Vec::new()));
    let ipc_vaddr = abi::ipc_buffer_vaddr(arch);
    let guard_size = 64 - abi::CNODE_RADIX;
    let tcb = b.add(
        format!("pd.{name}.tcb"),
        Object::Tcb(Tcb {
            cspace: Cap::new(cnode).with_guard(0, guard_size),
            vspace: Cap::new(vspace),
            ipc_buffer: Some(IpcBuffer {
                frame: Cap::new(ipc),
                vaddr: ipc_vaddr,
            }),
            fault_endpoint: None,
            bound_notification: endpoint.map(|_| Cap::new(notification)),
            vcpu: None,
            // Validation keeps priorities at or below 254 and cores on the board.
            priority: u8::try_from(pd.priority).unwrap_or(u8::MAX),
            max_priority: u8::try_from(pd.priority).unwrap_or(u8::MAX),
            affinity: u32::try_from(pd.cpu).unwrap_or(u32::MAX),
            entry,
            stack_pointer: abi::stack_top(arch),
            args: Vec::new(),
            resume: true,
        }),
    );
    let cap = mapping_cap(ipc, Perms::READ_WRITE, true);
    let element = describe::pd(pd);
    let what = || "the IPC buffer".to_string();
    layout.map(vspace, ipc_vaddr, cap, (&pd.location, &element), what);
    PdObjects {
        cnode,
        vspace,
        notification,
        endpoint,
        tcb,
    }
}

/// The IPC buffer's mapping, for the report.
pub(super) fn ipc_buffer_mapping(arch: Arch) -> Mapping {
    Mapping {
        vaddr: abi::ipc_buffer_vaddr(arch),
        size: abi::PAGE_SIZE,
        page_size: abi::PAGE_SIZE,
        perms: Perms::READ_WRITE,
        cached: true,
        source: MappingSource::IpcBuffer,
    }
}

/// The PD's input cap (its endpoint if called, else its notification) and, for a
/// child, its TCB in the parent's CSpace at `BASE_TCB_CAP + id`.
pub(super) fn connect(
    layout: &mut Layout,
    pd: &ProtectionDomain,
    parent: Option<&ProtectionDomain>,
    o: &PdObjects,
    objects: &BTreeMap<&str, PdObjects>,
) {
    let input = o.endpoint.unwrap_or(o.notification);
    layout.set_slot(o.cnode, abi::INPUT_CAP, Cap::new(input));
    if let (Some(parent), Some(id)) = (parent, pd.id) {
        if let Some(po) = objects.get(parent.name.as_str()) {
            layout.set_slot(po.cnode, abi::BASE_TCB_CAP + id, Cap::new(o.tcb));
        }
    }
}

/// The stack: whole pages below the stack top; a guard page separates it from the IPC buffer.
pub(super) fn add_stack(
    layout: &mut Layout,
    pd: &ProtectionDomain,
    pd_element: &str,
    o: &PdObjects,
    arch: Arch,
) -> Mapping {
    let stack_top = abi::stack_top(arch);
    let stack_pages = pd.stack_size / abi::PAGE_SIZE;
    let stack_bottom = stack_top - stack_pages * abi::PAGE_SIZE;
    for i in 0..stack_pages {
        let vaddr = stack_bottom + i * abi::PAGE_SIZE;
        let frame = layout.b.add(
            format!("pd.{}.stack@{vaddr:#x}", pd.name),
            ram_page(Vec::new()),
        );
        let cap = mapping_cap(frame, Perms::READ_WRITE, true);
        let what = || "the stack".to_string();
        layout.map(o.vspace, vaddr, cap, (&pd.location, pd_element), what);
    }
    Mapping {
        vaddr: stack_bottom,
        size: pd.stack_size,
        page_size: abi::PAGE_SIZE,
        perms: Perms::READ_WRITE,
        cached: true,
        source: MappingSource::Stack,
    }
}

/// The PDs some channel end may call (the far end of every `pp="true"` end) and
/// the VMMs (their guests' faults arrive on it): they get an endpoint.
fn callees(description: &SystemDescription) -> BTreeSet<&str> {
    let mut callee: BTreeSet<&str> = description
        .all_protection_domains()
        .into_iter()
        .filter(|(pd, _)| pd.virtual_machine.is_some())
        .map(|(pd, _)| pd.name.as_str())
        .collect();
    for ch in &description.channels {
        for (from, to) in [(0, 1), (1, 0)] {
            if ch.ends[from].pp {
                callee.insert(ch.ends[to].pd.as_str());
            }
        }
    }
    callee
}
