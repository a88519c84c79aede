//! The allocation trace line format, printed by the root task and the simulator and read back by the verifier.
//!
//! One record per line, each starting with [`PREFIX`], so the lines can be
//! picked out of a serial log that also holds kernel and PD output. Numbers
//! that are addresses are hexadecimal with `0x`, counts are decimal; fields
//! are `key=value` in a fixed order. docs/trace-format.md is the reference;
//! the round-trip tests below keep the two in step.
#![no_std]
#![forbid(unsafe_code)]

use core::fmt;
use sysinit_kobj::{Arch, BootUntyped, KernelConfig, ObjectType, UntypedRef};

/// Every trace line starts with this.
pub const PREFIX: &str = "SYSINIT";
/// Version of the line format; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// One trace line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// `SYSINIT trace v1 arch=x86_64 untypeds=N` — starts a trace. A kernel
    /// configuration other than the architecture's default is named after the
    /// architecture: `SYSINIT trace v1 arch=aarch64 kernel=aarch64-el1 untypeds=N`.
    Header {
        /// Line format version.
        version: u32,
        /// Target architecture.
        arch: Arch,
        /// Whether the kernel has hypervisor support (with `arch`, the kernel
        /// configuration: [`Record::kernel`]).
        hypervisor: bool,
        /// Number of boot untypeds that follow.
        untypeds: u32,
    },
    /// `SYSINIT untyped 3 paddr=0x100000 size_bits=20 device=0` — one bootinfo untyped.
    Untyped {
        /// Position in the bootinfo list.
        index: u32,
        /// The untyped.
        untyped: BootUntyped,
    },
    /// `SYSINIT retype 7 src=boot:3 type=frame_4k size_arg=0 size_bits=12 count=16 planned=0x... actual=0x...`
    Retype {
        /// Step number, from 0.
        step: u32,
        /// Untyped invoked.
        source: UntypedRef,
        /// Object type.
        ty: ObjectType,
        /// `userObjSize`.
        size_arg: u8,
        /// log2 of each object's size.
        size_bits: u8,
        /// Objects created.
        count: u32,
        /// Planned physical address of the first object.
        planned: u64,
        /// Physical address read back from the kernel (frames only; `-` otherwise).
        actual: Option<u64>,
    },
    /// `SYSINIT summary objects=N retypes=N invocations=N bytes_used=N bytes_lost=N cycles=N`
    Summary {
        /// Objects created.
        objects: u64,
        /// Retype invocations.
        retypes: u64,
        /// All kernel invocations.
        invocations: u64,
        /// Bytes of the objects created.
        bytes_used: u64,
        /// Bytes lost to alignment padding.
        bytes_lost: u64,
        /// Cycles spent, where measured (`-` in simulation).
        cycles: Option<u64>,
    },
}

/// An untyped reference as trace lines write it: `boot:I` or `derived:I`.
pub struct Source(pub UntypedRef);

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            UntypedRef::Boot(i) => write!(f, "boot:{i}"),
            UntypedRef::Derived(i) => write!(f, "derived:{i}"),
        }
    }
}

struct Opt(Option<u64>, bool);

impl fmt::Display for Opt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0, self.1) {
            (None, _) => f.write_str("-"),
            (Some(v), true) => write!(f, "{v:#x}"),
            (Some(v), false) => write!(f, "{v}"),
        }
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Record::Header {
                version,
                arch,
                hypervisor,
                untypeds,
            } => {
                write!(f, "{PREFIX} trace v{version} arch={arch}")?;
                if hypervisor != KernelConfig::of_arch(arch).hypervisor {
                    match KernelConfig::with_hypervisor(arch, hypervisor) {
                        Some(kernel) => write!(f, " kernel={kernel}")?,
                        None => write!(f, " kernel=unsupported")?,
                    }
                }
                write!(f, " untypeds={untypeds}")
            }
            Record::Untyped { index, untyped } => write!(
                f,
                "{PREFIX} untyped {index} paddr={:#x} size_bits={} device={}",
                untyped.paddr, untyped.size_bits, untyped.is_device as u8
            ),
            Record::Retype {
                step,
                source,
                ty,
                size_arg,
                size_bits,
                count,
                planned,
                actual,
            } => write!(
                f,
                "{PREFIX} retype {step} src={} type={ty} size_arg={size_arg} size_bits={size_bits} \
                 count={count} planned={planned:#x} actual={}",
                Source(source),
                Opt(actual, true)
            ),
            Record::Summary {
                objects,
                retypes,
                invocations,
                bytes_used,
                bytes_lost,
                cycles,
            } => write!(
                f,
                "{PREFIX} summary objects={objects} retypes={retypes} invocations={invocations} \
                 bytes_used={bytes_used} bytes_lost={bytes_lost} cycles={}",
                Opt(cycles, false)
            ),
        }
    }
}

/// A trace line that starts with [`PREFIX`] but does not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What was expected or wrong.
    pub what: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)
    }
}

fn err(what: &'static str) -> ParseError {
    ParseError { what }
}

/// Reads `key=value` fields in order.
struct Fields<'a> {
    words: core::str::SplitAsciiWhitespace<'a>,
}

