//! A recording fake [`Kernel`] and the small specs the initializer's tests boot on it.
//!
//! The fake records every method call with its arguments, in order, and answers from a
//! script: the Nth call can be made to fail, and a frame read-back can be made to return
//! another address. Underneath it keeps just enough kernel state to answer honestly and
//! to refuse what seL4 would refuse outright: a watermark per untyped (objects are placed
//! at the watermark rounded up to their size, as `Untyped_Retype` does), what each root
//! slot holds, which ASIDs are assigned, which tables are mapped where, which frame caps
//! already map a page. It deliberately shares no code with `crates/model`: the kernel
//! model is the other implementation of [`Kernel`], and a test that judged the
//! initializer through it would agree with the model's mistakes.

#![allow(dead_code)] // each test file uses a different part of this module

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use sysinit_initializer::{CapData, Kernel, Slot, SlotLayout, ThreadStart};
use sysinit_kobj::{align_up, Arch, BootUntyped, ObjectType};
use sysinit_spec::{entry_span_bits, IrqSource, Rights};

/// The slot the fake calls its root CNode (never a real slot of the layouts used here).
pub const ROOT: Slot = 0xffff_0000;

/// Boot untyped 0 is in this slot (not 0, so a missing offset shows).
pub const FIRST_UNTYPED: Slot = 5;

/// One [`Kernel`] method call with its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    Retype {
        src: Slot,
        ty: ObjectType,
        size_arg: u8,
        dest: Slot,
        count: u32,
    },
    FramePaddr {
        frame: Slot,
    },
    Mint {
        cnode: Slot,
        index: u64,
        depth: u8,
        src: Slot,
        rights: Rights,
        data: CapData,
    },
    AsidAssign {
        vspace: Slot,
    },
    MapTable {
        table: Slot,
        level: u8,
        vspace: Slot,
        vaddr: u64,
    },
    MapFrame {
        frame: Slot,
        vspace: Slot,
        vaddr: u64,
        rights: Rights,
        cached: bool,
    },
    WriteFrame {
        frame: Slot,
        size_bits: u8,
        offset: u64,
        data: Vec<u8>,
    },
    TcbConfigure {
        tcb: Slot,
        fault_ep: u64,
        cspace: Slot,
        cspace_data: CapData,
        vspace: Slot,
        buffer_vaddr: u64,
        buffer: Option<Slot>,
    },
    SchedParams {
        tcb: Slot,
        max_priority: u8,
        priority: u8,
    },
    WriteRegisters {
        tcb: Slot,
        pc: u64,
        sp: u64,
        args: Vec<u64>,
    },
    BindNotification {
        tcb: Slot,
        ntfn: Slot,
    },
    VcpuSetTcb {
        vcpu: Slot,
        tcb: Slot,
    },
    Resume {
        tcb: Slot,
    },
    IrqGet {
        irq: IrqSource,
        dest: Slot,
    },
    IrqSetNotification {
        handler: Slot,
        ntfn: Slot,
    },
    IoPortsIssue {
        first: u16,
        last: u16,
        dest: Slot,
    },
}

/// Why the fake refused a call: injected by the script, or a call seL4 would refuse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeError {
    /// Index of the refused call in [`Fake::calls`].
    pub call: usize,
    /// `None` when injected, else what was wrong.
    pub misuse: Option<String>,
}

impl fmt::Display for FakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.misuse {
            None => write!(f, "injected failure of call {}", self.call),
            Some(what) => write!(f, "call {} refused: {what}", self.call),
        }
    }
}

/// What a root slot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Held {
    Untyped {
        paddr: u64,
        size_bits: u8,
        device: bool,
        watermark: u64,
    },
    Object {
        ty: ObjectType,
        size_arg: u8,
        paddr: u64,
    },
    IrqHandler,
    IoPorts,
}

/// The recording fake; see the module documentation.
pub struct Fake {
    arch: Arch,
    /// Every call made, the refused one included.
    pub calls: Vec<Call>,
    /// Contents of the root CNode by slot.
    pub slots: BTreeMap<Slot, Held>,
    /// Fail the call with this index (0-based over all calls).
    pub fail_at: Option<usize>,
    /// Answer the read-back with this call index with this address instead of the truth.
    pub misplace: Option<(usize, u64)>,
    asids: BTreeSet<Slot>,
    /// (vspace, level, vaddr >> span of the entry above) of every mapped table.
    tables: BTreeSet<(Slot, u8, u64)>,
    /// Frame caps that map a page already (seL4 allows one mapping per cap).
    mapped: BTreeSet<Slot>,
}

