//! Invocation labels: every method named once, numbered per kernel configuration.
//!
//! The kernel generates the label enumeration from its interface XML files in
//! three consecutive parts: the generic methods (`object-api.xml`), then the
//! word-size specific ones (`object-api-sel4-arch.xml`), then the architecture
//! family's (`object-api-arch.xml`), each part starting where the previous one
//! ended. A method whose XML condition is false in a configuration takes no
//! number, and every later label shifts down.
//!
//! So the single source here is [`Label`]: each method our configurations
//! have, once, in the kernel's order, with the part it belongs to and the
//! condition it needs. A configuration ([`Config`]) is a value, and a label's
//! number in it is its position among the labels present ([`Config::number`]),
//! computed the way the kernel's generator computes it. A new configuration
//! (EL1, MCS) is one more `Config` and, for methods only it has, more rows in
//! the table below with their condition, never a second list of names.

use sysinit_kobj::{Arch, KernelConfig};

use crate::Word;

/// The interface file a method comes from, which decides where its number starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// `object-api.xml`: every architecture.
    Generic,
    /// `object-api-sel4-arch.xml` for x86_64.
    X86_64,
    /// `object-api-arch.xml` for x86.
    X86,
    /// `object-api-sel4-arch.xml` for aarch64.
    Aarch64,
    /// `object-api-arch.xml` for ARM.
    Arm,
}

impl Part {
    /// Whether the part is in the enumeration of `arch`.
    pub const fn on(self, arch: Arch) -> bool {
        matches!(
            (self, arch),
            (Part::Generic, _)
                | (Part::X86_64 | Part::X86, Arch::X86_64)
                | (Part::Aarch64 | Part::Arm, Arch::Aarch64)
        )
    }
}

/// The XML condition a method needs beyond its part, as far as our configurations differ in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Needs {
    /// Present in every configuration of its part.
    Nothing,
    /// `CONFIG_ARM_HYPERVISOR_SUPPORT` (aarch64 kernels at EL2).
    Hypervisor,
}

/// A kernel configuration, as far as the label numbering depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// The architecture.
    pub arch: Arch,
    /// `CONFIG_ARM_HYPERVISOR_SUPPORT`.
    pub hypervisor: bool,
}

/// `kernel-config/x86_64.cmake`: pc99, no IOMMU, no VT-x.
pub const X86_64: Config = Config {
    arch: Arch::X86_64,
    hypervisor: false,
};

/// `kernel-config/aarch64.cmake`: qemu-arm-virt with hypervisor support (EL2).
pub const AARCH64: Config = Config {
    arch: Arch::Aarch64,
    hypervisor: true,
};

/// `kernel-config/aarch64-el1.cmake`: qemu-arm-virt without hypervisor support (EL1).
pub const AARCH64_EL1: Config = Config {
    arch: Arch::Aarch64,
    hypervisor: false,
};

/// The aarch64 configuration the invocations of [`crate::invocation::aarch64`] are
/// numbered for: [`AARCH64_EL1`] with the crate feature `aarch64-el1`, else [`AARCH64`].
pub const AARCH64_BUILT_FOR: Config = if cfg!(feature = "aarch64-el1") {
    AARCH64_EL1
} else {
    AARCH64
};

/// Every configuration we build kernels with, in [`KernelConfig::ALL`] order.
pub const ALL: [Config; 3] = [X86_64, AARCH64, AARCH64_EL1];

/// The default configuration of each architecture ([`KernelConfig::of_arch`]).
pub const fn config(arch: Arch) -> Config {
    of_kernel(KernelConfig::of_arch(arch))
}

/// The label numbering of a kernel configuration.
pub const fn of_kernel(kernel: KernelConfig) -> Config {
    Config {
        arch: kernel.arch,
        hypervisor: kernel.hypervisor,
    }
}

