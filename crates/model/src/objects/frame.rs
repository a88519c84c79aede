//! Frame contents: the bytes the root task writes into frames before handing them out.

use super::{err, ObjectState, Want};
use crate::error::{InvocationError, Sel4Error};
use crate::KernelModel;

impl KernelModel {
    /// Writes `data` at `offset` into the frame in `frame`, which must be 2^`size_bits`
    /// bytes; the bytes must lie inside it. (The root task does this through a mapping
    /// of its own; the model records the bytes for [`KernelModel::frame_bytes`].)
    pub fn write_frame(
        &mut self,
        frame: usize,
        size_bits: u8,
        offset: u64,
        data: &[u8],
    ) -> Result<(), InvocationError> {
        const OP: &str = "frame write";
        let cap = self.typed(
            OP,
            frame,
            Want::Frame("frame"),
            Sel4Error::InvalidCapability,
        )?;
        if cap.size_bits != size_bits {
            return Err(err(
                OP,
                Sel4Error::InvalidArgument,
                format!(
                    "the frame in slot {frame} has 2^{} bytes, not 2^{size_bits}",
                    cap.size_bits
                ),
            ));
        }
        let size = 1u64 << cap.size_bits;
        let len = data.len() as u64;
        if offset > size || len > size - offset {
            return Err(err(
                OP,
                Sel4Error::RangeError,
                format!(
                    "{len} bytes at offset {offset:#x} pass the end of the {size:#x}-byte frame in slot {frame}"
                ),
            ));
        }
        if let Some(ObjectState::Frame { chunks }) = self.objects.get_mut(&cap.kva) {
            for (i, &byte) in data.iter().enumerate() {
                let at = offset + i as u64;
                let chunk = chunks.entry(at >> 12).or_insert_with(|| vec![0; 4096]);
                chunk[(at & 0xfff) as usize] = byte;
            }
        }
        Ok(())
    }

    /// `len` bytes of the frame in root slot `frame` from `offset`, as written so far
    /// (bytes never written read as zero).
    pub fn frame_bytes(
        &self,
        frame: usize,
        offset: u64,
        len: usize,
    ) -> Result<Vec<u8>, InvocationError> {
        const OP: &str = "frame read";
        let cap = self.typed(
            OP,
            frame,
            Want::Frame("frame"),
            Sel4Error::InvalidCapability,
        )?;
        let chunks = match self.objects.get(&cap.kva) {
            Some(ObjectState::Frame { chunks }) => Some(chunks),
            _ => None,
        };
        Ok((0..len as u64)
            .map(|i| {
                let at = offset.wrapping_add(i);
                chunks
                    .and_then(|c| c.get(&(at >> 12)))
                    .map_or(0, |c| c[(at & 0xfff) as usize])
            })
            .collect())
    }
}
