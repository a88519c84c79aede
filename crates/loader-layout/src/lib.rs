//! Where the aarch64 kernel loader puts the seL4 kernel, the root task and the
//! device tree in physical memory, and the page tables it enters the kernel with.
//!
//! The same code runs twice: on the host in the loader's build script, which
//! refuses to build an image that cannot boot, and inside the loader on the
//! target, which checks the exact ranges again (its own extent comes from
//! its linker symbols) and prints any refusal on the UART. It is `no_std`,
//! allocates nothing and holds no unsafe code, so both uses share it and the
//! host tests cover what the loader does.
//!
//! - [`elf`]: a minimal reader for the ELF64 executables the loader carries.
//! - [`Layout::plan`]: kernel at its own physical addresses, device tree
//!   right after it (page aligned), root task after that; every refusal is a
//!   [`LayoutError`].
//! - [`tables`]: the translation tables seL4 expects from its loader, at EL2
//!   (hypervisor support) or EL1 ([`KernelLevel`]).
//! - [`QEMU_VIRT`]: the memory of the QEMU virt machine our kernel is built
//!   for (checked against `boards/qemu-aarch64-virt.toml` by the tests), and
//!   [`QEMU_VIRT_EL1`] for the kernel at EL1 (`boards/qemu-aarch64-virt-el1.toml`).
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod elf;
mod error;
mod plan;
pub mod tables;

pub use error::{Image, LayoutError};
pub use plan::{KernelLevel, Layout, Memory, QEMU_VIRT, QEMU_VIRT_EL1, QEMU_VIRT_LOADER};

/// log2 of the page size the root task and device tree are aligned to.
pub const PAGE_BITS: u8 = 12;
/// Bytes of one page.
pub const PAGE_SIZE: u64 = 1 << PAGE_BITS;
