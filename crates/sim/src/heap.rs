//! The root task's heap need, measured: the root task's own allocating steps (boot
//! untyped list, trace, spec decoding, `initialize_with_blob`, summary) run on the host
//! over the kernel model, with every heap request they make replayed on the root task's
//! bump allocator ([`sysinit_bump`]). The kernel model and the trace output, which the
//! root task does not keep on its heap, run [`uncounted`].
//!
//! The figure is exact, not an estimate: the root task's allocator is the same
//! [`sysinit_bump::Bump`], fed the same requests (same code, same types, same layouts on
//! these 64-bit targets, in the same order) for the same spec bytes and boot untypeds.
//! It holds for the untyped list given, which is the board model's (verified against
//! real boots, tests/boots); `sysinit build` rounds it up to a page.

use core::fmt::Write;

use sysinit_bump::host::{measure, uncounted, MeasureError};
use sysinit_initializer::{
    initialize_with_blob, trace_untypeds, CapData, Kernel, Slot, SlotLayout, ThreadStart,
};
use sysinit_kobj::{BootUntyped, ObjectType, RootCNodeAtBoot};
use sysinit_model::KernelModel;
use sysinit_spec::{DecodeError, IrqSource, Rights, Spec};
use sysinit_trace::Record;

use crate::{ModelKernel, SimError};

/// Why the heap could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum HeapError {
    /// The program does not count heap requests.
    #[error("{0}")]
    Measure(#[from] MeasureError),
    /// The spec bytes do not decode.
    #[error("the spec does not decode: {0}")]
    Decode(#[from] DecodeError),
    /// The boot stopped on the model.
    #[error("{0}")]
    Boot(#[from] SimError),
}

/// A `Kernel` whose heap requests do not count: the real kernel keeps its state in its
/// own memory, not on the root task's heap.
struct Uncounted<K>(K);

macro_rules! forward {
    ($(fn $name:ident(&mut self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        $(fn $name(&mut self $(, $arg: $ty)*) -> $ret {
            uncounted(|| self.0.$name($($arg),*))
        })*
    };
}

impl<K: Kernel> Kernel for Uncounted<K> {
    type Error = K::Error;

    forward! {
        fn untyped_retype(&mut self, src: Slot, ty: ObjectType, size_arg: u8, dest: Slot, count: u32) -> Result<(), K::Error>;
        fn frame_paddr(&mut self, frame: Slot) -> Result<u64, K::Error>;
        fn cnode_mint(&mut self, cnode: Slot, index: u64, depth: u8, src: Slot, rights: Rights, data: CapData) -> Result<(), K::Error>;
        fn asid_assign(&mut self, vspace: Slot) -> Result<(), K::Error>;
        fn map_table(&mut self, table: Slot, level: u8, vspace: Slot, vaddr: u64) -> Result<(), K::Error>;
        fn map_frame(&mut self, frame: Slot, vspace: Slot, vaddr: u64, rights: Rights, cached: bool) -> Result<(), K::Error>;
        fn map_frame_executable(&mut self, frame: Slot, vspace: Slot, vaddr: u64, rights: Rights, cached: bool, executable: bool) -> Result<(), K::Error>;
        fn write_frame(&mut self, frame: Slot, size_bits: u8, offset: u64, data: &[u8]) -> Result<(), K::Error>;
        fn tcb_configure(&mut self, tcb: Slot, fault_ep: u64, cspace: Slot, cspace_data: CapData, vspace: Slot, ipc_buffer_vaddr: u64, ipc_buffer: Option<Slot>) -> Result<(), K::Error>;
        fn tcb_set_sched_params(&mut self, tcb: Slot, max_priority: u8, priority: u8) -> Result<(), K::Error>;
        fn tcb_write_registers(&mut self, tcb: Slot, start: ThreadStart<'_>) -> Result<(), K::Error>;
        fn tcb_bind_notification(&mut self, tcb: Slot, ntfn: Slot) -> Result<(), K::Error>;
        fn vcpu_set_tcb(&mut self, vcpu: Slot, tcb: Slot) -> Result<(), K::Error>;
        fn tcb_resume(&mut self, tcb: Slot) -> Result<(), K::Error>;
        fn irq_get(&mut self, irq: &IrqSource, dest: Slot) -> Result<(), K::Error>;
        fn irq_set_notification(&mut self, handler: Slot, ntfn: Slot) -> Result<(), K::Error>;
        fn ioports_issue(&mut self, first: u16, last: u16, dest: Slot) -> Result<(), K::Error>;
    }

    fn root_cnode(&self) -> Slot {
        uncounted(|| self.0.root_cnode())
    }
}

/// Formats records as the root task does (to its console), keeping nothing.
struct Discard;

impl Write for Discard {
    fn write_str(&mut self, _: &str) -> core::fmt::Result {
        Ok(())
    }
}

/// Formats a record as the root task prints it, into nothing. Formatting allocates
/// nothing, so the peak is the same whether the root task prints the full trace or only
/// the summary (`sysinit build --trace`).
fn print(record: &Record) {
    let _ = write!(Discard, "{record}");
}

/// Bytes of heap the root task needs to boot `spec_bytes` (the postcard spec it embeds)
/// from `untypeds`, the boot untyped list, with the root CNode `root`: the peak of its
/// bump allocator, exactly (see the module documentation).
///
/// The program must have [`sysinit_bump::host::Counting`] as its global allocator
/// (the `sysinit` command has).
pub fn roottask_heap(
    spec_bytes: &[u8],
    untypeds: &[BootUntyped],
    root: RootCNodeAtBoot,
) -> Result<usize, HeapError> {
    let arch = Spec::from_postcard_borrowing_blob(spec_bytes)?.0.arch;
    let first_free = untypeds.len() as u64;
    // The root task leaves the last free slot unused (fills once copied caps there).
    let end_free = first_free + root.free().saturating_sub(1);
    let slots = usize::try_from(root.slots().max(end_free + 1)).unwrap_or(usize::MAX);
    let mut kernel = Uncounted(ModelKernel(KernelModel::new(arch, untypeds, slots)));
    let layout = SlotLayout {
        first_untyped: 0,
        first_free,
        end_free,
    };
    // The steps of the root task's `main`, in its order.
    let (run, peak) = measure(|| -> Result<(), HeapError> {
        let mut list: Vec<BootUntyped> = Vec::with_capacity(untypeds.len());
        list.extend_from_slice(untypeds);
        trace_untypeds(arch, &list, print);
        let (spec, blob) = Spec::from_postcard_borrowing_blob(spec_bytes)?;
        let done = initialize_with_blob(&spec, blob, &list, layout, &mut kernel, print)
            .map_err(SimError::Init)?;
        print(&done.summary(Some(0)));
        Ok(())
    })?;
    run?;
    Ok(peak)
}
