//! `/init` of sysinit's Linux guest: the first and only user program, run by the
//! kernel from the initramfs that `ci/boot-examples-aarch64.sh` packs.
//!
//! It checks what the issue asks a guest OS to see, printing one line per check
//! (`init: <check>: ok` or `init: <check>: FAIL <why>`) to the console, then
//! `init: all checks passed` or `init: N checks failed`, and powers the guest off
//! (PSCI SYSTEM_OFF through the kernel), which the VMM reports:
//! 1. the kernel's memory map (`/proc/iomem`, "System RAM") is exactly the `/memory`
//!    of the device tree `sysinit build` generated (read back through
//!    `/proc/device-tree`) without its `/reserved-memory` ranges (which lie inside
//!    `/memory`, carved out by `no-map`);
//! 2. every `/reserved-memory` child of that tree is "reserved" in `/proc/iomem` and
//!    overlaps no "System RAM" range (a guest that sees reserved memory as RAM would
//!    allocate it);
//! 3. the ivshmem device of the passed-through PCIe host is found under
//!    `/sys/bus/pci/devices`, its BAR2 mapped through sysfs (`resource2`) and the
//!    nonce written at offset 0, followed by [`NONCE_TEXT`], the same bytes the
//!    bare-metal driver example writes, so the runner checks the host file the same way.
use std::ffi::CString;
use std::fs;
use std::path::{Path, PathBuf};

mod iomem;

use iomem::{parse_iomem, subtract, Range};

/// The value written at offset 0 of the shared memory (as the driver example does).
const NONCE: u64 = 0x5157_5345_4e43_4521;
/// Written after the nonce, for a human looking at the backing file.
const NONCE_TEXT: &[u8] = b"sysinit-ivshmem-nonce\0";
/// Red Hat, Inc. (virtio and QEMU devices) and ivshmem.
const IVSHMEM_ID: (&str, &str) = ("0x1af4", "0x1110");

fn main() {
    println!("init: started as pid {}", std::process::id());
    let mut failed = 0;
    for (what, result) in [
        ("mount /proc and /sys", mount_all()),
        (
            "memory map equals the device tree's /memory",
            check_memory(),
        ),
        (
            "reserved memory is reserved, never System RAM",
            check_reserved(),
        ),
        ("ivshmem nonce written through sysfs", write_nonce()),
    ] {
        match result {
            Ok(detail) => println!("init: {what}: ok{}", suffix(&detail)),
            Err(why) => {
                failed += 1;
                println!("init: {what}: FAIL {why}");
            }
        }
    }
    if failed == 0 {
        println!("init: all checks passed");
    } else {
        println!("init: {failed} checks failed");
    }
    power_off();
}

fn suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    }
}

