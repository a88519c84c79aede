//! `<protection_domain>` and everything that can appear inside it.

use roxmltree::Node;

use crate::error::{SdfError, SdfErrorKind};
use crate::model::{
    GuestDeviceTree, IoPort, Irq, IrqKind, Location, Map, ProgramImage, ProtectionDomain, SetVar,
    Vcpu, VirtualMachine, DEFAULT_PRIORITY, DEFAULT_STACK_SIZE,
};
use crate::parse::{is_element, Elem, Parser};

const PD_ATTRIBUTES: [&str; 7] = [
    "name",
    "priority",
    "budget",
    "period",
    "passive",
    "stack_size",
    "cpu",
];
const PD_UNSUPPORTED: [(&str, &str); 3] = [
    (
        "smc",
        "SMC forwarding (KernelAllowSMCCalls) is off in the kernel configuration",
    ),
    (
        "fpu",
        "per-thread FPU control is not implemented; every thread may use the FPU",
    ),
    (
        "domain",
        "the kernel is built with a single scheduling domain",
    ),
];
const PD_CHILDREN: [&str; 7] = [
    "program_image",
    "map",
    "irq",
    "setvar",
    "protection_domain",
    "virtual_machine",
    "ioport",
];

/// Reads a `<protection_domain>`; `parent` describes the enclosing PD of a child.
pub(crate) fn protection_domain(
    parser: &mut Parser<'_, '_>,
    node: Node<'_, '_>,
    parent: Option<&str>,
) -> Option<ProtectionDomain> {
    let elem = Elem::new(parser, node, Some("name"), parent);
    let mut allowed = PD_ATTRIBUTES.to_vec();
    if parent.is_some() {
        allowed.extend(["id", "setvar_id"]);
    }
    elem.check_attributes(parser, &allowed, &PD_UNSUPPORTED);
    parser.check_no_text(node, &elem.describe);

    let name = elem.required_name(parser, "name");
    let id = match parent {
        Some(_) => elem.required_number(parser, "id"),
        None => None,
    };
    let priority = elem.number(parser, "priority").unwrap_or(DEFAULT_PRIORITY);
    let budget = elem.number(parser, "budget");
    let period = elem.number(parser, "period");
    let passive = elem.bool(parser, "passive", false);
    let stack_size = elem
        .number(parser, "stack_size")
        .unwrap_or(DEFAULT_STACK_SIZE);
    let cpu = elem.number(parser, "cpu").unwrap_or(0);
    // Children are described as inside this PD by its own descriptor alone.
    let own = crate::describe::element("protection_domain", "name", node.attribute("name"));

    let mut pd = ProtectionDomain {
        name: name.clone().unwrap_or_default(),
        id,
        priority,
        budget,
        period,
        passive,
        stack_size,
        cpu,
        setvar_id: elem.optional_symbol(parser, "setvar_id"),
        program_image: ProgramImage {
            path: String::new(),
            location: elem.location.clone(),
        },
        maps: Vec::new(),
        irqs: Vec::new(),
        ioports: Vec::new(),
        setvars: Vec::new(),
        children: Vec::new(),
        virtual_machine: None,
        location: elem.location.clone(),
    };
    let mut image_at: Option<Location> = None;
    let mut vm_at: Option<Location> = None;
    for child in node.children().filter(|c| c.is_element()) {
        let at = parser.location(child.range().start);
        if is_element(child, "program_image") {
            if let Some(first) = &image_at {
                parser
                    .errors
                    .push(duplicate(&elem, "program_image", at, first));
            } else if let Some(image) = program_image(parser, child, &own) {
                pd.program_image = image;
            }
            image_at.get_or_insert(parser.location(child.range().start));
        } else if is_element(child, "map") {
            pd.maps.extend(map(parser, child, &own, true));
        } else if is_element(child, "irq") {
            pd.irqs.extend(irq(parser, child, &own));
        } else if is_element(child, "ioport") {
            pd.ioports.extend(ioport(parser, child, &own));
        } else if is_element(child, "setvar") {
            pd.setvars.extend(setvar(parser, child, &own));
        } else if is_element(child, "protection_domain") {
            pd.children
                .extend(protection_domain(parser, child, Some(&own)));
        } else if is_element(child, "virtual_machine") {
            if let Some(first) = &vm_at {
                parser
                    .errors
                    .push(duplicate(&elem, "virtual_machine", at, first));
            } else {
                pd.virtual_machine = virtual_machine(parser, child, &own);
            }
            vm_at.get_or_insert(parser.location(child.range().start));
        } else {
            parser.unexpected_child(child, &elem.describe, &PD_CHILDREN);
        }
    }
    if image_at.is_none() {
        parser.errors.push(SdfError::at(
            elem.location.clone(),
            SdfErrorKind::MissingElement {
                element: elem.describe.clone(),
                child: "program_image".into(),
                valid: "exactly one <program_image path=\"...\">".into(),
            },
        ));
    }
    name.map(|_| pd)
}

