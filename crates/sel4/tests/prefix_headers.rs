//! The label tables checked against the headers of a real kernel build in
//! `$SEL4_PREFIX/<arch>/include` (docs/kernel.md), read through the C
//! preprocessor (`cpp`, or `$CPP`) so the kernel's own configuration decides
//! which enumerators exist. Needs that build, so it is `#[ignore]`d: plain
//! `cargo test` lists it as ignored, `cargo test -- --ignored` runs it (and
//! fails if the build is missing). The literal copies in
//! `generated_headers.rs` check the same numbers in every run.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use sysinit_kobj::Arch;
use sysinit_sel4::label::{self, Label};
use sysinit_sel4::Word;

/// `$SEL4_PREFIX/<arch>/include`; a test that needs it fails without it.
fn include_dir(arch: Arch) -> PathBuf {
    let prefix = std::env::var_os("SEL4_PREFIX")
        .expect("SEL4_PREFIX must name a kernel build (docs/kernel.md)");
    let dir = PathBuf::from(prefix).join(arch.name()).join("include");
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
fn kernel_labels(arch: Arch) -> Vec<String> {
    let text = preprocess(
        &include_dir(arch),
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

fn check(arch: Arch) {
    let config = label::config(arch);
    let kernel = kernel_labels(arch);
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
    check(Arch::X86_64);
}

#[test]
#[ignore = "needs a real seL4 kernel build: set SEL4_PREFIX (docs/kernel.md) and run with --ignored"]
fn aarch64_labels_match_the_kernel_build() {
    check(Arch::Aarch64);
}
