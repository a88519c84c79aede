//! Names and ids: counts, duplicates and references that lead nowhere.

use std::collections::HashMap;

use crate::describe;
use crate::error::{SdfError, SdfErrorKind};
use crate::model::Location;
use crate::suggest;
use crate::validate::limits::MAX_PROTECTION_DOMAINS;
use crate::validate::Ctx;

/// At least one protection domain, at most Microkit's limit.
pub(crate) fn check_protection_domain_count(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    let location = ctx.description.location.clone();
    let count = ctx.pds.len();
    if count == 0 {
        errors.push(SdfError::at(location, SdfErrorKind::NoProtectionDomains));
    } else if count > MAX_PROTECTION_DOMAINS {
        errors.push(SdfError::at(
            location,
            SdfErrorKind::TooManyProtectionDomains {
                count,
                max: MAX_PROTECTION_DOMAINS,
            },
        ));
    }
}

/// Reports every entry whose key was seen before, naming where it was first.
fn report_repeats<K: std::hash::Hash + Eq, E>(
    entries: impl IntoIterator<Item = (K, Location, E)>,
    mut make: impl FnMut(K, Location, E, Location) -> SdfError,
    errors: &mut Vec<SdfError>,
) {
    let mut first: HashMap<K, Location> = HashMap::new();
    for (key, location, element) in entries {
        if let Some(previous) = first.get(&key) {
            let previous = previous.clone();
            errors.push(make(key, location, element, previous));
        } else {
            first.insert(key, location);
        }
    }
}

/// Protection domain, memory region and virtual machine names are unique per kind.
pub(crate) fn check_duplicate_names(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    let duplicate = |kind: &'static str| {
        move |name: &str, location, element, first| {
            SdfError::at(
                location,
                SdfErrorKind::DuplicateName {
                    element,
                    kind,
                    name: name.to_string(),
                    first,
                },
            )
        }
    };
    report_repeats(
        ctx.pds
            .iter()
            .map(|(pd, _)| (pd.name.as_str(), pd.location.clone(), describe::pd(pd))),
        duplicate("protection_domain"),
        errors,
    );
    report_repeats(
        ctx.description.memory_regions.iter().map(|mr| {
            let element = describe::element("memory_region", "name", Some(&mr.name));
            (mr.name.as_str(), mr.location.clone(), element)
        }),
        duplicate("memory_region"),
        errors,
    );
    report_repeats(
        ctx.pds
            .iter()
            .filter_map(|(pd, _)| pd.virtual_machine.as_ref())
            .map(|vm| (vm.name.as_str(), vm.location.clone(), describe::vm(vm))),
        duplicate("virtual_machine"),
        errors,
    );
}

/// Channel ends and interrupts of one PD share the channel ids.
pub(crate) fn check_duplicate_channel_ids(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for (pd, _) in &ctx.pds {
        let irqs = pd.irqs.iter().map(|irq| {
            let element = describe::inside(
                &describe::element("irq", "id", Some(&irq.id.to_string())),
                &describe::pd(pd),
            );
            (irq.id, irq.location.clone(), (element, "irq id"))
        });
        let ends = ctx.ends_of(&pd.name).iter().map(|end| {
            let element = describe::element("end", "pd", Some(&end.pd));
            (end.id, end.location.clone(), (element, "channel id"))
        });
        report_repeats(
            irqs.chain(ends),
            |id, location, (element, kind), first| {
                SdfError::at(
                    location,
                    SdfErrorKind::DuplicateId {
                        element,
                        kind,
                        id,
                        pd: pd.name.clone(),
                        first,
                        namespace: "channel or irq of this protection domain",
                    },
                )
            },
            errors,
        );
    }
}

