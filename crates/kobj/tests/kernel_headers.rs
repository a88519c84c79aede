//! Object sizes and untyped limits checked against the kernel's headers.
//!
//! Two checks of the same numbers. The literals in `HEADER_VALUES` were read
//! from the headers a build of `kernel-config/x86_64.cmake`,
//! `kernel-config/aarch64.cmake` and `kernel-config/aarch64-el1.cmake` at seL4 commit
//! 1326364bc9135d9445d936ebc01e38a402c1f4c6 installed (`include/sel4/...`,
//! see docs/kernel.md); they run everywhere. The `#[ignore]`d tests read the
//! same macros from a real build in `$SEL4_PREFIX/<config>/include` through the
//! C preprocessor (`cpp`, or `$CPP`), so the kernel's own configuration
//! decides them; `cargo test -p sysinit-kobj -- --ignored` runs them (and
//! fails if the build is missing). When the kernel or its configuration
//! changes, the ignored tests say which literal to update.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use sysinit_kobj::{
    Arch, KernelConfig, ObjectType, IPC_BUFFER_SIZE_BITS, MAX_UNTYPED_BITS, MIN_UNTYPED_BITS,
    PAGE_TABLE_INDEX_BITS, RETYPE_FAN_OUT_LIMIT, SLOT_BITS,
};

/// What each header macro must equal in sysinit-kobj, in `config`.
fn ours(config: KernelConfig, name: &str) -> Option<u64> {
    let arch = config.arch;
    let size = |ty: ObjectType| {
        if !config.has_object(ty) {
            return None;
        }
        ty.size_bits(arch, 0).ok().map(u64::from)
    };
    Some(match name {
        "seL4_TCBBits" => size(ObjectType::Tcb)?,
        "seL4_EndpointBits" => size(ObjectType::Endpoint)?,
        "seL4_NotificationBits" => size(ObjectType::Notification)?,
        "seL4_PageBits" => size(ObjectType::SmallPage)?,
        "seL4_LargePageBits" => size(ObjectType::LargePage)?,
        "seL4_HugePageBits" => size(ObjectType::HugePage)?,
        "seL4_PageTableBits" => size(ObjectType::PageTable)?,
        "seL4_VSpaceBits" => size(ObjectType::VSpace)?,
        "seL4_PageDirBits" => size(ObjectType::X86PageDirectory)?,
        "seL4_PDPTBits" => size(ObjectType::X86Pdpt)?,
        "seL4_ASIDPoolBits" => size(ObjectType::AsidPool)?,
        "seL4_VCPUBits" => size(ObjectType::Vcpu)?,
        "seL4_SlotBits" => u64::from(SLOT_BITS),
        "seL4_MinUntypedBits" => u64::from(MIN_UNTYPED_BITS),
        "seL4_MaxUntypedBits" => u64::from(MAX_UNTYPED_BITS),
        "seL4_PageTableIndexBits" => u64::from(PAGE_TABLE_INDEX_BITS),
        "seL4_IPCBufferSizeBits" => u64::from(IPC_BUFFER_SIZE_BITS),
        "CONFIG_RETYPE_FAN_OUT_LIMIT" => u64::from(RETYPE_FAN_OUT_LIMIT),
        "CONFIG_PADDR_USER_DEVICE_TOP" => config.kernel_window().paddr_user_device_top,
        // x86_64's seL4_UserTop is the first address a mapping may not reach; aarch64's is
        // the last one it may.
        "seL4_UserTop" => match arch {
            Arch::X86_64 => config.user_vaddr_end(),
            Arch::Aarch64 => config.user_vaddr_end() - 1,
        },
        _ => panic!("no counterpart for {name}"),
    })
}

/// The header values of our configurations (in [`KernelConfig::ALL`] order: x86_64,
/// aarch64 at EL2, aarch64 at EL1); `None` where the macro does not apply (the type does
/// not exist there: `seL4_VCPUBits` without VT-x or hypervisor support).
const HEADER_VALUES: [(&str, [Option<u64>; 3]); 21] = [
    // (macro, [x86_64, aarch64, aarch64-el1])
    ("seL4_TCBBits", [Some(11), Some(11), Some(11)]),
    ("seL4_EndpointBits", [Some(4), Some(4), Some(4)]),
    ("seL4_NotificationBits", [Some(5), Some(5), Some(5)]),
    ("seL4_PageBits", [Some(12), Some(12), Some(12)]),
    ("seL4_LargePageBits", [Some(21), Some(21), Some(21)]),
    ("seL4_HugePageBits", [Some(30), Some(30), Some(30)]),
    ("seL4_PageTableBits", [Some(12), Some(12), Some(12)]),
    ("seL4_VSpaceBits", [Some(12), Some(12), Some(12)]),
    ("seL4_PageDirBits", [Some(12), None, None]),
    ("seL4_PDPTBits", [Some(12), None, None]),
    ("seL4_ASIDPoolBits", [Some(12), Some(12), Some(12)]),
    ("seL4_VCPUBits", [None, Some(12), None]),
    ("seL4_SlotBits", [Some(5), Some(5), Some(5)]),
    ("seL4_MinUntypedBits", [Some(4), Some(4), Some(4)]),
    ("seL4_MaxUntypedBits", [Some(47), Some(47), Some(47)]),
    ("seL4_PageTableIndexBits", [Some(9), Some(9), Some(9)]),
    ("seL4_IPCBufferSizeBits", [Some(10), Some(10), Some(10)]),
    (
        "CONFIG_RETYPE_FAN_OUT_LIMIT",
        [Some(256), Some(256), Some(256)],
    ),
    (
        "CONFIG_RETYPE_FAN_OUT_LIMIT",
        [Some(256), Some(256), Some(256)],
    ),
    (
        "CONFIG_PADDR_USER_DEVICE_TOP",
        [Some(1 << 47), Some(1 << 44), Some(1 << 44)],
    ),
    (
        "seL4_UserTop",
        [
            Some(0x7fff_ffff_f000),
            Some(0xfff_ffff_ffff),
            Some(0x7fff_ffff_ffff),
        ],
    ),
];

