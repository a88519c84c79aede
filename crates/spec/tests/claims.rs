//! Interrupts, vectors and I/O ports are claimed once per spec: the kernel issues each
//! once, so a second claim would fail on the real boot after other objects exist.

mod common;

use common::example;
use sysinit_spec::{Arch, Irq, IrqSource, Object, Spec};

fn refused(spec: &Spec, object: &str) -> String {
    let err = spec.validate().expect_err("the spec should be invalid");
    assert_eq!(err.object.as_deref(), Some(object), "{err}");
    err.to_string()
}

#[test]
fn interrupts_are_claimed_once() {
    let mut spec = example(Arch::Aarch64);
    let irq = Irq {
        source: IrqSource::Arm {
            irq: 33,
            edge_triggered: true,
        },
        notification: None,
    };
    spec.objects.push(sysinit_spec::NamedObject {
        name: "second".into(),
        object: Object::Irq(irq),
    });
    let text = refused(&spec, "second");
    assert_eq!(
        text,
        "object \"second\": interrupt 33 is also claimed by \"driver.uart_irq\""
    );

    let mut spec = example(Arch::X86_64);
    let irq = Irq {
        source: IrqSource::Msi {
            pci_bus: 0,
            pci_dev: 3,
            pci_func: 0,
            handle: 0,
            vector: 4,
        },
        notification: None,
    };
    spec.objects.push(sysinit_spec::NamedObject {
        name: "msi".into(),
        object: Object::Irq(irq),
    });
    let text = refused(&spec, "msi");
    assert_eq!(
        text,
        "object \"msi\": vector 4 is also claimed by \"driver.uart_irq\""
    );
}

#[test]
fn io_ports_are_claimed_once() {
    // The example's driver has COM1, 0x3f8..=0x3ff; a range reaching into it from
    // either side, or inside it, is refused; one right after it is not.
    for (first, last) in [
        (0x3f0, 0x3f8),
        (0x3ff, 0x400),
        (0x3fa, 0x3fb),
        (0x3f0, 0x400),
    ] {
        let mut spec = example(Arch::X86_64);
        spec.objects.push(sysinit_spec::NamedObject {
            name: "other".into(),
            object: Object::IoPorts(sysinit_spec::IoPorts { first, last }),
        });
        let text = refused(&spec, "other");
        assert_eq!(
            text,
            format!(
                "object \"other\": I/O ports {first:#x}..={last:#x} overlap those of \
                 \"driver.com1_ports\"; the kernel issues each port once, so give every port \
                 to one I/O port object"
            )
        );
    }
    let mut spec = example(Arch::X86_64);
    spec.objects.push(sysinit_spec::NamedObject {
        name: "next".into(),
        object: Object::IoPorts(sysinit_spec::IoPorts {
            first: 0x400,
            last: 0x407,
        }),
    });
    spec.validate().expect("disjoint port ranges");
}
