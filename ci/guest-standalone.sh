#!/usr/bin/env bash
# Boots the guest program guest_hello (examples/src/bin/guest_hello.rs) on QEMU virt
# directly, without seL4 or a VMM: QEMU's -kernel enters it at EL1 with QEMU's own device
# tree, as sysinit's VMM would with the generated one. Passes only if the guest prints
# `guest: all checks passed` and the host file backing ivshmem starts with its nonce.
#
# Needs qemu-system-aarch64 (skipped, loudly, without it). The log goes to
# $OUT/guest-standalone.log (default target/guest-standalone); BOOT_TIMEOUT (seconds,
# default 30) bounds the run.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v qemu-system-aarch64 >/dev/null; then
  echo "SKIPPED: guest_hello standalone: qemu-system-aarch64 is not installed."
  exit 0
fi
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
OUT=$(absolute "${OUT:-target/guest-standalone}")
TARGET_DIR=$(absolute "${CARGO_TARGET_DIR:-target}")
mkdir -p "$OUT"
cargo build --locked --release --target-dir "$TARGET_DIR" \
  --manifest-path examples/Cargo.toml --target aarch64-unknown-none --bin guest_hello
log=$OUT/guest-standalone.log shm=$OUT/guest.shm
rm -f "$shm"
# The command recorded in guest_hello's doc comment. SYSTEM_OFF ends QEMU.
timeout "${BOOT_TIMEOUT:-30}" qemu-system-aarch64 -M virt,gic-version=2,highmem=on \
  -cpu cortex-a57 -m 1G -nographic -monitor none -serial stdio \
  -kernel "$TARGET_DIR/aarch64-unknown-none/release/guest_hello" \
  -object "memory-backend-file,id=shm,share=on,mem-path=$shm,size=1M" \
  -device ivshmem-plain,memdev=shm </dev/null >"$log" 2>&1 || true
cat "$log"
grep -q '^guest: all checks passed' "$log" \
  || { echo "error: guest_hello did not print 'guest: all checks passed' (log: $log)" >&2; exit 1; }
# 0x515753454e434521, little endian, then the text.
[ "$(head -c 29 "$shm" | od -A n -t x1 | tr -d ' \n')" = \
  "2145434e45535751$(printf 'sysinit-ivshmem-nonce' | od -A n -t x1 | tr -d ' \n')" ] \
  || { echo "error: the host file $shm backing ivshmem does not start with the guest's nonce" >&2; exit 1; }
echo "guest_hello standalone: all checks passed, nonce in $shm"
