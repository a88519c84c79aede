//! Recorded real boots (tests/boots/<arch>/<name>/) replayed on every run.
//!
//! Each directory holds the serial log of a real seL4 boot under QEMU
//! (`boot.log`), the spec that boot ran (`spec.json`) and how it was made
//! (`boot.toml`: board, RAM, kernel commit, QEMU command, root task span). CI
//! has no seL4, so it checks the recording instead: the kernel model must put
//! every object at the recorded address, the host planner must plan exactly the
//! recorded steps, and the board model (calibrated to our kernel builds) must
//! predict the kernel's whole untyped list, device and RAM, in the kernel's
//! order, on both architectures.

use std::path::{Path, PathBuf};
use std::process::Command;

use sysinit_board::{Board, RootTaskImage};
use sysinit_builder::test_elf::TestElf;
use sysinit_kobj::{Arch, BootUntyped, KernelConfig, PhysRange};
use sysinit_model::boot_untypeds;
use sysinit_trace::Record;

mod common;
use common::roottask_elf;

fn boots() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/boots");
    let mut dirs = Vec::new();
    for arch in std::fs::read_dir(&root).expect("tests/boots exists") {
        for boot in std::fs::read_dir(arch.unwrap().path()).unwrap() {
            let dir = boot.unwrap().path();
            if dir.join("boot.log").exists() {
                dirs.push(dir);
            }
        }
    }
    dirs.sort();
    dirs
}

#[derive(serde::Deserialize)]
struct Meta {
    /// PDs that reported `SYSINIT pd NAME ok` in the boot.
    expect_pds: Vec<String>,
    /// Whole lines the boot printed besides the PDs' reports (a guest's own checks,
    /// which reach the console directly, not through a PD's report).
    #[serde(default)]
    expect_lines: Vec<String>,
    /// Lines no boot may print: a guest's failed check is a line containing one of these.
    #[serde(default)]
    refuse_containing: Vec<String>,
    board: String,
    ram: String,
    kernel_commit: String,
    qemu_command: String,
    /// Virtual span `[start, end)` of the root task ELF the boot ran.
    roottask_vaddr: Option<[u64; 2]>,
    /// Why `spec.json` is not recorded (a Linux guest's kernel image makes it tens of
    /// MB): the log then replays on the kernel model without the planner comparison.
    spec_omitted: Option<String>,
}

fn meta(dir: &Path) -> Meta {
    toml::from_str(&std::fs::read_to_string(dir.join("boot.toml")).expect("boot.toml"))
        .expect("valid boot.toml")
}

fn ram_bytes(text: &str) -> u64 {
    let (n, shift) = match text.as_bytes().last() {
        Some(b'G') => (&text[..text.len() - 1], 30),
        Some(b'M') => (&text[..text.len() - 1], 20),
        _ => (text, 0),
    };
    n.parse::<u64>().expect("ram size") << shift
}

#[test]
fn there_are_recorded_boots_for_both_arches() {
    let dirs = boots();
    for arch in ["x86_64", "aarch64"] {
        assert!(
            dirs.iter().any(|d| d.parent().unwrap().ends_with(arch)),
            "no recorded {arch} boot in {dirs:?}"
        );
    }
    for dir in &dirs {
        let m = meta(dir);
        // tests/boots/<kernel configuration>/<name>: the board in boot.toml decides the
        // configuration (x86_64, aarch64 at EL2, aarch64-el1), and the directory says it.
        let kernel = recorded_board(&m).kernel();
        assert!(
            dir.parent().unwrap().ends_with(kernel.name()),
            "{}: board {} is the {kernel} kernel configuration; record the boot under tests/boots/{kernel}",
            dir.display(),
            m.board
        );
        assert_eq!(
            m.kernel_commit.len(),
            40,
            "{}: kernel_commit must be a full commit id",
            dir.display()
        );
        assert!(
            m.qemu_command.starts_with("qemu-system-"),
            "{}: qemu_command",
            dir.display()
        );
        match &m.spec_omitted {
            None => assert!(
                dir.join("spec.json").exists(),
                "{}: spec.json missing (or say why in spec_omitted)",
                dir.display()
            ),
            Some(why) => assert!(
                !why.is_empty() && !dir.join("spec.json").exists(),
                "{}: spec_omitted needs a reason and no spec.json",
                dir.display()
            ),
        }
    }
}

