//! The exception syndrome (`ESR_EL2`) of a trapped guest instruction, as far as the
//! VMM decodes it: the exception class, and for a data abort the instruction
//! syndrome that says which register a load or store used and how wide it was.
//!
//! Bit positions from the Arm Architecture Reference Manual (ARMv8-A), "ESR_EL2":
//! EC in bits 31..26, IL in bit 25, ISS in bits 24..0; for data aborts ISV (24),
//! SAS (23..22), SSE (21), SRT (20..16), SF (15), AR (14), WnR (6), DFSC (5..0).

use core::fmt;

/// The exception class (`ESR_EL2.EC`).
pub const fn class(esr: u64) -> u8 {
    ((esr >> 26) & 0x3f) as u8
}

/// A `wfi` or `wfe` trapped (`HCR_EL2.TWI`/`TWE`).
pub const EC_WFX: u8 = 0x01;
/// An `hvc` from AArch64 (seL4 turns these into `UnknownSyscall` faults instead).
pub const EC_HVC64: u8 = 0x16;
/// An `smc` from AArch64 trapped (`HCR_EL2.TSC`); the PC still points at it.
pub const EC_SMC64: u8 = 0x17;
/// An `msr`/`mrs`/system instruction trapped.
pub const EC_SYSREG: u8 = 0x18;
/// An instruction abort from a lower exception level.
pub const EC_IABT_LOWER: u8 = 0x20;
/// A data abort from a lower exception level (a stage-2 fault on a guest access).
pub const EC_DABT_LOWER: u8 = 0x24;

/// A name for an exception class, for reports.
pub const fn class_name(ec: u8) -> &'static str {
    match ec {
        0x00 => "unknown reason",
        EC_WFX => "WFI/WFE",
        0x07 => "SVE/SIMD/FP access",
        0x0e => "illegal execution state",
        0x11 | 0x15 => "SVC",
        EC_HVC64 | 0x12 => "HVC",
        EC_SMC64 | 0x13 => "SMC",
        EC_SYSREG => "system register access",
        EC_IABT_LOWER => "instruction abort",
        EC_DABT_LOWER => "data abort",
        0x22 => "PC alignment fault",
        0x26 => "SP alignment fault",
        0x2c => "floating-point exception",
        0x3c => "BRK",
        _ => "other exception class",
    }
}

/// One guest load or store to an emulated device, decoded from a data abort's syndrome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmioAccess {
    /// Bytes accessed: 1, 2, 4 or 8.
    pub size: u8,
    /// The general-purpose register loaded or stored: 0..=30, or 31 for `xzr`/`wzr`
    /// (a load into it discards the value, a store of it stores 0).
    pub register: u8,
    /// A store (`WnR`) rather than a load.
    pub write: bool,
    /// A load that sign-extends the value to the register (`SSE`).
    pub sign_extend: bool,
    /// The register is 64-bit (`SF`); a load into a 32-bit `w` register zeroes the
    /// upper half.
    pub sixty_four: bool,
}

/// Why a data abort cannot be emulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmioDecodeError {
    /// The syndrome is not a data abort's.
    NotADataAbort {
        /// The exception class found.
        class: u8,
    },
    /// `ISV` is 0: the syndrome does not describe the access (load/store pair,
    /// register writeback, SIMD registers, ...), so the VMM cannot tell the register
    /// or width without decoding the instruction, which it does not.
    NoSyndrome,
}

impl fmt::Display for MmioDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MmioDecodeError::NotADataAbort { class } => write!(
                f,
                "exception class {class:#x} ({}) is not a data abort",
                class_name(*class)
            ),
            MmioDecodeError::NoSyndrome => f.write_str(
                "the data abort carries no instruction syndrome (ISV=0): the access is a \
                 load/store pair, uses register writeback or SIMD registers; access \
                 emulated devices with single LDR/STR instructions of general-purpose registers",
            ),
        }
    }
}

