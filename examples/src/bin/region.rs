//! A PD that checks the memory region mapped at its `region_vaddr` setvar: every
//! 4 KiB page reads zero (fresh from its untyped), takes a word written at the
//! page's own offset and gives it back. The 63-PD large system
//! (`crates/builder/examples/large_system.rs`, docs/performance.md) runs it in
//! every PD, each over its own 16 MiB region.
#![no_std]
#![no_main]

use sysinit_pd::{fail, note, report_ok, setvar, ProtectionDomain};

setvar!(region_vaddr);

/// Bytes of the region each PD maps (large_system's REGION_BYTES).
const REGION_BYTES: usize = 16 << 20;
const PAGE: usize = 4096;

struct Region;

fn run() -> Result<usize, &'static str> {
    let base = region_vaddr.get() as usize;
    if base == 0 {
        return Err("setvar region_vaddr not set by the builder");
    }
    let pages = REGION_BYTES / PAGE;
    for p in 0..pages {
        let word = (base + p * PAGE + (p % 512) * 8) as *mut u64;
        // SAFETY: the builder maps REGION_BYTES read-write at region_vaddr; `word` is an
        // aligned address inside it.
        unsafe {
            if word.read_volatile() != 0 {
                return Err("a page of the region was not zero");
            }
            word.write_volatile(0x5157_5345_0000_0000 | p as u64);
            if word.read_volatile() != 0x5157_5345_0000_0000 | p as u64 {
                return Err("a page of the region did not keep its word");
            }
        }
    }
    Ok(pages)
}

impl ProtectionDomain for Region {
    fn init() -> Self {
        match run() {
            Ok(pages) => {
                note!("{pages} pages checked");
                report_ok();
            }
            Err(why) => fail!("{why}"),
        }
        Region
    }
}

sysinit_pd::protection_domain!(Region);