#[test]
fn every_recorded_boot_finished_and_every_pd_reported_ok() {
    for dir in boots() {
        let m = meta(&dir);
        let log = std::fs::read_to_string(dir.join("boot.log")).unwrap();
        let lines: Vec<&str> = log.lines().map(str::trim_end).collect();
        assert!(
            lines.iter().any(|l| l.starts_with("SYSINIT summary ")),
            "{}: no summary line",
            dir.display()
        );
        assert!(
            !lines.iter().any(|l| l.starts_with("SYSINIT error")),
            "{}: the boot failed",
            dir.display()
        );
        for pd in &m.expect_pds {
            let ok = format!("SYSINIT pd {pd} ok");
            assert!(
                lines.contains(&ok.as_str()),
                "{}: no '{ok}' line",
                dir.display()
            );
        }
        for want in &m.expect_lines {
            assert!(
                lines.contains(&want.as_str()),
                "{}: no '{want}' line",
                dir.display()
            );
        }
        for bad in &m.refuse_containing {
            assert!(
                !lines.iter().any(|l| l.contains(bad.as_str())),
                "{}: a line contains '{bad}'",
                dir.display()
            );
        }
    }
}

#[test]
fn every_recorded_boot_replays_on_the_model_and_matches_the_planner() {
    for dir in boots() {
        let omitted = meta(&dir).spec_omitted.is_some();
        let mut verify = Command::new(env!("CARGO_BIN_EXE_sysinit"));
        verify.args(["verify-trace"]).arg(dir.join("boot.log"));
        if !omitted {
            verify.arg("--spec").arg(dir.join("spec.json"));
        }
        let out = verify.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}: {}{}",
            dir.display(),
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
        let want = if omitted {
            "every object is at its recorded address"
        } else {
            "the host planner plans exactly these steps"
        };
        assert!(stdout.contains(want), "{}: {stdout}", dir.display());
    }
}

/// The untyped list a boot log reports, in its order.
fn real_untypeds(log: &str) -> Vec<BootUntyped> {
    log.lines()
        .filter_map(|l| match Record::parse(l.trim_end()) {
            Ok(Some(Record::Untyped { untyped, .. })) => Some(untyped),
            _ => None,
        })
        .collect()
}

/// The hex value of `key=0x...` in the first log line that starts with `prefix`.
fn logged(log: &str, prefix: &str, key: &str) -> u64 {
    let line = log
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no log line starting with '{prefix}'"));
    let value = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=0x")))
        .unwrap_or_else(|| panic!("no {key}= in '{line}'"));
    u64::from_str_radix(value, 16).unwrap_or_else(|_| panic!("{key} in '{line}'"))
}

/// The board of a recorded boot, at its RAM size, loading its root task image.
fn recorded_board(m: &Meta) -> Board {
    let board = Board::by_name(&m.board)
        .unwrap()
        .with_ram_bytes(ram_bytes(&m.ram))
        .unwrap();
    match m.roottask_vaddr {
        Some([start, end]) => board
            .with_root_task_image(RootTaskImage::new(start, end).unwrap())
            .unwrap(),
        None => board,
    }
}

/// Where two untyped lists first differ, for a message a person can read.
fn first_difference(model: &[BootUntyped], real: &[BootUntyped]) -> Option<String> {
    let show = |u: Option<&BootUntyped>| match u {
        Some(u) => format!(
            "paddr={:#x} size_bits={} device={}",
            u.paddr, u.size_bits, u.is_device as u8
        ),
        None => "(none)".to_string(),
    };
    (0..model.len().max(real.len()))
        .find(|&i| model.get(i) != real.get(i))
        .map(|i| {
            format!(
                "untyped {i}: model {} but the real boot {} (model {} untypeds, real {})",
                show(model.get(i)),
                show(real.get(i)),
                model.len(),
                real.len()
            )
        })
}

