//! vmm_hello: the VMM of the guest example (specs/boot-guest-aarch64.system). It starts
//! vCPU 0 of its virtual machine at the guest's RAM with x0 = the guest's device tree,
//! then serves the guest's faults with sysinit-vmm: the emulated GICv2 distributor, the
//! virtual timer, PSCI, and the PL011's interrupt (channel 1) passed through as SPI 1
//! (virtual interrupt 33). It reports ok when the guest powers off with PSCI
//! SYSTEM_OFF, and fails with the fault's details when the guest faults in a way the
//! VMM does not handle.
//!
//! Guests need the aarch64 kernel with hypervisor support; on x86_64 the program builds
//! (the examples are one workspace for both targets) but only reports that.
#![no_std]
#![no_main]

#[cfg(target_arch = "aarch64")]
mod vmm {
    use sysinit_pd::{
        fail, mr_get, msginfo_new, note, report_ok, setvar, Channel, MessageInfo, ProtectionDomain,
        Word,
    };
    use sysinit_sel4::fault::aarch64::unknown_syscall;
    use sysinit_vmm::{Action, Sel4Kernel, Stop, Vmm};

    setvar!(guest_ram_gpa, guest_dtb_gpa);

    /// The guest's only vCPU.
    const VCPU: u8 = 0;
    /// The PL011's interrupt (SPI 1, interrupt 33), delivered to this PD on channel 1.
    const UART_IRQ: Channel = Channel::new(1);
    /// The interrupt the guest sees it as: the same SPI, as its device tree says.
    const UART_VIRQ: u16 = 33;
    /// The longest fault message (UnknownSyscall's).
    const MAX_FAULT_MRS: usize = unknown_syscall::LENGTH;

    pub struct VmmHello {
        vmm: Vmm,
        kernel: Sel4Kernel,
    }

    impl ProtectionDomain for VmmHello {
        fn init() -> Self {
            let mut pd = VmmHello {
                vmm: Vmm::new(VCPU),
                kernel: Sel4Kernel,
            };
            let (ram, dtb) = (guest_ram_gpa.get(), guest_dtb_gpa.get());
            if ram == 0 || dtb == 0 {
                fail!(
                    "setvar guest_ram_gpa ({ram:#x}) or guest_dtb_gpa ({dtb:#x}) not set by the \
                     builder (map the guest's RAM and device tree in the virtual machine with setvar_vaddr)"
                );
                return pd;
            }
            if let Err(e) = pd.vmm.map_passthrough(UART_IRQ.id(), UART_VIRQ) {
                fail!("passing channel {UART_IRQ} through: {e}");
                return pd;
            }
            note!("starting the guest at {ram:#x} with its device tree at {dtb:#x}");
            if let Err(e) = pd.vmm.start(&mut pd.kernel, ram, dtb) {
                fail!("starting vCPU {VCPU}: {e}");
            }
            pd
        }

        fn notified(&mut self, ch: Channel) {
            match self.vmm.notified(&mut self.kernel, ch.id()) {
                Ok(true) => {}
                Ok(false) => note!("notification on channel {ch}, which is not the guest's"),
                Err(e) => fail!("injecting the interrupt of channel {ch}: {e}"),
            }
        }

        fn fault(&mut self, id: u8, msginfo: MessageInfo) -> Option<MessageInfo> {
            let mrs: [Word; MAX_FAULT_MRS] = core::array::from_fn(mr_get);
            let len = (msginfo.length() as usize).min(MAX_FAULT_MRS);
            match self
                .vmm
                .handle_fault(&mut self.kernel, id, msginfo.label(), &mrs[..len])
            {
                // Label 0 with no registers: resume, changing no register (an
                // UnknownSyscall reply would otherwise write its registers back).
                Action::Resume => Some(msginfo_new(0, 0)),
                Action::Stop(Stop::PoweredOff) => {
                    note!("guest powered off");
                    report_ok();
                    None
                }
                Action::Stop(stop) => {
                    fail!("{stop}");
                    None
                }
            }
        }
    }
}

#[cfg(target_arch = "aarch64")]
sysinit_pd::protection_domain!(vmm::VmmHello);

#[cfg(not(target_arch = "aarch64"))]
mod stub {
    use sysinit_pd::{fail, ProtectionDomain};

    pub struct VmmHello;

    impl ProtectionDomain for VmmHello {
        fn init() -> Self {
            fail!(
                "virtual machines need the aarch64 kernel with hypervisor support; this is not it"
            );
            VmmHello
        }
    }
}

#[cfg(not(target_arch = "aarch64"))]
sysinit_pd::protection_domain!(stub::VmmHello);
