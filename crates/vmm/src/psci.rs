//! PSCI (Arm Power State Coordination Interface, DEN0022) for a guest with one vCPU,
//! over SMC or HVC with the SMC Calling Convention: function id in `x0`, arguments
//! in `x1`..`x3`, result in `x0`.
//!
//! The VMM implements PSCI 1.0's mandatory functions for one vCPU: a second CPU can
//! never be turned on, and the calls that turn the only one off end the guest.

/// `PSCI_VERSION`.
pub const PSCI_VERSION: u32 = 0x8400_0000;
/// `CPU_SUSPEND` (SMC32).
pub const CPU_SUSPEND_32: u32 = 0x8400_0001;
/// `CPU_SUSPEND` (SMC64).
pub const CPU_SUSPEND_64: u32 = 0xc400_0001;
/// `CPU_OFF`.
pub const CPU_OFF: u32 = 0x8400_0002;
/// `CPU_ON` (SMC32).
pub const CPU_ON_32: u32 = 0x8400_0003;
/// `CPU_ON` (SMC64).
pub const CPU_ON_64: u32 = 0xc400_0003;
/// `AFFINITY_INFO` (SMC32).
pub const AFFINITY_INFO_32: u32 = 0x8400_0004;
/// `AFFINITY_INFO` (SMC64).
pub const AFFINITY_INFO_64: u32 = 0xc400_0004;
/// `MIGRATE_INFO_TYPE`.
pub const MIGRATE_INFO_TYPE: u32 = 0x8400_0006;
/// `SYSTEM_OFF`.
pub const SYSTEM_OFF: u32 = 0x8400_0008;
/// `SYSTEM_RESET`.
pub const SYSTEM_RESET: u32 = 0x8400_0009;
/// `PSCI_FEATURES`.
pub const PSCI_FEATURES: u32 = 0x8400_000a;

/// PSCI 1.0 (major 1 in bits 31..16, minor 0).
pub const VERSION_1_0: i64 = 0x1_0000;
/// `SUCCESS`.
pub const SUCCESS: i64 = 0;
/// `NOT_SUPPORTED`; also the SMC Calling Convention's answer to an unknown function.
pub const NOT_SUPPORTED: i64 = -1;
/// `INVALID_PARAMETERS`.
pub const INVALID_PARAMETERS: i64 = -2;
/// `ALREADY_ON`.
pub const ALREADY_ON: i64 = -4;
/// `MIGRATE_INFO_TYPE`'s answer: no Trusted OS, nothing to migrate.
pub const NO_TRUSTED_OS: i64 = 2;

/// What a call asks of the VMM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// Return `x0 = value` and resume the guest after the call.
    Return(i64),
    /// `CPU_OFF`: the only vCPU stops.
    CpuOff,
    /// `SYSTEM_OFF`: the guest is done.
    SystemOff,
    /// `SYSTEM_RESET`: the guest asks to be restarted (the VMM stops it and says so).
    SystemReset,
}

/// The MPIDR affinity of the one vCPU (`VMPIDR_EL2` reset value's affinity fields: 0).
const VCPU0_AFFINITY: u64 = 0;

/// Handles function `function` (the low 32 bits of `x0`) with arguments `args` (`x1`..`x3`).
pub fn call(function: u32, args: [u64; 3]) -> Call {
    match function {
        PSCI_VERSION => Call::Return(VERSION_1_0),
        PSCI_FEATURES => Call::Return(features(args[0] as u32)),
        CPU_OFF => Call::CpuOff,
        SYSTEM_OFF => Call::SystemOff,
        SYSTEM_RESET => Call::SystemReset,
        CPU_ON_32 | CPU_ON_64 => Call::Return(if affinity(function, args[0]) == VCPU0_AFFINITY {
            ALREADY_ON
        } else {
            // No such CPU (DEN0022: "the target CPU ... is not valid").
            INVALID_PARAMETERS
        }),
        AFFINITY_INFO_32 | AFFINITY_INFO_64 => {
            // args[1] is the lowest affinity level the answer is for; level 0: the CPU.
            Call::Return(if args[1] != 0 {
                INVALID_PARAMETERS
            } else if affinity(function, args[0]) == VCPU0_AFFINITY {
                SUCCESS // 0: ON
            } else {
                INVALID_PARAMETERS
            })
        }
        MIGRATE_INFO_TYPE => Call::Return(NO_TRUSTED_OS),
        _ => Call::Return(NOT_SUPPORTED),
    }
}

/// The affinity fields of an MPIDR argument (Aff3 only in the SMC64 form).
fn affinity(function: u32, mpidr: u64) -> u64 {
    if function & 0x4000_0000 != 0 {
        mpidr & 0xff_00ff_ffff
    } else {
        mpidr & 0x00ff_ffff
    }
}

/// `PSCI_FEATURES`: 0 for the functions implemented (no feature flags), else `NOT_SUPPORTED`.
fn features(function: u32) -> i64 {
    match function {
        PSCI_VERSION | PSCI_FEATURES | CPU_OFF | CPU_ON_32 | CPU_ON_64 | AFFINITY_INFO_32
        | AFFINITY_INFO_64 | MIGRATE_INFO_TYPE | SYSTEM_OFF | SYSTEM_RESET => SUCCESS,
        _ => NOT_SUPPORTED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_and_features() {
        assert_eq!(call(PSCI_VERSION, [0; 3]), Call::Return(0x1_0000));
        assert_eq!(
            call(PSCI_FEATURES, [SYSTEM_OFF as u64, 0, 0]),
            Call::Return(0)
        );
        assert_eq!(
            call(PSCI_FEATURES, [CPU_SUSPEND_64 as u64, 0, 0]),
            Call::Return(-1)
        );
        // SMCCC_VERSION (0x80000000) is not a PSCI function.
        assert_eq!(call(PSCI_FEATURES, [0x8000_0000, 0, 0]), Call::Return(-1));
        assert_eq!(call(0x8000_0000, [0; 3]), Call::Return(-1));
    }

    #[test]
    fn power_calls() {
        assert_eq!(call(SYSTEM_OFF, [0; 3]), Call::SystemOff);
        assert_eq!(call(SYSTEM_RESET, [0; 3]), Call::SystemReset);
        assert_eq!(call(CPU_OFF, [0; 3]), Call::CpuOff);
    }

    #[test]
    fn one_vcpu_is_on_and_no_other_exists() {
        assert_eq!(
            call(CPU_ON_64, [0, 0x4000_0000, 0]),
            Call::Return(ALREADY_ON)
        );
        assert_eq!(
            call(CPU_ON_64, [1, 0x4000_0000, 0]),
            Call::Return(INVALID_PARAMETERS)
        );
        assert_eq!(
            call(CPU_ON_32, [0x8000_0000, 0, 0]),
            Call::Return(ALREADY_ON)
        );
        assert_eq!(call(AFFINITY_INFO_64, [0, 0, 0]), Call::Return(SUCCESS));
        assert_eq!(
            call(AFFINITY_INFO_64, [0x100, 0, 0]),
            Call::Return(INVALID_PARAMETERS)
        );
        assert_eq!(call(MIGRATE_INFO_TYPE, [0; 3]), Call::Return(2));
    }
}
