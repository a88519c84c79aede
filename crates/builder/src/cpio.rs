//! Initramfs archives for Linux guests: the "newc" cpio format (`070701`) the kernel
//! unpacks into its root file system (Documentation/driver-api/early-userspace/
//! buffer-format.rst), written deterministically: inode numbers in entry order,
//! owner root, modification time 0, so the same entries give the same bytes.
//!
//! [`initramfs`] is what `sysinit initramfs` packs: `/init`, `/dev/console` (the
//! kernel opens it for init's standard streams before any device file system
//! exists) and the mount points `/init` uses.

/// One file of the archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A directory.
    Dir {
        /// Path without a leading `/`.
        path: String,
        /// Permission bits.
        perm: u32,
    },
    /// A regular file.
    File {
        /// Path without a leading `/`.
        path: String,
        /// Permission bits.
        perm: u32,
        /// Its contents.
        data: Vec<u8>,
    },
    /// A character device node.
    CharDev {
        /// Path without a leading `/`.
        path: String,
        /// Permission bits.
        perm: u32,
        /// Device major number.
        major: u32,
        /// Device minor number.
        minor: u32,
    },
}

/// Why an archive cannot be written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CpioError {
    /// A file larger than the format's 32-bit size field.
    #[error("initramfs: {path} is {size} bytes; valid: at most 4 GiB - 1 bytes (the newc size field is 32 bits)")]
    TooLarge {
        /// The entry.
        path: String,
        /// Its size.
        size: u64,
    },
    /// A path the kernel would not unpack as meant.
    #[error("initramfs: path '{0}' is empty, absolute, has a NUL, or a '.' or '..' component; valid: a relative path such as dev/console")]
    BadPath(String),
}

const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFCHR: u32 = 0o020000;
const TRAILER: &str = "TRAILER!!!";

fn check_path(path: &str) -> Result<(), CpioError> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains('\0')
        || path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..");
    if bad {
        return Err(CpioError::BadPath(path.into()));
    }
    Ok(())
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

/// One header, its name and its data, each padded to 4 bytes.
fn record(
    out: &mut Vec<u8>,
    ino: u32,
    mode: u32,
    nlink: u32,
    rdev: (u32, u32),
    name: &str,
    data: &[u8],
) {
    let fields = [
        ino,
        mode,
        0, // uid
        0, // gid
        nlink,
        0, // mtime
        data.len() as u32,
        0, // devmajor
        0, // devminor
        rdev.0,
        rdev.1,
        name.len() as u32 + 1,
        0, // check (newc has none)
    ];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08x}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad4(out);
    out.extend_from_slice(data);
    pad4(out);
}

/// The archive of `entries`, in their order (parents before children), and the trailer.
pub fn newc(entries: &[Entry]) -> Result<Vec<u8>, CpioError> {
    let mut out = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let ino = i as u32 + 1;
        match entry {
            Entry::Dir { path, perm } => {
                check_path(path)?;
                record(&mut out, ino, S_IFDIR | perm, 2, (0, 0), path, &[]);
            }
            Entry::File { path, perm, data } => {
                check_path(path)?;
                if u32::try_from(data.len()).is_err() {
                    return Err(CpioError::TooLarge {
                        path: path.clone(),
                        size: data.len() as u64,
                    });
                }
                record(&mut out, ino, S_IFREG | perm, 1, (0, 0), path, data);
            }
            Entry::CharDev {
                path,
                perm,
                major,
                minor,
            } => {
                check_path(path)?;
                record(
                    &mut out,
                    ino,
                    S_IFCHR | perm,
                    1,
                    (*major, *minor),
                    path,
                    &[],
                );
            }
        }
    }
    record(&mut out, 0, 0, 1, (0, 0), TRAILER, &[]);
    Ok(out)
}

/// A Linux guest's initramfs: `/dev` with `/dev/console` (character device 5:1),
/// `/init` (mode 0755) with the bytes `init`, and the empty mount points `/proc`
/// and `/sys`.
pub fn initramfs(init: Vec<u8>) -> Result<Vec<u8>, CpioError> {
    let dir = |path: &str| Entry::Dir {
        path: path.into(),
        perm: 0o755,
    };
    newc(&[
        dir("dev"),
        Entry::CharDev {
            path: "dev/console".into(),
            perm: 0o600,
            major: 5,
            minor: 1,
        },
        Entry::File {
            path: "init".into(),
            perm: 0o755,
            data: init,
        },
        dir("proc"),
        dir("sys"),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_is_header_name_data_and_trailer_each_padded_to_4() {
        let bytes = newc(&[Entry::File {
            path: "init".into(),
            perm: 0o755,
            data: b"abcde".to_vec(),
        }])
        .unwrap();
        let mut want = Vec::new();
        want.extend_from_slice(b"070701");
        // ino 1, mode 0100755, uid, gid, nlink 1, mtime, size 5, devs, namesize 5, check.
        for f in [1, 0o100755, 0, 0, 1, 0, 5, 0, 0, 0, 0, 5, 0] {
            want.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        want.extend_from_slice(b"init\0\0"); // 110 + 5 = 115 -> 116
        want.extend_from_slice(b"abcde\0\0\0");
        want.extend_from_slice(b"070701");
        for f in [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 11, 0] {
            want.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        want.extend_from_slice(b"TRAILER!!!\0\0\0\0"); // 110 + 11 = 121 -> 124
        assert_eq!(bytes, want);
        assert_eq!(bytes.len() % 4, 0);
    }

    #[test]
    fn bad_paths_are_refused() {
        for path in ["", "/init", "a//b", "./init", "dev/../init", "a\0b"] {
            let e = newc(&[Entry::Dir {
                path: path.into(),
                perm: 0o755,
            }])
            .unwrap_err();
            assert_eq!(e, CpioError::BadPath(path.into()));
        }
    }

    #[test]
    fn the_initramfs_is_deterministic() {
        let a = initramfs(b"\x7fELF...".to_vec()).unwrap();
        assert_eq!(a, initramfs(b"\x7fELF...".to_vec()).unwrap());
        assert!(a.starts_with(b"070701"));
    }

    /// Debian's cpio reads it back as meant (skipped where cpio is not installed).
    #[test]
    fn gnu_cpio_lists_the_initramfs() {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let bytes = initramfs(b"#!/bin/true\n".to_vec()).unwrap();
        let Ok(mut child) = Command::new("cpio")
            .args(["-t", "-v", "--quiet"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
        else {
            eprintln!("cpio is not installed: skipped");
            return;
        };
        child.stdin.take().unwrap().write_all(&bytes).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let listing = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = listing.lines().collect();
        assert_eq!(lines.len(), 5, "{listing}");
        assert!(lines[0].starts_with("drwxr-xr-x") && lines[0].ends_with(" dev"));
        assert!(
            lines[1].starts_with("crw-------") && lines[1].contains("5,   1"),
            "{listing}"
        );
        assert!(lines[1].ends_with(" dev/console"));
        assert!(lines[2].starts_with("-rwxr-xr-x") && lines[2].ends_with(" init"));
        assert!(lines[2].contains(" 12 "), "{listing}");
        assert!(lines[3].ends_with(" proc") && lines[4].ends_with(" sys"));
    }
}
