//! The reader fills the model as the manual says, defaults included.

use sysinit_board::Board;
use sysinit_sdf::{
    parse_str, validate, IrqKind, PciAddress, Perms, Polarity, SdfError, SdfErrorKind, Trigger,
};

const ARM_SYSTEM: &str = r#"<?xml version="1.0"?>
<system>
    <memory_region name="guest_ram" size="0x10000000" page_size="0x200000" phys_addr="0x70000000" ram="true" />
    <memory_region name="uart" size="0x1000" phys_addr="0x9000000" />
    <protection_domain name="vmm" priority="200" stack_size="0x4000">
        <program_image path="vmm.elf" />
        <map mr="guest_ram" vaddr="0x40000000" perms="rw" setvar_vaddr="guest_ram" setvar_size="guest_ram_size" />
        <irq id="3" irq="33" trigger="edge" setvar_id="uart_irq" />
        <setvar symbol="guest_ram_paddr" region_paddr="guest_ram" />
        <virtual_machine name="linux" priority="100">
            <vcpu id="0" setvar_id="vcpu0" />
            <map mr="guest_ram" vaddr="0x40000000" perms="rwx" />
            <map mr="uart" vaddr="0x9000000" perms="rw" cached="false" />
        </virtual_machine>
        <protection_domain name="helper" id="1" priority="150">
            <program_image path="helper.elf" />
        </protection_domain>
    </protection_domain>
    <protection_domain name="client">
        <program_image path="client.elf" />
    </protection_domain>
    <channel>
        <end pd="client" id="0" pp="true" notify="false" />
        <end pd="vmm" id="1" setvar_id="client_ch" />
    </channel>
</system>
"#;

#[test]
fn arm_system_with_a_virtual_machine() {
    let d = parse_str(ARM_SYSTEM, "arm.system").unwrap();
    let vmm = d.protection_domain("vmm").unwrap();
    assert_eq!(vmm.priority, 200);
    assert_eq!(vmm.stack_size, 0x4000);
    assert_eq!(vmm.program_image.path, "vmm.elf");
    assert_eq!(vmm.maps[0].setvar_size.as_deref(), Some("guest_ram_size"));
    assert_eq!(
        vmm.irqs[0].kind,
        IrqKind::Arm {
            irq: 33,
            trigger: Trigger::Edge
        }
    );
    assert_eq!(vmm.setvars[0].region_paddr, "guest_ram");
    let vm = vmm.virtual_machine.as_ref().unwrap();
    assert_eq!(vm.priority, Some(100));
    assert_eq!(vm.vcpus[0].id, 0);
    assert_eq!(vm.maps[1].perms, Perms::READ_WRITE);
    assert_eq!(vm.maps[1].cached, Some(false));
    assert!(vm.maps[0].perms.execute);
    let helper = &vmm.children[0];
    assert_eq!((helper.name.as_str(), helper.id), ("helper", Some(1)));
    assert_eq!(helper.location.line, 15);

    // Manual defaults: priority 0, 8 KiB stack, cpu 0, no budget, cached rw maps.
    let client = d.protection_domain("client").unwrap();
    assert_eq!(
        (client.priority, client.stack_size, client.cpu),
        (0, 0x2000, 0)
    );
    assert_eq!(
        (client.budget, client.period, client.passive),
        (None, None, false)
    );
    assert_eq!(client.effective_budget(), 1000);
    assert_eq!(client.effective_period(), 1000);

    let [a, b] = &d.channels[0].ends;
    assert!(a.pp && !a.notify);
    assert!(!b.pp && b.notify);
    assert_eq!(b.setvar_id.as_deref(), Some("client_ch"));

    assert_eq!(d.all_protection_domains().len(), 3);
    let ram = d.memory_region("guest_ram").unwrap();
    assert!(ram.ram);
    assert_eq!(ram.page_size, Some(0x20_0000));

    // Guest RAM at a fixed address in the kernel's RAM says ram="true" (the
    // vm-memory carve-out is handed out as device memory, so not there).
    let board = Board::by_name("qemu-aarch64-virt").unwrap();
    validate(&d, &board).unwrap();

    // The client calls the VMM, which has the higher priority; swapping fails.
    let swapped = ARM_SYSTEM
        .replace(
            r#"<end pd="client" id="0" pp="true""#,
            r#"<end pd="client" id="0""#,
        )
        .replace(
            r#"<end pd="vmm" id="1""#,
            r#"<end pd="vmm" id="1" pp="true""#,
        );
    let d = parse_str(&swapped, "arm.system").unwrap();
    let errors = validate(&d, &board).unwrap_err();
    assert!(matches!(
        errors.errors(),
        [SdfError {
            kind: SdfErrorKind::PpcPriority { .. },
            ..
        }]
    ));
}

const X86_SYSTEM: &str = r#"<system>
    <protection_domain name="net" priority="10">
        <program_image path="net.elf" />
        <irq id="0" pin="11" vector="20" polarity="low" />
        <irq id="1" pcidev="00:02.0" handle="0" vector="21" />
        <ioport id="0" addr="0xc000" size="0x20" setvar_addr="io_base" />
    </protection_domain>
