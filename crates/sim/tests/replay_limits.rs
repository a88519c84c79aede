//! A replayed trace is held against the kernel's limits before the model is sized
//! from it: no log, however long, makes the replay allocate beyond a real root CNode.

use sysinit_sim::{replay, RecordedTrace, ReplayError, TraceError};

#[test]
fn more_objects_than_the_root_cnode_holds_are_refused_at_their_line() {
    let mut log = String::from(
        "SYSINIT trace v1 arch=x86_64 untypeds=1\n\
         SYSINIT untyped 0 paddr=0x1000000 size_bits=24 device=0\n",
    );
    for step in 0..2100u64 {
        log.push_str(&format!(
            "SYSINIT retype {step} src=boot:0 type=endpoint size_arg=0 size_bits=4 count=256 \
             planned={:#x} actual=-\n",
            0x100_0000 + step * 256 * 16
        ));
    }
    let trace = RecordedTrace::parse(&log).expect("every line is well-formed");
    // 2^19 slots less 16 initial caps, 1 untyped and the root task's fill slot leave
    // 524,270: retype 2047 brings the count to 524,288.
    assert_eq!(
        replay(&trace),
        Err(TraceError {
            line: 2050,
            error: ReplayError::Impossible(
                "after retype 2047, the system needs 524288 root CNode slots, but only 524270 \
                 are free: the root CNode has 2^19 = 524288 slots, seL4 fills 17 at boot (16 \
                 initial caps, 0 root task image frames, 0 root task paging structures, 0 extra \
                 boot info frames, 1 untypeds) and the root task keeps 1 for frame fills; make \
                 the system smaller (fewer objects, larger pages) or build the kernel with a \
                 larger KernelRootCNodeSizeBits"
                    .into()
            ),
        })
    );
}
