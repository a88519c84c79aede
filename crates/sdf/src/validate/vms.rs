//! Virtual machines and prefilled regions: the board must run guests, and the
//! sysinit extensions (`reserved`, `<guest_device_tree>`) and Microkit's
//! `prefill_path`/`setvar_prefill_size` must name regions they can work on.
//!
//! VM map alignment, bounds (the stage-2 tables' guest-physical range) and
//! overlaps (guest RAM over a passthrough device) are the rules of
//! [`super::maps`], which treat a VM's maps as one more address space.

use sysinit_kobj::Arch;

use crate::describe;
use crate::error::{SdfError, SdfErrorKind};
use crate::model::{Location, ProtectionDomain, VirtualMachine};
use crate::validate::Ctx;

/// Virtual machines need a kernel with virtualization support.
pub(crate) fn check_virtual_machines_supported(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    if ctx.board.virtualization() {
        return;
    }
    // Only x86_64 has the VT-x story; another board without hypervisor support
    // lacks it for its own kernel's reasons.
    let reason = match ctx.board.arch() {
        Arch::X86_64 => "the x86_64 kernel config has no VT-x, KernelVTX is off, and QEMU's TCG cannot emulate VT-x anyway: guests are aarch64-only",
        Arch::Aarch64 => "its kernel is built without hypervisor support (KernelArmHypervisorSupport off)",
    };
    for (pd, _) in &ctx.pds {
        if let Some(vm) = &pd.virtual_machine {
            errors.push(SdfError::at(
                vm.location.clone(),
                SdfErrorKind::NotOnBoard {
                    element: describe::inside(&describe::vm(vm), &describe::pd(pd)),
                    feature: "virtual machines are",
                    board: ctx.board.name().to_string(),
                    reason: reason.into(),
                    valid: "no <virtual_machine> on this board",
                },
            ));
        }
    }
}

/// `reserved="true"` marks guest RAM only: a device is never listed as memory.
pub(crate) fn check_reserved_maps(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for (_, vm) in vms(ctx) {
        for map in vm.maps.iter().filter(|m| m.reserved) {
            let Some(mr) = ctx.mr(&map.mr) else {
                continue; // check_references reports it
            };
            if mr.is_device() {
                let element = describe::element("map", "mr", Some(&map.mr));
                errors.push(SdfError::at(
                    map.location.clone(),
                    SdfErrorKind::ReservedDeviceMap {
                        element: describe::inside(&element, &describe::vm(vm)),
                        mr: mr.name.clone(),
                    },
                ));
            }
        }
    }
}

/// A guest device tree goes into a RAM region the VM maps (the guest reads it at
/// the guest-physical address its VMM passes). At most one per VM is a parse rule.
pub(crate) fn check_guest_device_trees(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for (_, vm) in vms(ctx) {
        let Some(dt) = &vm.guest_device_tree else {
            continue;
        };
        let Some(mr) = ctx.mr(&dt.mr) else {
            continue; // check_references reports it
        };
        let problem = if mr.is_device() {
            "is device memory"
        } else if !vm.maps.iter().any(|m| m.mr == dt.mr) {
            "is not mapped into the virtual machine"
        } else {
            continue;
        };
        let element = describe::element("guest_device_tree", "mr", Some(&dt.mr));
        errors.push(SdfError::at(
            dt.location.clone(),
            SdfErrorKind::GuestDeviceTreeRegion {
                element: describe::inside(&element, &describe::vm(vm)),
                mr: mr.name.clone(),
                problem,
                vm: vm.name.clone(),
            },
        ));
    }
}

/// An initramfs (`initrd_mr`) is a file prefilled into a RAM region the VM maps as
/// ordinary RAM: the guest device tree gives the file's bytes in `/chosen`.
pub(crate) fn check_initrds(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for (_, vm) in vms(ctx) {
        let Some(dt) = &vm.guest_device_tree else {
            continue;
        };
        let Some(name) = &dt.initrd_mr else {
            continue;
        };
        let Some(mr) = ctx.mr(name) else {
            continue; // check_references reports it
        };
        let map = vm.maps.iter().find(|m| &m.mr == name);
        let problem = if mr.is_device() {
            "is device memory"
        } else if *name == dt.mr {
            "is the device tree's own region"
        } else if mr.prefill_path.is_none() {
            "has no prefill_path"
        } else if map.is_none() {
            "is not mapped into the virtual machine"
        } else if map.is_some_and(|m| m.reserved) {
            "is mapped reserved=\"true\""
        } else {
            continue;
        };
        let element = describe::element("guest_device_tree", "mr", Some(&dt.mr));
        errors.push(SdfError::at(
            dt.location.clone(),
            SdfErrorKind::InitrdRegion {
                element: describe::inside(&element, &describe::vm(vm)),
                mr: name.clone(),
                problem,
                vm: vm.name.clone(),
            },
        ));
    }
}

/// Prefilled regions are RAM and filled once (a file or a guest device tree);
/// `setvar_prefill_size` needs a prefilled region.
pub(crate) fn check_prefills(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for mr in &ctx.description.memory_regions {
        if mr.prefill_path.is_some() && mr.is_device() {
            errors.push(SdfError::at(
                mr.location.clone(),
                SdfErrorKind::PrefillDevice {
                    element: describe::element("memory_region", "name", Some(&mr.name)),
                },
            ));
        }
    }
    // The first fill of each region: its prefill_path, else the first device tree.
    let mut fills: Vec<(&str, String, Location)> = ctx
        .description
        .memory_regions
        .iter()
        .filter(|mr| mr.prefill_path.is_some())
        .map(|mr| {
            let what = format!(
                "prefill_path \"{}\"",
                mr.prefill_path.as_deref().unwrap_or("")
            );
            (mr.name.as_str(), what, mr.location.clone())
        })
        .collect();
    for (_, vm) in vms(ctx) {
        let Some(dt) = &vm.guest_device_tree else {
            continue;
        };
        let element = describe::element("guest_device_tree", "mr", Some(&dt.mr));
        if let Some((_, other, other_location)) = fills.iter().find(|(name, ..)| *name == dt.mr) {
            errors.push(SdfError::at(
                dt.location.clone(),
                SdfErrorKind::PrefilledTwice {
                    element: describe::inside(&element, &describe::vm(vm)),
                    mr: dt.mr.clone(),
                    other: other.clone(),
                    other_location: other_location.clone(),
                },
            ));
        } else {
            let what = format!("the guest device tree of '{}'", vm.name);
            fills.push((dt.mr.as_str(), what, dt.location.clone()));
        }
    }
    for (pd, _) in &ctx.pds {
        for map in pd.maps.iter().filter(|m| m.setvar_prefill_size.is_some()) {
            let Some(mr) = ctx.mr(&map.mr) else {
                continue; // check_references reports it
            };
            if mr.prefill_path.is_none() {
                let element = describe::element("map", "mr", Some(&map.mr));
                errors.push(SdfError::at(
                    map.location.clone(),
                    SdfErrorKind::PrefillSizeWithoutPrefill {
                        element: describe::inside(&element, &describe::pd(pd)),
                        mr: mr.name.clone(),
                    },
                ));
            }
        }
    }
}

/// Every virtual machine with its VMM.
fn vms<'c, 'a>(
    ctx: &'c Ctx<'a>,
) -> impl Iterator<Item = (&'a ProtectionDomain, &'a VirtualMachine)> + 'c {
    ctx.pds
        .iter()
        .filter_map(|(pd, _)| Some((*pd, pd.virtual_machine.as_ref()?)))
}