impl Fake {
    /// A fake whose boot untypeds sit from [`FIRST_UNTYPED`] on.
    pub fn new(arch: Arch, untypeds: &[BootUntyped]) -> Fake {
        let slots = untypeds
            .iter()
            .zip(FIRST_UNTYPED..)
            .map(|(u, slot)| {
                let held = Held::Untyped {
                    paddr: u.paddr,
                    size_bits: u.size_bits,
                    device: u.is_device,
                    watermark: 0,
                };
                (slot, held)
            })
            .collect();
        Fake {
            arch,
            calls: Vec::new(),
            slots,
            fail_at: None,
            misplace: None,
            asids: BTreeSet::new(),
            tables: BTreeSet::new(),
            mapped: BTreeSet::new(),
        }
    }

    /// Records `call`; refuses it if the script says so.
    fn begin(&mut self, call: Call) -> Result<usize, FakeError> {
        let n = self.calls.len();
        self.calls.push(call);
        if self.fail_at == Some(n) {
            return Err(FakeError {
                call: n,
                misuse: None,
            });
        }
        Ok(n)
    }

    fn refuse<T>(&self, what: String) -> Result<T, FakeError> {
        Err(FakeError {
            call: self.calls.len() - 1,
            misuse: Some(what),
        })
    }

    /// The type of the object in `slot`, or a refusal naming what was expected.
    fn object(&self, slot: Slot, want: &str) -> Result<(ObjectType, u8, u64), FakeError> {
        match self.slots.get(&slot) {
            Some(&Held::Object {
                ty,
                size_arg,
                paddr,
            }) => Ok((ty, size_arg, paddr)),
            other => self.refuse(format!("slot {slot} should hold {want}, holds {other:?}")),
        }
    }

    fn expect(&self, slot: Slot, ty: ObjectType) -> Result<(), FakeError> {
        match self.object(slot, ty.name())? {
            (t, _, _) if t == ty => Ok(()),
            (t, _, _) => self.refuse(format!("slot {slot} holds a {t}, not a {ty}")),
        }
    }

    fn expect_frame(&self, slot: Slot) -> Result<(u8, u64), FakeError> {
        match self.object(slot, "a frame")? {
            (ty, size_arg, paddr) if ty.is_frame() => {
                let bits = ty.size_bits(self.arch, size_arg).expect("frame size");
                Ok((bits, paddr))
            }
            (ty, _, _) => self.refuse(format!("slot {slot} holds a {ty}, not a frame")),
        }
    }

    fn put(&mut self, slot: Slot, held: Held) -> Result<(), FakeError> {
        if let Some(old) = self.slots.get(&slot) {
            return self.refuse(format!("slot {slot} is not empty: {old:?}"));
        }
        self.slots.insert(slot, held);
        Ok(())
    }
}

impl Kernel for Fake {
    type Error = FakeError;

    fn untyped_retype(
        &mut self,
        src: Slot,
        ty: ObjectType,
        size_arg: u8,
        dest: Slot,
        count: u32,
    ) -> Result<(), FakeError> {
        self.begin(Call::Retype {
            src,
            ty,
            size_arg,
            dest,
            count,
        })?;
        let Some(&Held::Untyped {
            paddr,
            size_bits,
            device,
            watermark,
        }) = self.slots.get(&src)
        else {
            return self.refuse(format!("slot {src} holds no untyped"));
        };
        if device && !ty.allowed_in_device_memory() {
            return self.refuse(format!("a {ty} cannot be made from device memory"));
        }
        let bits = match ty.size_bits(self.arch, size_arg) {
            Ok(bits) => bits,
            Err(e) => return self.refuse(e.to_string()),
        };
        let start = align_up(paddr + watermark, bits);
        let end = start + (u64::from(count) << bits);
        if count == 0 || end > paddr + (1u64 << size_bits) {
            return self.refuse(format!("{count} x {ty} do not fit in slot {src}"));
        }
        for k in 0..count {
            let at = start + (u64::from(k) << bits);
            let held = if ty == ObjectType::Untyped {
                Held::Untyped {
                    paddr: at,
                    size_bits: bits,
                    device,
                    watermark: 0,
                }
            } else {
                Held::Object {
                    ty,
                    size_arg,
                    paddr: at,
                }
            };
            self.put(dest + u64::from(k), held)?;
        }
        let watermark = end - paddr;
        self.slots.insert(
            src,
            Held::Untyped {
                paddr,
                size_bits,
                device,
                watermark,
            },
        );
        Ok(())
    }

