//! Ordinary objects: packed largest-first into the RAM left free.
//!
//! Objects are grouped by (size, type, size argument) and placed largest size
//! first. Placing objects of decreasing sizes one after another keeps every
//! watermark aligned to the next object, so the kernel's `alignUp` skips
//! nothing. Where a region's watermark is not aligned for the current size (a
//! tail left after a fixed-address object), the gap up to the next aligned
//! offset is cut off as untypeds, which smaller objects then use, instead of
//! being skipped and lost.

use alloc::string::ToString;
use alloc::vec::Vec;
use sysinit_kobj::{align_up, BootUntyped, ObjectType};

use crate::fixed::{FixedGroups, FreeRegion};
use crate::tile::for_each_cut;
use crate::{Builder, PlanError, Purpose, Request, Source, UntypedRef, What};

/// Places every request without a fixed address into the RAM in `free` and the RAM boot
/// untypeds that hold no fixed-address objects.
pub(crate) fn pack_ordinary(
    b: &mut Builder,
    untypeds: &[BootUntyped],
    requests: &[Request<'_>],
    sizes: &[u8],
    groups: &FixedGroups,
    mut free: Vec<FreeRegion>,
) -> Result<(), PlanError> {
    for (i, ut) in untypeds.iter().enumerate() {
        if !ut.is_device && !groups.holds(i as u32) {
            let source = Source {
                r: UntypedRef::Boot(i as u32),
                kva: b.window.kva(ut.paddr),
                is_device: false,
            };
            free.push(FreeRegion {
                source,
                size_bits: ut.size_bits,
                watermark: 0,
            });
        }
    }
    // Address order makes the result independent of how the regions were found.
    free.sort_by_key(|f| (b.window.paddr(f.source.kva), f.size_bits));
    // The kernel zeroes a whole RAM boot untyped on its first retype (seL4 hands them over
    // with their free index at the end, so the first use resets them): drawing hello's
    // 80 KiB from the first 1 MiB untyped in address order cost more instructions than
    // all the rest of the boot. So the smallest fresh boot untyped that holds every
    // ordinary object goes first, when there is one; the others keep address order.
    let total = ordinary_bytes(requests, sizes);
    let best = free
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            f.watermark == 0
                && matches!(f.source.r, UntypedRef::Boot(_))
                && u128::from(total) <= 1u128 << f.size_bits
        })
        .min_by_key(|&(i, f)| (f.size_bits, i))
        .map(|(i, _)| i);
    if let Some(best) = best {
        let region = free.remove(best);
        free.insert(0, region);
    }

    let mut ordinary: Vec<u32> = (0..requests.len() as u32)
        .filter(|&i| requests[i as usize].paddr.is_none())
        .collect();
    let key = |i: &u32| {
        let r = &requests[*i as usize];
        (core::cmp::Reverse(sizes[*i as usize]), r.ty, r.size_arg)
    };
    ordinary.sort_by_key(|i| (key(i), *i));

    let mut start = 0;
    while start < ordinary.len() {
        let k = key(&ordinary[start]);
        let end = start + ordinary[start..].partition_point(|i| key(i) == k);
        place_class(b, requests, sizes, &ordinary[start..end], &mut free)?;
        start = end;
    }
    Ok(())
}

/// Bytes of every request without a fixed address (saturating).
fn ordinary_bytes(requests: &[Request<'_>], sizes: &[u8]) -> u64 {
    requests
        .iter()
        .zip(sizes)
        .filter(|(r, _)| r.paddr.is_none())
        .fold(0u64, |sum, (_, &bits)| {
            sum.saturating_add(1u64.checked_shl(u32::from(bits)).unwrap_or(u64::MAX))
        })
}

/// Places `ids` (all of one size, type and size argument) into `free`.
fn place_class(
    b: &mut Builder,
    requests: &[Request<'_>],
    sizes: &[u8],
    ids: &[u32],
    free: &mut Vec<FreeRegion>,
) -> Result<(), PlanError> {
    let first = &requests[ids[0] as usize];
    let (ty, size_arg, bits) = (first.ty, first.size_arg, sizes[ids[0] as usize]);
    let mut next = 0usize;
    // First pass: only regions whose watermark is already aligned. Second pass: realign
    // the others by cutting their gap into untypeds first.
    for realign in [false, true] {
        let mut r = 0;
        while next < ids.len() && r < free.len() {
            let region = free[r];
            r += 1;
            if region.size_bits < bits {
                continue;
            }
            let end = 1u64 << region.size_bits;
            let aligned = align_up(region.watermark, bits);
            if aligned >= end || (aligned != region.watermark && !realign) {
                continue;
            }
            let mut w = region.watermark;
            if aligned != w {
                w = cut_gap(b, region, aligned, free);
            }
            while next < ids.len() && w < end {
                let room = (end - w) >> bits;
                if room == 0 {
                    break;
                }
                let count = room
                    .min((ids.len() - next) as u64)
                    .min(u64::from(b.config.fan_out_limit)) as u32;
                let objects = &ids[next..next + count as usize];
                let what = What {
                    ty,
                    size_arg,
                    size_bits: bits,
                    count,
                    objects: Some(objects),
                };
                w = b.retype(region.source, w, what, Purpose::Create);
                next += count as usize;
            }
            free[r - 1].watermark = w;
        }
    }
    if next < ids.len() {
        return Err(out_of_memory(requests, ids, next, ty, bits, free));
    }
    Ok(())
}

/// Cuts `[region.watermark, to)` into untypeds added to `free`; returns `to`.
fn cut_gap(b: &mut Builder, region: FreeRegion, to: u64, free: &mut Vec<FreeRegion>) -> u64 {
    let mut w = region.watermark;
    let mut pieces = Vec::new();
    for_each_cut(
        region.watermark,
        to,
        b.config.fan_out_limit,
        |bits, count| {
            let first = b.plan.derived.len() as u32;
            w = b.retype(
                region.source,
                w,
                What::untypeds(bits, count),
                Purpose::Realign,
            );
            for k in 0..count {
                let kva = b.plan.derived[(first + k) as usize].kva;
                let source = Source {
                    r: UntypedRef::Derived(first + k),
                    kva,
                    is_device: false,
                };
                pieces.push(FreeRegion {
                    source,
                    size_bits: bits,
                    watermark: 0,
                });
            }
        },
    );
    free.extend(pieces);
    w
}

fn out_of_memory(
    requests: &[Request<'_>],
    ids: &[u32],
    next: usize,
    ty: ObjectType,
    bits: u8,
    free: &[FreeRegion],
) -> PlanError {
    let mut free_bytes = 0u64;
    let mut largest: Option<u8> = None;
    for f in free {
        let end = 1u64 << f.size_bits;
        if f.watermark < end {
            free_bytes += end - f.watermark;
            for_each_cut(f.watermark, end, u32::MAX, |b, _| {
                largest = Some(largest.map_or(b, |l| l.max(b)))
            });
        }
    }
    PlanError::OutOfMemory {
        name: requests[ids[next] as usize].name.to_string(),
        ty,
        size_bits: bits,
        unplaced: (ids.len() - next) as u64,
        free_bytes,
        largest_free_bits: largest,
    }
}