#[test]
fn the_board_model_predicts_the_real_device_untypeds() {
    for dir in boots() {
        let m = meta(&dir);
        let log = std::fs::read_to_string(dir.join("boot.log")).unwrap();
        let real: Vec<_> = real_untypeds(&log)
            .into_iter()
            .filter(|u| u.is_device)
            .collect();
        let board = recorded_board(&m);
        let mem = board.boot_memory(board.ram_bytes()).unwrap();
        let model: Vec<_> = boot_untypeds(board.kernel(), &mem, usize::MAX)
            .unwrap()
            .untypeds
            .into_iter()
            .filter(|u| u.is_device)
            .collect();
        assert_eq!(
            first_difference(&model, &real),
            None,
            "{}: device untypeds differ from the real boot",
            dir.display()
        );
    }
}

/// The kernel's own boot messages agree with boot.toml and with the board's layout:
/// the root task span it loaded, where it says it put itself and the root task.
#[test]
fn the_board_layout_matches_the_kernels_boot_messages_on_x86_64() {
    for dir in boots()
        .into_iter()
        .filter(|d| d.parent().unwrap().ends_with("x86_64"))
    {
        let m = meta(&dir);
        let log = std::fs::read_to_string(dir.join("boot.log")).unwrap();
        let [start, end] = m.roottask_vaddr.unwrap_or_else(|| {
            panic!(
                "{}: boot.toml needs roottask_vaddr = [start, end]",
                dir.display()
            )
        });
        assert_eq!(
            (start, end),
            (
                logged(&log, "size=", "v_start"),
                logged(&log, "size=", "v_end")
            ),
            "{}: roottask_vaddr differs from the kernel's ELF-loading line",
            dir.display()
        );
        let board = recorded_board(&m);
        let layout = board.boot_layout(board.ram_bytes()).unwrap();
        assert_eq!(
            layout.kernel_image,
            PhysRange::new(
                logged(&log, "Kernel loaded to:", "start"),
                logged(&log, "Kernel loaded to:", "end")
            ),
            "{}: kernel image",
            dir.display()
        );
        let to = logged(&log, "Moving loaded userland images", "to");
        let size = logged(&log, "Moving loaded userland images", "size");
        assert_eq!(
            layout.root_task_image,
            PhysRange::new(to, to + size),
            "{}: root task image",
            dir.display()
        );
    }
}

/// The `[start..end)` our aarch64 loader reports for `part` ("kernel",
/// "device tree", "root task") in a line `sysinit-loader: <part> [0x..0x)`.
fn loader_range(log: &str, part: &str) -> PhysRange {
    let prefix = format!("sysinit-loader: {part} [");
    let line = log
        .lines()
        // The loader right-aligns part names; one space between words.
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no loader line for the {part}"));
    let hex = |s: &str| {
        u64::from_str_radix(s.trim_start_matches("0x"), 16)
            .unwrap_or_else(|_| panic!("bad address '{s}' in '{line}'"))
    };
    let inner = line[prefix.len()..].trim_end_matches(')');
    let (start, end) = inner
        .split_once("..")
        .unwrap_or_else(|| panic!("no range in '{line}'"));
    PhysRange::new(hex(start), hex(end))
}

/// The `pv_offset 0x...` our aarch64 loader passes the kernel (root task
/// physical minus virtual address).
fn loader_pv_offset(log: &str) -> u64 {
    let line = log
        .lines()
        .find(|l| l.starts_with("sysinit-loader: entering the kernel"))
        .expect("no loader line entering the kernel");
    let words: Vec<&str> = line.split_whitespace().collect();
    let value = words
        .windows(2)
        .find(|w| w[0] == "pv_offset")
        .map(|w| w[1].trim_end_matches(','))
        .unwrap_or_else(|| panic!("no pv_offset in '{line}'"));
    u64::from_str_radix(value.trim_start_matches("0x"), 16)
        .unwrap_or_else(|_| panic!("bad pv_offset in '{line}'"))
}

