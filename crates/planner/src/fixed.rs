//! Fixed-address objects: validation, then placement by cutting and splitting in kernel-virtual space.
//!
//! Each boot untyped that holds fixed-address objects is planned on its own,
//! as a tree of fresh (childless) untyped nodes. A node reaches its targets in
//! one of two ways:
//! - **ascending cut**: from the node's start, cut the gap before each target
//!   into maximal aligned untypeds, create the target, continue after it;
//! - **descending cut**: cut the gap before the *last* target, create it, then
//!   treat each piece cut off that holds earlier targets as a fresh node.
//!
//! Adjacent targets of one type and size form a run created by one retype.
//!
//! Why this is never worse than either textbook strategy, target by target:
//! alone in a fresh untyped, a target at offset `r` costs `popcount(r) + 1`
//! retypes by cutting (one piece per set bit of `r`) and `bits - ctz(r) + 1`
//! by binary splitting (one halving per level down to its alignment); the
//! first never exceeds the second. In the descending cut, every node starts at
//! a bit-prefix of each target inside it, so a target is charged at most
//! `popcount(r) + 1`. The ascending cut is taken instead only where it charges
//! no target more than that and costs fewer retypes in total. Every piece cut
//! off stays an untyped: RAM pieces feed the packing of ordinary objects,
//! device pieces stay available. Nothing is consumed by placeholder objects.

