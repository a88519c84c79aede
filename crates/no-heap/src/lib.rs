//! The global allocator of bare-metal programs that must never allocate.
//!
//! A `no_std` binary that links any crate using `alloc` (here: `sysinit-kobj` and
//! the crates above it) must name a global allocator, even if no code path
//! allocates. The PD runtime, the aarch64 loader and its test root task have no
//! heap by design, so they name [`NoHeap`]: every allocation fails, which turns
//! an accidental allocation into the allocation-error handler's stop instead of
//! a write into memory nobody reserved.
//!
//! ```text
//! #[global_allocator]
//! static NO_HEAP: sysinit_no_heap::NoHeap = sysinit_no_heap::NoHeap;
//! ```
#![no_std]

use core::alloc::{GlobalAlloc, Layout};

/// An allocator that refuses every request.
pub struct NoHeap;

// SAFETY: `alloc` returns null, which `GlobalAlloc` allows as "cannot allocate";
// `dealloc` is never reached, since nothing was ever handed out.
unsafe impl GlobalAlloc for NoHeap {
    unsafe fn alloc(&self, _layout: Layout) -> *mut u8 {
        core::ptr::null_mut()
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_fails() {
        for (size, align) in [(1, 1), (4096, 4096), (1 << 20, 8)] {
            let layout = Layout::from_size_align(size, align).unwrap();
            // SAFETY: the layout has a non-zero size.
            assert!(unsafe { NoHeap.alloc(layout) }.is_null());
        }
    }
}
