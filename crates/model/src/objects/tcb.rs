//! Threads and VCPUs: configuration, priorities, registers, bindings, resume.

use serde::{Deserialize, Serialize};
use sysinit_kobj::{is_aligned, ObjectType, IPC_BUFFER_SIZE_BITS};

use super::cnode::set_guard;
use super::{err, ObjectState, Right, Want};
use crate::cap::Cap;
use crate::error::{InvocationError, Sel4Error};
use crate::KernelModel;

/// The maximum controlled priority of the root task (`seL4_MaxPrio`), the authority
/// every priority the initializer sets is checked against.
pub const ROOT_TASK_MCP: u8 = 255;

/// Everything the initializer sets on a thread.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcbState {
    /// CSpace root (a copy of the CNode cap, guard applied).
    pub cspace: Option<Cap>,
    /// VSpace root (a copy of the VSpace cap).
    pub vspace: Option<Cap>,
    /// IPC buffer address and frame cap.
    pub ipc_buffer: Option<(u64, Cap)>,
    /// Fault endpoint CPtr.
    pub fault_ep: u64,
    /// Priority.
    pub priority: u8,
    /// Maximum controlled priority.
    pub max_priority: u8,
    /// Instruction pointer, stack pointer and argument registers, once written.
    pub registers: Option<(u64, u64, Vec<u64>)>,
    /// Bound notification (by address).
    pub bound_notification: Option<u64>,
    /// Bound VCPU (by address).
    pub vcpu: Option<u64>,
    /// Resumed.
    pub running: bool,
}

impl KernelModel {
    fn tcb_mut(&mut self, op: &'static str, slot: usize) -> Result<&mut TcbState, InvocationError> {
        let cap = self.typed(
            op,
            slot,
            Want::Type(ObjectType::Tcb, "tcb"),
            Sel4Error::InvalidCapability,
        )?;
        match self.objects.get_mut(&cap.kva) {
            Some(ObjectState::Tcb(t)) => Ok(t),
            _ => Err(err(
                op,
                Sel4Error::InvalidCapability,
                format!("the TCB in slot {slot} has no state"),
            )),
        }
    }

    /// `TCB_Configure` (`decodeTCBConfigure`, non-MCS): the CSpace cap must be a CNode
    /// (with `cspace_guard` applied, IllegalOperation if it does not fit), the VSpace a
    /// root with an ASID (IllegalOperation), the IPC buffer a non-device frame
    /// (IllegalOperation) at an address aligned to 2^10 (AlignmentError).
    #[allow(clippy::too_many_arguments)]
    pub fn tcb_configure(
        &mut self,
        tcb: usize,
        fault_ep: u64,
        cspace: usize,
        cspace_guard: Option<(u64, u8)>,
        vspace: usize,
        ipc_buffer_vaddr: u64,
        ipc_buffer: Option<usize>,
    ) -> Result<(), InvocationError> {
        const OP: &str = "TCB_Configure";
        self.tcb_mut(OP, tcb)?;
        let mut croot = self.typed(
            OP,
            cspace,
            Want::Type(ObjectType::CNode, "cspace"),
            Sel4Error::IllegalOperation,
        )?;
        if let Some((guard, size)) = cspace_guard {
            set_guard(OP, &mut croot, guard, size)?;
        }
        let (vroot, _) = self.mapped_vspace(OP, vspace, Sel4Error::IllegalOperation)?;
        let buffer = match ipc_buffer {
            None => None,
            Some(slot) => {
                let mut frame = self.typed(
                    OP,
                    slot,
                    Want::Frame("ipc buffer"),
                    Sel4Error::IllegalOperation,
                )?;
                if frame.is_device {
                    return Err(err(
                        OP,
                        Sel4Error::IllegalOperation,
                        format!("the IPC buffer frame in slot {slot} is device memory"),
                    ));
                }
                if !is_aligned(ipc_buffer_vaddr, IPC_BUFFER_SIZE_BITS) {
                    return Err(err(
                        OP,
                        Sel4Error::AlignmentError,
                        format!(
                            "IPC buffer address {ipc_buffer_vaddr:#x} is not aligned to {} bytes",
                            1u32 << IPC_BUFFER_SIZE_BITS
                        ),
                    ));
                }
                frame.mapped = None;
                Some((ipc_buffer_vaddr, Cap::Object(frame)))
            }
        };
        let state = self.tcb_mut(OP, tcb)?;
        state.fault_ep = fault_ep;
        state.cspace = Some(Cap::Object(croot));
        state.vspace = Some(Cap::Object(vroot));
        state.ipc_buffer = buffer;
        Ok(())
    }

    /// `TCB_SetSchedParams` with the root task as authority (`checkPrio`): both values
    /// must be at most the authority's MCP ([`ROOT_TASK_MCP`] unless changed with
    /// [`KernelModel::set_authority_mcp`]), else RangeError.
    pub fn tcb_set_sched_params(
        &mut self,
        tcb: usize,
        max_priority: u8,
        priority: u8,
    ) -> Result<(), InvocationError> {
        const OP: &str = "TCB_SetSchedParams";
        let mcp = self.authority_mcp;
        if let Some(value) = [max_priority, priority].into_iter().find(|&v| v > mcp) {
            return Err(err(
                OP,
                Sel4Error::RangeError,
                format!("priority {value} exceeds the authority's MCP {mcp} (valid: 0..={mcp})"),
            ));
        }
        let state = self.tcb_mut(OP, tcb)?;
        state.max_priority = max_priority;
        state.priority = priority;
        Ok(())
    }