use alloc::string::ToString;
use alloc::vec::Vec;
use sysinit_kobj::{is_aligned, BootUntyped, KernelConfig};

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
    kernel: KernelConfig,
    untypeds: &[BootUntyped],
    requests: &[Request<'_>],
    sizes: &[u8],
) -> Result<FixedGroups, PlanError> {
    let window = kernel.kernel_window();
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
        // A device frame retyped from RAM (or RAM from device memory) is not what the
        // system was built for: the machine has another memory map, e.g. more RAM.
        if r.device != ut.is_device {
            return Err(PlanError::MemoryKindMismatch {
                name: r.name.to_string(),
                paddr,
                device: r.device,
                untyped: index,
                untyped_paddr: ut.paddr,
                untyped_size_bits: ut.size_bits,
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
        let root = solver.solve(0, 0, targets.len());
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

#[derive(Clone, Debug)]
enum Decision {
    /// Cut gaps and create runs in address order from the node's start.
    Ascend,
    /// Cut the gap before the last run, create it, then solve each piece that holds
    /// earlier targets as its own node (`children`, in address order).
    Descend { children: Vec<u32> },
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

/// A piece cut off by [`each_piece`]: its offset and size.
#[derive(Clone, Copy)]
struct Piece {
    off: u64,
    bits: u8,
}

/// Calls `f` for every single piece of the maximal aligned cut of `[from, to)`.
fn each_piece(from: u64, to: u64, fan_out: u32, mut f: impl FnMut(Piece)) {
    let mut at = from;
    for_each_cut(from, to, fan_out, |bits, count| {
        for _ in 0..count {
            f(Piece { off: at, bits });
            at += 1u64 << bits;
        }
    });
}

impl Solver<'_> {
    /// The most a target may be charged: what cutting costs alone in a fresh boot untyped.
    fn bound(&self, t: &Target) -> u32 {
        cut_cost(t.off, self.fan_out)
    }

    /// Retypes to create `targets[lo..hi]` by ascending cuts from `base`, or `None`
    /// when some run would be charged more than its bound.
    fn ascend_cost(&self, base: u64, lo: usize, hi: usize) -> Option<u32> {
        let (mut w, mut cost, mut i) = (base, 0, lo);
        while i < hi {
            let j = run_end(self.requests, self.targets, i, hi, self.fan_out);
            let t = &self.targets[i];
            let charge = cut_retypes(w, t.off, self.fan_out) + 1;
            if charge > self.bound(t) {
                return None;
            }
            cost += charge;
            let last = &self.targets[j - 1];
            w = last.off + (1u64 << last.bits);
            i = j;
        }
        Some(cost)
    }

    /// Start of the last run of `targets[lo..hi]`.
    fn last_run_start(&self, lo: usize, hi: usize) -> usize {
        let mut i = lo;
        loop {
            let j = run_end(self.requests, self.targets, i, hi, self.fan_out);
            if j == hi {
                return i;
            }
            i = j;
        }
    }

    /// Decides how to reach `targets[lo..hi]` in the fresh node at offset `base`;
    /// returns the node's index.
    fn solve(&mut self, base: u64, lo: usize, hi: usize) -> u32 {
        let last = self.last_run_start(lo, hi);
        let mut cost = cut_retypes(base, self.targets[last].off, self.fan_out) + 1;
        let mut children = Vec::new();
        let mut pieces = Vec::new();
        each_piece(base, self.targets[last].off, self.fan_out, |p| {
            pieces.push(p)
        });
        let mut i = lo;
        for p in pieces {
            let end = p.off + (1u64 << p.bits);
            let j = i + self.targets[i..last].partition_point(|t| t.off < end);
            if i < j {
                let child = self.solve(p.off, i, j);
                cost += self.nodes[child as usize].cost;
                children.push(child);
            }
            i = j;
        }
        let node = match self.ascend_cost(base, lo, hi) {
            Some(ascend) if ascend < cost => Node {
                decision: Decision::Ascend,
                cost: ascend,
            },
            _ => Node {
                decision: Decision::Descend { children },
                cost,
            },
        };
        self.nodes.push(node);
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
        match &self.solver.nodes[n as usize].decision {
            Decision::Ascend => {
                let mut w = 0;
                let mut i = lo;
                while i < hi {
                    let j = run_end(
                        self.solver.requests,
                        self.solver.targets,
                        i,
                        hi,
                        self.solver.fan_out,
                    );
                    let pieces = self.cut(source, base, &mut w, self.solver.targets[i].off);
                    self.keep_all(pieces);
                    w = self.create(source, w, i, j);
                    i = j;
                }
                self.keep(source, bits, w);
            }
            Decision::Descend { children } => {
                let last = self.solver.last_run_start(lo, hi);
                let mut w = 0;
                let pieces = self.cut(source, base, &mut w, self.solver.targets[last].off);
                w = self.create(source, w, last, hi);
                self.keep(source, bits, w);
                let mut children = children.iter();
                let mut i = lo;
                for (piece, p) in pieces {
                    let end = p.off + (1u64 << p.bits);
                    let j = i + self.solver.targets[i..last].partition_point(|t| t.off < end);
                    // Children were solved for exactly the pieces that hold targets.
                    let child = if i < j {
                        children.next().copied()
                    } else {
                        None
                    };
                    match child {
                        Some(child) => self.node(child, piece, p.off, p.bits, i, j),
                        None => self.keep(piece, p.bits, 0),
                    }
                    i = j;
                }
            }
        }
    }

    /// Cuts `[base + w, to)` of `source` into maximal aligned untypeds; returns each
    /// piece with where it lies, and advances `w` to `to - base`.
    fn cut(&mut self, source: Source, base: u64, w: &mut u64, to: u64) -> Vec<(Source, Piece)> {
        let mut pieces = Vec::new();
        let from = base + *w;
        for_each_cut(from, to, self.solver.fan_out, |bits, count| {
            let first = self.b.plan.derived.len() as u32;
            *w = self
                .b
                .retype(source, *w, What::untypeds(bits, count), Purpose::ReachFixed);
            self.pending += 1;
            for k in 0..count {
                let kva = self.b.plan.derived[(first + k) as usize].kva;
                let piece = Source {
                    r: UntypedRef::Derived(first + k),
                    kva,
                    is_device: source.is_device,
                };
                let off = base + *w - (u64::from(count - k) << bits);
                pieces.push((piece, Piece { off, bits }));
            }
        });
        pieces
    }

    /// Creates the run `targets[i..j]` at watermark `w` of `source`; returns the new watermark.
    fn create(&mut self, source: Source, w: u64, i: usize, j: usize) -> u64 {
        let targets = &self.solver.targets[i..j];
        let t = targets[0];
        let req = &self.solver.requests[t.id as usize];
        let ids: Vec<u32> = targets.iter().map(|t| t.id).collect();
        let what = What {
            ty: req.ty,
            size_arg: req.size_arg,
            size_bits: t.bits,
            count: ids.len() as u32,
            objects: Some(&ids),
        };
        let w = self.b.retype(source, w, what, Purpose::Create);
        for (k, t) in targets.iter().enumerate() {
            self.b.plan.fixed_costs.push(FixedCost {
                object: t.id,
                retypes: if k == 0 { self.pending + 1 } else { 0 },
                cut_alone: cut_cost(t.off, self.solver.fan_out),
                split_alone: split_cost(self.boot_bits, t.off),
            });
        }
        self.pending = 0;
        w
    }

    fn keep_all(&mut self, pieces: Vec<(Source, Piece)>) {
        for (piece, p) in pieces {
            self.keep(piece, p.bits, 0);
        }
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
