//! Runtime for sysinit protection domains: entry point, event loop, channels,
//! protected procedure calls, console reports.
//!
//! The programming model is libmicrokit's. A PD is a type implementing
//! [`ProtectionDomain`]; [`protection_domain!`] makes it the program:
//!
//! ```text
//! #![no_std]
//! #![no_main]
//! use sysinit_pd::{Channel, ProtectionDomain};
//!
//! struct Hello;
//! impl ProtectionDomain for Hello {
//!     fn init() -> Self {
//!         sysinit_pd::debug_println!("hello from {}", sysinit_pd::pd_name());
//!         sysinit_pd::report_ok();
//!         Hello
//!     }
//! }
//! sysinit_pd::protection_domain!(Hello);
//! ```
//!
//! `init` runs once; then the runtime waits on the PD's input capability and
//! calls `notified(ch)` for every channel that signalled, `protected(ch,
//! msginfo)` for every protected procedure call, replying with what it returns,
//! and `fault(id, msginfo)` for every fault of a vCPU (or child) whose fault
//! endpoint is the PD's input, replying if it returns a reply.
//! The capability slots, badges, stack and IPC buffer address come from
//! `sysinit-pd-abi`, the contract with `sysinit build`.
//!
//! The pure parts (badge decoding, the name, report lines) build everywhere and
//! are tested on the host; the kernel calls build on x86_64 and aarch64 (I/O
//! ports on x86_64 only); the entry point and panic handler only for bare metal
//! (`target_os = "none"`). PDs have booted under seL4 on both (QEMU q35 and virt).
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod event;
pub mod name;
pub mod report;
pub mod setvar;

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod runtime;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub use runtime::*;

#[cfg(all(
    target_os = "none",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod entry;

pub use event::{decode_badge, Channel, ChannelSet, Event};
pub use name::pd_name;
pub use setvar::Setvar;
pub use sysinit_pd_abi as abi;
pub use sysinit_sel4::{MessageInfo, Word, MSG_MAX_LENGTH};

/// A protection domain's event handlers (libmicrokit's `init`, `notified`,
/// `protected`). The value `init` returns is the PD's state for the handlers.
pub trait ProtectionDomain: Sized {
    /// Runs once, before any event is delivered.
    fn init() -> Self;

    /// Channel `ch` was notified (or its interrupt fired). The default ignores it.
    fn notified(&mut self, ch: Channel) {
        let _ = ch;
    }

    /// A protected procedure call came in over `ch` with `msginfo` and the
    /// registers readable with `mr_get`; the returned tag and the registers set
    /// with `mr_set` are the reply. The default replies with an empty message.
    fn protected(&mut self, ch: Channel, msginfo: MessageInfo) -> MessageInfo {
        let _ = (ch, msginfo);
        msginfo_new(0, 0)
    }

    /// The thread with id `id` (a vCPU of this PD's virtual machine, or a child PD)
    /// faulted; `msginfo`'s label is the fault kind (`sysinit_sel4::fault`) and the
    /// fault's values are readable with `mr_get`. `Some(reply)` replies with that tag
    /// (and the registers set with `mr_set`), which resumes the thread; `None` leaves it
    /// stopped. The default reports the fault on the console and leaves the thread stopped.
    fn fault(&mut self, id: u8, msginfo: MessageInfo) -> Option<MessageInfo> {
        report_unhandled_fault(id, msginfo);
        None
    }
}

/// What the default [`ProtectionDomain::fault`] says about a fault nobody handles:
/// `fault of thread <id>: <kind> (label <n>)`.
#[derive(Clone, Copy, Debug)]
pub struct UnhandledFault {
    /// The faulting thread's id.
    pub id: u8,
    /// The fault message's tag.
    pub msginfo: MessageInfo,
}

impl core::fmt::Display for UnhandledFault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        #[cfg(target_arch = "x86_64")]
        let config = sysinit_sel4::label::X86_64;
        #[cfg(not(target_arch = "x86_64"))]
        let config = sysinit_sel4::label::AARCH64;
        let label = self.msginfo.label();
        let kind = sysinit_sel4::fault::FaultKind::from_label(config, label);
        write!(f, "unhandled fault of thread {}: ", self.id)?;
        match kind {
            Some(kind) => write!(f, "{kind} (label {label})"),
            None => write!(f, "unknown fault label {label}"),
        }
    }
}

// Unit tests run on the host, where a report would be a syscall: they check the text
// through `UnhandledFault` instead.
#[cfg(all(not(test), any(target_arch = "x86_64", target_arch = "aarch64")))]
fn report_unhandled_fault(id: u8, msginfo: MessageInfo) {
    report_fail(format_args!("{}", UnhandledFault { id, msginfo }));
}

#[cfg(any(test, not(any(target_arch = "x86_64", target_arch = "aarch64"))))]
fn report_unhandled_fault(id: u8, msginfo: MessageInfo) {
    let _ = (id, msginfo);
}

/// Hands one received message to `pd`: `protected` for a call badge (returning
/// the reply tag the caller is owed), `fault` for a fault badge (returning the reply
/// that resumes the thread, if the handler gives one), `notified` for each channel
/// of a notification badge (returning `None`: nobody waits for a reply).
pub fn dispatch<P: ProtectionDomain>(
    pd: &mut P,
    badge: Word,
    info: MessageInfo,
) -> Option<MessageInfo> {
    match decode_badge(badge) {
        Event::Protected(ch) => Some(pd.protected(ch, info)),
        Event::Fault(id) => pd.fault(id, info),
        Event::Notified(channels) => {
            channels.for_each(|ch| pd.notified(ch));
            None
        }
    }
}