</system>"#;

#[test]
fn x86_interrupts_and_io_ports() {
    let d = parse_str(X86_SYSTEM, "x86.system").unwrap();
    let net = &d.protection_domains[0];
    assert_eq!(
        net.irqs[0].kind,
        IrqKind::Ioapic {
            ioapic: 0,
            pin: 11,
            trigger: Trigger::Level,
            polarity: Polarity::Low,
            vector: 20
        }
    );
    assert_eq!(
        net.irqs[1].kind,
        IrqKind::Msi {
            pcidev: PciAddress {
                bus: 0,
                device: 2,
                function: 0
            },
            handle: 0,
            vector: 21
        }
    );
    assert_eq!((net.ioports[0].addr, net.ioports[0].size), (0xc000, 0x20));
    validate(&d, &Board::by_name("qemu-x86_64").unwrap()).unwrap();

    // The same vector twice is one kernel IRQ bound twice.
    let twice = X86_SYSTEM.replace(r#"vector="21""#, r#"vector="20""#);
    let d = parse_str(&twice, "x86.system").unwrap();
    let errors = validate(&d, &Board::by_name("qemu-x86_64").unwrap()).unwrap_err();
    assert_eq!(
        errors.to_string(),
        "x86.system:5:9: error: <irq id=\"1\"> in <protection_domain name=\"net\">: vector 20 is already bound by protection_domain 'net' (at x86.system:4:9); valid: each interrupt bound once"
    );
}

#[test]
fn vm_maps_take_no_size_setvars_pd_maps_no_reserved_and_top_level_pds_no_id() {
    let text = r#"<system>
    <protection_domain name="vmm" id="3">
        <program_image path="vmm.elf" />
        <map mr="m" vaddr="0x1000" reserved="true" />
        <virtual_machine name="vm">
            <vcpu id="0" />
            <map mr="m" vaddr="0x0" setvar_vaddr="x" setvar_size="y" setvar_prefill_size="z" />
        </virtual_machine>
    </protection_domain>
</system>"#;
    let errors = parse_str(text, "t.system").unwrap_err();
    let attributes: Vec<&str> = errors
        .errors()
        .iter()
        .map(|e| match &e.kind {
            SdfErrorKind::UnknownAttribute { attribute, .. } => attribute.as_str(),
            other => panic!("unexpected {other}"),
        })
        .collect();
    assert_eq!(
        attributes,
        ["id", "reserved", "setvar_size", "setvar_prefill_size"]
    );
}

#[test]
fn guest_extensions_and_prefills_reach_the_model() {
    let text = r#"<system>
    <memory_region name="ram" size="0x200000" page_size="0x200000" prefill_path="guest.bin" />
    <memory_region name="dtb" size="0x1000" />
    <protection_domain name="vmm">
        <program_image path="vmm.elf" />
        <map mr="ram" vaddr="0x40000000" setvar_prefill_size="image_size" />
        <virtual_machine name="vm" priority="100">
            <vcpu id="0" />
            <map mr="ram" vaddr="0x40000000" perms="rwx" setvar_vaddr="ram_gpa" />
            <map mr="dtb" vaddr="0x41000000" reserved="true" />
            <guest_device_tree mr="dtb" bootargs="console=ttyAMA0" />
        </virtual_machine>
    </protection_domain>
</system>"#;
    let d = parse_str(text, "t.system").unwrap();
    assert_eq!(
        d.memory_regions[0].prefill_path.as_deref(),
        Some("guest.bin")
    );
    assert_eq!(d.memory_regions[1].prefill_path, None);
    let vmm = &d.protection_domains[0];
    assert_eq!(
        vmm.maps[0].setvar_prefill_size.as_deref(),
        Some("image_size")
    );
    let vm = vmm.virtual_machine.as_ref().unwrap();
    assert_eq!(vm.maps[0].setvar_vaddr.as_deref(), Some("ram_gpa"));
    assert_eq!((vm.maps[0].reserved, vm.maps[1].reserved), (false, true));
    let dt = vm.guest_device_tree.as_ref().unwrap();
    assert_eq!(
        (dt.mr.as_str(), dt.bootargs.as_deref()),
        ("dtb", Some("console=ttyAMA0"))
    );
    assert_eq!(dt.location.to_string(), "t.system:11:13");
    validate(&d, &Board::by_name("qemu-aarch64-virt").unwrap()).unwrap();
}

#[test]
fn dtds_and_namespaced_elements_are_refused() {
    let dtd = r#"<!DOCTYPE system [<!ENTITY x "y">]><system/>"#;
    assert!(matches!(
        parse_str(dtd, "t").unwrap_err().errors(),
        [SdfError {
            kind: SdfErrorKind::Xml { .. },
            ..
        }]
    ));
    let ns = r#"<system xmlns:q="urn:q"><q:protection_domain name="a"/></system>"#;
    let errors = parse_str(ns, "t").unwrap_err();
    assert_eq!(
        errors.to_string(),
        "t:1:25: error: <{urn:q}protection_domain> in <system>: unknown element; did you mean <protection_domain>? valid: <protection_domain>, <memory_region>, <channel>"
    );
}
