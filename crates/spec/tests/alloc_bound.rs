//! Forged length prefixes must not make the decoder allocate more than a small
//! multiple of its input. A counting global allocator records the largest
//! single allocation while decoding.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use sysinit_spec::{Spec, FORMAT_VERSION, MAGIC};

struct Counting;

static LARGEST: AtomicUsize = AtomicUsize::new(0);
/// Tests in this file run one at a time so their measurements do not mix.
static SERIAL: Mutex<()> = Mutex::new(());

// SAFETY: forwards every call to the system allocator unchanged; only records sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn largest_allocation_decoding(bytes: &[u8]) -> usize {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    LARGEST.store(0, Ordering::Relaxed);
    let result = Spec::from_postcard(bytes);
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(result.is_err(), "forged input decoded");
    largest
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn header() -> Vec<u8> {
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.push(0); // arch
    bytes
}

/// serde preallocates at most 1 MiB for a sequence whatever its declared
/// length, and postcard checks byte-string lengths against the input.
const BOUND: usize = 1 << 20;

#[test]
fn forged_object_count() {
    let mut bytes = header();
    varint(u64::from(u32::MAX), &mut bytes);
    assert!(largest_allocation_decoding(&bytes) <= BOUND);
}

#[test]
fn forged_slot_count() {
    let mut bytes = header();
    varint(1, &mut bytes); // one object
    varint(1, &mut bytes);
    bytes.push(b'c'); // named "c"
    bytes.push(3); // Object::CNode
    bytes.push(8); // radix
    varint(u64::MAX >> 1, &mut bytes); // slots
    bytes.extend_from_slice(&[1, 0, 0x0f, 0, 0, 0, 1]);
    assert!(largest_allocation_decoding(&bytes) <= BOUND);
}

#[test]
fn forged_byte_lengths() {
    let mut bytes = header();
    varint(1, &mut bytes);
    varint(1 << 40, &mut bytes); // name length
    bytes.extend_from_slice(b"short");
    assert!(largest_allocation_decoding(&bytes) <= BOUND);

    let mut bytes = header();
    varint(0, &mut bytes); // no objects
    varint(1 << 40, &mut bytes); // blob length
    assert!(largest_allocation_decoding(&bytes) <= BOUND);
}
