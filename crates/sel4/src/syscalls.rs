//! Syscalls and [`Invoker`] over the architecture's raw `syscall` entry.
//!
//! Everything here is the same on x86_64 and aarch64; only the register
//! convention of a single kernel entry differs, and that lives in the
//! architecture modules ([`crate::x86_64`], [`crate::aarch64`]), which re-export
//! this module's items.
//!
//! Syscalls that can make the kernel read or write the IPC buffer are `unsafe`:
//! the kernel touches memory the compiler does not see. The safe way to
//! invoke objects is [`Invoker`].

use core::ptr::NonNull;

use crate::error::{ErrorDetails, InvocationError};
use crate::raw::{syscall, ARCH};
use crate::{CPtr, Invocation, IpcBuffer, MessageInfo, Syscall, Word, MSG_MAX_LENGTH};

/// Message registers passed in machine registers (`seL4_FastMessageRegisters`).
pub const FAST_MESSAGE_REGISTERS: usize = 4;

/// What a receive returns: tag, badge of the sender's capability, first message registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    /// The message tag.
    pub info: MessageInfo,
    /// Badge of the capability the message or signal came through.
    pub badge: Word,
    /// Message registers 0..3; the rest are in the IPC buffer.
    pub mrs: [Word; FAST_MESSAGE_REGISTERS],
}

/// `seL4_Call`: send `info` with `mrs` to `dest` and wait for the reply.
///
/// Registers 4 and up and extra caps must already be in the IPC buffer.
///
/// # Safety
/// The kernel reads and writes the calling thread's IPC buffer: no Rust
/// reference to it may be live across the call.
pub unsafe fn call(
    dest: CPtr,
    info: MessageInfo,
    mrs: [Word; FAST_MESSAGE_REGISTERS],
) -> (MessageInfo, [Word; FAST_MESSAGE_REGISTERS]) {
    // SAFETY: forwarded to the caller.
    let (_, tag, mrs) = unsafe { syscall(Syscall::Call, dest, info.0, mrs) };
    (MessageInfo(tag), mrs)
}

/// `seL4_Send`: send `info` with `mrs` to `dest`, blocking until it is received.
///
/// # Safety
/// The kernel reads the calling thread's IPC buffer: no mutable Rust
/// reference to it may be live across the call.
pub unsafe fn send(dest: CPtr, info: MessageInfo, mrs: [Word; FAST_MESSAGE_REGISTERS]) {
    // SAFETY: forwarded to the caller.
    unsafe { syscall(Syscall::Send, dest, info.0, mrs) };
}

/// `seL4_Recv` (and `seL4_Wait`): wait for a message or signal on `src`.
///
/// # Safety
/// The kernel writes the calling thread's IPC buffer: no Rust reference to
/// it may be live across the call.
pub unsafe fn recv(src: CPtr) -> Received {
    // SAFETY: forwarded to the caller.
    let (badge, info, mrs) = unsafe { syscall(Syscall::Recv, src, 0, [0; 4]) };
    Received {
        info: MessageInfo(info),
        badge,
        mrs,
    }
}

/// `seL4_ReplyRecv`: reply to the last caller with `info`/`mrs`, then wait on `src`.
///
/// # Safety
/// The kernel reads and writes the calling thread's IPC buffer: no Rust
/// reference to it may be live across the call.
pub unsafe fn reply_recv(
    src: CPtr,
    info: MessageInfo,
    mrs: [Word; FAST_MESSAGE_REGISTERS],
) -> Received {
    // SAFETY: forwarded to the caller.
    let (badge, info, mrs) = unsafe { syscall(Syscall::ReplyRecv, src, info.0, mrs) };
    Received {
        info: MessageInfo(info),
        badge,
        mrs,
    }
}

/// `seL4_Wait` on a notification: returns the accumulated badge bits.
///
/// # Safety
/// If `notification` is in fact an endpoint capability the kernel delivers a
/// message into the IPC buffer: no Rust reference to it may be live across the call.
pub unsafe fn wait(notification: CPtr) -> Word {
    // SAFETY: forwarded to the caller.
    unsafe { recv(notification) }.badge
}

/// `seL4_Signal`: signal a notification (a one-word send without extra caps).
pub fn signal(notification: CPtr) {
    let Some(info) = MessageInfo::new(0, 0, 0, 1) else {
        return;
    };
    // SAFETY: a send of one register and no caps makes the kernel read no
    // memory of ours; the receiver's buffer, not ours, is written.
    unsafe { syscall(Syscall::Send, notification, info.0, [0; 4]) };
}

