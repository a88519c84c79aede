//! Virtual machines: a VM's stage-2 address space, its vCPUs and their TCBs, and
//! the VMM's caps to them, with Microkit's slots and badges.
//!
//! For a VM named V: `vm.V.vspace` (its own VSpace, so its own ASID; its "virtual"
//! addresses are guest-physical, mapped by the same walk as a PD's maps), a CNode
//! `vm.V.cnode` whose slot i holds the VMM's input endpoint badged
//! `FAULT_BADGE | i`, and per vCPU i `vm.V.vcpu<i>` and `vm.V.tcb<i>`: bound to
//! that vCPU, fault endpoint CPtr i in that CNode, no IPC buffer, the VM's
//! priority, not resumed (the VMM starts the guest). The VMM gets the TCB at
//! `BASE_VM_TCB_CAP + i` and the vCPU at `BASE_VCPU_CAP + i`, as libmicrokit
//! expects; its input is an endpoint (see [`super::pd`]) so faults reach it.

use std::collections::BTreeMap;

use sysinit_pd_abi as abi;
use sysinit_sdf::{describe, ProtectionDomain, SystemDescription, VirtualMachine};
use sysinit_spec::{CNode, Cap, Object, Tcb, VSpace};

use super::pd::PdObjects;
use super::regions::{self, RegionFrames};
use super::{Layout, Mapping};

/// Radix of a VM's fault CNode: one slot per possible vCPU id (0..=61).
const VM_CNODE_RADIX: u8 = 6;
const _: () = assert!(abi::MAX_CHANNEL_ID < 1 << VM_CNODE_RADIX);

/// A VM's guest-physical address space, for reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmLayout {
    /// The VM.
    pub name: String,
    /// The PD that manages it.
    pub vmm: String,
    /// Its vCPU ids, in description order.
    pub vcpus: Vec<u64>,
    /// Mappings by guest-physical address.
    pub mappings: Vec<Mapping>,
}

/// Adds `vm`'s objects and maps, and gives its VMM `o` the caps to them.
pub(super) fn add_vm(
    layout: &mut Layout,
    description: &SystemDescription,
    regions: &BTreeMap<&str, RegionFrames>,
    vmm: &ProtectionDomain,
    vm: &VirtualMachine,
    o: &PdObjects,
) -> VmLayout {
    let name = &vm.name;
    let vspace = layout.b.add(
        format!("vm.{name}.vspace"),
        Object::VSpace(VSpace { slots: Vec::new() }),
    );
    let cnode = layout.b.add(
        format!("vm.{name}.cnode"),
        Object::CNode(CNode {
            radix: VM_CNODE_RADIX,
            slots: Vec::new(),
        }),
    );
    // The VMM's input is its endpoint whenever it has a VM (pd::add_objects).
    let input = o.endpoint.unwrap_or(o.notification);
    // Validation keeps priorities at or below 254 and cores on the board.
    let priority = vm.priority.unwrap_or(sysinit_sdf::DEFAULT_PRIORITY);
    let priority = u8::try_from(priority).unwrap_or(u8::MAX);
    for vcpu in &vm.vcpus {
        let id = vcpu.id;
        let vcpu_object = layout.b.add(format!("vm.{name}.vcpu{id}"), Object::Vcpu);
        layout.set_slot(cnode, id, Cap::new(input).with_badge(abi::FAULT_BADGE | id));
        let tcb = layout.b.add(
            format!("vm.{name}.tcb{id}"),
            Object::Tcb(Tcb {
                // The guard makes CPtr `id` resolve at depth 64, as PD CSpaces do.
                cspace: Cap::new(cnode).with_guard(0, 64 - VM_CNODE_RADIX),
                vspace: Cap::new(vspace),
                ipc_buffer: None,
                fault_endpoint: Some(id),
                bound_notification: None,
                vcpu: Some(Cap::new(vcpu_object)),
                priority,
                max_priority: priority,
                affinity: u32::try_from(vcpu.cpu.unwrap_or(vmm.cpu)).unwrap_or(u32::MAX),
                // The VMM sets the guest's entry and registers before it resumes it.
                entry: 0,
                stack_pointer: 0,
                args: Vec::new(),
                resume: false,
            }),
        );
        layout.set_slot(o.cnode, abi::BASE_VM_TCB_CAP + id, Cap::new(tcb));
        layout.set_slot(o.cnode, abi::BASE_VCPU_CAP + id, Cap::new(vcpu_object));
    }
    let mut mappings = Vec::new();
    let element = describe::inside(&describe::vm(vm), &describe::pd(vmm));
    regions::map_into(
        layout,
        description,
        regions,
        &vm.maps,
        &element,
        vspace,
        &mut mappings,
    );
    mappings.sort_by_key(|m| m.vaddr);
    VmLayout {
        name: name.clone(),
        vmm: vmm.name.clone(),
        vcpus: vm.vcpus.iter().map(|v| v.id).collect(),
        mappings,
    }
}
