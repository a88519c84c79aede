//! `sysinit initramfs`: packs a Linux guest's initramfs (a deterministic newc
//! cpio, `sysinit_builder::cpio`) around a static `/init`. The archive holds
//! /init (mode 0755), /dev/console (character device 5:1: the kernel opens it for
//! init's standard streams) and the empty mount points /proc and /sys. Prefill a
//! guest RAM region with it and name the region in
//! `<guest_device_tree initrd_mr="...">` (docs/sdf.md).

use crate::error::CliError;
use crate::input::read_bytes;
use crate::InitramfsArgs;

/// Reads `--init`, writes the archive to `--output`.
pub fn run(args: &InitramfsArgs) -> Result<(), CliError> {
    let init = read_bytes(&args.init)?;
    let archive = sysinit_builder::cpio::initramfs(init)?;
    std::fs::write(&args.output, &archive).map_err(|source| CliError::Write {
        path: args.output.clone(),
        source,
    })?;
    eprintln!(
        "sysinit: wrote {} ({} bytes): /init from {}, /dev/console, /proc, /sys",
        args.output.display(),
        archive.len(),
        args.init.display()
    );
    Ok(())
}
