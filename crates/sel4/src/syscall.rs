//! Syscall numbers of our kernel configuration (`seL4_Syscall_ID`).
//!
//! The kernel numbers syscalls with small negative integers and never
//! renumbers one when another is configured out, so the list has gaps: the
//! SMP debug calls, benchmark calls, dangerous MSR access and VM enter are
//! absent from our builds.

use crate::Word;

/// A system call the kernel of our configuration accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i64)]
pub enum Syscall {
    /// Send a message and wait for the reply (`seL4_Call`); used for every invocation.
    Call = -1,
    /// Reply to the last caller and wait for the next message (`seL4_ReplyRecv`).
    ReplyRecv = -2,
    /// Send, blocking until the receiver takes it (`seL4_Send`, `seL4_Signal`).
    Send = -3,
    /// Send if a receiver waits, otherwise drop the message (`seL4_NBSend`).
    NbSend = -4,
    /// Wait for a message or a notification (`seL4_Recv`, `seL4_Wait`).
    Recv = -5,
    /// Reply to the last caller (`seL4_Reply`).
    Reply = -6,
    /// Give up the rest of the time slice (`seL4_Yield`).
    Yield = -7,
    /// Poll without blocking (`seL4_NBRecv`, `seL4_Poll`).
    NbRecv = -8,
    /// Print one byte on the kernel console (debug builds with printing).
    DebugPutChar = -9,
    /// Print the scheduler's thread list (debug builds with printing).
    DebugDumpScheduler = -10,
    /// Stop the machine (debug builds).
    DebugHalt = -11,
    /// Return the type of the capability in a slot (debug builds).
    DebugCapIdentify = -12,
    /// Dump the capability state for the verification tools (debug builds).
    DebugSnapshot = -13,
    /// Name a thread for kernel messages (debug builds).
    DebugNameThread = -14,
    /// Set the caller's own TLS base without an invocation.
    ///
    /// Only on x86_64 in our configurations (`CONFIG_SET_TLS_BASE_SELF`); the
    /// aarch64 kernel lets user code write `TPIDR_EL0` directly instead.
    SetTlsBase = -30,
}

impl Syscall {
    /// The value passed in the syscall number register (two's complement of the negative number).
    pub const fn word(self) -> Word {
        self as i64 as Word
    }

    /// Whether our kernel build for `arch` accepts this syscall.
    pub const fn exists_on(self, arch: sysinit_kobj::Arch) -> bool {
        match self {
            Syscall::SetTlsBase => matches!(arch, sysinit_kobj::Arch::X86_64),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_twos_complement_words() {
        assert_eq!(Syscall::Call.word(), u64::MAX);
        assert_eq!(Syscall::DebugPutChar.word(), (-9i64) as u64);
    }
}
