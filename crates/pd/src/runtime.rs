//! The runtime: message registers, channels, interrupts, I/O ports (x86_64),
//! the console and the event loop, on the kernel's syscall ABI of the target
//! architecture (`syscall` on x86_64, `svc` on aarch64).
//!
//! Message registers live in the IPC buffer as libsel4 keeps them: the first
//! four also travel in machine registers, so they are loaded from the buffer
//! before a send and stored back after a receive; `mr_get`/`mr_set` only ever
//! touch the buffer.

use core::fmt;
use core::ptr::{addr_of, addr_of_mut, NonNull};

use sys::{
    call, debug_put_str, recv, reply_recv, signal, DebugConsole, Invoker, Received,
    FAST_MESSAGE_REGISTERS,
};
use sysinit_kobj::Arch;
use sysinit_pd_abi::{
    ipc_buffer_vaddr, BASE_ENDPOINT_CAP, BASE_IRQ_CAP, BASE_OUTPUT_NOTIFICATION_CAP, INPUT_CAP,
};
#[cfg(target_arch = "aarch64")]
use sysinit_sel4::aarch64 as sys;
use sysinit_sel4::invocation::irq_handler_ack;
#[cfg(target_arch = "x86_64")]
use sysinit_sel4::x86_64 as sys;
use sysinit_sel4::{InvocationError, IpcBuffer, MessageInfo, Word, MSG_MAX_LENGTH};

use crate::event::Channel;
use crate::name::pd_name;
use crate::report::{write_line, Kind};
use crate::ProtectionDomain;

/// Where the builder maps this thread's IPC buffer and the initializer registers it.
const IPC_BUFFER_VADDR: u64 = ipc_buffer_vaddr(ARCH);

#[cfg(target_arch = "x86_64")]
const ARCH: Arch = Arch::X86_64;
#[cfg(target_arch = "aarch64")]
const ARCH: Arch = Arch::Aarch64;

fn ipc_buffer() -> *mut IpcBuffer {
    IPC_BUFFER_VADDR as *mut IpcBuffer
}

/// Message register `i` of the last message received (or as set for the next send).
/// Registers past [`MSG_MAX_LENGTH`] do not exist and read as 0.
pub fn mr_get(i: usize) -> Word {
    if i >= MSG_MAX_LENGTH {
        return 0;
    }
    // SAFETY: the IPC buffer is mapped for the PD's whole life (pd-abi contract)
    // and only this thread uses it; `i` is in bounds; no reference is formed.
    unsafe { addr_of!((*ipc_buffer()).msg[i]).read() }
}

/// Sets message register `i` for the next send. Registers past [`MSG_MAX_LENGTH`]
/// do not exist; setting one does nothing.
pub fn mr_set(i: usize, value: Word) {
    if i >= MSG_MAX_LENGTH {
        return;
    }
    // SAFETY: as in mr_get.
    unsafe { addr_of_mut!((*ipc_buffer()).msg[i]).write(value) }
}

fn load_fast_mrs() -> [Word; FAST_MESSAGE_REGISTERS] {
    core::array::from_fn(mr_get)
}

fn store_fast_mrs(mrs: [Word; FAST_MESSAGE_REGISTERS]) {
    for (i, mr) in mrs.into_iter().enumerate() {
        mr_set(i, mr);
    }
}

/// Signals the PD at the other end of `ch`.
pub fn notify(ch: Channel) {
    signal(BASE_OUTPUT_NOTIFICATION_CAP + ch.index());
}

/// Calls the protected procedure at the other end of `ch` with `msginfo` and the
/// message registers set by [`mr_set`]; returns the reply's tag, its registers
/// readable with [`mr_get`].
pub fn ppcall(ch: Channel, msginfo: MessageInfo) -> MessageInfo {
    // SAFETY: no reference into the IPC buffer is live (all accesses are raw).
    let (reply, mrs) = unsafe { call(BASE_ENDPOINT_CAP + ch.index(), msginfo, load_fast_mrs()) };
    store_fast_mrs(mrs);
    reply
}

fn invoker() -> Invoker {
    // ipc_buffer_vaddr is a non-zero constant.
    let ipc = NonNull::new(ipc_buffer()).unwrap_or(NonNull::dangling());
    // SAFETY: the IPC buffer is this thread's registered buffer, mapped writable;
    // accesses from mr_get/mr_set never overlap an invocation in time.
    unsafe { Invoker::new(ipc) }
}

/// Lets the interrupt delivered on `ch` fire again.
pub fn irq_ack(ch: Channel) -> Result<(), InvocationError> {
    invoker()
        .invoke(&irq_handler_ack(BASE_IRQ_CAP + ch.index()))
        .map(drop)
}

#[cfg(target_arch = "x86_64")]
pub use ioport::*;

