//! The human-readable summary of a simulated boot.

use std::fmt;

use sysinit_board::Board;
use sysinit_kobj::BootUntyped;
use sysinit_planner::Request;
use sysinit_sim::Simulation;

use crate::input::UntypedSource;
use crate::units::Bytes;

/// What `simulate` prints after the trace.
pub struct Report<'a> {
    pub spec: &'a str,
    /// The spec itself, for its virtual machines.
    pub spec_object: &'a sysinit_spec::Spec,
    pub board: &'a Board,
    pub untypeds: &'a [BootUntyped],
    pub source: &'a UntypedSource,
    pub requests: &'a [Request<'a>],
    pub sim: &'a Simulation,
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.sim.plan.stats;
        writeln!(
            f,
            "sysinit simulate: {} on board {}",
            self.spec,
            self.board.name()
        )?;
        let device = self.untypeds.iter().filter(|u| u.is_device).count();
        match self.source {
            UntypedSource::Board { ram_bytes, dropped } => writeln!(
                f,
                "  boot untypeds: {} ({device} device, {} RAM) derived from the board with {} of RAM{}",
                self.untypeds.len(),
                self.untypeds.len() - device,
                Bytes(*ram_bytes),
                if *dropped > 0 { format!("; {dropped} beyond the bootinfo capacity") } else { String::new() }
            )?,
            UntypedSource::Log(path) => writeln!(
                f,
                "  boot untypeds: {} ({device} device, {} RAM) recorded in {}",
                self.untypeds.len(),
                self.untypeds.len() - device,
                path.display()
            )?,
        }
        writeln!(
            f,
            "  objects: {} in {} retypes ({} to reach fixed addresses, {} to realign), {} kernel invocations",
            s.objects,
            s.retypes,
            s.reach_retypes,
            self.sim.plan.steps.iter().filter(|st| st.purpose == sysinit_planner::Purpose::Realign).count(),
            self.sim.invocations
        )?;
        writeln!(
            f,
            "  memory: {} in objects, {} lost to alignment",
            Bytes(s.bytes_used),
            Bytes(s.bytes_lost_to_alignment)
        )?;
        if !self.sim.plan.fixed_costs.is_empty() {
            writeln!(
                f,
                "  fixed-address objects (retypes spent; each pure strategy alone):"
            )?;
            let width = self
                .sim
                .plan
                .fixed_costs
                .iter()
                .map(|c| self.requests[c.object as usize].name.len())
                .max()
                .unwrap_or(0);
            for c in &self.sim.plan.fixed_costs {
                let r = &self.requests[c.object as usize];
                writeln!(
                    f,
                    "    {:width$}  {:<10} {:#16x}  {:>3} retypes (cut {}, split {})",
                    r.name,
                    r.ty.name(),
                    self.sim.plan.placements[c.object as usize],
                    c.retypes,
                    c.cut_alone,
                    c.split_alone,
                )?;
            }
        }
        f.write_str(&crate::vm_report::vm_section(self.spec_object))?;
        writeln!(
            f,
            "  result: all {} objects are where the plan put them (checked in the kernel model)",
            s.objects
        )
    }
}
