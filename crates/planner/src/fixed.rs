//! Fixed-address objects: validation, then placement by cutting and splitting in kernel-virtual space.
//!
//! Each boot untyped that holds fixed-address objects is planned on its own.
//! A fresh (childless) untyped node of 2^k bytes can reach its targets in two
//! ways:
//! - **cut**: from the watermark, cut the gap before each target into maximal
//!   aligned untypeds, create the target, continue after it;
//! - **split**: retype the node into two fresh halves of 2^(k-1) bytes and
//!   treat each half that holds targets as a node of its own.
//!
//! The planner takes the cheaper of the two at every node (a small dynamic
//! program over the binary tree of halves), so the total number of retypes is
//! never above what pure cutting or pure binary splitting would take. Every
//! piece cut off or split off stays an untyped: RAM pieces feed the packing of
//! ordinary objects, device pieces stay available. Nothing is consumed by
//! placeholder objects.

use alloc::string::ToString;
use alloc::vec::Vec;
use sysinit_kobj::{is_aligned, Arch, BootUntyped, MIN_UNTYPED_BITS};

use crate::error::{untyped_ranges, PlanError};
use crate::tile::{cut_retypes, for_each_cut};
use crate::{cut_cost, split_cost, Builder, FixedCost, Purpose, Request, Source, UntypedRef, What};

/// A fixed-address object inside its boot untyped.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target {
    /// Offset from the untyped's base (equal in physical and kernel-virtual space).
    off: u64,
    bits: u8,
    id: u32,
}

/// The fixed-address objects of each boot untyped that has any, by untyped index.
pub(crate) struct FixedGroups {
    /// (boot untyped index, its targets sorted by offset), sorted by untyped index.
    pub(crate) groups: Vec<(u32, Vec<Target>)>,
}

impl FixedGroups {
    /// Whether boot untyped `index` holds fixed-address objects.
    pub(crate) fn holds(&self, index: u32) -> bool {
        self.groups.binary_search_by_key(&index, |g| g.0).is_ok()
    }
}

/// A RAM untyped with room left, for ordinary objects.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FreeRegion {
    pub(crate) source: Source,
    pub(crate) size_bits: u8,
    /// Bytes already used from the start.
    pub(crate) watermark: u64,
}

/// Checks every fixed address and sorts the fixed-address objects into their untypeds.
pub(crate) fn validate_fixed(
    arch: Arch,
    untypeds: &[BootUntyped],
    requests: &[Request<'_>],
    sizes: &[u8],
) -> Result<FixedGroups, PlanError> {
    let window = arch.kernel_window();
    let mut by_paddr: Vec<u32> = (0..untypeds.len() as u32).collect();
    by_paddr.sort_by_key(|&i| untypeds[i as usize].paddr);

    let mut groups: Vec<(u32, Vec<Target>)> = Vec::new();
    for (id, r) in requests.iter().enumerate() {
        let Some(paddr) = r.paddr else { continue };
        let bits = sizes[id];
        if !is_aligned(paddr, bits) {
            return Err(PlanError::Misaligned {
                name: r.name.to_string(),
                paddr,
                size_bits: bits,
            });
        }
        let outside = || PlanError::OutsideUntypeds {
            name: r.name.to_string(),
            paddr,
            size_bits: bits,
            valid: untyped_ranges(untypeds),
        };
        // The untyped with the highest base at or below `paddr` is the only candidate:
        // boot untypeds never overlap.
        let pos = by_paddr.partition_point(|&i| untypeds[i as usize].paddr <= paddr);
        let index = *by_paddr.get(pos.wrapping_sub(1)).ok_or_else(outside)?;
        let ut = &untypeds[index as usize];
        let off = paddr - ut.paddr;
        if bits > ut.size_bits || off > ut.size() - (1u64 << bits) {
            return Err(outside());
        }
        if ut.is_device && !r.ty.allowed_in_device_memory() {
            return Err(PlanError::KernelObjectInDeviceMemory {
                name: r.name.to_string(),
                ty: r.ty,
                paddr,
            });
        }
        // The kernel aligns the object's kernel-virtual address. The untyped's base is
        // size-aligned there, so the object lands on `paddr` only if its offset is aligned.
        if !is_aligned(off, bits) {
            return Err(PlanError::KernelVirtualMisaligned {
                name: r.name.to_string(),
                paddr,
                kva: window.kva(paddr),
                size_bits: bits,
            });
        }
        let target = Target {
            off,
            bits,
            id: id as u32,
        };
        match groups.iter_mut().find(|g| g.0 == index) {
            Some(g) => g.1.push(target),
            None => groups.push((index, alloc::vec![target])),
        }
    }
    groups.sort_by_key(|g| g.0);
    for (_, targets) in &mut groups {
        targets.sort_by_key(|t| (t.off, t.id));
        for pair in targets.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if a.off + (1u64 << a.bits) > b.off {
                let (ra, rb) = (&requests[a.id as usize], &requests[b.id as usize]);
                return Err(PlanError::FixedOverlap {
                    first: ra.name.to_string(),
                    first_paddr: ra.paddr.unwrap_or_default(),
                    first_size_bits: a.bits,
                    second: rb.name.to_string(),
                    second_paddr: rb.paddr.unwrap_or_default(),
                });
            }
        }
    }
    Ok(FixedGroups { groups })
}

