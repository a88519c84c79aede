//! ping: calls pong's protected procedure once, then notifies pong ROUNDS times,
//! each time waiting for pong's notification back; ok when every answer came.
#![no_std]
#![no_main]

use sysinit_pd::{
    fail, mr_get, mr_set, msginfo_new, note, notify, ppcall, report_ok, Channel, ProtectionDomain,
};

/// The channel to pong (id 1 at both ends in specs/boot-pingpong.system).
const PONG: Channel = Channel::new(1);
/// Notification round trips to make.
const ROUNDS: u32 = 3;
/// The argument of the protected procedure call; pong answers with it plus one.
const QUESTION: u64 = 41;
/// Label pong's protected procedure answers (anything else is refused).
const LABEL_INCREMENT: u64 = 7;

struct Ping {
    answers: u32,
    failed: bool,
}

impl ProtectionDomain for Ping {
    fn init() -> Self {
        mr_set(0, QUESTION);
        let reply = ppcall(PONG, msginfo_new(LABEL_INCREMENT, 1));
        let answer = mr_get(0);
        let failed = reply.length() != 1 || answer != QUESTION + 1;
        if failed {
            fail!(
                "ppcall answered {answer} in {} registers, expected {} in 1",
                reply.length(),
                QUESTION + 1
            );
        } else {
            note!("ppcall answered {answer}");
        }
        notify(PONG);
        Ping { answers: 0, failed }
    }

    fn notified(&mut self, ch: Channel) {
        if ch != PONG {
            fail!("notified on unexpected channel {ch}");
            self.failed = true;
            return;
        }
        self.answers += 1;
        if self.answers < ROUNDS {
            notify(PONG);
        } else if self.answers == ROUNDS {
            note!("{ROUNDS} notification round trips");
            if !self.failed {
                report_ok();
            }
        }
    }
}

sysinit_pd::protection_domain!(Ping);
