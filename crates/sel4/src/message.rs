//! The small bit-packed words of the kernel interface.
//!
//! The kernel generates these from `shared_types.bf`; the bit positions below
//! are for 64-bit words, fields listed there from the most significant bit down.

use crate::{Word, MSG_MAX_EXTRA_CAPS, MSG_MAX_LENGTH};

/// The message tag (`seL4_MessageInfo_t`): label, unwrapped caps, extra caps, length.
///
/// Bits 63..12 hold the label, 11..9 the mask of capabilities the kernel
/// unwrapped into badges, 8..7 the number of extra caps, 6..0 the number of
/// message registers. On a reply to an invocation the label is the error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct MessageInfo(pub Word);

const LABEL_SHIFT: u32 = 12;
const LABEL_BITS: u32 = 52;
const CAPS_UNWRAPPED_SHIFT: u32 = 9;
const CAPS_UNWRAPPED_BITS: u32 = 3;
const EXTRA_CAPS_SHIFT: u32 = 7;
const EXTRA_CAPS_BITS: u32 = 2;
const LENGTH_SHIFT: u32 = 0;
const LENGTH_BITS: u32 = 7;

const fn mask(bits: u32) -> Word {
    (1 << bits) - 1
}

impl MessageInfo {
    /// Packs the four fields; `None` if one does not fit its field or exceeds the kernel's limits
    /// (at most [`MSG_MAX_EXTRA_CAPS`] caps and [`MSG_MAX_LENGTH`] registers).
    pub const fn new(
        label: Word,
        caps_unwrapped: u8,
        extra_caps: u8,
        length: u8,
    ) -> Option<MessageInfo> {
        if label > mask(LABEL_BITS)
            || caps_unwrapped as Word > mask(CAPS_UNWRAPPED_BITS)
            || extra_caps as usize > MSG_MAX_EXTRA_CAPS
            || length as usize > MSG_MAX_LENGTH
        {
            return None;
        }
        Some(MessageInfo(
            (label << LABEL_SHIFT)
                | ((caps_unwrapped as Word) << CAPS_UNWRAPPED_SHIFT)
                | ((extra_caps as Word) << EXTRA_CAPS_SHIFT)
                | ((length as Word) << LENGTH_SHIFT),
        ))
    }

    /// The label: an invocation label going in, an error code coming back.
    pub const fn label(self) -> Word {
        (self.0 >> LABEL_SHIFT) & mask(LABEL_BITS)
    }

    /// Bit i set: extra cap i was unwrapped into its badge on receipt.
    pub const fn caps_unwrapped(self) -> u8 {
        ((self.0 >> CAPS_UNWRAPPED_SHIFT) & mask(CAPS_UNWRAPPED_BITS)) as u8
    }

    /// Number of extra capabilities sent or received.
    pub const fn extra_caps(self) -> u8 {
        ((self.0 >> EXTRA_CAPS_SHIFT) & mask(EXTRA_CAPS_BITS)) as u8
    }

    /// Number of message registers sent or received.
    pub const fn length(self) -> u8 {
        ((self.0 >> LENGTH_SHIFT) & mask(LENGTH_BITS)) as u8
    }
}

/// Access rights of a capability (`seL4_CapRights_t`): bit 0 write, 1 read, 2 grant, 3 grant-reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct CapRights(pub Word);

impl CapRights {
    /// May write (frames: writable mapping; endpoints: send).
    pub const WRITE: CapRights = CapRights(1 << 0);
    /// May read (frames: readable mapping; endpoints: receive).
    pub const READ: CapRights = CapRights(1 << 1);
    /// May transfer capabilities through an endpoint.
    pub const GRANT: CapRights = CapRights(1 << 2);
    /// May transfer reply capabilities through an endpoint.
    pub const GRANT_REPLY: CapRights = CapRights(1 << 3);
    /// No rights.
    pub const NONE: CapRights = CapRights(0);
    /// Read and write.
    pub const READ_WRITE: CapRights = CapRights(Self::READ.0 | Self::WRITE.0);
    /// All four rights (`seL4_AllRights`).
    pub const ALL: CapRights =
        CapRights(Self::READ.0 | Self::WRITE.0 | Self::GRANT.0 | Self::GRANT_REPLY.0);

