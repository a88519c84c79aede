//! Lays out every PD: its kernel objects, CSpace slots and address space.
//!
//! Object order and names are deterministic: memory region frames first
//! (`mr.<name>.frame<i>`, file order), then per PD in description order (parents
//! before children) `pd.<name>.cnode`, `.vspace`, `.notification`, `.endpoint`
//! (only if some channel may call it), `.ipc_buffer`, `.tcb`; then per PD its
//! stack (`.stack@<vaddr>`), program (`.image@<vaddr>`), IRQ (`.irq<id>`) and
//! I/O port (`.ioport<id>`) objects, with page tables made on demand
//! (`pd.<name>.vspace.pt<level>@<vaddr>`).

use std::collections::BTreeMap;

use sysinit_board::Board;
use sysinit_pd_abi as abi;
use sysinit_sdf::{describe, IrqKind, Location, Perms, Polarity, SystemDescription, Trigger};
use sysinit_spec::{
    Cap, FillEntry, Frame, IoPorts, IpcBuffer, Irq, IrqSource, Object, ObjectId, Rights,
    SpecBuilder, Tcb, VSpace,
};

use crate::error::{BuildError, BuildErrors};
use crate::{BuiltSystem, LoadedImage};

/// What a mapping shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MappingSource {
    /// Pages of the program image.
    Image,
    /// The stack.
    Stack,
    /// The IPC buffer.
    IpcBuffer,
    /// A memory region; `paddr` when it has a fixed address.
    Region {
        /// The region.
        name: String,
        /// Its fixed physical address.
        paddr: Option<u64>,
        /// Whether it is device memory.
        device: bool,
    },
}

/// One contiguous mapping of a PD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// First virtual address.
    pub vaddr: u64,
    /// Bytes.
    pub size: u64,
    /// Page size in bytes.
    pub page_size: u64,
    /// Rights asked for (the frame caps carry read, write and execute).
    pub perms: Perms,
    /// Whether the mapping is cached.
    pub cached: bool,
    /// What is mapped.
    pub source: MappingSource,
}

/// A PD's address space, for reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PdLayout {
    /// The PD.
    pub name: String,
    /// Entry point.
    pub entry: u64,
    /// Mappings by address.
    pub mappings: Vec<Mapping>,
}

/// The kernel objects of one PD.
struct PdObjects {
    cnode: ObjectId,
    vspace: ObjectId,
    notification: ObjectId,
    endpoint: Option<ObjectId>,
    tcb: ObjectId,
}

/// A symbol to patch and the element that asked for it.
struct Patch {
    symbol: String,
    value: u64,
    location: Location,
    element: String,
}

/// A frame cap mapping with `perms`: executable only with `x` (execute-never otherwise,
/// which only aarch64 enforces).
fn frame_cap(frame: ObjectId, perms: Perms) -> Cap {
    let cap = Cap::new(frame).with_rights(frame_rights(perms));
    if perms.execute {
        cap.executable()
    } else {
        cap
    }
}

fn frame_rights(perms: Perms) -> Rights {
    // The kernel has no write-only mappings; every mapping is readable.
    Rights {
        read: true,
        write: perms.write,
        grant: false,
        grant_reply: false,
    }
}

