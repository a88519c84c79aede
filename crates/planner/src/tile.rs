//! Cutting a gap into maximal aligned untypeds, and the cost of each strategy.
//!
//! A retype always starts at the untyped's watermark (aligned up to the
//! object size). To make an object land at a given offset, everything between
//! the watermark and that offset must first be consumed, and it must be
//! consumed *without padding*, or the memory is lost. The pieces are untypeds
//! that start exactly at the watermark: each is aligned to its own size, so
//! the largest usable size at offset `w` is bounded by the alignment of `w`
//! and by the distance left.
//!
//! Offsets here are relative to the base of a boot untyped. That base is
//! aligned (in kernel-virtual space) to the untyped's size, so the alignment
//! of an offset is the alignment of the kernel-virtual address; the physical
//! address may be aligned differently, and never matters.

/// log2 of the largest power of two not above `x` (`x > 0`).
fn floor_log2(x: u64) -> u8 {
    63 - x.leading_zeros() as u8
}

/// Size of the largest aligned untyped that can start at `from` without passing `to`.
fn piece_bits(from: u64, to: u64) -> u8 {
    let align = if from == 0 {
        64
    } else {
        from.trailing_zeros() as u8
    };
    align.min(floor_log2(to - from))
}

/// Calls `run(size_bits, count)` for each retype that cuts `[from, to)` into maximal
/// aligned untypeds, merging consecutive pieces of one size into one retype of up to
/// `fan_out` untypeds. Both ends are multiples of 16 (every object is), so no piece
/// is below the kernel's minimum untyped size.
pub(crate) fn for_each_cut(from: u64, to: u64, fan_out: u32, mut run: impl FnMut(u8, u32)) {
    let mut w = from;
    let mut pending: Option<(u8, u32)> = None;
    while w < to {
        let bits = piece_bits(w, to);
        pending = match pending {
            Some((b, n)) if b == bits && n < fan_out => Some((b, n + 1)),
            Some(p) => {
                run(p.0, p.1);
                Some((bits, 1))
            }
            None => Some((bits, 1)),
        };
        w += 1u64 << bits;
    }
    if let Some((b, n)) = pending {
        run(b, n);
    }
}

/// Number of retypes [`for_each_cut`] takes for `[from, to)`.
pub(crate) fn cut_retypes(from: u64, to: u64, fan_out: u32) -> u32 {
    let mut n = 0;
    for_each_cut(from, to, fan_out, |_, _| n += 1);
    n
}

/// Retypes needed to create an object at `offset` in a fresh untyped by cutting the gap
/// before it into maximal aligned untypeds, then retyping the object itself.
pub fn cut_cost(offset: u64, fan_out: u32) -> u32 {
    cut_retypes(0, offset, fan_out) + 1
}

/// Retypes needed to create an object at `offset` in a fresh untyped of 2^`untyped_bits`
/// bytes by binary splitting: halve the untyped, keep the half holding the object, until
/// the object sits at the start of the remaining half, then retype the object itself.
pub fn split_cost(untyped_bits: u8, offset: u64) -> u32 {
    if offset == 0 {
        1
    } else {
        u32::from(untyped_bits) - offset.trailing_zeros() + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn cuts(from: u64, to: u64, fan_out: u32) -> Vec<(u8, u32)> {
        let mut v = Vec::new();
        for_each_cut(from, to, fan_out, |b, n| v.push((b, n)));
        v
    }

    #[test]
    fn cut_from_zero_follows_the_bits_of_the_offset() {
        assert_eq!(cuts(0, 0b1011 << 12, 256), [(15, 1), (13, 1), (12, 1)]);
        assert_eq!(cut_cost(0b1011 << 12, 256), 4);
    }

    #[test]
    fn cut_rises_with_alignment_then_falls() {
        // From 0x1000 to 0x10000: 4K, 8K, 16K, 32K.
        assert_eq!(
            cuts(0x1000, 0x10000, 256),
            [(12, 1), (13, 1), (14, 1), (15, 1)]
        );
    }

    #[test]
    fn equal_pieces_merge_up_to_the_fan_out() {
        // Alignment 2^4 at offset 0x10: 0x10 (4), 0x20 (5) then 0x40... no equal run here,
        // so build one: [0x40, 0x100) → 0x40 (6), 0x80 (7).
        assert_eq!(cuts(0x40, 0x100, 256), [(6, 1), (7, 1)]);
        // [2^20, 3*2^20): alignment 20 limits, distance allows 21 → two 2^20 pieces.
        assert_eq!(cuts(1 << 20, 3 << 20, 256), [(20, 2)]);
        assert_eq!(cuts(1 << 20, 3 << 20, 1), [(20, 1), (20, 1)]);
    }

    #[test]
    fn split_cost_counts_halvings() {
        assert_eq!(split_cost(46, 0), 1);
        assert_eq!(split_cost(46, 1 << 45), 2);
        assert_eq!(split_cost(46, 1 << 12), 46 - 12 + 1);
    }
}
