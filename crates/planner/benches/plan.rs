//! Planner benchmarks: `cargo bench -p sysinit-planner`.
//!
//! Prints one row per workload: the best and median wall time of several runs
//! on one core, and beside them what the plan costs the kernel (retypes) and
//! memory (bytes lost to alignment). docs/performance.md records the numbers.

use std::hint::black_box;
use std::time::{Duration, Instant};

use sysinit_kobj::{Arch, BootUntyped, ObjectType};
use sysinit_planner::{plan, Plan, Request};

/// A QEMU-sized x86_64 machine: 8 GiB of RAM untypeds, plus the 2^46 device untyped
/// whose kernel VA wraps to 0.
fn machine() -> Vec<BootUntyped> {
    let mut uts = vec![BootUntyped {
        paddr: 0x80_0000_0000,
        size_bits: 46,
        is_device: true,
    }];
    for i in 0..8u64 {
        uts.push(BootUntyped {
            paddr: (1 + i) << 30,
            size_bits: 30,
            is_device: false,
        });
    }
    uts
}

/// `n` ordinary objects in the proportions of a real system: mostly frames, then page
/// tables, TCBs, CNodes, endpoints and notifications.
fn ordinary(n: usize) -> Vec<(String, ObjectType, u8)> {
    const MIX: [(ObjectType, u8); 10] = [
        (ObjectType::SmallPage, 0),
        (ObjectType::SmallPage, 0),
        (ObjectType::SmallPage, 0),
        (ObjectType::SmallPage, 0),
        (ObjectType::PageTable, 0),
        (ObjectType::Tcb, 0),
        (ObjectType::CNode, 8),
        (ObjectType::Endpoint, 0),
        (ObjectType::Notification, 0),
        (ObjectType::X86PageDirectory, 0),
    ];
    (0..n)
        .map(|i| {
            (
                format!("obj{i}"),
                MIX[i % MIX.len()].0,
                MIX[i % MIX.len()].1,
            )
        })
        .collect()
}

/// `n` device frames spread over the 2^46 device untyped by a fixed pseudo-random walk.
fn spread_frames(n: usize) -> Vec<(String, u64)> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut offsets: Vec<u64> = (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % (1u64 << 34)) << 12
        })
        .collect();
    offsets.sort_unstable();
    offsets.dedup();
    offsets
        .into_iter()
        .map(|o| (format!("dev{o:x}"), 0x80_0000_0000 + o))
        .collect()
}

fn time(runs: usize, mut f: impl FnMut() -> Plan) -> (Duration, Duration, Plan) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let p = black_box(f());
        times.push(start.elapsed());
        last = Some(p);
    }
    times.sort();
    (times[0], times[runs / 2], last.unwrap())
}

fn row(name: &str, objects: usize, runs: usize, f: impl FnMut() -> Plan) {
    let (best, median, p) = time(runs, f);
    println!(
        "| {name:<42} | {objects:>7} | {:>9.2} | {:>9.2} | {:>7} | {:>12} | {:>10} |",
        best.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        p.stats.retypes,
        p.stats.reach_retypes,
        p.stats.bytes_lost_to_alignment
    );
}

fn main() {
    let uts = machine();
    println!("| workload                                   | objects | best (ms) | median ms | retypes | reach fixed  | lost bytes |");
    println!("|--------------------------------------------|--------:|----------:|----------:|--------:|-------------:|-----------:|");
    for n in [1_000, 10_000, 100_000] {
        let objs = ordinary(n);
        let reqs: Vec<Request> = objs
            .iter()
            .map(|(name, ty, arg)| Request {
                name,
                ty: *ty,
                size_arg: *arg,
                paddr: None,
                device: false,
            })
            .collect();
        let runs = if n >= 100_000 { 11 } else { 31 };
        row(&format!("{n} ordinary objects"), n, runs, || {
            plan(Arch::X86_64, &uts, &reqs).unwrap()
        });
    }
    let frames = spread_frames(1_000);
    let reqs: Vec<Request> = frames
        .iter()
        .map(|(name, paddr)| Request {
            name,
            ty: ObjectType::SmallPage,
            size_arg: 0,
            paddr: Some(*paddr),
            device: true,
        })
        .collect();
    row(
        "1000 fixed device frames over a 2^46 untyped",
        reqs.len(),
        31,
        || plan(Arch::X86_64, &uts, &reqs).unwrap(),
    );
    let p = plan(Arch::X86_64, &uts, &reqs).unwrap();
    let worst = p.fixed_costs.iter().map(|c| c.retypes).max().unwrap_or(0);
    let cut: u64 = p.fixed_costs.iter().map(|c| u64::from(c.cut_alone)).sum();
    let split: u64 = p.fixed_costs.iter().map(|c| u64::from(c.split_alone)).sum();
    println!();
    println!(
        "1000 fixed frames: {} retypes in all, at most {worst} for one frame; \
         the same frames each alone would take {cut} by cutting, {split} by binary splitting",
        p.stats.retypes
    );
}
