//! Invocation errors: the kernel's error codes (`seL4_Error`) and the details
//! it returns with them in the first message registers.

use core::fmt;

use sysinit_kobj::Arch;

use crate::{label, CPtr, Word};

/// An seL4 error code, as the label of an invocation's reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum Error {
    /// Success (`seL4_NoError`); never inside an `Err`.
    NoError = 0,
    /// An argument is invalid (`seL4_InvalidArgument`).
    InvalidArgument = 1,
    /// A capability argument or the invoked capability is invalid (`seL4_InvalidCapability`).
    InvalidCapability = 2,
    /// The operation is not allowed on this object or in this state (`seL4_IllegalOperation`).
    IllegalOperation = 3,
    /// A value is out of range (`seL4_RangeError`).
    RangeError = 4,
    /// An address or size is misaligned (`seL4_AlignmentError`).
    AlignmentError = 5,
    /// A capability lookup failed (`seL4_FailedLookup`).
    FailedLookup = 6,
    /// The message was too short for the invocation (`seL4_TruncatedMessage`).
    TruncatedMessage = 7,
    /// The destination slot is occupied (`seL4_DeleteFirst`).
    DeleteFirst = 8,
    /// The capability has derived children or is otherwise in use (`seL4_RevokeFirst`).
    RevokeFirst = 9,
    /// The untyped has too little free memory (`seL4_NotEnoughMemory`).
    NotEnoughMemory = 10,
}

impl Error {
    /// Every error code in numeric order.
    pub const ALL: [Error; 11] = [
        Error::NoError,
        Error::InvalidArgument,
        Error::InvalidCapability,
        Error::IllegalOperation,
        Error::RangeError,
        Error::AlignmentError,
        Error::FailedLookup,
        Error::TruncatedMessage,
        Error::DeleteFirst,
        Error::RevokeFirst,
        Error::NotEnoughMemory,
    ];

    /// The error with this code, if the kernel defines one.
    pub const fn from_code(code: Word) -> Option<Error> {
        if code < Error::ALL.len() as Word {
            Some(Error::ALL[code as usize])
        } else {
            None
        }
    }

    /// The numeric code.
    pub const fn code(self) -> Word {
        self as Word
    }

    /// The kernel's name for the code.
    pub const fn name(self) -> &'static str {
        match self {
            Error::NoError => "seL4_NoError",
            Error::InvalidArgument => "seL4_InvalidArgument",
            Error::InvalidCapability => "seL4_InvalidCapability",
            Error::IllegalOperation => "seL4_IllegalOperation",
            Error::RangeError => "seL4_RangeError",
            Error::AlignmentError => "seL4_AlignmentError",
            Error::FailedLookup => "seL4_FailedLookup",
            Error::TruncatedMessage => "seL4_TruncatedMessage",
            Error::DeleteFirst => "seL4_DeleteFirst",
            Error::RevokeFirst => "seL4_RevokeFirst",
            Error::NotEnoughMemory => "seL4_NotEnoughMemory",
        }
    }

    /// What the code means, in words.
    pub const fn meaning(self) -> &'static str {
        match self {
            Error::NoError => "no error",
            Error::InvalidArgument => "an argument is invalid",
            Error::InvalidCapability => "a capability is invalid or of the wrong type",
            Error::IllegalOperation => "the operation is not allowed on this object in its state",
            Error::RangeError => "a value is out of range",
            Error::AlignmentError => "an address or size is misaligned",
            Error::FailedLookup => "a capability lookup failed",
            Error::TruncatedMessage => "the message is too short for the invocation",
            Error::DeleteFirst => "the destination slot is not empty",
            Error::RevokeFirst => "the capability must be revoked first",
            Error::NotEnoughMemory => "the untyped has not enough free memory",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.meaning())
    }
}

/// Why a capability lookup failed (`seL4_LookupFailureType` and its registers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LookupFailure {
    /// The root of the lookup is not a CNode.
    InvalidRoot,
    /// The slot reached is empty; `bits_left` bits of the address were not yet resolved.
    MissingCapability {
        /// Address bits left unresolved.
        bits_left: Word,
    },
    /// A CNode was reached with fewer or more address bits left than its radix + guard.
    DepthMismatch {
        /// Address bits left unresolved.
        bits_left: Word,
        /// Bits the CNode would have resolved.
        bits_found: Word,
    },
    /// The address did not match a CNode's guard.
    GuardMismatch {
        /// Address bits left unresolved.
        bits_left: Word,
        /// The guard the CNode has.
        guard_found: Word,
    },
    /// A lookup failure type this crate does not know.
    Unknown {
        /// The raw type register.
        kind: Word,
    },
}