/// Our aarch64 loader's messages (the placement crates/loader-layout computed
/// for the real images) agree with boot.toml and with the board's layout: the
/// kernel, the device tree's exact bytes, and the root task at the span
/// boot.toml names.
#[test]
fn the_board_layout_matches_the_loaders_messages_on_aarch64() {
    let mut checked = 0;
    for dir in boots()
        .into_iter()
        .filter(|d| recorded_board(&meta(d)).arch() == Arch::Aarch64)
    {
        let m = meta(&dir);
        let log = std::fs::read_to_string(dir.join("boot.log")).unwrap();
        let [start, end] = m.roottask_vaddr.unwrap_or_else(|| {
            panic!(
                "{}: boot.toml needs roottask_vaddr = [start, end]",
                dir.display()
            )
        });
        let root_task = loader_range(&log, "root task");
        let pv_offset = loader_pv_offset(&log);
        assert_eq!(
            format!("[{start:#x}, {end:#x}]"),
            format!(
                "[{:#x}, {:#x}]",
                root_task.start - pv_offset,
                root_task.end - pv_offset
            ),
            "{}: roottask_vaddr differs from the loader's root task range and pv_offset",
            dir.display()
        );
        let board = recorded_board(&m);
        let layout = board.boot_layout(board.ram_bytes()).unwrap();
        for (part, modelled) in [
            ("kernel", Some(layout.kernel_image)),
            ("device tree", layout.device_tree),
            ("root task", Some(layout.root_task_image)),
        ] {
            // Compared as text, so a failure shows the ranges in hex.
            let modelled = modelled.map_or("(none)".to_string(), |r| r.to_string());
            assert_eq!(
                modelled,
                loader_range(&log, part).to_string(),
                "{}: the board places the {part} elsewhere than the loader did",
                dir.display()
            );
        }
        checked += 1;
    }
    assert!(
        checked >= 8,
        "only {checked} aarch64 boots (EL2 and EL1) checked"
    );
}

/// The calibrated boards reproduce every untyped of every recorded boot,
/// device and RAM, in the kernel's order: the planner's placements in report.txt
/// are then exactly what the root task does on that boot.
#[test]
fn the_board_model_predicts_the_entire_real_untyped_list() {
    let mut checked = std::collections::BTreeMap::new();
    for dir in boots() {
        let m = meta(&dir);
        let board = recorded_board(&m);
        let log = std::fs::read_to_string(dir.join("boot.log")).unwrap();
        let real = real_untypeds(&log);
        assert!(real.iter().any(|u| !u.is_device), "{}", dir.display());
        let mem = board.boot_memory(board.ram_bytes()).unwrap();
        let model = boot_untypeds(board.kernel(), &mem, usize::MAX).unwrap();
        assert_eq!(model.dropped, 0);
        assert_eq!(
            first_difference(&model.untypeds, &real),
            None,
            "{}: the board model's boot untypeds differ from the real boot",
            dir.display()
        );
        *checked.entry(board.kernel().to_string()).or_insert(0) += 1;
    }
    for kernel in KernelConfig::ALL {
        let n = checked.get(&kernel.to_string()).copied().unwrap_or(0);
        assert!(n >= 4, "only {n} {kernel} boots checked");
    }
}

/// The span report.txt gives the root task image.
fn reported_span(report: &str) -> (u64, u64) {
    let line = report
        .lines()
        .find_map(|l| l.strip_prefix("root task image: vaddr ["))
        .expect("report.txt names the root task image");
    let (start, rest) = line.split_once("..").unwrap();
    let end = rest.split_once(')').unwrap().0;
    let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
    (hex(start), hex(end))
}

/// Two PDs and 64 MiB of 2 MiB pages: more than the kernel's reclaimed boot
/// memory holds, so placements reach the free RAM after the root task image.
const SYSTEM: &str = r#"<system>
    <memory_region name="shared" size="0x1000" />
    <memory_region name="bulk" size="0x4000000" page_size="0x200000" />
    <protection_domain name="ping" priority="100">
        <program_image path="ping.elf" />
        <map mr="shared" vaddr="0x4000000" perms="rw" setvar_vaddr="shared" />
        <map mr="bulk" vaddr="0x10000000" perms="rw" />
    </protection_domain>
    <protection_domain name="pong" priority="101">
        <program_image path="pong.elf" />
        <map mr="shared" vaddr="0x4000000" perms="r" setvar_vaddr="shared" />
    </protection_domain>
    <channel>
        <end pd="ping" id="0" pp="true" />
        <end pd="pong" id="0" />
    </channel>
</system>
"#;

