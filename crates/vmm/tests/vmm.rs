//! The VMM against a fake kernel: every behaviour from the guest's side (its faults and
//! its interrupts) and what the VMM asks of the kernel in return.

use sysinit_vmm::esr::{self, data_abort, syndrome};
use sysinit_vmm::psci;
use sysinit_vmm::{Action, Reason, Stop, UserContext, VcpuKernel, Vmm, GUEST_SPSR};

/// Fault labels of our aarch64 kernel (sysinit-sel4 checks them against its headers).
const VM_FAULT: u64 = 5;
const UNKNOWN_SYSCALL: u64 = 2;
const USER_EXCEPTION: u64 = 3;
const VGIC_MAINTENANCE: u64 = 6;
const VCPU_FAULT: u64 = 7;
const VPPI_EVENT: u64 = 8;

const GICD: u64 = 0x0800_0000;
const PC: u64 = 0x4000_1000;

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Op {
    Inject { virq: u16, priority: u8, index: u8 },
    AckVppi(u16),
    Write { resume: bool },
    IrqAck(u8),
}

/// One vCPU (id 0) whose registers the VMM reads and writes; records every operation.
struct FakeKernel {
    regs: UserContext,
    ops: Vec<Op>,
    fail_inject: bool,
}

impl FakeKernel {
    fn new() -> FakeKernel {
        FakeKernel {
            regs: UserContext {
                pc: PC,
                ..UserContext::default()
            },
            ops: Vec::new(),
            fail_inject: false,
        }
    }

    fn take(&mut self) -> Vec<Op> {
        std::mem::take(&mut self.ops)
    }
}

impl VcpuKernel for FakeKernel {
    type Error = &'static str;

    fn inject_irq(
        &mut self,
        vcpu: u8,
        virq: u16,
        priority: u8,
        group: u8,
        index: u8,
    ) -> Result<(), &'static str> {
        assert_eq!((vcpu, group), (0, 0));
        assert!(index < 4, "QEMU's GICv2 has 4 list registers");
        if self.fail_inject {
            return Err("seL4_DeleteFirst");
        }
        self.ops.push(Op::Inject {
            virq,
            priority,
            index,
        });
        Ok(())
    }

    fn ack_vppi(&mut self, vcpu: u8, irq: u16) -> Result<(), &'static str> {
        assert_eq!(vcpu, 0);
        self.ops.push(Op::AckVppi(irq));
        Ok(())
    }

    fn read_regs(&mut self, vcpu: u8) -> Result<UserContext, &'static str> {
        assert_eq!(vcpu, 0);
        Ok(self.regs)
    }

    fn write_regs(
        &mut self,
        vcpu: u8,
        regs: &UserContext,
        resume: bool,
    ) -> Result<(), &'static str> {
        assert_eq!(vcpu, 0);
        self.regs = *regs;
        self.ops.push(Op::Write { resume });
        Ok(())
    }

    fn irq_ack(&mut self, channel: u8) -> Result<(), &'static str> {
        self.ops.push(Op::IrqAck(channel));
        Ok(())
    }
}

/// The guest stores `value` (in x`reg`) to the distributor at `offset`, `size` bytes.
fn store(
    vmm: &mut Vmm,
    k: &mut FakeKernel,
    offset: u64,
    size: u8,
    reg: u8,
    value: u64,
) -> Action<&'static str> {
    k.regs.set_x(reg, value);
    let pc = k.regs.pc;
    vmm.handle_fault(
        k,
        0,
        VM_FAULT,
        &[pc, GICD + offset, 0, data_abort(size, reg, true)],
    )
}

/// The guest loads `size` bytes at `offset` of the distributor into x`reg`.
fn load(vmm: &mut Vmm, k: &mut FakeKernel, offset: u64, size: u8, reg: u8) -> Action<&'static str> {
    let pc = k.regs.pc;
    vmm.handle_fault(
        k,
        0,
        VM_FAULT,
        &[pc, GICD + offset, 0, data_abort(size, reg, false)],
    )
}

fn maintenance(vmm: &mut Vmm, k: &mut FakeKernel, index: u64) -> Action<&'static str> {
    vmm.handle_fault(k, 0, VGIC_MAINTENANCE, &[index])
}

