//! The binary encoding: magic, format version, postcard body, data blob.
//!
//! ```text
//! offset 0   8 bytes  MAGIC, b"sysinit\0"
//! offset 8   4 bytes  format version, u32 little-endian (FORMAT_VERSION)
//! offset 12  ...      postcard body: arch, hypervisor, objects, machine (option), blob length (u64)
//! then       n bytes  the blob, exactly as many bytes as the body declares
//! ```

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};
use sysinit_kobj::Arch;

use crate::{KernelConfig, Machine, NamedObject, Spec, SpecError};

/// First eight bytes of every encoded spec.
pub const MAGIC: [u8; 8] = *b"sysinit\0";

/// Version of the encoding this build reads and writes.
///
/// Bump it whenever the bytes a spec encodes to change: a new field, a new
/// enum variant, a reordering. Version 3 added `hypervisor` (the kernel
/// configuration); version 2 is still read, as the architecture's default
/// configuration. Anything older is refused.
pub const FORMAT_VERSION: u32 = 3;

const HEADER_LEN: usize = MAGIC.len() + 4;

/// The postcard body as written (borrows the spec).
#[derive(Serialize)]
struct BodyOut<'a> {
    arch: Arch,
    hypervisor: bool,
    objects: &'a [NamedObject],
    machine: &'a Option<Machine>,
    blob_len: u64,
}

/// The postcard body as read; field for field the same shape as [`BodyOut`].
#[derive(Deserialize)]
struct BodyIn {
    arch: Arch,
    hypervisor: bool,
    objects: Vec<NamedObject>,
    machine: Option<Machine>,
    blob_len: u64,
}

/// The body of format version 2 (before `hypervisor`), still read: recorded boots
/// embed it.
#[derive(Deserialize)]
struct BodyInV2 {
    arch: Arch,
    objects: Vec<NamedObject>,
    machine: Option<Machine>,
    blob_len: u64,
}

/// Why bytes could not be decoded into a spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes do not start with [`MAGIC`].
    NotASpec {
        /// Up to the first eight bytes found.
        found: Vec<u8>,
    },
    /// The spec was written by a sysinit with another format version.
    VersionMismatch {
        /// Version in the bytes.
        found: u32,
        /// Version this build reads ([`FORMAT_VERSION`]).
        supported: u32,
    },
    /// The bytes end early.
    Truncated {
        /// Which part was cut off.
        part: &'static str,
    },
    /// The body is not a well-formed encoding of the spec types.
    Malformed {
        /// What the postcard decoder reported.
        reason: String,
    },
    /// Bytes follow the declared end of the blob.
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// The spec decoded but is inconsistent.
    Invalid(SpecError),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::NotASpec { found } => write!(
                f,
                "not a sysinit spec: it starts with {} instead of the magic {}",
                Escaped(found),
                Escaped(&MAGIC)
            ),
            DecodeError::VersionMismatch { found, supported } => write!(
                f,
                "spec format version {found}; this build reads version {supported}; \
                 rebuild the spec with a matching sysinit"
            ),
            DecodeError::Truncated { part } => {
                write!(f, "the spec is truncated: its {part} is cut off")
            }
            DecodeError::Malformed { reason } => {
                write!(f, "the spec body is malformed ({reason}); rebuild the spec")
            }
            DecodeError::TrailingBytes { count } => write!(
                f,
                "{count} unexpected bytes follow the spec's data blob; the file is corrupt \
                 or was concatenated with something else"
            ),
            DecodeError::Invalid(e) => write!(f, "the spec is invalid: {e}"),
        }
    }
}

impl core::error::Error for DecodeError {}

/// Byte string shown as in Rust source: `b"sysinit\0"`.
struct Escaped<'a>(&'a [u8]);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("b\"")?;
        for &b in self.0 {
            write!(f, "{}", core::ascii::escape_default(b))?;
        }
        f.write_str("\"")
    }
}

