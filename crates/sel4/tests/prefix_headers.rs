//! The label tables checked against the headers of a real kernel build in
//! `$SEL4_PREFIX/<arch>/include` (docs/kernel.md), read through the C
//! preprocessor (`cpp`, or `$CPP`) so the kernel's own configuration decides
//! which enumerators exist. Needs that build, so it is `#[ignore]`d: plain
//! `cargo test` lists it as ignored, `cargo test -- --ignored` runs it (and
//! fails if the build is missing). The literal copies in
//! `generated_headers.rs` check the same numbers in every run.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use sysinit_kobj::{Arch, KernelConfig};
use sysinit_sel4::fault::{self, FaultKind};
use sysinit_sel4::invocation::aarch64::VcpuReg;
use sysinit_sel4::label::{self, Label};
use sysinit_sel4::Word;

/// `$SEL4_PREFIX/<config>/include`; a test that needs it fails without it.
fn include_dir(config: impl Into<KernelConfig>) -> PathBuf {
    let config = config.into();
    let prefix = std::env::var_os("SEL4_PREFIX")
        .expect("SEL4_PREFIX must name a kernel build (docs/kernel.md)");
    let dir = PathBuf::from(prefix).join(config.name()).join("include");
    assert!(dir.is_dir(), "{} is missing", dir.display());
    dir
}

/// `source` preprocessed with `include` on the include path.
fn preprocess(include: &PathBuf, source: &str) -> String {
    let cpp = std::env::var("CPP").unwrap_or_else(|_| "cpp".into());
    let mut child = Command::new(&cpp)
        .args(["-P", "-I"])
        .arg(include)
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
    assert!(out.status.success(), "{cpp} failed on {source}");
    String::from_utf8(out.stdout).unwrap()
}

/// The enumerators of the three label enumerations, in order (the counters
/// `n...InvocationLabels` left out).
fn kernel_labels(kernel: KernelConfig) -> Vec<String> {
    let text = preprocess(
        &include_dir(kernel),
        "#include <sel4/config.h>\n\
         #include <sel4/invocation.h>\n\
         #include <sel4/sel4_arch/invocation.h>\n\
         #include <sel4/arch/invocation.h>\n",
    );
    let mut names = Vec::new();
    for body in text.split('{').skip(1) {
        let body = body.split('}').next().unwrap();
        for item in body.split(',') {
            let name = item.split('=').next().unwrap().trim();
            if !name.is_empty() && !name.starts_with('n') {
                names.push(name.to_string());
            }
        }
    }
    names
}

fn check(kernel_config: KernelConfig) {
    let config = label::of_kernel(kernel_config);
    let arch = kernel_config;
    let kernel = kernel_labels(kernel_config);
    let ours: Vec<&str> = (0..config.count())
        .map(|n| config.label_of(n).unwrap().name())
        .collect();
    assert_eq!(
        ours, kernel,
        "{arch}: our label numbering against the kernel's"
    );
    for (n, name) in kernel.iter().enumerate() {
        let l = Label::ALL.iter().find(|l| l.name() == name).unwrap();
        assert_eq!(config.number(*l), Some(n as Word));
    }
}

#[test]
#[ignore = "needs a real seL4 kernel build: set SEL4_PREFIX (docs/kernel.md) and run with --ignored"]
fn x86_64_labels_match_the_kernel_build() {
    check(KernelConfig::X86_64);
}

#[test]
#[ignore = "needs a real seL4 kernel build: set SEL4_PREFIX (docs/kernel.md) and run with --ignored"]
fn aarch64_labels_match_the_kernel_build() {
    check(KernelConfig::AARCH64);
}

#[test]
#[ignore = "needs a real seL4 kernel build: set SEL4_PREFIX (docs/kernel.md) and run with --ignored"]
fn aarch64_el1_labels_match_the_kernel_build() {
    check(KernelConfig::AARCH64_EL1);
}

/// Every enumerator of every `enum` in preprocessed `text` with its value, evaluated as
/// C does: an explicit `= <integer>` or `= <earlier enumerator>`, otherwise one more
/// than the previous. libsel4's padding enumerators (`_enum_pad_*`) are left out.
fn enum_constants(text: &str) -> HashMap<String, i64> {
    let mut values = HashMap::new();
    for body in text.split("enum").skip(1) {
        let Some(body) = body.split_once('{').map(|(_, b)| b) else {
            continue;
        };
        let body = body.split('}').next().unwrap();
        let mut next = 0i64;
        for item in body.split(',') {
            let (name, value) = match item.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim())),
                None => (item.trim(), None),
            };
            if name.is_empty() || name.starts_with("_enum_pad_") {
                continue;
            }
            let value = match value {
                None => next,
                Some(v) => match v.strip_prefix("0x") {
                    Some(hex) => i64::from_str_radix(hex, 16).unwrap(),
                    None => v.parse().unwrap_or_else(|_| {
                        *values.get(v).unwrap_or_else(|| panic!("{name} = {v}"))
                    }),
                },
            };
            values.insert(name.to_string(), value);
            next = value + 1;
        }
    }
    values
}