/// Builds the spec from a description that passed [`crate::check`] and its images.
pub fn build_spec(
    description: &SystemDescription,
    board: &Board,
    mut images: BTreeMap<String, LoadedImage>,
) -> Result<BuiltSystem, BuildErrors> {
    let arch = board.arch();
    let mut b = SpecBuilder::new(arch);
    let mut errors = Vec::new();
    let pds = description.all_protection_domains();

    // Memory regions: one frame per page, at the fixed address if there is one.
    let mut regions: BTreeMap<&str, (Vec<ObjectId>, u64, bool)> = BTreeMap::new();
    for mr in &description.memory_regions {
        let page = mr.page_size.unwrap_or(abi::PAGE_SIZE);
        let size_bits = page.trailing_zeros() as u8;
        let device = mr.phys_addr.is_some() && !mr.ram;
        let count = mr.size / page;
        let mut frames = Vec::with_capacity(count as usize);
        for i in 0..count {
            let frame = Frame {
                size_bits,
                paddr: mr.phys_addr.map(|p| p + i * page),
                device,
                fill: Vec::new(),
            };
            frames.push(b.add(format!("mr.{}.frame{i}", mr.name), Object::Frame(frame)));
        }
        regions.insert(&mr.name, (frames, page, device));
    }

    // Who receives protected procedure calls: the far end of every pp end.
    let mut callee = BTreeMap::new();
    for ch in &description.channels {
        for (from, to) in [(0, 1), (1, 0)] {
            if ch.ends[from].pp {
                callee.insert(ch.ends[to].pd.as_str(), ());
            }
        }
    }

    // The objects every other PD may refer to.
    let stack_top = abi::stack_top(arch);
    let ipc_vaddr = abi::ipc_buffer_vaddr(arch);
    let mut objects: BTreeMap<&str, PdObjects> = BTreeMap::new();
    for (pd, _) in &pds {
        let name = &pd.name;
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
        let endpoint = callee
            .contains_key(name.as_str())
            .then(|| b.add(format!("pd.{name}.endpoint"), Object::Endpoint));
        let ipc = b.add(
            format!("pd.{name}.ipc_buffer"),
            Object::Frame(Frame {
                size_bits: 12,
                paddr: None,
                device: false,
                fill: Vec::new(),
            }),
        );
        let entry = images.get(name).map_or(0, |i| i.image.entry);
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
                stack_pointer: stack_top,
                args: Vec::new(),
                resume: true,
            }),
        );
        let ipc_cap = Cap::new(ipc).with_rights(Rights::READ_WRITE);
        if let Err(e) = b.map(vspace, ipc_vaddr, ipc_cap) {
            errors.push(layout_error(
                &pd.location,
                describe::pd(pd),
                "the IPC buffer",
                e,
            ));
        }
        objects.insert(
            name,
            PdObjects {
                cnode,
                vspace,
                notification,
                endpoint,
                tcb,
            },
        );
    }

    let mut patches = collect_patches(description);

    // Channels: notification and PPC caps, badged with the receiving end's id.
    for ch in &description.channels {
        for (from, to) in [(0, 1), (1, 0)] {
            let (a, z) = (&ch.ends[from], &ch.ends[to]);
            let (Some(ao), Some(zo)) = (objects.get(a.pd.as_str()), objects.get(z.pd.as_str()))
            else {
                continue;
            };
            if a.notify {
                let cap = Cap::new(zo.notification)
                    .with_rights(Rights::WRITE)
                    .with_badge(1 << z.id);
                let slot = abi::BASE_OUTPUT_NOTIFICATION_CAP + a.id;
                set_slot(&mut b, ao.cnode, slot, cap, &mut errors);
            }
            if let (true, Some(ep)) = (a.pp, zo.endpoint) {
                let cap = Cap::new(ep).with_badge(abi::PPC_BADGE | z.id);
                set_slot(
                    &mut b,
                    ao.cnode,
                    abi::BASE_ENDPOINT_CAP + a.id,
                    cap,
                    &mut errors,
                );
            }
        }
    }

    let mut layouts = Vec::with_capacity(pds.len());
    for (pd, parent) in &pds {
        let name = pd.name.as_str();
        let Some(o) = objects.get(name) else { continue };
        let pd_element = describe::pd(pd);
        let input = o.endpoint.unwrap_or(o.notification);
        set_slot(
            &mut b,
            o.cnode,
            abi::INPUT_CAP,
            Cap::new(input),
            &mut errors,
        );
        let mut mappings = vec![Mapping {
            vaddr: ipc_vaddr,
            size: abi::PAGE_SIZE,
            page_size: abi::PAGE_SIZE,
            perms: Perms::READ_WRITE,
            cached: true,
            source: MappingSource::IpcBuffer,
        }];

        // Children: the parent holds their TCBs and gets their ids patched in.
        if let (Some(parent), Some(id)) = (parent, pd.id) {
            if let Some(po) = objects.get(parent.name.as_str()) {
                let slot = abi::BASE_TCB_CAP + id;
                set_slot(&mut b, po.cnode, slot, Cap::new(o.tcb), &mut errors);
            }
        }

        // Stack: whole pages below the stack top; a guard page separates it from the IPC buffer.
        let stack_pages = pd.stack_size / abi::PAGE_SIZE;
        let stack_bottom = stack_top - stack_pages * abi::PAGE_SIZE;
        for i in 0..stack_pages {
            let vaddr = stack_bottom + i * abi::PAGE_SIZE;
            let frame = b.add(
                format!("pd.{name}.stack@{vaddr:#x}"),
                Object::Frame(Frame {
                    size_bits: 12,
                    paddr: None,
                    device: false,
                    fill: Vec::new(),
                }),
            );
            let cap = Cap::new(frame).with_rights(Rights::READ_WRITE);
            if let Err(e) = b.map(o.vspace, vaddr, cap) {
                errors.push(layout_error(
                    &pd.location,
                    pd_element.clone(),
                    "the stack",
                    e,
                ));
            }
        }
        mappings.push(Mapping {
            vaddr: stack_bottom,
            size: pd.stack_size,
            page_size: abi::PAGE_SIZE,
            perms: Perms::READ_WRITE,
            cached: true,
            source: MappingSource::Stack,
        });

        // IRQs: a handler signalling the PD's notification with bit `id`.
        for irq in &pd.irqs {
            let source = match irq.kind {
                IrqKind::Arm { irq, trigger } => IrqSource::Arm {
                    irq: u32::try_from(irq).unwrap_or(u32::MAX),
                    edge_triggered: trigger == Trigger::Edge,
                },
                IrqKind::Ioapic {
                    ioapic,
                    pin,
                    trigger,
                    polarity,
                    vector,
                } => IrqSource::IoApic {
                    ioapic: u32::try_from(ioapic).unwrap_or(u32::MAX),
                    pin: u32::try_from(pin).unwrap_or(u32::MAX),
                    level_triggered: trigger == Trigger::Level,
                    active_low: polarity == Polarity::Low,
                    vector: u32::try_from(vector).unwrap_or(u32::MAX),
                },
                IrqKind::Msi {
                    pcidev,
                    handle,
                    vector,
                } => IrqSource::Msi {
                    pci_bus: pcidev.bus,
                    pci_dev: pcidev.device,
                    pci_func: pcidev.function,
                    handle,
                    vector: u32::try_from(vector).unwrap_or(u32::MAX),
                },
            };
            let handler = b.add(
                format!("pd.{name}.irq{}", irq.id),
                Object::Irq(Irq {
                    source,
                    notification: Some(Cap::new(o.notification).with_badge(1 << irq.id)),
                }),
            );
            let slot = abi::BASE_IRQ_CAP + irq.id;
            set_slot(&mut b, o.cnode, slot, Cap::new(handler), &mut errors);
        }

        // I/O ports: one object per range, at BASE_IOPORT_CAP + id.
        for port in &pd.ioports {
            let first = u16::try_from(port.addr).unwrap_or(u16::MAX);
            let last = u16::try_from(port.addr + port.size.max(1) - 1).unwrap_or(u16::MAX);
            let ports = b.add(
                format!("pd.{name}.ioport{}", port.id),
                Object::IoPorts(IoPorts { first, last }),
            );
            let slot = abi::BASE_IOPORT_CAP + port.id;
            set_slot(&mut b, o.cnode, slot, Cap::new(ports), &mut errors);
        }

        // Memory regions: every frame of the region, at consecutive addresses.
        for map in &pd.maps {
            let Some((frames, page, device)) = regions.get(map.mr.as_str()) else {
                continue;
            };
            let mr = description.memory_region(&map.mr);
            let size = mr.map_or(0, |mr| mr.size);
            let el = map_element(map, &pd_element);
            // Device memory defaults to uncached; validation refuses cached="true" on it.
            let cached = map.is_cached(*device);
            let cap_of = |frame| {
                let cap = frame_cap(frame, map.perms);
                if cached {
                    cap
                } else {
                    cap.uncached()
                }
            };
            for (i, &frame) in frames.iter().enumerate() {
                let vaddr = map.vaddr + i as u64 * page;
                if let Err(e) = b.map(o.vspace, vaddr, cap_of(frame)) {
                    let what = format!("memory region '{}' at {vaddr:#x}", map.mr);
                    errors.push(layout_error(&map.location, el.clone(), &what, e));
                    break;
                }
            }
            mappings.push(Mapping {
                vaddr: map.vaddr,
                size,
                page_size: *page,
                perms: map.perms,
                cached,
                source: MappingSource::Region {
                    name: map.mr.clone(),
                    paddr: mr.and_then(|mr| mr.phys_addr),
                    device: *device,
                },
            });
        }

        // Program image: patch, then one frame per page filled with the file bytes.
        let entry = images.get(name).map_or(0, |i| i.image.entry);
        if let Some(loaded) = images.get_mut(name) {
            for p in patches.remove(name).unwrap_or_default() {
                if let Err(source) = loaded.image.patch_u64(&p.symbol, p.value) {
                    errors.push(BuildError::Symbol {
                        location: p.location,
                        element: p.element,
                        symbol: p.symbol,
                        pd: name.to_string(),
                        path: loaded.path.clone(),
                        source,
                    });
                }
            }
            if let Err(source) =
                loaded
                    .image
                    .patch_name(abi::PD_NAME_SYMBOL, name, abi::PD_NAME_LEN)
            {
                errors.push(BuildError::Symbol {
                    location: pd.program_image.location.clone(),
                    element: pd_element.clone(),
                    symbol: abi::PD_NAME_SYMBOL.to_string(),
                    pd: name.to_string(),
                    path: loaded.path.clone(),
                    source,
                });
            }
            let mut run: Option<Mapping> = None;
            for (vaddr, page) in loaded.image.pages() {
                let fill = match page.content() {
                    Some((offset, bytes)) => vec![FillEntry {
                        offset,
                        content: b.push_blob(bytes),
                    }],
                    None => Vec::new(),
                };
                let frame = b.add(
                    format!("pd.{name}.image@{vaddr:#x}"),
                    Object::Frame(Frame {
                        size_bits: 12,
                        paddr: None,
                        device: false,
                        fill,
                    }),
                );
                let perms = Perms {
                    read: page.rights.read,
                    write: page.rights.write,
                    execute: page.rights.execute,
                };
                if let Err(e) = b.map(o.vspace, vaddr, frame_cap(frame, perms)) {
                    let what = format!("program image page {vaddr:#x}");
                    errors.push(layout_error(
                        &pd.program_image.location,
                        pd_element.clone(),
                        &what,
                        e,
                    ));
                }
                match &mut run {
                    Some(r) if r.vaddr + r.size == vaddr && r.perms == perms => {
                        r.size += abi::PAGE_SIZE
                    }
                    _ => {
                        mappings.extend(run.take());
                        run = Some(Mapping {
                            vaddr,
                            size: abi::PAGE_SIZE,
                            page_size: abi::PAGE_SIZE,
                            perms,
                            cached: true,
                            source: MappingSource::Image,
                        });
                    }
                }
            }
            mappings.extend(run);
        }
        mappings.sort_by_key(|m| m.vaddr);
        layouts.push(PdLayout {
            name: name.to_string(),
            entry,
            mappings,
        });
    }
    // Patches for PDs without an image cannot happen: load_images refuses them first.
    if !errors.is_empty() {
        return Err(BuildErrors(errors));
    }
    let mut spec = b
        .build()
        .map_err(|e| BuildErrors(vec![BuildError::Internal(e.to_string())]))?;
    // Which fixed addresses are device memory depends on the RAM size: record it.
    spec.machine = Some(sysinit_spec::Machine {
        board: board.name().to_string(),
        ram_bytes: board.ram_bytes(),
    });
    Ok(BuiltSystem { spec, pds: layouts })
}