/// `sysinit build --board qemu-x86_64 --ram RAM` of [`SYSTEM`] with generated PD
/// images and the given root task ELF, into `dir/out`.
fn build_with_roottask(dir: &Path, roottask: &[u8], ram: &str) -> std::process::Output {
    for pd in ["ping", "pong"] {
        let elf = TestElf::pd(Arch::X86_64, &["shared"]).to_bytes();
        std::fs::write(dir.join(format!("{pd}.elf")), elf).unwrap();
    }
    std::fs::write(dir.join("test.system"), SYSTEM).unwrap();
    std::fs::write(dir.join("roottask.elf"), roottask).unwrap();
    Command::new(env!("CARGO_BIN_EXE_sysinit"))
        .arg("build")
        .arg(dir.join("test.system"))
        .args(["--board", "qemu-x86_64", "--ram", ram, "-o"])
        .arg(dir.join("out"))
        .arg("--roottask")
        .arg(dir.join("roottask.elf"))
        .output()
        .unwrap()
}

/// report.txt's placement rows: object name to physical address.
fn report_placements(report: &str) -> Vec<(String, u64)> {
    let mut rows: Vec<(String, u64)> = report
        .lines()
        .skip_while(|l| !l.starts_with("expected physical placement"))
        .skip(2)
        .map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            let paddr = u64::from_str_radix(fields[0].trim_start_matches("0x"), 16).unwrap();
            (fields[3].to_string(), paddr)
        })
        .collect();
    rows.sort();
    rows
}

