//! The root task's heap: a bump allocator over a static arena.
//!
//! The root task allocates while decoding the spec and planning, then runs to
//! completion; nothing is worth reusing except the tail, so the allocator is a
//! bump pointer that can also free and grow the most recent allocation in
//! place. That keeps a growing `Vec` (the decoder's common case) from leaving a
//! trail of abandoned copies. The arena is in `.bss`: it costs no ELF file
//! bytes, but the kernel backs all of it with RAM frames of the root task image.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::{Cell, UnsafeCell};
use core::ptr;

/// Bytes of heap: room for decoding a spec of a few MiB (objects and caps
/// decode to roughly 2-4x their encoded size; program images stay in the
/// embedded section and are not copied) plus the plan.
pub const HEAP_SIZE: usize = 32 << 20;

#[repr(C, align(4096))]
struct Arena(UnsafeCell<[u8; HEAP_SIZE]>);

// SAFETY: only the allocator touches the arena, from the one thread.
unsafe impl Sync for Arena {}

static ARENA: Arena = Arena(UnsafeCell::new([0; HEAP_SIZE]));

/// The bump allocator; see the module doc.
pub struct BumpHeap {
    /// Kept in its own all-zero static so it lands in `.bss`, not in the file.
    arena: &'static Arena,
    /// Offset of the first free byte.
    next: Cell<usize>,
    /// Offset of the most recent allocation (the only one that can be freed or grown).
    last: Cell<usize>,
}

// SAFETY: the root task has exactly one thread and no interrupt handlers run
// in user mode, so the cells are never accessed concurrently.
unsafe impl Sync for BumpHeap {}

impl BumpHeap {
    const fn new() -> BumpHeap {
        BumpHeap {
            arena: &ARENA,
            next: Cell::new(0),
            last: Cell::new(usize::MAX),
        }
    }

    fn base(&self) -> *mut u8 {
        self.arena.0.get().cast()
    }

    /// Bytes handed out so far (for the boot report).
    pub fn used(&self) -> usize {
        self.next.get()
    }
}

// SAFETY: every block returned lies inside the arena, is aligned as asked
// (the arena base is page-aligned and offsets are rounded up), and blocks never
// overlap because `next` only moves past handed-out bytes, except when the
// most recent block is freed or resized, which no other block overlaps.
unsafe impl GlobalAlloc for BumpHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(start) = self.next.get().checked_next_multiple_of(layout.align()) else {
            return ptr::null_mut();
        };
        match start.checked_add(layout.size()) {
            Some(end) if end <= HEAP_SIZE => {
                self.next.set(end);
                self.last.set(start);
                // SAFETY: start <= HEAP_SIZE, inside (or one past) the arena.
                unsafe { self.base().add(start) }
            }
            _ => ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, p: *mut u8, _layout: Layout) {
        let offset = (p as usize).wrapping_sub(self.base() as usize);
        if offset == self.last.get() {
            self.next.set(offset);
            self.last.set(usize::MAX);
        }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let offset = (p as usize).wrapping_sub(self.base() as usize);
        if offset == self.last.get() {
            // The newest block grows or shrinks where it is.
            return match offset.checked_add(new_size) {
                Some(end) if end <= HEAP_SIZE => {
                    self.next.set(end);
                    p
                }
                _ => ptr::null_mut(),
            };
        }
        // SAFETY: forwarded from the caller; `new_size` with the old alignment is valid.
        let new =
            unsafe { self.alloc(Layout::from_size_align_unchecked(new_size, layout.align())) };
        if !new.is_null() {
            // SAFETY: both blocks are ours, distinct, and at least this long.
            unsafe { ptr::copy_nonoverlapping(p, new, layout.size().min(new_size)) };
        }
        new
    }
}

/// The global allocator.
#[global_allocator]
pub static HEAP: BumpHeap = BumpHeap::new();