/// Distributor on, `irqs` enabled.
fn enable(vmm: &mut Vmm, k: &mut FakeKernel, irqs: &[u16]) {
    for &irq in irqs {
        let offset = 0x100 + 4 * (irq as u64 / 32);
        assert_eq!(store(vmm, k, offset, 4, 1, 1 << (irq % 32)), Action::Resume);
    }
    assert_eq!(store(vmm, k, 0, 4, 1, 1), Action::Resume);
    k.take();
}

#[test]
fn start_sets_entry_device_tree_and_el1h_then_resumes() {
    let mut k = FakeKernel::new();
    let mut vmm = Vmm::new(0);
    vmm.start(&mut k, 0x4000_0000, 0x4100_0000).unwrap();
    assert_eq!(k.take(), [Op::Write { resume: true }]);
    assert_eq!(
        (k.regs.pc, k.regs.x0, k.regs.spsr),
        (0x4000_0000, 0x4100_0000, 0x3c5)
    );
    assert_eq!(GUEST_SPSR, 0x3c5);
}

#[test]
fn a_gicd_store_enabling_an_interrupt_is_emulated_and_the_pc_advances() {
    let mut k = FakeKernel::new();
    let mut vmm = Vmm::new(0);
    // str w1, [GICD_ISENABLER1] with bit 1: SPI 33.
    assert_eq!(store(&mut vmm, &mut k, 0x104, 4, 1, 0x2), Action::Resume);
    assert!(vmm.vgic().dist.irq_enabled(33));
    assert_eq!(k.regs.pc, PC + 4);
    assert_eq!(k.take(), [Op::Write { resume: false }]);
}

#[test]
fn mmio_loads_and_stores_of_each_width_including_the_zero_register() {
    let mut k = FakeKernel::new();
    let mut vmm = Vmm::new(0);
    // strb w5, [IPRIORITYR + 27]: only the low byte is stored.
    assert_eq!(
        store(&mut vmm, &mut k, 0x400 + 27, 1, 5, 0xdead_beef_dead_beef),
        Action::Resume
    );
    // ldrb w2, [IPRIORITYR + 27]
    assert_eq!(load(&mut vmm, &mut k, 0x400 + 27, 1, 2), Action::Resume);
    assert_eq!(k.regs.x2, 0xef);
    // strh / ldrh
    assert_eq!(
        store(&mut vmm, &mut k, 0x420, 2, 6, 0x1234_5678),
        Action::Resume
    );
    assert_eq!(load(&mut vmm, &mut k, 0x420, 2, 7), Action::Resume);
    assert_eq!(k.regs.x7, 0x5678);
    // ldr w3, [GICD_TYPER]: a 32-bit load zeroes the upper half.
    k.regs.x3 = u64::MAX;
    assert_eq!(load(&mut vmm, &mut k, 0x004, 4, 3), Action::Resume);
    assert_eq!(k.regs.x3, 4);
    // ldr x4, [PIDR2]: 64 bits over PIDR2 and PIDR3.
    assert_eq!(load(&mut vmm, &mut k, 0xfe8, 8, 4), Action::Resume);
    assert_eq!(k.regs.x4, 0x2b);
    // str x8 (64 bits) over ISENABLER0 and ISENABLER1.
    assert_eq!(
        store(&mut vmm, &mut k, 0x100, 8, 8, (1 << 33) | (1 << 27)),
        Action::Resume
    );
    assert!(vmm.vgic().dist.irq_enabled(27) && vmm.vgic().dist.irq_enabled(33));
    // ldr wzr: the value is discarded, no register changes.
    let before = k.regs;
    assert_eq!(load(&mut vmm, &mut k, 0x004, 4, 31), Action::Resume);
    assert_eq!(
        k.regs,
        UserContext {
            pc: before.pc + 4,
            ..before
        }
    );
    // str wzr, [GICD_ICENABLER1]: stores 0, which clears nothing.
    assert_eq!(store(&mut vmm, &mut k, 0x184, 4, 31, 0), Action::Resume);
    assert!(vmm.vgic().dist.irq_enabled(33));
    // Every access advanced the PC by one instruction.
    assert_eq!(k.regs.pc, PC + 4 * 9);
}

