//! A virtual machine's objects on the kernel model: the end-state check sees a vCPU
//! thread that runs before its VMM starts it, a VCPU bound elsewhere, and a wrong
//! fault endpoint CPtr.

use sysinit_board::Board;
use sysinit_kobj::{Arch, BootUntyped};
use sysinit_model::boot_untypeds;
use sysinit_sim::{check_end_state, simulate_spec, Simulation};
use sysinit_spec::{CNode, Cap, Frame, Object, Spec, SpecBuilder, Tcb, VSpace};

fn untypeds() -> Vec<BootUntyped> {
    let board = Board::by_name("qemu-aarch64-virt").unwrap();
    let mem = board.boot_memory(board.default_ram_bytes()).unwrap();
    boot_untypeds(board.arch(), &mem, usize::MAX)
        .unwrap()
        .untypeds
}

fn tcb(
    cspace: Cap,
    vspace: Cap,
    fault_endpoint: Option<u64>,
    vcpu: Option<Cap>,
    resume: bool,
) -> Object {
    Object::Tcb(Tcb {
        cspace,
        vspace,
        ipc_buffer: None,
        fault_endpoint,
        bound_notification: None,
        vcpu,
        priority: 100,
        max_priority: 100,
        affinity: 0,
        entry: 0,
        stack_pointer: 0,
        args: Vec::new(),
        resume,
    })
}

/// A VMM thread and a guest thread bound to a VCPU, faulting to the VMM's endpoint
/// (badged) through CPtr 0 of a 6-bit CNode, with guest RAM at 0x80_0000_0000.
fn vm_spec() -> Spec {
    let mut b = SpecBuilder::new(Arch::Aarch64);
    let endpoint = b.add("vmm.endpoint", Object::Endpoint);
    let vmm_cnode = b.add(
        "vmm.cnode",
        Object::CNode(CNode {
            radix: 9,
            slots: Vec::new(),
        }),
    );
    let vmm_vspace = b.add("vmm.vspace", Object::VSpace(VSpace { slots: Vec::new() }));
    let vspace = b.add("vm.vspace", Object::VSpace(VSpace { slots: Vec::new() }));
    let cnode = b.add(
        "vm.cnode",
        Object::CNode(CNode {
            radix: 6,
            slots: Vec::new(),
        }),
    );
    let vcpu = b.add("vm.vcpu0", Object::Vcpu);
    let ram = b.add(
        "vm.ram",
        Object::Frame(Frame {
            size_bits: 12,
            paddr: None,
            device: false,
            fill: Vec::new(),
        }),
    );
    b.set_slot(cnode, 0, Cap::new(endpoint).with_badge(1 << 62))
        .unwrap();
    b.map(vspace, 0x80_0000_0000, Cap::new(ram).executable())
        .unwrap();
    let guard = |c| Cap::new(c);
    b.add(
        "vmm.tcb",
        tcb(
            guard(vmm_cnode).with_guard(0, 55),
            Cap::new(vmm_vspace),
            None,
            None,
            true,
        ),
    );
    let guest = b.add(
        "vm.tcb0",
        tcb(
            guard(cnode).with_guard(0, 58),
            Cap::new(vspace),
            Some(0),
            Some(Cap::new(vcpu)),
            false,
        ),
    );
    b.set_slot(vmm_cnode, 1, Cap::new(endpoint)).unwrap();
    b.set_slot(vmm_cnode, 266, Cap::new(guest)).unwrap();
    b.set_slot(vmm_cnode, 330, Cap::new(vcpu)).unwrap();
    b.build().unwrap()
}

fn slot(spec: &Spec, sim: &Simulation, name: &str) -> usize {
    sim.object_slots[spec.id_of(name).unwrap().index()].unwrap() as usize
}

#[test]
fn a_vm_boots_with_its_thread_stopped_bound_and_faulting_to_the_vmm() {
    let spec = vm_spec();
    let sim = simulate_spec(&spec, &untypeds()).unwrap_or_else(|e| panic!("{e}"));
    let guest = sim.model.tcb(slot(&spec, &sim, "vm.tcb0")).unwrap();
    assert!(!guest.running);
    assert_eq!(guest.fault_ep, 0);
    assert!(guest.vcpu.is_some());
}

#[test]
fn a_vcpu_thread_started_before_its_vmm_starts_it_is_caught() {
    let spec = vm_spec();
    let mut sim = simulate_spec(&spec, &untypeds()).unwrap();
    let guest = slot(&spec, &sim, "vm.tcb0");
    sim.model.tcb_resume(guest).unwrap();
    let err = check_end_state(&spec, &sim.model, &sim.object_slots).unwrap_err();
    assert!(
        err.to_string().contains("vm.tcb0")
            && err
                .to_string()
                .contains("it runs, but the spec leaves it stopped"),
        "{err}"
    );
}

#[test]
fn a_vcpu_bound_to_another_thread_is_caught() {
    let spec = vm_spec();
    let mut sim = simulate_spec(&spec, &untypeds()).unwrap();
    let (vcpu, vmm) = (slot(&spec, &sim, "vm.vcpu0"), slot(&spec, &sim, "vmm.tcb"));
    sim.model.vcpu_set_tcb(vcpu, vmm).unwrap();
    let err = check_end_state(&spec, &sim.model, &sim.object_slots).unwrap_err();
    assert!(err.to_string().contains("VCPU"), "{err}");
}

#[test]
fn a_wrong_fault_endpoint_cptr_is_caught() {
    let mut spec = vm_spec();
    let sim = simulate_spec(&spec, &untypeds()).unwrap();
    let id = spec.id_of("vm.tcb0").unwrap();
    // The model booted with CPtr 0; a spec asking for CPtr 1 does not match it.
    let Some(Object::Tcb(t)) = spec.objects.get_mut(id.index()).map(|o| &mut o.object) else {
        panic!()
    };
    t.fault_endpoint = Some(1);
    let err = check_end_state(&spec, &sim.model, &sim.object_slots).unwrap_err();
    assert!(
        err.to_string()
            .contains("fault endpoint CPtr is 0x0, not 0x1"),
        "{err}"
    );
}