impl fmt::Display for LookupFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupFailure::InvalidRoot => f.write_str("the root is not a CNode"),
            LookupFailure::MissingCapability { bits_left } => {
                write!(f, "empty slot reached with {bits_left} address bits left")
            }
            LookupFailure::DepthMismatch {
                bits_left,
                bits_found,
            } => write!(
                f,
                "depth mismatch: {bits_left} bits left but the CNode resolves {bits_found}"
            ),
            LookupFailure::GuardMismatch {
                bits_left,
                guard_found,
            } => write!(
                f,
                "guard mismatch with {bits_left} bits left (CNode guard {guard_found:#x})"
            ),
            LookupFailure::Unknown { kind } => write!(f, "lookup failure of unknown type {kind}"),
        }
    }
}

/// An error code with the details the kernel returned alongside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorDetails {
    /// Argument number `index` (0-based, message registers) is invalid.
    InvalidArgument {
        /// Which argument.
        index: Word,
    },
    /// Capability `index` is invalid: 0 is the invoked cap's first extra cap argument.
    InvalidCapability {
        /// Which capability argument.
        index: Word,
    },
    /// `seL4_IllegalOperation`.
    IllegalOperation,
    /// A value is outside `min..=max`.
    RangeError {
        /// Smallest valid value.
        min: Word,
        /// Largest valid value.
        max: Word,
    },
    /// `seL4_AlignmentError`.
    AlignmentError,
    /// Looking up a capability argument failed.
    FailedLookup {
        /// Whether the source (rather than the destination) lookup failed.
        in_source: bool,
        /// How it failed.
        failure: LookupFailure,
    },
    /// `seL4_TruncatedMessage`.
    TruncatedMessage,
    /// `seL4_DeleteFirst`.
    DeleteFirst,
    /// `seL4_RevokeFirst`.
    RevokeFirst,
    /// The untyped has only `available` bytes left.
    NotEnoughMemory {
        /// Free bytes remaining in the untyped.
        available: Word,
    },
    /// A reply label that is no seL4 error code.
    UnknownCode {
        /// The label.
        code: Word,
    },
}

impl ErrorDetails {
    /// Decodes an error reply: `code` is the reply's label, `mrs` its first four message registers.
    ///
    /// `None` for code 0 (success).
    pub const fn decode(code: Word, mrs: [Word; 4]) -> Option<ErrorDetails> {
        let Some(error) = Error::from_code(code) else {
            return Some(ErrorDetails::UnknownCode { code });
        };
        Some(match error {
            Error::NoError => return None,
            Error::InvalidArgument => ErrorDetails::InvalidArgument { index: mrs[0] },
            Error::InvalidCapability => ErrorDetails::InvalidCapability { index: mrs[0] },
            Error::IllegalOperation => ErrorDetails::IllegalOperation,
            Error::RangeError => ErrorDetails::RangeError {
                min: mrs[0],
                max: mrs[1],
            },
            Error::AlignmentError => ErrorDetails::AlignmentError,
            Error::FailedLookup => ErrorDetails::FailedLookup {
                in_source: mrs[0] != 0,
                // Register 1 holds the lookup failure type + 1 (0 = no failure).
                failure: match mrs[1] {
                    1 => LookupFailure::InvalidRoot,
                    2 => LookupFailure::MissingCapability { bits_left: mrs[2] },
                    3 => LookupFailure::DepthMismatch {
                        bits_left: mrs[2],
                        bits_found: mrs[3],
                    },
                    4 => LookupFailure::GuardMismatch {
                        bits_left: mrs[2],
                        guard_found: mrs[3],
                    },
                    kind => LookupFailure::Unknown { kind },
                },
            },
            Error::TruncatedMessage => ErrorDetails::TruncatedMessage,
            Error::DeleteFirst => ErrorDetails::DeleteFirst,
            Error::RevokeFirst => ErrorDetails::RevokeFirst,
            Error::NotEnoughMemory => ErrorDetails::NotEnoughMemory { available: mrs[0] },
        })
    }