#[test]
fn a_pending_interrupt_is_injected_once_enabled() {
    let mut k = FakeKernel::new();
    let mut vmm = Vmm::new(0);
    vmm.map_passthrough(1, 33).unwrap();
    // Fires before the guest set up its GIC: stays pending.
    assert!(vmm.notified(&mut k, 1).unwrap());
    assert!(k.take().is_empty());
    assert!(vmm.vgic().dist.irq_pending(33));
    // Priority 0xa0 for SPI 33, then enable it and the distributor.
    assert_eq!(store(&mut vmm, &mut k, 0x421, 1, 1, 0xa0), Action::Resume);
    assert_eq!(store(&mut vmm, &mut k, 0x104, 4, 1, 2), Action::Resume);
    assert!(
        !k.ops.iter().any(|op| matches!(op, Op::Inject { .. })),
        "distributor still off"
    );
    k.take();
    assert_eq!(store(&mut vmm, &mut k, 0x000, 4, 1, 1), Action::Resume);
    assert_eq!(
        k.take(),
        [
            Op::Write { resume: false },
            Op::Inject {
                virq: 33,
                priority: 0xa0 >> 3,
                index: 0
            }
        ]
    );
    assert_eq!(vmm.vgic().list_register(0), Some(33));
    assert!(!vmm.vgic().dist.irq_pending(33));
    // Its active state reads back through ISACTIVER1.
    assert_eq!(load(&mut vmm, &mut k, 0x304, 4, 2), Action::Resume);
    assert_eq!(k.regs.x2, 2);
    // A channel that is not a passthrough interrupt is the PD's business.
    assert!(!vmm.notified(&mut k, 2).unwrap());
}

