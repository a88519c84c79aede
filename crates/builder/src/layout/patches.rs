//! `setvar_*` attributes and `<setvar>`: symbols to patch in program images, and the PD name.

use std::collections::BTreeMap;

use sysinit_pd_abi as abi;
use sysinit_sdf::{describe, Location, ProtectionDomain, SystemDescription};

use super::{map_element, Layout};
use crate::error::BuildError;
use crate::prefill::Prefills;
use crate::LoadedImage;

/// A symbol to patch and the element that asked for it.
pub(super) struct Patch {
    symbol: String,
    value: u64,
    location: Location,
    element: String,
}

/// Every symbol the description wants patched, by the PD whose image holds it.
///
/// Collected before any image is laid out: a child's id, and a VM map's
/// guest-physical address, go into the parent's image.
pub(super) fn collect(
    description: &SystemDescription,
    prefills: &Prefills,
) -> BTreeMap<String, Vec<Patch>> {
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
                let symbol = Some(setvar.symbol.clone());
                add(name, &symbol, paddr, &setvar.location, el);
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
            add(name, &map.setvar_size, size, &map.location, el.clone());
            // Validation allows setvar_prefill_size only on prefilled regions.
            let prefill = prefills.get(&map.mr).map_or(0, |p| p.bytes.len() as u64);
            add(name, &map.setvar_prefill_size, prefill, &map.location, el);
        }
        if let Some(vm) = &pd.virtual_machine {
            let vm_element = describe::vm(vm);
            for map in &vm.maps {
                let el = map_element(map, &vm_element);
                add(name, &map.setvar_vaddr, map.vaddr, &map.location, el);
            }
            for vcpu in &vm.vcpus {
                let own = describe::element("vcpu", "id", Some(&vcpu.id.to_string()));
                let el = describe::inside(&own, &vm_element);
                add(name, &vcpu.setvar_id, vcpu.id, &vcpu.location, el);
            }
        }
    }
    patches
}

/// Writes `patches` and the PD's name into `pd`'s image.
pub(super) fn apply(
    layout: &mut Layout,
    pd: &ProtectionDomain,
    pd_element: &str,
    loaded: &mut LoadedImage,
    patches: Vec<Patch>,
) {
    for p in patches {
        if let Err(source) = loaded.image.patch_u64(&p.symbol, p.value) {
            layout.errors.push(BuildError::Symbol {
                location: p.location,
                element: p.element,
                symbol: p.symbol,
                pd: pd.name.clone(),
                path: loaded.path.clone(),
                source,
            });
        }
    }
    let named = loaded
        .image
        .patch_name(abi::PD_NAME_SYMBOL, &pd.name, abi::PD_NAME_LEN);
    if let Err(source) = named {
        layout.errors.push(BuildError::Symbol {
            location: pd.program_image.location.clone(),
            element: pd_element.to_string(),
            symbol: abi::PD_NAME_SYMBOL.to_string(),
            pd: pd.name.clone(),
            path: loaded.path.clone(),
            source,
        });
    }
}
