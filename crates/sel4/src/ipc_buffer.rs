//! The IPC buffer (`seL4_IPCBuffer`): the per-thread page area the kernel
//! reads message registers and capability addresses from beyond what fits in
//! machine registers.

use crate::{CPtr, MessageInfo, Word, MSG_MAX_EXTRA_CAPS, MSG_MAX_LENGTH};

/// One thread's IPC buffer, laid out as the kernel expects.
///
/// 1024 bytes, aligned to its size like the C type (the kernel refuses an
/// IPC buffer address that is not aligned to `seL4_IPCBufferSizeBits`).
#[derive(Clone, Debug)]
#[repr(C, align(1024))]
pub struct IpcBuffer {
    /// Message tag of the last message (`tag`).
    pub tag: MessageInfo,
    /// Message registers; the first few travel in machine registers instead (`msg`).
    pub msg: [Word; MSG_MAX_LENGTH],
    /// Free for the thread's own use, typically a TLS pointer (`userData`).
    pub user_data: Word,
    /// Caps to send, or badges of caps received and unwrapped (`caps_or_badges`).
    pub caps_or_badges: [Word; MSG_MAX_EXTRA_CAPS],
    /// CNode to receive a capability into (`receiveCNode`).
    pub receive_cnode: CPtr,
    /// Slot index in that CNode (`receiveIndex`).
    pub receive_index: CPtr,
    /// Depth of that index (`receiveDepth`).
    pub receive_depth: Word,
}

impl IpcBuffer {
    /// An all-zero buffer (what a freshly retyped frame holds).
    pub const fn zeroed() -> IpcBuffer {
        IpcBuffer {
            tag: MessageInfo(0),
            msg: [0; MSG_MAX_LENGTH],
            user_data: 0,
            caps_or_badges: [0; MSG_MAX_EXTRA_CAPS],
            receive_cnode: 0,
            receive_index: 0,
            receive_depth: 0,
        }
    }
}

impl Default for IpcBuffer {
    fn default() -> Self {
        IpcBuffer::zeroed()
    }
}
