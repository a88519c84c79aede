//! Channels: notification and protected procedure call caps, badged with the
//! receiving end's id, at the sending end's pd-abi slots.

use std::collections::BTreeMap;

use sysinit_pd_abi as abi;
use sysinit_sdf::SystemDescription;
use sysinit_spec::{Cap, Rights};

use super::pd::PdObjects;
use super::Layout;

/// Gives each end of every channel its caps to the other end.
pub(super) fn connect(
    layout: &mut Layout,
    description: &SystemDescription,
    objects: &BTreeMap<&str, PdObjects>,
) {
    for ch in &description.channels {
        for (from, to) in [(0, 1), (1, 0)] {
            let (a, z) = (&ch.ends[from], &ch.ends[to]);
            let (Some(ao), Some(zo)) = (objects.get(a.pd.as_str()), objects.get(z.pd.as_str()))
            else {
                continue;
            };
            if a.notify {
                let cap = Cap::new(zo.notification)
                    .with_rights(Rights::WRITE)
                    .with_badge(1 << z.id);
                let slot = abi::BASE_OUTPUT_NOTIFICATION_CAP + a.id;
                layout.set_slot(ao.cnode, slot, cap);
            }
            if let (true, Some(ep)) = (a.pp, zo.endpoint) {
                let cap = Cap::new(ep).with_badge(abi::PPC_BADGE | z.id);
                layout.set_slot(ao.cnode, abi::BASE_ENDPOINT_CAP + a.id, cap);
            }
        }
    }
}