impl Spec {
    /// Encodes the spec in the binary form the root task embeds.
    ///
    /// Deterministic: the same spec always gives the same bytes. The spec is
    /// not validated here; [`Spec::from_postcard`] will refuse an invalid one.
    pub fn to_postcard(&self) -> Vec<u8> {
        let body = BodyOut {
            arch: self.arch,
            hypervisor: self.hypervisor,
            objects: &self.objects,
            machine: &self.machine,
            blob_len: self.blob.len() as u64,
        };
        let mut out = Vec::with_capacity(HEADER_LEN + self.blob.len() + 64 * self.objects.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        // postcard only fails to serialize sequences of unknown length and
        // full fixed-size buffers; neither happens with these types and a Vec.
        let body =
            postcard::to_extend(&body, out).expect("spec types always serialize with postcard");
        let mut out = body;
        out.extend_from_slice(&self.blob);
        out
    }

    /// Decodes and validates a binary spec.
    ///
    /// Checks the magic and the format version before anything else, never
    /// panics, and allocates at most in proportion to the input's length.
    pub fn from_postcard(bytes: &[u8]) -> Result<Spec, DecodeError> {
        let (mut spec, blob) = Spec::decode_unvalidated(bytes)?;
        spec.blob = blob.to_vec();
        spec.validate().map_err(DecodeError::Invalid)?;
        Ok(spec)
    }

    /// Like [`Spec::from_postcard`], but leaves the blob in `bytes` instead of
    /// copying it: the returned spec's [`Spec::blob`] is empty and the second
    /// value is the blob. For a consumer that should not need heap for program
    /// images: the root task decodes its embedded spec with it and fills frames from
    /// the blob where it lies (`sysinit_initializer::initialize_with_blob`).
    pub fn from_postcard_borrowing_blob(bytes: &[u8]) -> Result<(Spec, &[u8]), DecodeError> {
        let (spec, blob) = Spec::decode_unvalidated(bytes)?;
        spec.validate_with_blob_len(blob.len() as u64)
            .map_err(DecodeError::Invalid)?;
        Ok((spec, blob))
    }

    fn decode_unvalidated(bytes: &[u8]) -> Result<(Spec, &[u8]), DecodeError> {
        let magic = bytes.get(..MAGIC.len());
        if magic != Some(&MAGIC[..]) {
            // A short prefix of the magic is a truncated spec, anything else is not a spec.
            if bytes.len() < MAGIC.len() && !bytes.is_empty() && MAGIC.starts_with(bytes) {
                return Err(DecodeError::Truncated { part: "header" });
            }
            let shown = &bytes[..bytes.len().min(MAGIC.len())];
            return Err(DecodeError::NotASpec {
                found: shown.to_vec(),
            });
        }
        let version: [u8; 4] = bytes
            .get(MAGIC.len()..HEADER_LEN)
            .and_then(|v| v.try_into().ok())
            .ok_or(DecodeError::Truncated { part: "header" })?;
        let version = u32::from_le_bytes(version);
        let body_error = |e| match e {
            postcard::Error::DeserializeUnexpectedEnd => DecodeError::Truncated { part: "body" },
            other => DecodeError::Malformed {
                reason: other.to_string(),
            },
        };
        let (body, blob) = match version {
            FORMAT_VERSION => {
                postcard::take_from_bytes::<BodyIn>(&bytes[HEADER_LEN..]).map_err(body_error)?
            }
            // Version 2 had no `hypervisor`: the architecture's default configuration.
            2 => {
                let (v2, blob) = postcard::take_from_bytes::<BodyInV2>(&bytes[HEADER_LEN..])
                    .map_err(body_error)?;
                let body = BodyIn {
                    arch: v2.arch,
                    hypervisor: KernelConfig::of_arch(v2.arch).hypervisor,
                    objects: v2.objects,
                    machine: v2.machine,
                    blob_len: v2.blob_len,
                };
                (body, blob)
            }
            _ => {
                return Err(DecodeError::VersionMismatch {
                    found: version,
                    supported: FORMAT_VERSION,
                })
            }
        };
        match u64::try_from(blob.len()) {
            Ok(len) if len == body.blob_len => {}
            Ok(len) if len < body.blob_len => {
                return Err(DecodeError::Truncated { part: "data blob" })
            }
            // More bytes than declared (or, impossibly, more than u64 can count).
            _ => {
                let count = blob
                    .len()
                    .saturating_sub(usize::try_from(body.blob_len).unwrap_or(usize::MAX));
                return Err(DecodeError::TrailingBytes { count });
            }
        }
        Ok((
            Spec {
                arch: body.arch,
                hypervisor: body.hypervisor,
                objects: body.objects,
                machine: body.machine,
                blob: Vec::new(),
            },
            blob,
        ))
    }
}
