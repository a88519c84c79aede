#!/usr/bin/env bash
# Boots every aarch64 example system on a real seL4 kernel under QEMU virt and checks it.
#
# Needs SEL4_PREFIX: an aarch64 kernel built by hand from kernel-config/aarch64.cmake
# ($SEL4_PREFIX/aarch64/kernel.elf and kernel.dtb, docs/kernel.md); this repository
# never builds seL4. Without it the boots are skipped, loudly, and the script exits 0.
#
# For each example: build the image with `sysinit build` (the aarch64 root task with the
# spec embedded), build sysinit-loader around that image (docs/loader.md), boot it with
# qemu/run-aarch64.sh (success only on the summary line and every PD's "ok"), replay the
# log with `sysinit verify-trace`. The ivshmem example also checks that the driver's
# nonce reached the host file backing the device. Every boot runs even if one before it
# failed; the last line is `boots: N passed, M failed` and the exit status is 1 if M > 0.
#
# Everything cargo builds goes to ${CARGO_TARGET_DIR:-target}; logs, spec.json and the
# loader of each boot to $OUT/<name>/ (default target/boots-aarch64). BOOT_TIMEOUT
# (seconds, default 120) bounds each boot.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${SEL4_PREFIX:-}" ] || [ ! -f "$SEL4_PREFIX/aarch64/kernel.elf" ] || [ ! -f "$SEL4_PREFIX/aarch64/kernel.dtb" ]; then
  echo "SKIPPED: real seL4 boots on aarch64: SEL4_PREFIX is not set or has no aarch64/kernel.elf and aarch64/kernel.dtb (see docs/kernel.md)."
  echo "SKIPPED: no aarch64 example was booted."
  exit 0
fi
command -v qemu-system-aarch64 >/dev/null || { echo "error: qemu-system-aarch64 is not installed" >&2; exit 1; }

absolute() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
OUT=$(absolute "${OUT:-target/boots-aarch64}")
TARGET_DIR=$(absolute "${CARGO_TARGET_DIR:-target}")
BOOT_TIMEOUT=${BOOT_TIMEOUT:-120}
mkdir -p "$OUT"

# One target directory for the four workspaces (main, root task, examples, loader), so
# every path below is known whatever CARGO_TARGET_DIR says.
build() { cargo build --locked --release --target-dir "$TARGET_DIR" "$@"; }
# The host tests that need this kernel build (ignored in plain `cargo test`).
cargo test --locked --target-dir "$TARGET_DIR" -p sysinit-board -p sysinit-loader-layout -- --ignored
build --manifest-path crates/roottask/Cargo.toml --config crates/roottask/.cargo/config.toml --target aarch64-unknown-none
build --manifest-path examples/Cargo.toml --target aarch64-unknown-none
build -p sysinit
R=$TARGET_DIR/aarch64-unknown-none/release
SYSINIT=$TARGET_DIR/release/sysinit

passed=0 failed=0 failures=()

boot_one() { # name system expected-pds... [-- qemu args]
  local name=$1 system=$2; shift 2
  local dir=$OUT/$name
  local run=(qemu/run-aarch64.sh "$dir/loader.elf" --log "$dir/boot.log" --timeout "$BOOT_TIMEOUT")
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do run+=(--expect-pd "$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  for arg in "$@"; do run+=(--qemu-arg "$arg"); done
  rm -rf "$dir"
  "$SYSINIT" build "$system" --board qemu-aarch64-virt -o "$dir" --search-path "$R" --roottask "$R/sysinit-roottask" || return 1
  # The loader embeds the root task at build time, so every system gets its own loader.
  SYSINIT_LOADER_ROOTTASK=$dir/image.elf \
    build --manifest-path crates/loader/Cargo.toml --config crates/loader/.cargo/config.toml -p sysinit-loader || return 1
  cp "$R/sysinit-loader" "$dir/loader.elf" || return 1
  "${run[@]}" || return 1
  "$SYSINIT" verify-trace "$dir/boot.log" --spec "$dir/spec.json" || return 1
}

boot() { # like boot_one; counts the outcome instead of stopping at the first failure
  local name=$1
  echo "== boot $name"
  if boot_one "$@"; then
    passed=$((passed + 1))
  else
    echo "error: boot $name failed (log: $OUT/$name/boot.log)" >&2
    failed=$((failed + 1)) failures+=("$name")
    return 1
  fi
}

check_nonce() { # the driver's nonce must be in the host file backing ivshmem
  local log=$OUT/ivshmem/boot.log shm=$1 nonce
  nonce=$(grep -a -o 'SYSINIT pd ivshmem_driver note: nonce 0x[0-9a-f]*' "$log" | awk '{print $NF}')
  [ -n "$nonce" ] || { echo "error: the driver reported no nonce in $log" >&2; return 1; }
  head -c 8 "$shm" | od -An -tx8 | tr -d ' \n' | grep -q "^${nonce#0x}$" \
    || { echo "error: the host file $shm backing ivshmem does not start with the nonce $nonce" >&2; return 1; }
  echo "nonce $nonce found in $shm"
}

boot hello specs/boot-hello-aarch64.system hello || true
boot pingpong specs/boot-pingpong-aarch64.system ping pong || true
boot pl011 specs/boot-pl011-aarch64.system pl011_id || true
# A spec over 3 MiB (the PD's initialised data): the root task takes any size.
boot big-data specs/boot-big-data.system big_data || true
shm=$OUT/ivshmem.shm
rm -f "$shm"
# A boot that passed but whose nonce is not in the file counts as failed.
if boot ivshmem specs/boot-ivshmem-aarch64.system ivshmem_driver -- \
  -object "memory-backend-file,id=shm,share=on,mem-path=$shm,size=1M" -device ivshmem-plain,memdev=shm; then
  check_nonce "$shm" || { passed=$((passed - 1)) failed=$((failed + 1)) failures+=(ivshmem); }
fi

[ "$failed" -eq 0 ] || echo "failed: ${failures[*]}" >&2
echo "boots: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