fn duplicate(elem: &Elem<'_, '_>, child: &str, at: Location, first: &Location) -> SdfError {
    SdfError::at(
        at,
        SdfErrorKind::DuplicateElement {
            element: elem.describe.clone(),
            child: child.into(),
            first: first.clone(),
        },
    )
}

/// Reports element children of a leaf element and stray text.
fn leaf(parser: &mut Parser<'_, '_>, elem: &Elem<'_, '_>) {
    parser.check_no_text(elem.node, &elem.describe);
    if let Some(child) = elem.node.children().find(|c| c.is_element()) {
        parser.unexpected_child(child, &elem.describe, &[]);
    }
}

fn program_image(
    parser: &mut Parser<'_, '_>,
    node: Node<'_, '_>,
    pd: &str,
) -> Option<ProgramImage> {
    let elem = Elem::new(parser, node, Some("path"), Some(pd));
    elem.check_attributes(
        parser,
        &["path"],
        &[(
            "path_for_symbols",
            "symbols are read from the program image itself",
        )],
    );
    leaf(parser, &elem);
    Some(ProgramImage {
        path: elem.required_nonempty(parser, "path", "the path of an ELF file")?,
        location: elem.location,
    })
}

/// Reads a `<map>`; `in_pd` allows the size setvars, a VM map (`!in_pd`) the
/// `reserved` extension instead.
fn map(parser: &mut Parser<'_, '_>, node: Node<'_, '_>, owner: &str, in_pd: bool) -> Option<Map> {
    let elem = Elem::new(parser, node, Some("mr"), Some(owner));
    let mut allowed = vec!["mr", "vaddr", "perms", "cached", "setvar_vaddr"];
    if in_pd {
        allowed.extend(["setvar_size", "setvar_prefill_size"]);
    } else {
        allowed.push("reserved");
    }
    elem.check_attributes(parser, &allowed, &[]);
    leaf(parser, &elem);
    let mr = elem.required_str(parser, "mr");
    let vaddr = elem.required_number(parser, "vaddr");
    let perms = elem.perms(parser);
    let cached = elem
        .optional_str("cached")
        .map(|_| elem.bool(parser, "cached", true));
    Some(Map {
        mr: mr?,
        vaddr: vaddr?,
        perms,
        cached,
        setvar_vaddr: elem.optional_symbol(parser, "setvar_vaddr"),
        setvar_size: elem.optional_symbol(parser, "setvar_size"),
        setvar_prefill_size: elem.optional_symbol(parser, "setvar_prefill_size"),
        reserved: elem.bool(parser, "reserved", false),
        location: elem.location,
    })
}

const IRQ_KIND_ATTRIBUTES: [&str; 3] = ["irq", "pin", "pcidev"];

fn irq(parser: &mut Parser<'_, '_>, node: Node<'_, '_>, pd: &str) -> Option<Irq> {
    let elem = Elem::new(parser, node, Some("id"), Some(pd));
    leaf(parser, &elem);
    let present: Vec<&str> = IRQ_KIND_ATTRIBUTES
        .into_iter()
        .filter(|a| node.attribute(*a).is_some())
        .collect();
    let kind_attrs: &[&str] = match present.as_slice() {
        ["irq"] => &["irq", "trigger"],
        ["pin"] => &["ioapic", "pin", "trigger", "polarity", "vector"],
        ["pcidev"] => &["pcidev", "handle", "vector"],
        _ => {
            let found = if present.is_empty() {
                "none of them given".to_string()
            } else {
                format!("given: {}", present.join(", "))
            };
            parser.errors.push(SdfError::at(
                elem.location.clone(),
                SdfErrorKind::IrqKind {
                    element: elem.describe.clone(),
                    found,
                },
            ));
            return None;
        }
    };
    let mut allowed = vec!["id", "setvar_id"];
    allowed.extend_from_slice(kind_attrs);
    elem.check_attributes(parser, &allowed, &[]);
    let id = elem.required_number(parser, "id");
    let kind = match present[0] {
        "irq" => {
            let irq = elem.required_number(parser, "irq");
            let trigger = elem.trigger(parser);
            IrqKind::Arm { irq: irq?, trigger }
        }
        "pin" => {
            let ioapic = elem.number(parser, "ioapic").unwrap_or(0);
            let pin = elem.required_number(parser, "pin");
            let trigger = elem.trigger(parser);
            let polarity = elem.polarity(parser);
            let vector = elem.required_number(parser, "vector");
            IrqKind::Ioapic {
                ioapic,
                pin: pin?,
                trigger,
                polarity,
                vector: vector?,
            }
        }
        _ => {
            let pcidev = elem.pcidev(parser);
            let handle = elem.required_number(parser, "handle");
            let vector = elem.required_number(parser, "vector");
            IrqKind::Msi {
                pcidev: pcidev?,
                handle: handle?,
                vector: vector?,
            }
        }
    };
    Some(Irq {
        id: id?,
        kind,
        setvar_id: elem.optional_symbol(parser, "setvar_id"),
        location: elem.location,
    })
}