    /// Builds rights from the four flags.
    pub const fn new(grant_reply: bool, grant: bool, read: bool, write: bool) -> CapRights {
        CapRights(
            (grant_reply as Word) << 3 | (grant as Word) << 2 | (read as Word) << 1 | write as Word,
        )
    }

    /// The union of two sets of rights.
    pub const fn union(self, other: CapRights) -> CapRights {
        CapRights(self.0 | other.0)
    }

    /// Whether every right in `other` is also in `self`.
    pub const fn contains(self, other: CapRights) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Guard of a CNode capability (`seL4_CNode_CapData`): guard in bits 63..6, guard size in 5..0.
///
/// Passed as `cspace_root_data` to `TCB_Configure`/`TCB_SetSpace` and as the
/// badge of `CNode_Mint`/`CNode_Mutate` on a CNode cap, so that a CNode of
/// radix r with guard size 64 - r resolves a full 64-bit CPtr in one level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct CNodeCapData(pub Word);

impl CNodeCapData {
    /// Packs `guard` and `guard_size`; `None` if the guard size exceeds 63 or the guard
    /// does not fit in 58 bits or in `guard_size` bits.
    pub const fn new(guard: Word, guard_size: u8) -> Option<CNodeCapData> {
        if guard_size > 63 || guard >= 1 << 58 || (guard_size < 58 && guard >> guard_size != 0) {
            return None;
        }
        Some(CNodeCapData(guard << 6 | guard_size as Word))
    }

    /// The guard value.
    pub const fn guard(self) -> Word {
        self.0 >> 6
    }

    /// The number of guard bits.
    pub const fn guard_size(self) -> u8 {
        (self.0 & 0x3f) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_info_bit_layout() {
        // label 1 (UntypedRetype), 0 unwrapped, 1 extra cap, 6 registers.
        let info = MessageInfo::new(1, 0, 1, 6).unwrap();
        assert_eq!(info.0, (1 << 12) | (1 << 7) | 6);
        assert_eq!(info.label(), 1);
        assert_eq!(info.extra_caps(), 1);
        assert_eq!(info.length(), 6);
        assert_eq!(info.caps_unwrapped(), 0);

        let full = MessageInfo::new((1 << 52) - 1, 7, 3, 120).unwrap();
        // Bits 63..7 all set, then length 120 = 0b111_1000 in bits 6..0.
        assert_eq!(full.0, 0xffff_ffff_ffff_fff8);
        assert_eq!(full.label(), (1 << 52) - 1);
        assert_eq!(full.caps_unwrapped(), 7);
        assert_eq!(full.extra_caps(), 3);
        assert_eq!(full.length(), 120);
    }

    #[test]
    fn message_info_rejects_out_of_range_fields() {
        assert!(MessageInfo::new(1 << 52, 0, 0, 0).is_none());
        assert!(MessageInfo::new(0, 8, 0, 0).is_none());
        assert!(MessageInfo::new(0, 0, 4, 0).is_none());
        assert!(MessageInfo::new(0, 0, 0, 121).is_none());
    }

    #[test]
    fn message_info_decodes_a_kernel_reply() {
        // An error reply: label = seL4_RangeError (4), two registers of details.
        let reply = MessageInfo((4 << 12) | 2);
        assert_eq!(reply.label(), 4);
        assert_eq!(reply.length(), 2);
    }

    #[test]
    fn cap_rights_bits() {
        assert_eq!(CapRights::ALL.0, 0xf);
        assert_eq!(CapRights::READ_WRITE.0, 0x3);
        assert_eq!(CapRights::new(false, true, true, false).0, 0x6);
        assert!(CapRights::ALL.contains(CapRights::GRANT));
        assert!(!CapRights::READ.contains(CapRights::WRITE));
    }

    #[test]
    fn cnode_cap_data_bits() {
        let d = CNodeCapData::new(0, 64 - 19).unwrap();
        assert_eq!(d.0, 45);
        assert_eq!(d.guard_size(), 45);
        let g = CNodeCapData::new(0b101, 3).unwrap();
        assert_eq!(g.0, 0b101 << 6 | 3);
        assert_eq!(g.guard(), 0b101);
        assert!(CNodeCapData::new(0b1000, 3).is_none());
        assert!(CNodeCapData::new(0, 64).is_none());
    }
}
