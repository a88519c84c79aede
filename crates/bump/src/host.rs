//! The host's counting allocator: forwards every request to the system allocator and,
//! while [`measure`] runs on this thread, replays it on a [`Bump`] to find the arena the
//! root task would need for the same requests.
//!
//! A binary that measures names it as its global allocator:
//!
//! ```text
//! #[global_allocator]
//! static HEAP: sysinit_bump::host::Counting = sysinit_bump::host::Counting;
//! ```
//!
//! Work the root task does not do on its heap (the kernel model standing in for seL4,
//! the simulator's trace collection) runs inside [`uncounted`].
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use crate::{Bump, Realloc};

/// What this thread is measuring.
#[derive(Clone, Copy)]
struct Measuring {
    bump: Bump,
    /// The host address of the bump's most recent block, so that a free or resize of
    /// exactly that block is recognised.
    last_ptr: usize,
    /// Requests the bump refused (its capacity is unbounded, so only overflows).
    failed: bool,
    /// Inside [`uncounted`].
    paused: u32,
}

thread_local! {
    static MEASURING: Cell<Option<Measuring>> = const { Cell::new(None) };
}

/// Applies `f` to this thread's measurement, if one runs and is not paused.
fn with_state(f: impl FnOnce(&mut Measuring)) {
    // `try_with`: during thread teardown the slot is gone, and nothing is measured then.
    let _ = MEASURING.try_with(|cell| {
        if let Some(mut m) = cell.get() {
            if m.paused == 0 {
                f(&mut m);
            }
            cell.set(Some(m));
        }
    });
}

/// The global allocator that makes [`measure`] work (see the module documentation).
pub struct Counting;

impl Counting {
    fn counted_alloc(ptr: *mut u8, layout: Layout) {
        if ptr.is_null() {
            return;
        }
        with_state(|m| match m.bump.alloc(layout.size(), layout.align()) {
            Some(_) => m.last_ptr = ptr as usize,
            None => m.failed = true,
        });
    }
}

// SAFETY: every request is forwarded unchanged to `System`, which upholds the
// contract; the bookkeeping beside it touches only a thread-local `Cell` with a
// const initialiser and no destructor, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded.
        let p = unsafe { System.alloc(layout) };
        Counting::counted_alloc(p, layout);
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded. The root task's allocator zeroes through `alloc`, the same request.
        let p = unsafe { System.alloc_zeroed(layout) };
        Counting::counted_alloc(p, layout);
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        with_state(|m| {
            if m.last_ptr == ptr as usize {
                if let Some(last) = m.bump.last {
                    m.bump.dealloc(last);
                }
                m.last_ptr = 0;
            }
        });
        // SAFETY: forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            with_state(|m| {
                let offset = match (m.last_ptr == ptr as usize, m.bump.last) {
                    (true, Some(last)) => last,
                    // Not the bump's newest block: it moves, whatever the host did.
                    _ => usize::MAX,
                };
                match m.bump.realloc(offset, layout.align(), new_size) {
                    Realloc::InPlace | Realloc::Moved(_) => m.last_ptr = new as usize,
                    Realloc::Failed => m.failed = true,
                }
            });
        }
        new
    }
}

/// Why [`measure`] has no figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeasureError {
    /// The program's global allocator is not [`Counting`]: no request was seen.
    NotCounting,
    /// A request overflowed the address space.
    Overflow,
}

impl std::fmt::Display for MeasureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MeasureError::NotCounting => f.write_str(
                "the heap cannot be measured: this program's global allocator is not \
                 sysinit_bump::host::Counting",
            ),
            MeasureError::Overflow => f.write_str("a heap request overflowed the address space"),
        }
    }
}

impl std::error::Error for MeasureError {}

/// Runs `f` on this thread and returns its result with the peak of a [`Bump`] fed every
/// heap request `f` makes outside [`uncounted`]: the bytes of root task arena it needs.
///
/// # Panics
/// Inside another `measure` on the same thread (the outer figure would be wrong).
pub fn measure<R>(f: impl FnOnce() -> R) -> Result<(R, usize), MeasureError> {
    let start = Measuring {
        bump: Bump::new(usize::MAX),
        last_ptr: 0,
        failed: false,
        paused: 0,
    };
    let before = MEASURING.with(|c| c.replace(Some(start)));
    assert!(
        before.is_none(),
        "sysinit_bump::host::measure is not reentrant"
    );
    // A probe request tells whether the global allocator is ours (`black_box` keeps
    // the optimiser from removing the allocation).
    let probe = std::hint::black_box(Box::new(0u64));
    let seen = MEASURING.with(|c| c.get().is_some_and(|m| m.bump.peak() > 0));
    drop(probe);
    MEASURING.with(|c| c.set(Some(start)));
    let out = f();
    let end = MEASURING
        .with(|c| c.replace(None))
        .expect("measure's state lives until measure ends");
    if !seen {
        return Err(MeasureError::NotCounting);
    }
    if end.failed {
        return Err(MeasureError::Overflow);
    }
    Ok((out, end.bump.peak()))
}

/// Runs `f` without counting its heap requests towards [`measure`] (work the root task
/// does not do on its heap). Blocks it allocates must also be freed inside `uncounted`
/// or outside the measurement, or be ones the measured code never frees or resizes.
pub fn uncounted<R>(f: impl FnOnce() -> R) -> R {
    let _ = MEASURING.try_with(|c| {
        if let Some(mut m) = c.get() {
            m.paused += 1;
            c.set(Some(m));
        }
    });
    let out = f();
    let _ = MEASURING.try_with(|c| {
        if let Some(mut m) = c.get() {
            m.paused -= 1;
            c.set(Some(m));
        }
    });
    out
}