impl<'a> Fields<'a> {
    fn next_word(&mut self, what: &'static str) -> Result<&'a str, ParseError> {
        self.words.next().ok_or(err(what))
    }

    fn value(&mut self, key: &'static str, what: &'static str) -> Result<&'a str, ParseError> {
        let word = self.next_word(what)?;
        match word.split_once('=') {
            Some((k, v)) if k == key => Ok(v),
            _ => Err(err(what)),
        }
    }

    /// The value of the next word if it is `key=value`; otherwise nothing is consumed.
    fn optional_value(&mut self, key: &'static str) -> Option<&'a str> {
        let mut ahead = self.words.clone();
        let (k, v) = ahead.next()?.split_once('=')?;
        if k != key {
            return None;
        }
        self.words = ahead;
        Some(v)
    }

    fn dec(&mut self, key: &'static str, what: &'static str) -> Result<u64, ParseError> {
        self.value(key, what)?.parse().map_err(|_| err(what))
    }

    fn hex(&mut self, key: &'static str, what: &'static str) -> Result<u64, ParseError> {
        parse_hex(self.value(key, what)?).ok_or(err(what))
    }

    fn end(mut self) -> Result<(), ParseError> {
        match self.words.next() {
            None => Ok(()),
            Some(_) => Err(err("unexpected text after the last field")),
        }
    }
}

fn parse_hex(s: &str) -> Option<u64> {
    u64::from_str_radix(s.strip_prefix("0x")?, 16).ok()
}

fn small<T: TryFrom<u64>>(v: u64, what: &'static str) -> Result<T, ParseError> {
    T::try_from(v).map_err(|_| err(what))
}

impl Record {
    /// The kernel configuration a [`Record::Header`] names.
    pub fn kernel(&self) -> Option<KernelConfig> {
        match *self {
            Record::Header {
                arch, hypervisor, ..
            } => KernelConfig::with_hypervisor(arch, hypervisor),
            _ => None,
        }
    }