fn mount_all() -> Result<String, String> {
    for (source, target, fstype) in [("proc", "/proc", "proc"), ("sysfs", "/sys", "sysfs")] {
        fs::create_dir_all(target).map_err(|e| format!("mkdir {target}: {e}"))?;
        let c = |s: &str| CString::new(s).expect("no NUL in a constant");
        let (source_c, target_c, fstype_c) = (c(source), c(target), c(fstype));
        // SAFETY: plain mount(2) with NUL-terminated strings that outlive the call.
        let r = unsafe {
            libc::mount(
                source_c.as_ptr(),
                target_c.as_ptr(),
                fstype_c.as_ptr(),
                0,
                std::ptr::null(),
            )
        };
        if r != 0 {
            return Err(format!(
                "mount {fstype} on {target}: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(String::new())
}

/// Big-endian 64-bit (address, size) pairs of a `reg` property with
/// #address-cells = #size-cells = 2, as sysinit's generated tree writes them.
fn reg_ranges(path: &Path) -> Result<Vec<Range>, String> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.len() % 16 != 0 {
        return Err(format!(
            "{}: {} bytes is not a list of 2+2-cell entries",
            path.display(),
            bytes.len()
        ));
    }
    Ok(bytes
        .chunks_exact(16)
        .map(|e| {
            let start = u64::from_be_bytes(e[..8].try_into().expect("8 bytes"));
            let size = u64::from_be_bytes(e[8..].try_into().expect("8 bytes"));
            Range {
                start,
                end: start + size,
            }
        })
        .collect())
}

fn device_tree_nodes(prefix: &str) -> Result<Vec<PathBuf>, String> {
    let base = Path::new("/proc/device-tree");
    let mut nodes: Vec<PathBuf> = fs::read_dir(base)
        .map_err(|e| format!("{}: {e}", base.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    nodes.sort();
    Ok(nodes)
}

fn iomem() -> Result<Vec<iomem::Entry>, String> {
    let text = fs::read_to_string("/proc/iomem").map_err(|e| format!("/proc/iomem: {e}"))?;
    print!(
        "{}",
        text.lines()
            .map(|l| format!("init: iomem {l}\n"))
            .collect::<String>()
    );
    parse_iomem(&text)
}

fn check_memory() -> Result<String, String> {
    let mut want = Vec::new();
    for node in device_tree_nodes("memory")? {
        want.extend(reg_ranges(&node.join("reg"))?);
    }
    let want = subtract(want, &reserved_ranges()?);
    let have = iomem::merged(
        iomem()?
            .into_iter()
            .filter(|e| e.name == "System RAM")
            .map(|e| e.range)
            .collect(),
    );
    let show = |rs: &[Range]| {
        rs.iter()
            .map(Range::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if want.is_empty() {
        return Err("the device tree has no /memory".into());
    }
    if want != have {
        return Err(format!(
            "System RAM is [{}], the device tree's /memory without /reserved-memory is [{}]",
            show(&have),
            show(&want)
        ));
    }
    Ok(show(&want))
}

/// Every `reg` range of the `/reserved-memory` children (none without that node).
fn reserved_ranges() -> Result<Vec<Range>, String> {
    let base = Path::new("/proc/device-tree/reserved-memory");
    if !base.exists() {
        return Ok(Vec::new());
    }
    let mut ranges = Vec::new();
    for entry in fs::read_dir(base).map_err(|e| format!("{}: {e}", base.display()))? {
        let reg = entry
            .map_err(|e| format!("{}: {e}", base.display()))?
            .path()
            .join("reg");
        if reg.exists() {
            ranges.extend(reg_ranges(&reg)?);
        }
    }
    Ok(ranges)
}

fn check_reserved() -> Result<String, String> {
    let base = Path::new("/proc/device-tree/reserved-memory");
    if !base.exists() {
        return Ok("the device tree reserves nothing".into());
    }
    let entries = iomem()?;
    let mut seen = Vec::new();
    let mut children: Vec<PathBuf> = fs::read_dir(base)
        .map_err(|e| format!("{}: {e}", base.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("reg").exists())
        .collect();
    children.sort();
    for child in children {
        let name = child
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        for r in reg_ranges(&child.join("reg"))? {
            if let Some(ram) = entries
                .iter()
                .find(|e| e.name == "System RAM" && e.range.overlaps(&r))
            {
                return Err(format!("{name} {r} overlaps System RAM {}", ram.range));
            }
            if !entries
                .iter()
                .any(|e| e.name == "reserved" && e.range.contains(&r))
            {
                return Err(format!(
                    "{name} {r} is not listed as reserved in /proc/iomem"
                ));
            }
            seen.push(format!("{name} {r}"));
        }
    }
    if seen.is_empty() {
        return Err("/reserved-memory has no child with a reg".into());
    }
    Ok(seen.join(", "))
}

fn write_nonce() -> Result<String, String> {
    let devices = Path::new("/sys/bus/pci/devices");
    let mut found = None;
    for entry in fs::read_dir(devices).map_err(|e| format!("{}: {e}", devices.display()))? {
        let dir = entry.map_err(|e| e.to_string())?.path();
        let read = |f: &str| fs::read_to_string(dir.join(f)).map(|s| s.trim().to_string());
        if let (Ok(vendor), Ok(device)) = (read("vendor"), read("device")) {
            if (vendor.as_str(), device.as_str()) == IVSHMEM_ID {
                found = Some(dir);
                break;
            }
        }
    }
    let dir = found.ok_or("no ivshmem device (1af4:1110) under /sys/bus/pci/devices")?;
    // Memory decoding is off until a driver enables the device; sysfs does it.
    fs::write(dir.join("enable"), "1").map_err(|e| format!("{}/enable: {e}", dir.display()))?;
    let resource = fs::read_to_string(dir.join("resource")).map_err(|e| e.to_string())?;
    let bar2 = resource.lines().nth(2).unwrap_or("").to_string();
    let path = CString::new(dir.join("resource2").to_string_lossy().as_bytes())
        .map_err(|e| e.to_string())?;
    // SAFETY: open(2) with a NUL-terminated path; the descriptor is closed below.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_SYNC) };
    if fd < 0 {
        return Err(format!(
            "open {}/resource2: {}",
            dir.display(),
            std::io::Error::last_os_error()
        ));
    }
    let len = 4096;
    // SAFETY: a fresh shared mapping of the BAR's first page; nothing else aliases it.
    let map = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            0,
        )
    };
    if map == libc::MAP_FAILED {
        let e = std::io::Error::last_os_error();
        // SAFETY: fd is the descriptor opened above.
        unsafe { libc::close(fd) };
        return Err(format!("mmap {}/resource2: {e}", dir.display()));
    }
    let base = map.cast::<u8>();
    // SAFETY: base points at `len` mapped, writable bytes of the BAR; the writes are
    // volatile because they are device accesses, and fit (8 + 22 bytes < 4096).
    let back = unsafe {
        base.cast::<u64>().write_volatile(NONCE);
        for (i, b) in NONCE_TEXT.iter().enumerate() {
            base.add(8 + i).write_volatile(*b);
        }
        let back = base.cast::<u64>().read_volatile();
        libc::munmap(map, len);
        libc::close(fd);
        back
    };
    if back != NONCE {
        return Err(format!("read back {back:#x} after writing {NONCE:#x}"));
    }
    let bar_start = bar2.split_whitespace().next().unwrap_or("?");
    println!(
        "init: ivshmem nonce {NONCE:#x} written at BAR2 {bar_start} ({})",
        dir.display()
    );
    Ok(format!("BAR2 {bar_start}"))
}

fn power_off() -> ! {
    // SAFETY: sync(2) and reboot(2) take no pointers.
    unsafe {
        libc::sync();
        libc::reboot(libc::RB_POWER_OFF);
    }
    println!(
        "init: power off failed: {}",
        std::io::Error::last_os_error()
    );
    loop {
        std::thread::park();
    }
}
