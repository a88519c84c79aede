//! `report.txt` of `sysinit build`: every PD's mappings and every object's expected
//! physical address.

use std::fmt::Write as _;
use std::path::Path;

use sysinit_board::Board;
use sysinit_builder::{BuiltSystem, Mapping, MappingSource};
use sysinit_spec::{Object, Spec};

use crate::units::Bytes;

fn size_bits(spec: &Spec, object: &Object) -> Option<u8> {
    let k = object.kernel_object(spec.arch)?;
    k.ty.size_bits(spec.arch, k.size_arg).ok()
}

/// The report: every PD's and VM's mappings, then every object's expected physical address.
///
/// `roottask` is the root task ELF whose span the board was given, if any.
pub fn report(
    system: &Path,
    board: &Board,
    ram: u64,
    roottask: Option<&Path>,
    footprint: &crate::build::Footprint,
    built: &BuiltSystem,
    placements: &[(sysinit_spec::ObjectId, u64)],
) -> String {
    let spec = &built.spec;
    let mut out = String::new();
    let _ = writeln!(out, "sysinit build report");
    let _ = writeln!(out, "system: {}", system.display());
    let _ = writeln!(
        out,
        "board: {} ({}), RAM {:#x} ({})",
        board.name(),
        board.arch(),
        ram,
        Bytes(ram)
    );
    let image = board.root_task_image();
    let _ = match roottask {
        Some(elf) => writeln!(out, "root task image: {image}, from {}", elf.display()),
        None => writeln!(
            out,
            "root task image: {image}, the board's estimate (give --roottask for its real span)"
        ),
    };
    let _ = writeln!(out, "{footprint}");
    let _ = writeln!(
        out,
        "objects: {}, program data: {:#x} bytes\n",
        spec.objects.len(),
        spec.blob.len()
    );
    for pd in &built.pds {
        let _ = writeln!(out, "protection domain {} (entry {:#x})", pd.name, pd.entry);
        mapping_table(&mut out, "vaddr", &pd.mappings);
    }
    for vm in &built.vms {
        let vcpus: Vec<String> = vm.vcpus.iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "virtual machine {} (VMM {}, vCPUs {}; addresses are guest-physical)",
            vm.name,
            vm.vmm,
            vcpus.join(", ")
        );
        mapping_table(&mut out, "guest paddr", &vm.mappings);
    }
    let _ = writeln!(
        out,
        "expected physical placement (planner on the board's boot untypeds)"
    );
    let _ = writeln!(out, "  {:<18} {:<4} {:<14} name", "paddr", "bits", "type");
    let mut rows: Vec<(u64, u8, &str, &str)> = placements
        .iter()
        .filter_map(|&(id, paddr)| {
            let named = spec.get(id)?;
            let k = named.object.kernel_object(spec.arch)?;
            Some((
                paddr,
                size_bits(spec, &named.object)?,
                k.ty.name(),
                named.name.as_str(),
            ))
        })
        .collect();
    rows.sort();
    for (paddr, bits, ty, name) in rows {
        let _ = writeln!(out, "  {paddr:<#18x} {bits:<4} {ty:<14} {name}");
    }
    out
}

/// One address space's mappings, one line each, headed by `address` (the column's name).
fn mapping_table(out: &mut String, address: &str, mappings: &[Mapping]) {
    let _ = writeln!(
        out,
        "  {:<18} {:<12} {:<9} {:<6} {:<6} what",
        address, "size", "page", "rights", "cached"
    );
    for m in mappings {
        let what = match &m.source {
            MappingSource::Image => "program image".to_string(),
            MappingSource::Stack => "stack".to_string(),
            MappingSource::IpcBuffer => "IPC buffer".to_string(),
            MappingSource::Region {
                name,
                paddr,
                device,
            } => {
                let kind = if *device { "device region" } else { "region" };
                match paddr {
                    Some(p) => format!("{kind} {name} at paddr {p:#x}"),
                    None => format!("{kind} {name}"),
                }
            }
        };
        let rights = format!(
            "{}{}{}",
            if m.perms.read { 'r' } else { '-' },
            if m.perms.write { 'w' } else { '-' },
            if m.perms.execute { 'x' } else { '-' }
        );
        let _ = writeln!(
            out,
            "  {:<#18x} {:<#12x} {:<#9x} {:<6} {:<6} {what}",
            m.vaddr,
            m.size,
            m.page_size,
            rights,
            if m.cached { "yes" } else { "no" }
        );
    }
    let _ = writeln!(out);
}