    fn frame_paddr(&mut self, frame: Slot) -> Result<u64, FakeError> {
        let n = self.begin(Call::FramePaddr { frame })?;
        let (_, paddr) = self.expect_frame(frame)?;
        match self.misplace {
            Some((at, wrong)) if at == n => Ok(wrong),
            _ => Ok(paddr),
        }
    }

    fn cnode_mint(
        &mut self,
        cnode: Slot,
        index: u64,
        depth: u8,
        src: Slot,
        rights: Rights,
        data: CapData,
    ) -> Result<(), FakeError> {
        self.begin(Call::Mint {
            cnode,
            index,
            depth,
            src,
            rights,
            data,
        })?;
        let Some(&held) = self.slots.get(&src) else {
            return self.refuse(format!("mint from empty slot {src}"));
        };
        if cnode == ROOT {
            if depth != 64 {
                return self.refuse(format!("root CNode looked up at depth {depth}"));
            }
            return self.put(index, held);
        }
        let (ty, radix, _) = self.object(cnode, "a CNode")?;
        if ty != ObjectType::CNode || radix != depth || index >> radix != 0 {
            return self.refuse(format!(
                "index {index} at depth {depth} in a {ty} of {radix}"
            ));
        }
        Ok(())
    }

    fn root_cnode(&self) -> Slot {
        ROOT
    }

    fn asid_assign(&mut self, vspace: Slot) -> Result<(), FakeError> {
        self.begin(Call::AsidAssign { vspace })?;
        self.expect(vspace, ObjectType::VSpace)?;
        if !self.asids.insert(vspace) {
            return self.refuse(format!("VSpace in slot {vspace} has an ASID already"));
        }
        Ok(())
    }

    fn map_table(
        &mut self,
        table: Slot,
        level: u8,
        vspace: Slot,
        vaddr: u64,
    ) -> Result<(), FakeError> {
        self.begin(Call::MapTable {
            table,
            level,
            vspace,
            vaddr,
        })?;
        let want = self
            .arch
            .paging_structure(level)
            .expect("table level 1..=3");
        self.expect(table, want)?;
        self.expect(vspace, ObjectType::VSpace)?;
        if !self.asids.contains(&vspace) {
            return self.refuse(format!("VSpace {vspace} has no ASID"));
        }
        // seL4 looks the parent table up by walking from the root: it must be there.
        if level > 1 {
            let parent = (vspace, level - 1, vaddr >> entry_span_bits(level - 2));
            if !self.tables.contains(&parent) {
                return self.refuse(format!("no level-{} table above {vaddr:#x}", level - 1));
            }
        }
        if !self
            .tables
            .insert((vspace, level, vaddr >> entry_span_bits(level - 1)))
        {
            return self.refuse(format!(
                "a level-{level} table is mapped at {vaddr:#x} already"
            ));
        }
        Ok(())
    }

    fn map_frame(
        &mut self,
        frame: Slot,
        vspace: Slot,
        vaddr: u64,
        rights: Rights,
        cached: bool,
    ) -> Result<(), FakeError> {
        self.begin(Call::MapFrame {
            frame,
            vspace,
            vaddr,
            rights,
            cached,
        })?;
        let (bits, _) = self.expect_frame(frame)?;
        self.expect(vspace, ObjectType::VSpace)?;
        let level = (1..4)
            .find(|&l| entry_span_bits(l) == bits)
            .expect("page size");
        if !self
            .tables
            .contains(&(vspace, level, vaddr >> entry_span_bits(level - 1)))
        {
            return self.refuse(format!("no level-{level} table for {vaddr:#x}"));
        }
        if !self.mapped.insert(frame) {
            return self.refuse(format!("the frame cap in slot {frame} is mapped already"));
        }
        Ok(())
    }

    fn write_frame(
        &mut self,
        frame: Slot,
        size_bits: u8,
        offset: u64,
        data: &[u8],
    ) -> Result<(), FakeError> {
        self.begin(Call::WriteFrame {
            frame,
            size_bits,
            offset,
            data: data.to_vec(),
        })?;
        let (bits, _) = self.expect_frame(frame)?;
        if bits != size_bits || offset + data.len() as u64 > 1u64 << bits {
            return self.refuse(format!("write of {} at {offset} into 2^{bits}", data.len()));
        }
        Ok(())
    }

    fn tcb_configure(
        &mut self,
        tcb: Slot,
        fault_ep: u64,
        cspace: Slot,
        cspace_data: CapData,
        vspace: Slot,
        buffer_vaddr: u64,
        buffer: Option<Slot>,
    ) -> Result<(), FakeError> {
        let call = Call::TcbConfigure {
            tcb,
            fault_ep,
            cspace,
            cspace_data,
            vspace,
            buffer_vaddr,
            buffer,
        };
        self.begin(call)?;
        self.expect(tcb, ObjectType::Tcb)?;
        self.expect(cspace, ObjectType::CNode)?;
        self.expect(vspace, ObjectType::VSpace)?;
        if let Some(buffer) = buffer {
            self.expect(buffer, ObjectType::SmallPage)?;
        }
        Ok(())
    }

