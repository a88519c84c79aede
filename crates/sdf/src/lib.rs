//! Reads and validates Microkit-compatible system description files (SDF).
#![forbid(unsafe_code)]
