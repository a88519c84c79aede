//! Why a board cannot be loaded or cannot describe a machine of the requested size.

use sysinit_kobj::PhysRange;
use thiserror::Error;

/// Errors from loading a board file or asking a board about a RAM size.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BoardError {
    /// No built-in board has this name.
    #[error("unknown board '{name}'; valid: {valid}")]
    UnknownBoard { name: String, valid: String },
    /// The TOML text does not match the board file format.
    #[error("board file: {message}")]
    Toml { message: String },
    /// A value in the board file is impossible.
    #[error("board '{board}': {what}")]
    Invalid { board: String, what: String },
    /// The RAM size is below what the board supports.
    #[error("board '{board}': RAM size {ram:#x} is too small; valid: {min:#x}..={max:#x}")]
    RamTooSmall {
        board: String,
        ram: u64,
        min: u64,
        max: u64,
    },
    /// The RAM size is above what the board supports.
    #[error("board '{board}': RAM size {ram:#x} is too large; valid: {min:#x}..={max:#x}")]
    RamTooLarge {
        board: String,
        ram: u64,
        min: u64,
        max: u64,
    },
    /// The RAM size is not a whole number of pages.
    #[error("board '{board}': RAM size {ram:#x} is not a multiple of 4 KiB")]
    RamNotPageMultiple { board: String, ram: u64 },
    /// The kernel image and root task do not fit where the kernel loads them.
    #[error("board '{board}': kernel and root task {needed} do not fit in the kernel's RAM")]
    KernelDoesNotFit { board: String, needed: PhysRange },
    /// The root task image ends too high for the kernel to map the IPC buffer and
    /// boot info pages after it.
    #[error(
        "board '{board}': the root task image ends at {image_end:#x}, but the kernel maps \
         {needed:#x} bytes of IPC buffer and boot info after it, below {user_top:#x}; \
         link the root task lower"
    )]
    RootTaskTooHigh {
        board: String,
        image_end: u64,
        needed: u64,
        user_top: u64,
    },
    /// No free RAM region can hold the root task's kernel objects.
    #[error(
        "board '{board}': no free RAM region holds the root server objects \
         ({size:#x} bytes aligned to 2^{align_bits})"
    )]
    NoRoomForRootServer {
        board: String,
        size: u64,
        align_bits: u8,
    },
}
