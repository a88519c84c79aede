//! The root task's bump allocator, as a pure state machine over offsets, shared by the
//! root task (which runs it over its heap arena) and the host (which replays it to
//! measure, exactly, how much arena a root task boot needs).
//!
//! The root task allocates while decoding the spec and planning, then runs to
//! completion; nothing is worth reusing except the tail, so the allocator is a bump
//! pointer that can also free and grow the most recent allocation in place. That keeps a
//! growing `Vec` (the decoder's common case) from leaving a trail of abandoned copies.
//!
//! [`Bump`] decides every offset; it never touches memory. Its high-water mark
//! ([`Bump::peak`]) is the arena the sequence of requests needs. Because the root task's
//! allocator is this code over a page-aligned arena, and the host's counting allocator
//! (feature `host`, [`host`]) feeds it the same requests (same layouts, in the same
//! order, from the same initializer code), the peak the host measures is the peak the
//! root task reaches, byte for byte.
#![cfg_attr(not(feature = "host"), no_std)]
#![deny(unsafe_code)]

#[cfg(feature = "host")]
pub mod host;

/// What [`Bump::realloc`] decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Realloc {
    /// The block was the most recent one and now has the new size where it is.
    InPlace,
    /// A new block at this offset; the caller copies the contents over (the old
    /// block's bytes are abandoned).
    Moved(usize),
    /// The arena is too small.
    Failed,
}

/// Bump allocation over `capacity` bytes of arena whose base is aligned to every
/// alignment asked for (the root task's is page-aligned).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bump {
    capacity: usize,
    /// Offset of the first free byte.
    next: usize,
    /// Offset of the most recent allocation (the only one that can be freed or grown).
    last: Option<usize>,
    /// Highest `next` ever reached.
    peak: usize,
}

impl Bump {
    /// An empty arena of `capacity` bytes.
    pub const fn new(capacity: usize) -> Bump {
        Bump {
            capacity,
            next: 0,
            last: None,
            peak: 0,
        }
    }

    /// Bytes of arena.
    pub const fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes handed out now (up to the end of the most recent block still held).
    pub const fn used(&self) -> usize {
        self.next
    }

    /// The most bytes of arena ever in use: the arena this run needed.
    pub const fn peak(&self) -> usize {
        self.peak
    }

    fn set_next(&mut self, next: usize) {
        self.next = next;
        self.peak = self.peak.max(next);
    }

    /// The offset of a new block of `size` bytes aligned to `align` (a power of two).
    pub fn alloc(&mut self, size: usize, align: usize) -> Option<usize> {
        let start = self.next.checked_next_multiple_of(align)?;
        let end = start.checked_add(size).filter(|&e| e <= self.capacity)?;
        self.set_next(end);
        self.last = Some(start);
        Some(start)
    }

    /// Frees the block at `offset`: only the most recent block gives its bytes back.
    pub fn dealloc(&mut self, offset: usize) {
        if self.last == Some(offset) {
            self.next = offset;
            self.last = None;
        }
    }

    /// Resizes the block at `offset` (aligned to `align`) to `new_size` bytes.
    pub fn realloc(&mut self, offset: usize, align: usize, new_size: usize) -> Realloc {
        if self.last == Some(offset) {
            // The newest block grows or shrinks where it is.
            return match offset.checked_add(new_size) {
                Some(end) if end <= self.capacity => {
                    self.set_next(end);
                    Realloc::InPlace
                }
                _ => Realloc::Failed,
            };
        }
        match self.alloc(new_size, align) {
            Some(start) => Realloc::Moved(start),
            None => Realloc::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_block_frees_and_grows_in_place() {
        let mut b = Bump::new(100);
        assert_eq!(b.alloc(10, 1), Some(0));
        assert_eq!(b.alloc(4, 8), Some(16));
        assert_eq!(b.realloc(16, 8, 30), Realloc::InPlace);
        assert_eq!(b.used(), 46);
        b.dealloc(16);
        assert_eq!(b.used(), 16);
        // An older block is abandoned, not reused.
        b.dealloc(0);
        assert_eq!(b.used(), 16);
        assert_eq!(b.realloc(0, 1, 20), Realloc::Moved(16));
        assert_eq!(b.peak(), 46);
    }

    #[test]
    fn a_full_arena_refuses() {
        let mut b = Bump::new(16);
        assert_eq!(b.alloc(17, 1), None);
        assert_eq!(b.alloc(8, 1), Some(0));
        assert_eq!(b.realloc(0, 1, 17), Realloc::Failed);
        assert_eq!(b.alloc(8, 16), None);
        assert_eq!(b.alloc(usize::MAX, 1), None);
        assert_eq!(b.used(), 8);
    }
}