    /// The plain error code, or `None` for an unknown code.
    pub const fn error(&self) -> Option<Error> {
        Some(match self {
            ErrorDetails::InvalidArgument { .. } => Error::InvalidArgument,
            ErrorDetails::InvalidCapability { .. } => Error::InvalidCapability,
            ErrorDetails::IllegalOperation => Error::IllegalOperation,
            ErrorDetails::RangeError { .. } => Error::RangeError,
            ErrorDetails::AlignmentError => Error::AlignmentError,
            ErrorDetails::FailedLookup { .. } => Error::FailedLookup,
            ErrorDetails::TruncatedMessage => Error::TruncatedMessage,
            ErrorDetails::DeleteFirst => Error::DeleteFirst,
            ErrorDetails::RevokeFirst => Error::RevokeFirst,
            ErrorDetails::NotEnoughMemory { .. } => Error::NotEnoughMemory,
            ErrorDetails::UnknownCode { .. } => return None,
        })
    }
}

impl fmt::Display for ErrorDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorDetails::InvalidArgument { index } => {
                write!(f, "{}: argument {index}", Error::InvalidArgument)
            }
            ErrorDetails::InvalidCapability { index } => {
                write!(
                    f,
                    "{}: capability argument {index}",
                    Error::InvalidCapability
                )
            }
            ErrorDetails::RangeError { min, max } => {
                write!(f, "{}: valid range is {min}..={max}", Error::RangeError)
            }
            ErrorDetails::FailedLookup { in_source, failure } => write!(
                f,
                "{}: {} lookup: {failure}",
                Error::FailedLookup,
                if *in_source { "source" } else { "destination" }
            ),
            ErrorDetails::NotEnoughMemory { available } => write!(
                f,
                "{}: {available:#x} bytes left in the untyped",
                Error::NotEnoughMemory
            ),
            ErrorDetails::UnknownCode { code } => {
                write!(f, "reply label {code} is not an seL4 error code")
            }
            plain => match plain.error() {
                Some(e) => fmt::Display::fmt(&e, f),
                None => Ok(()),
            },
        }
    }
}

/// A failed invocation: what was invoked, on which capability, and why it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InvocationError {
    /// The architecture whose label numbering `label` uses.
    pub arch: Arch,
    /// The capability invoked.
    pub service: CPtr,
    /// The invocation label sent.
    pub label: Word,
    /// The error and its details.
    pub details: ErrorDetails,
}

impl InvocationError {
    /// The plain error code, or `None` if the kernel replied with an unknown label.
    pub const fn error(&self) -> Option<Error> {
        self.details.error()
    }
}

impl fmt::Display for InvocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match label::name(self.arch, self.label) {
            Some(name) => write!(f, "{name}")?,
            None => write!(f, "invocation label {}", self.label)?,
        }
        write!(f, " on cap {:#x} failed: {}", self.service, self.details)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    #[test]
    fn codes_round_trip() {
        for (i, e) in Error::ALL.iter().enumerate() {
            assert_eq!(e.code(), i as Word);
            assert_eq!(Error::from_code(i as Word), Some(*e));
        }
        assert_eq!(Error::from_code(11), None);
    }

    #[test]
    fn details_decode_from_registers() {
        assert_eq!(ErrorDetails::decode(0, [0; 4]), None);
        assert_eq!(
            ErrorDetails::decode(4, [1, 256, 0, 0]),
            Some(ErrorDetails::RangeError { min: 1, max: 256 })
        );
        assert_eq!(
            ErrorDetails::decode(6, [1, 3, 7, 19]),
            Some(ErrorDetails::FailedLookup {
                in_source: true,
                failure: LookupFailure::DepthMismatch {
                    bits_left: 7,
                    bits_found: 19
                }
            })
        );
        assert_eq!(
            ErrorDetails::decode(10, [0x800, 0, 0, 0]),
            Some(ErrorDetails::NotEnoughMemory { available: 0x800 })
        );
        assert_eq!(
            ErrorDetails::decode(99, [0; 4]),
            Some(ErrorDetails::UnknownCode { code: 99 })
        );
    }

    #[test]
    fn messages_name_the_invocation_and_the_limit() {
        let e = InvocationError {
            arch: Arch::X86_64,
            service: 0x40,
            label: 1,
            details: ErrorDetails::RangeError { min: 1, max: 256 },
        };
        assert_eq!(
            e.to_string(),
            "UntypedRetype on cap 0x40 failed: seL4_RangeError (a value is out of range): \
             valid range is 1..=256"
        );
        let d = ErrorDetails::DeleteFirst;
        assert_eq!(
            d.to_string(),
            "seL4_DeleteFirst (the destination slot is not empty)"
        );
    }
}