    /// Parses one line. Lines that are not trace lines (no [`PREFIX`] word at the
    /// start, after optional leading text such as a serial console's noise) give
    /// `Ok(None)`; a trace line that does not parse gives an error.
    pub fn parse(line: &str) -> Result<Option<Record>, ParseError> {
        let Some(pos) = line.find(PREFIX) else {
            return Ok(None);
        };
        let rest = &line[pos + PREFIX.len()..];
        if !rest.starts_with(' ') {
            return Ok(None);
        }
        let mut f = Fields {
            words: rest.split_ascii_whitespace(),
        };
        let kind = f.next_word("missing record kind")?;
        let record = match kind {
            "trace" => {
                let v = f.next_word("missing version")?;
                let version = v
                    .strip_prefix('v')
                    .and_then(|v| v.parse().ok())
                    .ok_or(err("bad version"))?;
                if version != FORMAT_VERSION {
                    return Err(err(
                        "unsupported trace format version (this build reads v1)",
                    ));
                }
                let arch =
                    Arch::from_name(f.value("arch", "bad arch")?).ok_or(err("unknown arch"))?;
                let mut hypervisor = KernelConfig::of_arch(arch).hypervisor;
                if let Some(name) = f.optional_value("kernel") {
                    let kernel = KernelConfig::from_name(name)
                        .filter(|k| k.arch == arch)
                        .ok_or(err("unknown kernel configuration for this arch"))?;
                    hypervisor = kernel.hypervisor;
                }
                let untypeds = small(
                    f.dec("untypeds", "bad untyped count")?,
                    "untyped count too large",
                )?;
                Record::Header {
                    version,
                    arch,
                    hypervisor,
                    untypeds,
                }
            }
            "untyped" => {
                let index = f
                    .next_word("missing untyped index")?
                    .parse()
                    .map_err(|_| err("bad untyped index"))?;
                let paddr = f.hex("paddr", "bad paddr")?;
                let size_bits = small(f.dec("size_bits", "bad size_bits")?, "size_bits too large")?;
                let is_device = match f.value("device", "bad device flag")? {
                    "0" => false,
                    "1" => true,
                    _ => return Err(err("device must be 0 or 1")),
                };
                Record::Untyped {
                    index,
                    untyped: BootUntyped {
                        paddr,
                        size_bits,
                        is_device,
                    },
                }
            }
            "retype" => {
                let step = f
                    .next_word("missing step number")?
                    .parse()
                    .map_err(|_| err("bad step number"))?;
                let source = parse_source(f.value("src", "bad src")?)?;
                let ty = ObjectType::from_name(f.value("type", "bad type")?)
                    .ok_or(err("unknown object type"))?;
                let size_arg = small(f.dec("size_arg", "bad size_arg")?, "size_arg too large")?;
                let size_bits = small(f.dec("size_bits", "bad size_bits")?, "size_bits too large")?;
                let count = small(f.dec("count", "bad count")?, "count too large")?;
                let planned = f.hex("planned", "bad planned address")?;
                let actual = match f.value("actual", "bad actual address")? {
                    "-" => None,
                    v => Some(parse_hex(v).ok_or(err("bad actual address"))?),
                };
                Record::Retype {
                    step,
                    source,
                    ty,
                    size_arg,
                    size_bits,
                    count,
                    planned,
                    actual,
                }
            }
            "summary" => Record::Summary {
                objects: f.dec("objects", "bad objects")?,
                retypes: f.dec("retypes", "bad retypes")?,
                invocations: f.dec("invocations", "bad invocations")?,
                bytes_used: f.dec("bytes_used", "bad bytes_used")?,
                bytes_lost: f.dec("bytes_lost", "bad bytes_lost")?,
                cycles: match f.value("cycles", "bad cycles")? {
                    "-" => None,
                    v => Some(v.parse().map_err(|_| err("bad cycles"))?),
                },
            },
            // Other SYSINIT lines (progress, PD reports) are not part of the allocation trace.
            _ => return Ok(None),
        };
        f.end()?;
        Ok(Some(record))
    }
}

fn parse_source(s: &str) -> Result<UntypedRef, ParseError> {
    let (kind, n) = s
        .split_once(':')
        .ok_or(err("src must be boot:N or derived:N"))?;
    let n = n.parse().map_err(|_| err("bad src index"))?;
    match kind {
        "boot" => Ok(UntypedRef::Boot(n)),
        "derived" => Ok(UntypedRef::Derived(n)),
        _ => Err(err("src must be boot:N or derived:N")),
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    fn round_trip(r: Record) {
        let line = r.to_string();
        assert_eq!(Record::parse(&line), Ok(Some(r)), "{line}");
    }

    #[test]
    fn every_record_round_trips() {
        round_trip(Record::Header {
            version: 1,
            arch: Arch::X86_64,
            hypervisor: false,
            untypeds: 42,
        });
        for hypervisor in [false, true] {
            round_trip(Record::Header {
                version: 1,
                arch: Arch::Aarch64,
                hypervisor,
                untypeds: 68,
            });
        }
        let el1 = Record::parse("SYSINIT trace v1 arch=aarch64 kernel=aarch64-el1 untypeds=3")
            .unwrap()
            .unwrap();
        assert_eq!(el1.kernel(), Some(KernelConfig::AARCH64_EL1));
        let el2 = Record::parse("SYSINIT trace v1 arch=aarch64 untypeds=3")
            .unwrap()
            .unwrap();
        assert_eq!(el2.kernel(), Some(KernelConfig::AARCH64));
        assert!(
            Record::parse("SYSINIT trace v1 arch=x86_64 kernel=aarch64-el1 untypeds=3").is_err()
        );
        round_trip(Record::Untyped {
            index: 7,
            untyped: BootUntyped {
                paddr: 0x80_0000_0000,
                size_bits: 46,
                is_device: true,
            },
        });
        round_trip(Record::Retype {
            step: 3,
            source: UntypedRef::Derived(9),
            ty: ObjectType::SmallPage,
            size_arg: 0,
            size_bits: 12,
            count: 16,
            planned: 0xe00_0000_0000,
            actual: Some(0xe00_0000_0000),
        });
        round_trip(Record::Retype {
            step: 4,
            source: UntypedRef::Boot(2),
            ty: ObjectType::CNode,
            size_arg: 10,
            size_bits: 15,
            count: 1,
            planned: 0x100000,
            actual: None,
        });
        round_trip(Record::Summary {
            objects: 10,
            retypes: 4,
            invocations: 60,
            bytes_used: 4096,
            bytes_lost: 0,
            cycles: Some(123456),
        });
    }

    #[test]
    fn documented_example_lines_parse() {
        let line = "SYSINIT retype 7 src=boot:3 type=frame_4k size_arg=0 size_bits=12 count=16 planned=0xe0000000000 actual=0xe0000000000";
        assert!(matches!(
            Record::parse(line),
            Ok(Some(Record::Retype { count: 16, .. }))
        ));
        assert_eq!(
            Record::parse("noise SYSINIT untyped 0 paddr=0x0 size_bits=12 device=1"),
            Ok(Some(Record::Untyped {
                index: 0,
                untyped: BootUntyped {
                    paddr: 0,
                    size_bits: 12,
                    is_device: true
                }
            }))
        );
    }

    #[test]
    fn other_lines_are_skipped_and_broken_ones_refused() {
        assert_eq!(
            Record::parse("Booting all finished, dropped to user space"),
            Ok(None)
        );
        assert_eq!(Record::parse("SYSINITX retype"), Ok(None));
        assert_eq!(Record::parse("SYSINIT pd hello ready"), Ok(None));
        assert!(Record::parse("SYSINIT untyped 0 paddr=12 size_bits=12 device=1").is_err());
        assert!(Record::parse("SYSINIT trace v2 arch=x86_64 untypeds=1").is_err());
        assert!(Record::parse("SYSINIT retype 1 src=boot:0 type=bogus size_arg=0 size_bits=12 count=1 planned=0x0 actual=-").is_err());
        assert!(Record::parse("SYSINIT untyped 0 paddr=0x0 size_bits=12 device=1 extra").is_err());
    }
}
