//! The root task's heap: [`sysinit_bump::Bump`] over the arena `sysinit build` sized.
//!
//! The arena is the tail of the root task's last segment, after the spec
//! (spec_section.rs): memory the kernel backs with the image's frames and zeroes, like
//! `.bss`, but as large as the build measured this system's boot to need, by running
//! the same initializer code on the host over the same bump allocator
//! (`sysinit_sim::roottask_heap`). Until [`BumpHeap::init`] every request fails.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;
use core::ptr;

use sysinit_bump::{Bump, Realloc};

/// The bump allocator; see the module doc.
pub struct BumpHeap {
    /// Address of the arena.
    base: Cell<usize>,
    bump: Cell<Bump>,
}

// SAFETY: the root task has exactly one thread and no interrupt handlers run
// in user mode, so the cells are never accessed concurrently.
unsafe impl Sync for BumpHeap {}

impl BumpHeap {
    const fn new() -> BumpHeap {
        BumpHeap {
            base: Cell::new(0),
            bump: Cell::new(Bump::new(0)),
        }
    }

    /// Hands the arena `[base, base + bytes)` to the allocator.
    ///
    /// # Safety
    /// The arena must be page-aligned memory of the root task, used by nothing else, and
    /// `init` must be called once, before any allocation.
    pub unsafe fn init(&self, base: usize, bytes: usize) {
        self.base.set(base);
        self.bump.set(Bump::new(bytes));
    }

    /// Bytes handed out now (for the boot report).
    pub fn used(&self) -> usize {
        self.bump.get().used()
    }

    /// The most bytes ever handed out at once: what the build must have measured.
    pub fn peak(&self) -> usize {
        self.bump.get().peak()
    }

    /// Bytes of arena.
    pub fn capacity(&self) -> usize {
        self.bump.get().capacity()
    }

    fn at(&self, offset: usize) -> *mut u8 {
        ptr::with_exposed_provenance_mut(self.base.get() + offset)
    }

    fn offset(&self, p: *mut u8) -> usize {
        (p as usize).wrapping_sub(self.base.get())
    }
}

// SAFETY: every block returned lies inside the arena, is aligned as asked
// (the arena base is page-aligned and `Bump` rounds offsets up), and blocks never
// overlap because `Bump` only moves past handed-out bytes, except when the
// most recent block is freed or resized, which no other block overlaps.
unsafe impl GlobalAlloc for BumpHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut bump = self.bump.get();
        let block = bump.alloc(layout.size(), layout.align());
        self.bump.set(bump);
        block.map_or(ptr::null_mut(), |offset| self.at(offset))
    }

    unsafe fn dealloc(&self, p: *mut u8, _layout: Layout) {
        let mut bump = self.bump.get();
        bump.dealloc(self.offset(p));
        self.bump.set(bump);
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let mut bump = self.bump.get();
        let r = bump.realloc(self.offset(p), layout.align(), new_size);
        self.bump.set(bump);
        match r {
            Realloc::InPlace => p,
            Realloc::Moved(offset) => {
                let new = self.at(offset);
                // SAFETY: both blocks are ours, distinct, and at least this long.
                unsafe { ptr::copy_nonoverlapping(p, new, layout.size().min(new_size)) };
                new
            }
            Realloc::Failed => ptr::null_mut(),
        }
    }
}

/// The global allocator.
#[global_allocator]
pub static HEAP: BumpHeap = BumpHeap::new();
