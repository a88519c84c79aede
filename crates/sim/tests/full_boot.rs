//! The whole initializer on the kernel model: the example specs boot completely, and
//! initializers with one deliberate mistake are stopped by the model the way seL4
//! would stop them.

use sysinit_board::Board;
use sysinit_initializer::{
    initialize, slots_needed, CapData, InitError, Kernel, Slot, SlotLayout, ThreadStart,
};
use sysinit_kobj::{BootUntyped, ObjectType};
use sysinit_model::{boot_untypeds, KernelModel, Sel4Error};
use sysinit_sim::{check_end_state, simulate_spec, ModelKernel, ModelKernelError, SimError};
use sysinit_spec::{IrqSource, Object, Rights, Spec};

fn example(arch: &str) -> Spec {
    let path = format!(
        "{}/../../specs/example-{arch}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("example spec");
    Spec::from_json(&text).expect("valid example spec")
}

fn untypeds(board: &str) -> Vec<BootUntyped> {
    let board = Board::by_name(board).expect("board");
    let mem = board
        .boot_memory(board.default_ram_bytes())
        .expect("boot memory");
    boot_untypeds(board.arch(), &mem, usize::MAX)
        .expect("untypeds")
        .untypeds
}

#[test]
fn example_x86_64_initializes_fully_on_the_model() {
    let spec = example("x86_64");
    let sim = simulate_spec(&spec, &untypeds("qemu-x86_64")).expect("boots");
    // Every thread marked resume runs (checked by simulate_spec; spot-check here).
    let tcbs: Vec<_> = spec
        .iter()
        .filter(|(_, o)| matches!(&o.object, Object::Tcb(t) if t.resume))
        .collect();
    assert!(!tcbs.is_empty());
    for (id, _) in tcbs {
        let slot = sim.object_slots[id.index()].expect("slot") as usize;
        assert!(sim.model.tcb(slot).expect("tcb").running);
    }
    assert!(sim.invocations > sim.executed.invocations);
    assert!(matches!(
        sim.trace.last(),
        Some(sysinit_trace::Record::Summary { .. })
    ));
}

#[test]
fn example_aarch64_initializes_fully_on_the_model() {
    let spec = example("aarch64");
    simulate_spec(&spec, &untypeds("qemu-aarch64-virt")).expect("boots");
}

/// A [`Kernel`] that passes every call to the model, except for one planted mistake.
struct Broken {
    inner: ModelKernel,
    mistake: Mistake,
}

#[derive(Clone, Copy, PartialEq)]
enum Mistake {
    SkipAsidAssign,
    MapCopiesThroughTheOriginal,
    MintWithWrongDepth,
    SkipResume,
    WriteFillOneByteLate,
    GetEveryIrqTwice,
}

impl Kernel for Broken {
    type Error = ModelKernelError;
    fn untyped_retype(
        &mut self,
        src: Slot,
        ty: ObjectType,
        size_arg: u8,
        dest: Slot,
        count: u32,
    ) -> Result<(), Self::Error> {
        self.inner.untyped_retype(src, ty, size_arg, dest, count)
    }
    fn frame_paddr(&mut self, frame: Slot) -> Result<u64, Self::Error> {
        self.inner.frame_paddr(frame)
    }
    fn cnode_mint(
        &mut self,
        cnode: Slot,
        index: u64,
        depth: u8,
        src: Slot,
        rights: Rights,
        data: CapData,
    ) -> Result<(), Self::Error> {
        let depth = if self.mistake == Mistake::MintWithWrongDepth && depth < 64 {
            depth + 1
        } else {
            depth
        };
        self.inner
            .cnode_mint(cnode, index, depth, src, rights, data)
    }
    fn root_cnode(&self) -> Slot {
        self.inner.root_cnode()
    }
    fn asid_assign(&mut self, vspace: Slot) -> Result<(), Self::Error> {
        if self.mistake == Mistake::SkipAsidAssign {
            return Ok(());
        }
        self.inner.asid_assign(vspace)
    }
    fn map_table(
        &mut self,
        table: Slot,
        level: u8,
        vspace: Slot,
        vaddr: u64,
    ) -> Result<(), Self::Error> {
        self.inner.map_table(table, level, vspace, vaddr)
    }
    fn map_frame(
        &mut self,
        frame: Slot,
        vspace: Slot,
        vaddr: u64,
        rights: Rights,
        cached: bool,
    ) -> Result<(), Self::Error> {
        let mut frame = frame;
        if self.mistake == Mistake::MapCopiesThroughTheOriginal {
            // Forget the copy: map through the first slot holding the same frame.
            let kva = self.inner.0.cap(frame as usize).map(|c| c.kva());
            if let Some((original, _)) = self.inner.0.caps().find(|(_, c)| {
                Some(c.kva()) == kva && c.object_type().is_some_and(ObjectType::is_frame)
            }) {
                frame = original as Slot;
            }
        }
        self.inner.map_frame(frame, vspace, vaddr, rights, cached)
    }
    fn write_frame(
        &mut self,
        frame: Slot,
        size_bits: u8,
        offset: u64,
        data: &[u8],
    ) -> Result<(), Self::Error> {
        let offset = if self.mistake == Mistake::WriteFillOneByteLate {
            offset + 1
        } else {
            offset
        };
        self.inner.write_frame(frame, size_bits, offset, data)
    }
    fn tcb_configure(
        &mut self,
        tcb: Slot,
        fault_ep: u64,
        cspace: Slot,
        cspace_data: CapData,
        vspace: Slot,
        ipc_buffer_vaddr: u64,
        ipc_buffer: Option<Slot>,
    ) -> Result<(), Self::Error> {
        self.inner.tcb_configure(
            tcb,
            fault_ep,
            cspace,
            cspace_data,
            vspace,
            ipc_buffer_vaddr,
            ipc_buffer,
        )
    }
    fn tcb_set_sched_params(&mut self, tcb: Slot, mcp: u8, prio: u8) -> Result<(), Self::Error> {
        self.inner.tcb_set_sched_params(tcb, mcp, prio)
    }
    fn tcb_write_registers(
        &mut self,
        tcb: Slot,
        start: ThreadStart<'_>,
    ) -> Result<(), Self::Error> {
        self.inner.tcb_write_registers(tcb, start)
    }
    fn tcb_bind_notification(&mut self, tcb: Slot, ntfn: Slot) -> Result<(), Self::Error> {
        self.inner.tcb_bind_notification(tcb, ntfn)
    }
    fn vcpu_set_tcb(&mut self, vcpu: Slot, tcb: Slot) -> Result<(), Self::Error> {
        self.inner.vcpu_set_tcb(vcpu, tcb)
    }
    fn tcb_resume(&mut self, tcb: Slot) -> Result<(), Self::Error> {
        if self.mistake == Mistake::SkipResume {
            return Ok(());
        }
        self.inner.tcb_resume(tcb)
    }
    fn irq_get(&mut self, irq: &IrqSource, dest: Slot) -> Result<(), Self::Error> {
        if self.mistake == Mistake::GetEveryIrqTwice {
            self.inner.irq_get(irq, dest)?;
            return self.inner.irq_get(irq, dest + 1);
        }
        self.inner.irq_get(irq, dest)
    }
    fn irq_set_notification(&mut self, handler: Slot, ntfn: Slot) -> Result<(), Self::Error> {
        self.inner.irq_set_notification(handler, ntfn)
    }
    fn ioports_issue(&mut self, first: u16, last: u16, dest: Slot) -> Result<(), Self::Error> {
        self.inner.ioports_issue(first, last, dest)
    }
}

/// Runs `initialize` on the x86_64 example through a [`Broken`] kernel, then checks the
/// end state the way `simulate_spec` does.
fn boot_with(mistake: Mistake) -> Result<(), String> {
    let spec = example("x86_64");
    let uts = untypeds("qemu-x86_64");
    let (reqs, _) = sysinit_initializer::requests(&spec);
    let plan = sysinit_planner::plan(spec.arch, &uts, &reqs).map_err(|e| e.to_string())?;
    let first_free = uts.len() as u64;
    let end_free = first_free + slots_needed(&spec, &plan) + 4;
    let mut kernel = Broken {
        inner: ModelKernel(KernelModel::new(spec.arch, &uts, end_free as usize)),
        mistake,
    };
    let layout = SlotLayout {
        first_untyped: 0,
        first_free,
        end_free,
    };
    let done = initialize(&spec, &uts, layout, &mut kernel, |_| {}).map_err(|e| e.to_string())?;
    check_end_state(&spec, &kernel.inner.0, &done.object_slots).map_err(|e| e.to_string())
}

#[test]
fn skipping_asid_assignment_is_caught() {
    let err = boot_with(Mistake::SkipAsidAssign).unwrap_err();
    assert!(
        err.contains("PageTable_Map") && err.contains("no ASID"),
        "{err}"
    );
}

#[test]
fn a_mint_with_the_wrong_depth_is_caught() {
    let err = boot_with(Mistake::MintWithWrongDepth).unwrap_err();
    assert!(
        err.contains("CNode_Mint") && err.contains("seL4_FailedLookup"),
        "{err}"
    );
}

#[test]
fn a_thread_never_resumed_is_caught_by_the_end_state_check() {
    let err = boot_with(Mistake::SkipResume).unwrap_err();
    assert!(err.contains("never resumed"), "{err}");
}

#[test]
fn fill_bytes_in_the_wrong_place_are_caught() {
    let err = boot_with(Mistake::WriteFillOneByteLate).unwrap_err();
    assert!(
        err.contains("differ from its fill") || err.contains("seL4_RangeError"),
        "{err}"
    );
}

#[test]
fn a_second_handler_for_the_same_irq_is_refused() {
    let spec = example("x86_64");
    if !spec.iter().any(|(_, o)| matches!(o.object, Object::Irq(_))) {
        return;
    }
    let err = boot_with(Mistake::GetEveryIrqTwice).unwrap_err();
    assert!(err.contains("seL4_RevokeFirst"), "{err}");
}

#[test]
fn mapping_a_shared_frame_without_a_copy_is_refused() {
    let spec = example("x86_64");
    let shared = spec.iter().any(|(id, _)| {
        spec.iter()
            .filter(|(_, o)| matches!(o.object, Object::VSpace(_)))
            .flat_map(|(v, _)| spec.vspace_mappings(v))
            .filter(|m| m.is_frame && m.cap.object == id)
            .count()
            > 1
    });
    assert!(shared, "the example maps some frame twice");
    let err = boot_with(Mistake::MapCopiesThroughTheOriginal).unwrap_err();
    assert!(
        err.contains("Page_Map") && err.contains("maps once"),
        "{err}"
    );
}

#[test]
fn mapping_one_frame_cap_twice_is_refused() {
    // The initializer is not broken here; the kernel call is, directly on the model.
    let spec = example("x86_64");
    let sim = simulate_spec(&spec, &untypeds("qemu-x86_64")).expect("boots");
    let mut model = sim.model;
    let (frame_id, vspace_id, vaddr) = spec
        .iter()
        .filter(|(_, o)| matches!(o.object, Object::VSpace(_)))
        .flat_map(|(v, _)| {
            spec.vspace_mappings(v)
                .into_iter()
                .filter(|m| m.is_frame && m.size_bits() == 12)
                .map(move |m| (m.cap.object, v, m.vaddr))
        })
        .next()
        .expect("a mapped 4 KiB frame");
    let frame = sim.object_slots[frame_id.index()].unwrap() as usize;
    let vspace = sim.object_slots[vspace_id.index()].unwrap() as usize;
    // The frame's own cap already maps it (first mapping); a second address is refused.
    let other = vaddr ^ (1 << 30);
    let err = model
        .map_frame(frame, vspace, other, sysinit_model::CapRights::ALL, true)
        .unwrap_err();
    assert!(
        matches!(
            err.code,
            Sel4Error::InvalidArgument | Sel4Error::InvalidCapability
        ),
        "{err}"
    );
}

#[test]
fn a_root_cnode_too_small_is_refused_before_any_invocation() {
    let spec = example("x86_64");
    let uts = untypeds("qemu-x86_64");
    let mut kernel = ModelKernel(KernelModel::new(spec.arch, &uts, uts.len() + 4));
    let layout = SlotLayout {
        first_untyped: 0,
        first_free: uts.len() as u64,
        end_free: uts.len() as u64 + 4,
    };
    let err = initialize(&spec, &uts, layout, &mut kernel, |_| {}).unwrap_err();
    assert!(matches!(err, InitError::OutOfSlots { available: 4, .. }));
    assert_eq!(kernel.0.caps().count(), uts.len());
}

#[test]
fn an_asid_pool_in_the_spec_is_refused_with_its_name() {
    let mut spec = example("x86_64");
    spec.objects.push(sysinit_spec::NamedObject {
        name: String::from("extra.pool"),
        object: Object::AsidPool,
    });
    let uts = untypeds("qemu-x86_64");
    let Err(err) = simulate_spec(&spec, &uts) else {
        panic!("an ASID pool must be refused");
    };
    let text = err.to_string();
    assert!(
        matches!(err, SimError::Init(InitError::AsidPoolInSpec { .. }))
            && text.contains("extra.pool"),
        "{text}"
    );
}