/// `seL4_Yield`: give up the rest of the time slice.
pub fn yield_now() {
    // SAFETY: yield touches no user memory.
    unsafe { syscall(Syscall::Yield, 0, 0, [0; 4]) };
}

/// `seL4_DebugPutChar`: write one byte to the kernel console.
pub fn debug_put_char(c: u8) {
    // SAFETY: the kernel only prints the byte passed in the capability register.
    unsafe { syscall(Syscall::DebugPutChar, c as Word, 0, [0; 4]) };
}

/// Writes a string to the kernel console byte by byte.
pub fn debug_put_str(s: &str) {
    s.bytes().for_each(debug_put_char);
}

/// `seL4_DebugHalt`: stop the machine (debug kernels).
pub fn debug_halt() {
    // SAFETY: halting touches no user memory.
    unsafe { syscall(Syscall::DebugHalt, 0, 0, [0; 4]) };
}

/// A `core::fmt::Write` sink on the kernel console, for `write!` in a root task.
#[derive(Clone, Copy, Debug, Default)]
pub struct DebugConsole;

impl core::fmt::Write for DebugConsole {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        debug_put_str(s);
        Ok(())
    }
}

/// The successful reply to an invocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The reply tag (label 0).
    pub info: MessageInfo,
    /// Message registers 0..3 (e.g. the physical address from `Page_GetAddress`).
    pub mrs: [Word; FAST_MESSAGE_REGISTERS],
}

/// Performs [`Invocation`]s through the calling thread's IPC buffer.
///
/// Holding the buffer's address, not a reference, keeps every access to it a
/// raw one around the syscalls, as the kernel's writes require.
#[derive(Debug)]
pub struct Invoker {
    ipc: NonNull<IpcBuffer>,
}

impl Invoker {
    /// An invoker using the IPC buffer at `ipc`.
    ///
    /// # Safety
    /// `ipc` must be the IPC buffer the kernel has registered for the thread
    /// that uses this invoker (for the root task: `BootInfo::ipc_buffer`),
    /// mapped writable, and nothing else may access that memory while the
    /// invoker is in use.
    pub unsafe fn new(ipc: NonNull<IpcBuffer>) -> Invoker {
        Invoker { ipc }
    }

    /// Performs `invocation` and copies the reply's message registers into `out` (as
    /// many as the reply has and `out` holds; the rest of `out` is left alone), for
    /// replies longer than [`Reply::mrs`] such as `TCB_ReadRegisters`'.
    pub fn invoke_into(
        &mut self,
        invocation: &Invocation,
        out: &mut [Word],
    ) -> Result<Reply, InvocationError> {
        let reply = self.invoke(invocation)?;
        let n = (reply.info.length() as usize)
            .min(out.len())
            .min(MSG_MAX_LENGTH);
        for (i, slot) in out.iter_mut().enumerate().take(n) {
            *slot = if i < FAST_MESSAGE_REGISTERS {
                reply.mrs[i]
            } else {
                // SAFETY: `new`'s contract makes the buffer valid and exclusively ours;
                // `i` < MSG_MAX_LENGTH; the read is raw and the
                // kernel finished writing when the call returned.
                unsafe { (*self.ipc.as_ptr()).msg[i] }
            };
        }
        Ok(reply)
    }

    /// Performs `invocation` with `seL4_Call` and decodes the reply.
    pub fn invoke(&mut self, invocation: &Invocation) -> Result<Reply, InvocationError> {
        let buf = self.ipc.as_ptr();
        for (i, &cap) in invocation.caps().iter().enumerate() {
            // SAFETY: `new`'s contract makes `buf` valid and exclusively ours;
            // `i` < MSG_MAX_EXTRA_CAPS because an Invocation holds no more.
            unsafe { (*buf).caps_or_badges[i] = cap };
        }
        let mrs = invocation.mrs();
        for (i, &mr) in mrs.iter().enumerate().skip(FAST_MESSAGE_REGISTERS) {
            // SAFETY: as above; `i` < MAX_INVOCATION_MRS < MSG_MAX_LENGTH.
            unsafe { (*buf).msg[i] = mr };
        }
        let mut regs = [0; FAST_MESSAGE_REGISTERS];
        for (r, &mr) in regs.iter_mut().zip(mrs) {
            *r = mr;
        }
        // SAFETY: no reference into the IPC buffer is live; the accesses above
        // are raw and complete before the call.
        let (info, mrs) = unsafe { call(invocation.service(), invocation.message_info(), regs) };
        match ErrorDetails::decode(info.label(), mrs) {
            None => Ok(Reply { info, mrs }),
            Some(details) => Err(InvocationError {
                arch: ARCH,
                service: invocation.service(),
                label: invocation.label(),
                details,
            }),
        }
    }
}
