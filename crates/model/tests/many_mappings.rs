//! Many pages mapped into one address space: every mapping lands, in place, and a
//! refused one changes nothing.

use sysinit_kobj::{Arch, BootUntyped, ObjectType};
use sysinit_model::{CapRights, Entry, KernelModel, MintData, MintDest, Sel4Error};

const RAM: BootUntyped = BootUntyped {
    paddr: 0x1000_0000,
    size_bits: 28,
    is_device: false,
};

/// 2^14 pages (64 MiB) in 32 page tables under one page directory.
const PAGES: usize = 1 << 14;
const TABLES: usize = PAGES / 512;
const BASE: u64 = 0x4000_0000;

fn retype_many(m: &mut KernelModel, ty: ObjectType, first: usize, count: usize) {
    for start in (0..count).step_by(256) {
        let n = (count - start).min(256) as u32;
        m.retype(0, ty, 0, first + start, n).expect("retype");
    }
}

#[test]
fn sixteen_thousand_pages_map_into_one_address_space() {
    let vspace = 1;
    let pdpt = 2;
    let pd = 3;
    let first_pt = 4;
    let first_frame = first_pt + TABLES;
    let mut m = KernelModel::new(Arch::X86_64, &[RAM], first_frame + PAGES + 1);
    m.retype(0, ObjectType::VSpace, 0, vspace, 1).unwrap();
    m.retype(0, ObjectType::X86Pdpt, 0, pdpt, 1).unwrap();
    m.retype(0, ObjectType::X86PageDirectory, 0, pd, 1).unwrap();
    retype_many(&mut m, ObjectType::PageTable, first_pt, TABLES);
    retype_many(&mut m, ObjectType::SmallPage, first_frame, PAGES);
    m.asid_assign(vspace).unwrap();
    assert_eq!(m.map_table(pdpt, vspace, BASE), Ok(1));
    assert_eq!(m.map_table(pd, vspace, BASE), Ok(2));
    for t in 0..TABLES {
        let vaddr = BASE + ((t as u64) << 21);
        assert_eq!(m.map_table(first_pt + t, vspace, vaddr), Ok(3));
    }
    for p in 0..PAGES {
        let vaddr = BASE + ((p as u64) << 12);
        m.map_frame(first_frame + p, vspace, vaddr, CapRights::ALL, p % 2 == 0)
            .unwrap_or_else(|e| panic!("page {p}: {e}"));
    }
    // Mapping over a present page is refused and leaves the entry as it was.
    let before = *m.vspace_entry(vspace, 3, BASE).unwrap();
    let copy = first_frame + PAGES;
    m.mint(
        MintDest::Root(copy),
        first_frame + 1,
        CapRights::ALL,
        MintData::None,
    )
    .unwrap();
    let e = m
        .map_frame(copy, vspace, BASE, CapRights::ALL, false)
        .unwrap_err();
    assert_eq!(e.code, Sel4Error::DeleteFirst, "{e}");
    assert_eq!(m.cap(copy).unwrap().as_object().unwrap().mapped, None);
    assert_eq!(m.vspace_entry(vspace, 3, BASE), Some(&before));
    for p in 0..PAGES {
        let slot = first_frame + p;
        let vaddr = BASE + ((p as u64) << 12);
        let frame = m.cap(slot).unwrap().as_object().unwrap();
        assert_eq!(frame.mapped.map(|at| at.vaddr), Some(vaddr), "page {p}");
        match m.vspace_entry(vspace, 3, vaddr) {
            Some(&Entry::Frame {
                kva,
                paddr,
                size_bits: 12,
                cached,
                ..
            }) => {
                assert_eq!((kva, paddr), (frame.kva, frame.paddr), "page {p}");
                assert_eq!(cached, p % 2 == 0, "page {p}");
            }
            other => panic!("page {p} at {vaddr:#x}: {other:?}"),
        }
    }
    // Nothing was mapped outside the range.
    assert_eq!(
        m.vspace_entry(vspace, 3, BASE + ((PAGES as u64) << 12)),
        None
    );
}
