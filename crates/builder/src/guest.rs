//! Guest device trees: what `<guest_device_tree>` asks for, gathered from the
//! description and the board, and the generated blob as the prefill of its region.
//!
//! Guest RAM (`/memory`) is every map of the VM of a RAM region that is not
//! `reserved`, merged where contiguous; reserved maps go to `/reserved-memory`;
//! maps of device regions are passthrough devices, named by the board's device
//! window their physical address lies in. The initramfs (`initrd_mr`) is the
//! prefill file's exact bytes at the region's guest-physical address.
//!
//! The generator itself is the `sysinit-guest-dt` crate; [`guest_device_tree`] is
//! the one place that calls it.

use std::collections::BTreeMap;

use sysinit_board::Board;
use sysinit_sdf::{describe, SystemDescription, VirtualMachine};

use crate::error::{BuildError, BuildErrors};
use crate::prefill::{fits, Prefill, Prefills};
use sysinit_guest_dt::{GuestDtInput, GuestRange, NamedGuestRange, Passthrough};

/// The generator's input for `vm` (the description passed validation; `prefills`
/// holds the files read for it).
pub(crate) fn guest_dt_input(
    description: &SystemDescription,
    board: &Board,
    vm: &VirtualMachine,
    prefills: &Prefills,
) -> GuestDtInput {
    let mut ram: Vec<GuestRange> = Vec::new();
    let mut reserved = Vec::new();
    let mut passthrough = Vec::new();
    let devices = board.device_ranges();
    for map in &vm.maps {
        let Some(mr) = description.memory_region(&map.mr) else {
            continue;
        };
        let guest = GuestRange {
            start: map.vaddr,
            size: mr.size,
        };
        match mr.phys_addr.filter(|_| mr.is_device()) {
            Some(phys) => {
                let device = devices
                    .iter()
                    .find(|d| d.range.start <= phys && phys < d.range.end)
                    .map_or_else(|| mr.name.clone(), |d| d.name.clone());
                passthrough.push(Passthrough {
                    device,
                    phys: GuestRange {
                        start: phys,
                        size: mr.size,
                    },
                    guest,
                });
            }
            None if map.reserved => reserved.push(NamedGuestRange {
                name: mr.name.clone(),
                range: guest,
            }),
            None => ram.push(guest),
        }
    }
    ram.sort_by_key(|r| r.start);
    let mut merged: Vec<GuestRange> = Vec::with_capacity(ram.len());
    for r in ram {
        match merged.last_mut() {
            Some(last) if last.start + last.size == r.start => last.size += r.size,
            _ => merged.push(r),
        }
    }
    reserved.sort_by_key(|r| r.range.start);
    passthrough.sort_by_key(|p| p.guest.start);
    let dt = vm.guest_device_tree.as_ref();
    let initrd = dt.and_then(|dt| dt.initrd_mr.as_ref()).and_then(|name| {
        let map = vm.maps.iter().find(|m| &m.mr == name)?;
        let file = prefills.get(name)?;
        Some(GuestRange {
            start: map.vaddr,
            size: file.bytes.len() as u64,
        })
    });
    GuestDtInput {
        board: board.name().to_string(),
        vcpus: vm.vcpus.iter().map(|v| v.id).collect(),
        ram: merged,
        reserved,
        passthrough,
        bootargs: dt.and_then(|dt| dt.bootargs.clone()),
        initrd,
    }
}

/// The guest's device tree blob, or why the generator refuses the VM (its message
/// says it is about the guest device tree; the caller adds the element).
pub(crate) fn guest_device_tree(input: &GuestDtInput) -> Result<Vec<u8>, String> {
    sysinit_guest_dt::generate(input).map_err(|e| e.to_string())
}