    fn tcb_set_sched_params(
        &mut self,
        tcb: Slot,
        max_priority: u8,
        priority: u8,
    ) -> Result<(), FakeError> {
        self.begin(Call::SchedParams {
            tcb,
            max_priority,
            priority,
        })?;
        self.expect(tcb, ObjectType::Tcb)
    }

    fn tcb_write_registers(&mut self, tcb: Slot, start: ThreadStart<'_>) -> Result<(), FakeError> {
        let args = start.args.to_vec();
        self.begin(Call::WriteRegisters {
            tcb,
            pc: start.pc,
            sp: start.sp,
            args,
        })?;
        self.expect(tcb, ObjectType::Tcb)
    }

    fn tcb_bind_notification(&mut self, tcb: Slot, ntfn: Slot) -> Result<(), FakeError> {
        self.begin(Call::BindNotification { tcb, ntfn })?;
        self.expect(tcb, ObjectType::Tcb)?;
        self.expect(ntfn, ObjectType::Notification)
    }

    fn vcpu_set_tcb(&mut self, vcpu: Slot, tcb: Slot) -> Result<(), FakeError> {
        self.begin(Call::VcpuSetTcb { vcpu, tcb })?;
        self.expect(vcpu, ObjectType::Vcpu)?;
        self.expect(tcb, ObjectType::Tcb)
    }

    fn tcb_resume(&mut self, tcb: Slot) -> Result<(), FakeError> {
        self.begin(Call::Resume { tcb })?;
        self.expect(tcb, ObjectType::Tcb)
    }

    fn irq_get(&mut self, irq: &IrqSource, dest: Slot) -> Result<(), FakeError> {
        self.begin(Call::IrqGet {
            irq: irq.clone(),
            dest,
        })?;
        self.put(dest, Held::IrqHandler)
    }

    fn irq_set_notification(&mut self, handler: Slot, ntfn: Slot) -> Result<(), FakeError> {
        self.begin(Call::IrqSetNotification { handler, ntfn })?;
        if self.slots.get(&handler) != Some(&Held::IrqHandler) {
            return self.refuse(format!("slot {handler} holds no IRQ handler"));
        }
        self.expect(ntfn, ObjectType::Notification)
    }

    fn ioports_issue(&mut self, first: u16, last: u16, dest: Slot) -> Result<(), FakeError> {
        self.begin(Call::IoPortsIssue { first, last, dest })?;
        self.put(dest, Held::IoPorts)
    }
}

/// A layout with `free` empty slots from slot 100 on.
pub fn layout(free: u64) -> SlotLayout {
    SlotLayout {
        first_untyped: FIRST_UNTYPED,
        first_free: 100,
        end_free: 100 + free,
    }
}
pub mod specs;

/// What one run of `initialize` on a [`Fake`] left behind.
pub struct Boot {
    pub result: Result<sysinit_initializer::Initialized, sysinit_initializer::InitError<FakeError>>,
    pub fake: Fake,
    pub trace: Vec<sysinit_trace::Record>,
}

/// Runs `initialize` for `spec` on a fake set up by `script`, with 1000 free slots.
pub fn boot(
    spec: &sysinit_spec::Spec,
    untypeds: &[BootUntyped],
    script: impl FnOnce(&mut Fake),
) -> Boot {
    let mut fake = Fake::new(spec.arch, untypeds);
    script(&mut fake);
    let mut trace = Vec::new();
    let result = sysinit_initializer::initialize(spec, untypeds, layout(1000), &mut fake, |r| {
        trace.push(*r)
    });
    Boot {
        result,
        fake,
        trace,
    }
}

/// The spec object each root slot stands for after a successful boot: an object's own
/// slot, and every copy minted into the root CNode from it.
pub fn names_by_slot(
    spec: &sysinit_spec::Spec,
    object_slots: &[Option<Slot>],
    calls: &[Call],
) -> BTreeMap<Slot, String> {
    let mut names: BTreeMap<Slot, String> = spec
        .iter()
        .filter_map(|(id, o)| Some((object_slots[id.index()]?, o.name.clone())))
        .collect();
    for call in calls {
        if let Call::Mint {
            cnode: ROOT,
            index,
            src,
            ..
        } = call
        {
            let name = names[src].clone();
            names.insert(*index, name);
        }
    }
    names
}