/// Places every fixed-address object and collects the RAM left free around them.
pub(crate) fn place_fixed(
    b: &mut Builder,
    untypeds: &[BootUntyped],
    requests: &[Request<'_>],
    groups: &FixedGroups,
    free: &mut Vec<FreeRegion>,
) {
    for (index, targets) in &groups.groups {
        let ut = untypeds[*index as usize];
        let mut solver = Solver {
            targets,
            requests,
            fan_out: b.config.fan_out_limit,
            nodes: Vec::new(),
        };
        let root = solver.solve(0, ut.size_bits, 0, targets.len());
        let source = Source {
            r: UntypedRef::Boot(*index),
            kva: b.window.kva(ut.paddr),
            is_device: ut.is_device,
        };
        let mut emit = Emitter {
            solver: &solver,
            b,
            free,
            pending: 0,
            boot_bits: ut.size_bits,
        };
        emit.node(root, source, 0, ut.size_bits, 0, targets.len());
    }
}

/// Whether two targets can be created by one retype (same type and size, adjacent).
fn same_run(requests: &[Request<'_>], a: &Target, b: &Target) -> bool {
    let (ra, rb) = (&requests[a.id as usize], &requests[b.id as usize]);
    ra.ty == rb.ty && ra.size_arg == rb.size_arg && a.off + (1u64 << a.bits) == b.off
}

/// End (exclusive) of the run of targets starting at `i` that one retype can create.
fn run_end(
    requests: &[Request<'_>],
    targets: &[Target],
    i: usize,
    hi: usize,
    fan_out: u32,
) -> usize {
    let mut j = i + 1;
    while j < hi && (j - i) < fan_out as usize && same_run(requests, &targets[j - 1], &targets[j]) {
        j += 1;
    }
    j
}

#[derive(Clone, Copy, Debug)]
enum Decision {
    /// Cut gaps and create targets in address order from the node's start.
    Cut,
    /// Split into halves; each half that holds targets is a child node.
    Split([Option<u32>; 2]),
}

struct Node {
    decision: Decision,
    cost: u32,
}

struct Solver<'a> {
    targets: &'a [Target],
    requests: &'a [Request<'a>],
    fan_out: u32,
    nodes: Vec<Node>,
}

impl Solver<'_> {
    /// Retypes to create `targets[lo..hi]` by cutting, in a fresh node starting at offset `base`.
    fn cut_cost(&self, base: u64, lo: usize, hi: usize) -> u32 {
        let (mut w, mut cost, mut i) = (base, 0, lo);
        while i < hi {
            let j = run_end(self.requests, self.targets, i, hi, self.fan_out);
            cost += cut_retypes(w, self.targets[i].off, self.fan_out) + 1;
            let last = &self.targets[j - 1];
            w = last.off + (1u64 << last.bits);
            i = j;
        }
        cost
    }

    /// Decides how to reach `targets[lo..hi]` in the fresh node of 2^`bits` bytes at
    /// offset `base`; returns the node's index.
    fn solve(&mut self, base: u64, bits: u8, lo: usize, hi: usize) -> u32 {
        let cut = self.cut_cost(base, lo, hi);
        let mut best = Node {
            decision: Decision::Cut,
            cost: cut,
        };
        let largest = self.targets[lo..hi]
            .iter()
            .map(|t| t.bits)
            .max()
            .unwrap_or(0);
        let half = bits - 1;
        // Splitting costs one retype plus at least one per half that holds targets, so it
        // is only worth exploring when cutting costs more than that.
        if bits > largest && half >= MIN_UNTYPED_BITS {
            let mid = base + (1u64 << half);
            let p = lo + self.targets[lo..hi].partition_point(|t| t.off < mid);
            let lower_bound = 1 + u32::from(lo < p) + u32::from(p < hi);
            if cut > lower_bound {
                let mut cost = 1;
                let mut halves = [None, None];
                for (h, (start, l, r)) in [(base, lo, p), (mid, p, hi)].into_iter().enumerate() {
                    if l < r {
                        let n = self.solve(start, half, l, r);
                        cost += self.nodes[n as usize].cost;
                        halves[h] = Some(n);
                    }
                }
                if cost < cut {
                    best = Node {
                        decision: Decision::Split(halves),
                        cost,
                    };
                }
            }
        }
        self.nodes.push(best);
        (self.nodes.len() - 1) as u32
    }
}