fn ioport(parser: &mut Parser<'_, '_>, node: Node<'_, '_>, pd: &str) -> Option<IoPort> {
    let elem = Elem::new(parser, node, Some("id"), Some(pd));
    elem.check_attributes(
        parser,
        &["id", "addr", "size", "setvar_id", "setvar_addr"],
        &[],
    );
    leaf(parser, &elem);
    let id = elem.required_number(parser, "id");
    let addr = elem.required_number(parser, "addr");
    let size = elem.required_number(parser, "size");
    Some(IoPort {
        id: id?,
        addr: addr?,
        size: size?,
        setvar_id: elem.optional_symbol(parser, "setvar_id"),
        setvar_addr: elem.optional_symbol(parser, "setvar_addr"),
        location: elem.location,
    })
}

fn setvar(parser: &mut Parser<'_, '_>, node: Node<'_, '_>, pd: &str) -> Option<SetVar> {
    let elem = Elem::new(parser, node, Some("symbol"), Some(pd));
    elem.check_attributes(parser, &["symbol", "region_paddr"], &[]);
    leaf(parser, &elem);
    let symbol = elem.required_nonempty(
        parser,
        "symbol",
        "the name of a symbol in the program image",
    );
    let region_paddr = elem.required_str(parser, "region_paddr");
    Some(SetVar {
        symbol: symbol?,
        region_paddr: region_paddr?,
        location: elem.location,
    })
}

fn virtual_machine(
    parser: &mut Parser<'_, '_>,
    node: Node<'_, '_>,
    pd: &str,
) -> Option<VirtualMachine> {
    let elem = Elem::new(parser, node, Some("name"), Some(pd));
    elem.check_attributes(parser, &["name", "priority", "budget", "period"], &[]);
    parser.check_no_text(node, &elem.describe);
    let name = elem.required_name(parser, "name");
    let own = crate::describe::element("virtual_machine", "name", node.attribute("name"));
    let mut vm = VirtualMachine {
        name: name.clone().unwrap_or_default(),
        priority: elem.number(parser, "priority"),
        budget: elem.number(parser, "budget"),
        period: elem.number(parser, "period"),
        vcpus: Vec::new(),
        maps: Vec::new(),
        guest_device_tree: None,
        location: elem.location.clone(),
    };
    let mut saw_vcpu = false;
    let mut dt_at: Option<Location> = None;
    for child in node.children().filter(|c| c.is_element()) {
        if is_element(child, "vcpu") {
            saw_vcpu = true;
            vm.vcpus.extend(vcpu(parser, child, &own));
        } else if is_element(child, "map") {
            vm.maps.extend(map(parser, child, &own, false));
        } else if is_element(child, "guest_device_tree") {
            let at = parser.location(child.range().start);
            if let Some(first) = &dt_at {
                parser
                    .errors
                    .push(duplicate(&elem, "guest_device_tree", at, first));
            } else {
                vm.guest_device_tree = guest_device_tree(parser, child, &own);
                dt_at = Some(at);
            }
        } else {
            parser.unexpected_child(child, &elem.describe, &VM_CHILDREN);
        }
    }
    if !saw_vcpu {
        parser.errors.push(SdfError::at(
            elem.location.clone(),
            SdfErrorKind::MissingElement {
                element: elem.describe.clone(),
                child: "vcpu".into(),
                valid: "at least one <vcpu id=\"...\">".into(),
            },
        ));
    }
    name.map(|_| vm)
}

const VM_CHILDREN: [&str; 3] = ["vcpu", "map", "guest_device_tree"];

/// `<guest_device_tree mr bootargs initrd_mr>` (sysinit extension).
fn guest_device_tree(
    parser: &mut Parser<'_, '_>,
    node: Node<'_, '_>,
    vm: &str,
) -> Option<GuestDeviceTree> {
    let elem = Elem::new(parser, node, Some("mr"), Some(vm));
    elem.check_attributes(parser, &["mr", "bootargs", "initrd_mr"], &[]);
    leaf(parser, &elem);
    Some(GuestDeviceTree {
        mr: elem.required_str(parser, "mr")?,
        bootargs: elem.optional_str("bootargs"),
        initrd_mr: elem.optional_str("initrd_mr"),
        location: elem.location,
    })
}

fn vcpu(parser: &mut Parser<'_, '_>, node: Node<'_, '_>, vm: &str) -> Option<Vcpu> {
    let elem = Elem::new(parser, node, Some("id"), Some(vm));
    elem.check_attributes(parser, &["id", "cpu", "setvar_id"], &[]);
    leaf(parser, &elem);
    let id = elem.required_number(parser, "id");
    let cpu = elem.number(parser, "cpu");
    Some(Vcpu {
        id: id?,
        cpu,
        setvar_id: elem.optional_symbol(parser, "setvar_id"),
        location: elem.location,
    })
}