/// Declares [`Label`] from one table: the kernel's enumerator name (used as the
/// variant), its part and its condition, in the kernel's order.
macro_rules! labels {
    ($($variant:ident: $part:ident $(if $needs:ident)?,)*) => {
        /// An invocation method, named as the kernel's enumerator names it.
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Label {
            $(
                #[doc = concat!("`", stringify!($variant), "`.")]
                $variant,
            )*
        }

        impl Label {
            /// Every label, in the kernel's enumeration order.
            pub const ALL: &'static [Label] = &[$(Label::$variant,)*];

            /// The kernel's enumerator name.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Label::$variant => stringify!($variant),)*
                }
            }

            /// The interface file the method comes from.
            pub const fn part(self) -> Part {
                match self {
                    $(Label::$variant => Part::$part,)*
                }
            }

            /// What the method needs beyond its part.
            pub const fn needs(self) -> Needs {
                match self {
                    $(Label::$variant => labels!(@needs $($needs)?),)*
                }
            }
        }
    };
    (@needs) => { Needs::Nothing };
    (@needs $needs:ident) => { Needs::$needs };
}

labels! {
    InvalidInvocation: Generic,
    UntypedRetype: Generic,
    TCBReadRegisters: Generic,
    TCBWriteRegisters: Generic,
    TCBCopyRegisters: Generic,
    TCBConfigure: Generic,
    TCBSetPriority: Generic,
    TCBSetMCPriority: Generic,
    TCBSetSchedParams: Generic,
    TCBSetIPCBuffer: Generic,
    TCBSetSpace: Generic,
    TCBSuspend: Generic,
    TCBResume: Generic,
    TCBBindNotification: Generic,
    TCBUnbindNotification: Generic,
    TCBSetTLSBase: Generic,
    TCBSetFlags: Generic,
    CNodeRevoke: Generic,
    CNodeDelete: Generic,
    CNodeCancelBadgedSends: Generic,
    CNodeCopy: Generic,
    CNodeMint: Generic,
    CNodeMove: Generic,
    CNodeMutate: Generic,
    CNodeRotate: Generic,
    CNodeSaveCaller: Generic,
    IRQIssueIRQHandler: Generic,
    IRQAckIRQ: Generic,
    IRQSetIRQHandler: Generic,
    IRQClearIRQHandler: Generic,
    DomainSetSet: Generic,
    DomainScheduleConfigure: Generic,
    DomainScheduleSetStart: Generic,
    X86PDPTMap: X86_64,
    X86PDPTUnmap: X86_64,
    X86PageDirectoryMap: X86,
    X86PageDirectoryUnmap: X86,
    X86PageTableMap: X86,
    X86PageTableUnmap: X86,
    X86PageMap: X86,
    X86PageUnmap: X86,
    X86PageGetAddress: X86,
    X86ASIDControlMakePool: X86,
    X86ASIDPoolAssign: X86,
    X86IOPortControlIssue: X86,
    X86IOPortIn8: X86,
    X86IOPortIn16: X86,
    X86IOPortIn32: X86,
    X86IOPortOut8: X86,
    X86IOPortOut16: X86,
    X86IOPortOut32: X86,
    X86IRQIssueIRQHandlerIOAPIC: X86,
    X86IRQIssueIRQHandlerMSI: X86,
    ARMVSpaceClean_Data: Aarch64,
    ARMVSpaceInvalidate_Data: Aarch64,
    ARMVSpaceCleanInvalidate_Data: Aarch64,
    ARMVSpaceUnify_Instruction: Aarch64,
    ARMSMCCall: Aarch64,
    ARMPageTableMap: Arm,
    ARMPageTableUnmap: Arm,
    ARMPageMap: Arm,
    ARMPageUnmap: Arm,
    ARMPageClean_Data: Arm,
    ARMPageInvalidate_Data: Arm,
    ARMPageCleanInvalidate_Data: Arm,
    ARMPageUnify_Instruction: Arm,
    ARMPageGetAddress: Arm,
    ARMASIDControlMakePool: Arm,
    ARMASIDPoolAssign: Arm,
    ARMVCPUSetTCB: Arm if Hypervisor,
    ARMVCPUInjectIRQ: Arm if Hypervisor,
    ARMVCPUReadReg: Arm if Hypervisor,
    ARMVCPUWriteReg: Arm if Hypervisor,
    ARMVCPUAckVPPI: Arm if Hypervisor,
    ARMIRQIssueIRQHandlerTrigger: Arm,
    ARMIRQIssueSGISignal: Arm,
}

