//! Device logic shared by the example programs: the PD examples (which get
//! their addresses from setvars and run on the sysinit PD runtime) and the
//! guest program `guest_hello` (which gets them from its device tree and runs
//! on bare EL1). Each module takes the address of an already mapped register
//! window; how it got mapped is the caller's business.
//!
//! No runtime, no heap, no panic handler: the programs bring their own.
#![no_std]

pub mod pci;
pub mod pl011;
