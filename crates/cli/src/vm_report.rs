//! The virtual machines of a spec, as `simulate` prints them: each vCPU thread with
//! its VCPU, stage-2 address space and fault endpoint, and the guest-physical
//! mappings of that address space, as checked in the kernel model.
//!
//! Read from the spec alone (a thread bound to a VCPU is a VM's), so a hand-written
//! spec.json shows the same as one built from a description.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use sysinit_spec::{Object, ObjectId, Spec};

fn name(spec: &Spec, id: ObjectId) -> &str {
    spec.get(id).map_or("?", |o| o.name.as_str())
}

/// The section, empty when the spec has no VCPU threads.
pub fn vm_section(spec: &Spec) -> String {
    let mut out = String::new();
    let mut vspaces = BTreeSet::new();
    for (_, named) in spec.iter() {
        let Object::Tcb(tcb) = &named.object else {
            continue;
        };
        let Some(vcpu) = tcb.vcpu else { continue };
        if out.is_empty() {
            out.push_str("  virtual machine threads (bound to a VCPU):\n");
        }
        let fault = match tcb.fault_endpoint {
            Some(cptr) => match spec.resolve_cptr(&tcb.cspace, cptr) {
                Ok(Some(cap)) => format!(
                    "faults to {} badge {:#x} (CPtr {cptr:#x})",
                    name(spec, cap.object),
                    cap.badge
                ),
                _ => format!("fault endpoint CPtr {cptr:#x}"),
            },
            None => "no fault endpoint".to_string(),
        };
        let _ = writeln!(
            out,
            "    {}: vcpu {}, stage-2 vspace {}, priority {}, {fault}, {}",
            named.name,
            name(spec, vcpu.object),
            name(spec, tcb.vspace.object),
            tcb.priority,
            if tcb.resume {
                "started"
            } else {
                "stopped until its VMM starts it"
            }
        );
        vspaces.insert(tcb.vspace.object);
    }
    for vspace in vspaces {
        let _ = writeln!(
            out,
            "  stage-2 mappings of {} (guest-physical):",
            name(spec, vspace)
        );
        // Runs of frames at consecutive addresses with the same attributes.
        let mut run: Option<(u64, u64, String, String, String)> = None;
        let attrs = |cap: &sysinit_spec::Cap| {
            format!(
                "r{}{} {}",
                if cap.rights.write { 'w' } else { '-' },
                if cap.executable { 'x' } else { '-' },
                if cap.cached { "cached" } else { "uncached" }
            )
        };
        let mut lines = Vec::new();
        for m in spec
            .vspace_mappings(vspace)
            .into_iter()
            .filter(|m| m.is_frame)
        {
            let (end, a, frame) = (
                m.vaddr + (1u64 << m.size_bits()),
                attrs(&m.cap),
                name(spec, m.cap.object).to_string(),
            );
            match &mut run {
                Some((_, run_end, run_attrs, _, last))
                    if *run_end == m.vaddr && *run_attrs == a =>
                {
                    *run_end = end;
                    *last = frame;
                }
                _ => {
                    lines.extend(run.take());
                    run = Some((m.vaddr, end, a, frame.clone(), frame));
                }
            }
        }
        lines.extend(run);
        for (start, end, a, first, last) in lines {
            let frames = if first == last {
                first
            } else {
                format!("{first}..{last}")
            };
            let _ = writeln!(out, "    [{start:#x}..{end:#x}) {a} {frames}");
        }
    }
    out
}