/// Child PD ids and vCPU ids of one parent share one namespace.
pub(crate) fn check_duplicate_child_ids(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for (pd, _) in &ctx.pds {
        let children = pd.children.iter().filter_map(|child| {
            let id = child.id?;
            let element = describe::inside(&describe::pd(child), &describe::pd(pd));
            Some((id, child.location.clone(), element, "child id"))
        });
        let vcpus = pd.virtual_machine.iter().flat_map(|vm| {
            vm.vcpus.iter().map(move |vcpu| {
                let element = describe::inside(
                    &describe::element("vcpu", "id", Some(&vcpu.id.to_string())),
                    &describe::vm(vm),
                );
                (vcpu.id, vcpu.location.clone(), element, "vcpu id")
            })
        });
        report_repeats(
            children
                .chain(vcpus)
                .map(|(id, location, element, kind)| (id, location, (element, kind))),
            |id, location, (element, kind), first| {
                SdfError::at(
                    location,
                    SdfErrorKind::DuplicateId {
                        element,
                        kind,
                        id,
                        pd: pd.name.clone(),
                        first,
                        namespace: "child protection domain or vcpu of this protection domain",
                    },
                )
            },
            errors,
        );
    }
}

/// I/O port ids are unique per PD.
pub(crate) fn check_duplicate_ioport_ids(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for (pd, _) in &ctx.pds {
        report_repeats(
            pd.ioports.iter().map(|port| {
                let element = describe::inside(
                    &describe::element("ioport", "id", Some(&port.id.to_string())),
                    &describe::pd(pd),
                );
                (port.id, port.location.clone(), element)
            }),
            |id, location, element, first| {
                SdfError::at(
                    location,
                    SdfErrorKind::DuplicateId {
                        element,
                        kind: "ioport id",
                        id,
                        pd: pd.name.clone(),
                        first,
                        namespace: "ioport of this protection domain",
                    },
                )
            },
            errors,
        );
    }
}

/// Each symbol of a PD's program image is patched by at most one setvar.
///
/// Counts every attribute that patches the image: `setvar_vaddr`/`setvar_size`
/// and `setvar_prefill_size` on maps (a VM's maps patch its VMM's image), `setvar_id` on irqs, ioports, child PDs, vCPUs and channel ends
/// (in the image of the end's PD), `setvar_addr` on ioports and `<setvar>`.
pub(crate) fn check_duplicate_symbols(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    for (pd, _) in &ctx.pds {
        let owner = describe::pd(pd);
        let mut symbols: Vec<(String, Location, String)> = Vec::new();
        let mut add = |symbol: &Option<String>, location: &Location, element: String| {
            if let Some(symbol) = symbol {
                symbols.push((symbol.clone(), location.clone(), element));
            }
        };
        for map in &pd.maps {
            let element = describe::inside(&describe::element("map", "mr", Some(&map.mr)), &owner);
            add(&map.setvar_vaddr, &map.location, element.clone());
            add(&map.setvar_size, &map.location, element.clone());
            add(&map.setvar_prefill_size, &map.location, element);
        }
        for irq in &pd.irqs {
            let element = describe::element("irq", "id", Some(&irq.id.to_string()));
            add(
                &irq.setvar_id,
                &irq.location,
                describe::inside(&element, &owner),
            );
        }
        for port in &pd.ioports {
            let element = describe::element("ioport", "id", Some(&port.id.to_string()));
            let element = describe::inside(&element, &owner);
            add(&port.setvar_id, &port.location, element.clone());
            add(&port.setvar_addr, &port.location, element);
        }
        for setvar in &pd.setvars {
            let element = describe::element("setvar", "symbol", Some(&setvar.symbol));
            add(
                &Some(setvar.symbol.clone()),
                &setvar.location,
                describe::inside(&element, &owner),
            );
        }
        for child in &pd.children {
            let element = describe::inside(&describe::pd(child), &owner);
            add(&child.setvar_id, &child.location, element);
        }
        if let Some(vm) = &pd.virtual_machine {
            for vcpu in &vm.vcpus {
                let element = describe::element("vcpu", "id", Some(&vcpu.id.to_string()));
                add(
                    &vcpu.setvar_id,
                    &vcpu.location,
                    describe::inside(&element, &describe::vm(vm)),
                );
            }
            // A VM map's setvar_vaddr patches the VMM's image with the guest-physical address.
            for map in &vm.maps {
                let element = describe::element("map", "mr", Some(&map.mr));
                add(
                    &map.setvar_vaddr,
                    &map.location,
                    describe::inside(&element, &describe::vm(vm)),
                );
            }
        }
        for end in ctx.ends_of(&pd.name) {
            add(
                &end.setvar_id,
                &end.location,
                describe::element("end", "pd", Some(&end.pd)),
            );
        }
        symbols.sort_by(|a, b| a.1.cmp(&b.1));
        report_repeats(
            symbols,
            |symbol, location, element, first| {
                SdfError::at(
                    location,
                    SdfErrorKind::DuplicateSymbol {
                        element,
                        symbol,
                        pd: pd.name.clone(),
                        first,
                    },
                )
            },
            errors,
        );
    }
}

