//! Feeds arbitrary bytes to the device tree reader (`sysinit_fdt::Fdt`): it
//! may refuse them, never panic. A tree it accepts is walked whole (every
//! node, property, value accessor, `reg`, path lookup), and written again
//! with the writer: when the writer takes its names, reading the copy gives
//! the same nodes and properties.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sysinit_fdt::{Fdt, FdtWriter, Node};

/// Every node as (depth, name, properties), depth first.
type Flat<'a> = Vec<(usize, &'a str, Vec<(&'a str, &'a [u8])>)>;

fn flatten<'a>(fdt: &Fdt<'a>) -> Flat<'a> {
    fdt.nodes()
        .map(|n| {
            let props = n.properties().map(|p| (p.name(), p.value())).collect();
            (n.depth(), n.name(), props)
        })
        .collect()
}

fn exercise(node: &Node) {
    let _ = (
        node.cells(),
        node.base_name(),
        node.unit_address(),
        node.is_compatible("arm,pl011"),
    );
    if let Ok(reg) = node.reg() {
        let n = reg.len();
        assert_eq!(reg.count(), n);
    }
    for p in node.properties() {
        let _ = (p.as_u32(), p.as_u64(), p.as_str());
        if let Ok(cells) = p.u32s() {
            assert_eq!(cells.len() * 4, p.value().len());
        }
        if let Ok(strings) = p.strings() {
            let _ = strings.count();
        }
    }
    // Children are exactly the walk's nodes one level down.
    for child in node.children() {
        assert_eq!(child.depth(), node.depth() + 1);
    }
}

fn rewrite(flat: &Flat) -> Option<Vec<u8>> {
    let mut w = FdtWriter::new();
    let mut depth = 0;
    for (d, name, props) in flat {
        while depth > *d {
            w.end_node().ok()?;
            depth -= 1;
        }
        w.begin_node(name).ok()?;
        depth += 1;
        for (pname, value) in props {
            w.property(pname, value).ok()?;
        }
    }
    while depth > 0 {
        w.end_node().ok()?;
        depth -= 1;
    }
    w.finish().ok()
}

fuzz_target!(|data: &[u8]| {
    let Ok(fdt) = Fdt::new(data) else {
        return;
    };
    assert!(fdt.total_size() <= data.len());
    let _ = fdt.reservations().count();
    let mut path = Vec::new();
    let mut paths = Vec::new();
    for node in fdt.nodes() {
        exercise(&node);
        path.truncate(node.depth());
        path.push(node.name());
        paths.push(if path.len() == 1 {
            "/".to_string()
        } else {
            path.join("/")
        });
    }
    // Each node's path finds a node of that name; when no two nodes share a
    // path (dtc refuses such trees, the reader does not look), it finds it
    // for every node.
    let unique = paths
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len()
        == paths.len();
    for full in &paths {
        match fdt.find_node(full) {
            Some(found) => assert!(full.ends_with(found.name())),
            None => assert!(!unique, "{full} not found"),
        }
    }
    let flat = flatten(&fdt);
    if let Some(copy) = rewrite(&flat) {
        let again = Fdt::new(&copy).expect("the writer's output reads back");
        assert_eq!(flatten(&again), flat);
    }
});
