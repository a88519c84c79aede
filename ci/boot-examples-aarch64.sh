#!/usr/bin/env bash
# Boots every aarch64 example system on a real seL4 kernel under QEMU virt and checks it.
#
# Needs SEL4_PREFIX: aarch64 kernels built by hand (docs/kernel.md); this repository
# never builds seL4. $SEL4_PREFIX/aarch64/{kernel.elf,kernel.dtb} (kernel-config/aarch64.cmake,
# EL2) boots every example below; $SEL4_PREFIX/aarch64-el1/{kernel.elf,kernel.dtb}
# (kernel-config/aarch64-el1.cmake, EL1, board qemu-aarch64-virt-el1, the root task built
# with the feature aarch64-el1) boots hello, pingpong, pl011 and ivshmem again as el1-<name>.
# A configuration whose kernel is missing is skipped, loudly; with neither the script exits 0.
#
# For each example: build the image with `sysinit build` (the aarch64 root task with the
# spec embedded), build sysinit-loader around that image (docs/loader.md), boot it with
# qemu/run-aarch64.sh (success only on the summary line and every PD's "ok"), replay the
# log with `sysinit verify-trace`. The ivshmem example also checks that the driver's
# nonce reached the host file backing the device; the guest example (a VMM PD and the
# guest program it runs) that the guest printed `guest: all checks passed` and that its
# nonce reached the host file. The Linux example boots Debian 12's arm64 kernel (package
# debian-installer-12-netboot-arm64; LINUX_IMAGE overrides where its `linux` is) with our
# initramfs (examples/linux-init packed by `sysinit initramfs`) and checks
# `init: all checks passed` and the nonce; without the kernel image it is skipped,
# loudly, naming the package. Every boot runs even if one before it
# failed; the last line is `boots: N passed, M failed` and the exit status is 1 if M > 0.
#
# Everything cargo builds goes to ${CARGO_TARGET_DIR:-target}; logs, spec.json and the
# loader of each boot to $OUT/<name>/ (default target/boots-aarch64). BOOT_TIMEOUT
# (seconds, default 120) bounds each boot (the Linux boot gets at least 300).
set -euo pipefail
cd "$(dirname "$0")/.."

have_kernel() { [ -n "${SEL4_PREFIX:-}" ] && [ -f "$SEL4_PREFIX/$1/kernel.elf" ] && [ -f "$SEL4_PREFIX/$1/kernel.dtb" ]; }
el2=no el1=no
have_kernel aarch64 && el2=yes
have_kernel aarch64-el1 && el1=yes
if [ "$el2" = no ] && [ "$el1" = no ]; then
  echo "SKIPPED: real seL4 boots on aarch64: SEL4_PREFIX is not set or has neither aarch64/ nor aarch64-el1/ with kernel.elf and kernel.dtb (see docs/kernel.md)."
  echo "SKIPPED: no aarch64 example was booted."
  exit 0
fi
[ "$el2" = yes ] || echo "SKIPPED: the EL2 boots (hello, pingpong, pl011, ivshmem, guest, linux): no $SEL4_PREFIX/aarch64/kernel.elf and kernel.dtb (kernel-config/aarch64.cmake, docs/kernel.md)."
[ "$el1" = yes ] || echo "SKIPPED: the EL1 boots (el1-hello, el1-pingpong, el1-pl011, el1-ivshmem): no $SEL4_PREFIX/aarch64-el1/kernel.elf and kernel.dtb (kernel-config/aarch64-el1.cmake, docs/kernel.md)." 
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
[ "$el2" = no ] || cargo test --locked --target-dir "$TARGET_DIR" -p sysinit-board -p sysinit-loader-layout -- --ignored
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
  local search=(--search-path "$R")
  [ -n "${EXTRA_SEARCH:-}" ] && search+=(--search-path "$EXTRA_SEARCH")
  "$SYSINIT" build "$system" --board "${BOARD:-qemu-aarch64-virt}" -o "$dir" "${search[@]}" --roottask "${ROOTTASK:-$R/sysinit-roottask}" --trace full || return 1
  # The loader embeds the root task at build time, so every system gets its own loader;
  # KCONFIG names the kernel ($SEL4_PREFIX/$KCONFIG), the runner reads the board from the image.
  SYSINIT_KERNEL_CONFIG=${KCONFIG:-aarch64} SYSINIT_LOADER_ROOTTASK=$dir/image.elf \
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

check_nonce() { # name shm pattern: the nonce the log reports must be in the host file backing ivshmem
  local log=$OUT/$1/boot.log shm=$2 nonce
  nonce=$(grep -a -o "$3 0x[0-9a-f]*" "$log" | awk '{print $NF}')
  [ -n "$nonce" ] || { echo "error: no nonce ('$3 0x...') in $log" >&2; return 1; }
  head -c 8 "$shm" | od -An -tx8 | tr -d ' \n' | grep -q "^${nonce#0x}$" \
    || { echo "error: the host file $shm backing ivshmem does not start with the nonce $nonce" >&2; return 1; }
  echo "nonce $nonce found in $shm"
}

if [ "$el2" = yes ]; then
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
  check_nonce ivshmem "$shm" 'SYSINIT pd ivshmem_driver note: nonce' \
    || { passed=$((passed - 1)) failed=$((failed + 1)) failures+=(ivshmem); }
