//! Writes a system description with N device regions mapped by one PD, for
//! timing `sysinit check` on large descriptions (docs/performance.md).
//!
//! Usage: `cargo run --release -p sysinit-sdf --example many_maps -- N FILE`

use std::fmt::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(n), Some(path)) = (args.get(1).and_then(|n| n.parse::<u64>().ok()), args.get(2))
    else {
        eprintln!("usage: many_maps N FILE");
        std::process::exit(2);
    };
    let mut text = String::from("<system>\n");
    for i in 0..n {
        let phys = 0xc000_0000 + 0x1000 * i;
        writeln!(
            text,
            "  <memory_region name=\"r{i}\" size=\"0x1000\" phys_addr=\"{phys:#x}\" />"
        )
        .unwrap();
    }
    text.push_str("  <protection_domain name=\"a\">\n    <program_image path=\"a.elf\" />\n");
    for i in 0..n {
        let vaddr = 0x1000_0000 + 0x1000 * i;
        writeln!(text, "    <map mr=\"r{i}\" vaddr=\"{vaddr:#x}\" />").unwrap();
    }
    text.push_str("  </protection_domain>\n</system>\n");
    if let Err(e) = std::fs::write(path, text) {
        eprintln!("{path}: {e}");
        std::process::exit(1);
    }
}