/// A message tag with `label` and `count` message registers (no caps).
///
/// Out-of-range parts are cut to what the kernel accepts: the label to its 52
/// bits, `count` to [`MSG_MAX_LENGTH`].
pub const fn msginfo_new(label: Word, count: u8) -> MessageInfo {
    let label = label & ((1 << 52) - 1);
    let count = if count as usize > MSG_MAX_LENGTH {
        MSG_MAX_LENGTH as u8
    } else {
        count
    };
    match MessageInfo::new(label, 0, 0, count) {
        Some(info) => info,
        // Unreachable: both fields were cut to their ranges above.
        None => MessageInfo(0),
    }
}

/// Makes `$ty` (a [`ProtectionDomain`]) the program: defines the main function
/// the entry point calls. Use once, in the binary crate.
#[macro_export]
macro_rules! protection_domain {
    ($ty:ty) => {
        #[no_mangle]
        extern "C" fn sysinit_pd_main() -> ! {
            $crate::run::<$ty>()
        }
    };
}

/// `println!` to the kernel console.
#[macro_export]
macro_rules! debug_println {
    ($($arg:tt)*) => {
        $crate::debug_print_fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Prints `SYSINIT pd <name> note: <formatted text>`.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::report_note(format_args!($($arg)*))
    };
}

/// Prints `SYSINIT pd <name> fail: <formatted text>`.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => {
        $crate::report_fail(format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    extern crate std;
    use std::vec::Vec;

    /// Records what the runtime hands it.
    #[derive(Default)]
    struct Recorder {
        notified: Vec<u8>,
        calls: Vec<(u8, Word)>,
    }

    impl ProtectionDomain for Recorder {
        fn init() -> Self {
            Recorder::default()
        }
        fn notified(&mut self, ch: Channel) {
            self.notified.push(ch.id());
        }
        fn protected(&mut self, ch: Channel, msginfo: MessageInfo) -> MessageInfo {
            self.calls.push((ch.id(), msginfo.label()));
            msginfo_new(msginfo.label() + 1, 1)
        }
    }

    #[test]
    fn a_call_is_dispatched_to_protected_and_owes_a_reply() {
        let mut pd = Recorder::init();
        let reply = dispatch(&mut pd, abi::PPC_BADGE | 4, msginfo_new(9, 1));
        assert_eq!(reply, Some(msginfo_new(10, 1)));
        assert_eq!(pd.calls, [(4, 9)]);
        assert!(pd.notified.is_empty());
    }

    #[test]
    fn notifications_are_dispatched_per_channel_and_owe_nothing() {
        let mut pd = Recorder::init();
        assert_eq!(dispatch(&mut pd, 0b1010, msginfo_new(0, 0)), None);
        assert_eq!(pd.notified, [1, 3]);
        assert!(pd.calls.is_empty());
    }

    #[test]
    fn the_default_handlers_ignore_notifications_and_reply_empty() {
        let mut pd = Quiet::init();
        assert_eq!(dispatch(&mut pd, 1, msginfo_new(0, 0)), None);
        assert_eq!(
            dispatch(&mut pd, abi::PPC_BADGE, msginfo_new(3, 2)),
            Some(msginfo_new(0, 0))
        );
    }

    /// A PD with only the default handlers.
    struct Quiet;

    impl ProtectionDomain for Quiet {
        fn init() -> Self {
            Quiet
        }
    }

    /// Resumes even ids with a reply of label 0, leaves odd ones stopped.
    struct FaultServer(Vec<(u8, Word)>);

    impl ProtectionDomain for FaultServer {
        fn init() -> Self {
            FaultServer(Vec::new())
        }
        fn fault(&mut self, id: u8, msginfo: MessageInfo) -> Option<MessageInfo> {
            self.0.push((id, msginfo.label()));
            id.is_multiple_of(2).then(|| msginfo_new(0, 0))
        }
    }

    #[test]
    fn a_fault_is_dispatched_to_fault_which_decides_the_reply() {
        let mut pd = FaultServer::init();
        assert_eq!(
            dispatch(&mut pd, abi::FAULT_BADGE | 2, msginfo_new(5, 4)),
            Some(msginfo_new(0, 0))
        );
        assert_eq!(
            dispatch(&mut pd, abi::FAULT_BADGE | 1, msginfo_new(7, 1)),
            None
        );
        assert_eq!(pd.0, [(2, 5), (1, 7)]);
    }

    #[test]
    fn the_default_fault_handler_leaves_the_thread_stopped_and_names_the_fault() {
        let mut pd = Quiet::init();
        assert_eq!(
            dispatch(&mut pd, abi::FAULT_BADGE | 3, msginfo_new(5, 4)),
            None
        );
        let text = std::format!(
            "{}",
            UnhandledFault {
                id: 3,
                msginfo: msginfo_new(5, 4)
            }
        );
        assert_eq!(text, "unhandled fault of thread 3: VMFault (label 5)");
        let text = std::format!(
            "{}",
            UnhandledFault {
                id: 0,
                msginfo: msginfo_new(99, 0)
            }
        );
        assert_eq!(text, "unhandled fault of thread 0: unknown fault label 99");
    }

    #[test]
    fn msginfo_new_keeps_fields_in_range() {
        let info = msginfo_new(7, 2);
        assert_eq!((info.label(), info.length(), info.extra_caps()), (7, 2, 0));
        assert_eq!(msginfo_new(0, u8::MAX).length() as usize, MSG_MAX_LENGTH);
        assert_eq!(msginfo_new(u64::MAX, 0).label(), (1 << 52) - 1);
    }
}