/// The fault labels (`sel4_arch/types_gen.h`), the aarch64 fault message layouts
/// (`sel4_arch/constants.h`, `shared_types.h`) and the vCPU register numbers.
#[test]
#[ignore = "needs a real seL4 kernel build: set SEL4_PREFIX (docs/kernel.md) and run with --ignored"]
fn aarch64_fault_messages_and_vcpu_registers_match_the_kernel_build() {
    let values = enum_constants(&preprocess(
        &include_dir(Arch::Aarch64),
        "#include <sel4/config.h>\n\
         #include <sel4/simple_types.h>\n\
         #include <sel4/sel4_arch/types_gen.h>\n\
         #include <sel4/sel4_arch/constants.h>\n\
         #include <sel4/shared_types.h>\n",
    ));
    let get = |name: &str| -> i64 {
        *values
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not in the kernel's headers"))
    };
    for kind in FaultKind::ALL {
        assert_eq!(
            kind.label(label::AARCH64).map(|l| l as i64),
            Some(get(&format!("seL4_Fault_{}", kind.name()))),
            "{kind}"
        );
    }
    use fault::aarch64::{
        unknown_syscall as us, user_exception as ue, vcpu_fault as vf, vgic_maintenance as vg,
        vm_fault as vm, vppi_event as vp,
    };
    let layout: [(&str, usize); 26] = [
        ("seL4_UnknownSyscall_X0", us::X0),
        ("seL4_UnknownSyscall_X7", us::X7),
        ("seL4_UnknownSyscall_FaultIP", us::FAULT_IP),
        ("seL4_UnknownSyscall_SP", us::SP),
        ("seL4_UnknownSyscall_LR", us::LR),
        ("seL4_UnknownSyscall_SPSR", us::SPSR),
        ("seL4_UnknownSyscall_Syscall", us::SYSCALL),
        ("seL4_UnknownSyscall_Length", us::LENGTH),
        ("seL4_UserException_FaultIP", ue::FAULT_IP),
        ("seL4_UserException_SP", ue::SP),
        ("seL4_UserException_SPSR", ue::SPSR),
        ("seL4_UserException_Number", ue::NUMBER),
        ("seL4_UserException_Code", ue::CODE),
        ("seL4_UserException_Length", ue::LENGTH),
        ("seL4_VMFault_IP", vm::IP),
        ("seL4_VMFault_Addr", vm::ADDR),
        ("seL4_VMFault_PrefetchFault", vm::PREFETCH_FAULT),
        ("seL4_VMFault_FSR", vm::FSR),
        ("seL4_VMFault_Length", vm::LENGTH),
        ("seL4_VGICMaintenance_IDX", vg::IDX),
        ("seL4_VGICMaintenance_Length", vg::LENGTH),
        ("seL4_VPPIEvent_IRQ", vp::IRQ),
        ("seL4_VPPIEvent_Length", vp::LENGTH),
        ("seL4_VCPUFault_HSR", vf::HSR),
        ("seL4_VCPUFault_Length", vf::LENGTH),
        ("seL4_CapFault_BitsLeft", fault::cap_fault::BITS_LEFT),
    ];
    for (name, ours) in layout {
        assert_eq!(ours as i64, get(name), "{name}");
    }
    let regs: [(&str, VcpuReg); 7] = [
        ("seL4_VCPUReg_SCTLR", VcpuReg::SCTLR),
        ("seL4_VCPUReg_TTBR0", VcpuReg::TTBR0),
        ("seL4_VCPUReg_VMPIDR_EL2", VcpuReg::VMPIDR_EL2),
        ("seL4_VCPUReg_SPSR_EL1", VcpuReg::SPSR_EL1),
        ("seL4_VCPUReg_CNTV_CTL", VcpuReg::CNTV_CTL),
        ("seL4_VCPUReg_CNTKCTL_EL1", VcpuReg::CNTKCTL_EL1),
        ("seL4_VCPUReg_Num", VcpuReg(VcpuReg::COUNT)),
    ];
    for (name, ours) in regs {
        assert_eq!(ours.0 as i64, get(name), "{name}");
    }
}
