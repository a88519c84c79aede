//! A short formatted message without a heap: what a check returns.

use core::fmt;

/// Capacity; longer messages are cut (and end in "...").
const CAPACITY: usize = 160;

/// A message of at most [`CAPACITY`] bytes.
pub struct Msg {
    buf: [u8; CAPACITY],
    len: usize,
    /// Cut: "..." written, nothing more goes in.
    full: bool,
}

impl Msg {
    pub fn new() -> Self {
        Msg {
            buf: [0; CAPACITY],
            len: 0,
            full: false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Write for Msg {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.full {
            return Err(fmt::Error);
        }
        for c in s.chars() {
            let mut utf8 = [0; 4];
            let bytes = c.encode_utf8(&mut utf8).as_bytes();
            if self.len + bytes.len() > CAPACITY - 3 {
                self.buf[self.len..self.len + 3].copy_from_slice(b"...");
                self.len += 3;
                self.full = true;
                return Err(fmt::Error);
            }
            self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
            self.len += bytes.len();
        }
        Ok(())
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only whole characters are ever copied in, so this is valid UTF-8.
        f.write_str(core::str::from_utf8(&self.buf[..self.len]).unwrap_or("?"))
    }
}

/// `msg!("...", args)`: a [`Msg`] formatted like `format!`.
macro_rules! msg {
    ($($arg:tt)*) => {{
        let mut m = $crate::guest::msg::Msg::new();
        let _ = core::fmt::Write::write_fmt(&mut m, core::format_args!($($arg)*));
        m
    }};
}
pub(crate) use msg;