fi

# The guest's own checks print straight to the passed-through PL011, not through a PD
# report: the VMM's ok only says the guest powered off, so the guest's summary line and
# the nonce in the host file decide too.
check_guest() {
  local log=$OUT/guest/boot.log
  grep -aq '^guest: all checks passed' "$log" \
    || { echo "error: the guest did not print 'guest: all checks passed' in $log" >&2; grep -a 'guest: .*FAIL' "$log" >&2; return 1; }
  check_nonce guest "$1" 'guest: ivshmem nonce'
}
shm=$OUT/guest.shm
rm -f "$shm"
if boot guest specs/boot-guest-aarch64.system vmm -- \
  -object "memory-backend-file,id=shm,share=on,mem-path=$shm,size=1M" -device ivshmem-plain,memdev=shm; then
  check_guest "$shm" || { passed=$((passed - 1)) failed=$((failed + 1)) failures+=(guest); }
fi

# Linux: Debian's kernel, never committed; the runner finds it or says what is missing.
LINUX_IMAGE=${LINUX_IMAGE:-/usr/lib/debian-installer/images/12/arm64/text/debian-installer/arm64/linux}
check_linux() {
  local log=$OUT/linux/boot.log
  grep -aq '^init: all checks passed' "$log" \
    || { echo "error: Linux's /init did not print 'init: all checks passed' in $log" >&2; grep -a 'init: .*FAIL' "$log" >&2; return 1; }
  check_nonce linux "$1" 'init: ivshmem nonce'
}
if [ ! -f "$LINUX_IMAGE" ]; then
  echo "SKIPPED: boot linux: no Linux kernel image at $LINUX_IMAGE."
  echo "SKIPPED: install the Debian package debian-installer-12-netboot-arm64 (apt-get install debian-installer-12-netboot-arm64), or set LINUX_IMAGE to its arm64 'linux'."
else
  echo "== linux: building /init (examples/linux-init) and the initramfs"
  rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-musl \
    || rustup target add aarch64-unknown-linux-musl
  build --manifest-path examples/linux-init/Cargo.toml --target aarch64-unknown-linux-musl \
    --config 'target.aarch64-unknown-linux-musl.linker="rust-lld"'
  initrd_dir=$OUT/linux-files
  rm -rf "$initrd_dir" && mkdir -p "$initrd_dir"
  "$SYSINIT" initramfs --init "$TARGET_DIR/aarch64-unknown-linux-musl/release/init" -o "$initrd_dir/linux-initramfs.cpio"
  ln -s "$LINUX_IMAGE" "$initrd_dir/linux"
  shm=$OUT/linux.shm
  rm -f "$shm"
  saved_timeout=$BOOT_TIMEOUT
  BOOT_TIMEOUT=$((BOOT_TIMEOUT > 300 ? BOOT_TIMEOUT : 300))
  # The spec carries the 32 MiB kernel Image in its blob: the build sizes the root task
  # for it like for any other system (docs/roottask.md).
  if EXTRA_SEARCH=$initrd_dir boot linux specs/boot-linux-aarch64.system vmm -- \
    -object "memory-backend-file,id=shm,share=on,mem-path=$shm,size=1M" -device ivshmem-plain,memdev=shm; then
    check_linux "$shm" || { passed=$((passed - 1)) failed=$((failed + 1)) failures+=(linux); }
  fi
  BOOT_TIMEOUT=$saved_timeout
fi

fi # el2

# The same examples on the kernel at EL1: the root task built for it (its labels and
# kernel window), the EL1 board; ivshmem's BAR at 0x80_0000_0000 is kernel-virtual 0
# there (the window wraps around 2^64).
el1_boot() { # like boot, with the EL1 board, kernel and root task
  BOARD=qemu-aarch64-virt-el1 KCONFIG=aarch64-el1 \
    ROOTTASK=$TARGET_DIR/roottask-el1/aarch64-unknown-none/release/sysinit-roottask boot "$@"
}
if [ "$el1" = yes ]; then
  echo "== aarch64-el1: the root task for the kernel at EL1 (feature aarch64-el1)"
  cargo build --locked --release --target-dir "$TARGET_DIR/roottask-el1" \
    --manifest-path crates/roottask/Cargo.toml --config crates/roottask/.cargo/config.toml \
    --target aarch64-unknown-none --features aarch64-el1
  el1_boot el1-hello specs/boot-hello-aarch64.system hello || true
  el1_boot el1-pingpong specs/boot-pingpong-aarch64.system ping pong || true
  el1_boot el1-pl011 specs/boot-pl011-aarch64.system pl011_id || true
  shm=$OUT/el1-ivshmem.shm
  rm -f "$shm"
  if el1_boot el1-ivshmem specs/boot-ivshmem-aarch64.system ivshmem_driver -- \
    -object "memory-backend-file,id=shm,share=on,mem-path=$shm,size=1M" -device ivshmem-plain,memdev=shm; then
    check_nonce el1-ivshmem "$shm" 'SYSINIT pd ivshmem_driver note: nonce' \
      || { passed=$((passed - 1)) failed=$((failed + 1)) failures+=(el1-ivshmem); }
  fi
fi

[ "$failed" -eq 0 ] || echo "failed: ${failures[*]}" >&2
echo "boots: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