impl Config {
    /// Whether `label` takes a number in this configuration.
    pub const fn has(&self, label: Label) -> bool {
        label.part().on(self.arch)
            && match label.needs() {
                Needs::Nothing => true,
                Needs::Hypervisor => self.hypervisor,
            }
    }

    /// `label`'s number: how many labels present here come before it.
    pub const fn number(&self, label: Label) -> Option<Word> {
        if !self.has(label) {
            return None;
        }
        let mut n = 0;
        let mut i = 0;
        while i < Label::ALL.len() {
            let l = Label::ALL[i];
            if l as usize == label as usize {
                return Some(n);
            }
            if self.has(l) {
                n += 1;
            }
            i += 1;
        }
        None
    }

    /// `label`'s number, for invocations built into code: a label the
    /// configuration lacks stops the build when evaluated in a `const` block.
    pub const fn label(&self, label: Label) -> Word {
        match self.number(label) {
            Some(n) => n,
            None => panic!("invocation label absent from this kernel configuration"),
        }
    }

    /// Number of labels (`nArchInvocationLabels`).
    pub const fn count(&self) -> Word {
        let mut n = 0;
        let mut i = 0;
        while i < Label::ALL.len() {
            if self.has(Label::ALL[i]) {
                n += 1;
            }
            i += 1;
        }
        n
    }

    /// The label numbered `number`.
    pub fn label_of(&self, number: Word) -> Option<Label> {
        let index = usize::try_from(number).ok()?;
        Label::ALL
            .iter()
            .copied()
            .filter(|l| self.has(*l))
            .nth(index)
    }
}

/// The number of a label every configuration numbers alike (the generic methods of
/// non-MCS kernels), for invocations built the same for every architecture; a
/// configuration that numbers it differently stops the build.
pub(crate) const fn common(label: Label) -> Word {
    let n = X86_64.label(label);
    assert!(
        n == AARCH64.label(label) && n == AARCH64_EL1.label(label),
        "label numbered per configuration"
    );
    n
}

/// The kernel's name of `label` on `arch` in our configuration (for error messages and traces).
pub fn name(arch: Arch, label: Word) -> Option<&'static str> {
    config(arch).label_of(label).map(Label::name)
}

/// The kernel's name of `label` in `kernel` (for error messages and traces).
pub fn name_in(kernel: KernelConfig, label: Word) -> Option<&'static str> {
    of_kernel(kernel).label_of(label).map(Label::name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_round_trip() {
        for c in ALL {
            for n in 0..c.count() {
                let l = c.label_of(n).unwrap();
                assert_eq!(c.number(l), Some(n));
            }
            assert_eq!(c.label_of(c.count()), None);
        }
    }

    #[test]
    fn labels_outside_a_configuration_have_no_number() {
        assert_eq!(X86_64.number(Label::ARMPageMap), None);
        assert_eq!(AARCH64.number(Label::X86PageMap), None);
        let el1 = AARCH64_EL1;
        // Without hypervisor support the five VCPU labels are gone and the IRQ ones shift.
        assert_eq!(el1.number(Label::ARMVCPUSetTCB), None);
        assert_eq!(
            el1.number(Label::ARMIRQIssueIRQHandlerTrigger),
            AARCH64
                .number(Label::ARMIRQIssueIRQHandlerTrigger)
                .map(|n| n - 5)
        );
        assert_eq!(el1.count(), AARCH64.count() - 5);
    }
}
