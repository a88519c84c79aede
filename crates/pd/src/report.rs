//! The console lines a PD reports with, in the form the QEMU runner looks for.
//!
//! Every line starts with `SYSINIT pd <name> `; the outcome line is exactly
//! `SYSINIT pd <name> ok` so a runner can match it whole, and anything else a
//! PD wants to say goes on its own `note:` line.

use core::fmt::{self, Write};

/// What a report line says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The PD did what it was built to do: `SYSINIT pd <name> ok`.
    Ok,
    /// A detail: `SYSINIT pd <name> note: <text>`.
    Note,
    /// The PD failed a check it makes itself: `SYSINIT pd <name> fail: <text>`.
    Fail,
    /// The PD panicked: `SYSINIT pd <name> panic: <text>`.
    Panic,
}

/// Writes one report line (with its newline) to `out`.
///
/// `detail` is ignored for [`Kind::Ok`], which is a whole line by itself.
pub fn write_line<W: Write>(
    out: &mut W,
    name: &str,
    kind: Kind,
    detail: fmt::Arguments<'_>,
) -> fmt::Result {
    write!(out, "SYSINIT pd {name} ")?;
    match kind {
        Kind::Ok => out.write_str("ok")?,
        Kind::Note => write!(out, "note: {detail}")?,
        Kind::Fail => write!(out, "fail: {detail}")?,
        Kind::Panic => write!(out, "panic: {detail}")?,
    }
    out.write_char('\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    extern crate std;
    use std::string::String;

    fn line(kind: Kind, detail: fmt::Arguments<'_>) -> String {
        let mut s = String::new();
        write_line(&mut s, "pong", kind, detail).unwrap();
        s
    }

    #[test]
    fn the_ok_line_is_exactly_name_and_ok() {
        assert_eq!(
            line(Kind::Ok, format_args!("ignored")),
            "SYSINIT pd pong ok\n"
        );
    }

    #[test]
    fn details_go_on_their_own_lines() {
        assert_eq!(
            line(Kind::Note, format_args!("nonce {:#x}", 0x51u8)),
            "SYSINIT pd pong note: nonce 0x51\n"
        );
        assert_eq!(
            line(Kind::Fail, format_args!("got {}", 2)),
            "SYSINIT pd pong fail: got 2\n"
        );
        assert_eq!(
            line(Kind::Panic, format_args!("at main.rs:1")),
            "SYSINIT pd pong panic: at main.rs:1\n"
        );
    }
}