fn header_value(config: KernelConfig, entry: &(&str, [Option<u64>; 3])) -> Option<u64> {
    let i = KernelConfig::ALL.iter().position(|c| *c == config).unwrap();
    entry.1[i]
}

#[test]
fn object_sizes_and_limits_match_the_recorded_header_values() {
    for config in KernelConfig::ALL {
        let arch = config.arch;
        for entry in &HEADER_VALUES {
            assert_eq!(
                ours(config, entry.0),
                header_value(config, entry),
                "{config}: {}",
                entry.0
            );
        }
        // Types with a size argument: an untyped is 2^arg bytes, a CNode 2^(arg + slot bits).
        assert_eq!(ObjectType::Untyped.size_bits(arch, 20), Ok(20));
        assert_eq!(ObjectType::CNode.size_bits(arch, 10), Ok(10 + 5));
    }
}

/// `$SEL4_PREFIX/<config>/include`; a test that needs it fails without it.
fn include_dir(config: KernelConfig) -> PathBuf {
    let prefix = std::env::var_os("SEL4_PREFIX")
        .expect("SEL4_PREFIX must name a kernel build (docs/kernel.md)");
    let dir = PathBuf::from(prefix).join(config.name()).join("include");
    assert!(dir.is_dir(), "{} is missing", dir.display());
    dir
}

/// The values of `names` as `<sel4/sel4.h>` of the build defines them; `None` for a
/// macro the configuration does not define.
fn kernel_values(config: KernelConfig, names: &[&str]) -> Vec<Option<u64>> {
    let mut source = String::from("#include <sel4/sel4.h>\n");
    for name in names {
        source += &format!("sysinit_value {name}\n");
    }
    let cpp = std::env::var("CPP").unwrap_or_else(|_| "cpp".into());
    let mut child = Command::new(&cpp)
        .args(["-P", "-I"])
        .arg(include_dir(config))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cpp}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(source.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{cpp} failed");
    let text = String::from_utf8(out.stdout).unwrap();
    let values: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("sysinit_value "))
        .collect();
    assert_eq!(values.len(), names.len(), "preprocessed output:\n{text}");
    names
        .iter()
        .zip(values)
        .map(|(name, v)| {
            let v = v.trim();
            if v == *name {
                return None; // not defined in this configuration
            }
            let v = v.trim_start_matches('(').trim_end_matches(')');
            let v = v.trim_end_matches(['u', 'U', 'l', 'L']);
            let parsed = match v.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => v.parse(),
            };
            Some(parsed.unwrap_or_else(|_| panic!("{config}: {name} expands to {v:?}")))
        })
        .collect()
}

fn check_against_build(config: KernelConfig) {
    let names: Vec<&str> = HEADER_VALUES.iter().map(|e| e.0).collect();
    let kernel = kernel_values(config, &names);
    for (entry, kernel) in HEADER_VALUES.iter().zip(kernel) {
        let name = entry.0;
        // For a type we do not have there the header may still define a size
        // (seL4_VCPUBits without VT-x or hypervisor support): nothing to compare.
        if let Some(ours) = ours(config, name) {
            assert_eq!(Some(ours), kernel, "{config}: {name}");
        }
        if let (Some(recorded), Some(kernel)) = (header_value(config, entry), kernel) {
            assert_eq!(
                recorded, kernel,
                "{config}: the literal for {name} is stale"
            );
        }
    }
}

#[test]
#[ignore = "needs a real seL4 kernel build: set SEL4_PREFIX (docs/kernel.md) and run with --ignored"]
fn x86_64_object_sizes_match_the_kernel_build() {
    check_against_build(KernelConfig::X86_64);
}

#[test]
#[ignore = "needs a real seL4 kernel build: set SEL4_PREFIX (docs/kernel.md) and run with --ignored"]
fn aarch64_object_sizes_match_the_kernel_build() {
    check_against_build(KernelConfig::AARCH64);
}

#[test]
#[ignore = "needs a real seL4 kernel build: set SEL4_PREFIX (docs/kernel.md) and run with --ignored"]
fn aarch64_el1_object_sizes_match_the_kernel_build() {
    check_against_build(KernelConfig::AARCH64_EL1);
}
