//! Malformed blobs: each header and structure rule refuses with its error,
//! and no input (truncated, bit-flipped, random) makes the reader panic.

mod common;

use common::sample;
use proptest::prelude::*;
use sysinit_fdt::{Block, Fdt, FdtError, StructureProblem};

fn set_word(blob: &mut [u8], at: usize, value: u32) {
    blob[at..at + 4].copy_from_slice(&value.to_be_bytes());
}

fn word(blob: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(blob[at..at + 4].try_into().unwrap())
}

/// Reads everything the reader offers, as a user of it would.
fn exercise(fdt: &Fdt) -> usize {
    let mut seen = fdt.reservations().count();
    for node in fdt.nodes() {
        seen += node.name().len() + node.depth();
        let _ = (
            node.cells(),
            node.base_name(),
            node.unit_address(),
            node.is_compatible("x"),
        );
        if let Ok(reg) = node.reg() {
            seen += reg.count();
        }
        for p in node.properties() {
            let _ = (p.as_u32(), p.as_u64(), p.as_str());
            if let Ok(cells) = p.u32s() {
                seen += cells.count();
            }
            if let Ok(strings) = p.strings() {
                seen += strings.count();
            }
        }
        seen += node.children().count();
        if let Some(child) = node.child(node.name()) {
            seen += child.depth();
        }
    }
    seen
}

#[test]
fn header_rules() {
    let good = sample();
    let check = |edit: &dyn Fn(&mut Vec<u8>), expected: FdtError| {
        let mut blob = good.clone();
        edit(&mut blob);
        assert_eq!(Fdt::new(&blob).unwrap_err(), expected);
    };
    check(
        &|b| set_word(b, 0, 0xfeed_d00d),
        FdtError::BadMagic(0xfeed_d00d),
    );
    check(
        &|b| b.truncate(20),
        FdtError::Truncated {
            needed: 40,
            available: 20,
        },
    );
    let total = good.len();
    check(
        &|b| b.truncate(total - 1),
        FdtError::Truncated {
            needed: total,
            available: total - 1,
        },
    );
    check(
        &|b| set_word(b, 20, 16),
        FdtError::UnsupportedVersion {
            version: 16,
            last_compatible: 16,
        },
    );
    check(
        &|b| set_word(b, 24, 18),
        FdtError::UnsupportedVersion {
            version: 17,
            last_compatible: 18,
        },
    );
    let off_struct = word(&good, 8);
    check(
        &|b| set_word(b, 8, off_struct + 2),
        FdtError::Misaligned {
            block: Block::Structure,
            offset: off_struct + 2,
        },
    );
    check(
        &|b| set_word(b, 16, 44),
        FdtError::Misaligned {
            block: Block::MemoryReservations,
            offset: 44,
        },
    );
    let size_strings = word(&good, 32);
    check(
        &|b| set_word(b, 32, size_strings + 1),
        FdtError::BlockOutOfBounds {
            block: Block::Strings,
            offset: word(&good, 12),
            size: u64::from(size_strings) + 1,
            total: total as u32,
        },
    );
    check(
        &|b| set_word(b, 8, 0),
        FdtError::BlockOutOfBounds {
            block: Block::Structure,
            offset: 0,
            size: u64::from(word(&good, 36)),
            total: total as u32,
        },
    );
    assert_eq!(sysinit_fdt::total_size(&good[..8]), Ok(total));
    assert_eq!(
        sysinit_fdt::total_size(&good[..7]),
        Err(FdtError::Truncated {
            needed: 8,
            available: 7
        })
    );
    assert_eq!(sysinit_fdt::total_size(&[0; 8]), Err(FdtError::BadMagic(0)));
    // Bytes after totalsize are ignored.
    let mut longer = good.clone();
    longer.extend_from_slice(&[0xff; 7]);
    assert_eq!(Fdt::new(&longer).unwrap().total_size(), total);
}

#[test]
fn structure_rules() {
    let good = sample();
    let off_struct = word(&good, 8) as usize;
    // The first token is the root's FDT_BEGIN_NODE, its name empty (padded
    // to 4 bytes), then its first property at structure offset 8.
    let mut blob = good.clone();
    set_word(&mut blob, off_struct, 7);
    assert_eq!(
        Fdt::new(&blob).unwrap_err(),
        FdtError::BadToken {
            offset: 0,
            token: 7
        }
    );
    let mut blob = good.clone();
    set_word(&mut blob, off_struct, 9);
    assert_eq!(
        Fdt::new(&blob).unwrap_err(),
        FdtError::Structure {
            offset: 0,
            problem: StructureProblem::NoRoot
        }
    );
    let mut blob = good.clone();
    set_word(&mut blob, off_struct, 2);
    assert_eq!(
        Fdt::new(&blob).unwrap_err(),
        FdtError::Structure {
            offset: 0,
            problem: StructureProblem::UnbalancedEnd
        }
    );
    let mut blob = good.clone();
    set_word(&mut blob, off_struct + 8 + 8, 0xffff);
    assert_eq!(
        Fdt::new(&blob).unwrap_err(),
        FdtError::BadPropertyName {
            offset: 8,
            name_offset: 0xffff
        }
    );
    let mut blob = good.clone();
    blob[off_struct + 4] = b'x';
    assert!(matches!(
        Fdt::new(&blob).unwrap_err(),
        FdtError::Structure {
            offset: 0,
            problem: StructureProblem::NamedRoot
        }
    ));
    // The final FDT_END turned into FDT_END_NODE: runs off the block.
    let mut blob = good.clone();
    let end = off_struct + word(&good, 36) as usize - 4;
    set_word(&mut blob, end, 2);
    assert_eq!(
        Fdt::new(&blob).unwrap_err(),
        FdtError::Structure {
            offset: end - off_struct,
            problem: StructureProblem::UnbalancedEnd
        }
    );
    // The root's FDT_END_NODE turned into a NOP: the root never closes.
    let mut blob = good.clone();
    set_word(&mut blob, end - 4, 4);
    assert_eq!(
        Fdt::new(&blob).unwrap_err(),
        FdtError::Structure {
            offset: end - off_struct,
            problem: StructureProblem::UnclosedNode
        }
    );
    assert_eq!(
        FdtError::Structure {
            offset: 8,
            problem: StructureProblem::PropertyAfterChild
        }
        .to_string(),
        "structure block offset 0x8: a property after a child node (properties must come first)"
    );
}

#[test]
fn every_truncation_and_byte_flip_is_refused_or_read_without_panic() {
    let good = sample();
    for len in 0..good.len() {
        assert!(Fdt::new(&good[..len]).is_err(), "truncated to {len}");
    }
    for at in 0..good.len() {
        for bit in 0..8 {
            let mut blob = good.clone();
            blob[at] ^= 1 << bit;
            if let Ok(fdt) = Fdt::new(&blob) {
                exercise(&fdt);
            }
        }
    }
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(fdt) = Fdt::new(&bytes) {
            exercise(&fdt);
        }
    }

    #[test]
    fn random_edits_of_a_valid_tree_never_panic(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)
    ) {
        let mut blob = sample();
        for (at, byte) in edits {
            let len = blob.len();
            blob[at % len] = byte;
        }
        if let Ok(fdt) = Fdt::new(&blob) {
            exercise(&fdt);
        }
    }
}
