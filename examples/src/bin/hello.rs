//! The smallest PD: greets and reports ok.
#![no_std]
#![no_main]

use sysinit_pd::{debug_println, pd_name, report_ok, ProtectionDomain};

struct Hello;

impl ProtectionDomain for Hello {
    fn init() -> Self {
        debug_println!("hello from {}", pd_name());
        report_ok();
        Hello
    }
}

sysinit_pd::protection_domain!(Hello);
