//! Every check on the input, turning it into the [`Plan`] the tree is written from.

use std::collections::BTreeSet;

use crate::qemu_virt::{self, Role, ECAM_BUS_BYTES, GIC_MAX_CPUS};
use crate::{GuestDtError, GuestDtInput, GuestRange, NamedGuestRange};

/// The PCIe host bridge.
pub(crate) struct Pcie {
    /// The ECAM map (guest-physical).
    pub ecam: GuestRange,
    /// First and last bus the map covers.
    pub buses: (u32, u32),
    /// `ranges` entries: PCI space code, PCI address, guest range.
    pub windows: Vec<(u32, u64, GuestRange)>,
}

/// The checked input, sorted.
pub(crate) struct Plan<'a> {
    pub ram: Vec<GuestRange>,
    pub reserved: Vec<&'a NamedGuestRange>,
    pub vcpus: Vec<u64>,
    pub gic_cpu: GuestRange,
    pub uart: Option<GuestRange>,
    pub pcie: Option<Pcie>,
    pub bootargs: Option<&'a str>,
    pub initrd: Option<GuestRange>,
}

fn check_range(what: impl FnOnce() -> String, range: GuestRange) -> Result<(), GuestDtError> {
    if range.size == 0 || range.start.checked_add(range.size).is_none() {
        return Err(GuestDtError::BadRange {
            what: what(),
            start: range.start,
            size: range.size,
        });
    }
    Ok(())
}

fn check_vcpus(input: &GuestDtInput) -> Result<Vec<u64>, GuestDtError> {
    if input.vcpus.is_empty() {
        return Err(GuestDtError::NoVcpus);
    }
    if input.vcpus.len() > GIC_MAX_CPUS {
        return Err(GuestDtError::TooManyVcpus {
            count: input.vcpus.len(),
            max: GIC_MAX_CPUS,
            board: input.board.clone(),
        });
    }
    let mut seen = BTreeSet::new();
    for &id in &input.vcpus {
        if id > 0xff {
            return Err(GuestDtError::VcpuIdTooLarge(id));
        }
        if !seen.insert(id) {
            return Err(GuestDtError::DuplicateVcpu(id));
        }
    }
    Ok(seen.into_iter().collect())
}

/// A reserved region's name must be usable as a node name.
fn check_region_name(name: &str) -> Result<(), GuestDtError> {
    let ok = |c: char| c.is_ascii_alphanumeric() || ",._+-".contains(c);
    if name.is_empty() || !name.chars().all(ok) {
        return Err(GuestDtError::BadRegionName(name.into()));
    }
    Ok(())
}

fn known_devices() -> String {
    let names: Vec<&str> = qemu_virt::DEVICES.iter().map(|d| d.name).collect();
    names.join(", ")
}

/// The buses an ECAM map covers, counted from the window's base.
fn ecam_buses(device: &qemu_virt::Device, phys: GuestRange) -> Result<(u32, u32), GuestDtError> {
    let refused = || GuestDtError::EcamNotWholeBuses {
        device: device.name.into(),
        phys,
    };
    // Checked by the caller: phys is non-empty and inside the window.
    let offset = phys.start - device.base;
    if !offset.is_multiple_of(ECAM_BUS_BYTES) || !phys.size.is_multiple_of(ECAM_BUS_BYTES) {
        return Err(refused());
    }
    let first = offset / ECAM_BUS_BYTES;
    let last = first + phys.size / ECAM_BUS_BYTES - 1;
    if last > 255 {
        return Err(refused());
    }
    Ok((first as u32, last as u32))
}

/// What the passthroughs give the guest.
struct Devices {
    gic_cpu: GuestRange,
    uart: Option<GuestRange>,
    pcie: Option<Pcie>,
}