/// What the planner places on the untyped list of a real boot, by object name.
fn planned_on(spec: &sysinit_spec::Spec, untypeds: &[BootUntyped]) -> Vec<(String, u64)> {
    let (requests, ids) = sysinit_initializer::requests(spec);
    let plan = sysinit_planner::plan(spec.arch, untypeds, &requests).unwrap();
    let mut rows: Vec<(String, u64)> = ids
        .iter()
        .zip(&plan.placements)
        .filter_map(|(&id, &paddr)| {
            let named = spec.get(id)?;
            named.object.kernel_object(spec.arch)?;
            Some((named.name.clone(), paddr))
        })
        .collect();
    rows.sort();
    rows
}

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sysinit-recorded-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// With `--roottask`, report.txt places every object where the planner places it on
/// the untyped list of a real boot of a root task with that span: the recorded one.
#[test]
fn build_with_the_roottask_elf_reports_the_real_boots_placements() {
    let hello = boots()
        .into_iter()
        .find(|d| d.ends_with("x86_64/hello"))
        .expect("the recorded x86_64 hello boot");
    let m = meta(&hello);
    let log = std::fs::read_to_string(hello.join("boot.log")).unwrap();
    let [start, recorded_end] = m.roottask_vaddr.expect("roottask_vaddr of hello");
    assert_eq!(start, 0x40_0000);
    // The kernel's own line for the same span, and where the image ends in RAM.
    assert_eq!(logged(&log, "size=", "v_end"), recorded_end);
    let image_paddr_end = logged(&log, "size=", "p_end");
    let real = real_untypeds(&log);

    // A small root task first: its image is the ELF's span grown by the spec and the
    // heap the build measured, and the report follows it; it no longer matches that boot.
    let small = scratch("small-span");
    let out = build_with_roottask(&small, &roottask_elf(0x40_0000, 0x60_0000), &m.ram);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = std::fs::read_to_string(small.join("out/report.txt")).unwrap();
    let (start, end) = reported_span(&report);
    assert_eq!(start, 0x40_0000);
    let grown = end - 0x60_0000;
    assert!(grown > 0 && grown < 1 << 20, "{report}");
    assert!(
        0x40_0000 + grown < recorded_end,
        "hello's spec and heap grew past its span"
    );
    let spec = std::fs::read(small.join("out/spec.bin")).unwrap();
    let spec = sysinit_spec::Spec::from_postcard(&spec).unwrap();
    // Its boot untypeds are the board model's for that span, not the recorded boot's, and
    // the report places every object where the planner does on them. (The placements
    // themselves need not differ from the boot's: the planner puts the ordinary objects
    // into the smallest fresh RAM untyped that holds them, here far from the image.)
    let small_board = Board::by_name(&m.board)
        .unwrap()
        .with_ram_bytes(ram_bytes(&m.ram))
        .unwrap()
        .with_root_task_image(RootTaskImage::new(0x40_0000, end).unwrap())
        .unwrap();
    let mem = small_board.boot_memory(small_board.ram_bytes()).unwrap();
    let small_untypeds = boot_untypeds(small_board.arch(), &mem, usize::MAX)
        .unwrap()
        .untypeds;
    assert_ne!(small_untypeds, real);
    assert_eq!(
        report_placements(&report),
        planned_on(&spec, &small_untypeds)
    );

    // A root task whose grown image has the recorded boot's span: the report places
    // every object where the planner does on that boot's untyped list.
    let same = scratch("same-span");
    let out = build_with_roottask(
        &same,
        &roottask_elf(0x40_0000, recorded_end - grown),
        &m.ram,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = std::fs::read_to_string(same.join("out/report.txt")).unwrap();
    let span = format!(
        "root task image: vaddr [0x400000..{recorded_end:#x}) ({:#x} bytes), from ",
        recorded_end - 0x40_0000
    );
    assert!(report.contains(&span), "{span:?} not in {report}");
    let reported = report_placements(&report);
    // Some objects lie in free RAM after the root task image, whose start the
    // root task's span decides.
    assert!(
        reported.iter().any(|&(_, paddr)| paddr >= image_paddr_end),
        "{report}"
    );
    assert_eq!(reported, planned_on(&spec, &real));
    assert!(small.join("out/image.elf").exists());
    let _ = std::fs::remove_dir_all(same);
    let _ = std::fs::remove_dir_all(small);
}

#[test]
fn build_refuses_a_roottask_that_is_not_an_elf() {
    let dir = scratch("not-elf");
    let out = build_with_roottask(&dir, b"#!/bin/sh\n", "2G");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("roottask.elf: not a 64-bit ELF file"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Recorded boots whose root task had to refuse its spec (tests/refusals/<arch>/<name>/).
fn refusals() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/refusals");
    let mut dirs = Vec::new();
    for arch in std::fs::read_dir(&root).expect("tests/refusals exists") {
        for case in std::fs::read_dir(arch.unwrap().path()).unwrap() {
            dirs.push(case.unwrap().path());
        }
    }
    dirs.sort();
    dirs
}

/// A recorded refusal is either bytes that are no spec (the decoder refuses them) or a
/// valid spec the planner refuses on the untypeds of that boot (e.g. a device frame
/// that would come from RAM); the root task runs the host's code, so the host says the
/// same.
#[test]
fn a_recorded_refusal_created_nothing_and_said_what_the_host_says() {
    let dirs = refusals();
    assert!(!dirs.is_empty(), "no recorded refusal in tests/refusals");
    for dir in dirs {
        let log = std::fs::read_to_string(dir.join("boot.log")).unwrap();
        let lines: Vec<&str> = log.lines().map(str::trim_end).collect();
        let spec = std::fs::read(dir.join("spec.bin")).unwrap();
        let error = lines
            .iter()
            .find_map(|l| l.strip_prefix("SYSINIT error: "))
            .unwrap_or_else(|| panic!("{}: no 'SYSINIT error: ' line", dir.display()));
        let host = match sysinit_spec::Spec::from_postcard(&spec) {
            Err(e) => format!(
                "the embedded spec ({} bytes) was refused, nothing was created: {e}",
                spec.len()
            ),
            Ok(spec) => {
                let (requests, _) = sysinit_initializer::requests(&spec);
                let refusal = sysinit_planner::plan(spec.arch, &real_untypeds(&log), &requests)
                    .expect_err("the planner refuses the recorded spec on this boot's untypeds");
                let error = sysinit_initializer::InitError::<String>::Plan(refusal);
                sysinit_initializer::failure_text(&error, &spec)
            }
        };
        assert_eq!(error, host, "{}", dir.display());
        assert!(
            !lines.iter().any(|l| l.starts_with("SYSINIT retype ")),
            "{}: something was retyped",
            dir.display()
        );
        assert!(
            !lines.iter().any(|l| l.starts_with("SYSINIT summary ")),
            "{}: a summary after a refusal",
            dir.display()
        );
    }
}
