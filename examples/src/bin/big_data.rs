//! A PD whose program image carries 3 MiB of initialised data, so that its spec's blob
//! is larger than the 2 MiB the root task once reserved for a whole spec: it checks
//! every byte of the data arrived and reports ok (specs/boot-big-data.system).
#![no_std]
#![no_main]

use sysinit_pd::{debug_println, pd_name, report_ok, ProtectionDomain};

/// Bytes of initialised data.
const LEN: usize = 3 << 20;

/// Byte `i` of the data: not constant, so it cannot be a `.bss` or merged section.
const fn byte(i: usize) -> u8 {
    (i.wrapping_mul(2_654_435_761) >> 13) as u8
}

// Three million steps of constant evaluation: more than the lint's default patience.
#[allow(long_running_const_eval)]
static DATA: [u8; LEN] = {
    let mut d = [0u8; LEN];
    let mut i = 0;
    while i < LEN {
        d[i] = byte(i);
        i += 1;
    }
    d
};

struct BigData;

impl ProtectionDomain for BigData {
    fn init() -> Self {
        // Read through `black_box` so the compiler checks the loaded bytes, not the constant.
        let data = core::hint::black_box(&DATA);
        let wrong = (0..LEN).filter(|&i| data[i] != byte(i)).count();
        debug_println!(
            "{}: {} bytes of initialised data, {} wrong",
            pd_name(),
            LEN,
            wrong
        );
        if wrong == 0 {
            report_ok();
        }
        BigData
    }
}

sysinit_pd::protection_domain!(BigData);