struct Emitter<'s, 'b> {
    solver: &'s Solver<'s>,
    b: &'b mut Builder,
    free: &'b mut Vec<FreeRegion>,
    /// Retypes emitted since the last target was created, charged to the next one.
    pending: u32,
    /// Size of the boot untyped, for the single-target strategy costs.
    boot_bits: u8,
}

impl Emitter<'_, '_> {
    /// Emits the steps of node `n`: the fresh untyped `source` of 2^`bits` bytes at
    /// offset `base` of its boot untyped, holding `targets[lo..hi]`.
    fn node(&mut self, n: u32, source: Source, base: u64, bits: u8, lo: usize, hi: usize) {
        match self.solver.nodes[n as usize].decision {
            Decision::Cut => self.cut(source, base, bits, lo, hi),
            Decision::Split(halves) => {
                let half = bits - 1;
                let first = self.b.plan.derived.len() as u32;
                self.b
                    .retype(source, 0, What::untypeds(half, 2), Purpose::ReachFixed);
                self.pending += 1;
                let mid = base + (1u64 << half);
                let p = lo + self.solver.targets[lo..hi].partition_point(|t| t.off < mid);
                for (h, (start, l, r)) in [(base, lo, p), (mid, p, hi)].into_iter().enumerate() {
                    let child = Source {
                        r: UntypedRef::Derived(first + h as u32),
                        kva: source.kva.wrapping_add((h as u64) << half),
                        is_device: source.is_device,
                    };
                    match halves[h] {
                        Some(c) => self.node(c, child, start, half, l, r),
                        None => self.keep(child, half, 0),
                    }
                }
            }
        }
    }

    fn cut(&mut self, source: Source, base: u64, bits: u8, lo: usize, hi: usize) {
        let targets = self.solver.targets;
        let requests = self.solver.requests;
        let mut w = 0u64;
        let mut i = lo;
        while i < hi {
            let j = run_end(requests, targets, i, hi, self.solver.fan_out);
            let t = targets[i];
            for_each_cut(base + w, t.off, self.solver.fan_out, |piece_bits, count| {
                let first = self.b.plan.derived.len() as u32;
                w = self.b.retype(
                    source,
                    w,
                    What::untypeds(piece_bits, count),
                    Purpose::ReachFixed,
                );
                self.pending += 1;
                for k in 0..count {
                    let piece = Source {
                        r: UntypedRef::Derived(first + k),
                        kva: self.b.plan.derived[(first + k) as usize].kva,
                        is_device: source.is_device,
                    };
                    if !source.is_device {
                        self.free.push(FreeRegion {
                            source: piece,
                            size_bits: piece_bits,
                            watermark: 0,
                        });
                    }
                }
            });
            let req = &requests[t.id as usize];
            let ids: Vec<u32> = targets[i..j].iter().map(|t| t.id).collect();
            let what = What {
                ty: req.ty,
                size_arg: req.size_arg,
                size_bits: t.bits,
                count: ids.len() as u32,
                objects: Some(&ids),
            };
            w = self.b.retype(source, w, what, Purpose::Create);
            for (k, t) in targets[i..j].iter().enumerate() {
                let retypes = if k == 0 { self.pending + 1 } else { 0 };
                self.b.plan.fixed_costs.push(FixedCost {
                    object: t.id,
                    retypes,
                    cut_alone: cut_cost(t.off, self.solver.fan_out),
                    split_alone: split_cost(self.boot_bits, t.off),
                });
            }
            self.pending = 0;
            i = j;
        }
        self.keep(source, bits, w);
    }

    /// Hands a RAM node with room left to the packing of ordinary objects.
    fn keep(&mut self, source: Source, bits: u8, watermark: u64) {
        if !source.is_device && watermark < (1u64 << bits) {
            self.free.push(FreeRegion {
                source,
                size_bits: bits,
                watermark,
            });
        }
    }
}