/// Maps and guest device trees name existing memory regions, channel ends existing PDs, setvars existing regions.
pub(crate) fn check_references(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    let mr_names = || {
        ctx.description
            .memory_regions
            .iter()
            .map(|mr| mr.name.as_str())
    };
    let mut unknown = |kind, name: &str, location: &Location, element: String, hint| {
        errors.push(SdfError::at(
            location.clone(),
            SdfErrorKind::UnknownReference {
                element,
                kind,
                name: name.to_string(),
                hint,
            },
        ));
    };
    for (pd, _) in &ctx.pds {
        let owners = std::iter::once((describe::pd(pd), &pd.maps)).chain(
            pd.virtual_machine
                .iter()
                .map(|vm| (describe::vm(vm), &vm.maps)),
        );
        for (owner, maps) in owners {
            for map in maps.iter().filter(|m| ctx.mr(&m.mr).is_none()) {
                let element =
                    describe::inside(&describe::element("map", "mr", Some(&map.mr)), &owner);
                let hint = suggest::hint(&map.mr, mr_names());
                unknown("memory region", &map.mr, &map.location, element, hint);
            }
        }
        let trees = pd.virtual_machine.iter().filter_map(|vm| {
            let dt = vm.guest_device_tree.as_ref()?;
            let element = describe::element("guest_device_tree", "mr", Some(&dt.mr));
            Some((dt, describe::inside(&element, &describe::vm(vm))))
        });
        for (dt, element) in trees {
            if ctx.mr(&dt.mr).is_none() {
                let hint = suggest::hint(&dt.mr, mr_names());
                unknown("memory region", &dt.mr, &dt.location, element.clone(), hint);
            }
            if let Some(initrd) = dt.initrd_mr.as_ref().filter(|m| ctx.mr(m).is_none()) {
                let hint = suggest::hint(initrd, mr_names());
                unknown("memory region", initrd, &dt.location, element, hint);
            }
        }
        for setvar in pd
            .setvars
            .iter()
            .filter(|s| ctx.mr(&s.region_paddr).is_none())
        {
            let element = describe::inside(
                &describe::element("setvar", "symbol", Some(&setvar.symbol)),
                &describe::pd(pd),
            );
            let hint = suggest::hint(&setvar.region_paddr, mr_names());
            unknown(
                "memory region",
                &setvar.region_paddr,
                &setvar.location,
                element,
                hint,
            );
        }
    }
    for end in ctx.description.channels.iter().flat_map(|c| c.ends.iter()) {
        if ctx.pd(&end.pd).is_none() {
            let hint = suggest::hint(&end.pd, ctx.pds.iter().map(|(pd, _)| pd.name.as_str()));
            let element = describe::element("end", "pd", Some(&end.pd));
            unknown("protection domain", &end.pd, &end.location, element, hint);
        }
    }
}
