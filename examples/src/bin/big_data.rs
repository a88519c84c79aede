//! A PD whose program image carries 3 MiB of initialised data, so that its spec's blob
//! is larger than the 2 MiB the root task once reserved for a whole spec: it checks
//! every byte of the data arrived and reports ok (specs/boot-big-data.system).
#![no_std]
#![no_main]

use sysinit_pd::{debug_println, pd_name, report_ok, ProtectionDomain};

/// Bytes of one block: a prime, so that a page landing at the wrong offset shows.
const BLOCK: usize = 4093;
/// Blocks: a little over 3 MiB in all.
const BLOCKS: usize = 769;

/// Byte `i` of every block: not constant, so it cannot be a `.bss` or merged section.
const fn byte(i: usize) -> u8 {
    (i.wrapping_mul(2_654_435_761) >> 13) as u8
}

const ONE_BLOCK: [u8; BLOCK] = {
    let mut d = [0u8; BLOCK];
    let mut i = 0;
    while i < BLOCK {
        d[i] = byte(i);
        i += 1;
    }
    d
};

static DATA: [[u8; BLOCK]; BLOCKS] = [ONE_BLOCK; BLOCKS];

struct BigData;

impl ProtectionDomain for BigData {
    fn init() -> Self {
        // Read through `black_box` so the compiler checks the loaded bytes, not the constant.
        let data = core::hint::black_box(&DATA);
        let wrong = data
            .iter()
            .map(|block| (0..BLOCK).filter(|&i| block[i] != byte(i)).count())
            .sum::<usize>();
        debug_println!(
            "{}: {} bytes of initialised data, {} wrong",
            pd_name(),
            BLOCK * BLOCKS,
            wrong
        );
        if wrong == 0 {
            report_ok();
        }
        BigData
    }
}

sysinit_pd::protection_domain!(BigData);