/// Generates the device tree of every VM with a `<guest_device_tree>`, adds each as
/// the prefill of its region (refused if it does not fit), and returns them by VM name.
pub(crate) fn add_device_trees(
    description: &SystemDescription,
    board: &Board,
    prefills: &mut Prefills,
) -> Result<BTreeMap<String, Vec<u8>>, BuildErrors> {
    let mut errors = Vec::new();
    let mut trees = BTreeMap::new();
    for (pd, _) in description.all_protection_domains() {
        let Some(vm) = &pd.virtual_machine else {
            continue;
        };
        let Some(dt) = &vm.guest_device_tree else {
            continue;
        };
        let Some(mr) = description.memory_region(&dt.mr) else {
            continue; // validation reports it
        };
        let input = guest_dt_input(description, board, vm, prefills);
        let blob = match guest_device_tree(&input) {
            Ok(blob) => blob,
            Err(message) => {
                let element = describe::element("guest_device_tree", "mr", Some(&dt.mr));
                errors.push(BuildError::GuestDeviceTree {
                    location: dt.location.clone(),
                    element: describe::inside(&element, &describe::vm(vm)),
                    message,
                });
                continue;
            }
        };
        let what = format!("the guest device tree of '{}'", vm.name);
        if let Err(e) = fits(mr, &what, blob.len() as u64) {
            errors.push(*e);
            continue;
        }
        prefills.insert(
            mr.name.clone(),
            Prefill {
                what,
                bytes: blob.clone(),
            },
        );
        trees.insert(vm.name.clone(), blob);
    }
    if errors.is_empty() {
        Ok(trees)
    } else {
        Err(BuildErrors(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_initrd_is_the_prefill_files_bytes_where_the_vm_maps_it() {
        let text = r#"<system>
    <memory_region name="ram" size="0x200000" page_size="0x200000" />
    <memory_region name="initrd" size="0x10000" prefill_path="initramfs.cpio" />
    <memory_region name="dtb" size="0x1000" />
    <protection_domain name="vmm">
        <program_image path="vmm.elf" />
        <virtual_machine name="guest">
            <vcpu id="0" />
            <map mr="ram" vaddr="0x40000000" />
            <map mr="initrd" vaddr="0x40200000" />
            <map mr="dtb" vaddr="0x40210000" />
            <guest_device_tree mr="dtb" initrd_mr="initrd" />
        </virtual_machine>
    </protection_domain>
</system>"#;
        let d = sysinit_sdf::parse_str(text, "t.system").unwrap();
        let board = Board::by_name("qemu-aarch64-virt").unwrap();
        let vm = d.protection_domains[0].virtual_machine.as_ref().unwrap();
        let mut prefills = Prefills::new();
        prefills.insert(
            "initrd".into(),
            Prefill {
                what: "prefill file initramfs.cpio".into(),
                bytes: vec![7; 0x1234],
            },
        );
        let input = guest_dt_input(&d, &board, vm, &prefills);
        assert_eq!(input.initrd, Some(GuestRange::new(0x4020_0000, 0x1234)));
        assert_eq!(input.ram, [GuestRange::new(0x4000_0000, 0x21_1000)]);
    }

    #[test]
    fn ram_reserved_and_passthrough_come_from_the_vm_maps() {
        let text = r#"<system>
    <memory_region name="ram_lo" size="0x200000" page_size="0x200000" />
    <memory_region name="ram_hi" size="0x1000" />
    <memory_region name="shared" size="0x1000" />
    <memory_region name="uart" size="0x1000" phys_addr="0x9000000" />
    <memory_region name="bar" size="0x100000" phys_addr="0x80_0000_0000" />
    <protection_domain name="vmm">
        <program_image path="vmm.elf" />
        <virtual_machine name="guest">
            <vcpu id="1" />
            <vcpu id="0" />
            <map mr="ram_hi" vaddr="0x40200000" />
            <map mr="ram_lo" vaddr="0x40000000" />
            <map mr="shared" vaddr="0x41001000" reserved="true" />
            <map mr="bar" vaddr="0x80_0000_0000" />
            <map mr="uart" vaddr="0x9000000" />
            <guest_device_tree mr="ram_hi" bootargs="console=ttyAMA0" />
        </virtual_machine>
    </protection_domain>
</system>"#;
        let d = sysinit_sdf::parse_str(text, "t.system").unwrap();
        let board = Board::by_name("qemu-aarch64-virt").unwrap();
        let vm = d.protection_domains[0].virtual_machine.as_ref().unwrap();
        let range = |start, size| GuestRange { start, size };
        assert_eq!(
            guest_dt_input(&d, &board, vm, &Prefills::new()),
            GuestDtInput {
                board: "qemu-aarch64-virt".into(),
                vcpus: vec![1, 0],
                ram: vec![range(0x4000_0000, 0x20_1000)],
                reserved: vec![NamedGuestRange {
                    name: "shared".into(),
                    range: range(0x4100_1000, 0x1000),
                }],
                passthrough: vec![
                    Passthrough {
                        device: "pl011-uart".into(),
                        phys: range(0x900_0000, 0x1000),
                        guest: range(0x900_0000, 0x1000),
                    },
                    Passthrough {
                        device: "pcie-mmio-high".into(),
                        phys: range(0x80_0000_0000, 0x10_0000),
                        guest: range(0x80_0000_0000, 0x10_0000),
                    },
                ],
                bootargs: Some("console=ttyAMA0".into()),
                initrd: None,
            }
        );
    }
}