/// Every symbol the description wants patched, by the PD whose image holds it.
///
/// Collected before any image is laid out: a child's id goes into its parent's image.
fn collect_patches(description: &SystemDescription) -> BTreeMap<String, Vec<Patch>> {
    let mut patches: BTreeMap<String, Vec<Patch>> = BTreeMap::new();
    let mut add =
        |pd: &str, symbol: &Option<String>, value: u64, location: &Location, element: String| {
            if let Some(symbol) = symbol {
                patches.entry(pd.to_string()).or_default().push(Patch {
                    symbol: symbol.clone(),
                    value,
                    location: location.clone(),
                    element,
                });
            }
        };
    for ch in &description.channels {
        for end in &ch.ends {
            let el = describe::element("end", "pd", Some(&end.pd));
            add(&end.pd, &end.setvar_id, end.id, &end.location, el);
        }
    }
    for (pd, parent) in description.all_protection_domains() {
        let pd_element = describe::pd(pd);
        let name = pd.name.as_str();
        if let (Some(parent), Some(id)) = (parent, pd.id) {
            let el = describe::inside(&pd_element, &describe::pd(parent));
            add(&parent.name, &pd.setvar_id, id, &pd.location, el);
        }
        for irq in &pd.irqs {
            let own = describe::element("irq", "id", Some(&irq.id.to_string()));
            let el = describe::inside(&own, &pd_element);
            add(name, &irq.setvar_id, irq.id, &irq.location, el);
        }
        for port in &pd.ioports {
            let own = describe::element("ioport", "id", Some(&port.id.to_string()));
            let el = describe::inside(&own, &pd_element);
            add(name, &port.setvar_id, port.id, &port.location, el.clone());
            add(name, &port.setvar_addr, port.addr, &port.location, el);
        }
        for setvar in &pd.setvars {
            // refusals() rules out regions without a fixed address.
            let paddr = description
                .memory_region(&setvar.region_paddr)
                .and_then(|mr| mr.phys_addr);
            if let Some(paddr) = paddr {
                let own = describe::element("setvar", "symbol", Some(&setvar.symbol));
                let el = describe::inside(&own, &pd_element);
                add(
                    name,
                    &Some(setvar.symbol.clone()),
                    paddr,
                    &setvar.location,
                    el,
                );
            }
        }
        for map in &pd.maps {
            let size = description.memory_region(&map.mr).map_or(0, |mr| mr.size);
            let el = map_element(map, &pd_element);
            add(
                name,
                &map.setvar_vaddr,
                map.vaddr,
                &map.location,
                el.clone(),
            );
            add(name, &map.setvar_size, size, &map.location, el);
        }
    }
    patches
}

fn map_element(map: &sysinit_sdf::Map, pd_element: &str) -> String {
    describe::inside(&describe::element("map", "mr", Some(&map.mr)), pd_element)
}

fn set_slot(
    b: &mut SpecBuilder,
    cnode: ObjectId,
    slot: u64,
    cap: Cap,
    errors: &mut Vec<BuildError>,
) {
    // Slots come from pd-abi bases plus validated ids: always below 2^CNODE_RADIX.
    if let Err(e) = b.set_slot(cnode, slot as u32, cap) {
        errors.push(BuildError::Internal(e.to_string()));
    }
}

fn layout_error(
    location: &Location,
    element: String,
    what: &str,
    error: sysinit_spec::SpecError,
) -> BuildError {
    BuildError::Layout {
        location: location.clone(),
        element,
        what: what.to_string(),
        message: error.to_string(),
    }
}
