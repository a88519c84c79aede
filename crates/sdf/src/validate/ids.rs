//! Id ranges: channel, interrupt, I/O port, child and vCPU ids.

use crate::describe;
use crate::error::{SdfError, SdfErrorKind};
use crate::model::Location;
use crate::validate::limits::{MAX_CHANNEL_ID, MAX_CHILD_ID, MAX_IOPORT_ID};
use crate::validate::Ctx;

/// Every id fits the range the manual gives for its kind.
pub(crate) fn check_id_ranges(ctx: &Ctx<'_>, errors: &mut Vec<SdfError>) {
    let mut check =
        |kind: &'static str, value: u64, max: u64, location: &Location, element: String| {
            if value > max {
                errors.push(SdfError::at(
                    location.clone(),
                    SdfErrorKind::IdOutOfRange {
                        element,
                        kind,
                        value,
                        max,
                    },
                ));
            }
        };
    for end in ctx.description.channels.iter().flat_map(|c| c.ends.iter()) {
        let element = describe::element("end", "pd", Some(&end.pd));
        check("channel id", end.id, MAX_CHANNEL_ID, &end.location, element);
    }
    for (pd, parent) in &ctx.pds {
        let owner = describe::pd(pd);
        for irq in &pd.irqs {
            let element = describe::element("irq", "id", Some(&irq.id.to_string()));
            let element = describe::inside(&element, &owner);
            check("irq id", irq.id, MAX_CHANNEL_ID, &irq.location, element);
        }
        for port in &pd.ioports {
            let element = describe::element("ioport", "id", Some(&port.id.to_string()));
            let element = describe::inside(&element, &owner);
            check("ioport id", port.id, MAX_IOPORT_ID, &port.location, element);
        }
        if let (Some(id), Some(parent)) = (pd.id, parent) {
            let element = describe::inside(&owner, &describe::pd(parent));
            check("child id", id, MAX_CHILD_ID, &pd.location, element);
        }
        if let Some(vm) = &pd.virtual_machine {
            for vcpu in &vm.vcpus {
                let element = describe::element("vcpu", "id", Some(&vcpu.id.to_string()));
                let element = describe::inside(&element, &describe::vm(vm));
                check("vcpu id", vcpu.id, MAX_CHILD_ID, &vcpu.location, element);
            }
        }
    }
}