    /// Sets the MCP of the thread that invokes (the root task's is [`ROOT_TASK_MCP`]).
    pub fn set_authority_mcp(&mut self, mcp: u8) {
        self.authority_mcp = mcp;
    }

    /// `TCB_WriteRegisters` without resuming.
    pub fn tcb_write_registers(
        &mut self,
        tcb: usize,
        pc: u64,
        sp: u64,
        args: &[u64],
    ) -> Result<(), InvocationError> {
        const OP: &str = "TCB_WriteRegisters";
        let state = self.tcb_mut(OP, tcb)?;
        state.registers = Some((pc, sp, args.to_vec()));
        Ok(())
    }

    /// `TCB_BindNotification` (`decodeBindNotification`): the thread must have no bound
    /// notification (IllegalOperation), the cap must be a notification (InvalidCapability)
    /// with the receive right (IllegalOperation) and not bound to another thread.
    pub fn tcb_bind_notification(
        &mut self,
        tcb: usize,
        ntfn: usize,
    ) -> Result<(), InvocationError> {
        const OP: &str = "TCB_BindNotification";
        let tcb_kva = self.root_cap(OP, tcb, "tcb")?.kva();
        if self.tcb_mut(OP, tcb)?.bound_notification.is_some() {
            return Err(err(
                OP,
                Sel4Error::IllegalOperation,
                format!("the TCB in slot {tcb} already has a bound notification"),
            ));
        }
        let n = self.typed_with(
            OP,
            ntfn,
            Want::Type(ObjectType::Notification, "notification"),
            Sel4Error::InvalidCapability,
            Right::Read,
            Sel4Error::IllegalOperation,
        )?;
        match self.objects.get_mut(&n.kva) {
            Some(ObjectState::Notification { bound_tcb: Some(_) }) => {
                return Err(err(
                    OP,
                    Sel4Error::IllegalOperation,
                    format!("the notification in slot {ntfn} is already bound to a thread"),
                ))
            }
            Some(ObjectState::Notification { bound_tcb }) => *bound_tcb = Some(tcb_kva),
            _ => {}
        }
        self.tcb_mut(OP, tcb)?.bound_notification = Some(n.kva);
        Ok(())
    }

    /// `VCPU_SetTCB` (`decodeVCPUSetTCB`): a VCPU cap and a TCB cap (InvalidCapability);
    /// earlier bindings of either are dissolved.
    pub fn vcpu_set_tcb(&mut self, vcpu: usize, tcb: usize) -> Result<(), InvocationError> {
        const OP: &str = "VCPU_SetTCB";
        let v = self.typed(
            OP,
            vcpu,
            Want::Type(ObjectType::Vcpu, "vcpu"),
            Sel4Error::InvalidCapability,
        )?;
        let tcb_kva = self.root_cap(OP, tcb, "tcb")?.kva();
        let old_vcpu = self.tcb_mut(OP, tcb)?.vcpu;
        if let Some(Some(ObjectState::Vcpu { tcb: bound })) =
            old_vcpu.map(|k| self.objects.get_mut(&k))
        {
            *bound = None;
        }
        let old_tcb = match self.objects.get(&v.kva) {
            Some(ObjectState::Vcpu { tcb }) => *tcb,
            _ => None,
        };
        if let Some(Some(ObjectState::Tcb(t))) = old_tcb.map(|k| self.objects.get_mut(&k)) {
            t.vcpu = None;
        }
        if let Some(ObjectState::Vcpu { tcb }) = self.objects.get_mut(&v.kva) {
            *tcb = Some(tcb_kva);
        }
        self.tcb_mut(OP, tcb)?.vcpu = Some(v.kva);
        Ok(())
    }

    /// `TCB_Resume`. The kernel starts any stopped thread; the model refuses one
    /// without a CSpace or VSpace (IllegalOperation), which would only fault at once.
    pub fn tcb_resume(&mut self, tcb: usize) -> Result<(), InvocationError> {
        const OP: &str = "TCB_Resume";
        let state = self.tcb_mut(OP, tcb)?;
        if state.cspace.is_none() || state.vspace.is_none() {
            return Err(err(
                OP,
                Sel4Error::IllegalOperation,
                format!(
                    "the TCB in slot {tcb} has no CSpace or VSpace; configure it before resuming"
                ),
            ));
        }
        state.running = true;
        Ok(())
    }

    /// The state of the thread in root slot `tcb`.
    pub fn tcb(&self, tcb: usize) -> Option<&TcbState> {
        let kva = self.cap(tcb)?.as_object()?.kva;
        match self.objects.get(&kva) {
            Some(ObjectState::Tcb(t)) => Some(t),
            _ => None,
        }
    }
}