#[cfg(target_arch = "aarch64")]
pub use vm::*;

/// Writes `s` to the kernel console (debug kernels only).
pub fn debug_print(s: &str) {
    debug_put_str(s);
}

/// Writes formatted text to the kernel console; used by [`debug_println!`](crate::debug_println).
pub fn debug_print_fmt(args: fmt::Arguments<'_>) {
    // The console cannot fail.
    let _ = fmt::Write::write_fmt(&mut DebugConsole, args);
}

fn report(kind: Kind, detail: fmt::Arguments<'_>) {
    let _ = write_line(&mut DebugConsole, pd_name(), kind, detail);
}

/// Prints `SYSINIT pd <name> ok`: the PD did what it was built to do.
pub fn report_ok() {
    report(Kind::Ok, format_args!(""));
}

/// Prints `SYSINIT pd <name> note: <detail>`; see [`note!`](crate::note).
pub fn report_note(detail: fmt::Arguments<'_>) {
    report(Kind::Note, detail);
}

/// Prints `SYSINIT pd <name> fail: <detail>`; see [`fail!`](crate::fail).
pub fn report_fail(detail: fmt::Arguments<'_>) {
    report(Kind::Fail, detail);
}

/// Prints `SYSINIT pd <name> panic: <detail>` (the panic handler's line).
pub fn report_panic(detail: fmt::Arguments<'_>) {
    report(Kind::Panic, detail);
}

/// Waits on the input capability forever, handing nothing on; what a PD does
/// after a panic so that it neither spins nor serves half-broken state.
pub fn park() -> ! {
    loop {
        // SAFETY: no reference into the IPC buffer is live.
        unsafe { recv(INPUT_CAP) };
    }
}

/// Runs `P`: `P::init()`, then the event loop, forever.
///
/// The loop receives on [`INPUT_CAP`]. A call badge runs `protected` and the
/// reply goes out with the next receive (`ReplyRecv`); a fault badge runs `fault`
/// and its reply, if any, goes out the same way; a notification badge runs
/// `notified` once per set bit, lowest channel first.
///
/// The kernel is non-MCS: `ReplyRecv` answers whichever thread's call or fault was
/// received last (the kernel keeps its reply capability in this thread's TCB), and
/// the kernel invocations a handler makes in between do not replace it. A handler
/// that returns `None` leaves that thread waiting; the next message received drops
/// its reply capability, so it stays stopped for good.
pub fn run<P: ProtectionDomain>() -> ! {
    let mut pd = P::init();
    let mut reply: Option<MessageInfo> = None;
    loop {
        // SAFETY: no reference into the IPC buffer is live (all accesses are raw).
        let Received { info, badge, mrs } = unsafe {
            match reply.take() {
                Some(tag) => reply_recv(INPUT_CAP, tag, load_fast_mrs()),
                None => recv(INPUT_CAP),
            }
        };
        store_fast_mrs(mrs);
        reply = crate::dispatch(&mut pd, badge, info);
    }
}

/// x86 I/O ports, through the caps the builder puts at `BASE_IOPORT_CAP + id`.
#[cfg(target_arch = "x86_64")]
mod ioport {
    use sysinit_pd_abi::BASE_IOPORT_CAP;
    use sysinit_sel4::invocation::x86_64 as inv;
    use sysinit_sel4::InvocationError;

    use super::invoker;

    /// Reads a byte from `port` through the I/O port range with id `id`.
    pub fn ioport_in8(id: u8, port: u16) -> Result<u8, InvocationError> {
        let reply = invoker().invoke(&inv::io_port_in8(BASE_IOPORT_CAP + id as u64, port))?;
        Ok(reply.mrs[0] as u8)
    }

    /// Reads 16 bits from `port` through the I/O port range with id `id`.
    pub fn ioport_in16(id: u8, port: u16) -> Result<u16, InvocationError> {
        let reply = invoker().invoke(&inv::io_port_in16(BASE_IOPORT_CAP + id as u64, port))?;
        Ok(reply.mrs[0] as u16)
    }

    /// Reads 32 bits from `port` through the I/O port range with id `id`.
    pub fn ioport_in32(id: u8, port: u16) -> Result<u32, InvocationError> {
        let reply = invoker().invoke(&inv::io_port_in32(BASE_IOPORT_CAP + id as u64, port))?;
        Ok(reply.mrs[0] as u32)
    }

    /// Writes a byte to `port` through the I/O port range with id `id`.
    pub fn ioport_out8(id: u8, port: u16, value: u8) -> Result<(), InvocationError> {
        invoker()
            .invoke(&inv::io_port_out8(BASE_IOPORT_CAP + id as u64, port, value))
            .map(drop)
    }