#[test]
fn interrupts_beyond_the_list_registers_queue_and_go_in_as_registers_free() {
    let mut k = FakeKernel::new();
    let mut vmm = Vmm::new(0);
    for ch in 0..6u8 {
        vmm.map_passthrough(ch, 40 + ch as u16).unwrap();
    }
    enable(&mut vmm, &mut k, &[40, 41, 42, 43, 44, 45]);
    for ch in 0..6u8 {
        vmm.notified(&mut k, ch).unwrap();
    }
    let injected: Vec<(u16, u8)> = k
        .take()
        .into_iter()
        .map(|op| match op {
            Op::Inject { virq, index, .. } => (virq, index),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(injected, [(40, 0), (41, 1), (42, 2), (43, 3)]);
    assert_eq!(vmm.vgic().queued(), [44, 45]);
    // Raising a queued interrupt again does not queue it twice.
    vmm.notified(&mut k, 4).unwrap();
    assert_eq!(vmm.vgic().queued(), [44, 45]);
    // The guest ends the interrupt in list register 2 (SPI 42, channel 2).
    assert_eq!(maintenance(&mut vmm, &mut k, 2), Action::Resume);
    assert_eq!(
        k.take(),
        [
            Op::IrqAck(2),
            Op::Inject {
                virq: 44,
                priority: 0,
                index: 2
            }
        ]
    );
    assert_eq!(vmm.vgic().queued(), [45]);
    assert_eq!(maintenance(&mut vmm, &mut k, 0), Action::Resume);
    assert_eq!(
        k.take(),
        [
            Op::IrqAck(0),
            Op::Inject {
                virq: 45,
                priority: 0,
                index: 0
            }
        ]
    );
    assert!(vmm.vgic().queued().is_empty());
    // A maintenance fault without a list register (index -1) changes nothing.
    assert_eq!(maintenance(&mut vmm, &mut k, u64::MAX), Action::Resume);
    assert!(k.take().is_empty());
}

#[test]
fn the_virtual_timer_is_injected_and_acknowledged_when_the_guest_ends_it() {
    let mut k = FakeKernel::new();
    let mut vmm = Vmm::new(0);
    // Before the guest enables the timer PPI: pending only, nothing acknowledged.
    assert_eq!(
        vmm.handle_fault(&mut k, 0, VPPI_EVENT, &[27]),
        Action::Resume
    );
    assert!(k.take().is_empty());
    enable(&mut vmm, &mut k, &[]);
    assert_eq!(
        store(&mut vmm, &mut k, 0x100, 4, 1, 1 << 27),
        Action::Resume
    );
    assert_eq!(
        k.take(),
        [
            Op::Write { resume: false },
            Op::Inject {
                virq: 27,
                priority: 0,
                index: 0
            }
        ]
    );
    assert_eq!(maintenance(&mut vmm, &mut k, 0), Action::Resume);
    assert_eq!(k.take(), [Op::AckVppi(27)]);
    // The next tick goes straight in.
    assert_eq!(
        vmm.handle_fault(&mut k, 0, VPPI_EVENT, &[27]),
        Action::Resume
    );
    assert_eq!(
        k.take(),
        [Op::Inject {
            virq: 27,
            priority: 0,
            index: 0
        }]
    );
    assert_eq!(maintenance(&mut vmm, &mut k, 0), Action::Resume);
    assert_eq!(k.take(), [Op::AckVppi(27)]);
}

#[test]
fn a_passthrough_interrupt_is_acknowledged_to_sel4_when_the_guest_ends_it() {
    let mut k = FakeKernel::new();
    let mut vmm = Vmm::new(0);
    vmm.map_passthrough(1, 33).unwrap();
    enable(&mut vmm, &mut k, &[33]);
    vmm.notified(&mut k, 1).unwrap();
    assert_eq!(
        k.take(),
        [Op::Inject {
            virq: 33,
            priority: 0,
            index: 0
        }]
    );
    assert_eq!(maintenance(&mut vmm, &mut k, 0), Action::Resume);
    assert_eq!(k.take(), [Op::IrqAck(1)]);
    assert_eq!(vmm.vgic().list_register(0), None);
}

#[test]
fn passthrough_mappings_are_checked() {
    let mut vmm = Vmm::new(0);
    assert_eq!(
        vmm.map_passthrough(62, 33),
        Err(sysinit_vmm::MapError::Channel(62))
    );
    assert_eq!(
        vmm.map_passthrough(1, 27),
        Err(sysinit_vmm::MapError::Irq(27))
    );
    assert_eq!(
        vmm.map_passthrough(1, 160),
        Err(sysinit_vmm::MapError::Irq(160))
    );
    assert_eq!(
        sysinit_vmm::MapError::Irq(27).to_string(),
        "virtual interrupt 27 is not a shared peripheral interrupt (32..160)"
    );
}

/// The guest calls PSCI function `function` with `smc` (a VCPUFault) and `hvc` (an
/// UnknownSyscall fault), each from a fresh register state.
fn psci_both_ways(function: u32, args: [u64; 3]) -> [(Action<&'static str>, FakeKernel); 2] {
    let call = |label: u64, mrs: &[u64]| {
        let mut k = FakeKernel::new();
        k.regs.x0 = function as u64;
        (k.regs.x1, k.regs.x2, k.regs.x3) = (args[0], args[1], args[2]);
        let mut vmm = Vmm::new(0);
        (vmm.handle_fault(&mut k, 0, label, mrs), k)
    };
    let mut hvc = [0u64; 13];
    hvc[0] = function as u64;
    hvc[1..4].copy_from_slice(&args);
    hvc[8] = PC;
    [
        call(VCPU_FAULT, &[syndrome(esr::EC_SMC64, 0)]),
        call(UNKNOWN_SYSCALL, &hvc),
    ]
}

#[test]
fn psci_calls_return_in_x0_and_advance_the_pc() {
    let cases: [(u32, [u64; 3], i64); 6] = [
        (psci::PSCI_VERSION, [0; 3], 0x1_0000),
        (psci::PSCI_FEATURES, [psci::SYSTEM_OFF as u64, 0, 0], 0),
        (psci::PSCI_FEATURES, [psci::CPU_SUSPEND_64 as u64, 0, 0], -1),
        (psci::CPU_ON_64, [0, 0x4000_0000, 0], -4),
        (psci::CPU_ON_64, [1, 0x4000_0000, 0], -2),
        (0xc200_0000, [0; 3], -1), // not a PSCI function: SMCCC NOT_SUPPORTED
    ];
    for (function, args, result) in cases {
        for (action, mut k) in psci_both_ways(function, args) {
            assert_eq!(action, Action::Resume, "{function:#x}");
            assert_eq!(k.regs.x0, result as u64, "{function:#x}");
            assert_eq!(k.regs.pc, PC + 4, "{function:#x}");
            assert_eq!(k.take(), [Op::Write { resume: false }]);
        }
    }
}

#[test]
fn psci_power_calls_stop_the_vcpu_without_touching_it() {
    let cases = [
        (psci::SYSTEM_OFF, Stop::PoweredOff),
        (psci::SYSTEM_RESET, Stop::Reset),
        (psci::CPU_OFF, Stop::CpuOff),
    ];
    for (function, stop) in cases {
        for (action, mut k) in psci_both_ways(function, [0; 3]) {
            assert_eq!(action, Action::Stop(stop.clone()), "{function:#x}");
            assert!(k.take().is_empty());
        }
    }
    assert_eq!(
        Stop::<&str>::PoweredOff.to_string(),
        "guest powered off (PSCI SYSTEM_OFF)"
    );
}

#[test]
fn wfi_and_wfe_resume_after_the_instruction() {
    let mut k = FakeKernel::new();
    let mut vmm = Vmm::new(0);
    assert_eq!(
        vmm.handle_fault(&mut k, 0, VCPU_FAULT, &[syndrome(esr::EC_WFX, 0)]),
        Action::Resume
    );
    assert_eq!(k.regs.pc, PC + 4);
    assert_eq!(k.take(), [Op::Write { resume: false }]);
}

fn unhandled_text(action: Action<&'static str>) -> String {
    match action {
        Action::Stop(stop @ Stop::Unhandled(_)) => stop.to_string(),
        other => panic!("not an unhandled fault: {other:?}"),
    }
}

#[test]
fn unhandled_faults_report_pc_address_and_syndrome_and_stay_stopped() {
    let mut k = FakeKernel::new();
    let mut vmm = Vmm::new(0);
    // A load from an address nothing is at.
    let esr = data_abort(4, 1, false);
    let text = unhandled_text(vmm.handle_fault(&mut k, 0, VM_FAULT, &[PC, 0x0a00_0000, 0, esr]));
    assert_eq!(
        text,
        format!(
            "vCPU 0: VMFault at pc 0x40001000, address 0xa000000, ESR {esr:#x} (EC 0x24: data abort): \
             no memory or emulated device at this guest-physical address; the vCPU is stopped"
        )
    );
    // A load pair from the distributor: no instruction syndrome.
    let esr = syndrome(esr::EC_DABT_LOWER, 0x7);
    let action = vmm.handle_fault(&mut k, 0, VM_FAULT, &[PC, GICD + 0x100, 0, esr]);
    let Action::Stop(Stop::Unhandled(u)) = &action else {
        panic!("{action:?}");
    };
    assert_eq!(u.reason, Reason::Mmio(esr::MmioDecodeError::NoSyndrome));
    assert!(unhandled_text(action).contains("(ISV=0)"));
    // An instruction fetch from unmapped guest memory.
    let text = unhandled_text(vmm.handle_fault(
        &mut k,
        0,
        VM_FAULT,
        &[0x5000_0000, 0x5000_0000, 1, 0x8200_0006],
    ));
    assert!(
        text.starts_with("vCPU 0: VMFault at pc 0x50000000, address 0x50000000"),
        "{text}"
    );
    assert!(text.contains("instruction fetch"), "{text}");
    // A trapped system register access: the PC comes from the registers.
    let esr = syndrome(esr::EC_SYSREG, 0x30_0000);
    let text = unhandled_text(vmm.handle_fault(&mut k, 0, VCPU_FAULT, &[esr]));
    assert_eq!(
        text,
        format!(
            "vCPU 0: VCPUFault at pc 0x40001000, ESR {esr:#x} (EC 0x18: system register access): \
             trapped instruction the VMM does not emulate; the vCPU is stopped"
        )
    );
    // An undefined instruction.
    let text = unhandled_text(vmm.handle_fault(
        &mut k,
        0,
        USER_EXCEPTION,
        &[PC, 0, 0x3c5, 0, 0x0200_0000],
    ));
    assert!(
        text.starts_with("vCPU 0: UserException at pc 0x40001000, ESR 0x2000000"),
        "{text}"
    );
    // A short message, an unknown vCPU and a capability fault.
    let text = unhandled_text(vmm.handle_fault(&mut k, 0, VM_FAULT, &[PC]));
    assert!(
        text.ends_with(
            "VMFault fault message of 1 registers, the kernel sends 4; the vCPU is stopped"
        ),
        "{text}"
    );
    let text = unhandled_text(vmm.handle_fault(&mut k, 3, VPPI_EVENT, &[27]));
    assert!(text.contains("no vCPU with that id"), "{text}");
    let text = unhandled_text(vmm.handle_fault(&mut k, 0, 1, &[0; 7]));
    assert_eq!(
        text,
        "vCPU 0: CapFault: a vCPU thread never raises this fault; the vCPU is stopped"
    );
    // Nothing was written or resumed for any of them.
    assert!(k.take().is_empty());
}

#[test]
fn a_kernel_error_stops_the_vcpu_and_says_what_failed() {
    let mut k = FakeKernel::new();
    let mut vmm = Vmm::new(0);
    enable(&mut vmm, &mut k, &[27]);
    k.fail_inject = true;
    let action = vmm.handle_fault(&mut k, 0, VPPI_EVENT, &[27]);
    let Action::Stop(stop) = action else {
        panic!("{action:?}");
    };
    assert_eq!(
        stop.to_string(),
        "injecting a virtual interrupt failed: seL4_DeleteFirst; the vCPU is stopped"
    );
}

/// What Debian 12's Linux 6.1 did to the VMM when it booted as a guest
/// (specs/boot-linux-aarch64.system; every fault of that boot, traced once): its GICv2
/// driver's probe and configuration of the distributor, then the PSCI calls of its
/// probe and its power-off. The values Linux relies on are asserted: the interrupt
/// count from `GICD_TYPER`, a non-zero CPU mask in `GICD_ITARGETSR0` (otherwise "GIC
/// CPU mask not found - kernel will fail to boot"), the byte store of an SPI's target
/// (`irq_set_affinity`), read-modify-write of `GICD_ICFGR`, the ignored stores to
/// `GICD_ICACTIVER`, and SMCCC 1.0 (SMCCC_VERSION not supported) with no migration.
#[test]
fn linux_6_1_probes_the_distributor_and_psci_as_traced() {
    let mut k = FakeKernel::new();
    let mut vmm = Vmm::new(0);
    vmm.map_passthrough(1, 33).unwrap();
    let load_word = |vmm: &mut Vmm, k: &mut FakeKernel, offset: u64| {
        assert_eq!(load(vmm, k, offset, 4, 2), Action::Resume, "{offset:#x}");
        k.regs.x(2)
    };
    // gic_of_init -> gic_init_bases: distributor off (str wzr), TYPER, the CPU mask.
    assert_eq!(store(&mut vmm, &mut k, 0x000, 4, 31, 0), Action::Resume);
    assert_eq!(
        load_word(&mut vmm, &mut k, 0x004) & 0x1f,
        4,
        "(4 + 1) * 32 = 160 interrupts"
    );
    assert_eq!(
        load_word(&mut vmm, &mut k, 0x800),
        0x0101_0101,
        "CPU interface 0 targets SGIs"
    );
    // gic_dist_init: SPIs level (ICFGR2..9 = 0, str wzr), targeted at CPU 0, priority
    // 0xa0, inactive and disabled; then the distributor on.
    for offset in (0xc08..0xc28).step_by(4) {
        assert_eq!(store(&mut vmm, &mut k, offset, 4, 31, 0), Action::Resume);
    }
    for offset in (0x820..0x8a0).step_by(4) {
        assert_eq!(
            store(&mut vmm, &mut k, offset, 4, 0, 0x0101_0101),
            Action::Resume
        );
    }
    for offset in (0x420..0x4a0).step_by(4) {
        assert_eq!(
            store(&mut vmm, &mut k, offset, 4, 5, 0xa0a0_a0a0),
            Action::Resume
        );
    }
    for offset in (0x180..0x194).step_by(4).chain((0x380..0x394).step_by(4)) {
        assert_eq!(
            store(&mut vmm, &mut k, offset, 4, 6, 0xffff_ffff),
            Action::Resume
        );
    }
    assert_eq!(store(&mut vmm, &mut k, 0x000, 4, 0, 1), Action::Resume);
    assert!(vmm.vgic().dist.is_enabled());
    // gic_cpu_init: SGI/PPI priorities.
    for offset in (0x400..0x420).step_by(4) {
        assert_eq!(
            store(&mut vmm, &mut k, offset, 4, 6, 0xa0a0_a0a0),
            Action::Resume
        );
    }
    assert_eq!(load_word(&mut vmm, &mut k, 0x400), 0xa0a0_a0a0);
    // The timer PPI 27: ICFGR1 read-modify-write (ldr, orr, str) to level, then enabled.
    let cfg = load_word(&mut vmm, &mut k, 0xc04);
    assert_eq!(
        store(&mut vmm, &mut k, 0xc04, 4, 1, cfg & !(2 << 22)),
        Action::Resume
    );
    assert_eq!(load_word(&mut vmm, &mut k, 0xc04), cfg & !(2 << 22));
    assert_eq!(
        store(&mut vmm, &mut k, 0x100, 4, 1, 1 << 27),
        Action::Resume
    );
    assert!(vmm.vgic().dist.irq_enabled(27));
    // The PL011's SPI 33: its target byte (strb at 0x821), then enabled.
    assert_eq!(store(&mut vmm, &mut k, 0x821, 1, 0, 0x01), Action::Resume);
    assert_eq!(load_word(&mut vmm, &mut k, 0x820), 0x0101_0101);
    assert_eq!(store(&mut vmm, &mut k, 0x104, 4, 1, 1 << 1), Action::Resume);
    k.take();
    // Stores to ICACTIVER left nothing active; the UART's interrupt goes in at once.
    assert_eq!(load_word(&mut vmm, &mut k, 0x304), 0);
    k.take();
    assert!(vmm.notified(&mut k, 1).unwrap());
    assert_eq!(
        k.take(),
        [Op::Inject {
            virq: 33,
            priority: 0xa0 >> 3,
            index: 0
        }]
    );

    // psci_probe (drivers/firmware/psci/psci.c), in its order, then SYSTEM_OFF.
    const SMCCC_VERSION: u64 = 0x8000_0000;
    const SYSTEM_SUSPEND_64: u64 = 0xc400_000e;
    const SYSTEM_RESET2_64: u64 = 0xc400_0012;
    let calls: [(u32, u64, i64); 6] = [
        (psci::PSCI_VERSION, 0, 0x1_0000),
        (psci::MIGRATE_INFO_TYPE, 0, 2), // no Trusted OS: no MIGRATE_INFO_UP_CPU
        (psci::PSCI_FEATURES, SMCCC_VERSION, -1), // SMCCC 1.0
        (psci::PSCI_FEATURES, psci::CPU_SUSPEND_64 as u64, -1),
        (psci::PSCI_FEATURES, SYSTEM_SUSPEND_64, -1),
        (psci::PSCI_FEATURES, SYSTEM_RESET2_64, -1),
    ];
    for (function, arg, result) in calls {
        k.regs.x0 = function as u64;
        k.regs.x1 = arg;
        let pc = k.regs.pc;
        let smc = vmm.handle_fault(&mut k, 0, VCPU_FAULT, &[syndrome(esr::EC_SMC64, 0)]);
        assert_eq!(smc, Action::Resume, "{function:#x}({arg:#x})");
        assert_eq!(k.regs.x0, result as u64, "{function:#x}({arg:#x})");
        assert_eq!(k.regs.pc, pc + 4);
    }
    k.regs.x0 = psci::SYSTEM_OFF as u64;
    assert_eq!(
        vmm.handle_fault(&mut k, 0, VCPU_FAULT, &[syndrome(esr::EC_SMC64, 0)]),
        Action::Stop(Stop::PoweredOff)
    );
}
