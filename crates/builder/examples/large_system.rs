//! Writes a large test system for timing `sysinit build`: 63 PDs (Microkit's most),
//! 64 memory regions of 16 MiB in 4 KiB pages (1 GiB in all, 262144 frames), each PD
//! mapping its own region and the first also the last, a ring of channels between
//! neighbours, and one generated program image they all run.
//!
//! `cargo run --release -p sysinit-builder --features test-elf --example large_system -- DIR [PROGRAM]`
//! then `sysinit build DIR/large.system --board qemu-x86_64 --ram 2G -o DIR/out`
//! (docs/performance.md has the figures).
//!
//! Without PROGRAM, `pd.elf` is a generated image whose code is breakpoints: enough to
//! build and simulate, not to boot. With PROGRAM (a PD with a `region_vaddr` setvar, such
//! as the `region` example PD, examples/src/bin/region.rs), `pd.elf` is a copy of it, and
//! the system boots (tests/boots/x86_64/large).

use std::fmt::Write as _;
use std::path::PathBuf;

use sysinit_builder::test_elf::TestElf;
use sysinit_kobj::Arch;

const PDS: usize = 63;
const REGIONS: usize = 64;
const REGION_BYTES: u64 = 16 << 20;

fn main() {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: large_system DIR [PROGRAM]");
        std::process::exit(2);
    };
    std::fs::create_dir_all(&dir).expect("creates DIR");
    let elf = match std::env::args().nth(2) {
        Some(program) => std::fs::read(&program)
            .unwrap_or_else(|e| panic!("reads the program image {program}: {e}")),
        None => TestElf::pd(Arch::X86_64, &["region_vaddr"]).to_bytes(),
    };
    std::fs::write(dir.join("pd.elf"), elf).expect("writes pd.elf");
    let mut sdf = String::from("<system>\n");
    for i in 0..REGIONS {
        let _ = writeln!(
            sdf,
            "    <memory_region name=\"mr{i}\" size=\"{REGION_BYTES:#x}\" />"
        );
    }
    for i in 0..PDS {
        let _ = writeln!(
            sdf,
            "    <protection_domain name=\"pd{i}\" priority=\"{}\">\n        <program_image path=\"pd.elf\" />\n        <map mr=\"mr{i}\" vaddr=\"0x10000000\" perms=\"rw\" setvar_vaddr=\"region_vaddr\" />\n{}    </protection_domain>",
            100 + i,
            if i == 0 {
                format!("        <map mr=\"mr{}\" vaddr=\"0x20000000\" perms=\"r\" />\n", REGIONS - 1)
            } else {
                String::new()
            }
        );
    }
    for i in 0..PDS {
        let _ = writeln!(
            sdf,
            "    <channel><end pd=\"pd{i}\" id=\"0\" /><end pd=\"pd{}\" id=\"1\" /></channel>",
            (i + 1) % PDS
        );
    }
    sdf.push_str("</system>\n");
    std::fs::write(dir.join("large.system"), sdf).expect("writes large.system");
}
