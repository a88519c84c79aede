//! Consistency checks on a spec (the address-space walk they use is in `walk.rs`, the error types in `error.rs`).
//!
//! Everything the root task relies on is checked here, so that it can treat a
//! decoded spec as trusted: references are in range and point at the right
//! kind of object, sizes exist on the architecture, slots fit their tables,
//! mappings stay below the top of user space and every page table hangs in
//! exactly one place.
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use sysinit_kobj::{
    is_aligned, Arch, KernelConfig, ObjectType, IPC_BUFFER_SIZE_BITS, PAGING_LEVELS, WORD_BITS,
};

use crate::error::size_text;
use crate::object::entry_span_bits;
use crate::walk::{mask, TABLE_ENTRIES};
use crate::{
    Cap, CapSite, FillContent, Frame, IrqSource, Object, ObjectId, Spec, SpecError, SpecErrorKind,
    Tcb,
};

impl Spec {
    /// Checks the whole spec; see the module documentation of what is checked.
    pub fn validate(&self) -> Result<(), SpecError> {
        self.validate_with_blob_len(self.blob.len() as u64)
    }

    /// [`Spec::validate`] for a spec whose blob lives elsewhere and is `blob_len` bytes long.
    pub(crate) fn validate_with_blob_len(&self, blob_len: u64) -> Result<(), SpecError> {
        if u32::try_from(self.objects.len()).is_err() {
            return Err(SpecError {
                object: None,
                kind: SpecErrorKind::TooManyObjects {
                    count: self.objects.len(),
                },
            });
        }
        if KernelConfig::with_hypervisor(self.arch, self.hypervisor).is_none() {
            return Err(SpecError {
                object: None,
                kind: SpecErrorKind::UnsupportedKernel {
                    arch: self.arch,
                    hypervisor: self.hypervisor,
                },
            });
        }
        self.check_names()?;
        let mut claims = Claims::default();
        for (id, named) in self.iter() {
            let checker = Checker { spec: self, id };
            checker
                .check_object(&named.object, blob_len)
                .map_err(|kind| checker.error(kind))?;
            match &named.object {
                Object::Irq(irq) => {
                    claims.claim_irq(&irq.source, id).map_err(|(what, other)| {
                        checker.error(SpecErrorKind::DuplicateIrq {
                            what,
                            other: self.label(other),
                        })
                    })?
                }
                Object::IoPorts(p) => claims.claim_ports(p.first, p.last, id).map_err(|other| {
                    checker.error(SpecErrorKind::OverlappingIoPorts {
                        first: p.first,
                        last: p.last,
                        other: self.label(other),
                    })
                })?,
                _ => {}
            }
        }
        self.check_tables_mapped_once()?;
        // These walk address spaces, so they need the tables checked first.
        for (id, named) in self.iter() {
            match &named.object {
                Object::VSpace(_) => self.check_user_range(id)?,
                Object::Tcb(tcb) => {
                    let checker = Checker { spec: self, id };
                    checker
                        .check_ipc_buffer_mapped(tcb)
                        .map_err(|kind| checker.error(kind))?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// How an object is called in errors: its name, or `#index` if it has none.
    fn label(&self, id: ObjectId) -> String {
        match self.get(id) {
            Some(o) if !o.name.is_empty() => o.name.clone(),
            _ => format!("{id}"),
        }
    }

    fn check_names(&self) -> Result<(), SpecError> {
        // Sorting ids by name finds duplicates in O(n log n) without a hash map (no_std).
        let mut order: Vec<u32> = (0..self.objects.len() as u32).collect();
        order.sort_by(|&a, &b| {
            self.objects[a as usize]
                .name
                .cmp(&self.objects[b as usize].name)
                .then(a.cmp(&b))
        });
        for (i, &id) in order.iter().enumerate() {
            let name = &self.objects[id as usize].name;
            if name.is_empty() {
                return Err(SpecError {
                    object: Some(self.label(ObjectId(id))),
                    kind: SpecErrorKind::EmptyName,
                });
            }
            if let Some(&prev) = i.checked_sub(1).and_then(|p| order.get(p)) {
                if self.objects[prev as usize].name == *name {
                    return Err(SpecError {
                        object: Some(name.clone()),
                        kind: SpecErrorKind::DuplicateName {
                            first: ObjectId(prev),
                        },
                    });
                }
            }
        }
        Ok(())
    }

    /// Every entry of the address space must lie below the end of user virtual
    /// memory: the kernel refuses to map a table at or past it, or a frame
    /// reaching past it.
    fn check_user_range(&self, vspace: ObjectId) -> Result<(), SpecError> {
        let user_end = self.kernel().user_vaddr_end();
        for m in self.vspace_mappings(vspace) {
            // size_bits <= 39, so neither the shift nor the sum can overflow.
            let end = m.vaddr + (1u64 << m.size_bits());
            let fits = if m.is_frame {
                end <= user_end
            } else {
                m.vaddr < user_end
            };
            if !fits {
                return Err(SpecError {
                    object: Some(self.label(m.table)),
                    kind: SpecErrorKind::MappingAboveUserTop {
                        site: CapSite::Slot(m.slot),
                        vaddr: m.vaddr,
                        end,
                        user_end,
                    },
                });
            }
        }
        Ok(())
    }

    fn check_tables_mapped_once(&self) -> Result<(), SpecError> {
        // parent[i]: the table that already holds a cap to page table i.
        let mut parent: Vec<Option<ObjectId>> = vec![None; self.objects.len()];
        for (id, named) in self.iter() {
            for (_, cap) in named.object.table_slots() {
                // Slot caps were checked: a table entry holds a frame or a page table.
                if let Some(Object::PageTable(_)) = self.get(cap.object).map(|o| &o.object) {
                    let seen = &mut parent[cap.object.index()];
                    if let Some(first) = *seen {
                        return Err(SpecError {
                            object: Some(self.label(id)),
                            kind: SpecErrorKind::TableMappedTwice {
                                table: self.label(cap.object),
                                first_parent: self.label(first),
                            },
                        });
                    }
                    *seen = Some(id);
                }
            }
        }
        Ok(())
    }
}

/// Interrupts, vectors and I/O ports already claimed, to catch two objects for one
/// source: the kernel issues each once, so a second claim would fail on the real boot
/// after other objects exist. Ordered maps keep validation near-linear in hostile specs.
#[derive(Default)]
struct Claims {
    arm: BTreeMap<u32, ObjectId>,
    pins: BTreeMap<(u32, u32), ObjectId>,
    vectors: BTreeMap<u32, ObjectId>,
    msis: BTreeMap<(u8, u8, u8, u64), ObjectId>,
    /// first port -> (last port, owner); the ranges kept are disjoint.
    ports: BTreeMap<u16, (u16, ObjectId)>,
}

impl Claims {
    /// Records `source` for `id`; on a clash, what clashed and the object that claimed it first.
    fn claim_irq(&mut self, source: &IrqSource, id: ObjectId) -> Result<(), (String, ObjectId)> {
        fn take<K: Ord>(
            map: &mut BTreeMap<K, ObjectId>,
            key: K,
            id: ObjectId,
            what: impl FnOnce() -> String,
        ) -> Result<(), (String, ObjectId)> {
            match map.get(&key) {
                Some(&other) => Err((what(), other)),
                None => {
                    map.insert(key, id);
                    Ok(())
                }
            }
        }
        match *source {
            IrqSource::Arm { irq, .. } => {
                take(&mut self.arm, irq, id, || format!("interrupt {irq}"))
            }
            IrqSource::IoApic {
                ioapic,
                pin,
                vector,
                ..
            } => take(&mut self.pins, (ioapic, pin), id, || {
                format!("I/O APIC {ioapic} pin {pin}")
            })
            .and_then(|()| take(&mut self.vectors, vector, id, || format!("vector {vector}"))),
            IrqSource::Msi {
                pci_bus,
                pci_dev,
                pci_func,
                handle,
                vector,
            } => take(
                &mut self.msis,
                (pci_bus, pci_dev, pci_func, handle),
                id,
                || format!("MSI {pci_bus:02x}:{pci_dev:02x}.{pci_func} handle {handle}"),
            )
            .and_then(|()| take(&mut self.vectors, vector, id, || format!("vector {vector}"))),
        }
    }

    /// Records ports `first..=last` for `id`; on an overlap, the object that has them.
    fn claim_ports(&mut self, first: u16, last: u16, id: ObjectId) -> Result<(), ObjectId> {
        // The kept ranges are disjoint, so only the nearest one starting at or before
        // `last` can overlap.
        if let Some((_, &(other_last, other))) = self.ports.range(..=last).next_back() {
            if other_last >= first {
                return Err(other);
            }
        }
        self.ports.insert(first, (last, id));
        Ok(())
    }
}

/// Checks one object; errors are reported against it.
struct Checker<'a> {
    spec: &'a Spec,
    id: ObjectId,
}

type Check = Result<(), SpecErrorKind>;

impl Checker<'_> {
    fn error(&self, kind: SpecErrorKind) -> SpecError {
        SpecError {
            object: Some(self.spec.label(self.id)),
            kind,
        }
    }

    fn arch(&self) -> Arch {
        self.spec.arch
    }

    fn check_object(&self, object: &Object, blob_len: u64) -> Check {
        let arch = self.arch();
        match object {
            Object::Untyped(u) => {
                ObjectType::Untyped
                    .size_bits(arch, u.size_bits)
                    .map_err(SpecErrorKind::BadSize)?;
                match u.paddr {
                    Some(paddr) => self.check_paddr(paddr, u.size_bits)?,
                    None if u.device => {
                        return Err(SpecErrorKind::DeviceWithoutPaddr { what: "untyped" })
                    }
                    None => {}
                }
            }
            Object::Endpoint | Object::Notification | Object::AsidPool => {}
            Object::Vcpu => {
                if !ObjectType::Vcpu.exists_on(arch) {
                    return Err(SpecErrorKind::NotOnArch {
                        what: "a vcpu",
                        arch,
                    });
                }
                let kernel = self.spec.kernel();
                if !kernel.has_object(ObjectType::Vcpu) {
                    return Err(SpecErrorKind::NotInKernel {
                        what: "a vcpu",
                        kernel,
                    });
                }
            }
            Object::CNode(c) => {
                ObjectType::CNode
                    .size_bits(arch, c.radix)
                    .map_err(SpecErrorKind::BadSize)?;
                // radix <= 42 here, so the shift is in range.
                self.check_slots(&c.slots, 1u64 << c.radix, |site, cap| {
                    self.check_cap(site, cap, &[])
                })?;
            }
            Object::Tcb(tcb) => self.check_tcb(tcb)?,
            Object::Frame(f) => self.check_frame(f, blob_len)?,
            Object::VSpace(t) => self.check_table(0, &t.slots)?,
            Object::PageTable(t) => {
                if !(1..PAGING_LEVELS).contains(&t.level) {
                    return Err(SpecErrorKind::BadTableLevel { level: t.level });
                }
                self.check_table(t.level, &t.slots)?;
            }
            Object::Irq(irq) => {
                let on_arch = match irq.source {
                    IrqSource::Arm { .. } => arch == Arch::Aarch64,
                    IrqSource::IoApic { .. } | IrqSource::Msi { .. } => arch == Arch::X86_64,
                };
                if !on_arch {
                    let what = match irq.source {
                        IrqSource::Arm { .. } => "a GIC interrupt",
                        IrqSource::IoApic { .. } => "an I/O APIC interrupt",
                        IrqSource::Msi { .. } => "an MSI interrupt",
                    };
                    return Err(SpecErrorKind::NotOnArch { what, arch });
                }
                if let Some(cap) = &irq.notification {
                    self.check_cap(CapSite::IrqNotification, cap, &[Want::Notification])?;
                }
            }
            Object::IoPorts(p) => {
                if arch != Arch::X86_64 {
                    return Err(SpecErrorKind::NotOnArch {
                        what: "an I/O port range",
                        arch,
                    });
                }
                if p.first > p.last {
                    return Err(SpecErrorKind::ReversedIoPorts {
                        first: p.first,
                        last: p.last,
                    });
                }
            }
        }
        Ok(())
    }

    fn check_paddr(&self, paddr: u64, size_bits: u8) -> Check {
        if !is_aligned(paddr, size_bits) {
            return Err(SpecErrorKind::MisalignedPaddr { paddr, size_bits });
        }
        let top = self.spec.kernel().kernel_window().paddr_user_device_top;
        let fits = 1u64
            .checked_shl(u32::from(size_bits))
            .and_then(|size| paddr.checked_add(size))
            .is_some_and(|end| end <= top);
        if !fits {
            return Err(SpecErrorKind::PaddrOutOfRange {
                paddr,
                size_bits,
                top,
            });
        }
        Ok(())
    }

    fn check_frame(&self, frame: &Frame, blob_len: u64) -> Check {
        if !self.arch().frame_size_bits().contains(&frame.size_bits) {
            return Err(SpecErrorKind::BadFrameSize {
                size_bits: frame.size_bits,
            });
        }
        match frame.paddr {
            Some(paddr) => self.check_paddr(paddr, frame.size_bits)?,
            None if frame.device => {
                return Err(SpecErrorKind::DeviceWithoutPaddr { what: "frame" })
            }
            None => {}
        }
        let frame_size = 1u64 << frame.size_bits;
        let mut previous_end = 0;
        for entry in &frame.fill {
            let len = entry.len();
            let end = entry
                .offset
                .checked_add(len)
                .filter(|&end| end <= frame_size);
            let Some(end) = end else {
                return Err(SpecErrorKind::FillOutOfFrame {
                    offset: entry.offset,
                    len,
                    frame_size,
                });
            };
            if entry.offset < previous_end {
                return Err(SpecErrorKind::FillOverlap {
                    offset: entry.offset,
                    previous_end,
                });
            }
            previous_end = end;
            if let FillContent::Blob { start, len } = entry.content {
                if start
                    .checked_add(len)
                    .is_none_or(|blob_end| blob_end > blob_len)
                {
                    return Err(SpecErrorKind::FillOutsideBlob {
                        start,
                        len,
                        blob_len,
                    });
                }
            }
        }
        Ok(())
    }

    fn check_table(&self, level: u8, slots: &[(u32, Cap)]) -> Check {
        let wants: &[Want] = match level {
            0 => &[Want::Table(1)],
            3 => &[Want::Frame(entry_span_bits(3))],
            l => &[Want::Table(l + 1), Want::Frame(entry_span_bits(l))],
        };
        self.check_slots(slots, TABLE_ENTRIES, |site, cap| {
            self.check_cap(site, cap, wants)?;
            if let Some(Object::Frame(_)) = self.spec.get(cap.object).map(|o| &o.object) {
                if !cap.rights.read {
                    return Err(SpecErrorKind::UnreadableMapping {
                        site,
                        target: self.spec.label(cap.object),
                    });
                }
            }
            Ok(())
        })?;
        Ok(())
    }

    fn check_slots(
        &self,
        slots: &[(u32, Cap)],
        capacity: u64,
        mut each: impl FnMut(CapSite, &Cap) -> Check,
    ) -> Check {
        let mut previous: Option<u32> = None;
        for &(slot, ref cap) in slots {
            if u64::from(slot) >= capacity {
                return Err(SpecErrorKind::SlotOutOfRange {
                    slot,
                    slots: capacity,
                });
            }
            if let Some(previous) = previous.filter(|&p| p >= slot) {
                return Err(SpecErrorKind::SlotsNotAscending { slot, previous });
            }
            previous = Some(slot);
            each(CapSite::Slot(slot), cap)?;
        }
        Ok(())
    }

    fn check_tcb(&self, tcb: &Tcb) -> Check {
        self.check_cap(CapSite::CSpace, &tcb.cspace, &[Want::CNode])?;
        self.check_cap(CapSite::VSpace, &tcb.vspace, &[Want::VSpace])?;
        if let Some(ipc) = &tcb.ipc_buffer {
            self.check_cap(CapSite::IpcBuffer, &ipc.frame, &[Want::AnyFrame])?;
            if !is_aligned(ipc.vaddr, IPC_BUFFER_SIZE_BITS) {
                return Err(SpecErrorKind::MisalignedIpcBuffer { vaddr: ipc.vaddr });
            }
        }
        if let Some(cap) = &tcb.bound_notification {
            self.check_cap(CapSite::BoundNotification, cap, &[Want::Notification])?;
        }
        if let Some(cap) = &tcb.vcpu {
            self.check_cap(CapSite::Vcpu, cap, &[Want::Vcpu])?;
        }
        if tcb.args.len() > Tcb::MAX_ARGS {
            return Err(SpecErrorKind::TooManyArgs {
                count: tcb.args.len(),
            });
        }
        if let Some(cptr) = tcb.fault_endpoint {
            match self.spec.resolve_cptr(&tcb.cspace, cptr) {
                Ok(Some(cap))
                    if matches!(
                        self.spec.get(cap.object).map(|o| &o.object),
                        Some(Object::Endpoint)
                    ) => {}
                Ok(Some(cap)) => {
                    let problem = format!("it finds a cap to \"{}\"", self.spec.label(cap.object));
                    return Err(SpecErrorKind::BadFaultEndpoint { cptr, problem });
                }
                Ok(None) => {
                    return Err(SpecErrorKind::BadFaultEndpoint {
                        cptr,
                        problem: String::from("the slot is empty"),
                    });
                }
                Err(problem) => return Err(SpecErrorKind::BadFaultEndpoint { cptr, problem }),
            }
        }
        Ok(())
    }

    /// The IPC buffer's frame must be mapped where the buffer is (needs consistent tables).
    fn check_ipc_buffer_mapped(&self, tcb: &Tcb) -> Check {
        let Some(ipc) = &tcb.ipc_buffer else {
            return Ok(());
        };
        let mapped = self
            .spec
            .vspace_mappings(tcb.vspace.object)
            .iter()
            .any(|m| {
                m.is_frame
                    && m.cap.object == ipc.frame.object
                    && ipc.vaddr.wrapping_sub(m.vaddr) < 1u64 << m.size_bits()
            });
        if !mapped {
            return Err(SpecErrorKind::IpcBufferNotMapped {
                vaddr: ipc.vaddr,
                frame: self.spec.label(ipc.frame.object),
                vspace: self.spec.label(tcb.vspace.object),
            });
        }
        Ok(())
    }

    /// Checks a cap's target exists and is one of `wants` (any object if empty),
    /// that its attributes fit the target, and, in a table, that it maps below the user top.
    fn check_cap(&self, site: CapSite, cap: &Cap, wants: &[Want]) -> Check {
        let Some(target) = self.spec.get(cap.object) else {
            return Err(SpecErrorKind::DanglingCap {
                site,
                target: cap.object,
                objects: self.spec.objects.len(),
            });
        };
        let object = &target.object;
        if !wants.is_empty() && !wants.iter().any(|w| w.accepts(object)) {
            let expected: Vec<String> = wants.iter().map(Want::describe).collect();
            return Err(SpecErrorKind::WrongCapTarget {
                site,
                target: self.spec.label(cap.object),
                found: object.kind(),
                expected: expected.join(" or "),
            });
        }
        let bad = |problem| {
            Err(SpecErrorKind::BadCapAttribute {
                site,
                target: self.spec.label(cap.object),
                problem,
            })
        };
        if cap.badge != 0 && !matches!(object, Object::Endpoint | Object::Notification) {
            return bad("has a badge, but only endpoint and notification caps carry one");
        }
        if !cap.cached && !matches!(object, Object::Frame(_)) {
            return bad("is marked uncached, but only frame caps have a cache attribute");
        }
        if cap.executable && !matches!(object, Object::Frame(_)) {
            return bad("is marked executable, but only frame caps have an execute attribute");
        }
        match object {
            Object::CNode(c) => {
                let fits = cap.guard & !mask(u32::from(cap.guard_size)) == 0
                    && u32::from(cap.guard_size) + u32::from(c.radix) <= u32::from(WORD_BITS);
                if !fits {
                    return Err(SpecErrorKind::BadGuard {
                        site,
                        guard: cap.guard,
                        guard_size: cap.guard_size,
                        radix: c.radix,
                    });
                }
            }
            _ if cap.guard != 0 || cap.guard_size != 0 => {
                return bad("has a guard, but only CNode caps carry one");
            }
            _ => {}
        }
        Ok(())
    }
}

/// A kind of object a cap must point at.
#[derive(Clone, Copy)]
enum Want {
    CNode,
    VSpace,
    Notification,
    Vcpu,
    AnyFrame,
    /// A page table of this level.
    Table(u8),
    /// A frame of this many size bits.
    Frame(u8),
}

impl Want {
    fn accepts(self, object: &Object) -> bool {
        match (self, object) {
            (Want::CNode, Object::CNode(_))
            | (Want::VSpace, Object::VSpace(_))
            | (Want::Notification, Object::Notification)
            | (Want::Vcpu, Object::Vcpu)
            | (Want::AnyFrame, Object::Frame(_)) => true,
            (Want::Table(level), Object::PageTable(t)) => t.level == level,
            (Want::Frame(bits), Object::Frame(f)) => f.size_bits == bits,
            _ => false,
        }
    }

    fn describe(&self) -> String {
        match *self {
            Want::CNode => String::from("a cnode"),
            Want::VSpace => String::from("a vspace"),
            Want::Notification => String::from("a notification"),
            Want::Vcpu => String::from("a vcpu"),
            Want::AnyFrame => String::from("a frame"),
            Want::Table(level) => format!("a level-{level} page_table"),
            Want::Frame(bits) => format!("a {} frame", size_text(u64::from(bits))),
        }
    }
}