impl MmioAccess {
    /// Decodes the syndrome of a data abort.
    pub const fn decode(esr: u64) -> Result<MmioAccess, MmioDecodeError> {
        let ec = class(esr);
        if ec != EC_DABT_LOWER {
            return Err(MmioDecodeError::NotADataAbort { class: ec });
        }
        if esr & (1 << 24) == 0 {
            return Err(MmioDecodeError::NoSyndrome);
        }
        Ok(MmioAccess {
            size: 1 << ((esr >> 22) & 0x3),
            register: ((esr >> 16) & 0x1f) as u8,
            write: esr & (1 << 6) != 0,
            sign_extend: esr & (1 << 21) != 0,
            sixty_four: esr & (1 << 15) != 0,
        })
    }

    /// The bits of a value of this access's width.
    pub const fn mask(&self) -> u64 {
        if self.size >= 8 {
            u64::MAX
        } else {
            (1 << (8 * self.size as u32)) - 1
        }
    }

    /// What a load of `value` (already cut to the access's width) puts in the
    /// register: sign-extended if asked, then cut to 32 bits for a `w` register.
    pub const fn load_result(&self, value: u64) -> u64 {
        let value = value & self.mask();
        let bits = 8 * self.size as u32;
        let value = if self.sign_extend && bits < 64 && value & (1 << (bits - 1)) != 0 {
            value | !self.mask()
        } else {
            value
        };
        if self.sixty_four {
            value
        } else {
            value & 0xffff_ffff
        }
    }
}

/// A syndrome of class `ec` with `iss` (and IL set, as for 32-bit instructions), for tests
/// and examples.
pub const fn syndrome(ec: u8, iss: u32) -> u64 {
    ((ec as u64) << 26) | (1 << 25) | (iss as u64 & 0x1ff_ffff)
}

/// The syndrome of a data abort with a valid instruction syndrome: `size` bytes through
/// register `register`, a store if `write` (a 64-bit register when `size` is 8).
pub const fn data_abort(size: u8, register: u8, write: bool) -> u64 {
    let sas = match size {
        1 => 0,
        2 => 1,
        4 => 2,
        _ => 3,
    };
    let sf = (size == 8) as u32;
    syndrome(
        EC_DABT_LOWER,
        (1 << 24)
            | (sas << 22)
            | ((register as u32 & 0x1f) << 16)
            | (sf << 15)
            | ((write as u32) << 6),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_store_from_x3() {
        let a = MmioAccess::decode(data_abort(4, 3, true)).unwrap();
        assert_eq!(
            a,
            MmioAccess {
                size: 4,
                register: 3,
                write: true,
                sign_extend: false,
                sixty_four: false
            }
        );
        assert_eq!(a.mask(), 0xffff_ffff);
    }

    #[test]
    fn a_signed_byte_load_extends_into_a_64_bit_register() {
        // ldrsb x1, [x0]: SAS 0, SSE, SF.
        let esr = syndrome(EC_DABT_LOWER, (1 << 24) | (1 << 21) | (1 << 16) | (1 << 15));
        let a = MmioAccess::decode(esr).unwrap();
        assert_eq!(a.load_result(0x80), 0xffff_ffff_ffff_ff80);
        assert_eq!(a.load_result(0x7f), 0x7f);
        // ldrsb w1: the same, cut to 32 bits.
        let w = MmioAccess {
            sixty_four: false,
            ..a
        };
        assert_eq!(w.load_result(0x1ff), 0xffff_ffff);
    }

    #[test]
    fn no_syndrome_and_other_classes_are_refused() {
        assert_eq!(
            MmioAccess::decode(syndrome(EC_DABT_LOWER, 0x47)),
            Err(MmioDecodeError::NoSyndrome)
        );
        assert_eq!(
            MmioAccess::decode(syndrome(EC_SMC64, 0)),
            Err(MmioDecodeError::NotADataAbort { class: EC_SMC64 })
        );
        assert!(MmioDecodeError::NoSyndrome.to_string().contains("ISV=0"));
    }

    extern crate std;
    use std::string::ToString;
}