    /// Writes 16 bits to `port` through the I/O port range with id `id`.
    pub fn ioport_out16(id: u8, port: u16, value: u16) -> Result<(), InvocationError> {
        invoker()
            .invoke(&inv::io_port_out16(
                BASE_IOPORT_CAP + id as u64,
                port,
                value,
            ))
            .map(drop)
    }

    /// Writes 32 bits to `port` through the I/O port range with id `id`.
    pub fn ioport_out32(id: u8, port: u16, value: u32) -> Result<(), InvocationError> {
        invoker()
            .invoke(&inv::io_port_out32(
                BASE_IOPORT_CAP + id as u64,
                port,
                value,
            ))
            .map(drop)
    }
}

/// The virtual machine's vCPUs (aarch64 with hypervisor support), through the caps the
/// builder puts at `BASE_VM_TCB_CAP + id` (the vCPU's thread) and `BASE_VCPU_CAP + id`
/// (the vCPU object): libmicrokit's `microkit_vcpu_*` and `microkit_vm_*` calls.
#[cfg(target_arch = "aarch64")]
mod vm {
    use sysinit_pd_abi::{BASE_VCPU_CAP, BASE_VM_TCB_CAP};
    use sysinit_sel4::invocation::aarch64::{self as inv, UserContext, VcpuReg};
    use sysinit_sel4::invocation::{tcb_resume, tcb_suspend};
    use sysinit_sel4::{InvocationError, Word};

    use super::invoker;

    fn tcb(vcpu: u8) -> u64 {
        BASE_VM_TCB_CAP + vcpu as u64
    }

    fn vcpu_cap(vcpu: u8) -> u64 {
        BASE_VCPU_CAP + vcpu as u64
    }

    /// Makes virtual interrupt `virq` pending in list register `index` of vCPU `vcpu`
    /// (`ARM_VCPU_InjectIRQ`; `priority` 0..31, `group` 0 or 1).
    pub fn vcpu_inject_irq(
        vcpu: u8,
        virq: u16,
        priority: u8,
        group: u8,
        index: u8,
    ) -> Result<(), InvocationError> {
        invoker()
            .invoke(&inv::vcpu_inject_irq(
                vcpu_cap(vcpu),
                virq,
                priority,
                group,
                index,
            ))
            .map(drop)
    }

    /// Unmasks the virtual PPI `irq` of vCPU `vcpu` after the guest handled it
    /// (`ARM_VCPU_AckVPPI`).
    pub fn vcpu_ack_vppi(vcpu: u8, irq: Word) -> Result<(), InvocationError> {
        invoker()
            .invoke(&inv::vcpu_ack_vppi(vcpu_cap(vcpu), irq))
            .map(drop)
    }

    /// Reads vCPU register `reg` (`ARM_VCPU_ReadReg`).
    pub fn vcpu_read_reg(vcpu: u8, reg: VcpuReg) -> Result<Word, InvocationError> {
        Ok(invoker()
            .invoke(&inv::vcpu_read_reg(vcpu_cap(vcpu), reg))?
            .mrs[0])
    }

    /// Writes vCPU register `reg` (`ARM_VCPU_WriteReg`).
    pub fn vcpu_write_reg(vcpu: u8, reg: VcpuReg, value: Word) -> Result<(), InvocationError> {
        invoker()
            .invoke(&inv::vcpu_write_reg(vcpu_cap(vcpu), reg, value))
            .map(drop)
    }

    /// The user registers of vCPU `vcpu`'s thread (`TCB_ReadRegisters`).
    pub fn vm_read_registers(vcpu: u8) -> Result<UserContext, InvocationError> {
        let mut words = [0; UserContext::COUNT];
        invoker().invoke_into(&inv::tcb_read_registers(tcb(vcpu), false), &mut words)?;
        Ok(UserContext::from_words(&words))
    }

    /// Sets the user registers of vCPU `vcpu`'s thread (`TCB_WriteRegisters`); `resume`
    /// also starts it. A thread stopped in a fault resumes only with the reply.
    pub fn vm_write_registers(
        vcpu: u8,
        regs: &UserContext,
        resume: bool,
    ) -> Result<(), InvocationError> {
        invoker()
            .invoke(&inv::tcb_write_registers(tcb(vcpu), resume, regs))
            .map(drop)
    }

    /// Starts (or restarts) vCPU `vcpu`'s thread (`TCB_Resume`).
    pub fn vm_resume(vcpu: u8) -> Result<(), InvocationError> {
        invoker().invoke(&tcb_resume(tcb(vcpu))).map(drop)
    }

    /// Stops vCPU `vcpu`'s thread (`TCB_Suspend`).
    pub fn vm_stop(vcpu: u8) -> Result<(), InvocationError> {
        invoker().invoke(&tcb_suspend(tcb(vcpu))).map(drop)
    }
}