/// The passthroughs: the GIC CPU interface, the UART, the PCIe bridge.
fn check_passthrough(input: &GuestDtInput) -> Result<Devices, GuestDtError> {
    let mut gic = None;
    let mut uart = None;
    let mut ecam: Option<(&str, GuestRange, (u32, u32))> = None;
    let mut windows = Vec::new();
    for p in &input.passthrough {
        let device = qemu_virt::device(&p.device).ok_or_else(|| GuestDtError::UnknownDevice {
            device: p.device.clone(),
            known: known_devices(),
        })?;
        check_range(|| format!("device '{}' (physical)", p.device), p.phys)?;
        check_range(|| format!("device '{}' (guest)", p.device), p.guest)?;
        if p.phys.size != p.guest.size {
            return Err(GuestDtError::SizeMismatch {
                device: p.device.clone(),
                phys_size: p.phys.size,
                guest_size: p.guest.size,
            });
        }
        if p.phys.start < device.base || p.phys.end() > device.base + device.size {
            return Err(GuestDtError::OutsideDevice {
                device: p.device.clone(),
                phys: p.phys,
                window_start: device.base,
                window_size: device.size,
            });
        }
        let once = |slot: &Option<GuestRange>| match slot {
            Some(_) => Err(GuestDtError::DuplicateDevice(p.device.clone())),
            None => Ok(Some(p.guest)),
        };
        match device.role {
            Role::GicVcpu => gic = once(&gic)?,
            Role::Uart => uart = once(&uart)?,
            Role::Ecam => match ecam {
                Some((name, ..)) if name == device.name => {
                    return Err(GuestDtError::DuplicateDevice(p.device.clone()))
                }
                Some(_) => return Err(GuestDtError::TwoEcams),
                None => ecam = Some((device.name, p.guest, ecam_buses(device, p.phys)?)),
            },
            Role::PciWindow { space } => {
                // The bridge translates PCI addresses equal to the physical
                // ones for memory, and offsets into the window for I/O (QEMU:
                // PCI I/O address 0 at the window's base).
                let pci = match space {
                    qemu_virt::PCI_SPACE_IO => p.phys.start - device.base,
                    _ => p.phys.start,
                };
                let order = qemu_virt::DEVICES
                    .iter()
                    .position(|d| d.name == device.name);
                windows.push((order, p.guest.start, (space, pci, p.guest), device.name));
            }
        }
    }
    let gic = gic.ok_or_else(|| GuestDtError::MissingGicVcpu {
        gic_vcpu_phys: qemu_virt::device("gic-vcpu").map_or(0, |d| d.base),
    })?;
    windows.sort_by_key(|w| (w.0, w.1));
    let pcie = match ecam {
        Some((_, ecam, buses)) => Some(Pcie {
            ecam,
            buses,
            windows: windows.into_iter().map(|w| w.2).collect(),
        }),
        None => match windows.first() {
            Some(w) => return Err(GuestDtError::PciWindowWithoutEcam(w.3.into())),
            None => None,
        },
    };
    Ok(Devices {
        gic_cpu: gic,
        uart,
        pcie,
    })
}

/// No two guest-physical ranges (RAM, reserved, devices, the emulated GIC
/// distributor) overlap.
fn check_overlaps(input: &GuestDtInput) -> Result<(), GuestDtError> {
    let mut all: Vec<(GuestRange, String)> = Vec::new();
    all.extend(input.ram.iter().map(|&r| (r, "RAM".to_string())));
    all.extend(
        input
            .reserved
            .iter()
            .map(|r| (r.range, format!("reserved region '{}'", r.name))),
    );
    all.extend(
        input
            .passthrough
            .iter()
            .map(|p| (p.guest, format!("device '{}'", p.device))),
    );
    all.push((
        GuestRange::new(qemu_virt::GIC_DIST_BASE, qemu_virt::GIC_DIST_SIZE),
        "the GIC distributor the VMM emulates".to_string(),
    ));
    all.sort();
    // Sorted by start, ranges are disjoint exactly when each ends before the next starts.
    for pair in all.windows(2) {
        let ((a, a_what), (b, b_what)) = (&pair[0], &pair[1]);
        if a.end() > b.start {
            return Err(GuestDtError::Overlap {
                first: a_what.clone(),
                first_range: *a,
                second: b_what.clone(),
                second_range: *b,
            });
        }
    }
    Ok(())
}

/// Sorted RAM with contiguous ranges merged.
fn merge(ram: &[GuestRange]) -> Vec<GuestRange> {
    let mut sorted = ram.to_vec();
    sorted.sort();
    let mut merged: Vec<GuestRange> = Vec::new();
    for r in sorted {
        match merged.last_mut() {
            Some(last) if last.end() == r.start => last.size += r.size,
            _ => merged.push(r),
        }
    }
    merged
}

/// Checks the whole input; the first problem found is returned.
pub(crate) fn plan(input: &GuestDtInput) -> Result<Plan<'_>, GuestDtError> {
    if input.board != qemu_virt::BOARD {
        return Err(GuestDtError::UnknownBoard {
            board: input.board.clone(),
            known: qemu_virt::BOARD.into(),
        });
    }
    let vcpus = check_vcpus(input)?;
    if input.ram.is_empty() {
        return Err(GuestDtError::NoRam);
    }
    for &r in &input.ram {
        check_range(|| "RAM".into(), r)?;
    }
    for r in &input.reserved {
        check_region_name(&r.name)?;
        check_range(|| format!("reserved region '{}'", r.name), r.range)?;
    }
    let Devices {
        gic_cpu,
        uart,
        pcie,
    } = check_passthrough(input)?;
    check_overlaps(input)?;
    let mut reserved: Vec<&NamedGuestRange> = input.reserved.iter().collect();
    reserved.sort_by_key(|r| (r.range, &r.name));
    if let Some(initrd) = input.initrd {
        check_range(|| "the initramfs".into(), initrd)?;
        // Inside RAM proper (not a reserved range, which the guest must not touch).
        if !merge(&input.ram)
            .iter()
            .any(|r| r.start <= initrd.start && initrd.end() <= r.end())
        {
            return Err(GuestDtError::InitrdOutsideRam { range: initrd });
        }
    }
    // /memory holds the reserved ranges too: /reserved-memory carves them out.
    let mut memory = input.ram.clone();
    memory.extend(input.reserved.iter().map(|r| r.range));
    Ok(Plan {
        ram: merge(&memory),
        reserved,
        vcpus,
        gic_cpu,
        uart,
        pcie,
        bootargs: input.bootargs.as_deref(),
        initrd: input.initrd,
    })
}
