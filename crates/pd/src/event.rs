//! What a badge on the input capability means: a protected procedure call on one
//! channel, or notifications on a set of channels.

use sysinit_pd_abi::{FAULT_BADGE, MAX_CHANNEL_ID, PPC_BADGE};

/// A channel end of this PD, as numbered by the `id` of its `<end>` in the system
/// description (also the id of an `<irq>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Channel(u8);

impl Channel {
    /// Channel `id`.
    ///
    /// Meant for constants (`const PONG: Channel = Channel::new(1);`), where an
    /// id above [`MAX_CHANNEL_ID`] fails the build; use [`Channel::try_new`] for
    /// ids that come from data.
    pub const fn new(id: u8) -> Channel {
        match Channel::try_new(id as u64) {
            Some(ch) => ch,
            None => panic!("a channel id is at most sysinit_pd_abi::MAX_CHANNEL_ID (61)"),
        }
    }

    /// Channel `id`, or `None` if `id` exceeds [`MAX_CHANNEL_ID`].
    pub const fn try_new(id: u64) -> Option<Channel> {
        if id <= MAX_CHANNEL_ID {
            Some(Channel(id as u8))
        } else {
            None
        }
    }

    /// The channel id.
    pub const fn id(self) -> u8 {
        self.0
    }

    /// The id as a capability slot offset.
    pub const fn index(self) -> u64 {
        self.0 as u64
    }
}

impl core::fmt::Display for Channel {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The channels a notification badge names: bit `i` set means channel `i` notified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelSet(u64);

impl ChannelSet {
    /// The set of a notification badge. Bit 63 is not a channel (it marks calls),
    /// so it is dropped.
    pub const fn from_badge(badge: u64) -> ChannelSet {
        // Only bits of valid channel ids: a bit the builder never sets (62, 63) must not
        // name a channel whose cap slot belongs to another range.
        ChannelSet(badge & ((1 << (MAX_CHANNEL_ID + 1)) - 1))
    }

    /// True if no channel is in the set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// True if `ch` is in the set.
    pub const fn contains(self, ch: Channel) -> bool {
        self.0 & (1 << ch.0) != 0
    }
}

impl Iterator for ChannelSet {
    type Item = Channel;

    /// Lowest channel first, like libmicrokit's loop over the badge bits.
    fn next(&mut self) -> Option<Channel> {
        if self.0 == 0 {
            return None;
        }
        let id = self.0.trailing_zeros();
        self.0 &= self.0 - 1;
        // trailing_zeros of a non-zero word is below 64; bit 63 was dropped in
        // from_badge, so `id` <= 61 = MAX_CHANNEL_ID.
        Some(Channel(id as u8))
    }
}

/// What woke the PD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A protected procedure call over `Channel` (badge `PPC_BADGE | id`); the
    /// caller waits for the reply.
    Protected(Channel),
    /// Notifications (or interrupts) on every channel of the set.
    Notified(ChannelSet),
    /// A fault of the thread with this id (badge `FAULT_BADGE | id`): a vCPU of the PD's
    /// virtual machine (or a child PD). The thread waits for a reply to resume.
    Fault(u8),
}

/// Decodes the badge the kernel returned from a receive on the input capability.
///
/// The call bit wins over the fault bit (the builder never sets both); a badge with
/// neither is a notification.
///
/// A call badge carries the channel id in its low bits; bits the builder never
/// sets (above the id range) are ignored rather than trusted, so the id is the
/// badge's low six bits masked to a valid channel.
pub const fn decode_badge(badge: u64) -> Event {
    if badge & PPC_BADGE != 0 {
        // Six bits hold every id up to MAX_CHANNEL_ID (61). The builder never
        // mints 63; clamping keeps a forged badge from naming a slot past the range.
        let id = badge & 0x3f;
        let id = if id > MAX_CHANNEL_ID {
            MAX_CHANNEL_ID
        } else {
            id
        };
        Event::Protected(Channel(id as u8))
    } else if badge & FAULT_BADGE != 0 {
        // The same six bits and clamp as for calls: ids (vCPU, child) share the range.
        let id = badge & 0x3f;
        let id = if id > MAX_CHANNEL_ID {
            MAX_CHANNEL_ID
        } else {
            id
        };
        Event::Fault(id as u8)
    } else {
        Event::Notified(ChannelSet::from_badge(badge))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    extern crate std;
    use std::vec::Vec;

    #[test]
    fn a_call_badge_names_its_channel() {
        assert_eq!(decode_badge(PPC_BADGE), Event::Protected(Channel::new(0)));
        assert_eq!(
            decode_badge(PPC_BADGE | 5),
            Event::Protected(Channel::new(5))
        );
        assert_eq!(
            decode_badge(PPC_BADGE | 61),
            Event::Protected(Channel::new(61))
        );
    }

    #[test]
    fn a_fault_badge_names_its_thread() {
        assert_eq!(decode_badge(FAULT_BADGE), Event::Fault(0));
        assert_eq!(decode_badge(FAULT_BADGE | 3), Event::Fault(3));
        assert_eq!(decode_badge(FAULT_BADGE | 63), Event::Fault(61));
        assert_eq!(
            decode_badge(PPC_BADGE | FAULT_BADGE | 2),
            Event::Protected(Channel::new(2))
        );
    }

    #[test]
    fn a_call_badge_with_an_id_out_of_range_stays_in_range() {
        let Event::Protected(ch) = decode_badge(PPC_BADGE | 63) else {
            panic!("not a call");
        };
        assert!(ch.index() <= MAX_CHANNEL_ID);
        let Event::Protected(ch) = decode_badge(u64::MAX) else {
            panic!("not a call");
        };
        assert!(ch.index() <= MAX_CHANNEL_ID);
    }

    #[test]
    fn a_notification_badge_names_every_set_bit_lowest_first() {
        let Event::Notified(set) = decode_badge((1 << 0) | (1 << 3) | (1 << 61)) else {
            panic!("not a notification");
        };
        assert!(set.contains(Channel::new(3)));
        assert!(!set.contains(Channel::new(2)));
        let ids: Vec<u8> = set.map(Channel::id).collect();
        assert_eq!(ids, [0, 3, 61]);
    }

    #[test]
    fn notification_bits_past_the_last_channel_are_ignored() {
        // Bits 62 and 63 mark faults and calls: never channels of a notification set.
        assert!(ChannelSet::from_badge(3 << 62).is_empty());
        assert_eq!(ChannelSet::from_badge((1 << 62) | 1).count(), 1);
    }

    #[test]
    fn an_empty_badge_names_no_channel() {
        let Event::Notified(set) = decode_badge(0) else {
            panic!("not a notification");
        };
        assert!(set.is_empty());
        assert_eq!(set.count(), 0);
    }

    #[test]
    fn channel_ids_past_the_range_are_refused() {
        assert_eq!(
            Channel::try_new(MAX_CHANNEL_ID).map(Channel::index),
            Some(61)
        );
        assert_eq!(Channel::try_new(MAX_CHANNEL_ID + 1), None);
        assert_eq!(Channel::try_new(u64::MAX), None);
    }
}
