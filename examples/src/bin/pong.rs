//! pong: serves one protected procedure (MR0 + 1 in MR0) and answers every
//! notification from ping with one back; ok after the call and three rounds.
#![no_std]
#![no_main]

use sysinit_pd::{
    fail, mr_get, mr_set, msginfo_new, note, notify, report_ok, Channel, MessageInfo,
    ProtectionDomain,
};

/// The channel to ping (id 1 at both ends in specs/boot-pingpong.system).
const PING: Channel = Channel::new(1);
/// Notification rounds ping makes.
const ROUNDS: u32 = 3;
/// The one label the protected procedure accepts.
const LABEL_INCREMENT: u64 = 7;
/// Reply label for a call with another label or on another channel.
const LABEL_REFUSED: u64 = 1;

struct Pong {
    calls: u32,
    notifications: u32,
    failed: bool,
}

impl Pong {
    fn check_done(&self) {
        if self.calls == 1 && self.notifications == ROUNDS && !self.failed {
            report_ok();
        }
    }
}

impl ProtectionDomain for Pong {
    fn init() -> Self {
        Pong {
            calls: 0,
            notifications: 0,
            failed: false,
        }
    }

    fn protected(&mut self, ch: Channel, msginfo: MessageInfo) -> MessageInfo {
        if ch != PING || msginfo.label() != LABEL_INCREMENT || msginfo.length() != 1 {
            fail!(
                "call on channel {ch} with label {} and {} registers",
                msginfo.label(),
                msginfo.length()
            );
            self.failed = true;
            return msginfo_new(LABEL_REFUSED, 0);
        }
        self.calls += 1;
        let argument = mr_get(0);
        note!("called with {argument}");
        mr_set(0, argument.wrapping_add(1));
        self.check_done();
        msginfo_new(0, 1)
    }

    fn notified(&mut self, ch: Channel) {
        if ch != PING {
            fail!("notified on unexpected channel {ch}");
            self.failed = true;
            return;
        }
        self.notifications += 1;
        notify(PING);
        self.check_done();
    }
}

sysinit_pd::protection_domain!(Pong);
