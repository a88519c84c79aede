#!/usr/bin/env bash
# The test suite, exactly as CI runs it (.ci/run calls this after installing the toolchain).
# Runs from any directory; exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

# The bare-metal targets the no_std crates, the root task and the example PDs build for.
# rustup does not install targets from rust-toolchain.toml on every machine, so add them
# here (once; an installed target is left alone).
TARGETS=(x86_64-unknown-none aarch64-unknown-none)
command -v rustup >/dev/null || { echo "error: rustup is needed to add the bare-metal targets ${TARGETS[*]}" >&2; exit 1; }
installed=$(rustup target list --installed)
for target in "${TARGETS[@]}"; do
  if ! grep -qx "$target" <<<"$installed"; then
    step "adding the bare-metal target $target"
    rustup target add "$target"
  fi
done

step "formatting"
cargo fmt --all -- --check
cargo fmt --manifest-path examples/Cargo.toml -- --check

step "lints"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "no_std crates build for the bare-metal targets (no host dependencies crept in)"
# Every #![no_std] library of the workspace (sysinit-image without its `host` feature,
# which adds the ELF writer); the root task, the PD runtime's users and the loader below.
for target in "${TARGETS[@]}"; do
  cargo build --locked --target "$target" \
    -p sysinit-kobj -p sysinit-planner -p sysinit-spec -p sysinit-trace -p sysinit-initializer -p sysinit-bump \
    -p sysinit-sel4 -p sysinit-pd-abi -p sysinit-pd -p sysinit-no-heap -p sysinit-loader-layout \
    -p sysinit-fdt -p sysinit-vmm
  cargo build --locked --target "$target" -p sysinit-image --no-default-features
  # The device tree writer needs only `alloc`, which these targets have.
  cargo build --locked --target "$target" -p sysinit-fdt --features alloc
done

step "fuzz targets build"
cargo check --locked --manifest-path fuzz/Cargo.toml

step "root task and example PDs build for both bare-metal targets"
# (The aarch64 loader embeds the seL4 kernel at build time, so it is built only where
# SEL4_PREFIX is; its layout logic, crates/loader-layout, is tested below.)
for target in "${TARGETS[@]}"; do
  cargo build --locked --release --target "$target" \
    --manifest-path crates/roottask/Cargo.toml --config crates/roottask/.cargo/config.toml
  cargo build --locked --release --target "$target" --manifest-path examples/Cargo.toml
done
# The root task for the aarch64 kernel at EL1 (its labels and window), in a target
# directory of its own so that it does not replace the EL2 one.
cargo build --locked --release --target aarch64-unknown-none --features aarch64-el1 \
  --target-dir "${CARGO_TARGET_DIR:-target}/roottask-el1" \
  --manifest-path crates/roottask/Cargo.toml --config crates/roottask/.cargo/config.toml

step "the Linux guest's /init (examples/linux-init: static, aarch64-unknown-linux-musl, linked by rust-lld)"
grep -qx aarch64-unknown-linux-musl <<<"$installed" || rustup target add aarch64-unknown-linux-musl
LINUX_INIT=(--locked --manifest-path examples/linux-init/Cargo.toml)
cargo fmt --manifest-path examples/linux-init/Cargo.toml -- --check
cargo clippy "${LINUX_INIT[@]}" --release --target aarch64-unknown-linux-musl \
  --config 'target.aarch64-unknown-linux-musl.linker="rust-lld"' -- -D warnings
# Its /proc/iomem parsing is tested on the host.
cargo test "${LINUX_INIT[@]}" --target "$(rustc -vV | sed -n 's/^host: //p')"

step "guest program guest_hello standalone on QEMU virt, no seL4 (skipped without qemu-system-aarch64)"
ci/guest-standalone.sh

step "tests (unit, integration, property tests against the kernel model, recorded boot replays)"
cargo test --workspace --locked

# Each fuzz target runs FUZZ_SECONDS (default 45) on the committed seeds plus what it finds,
# inputs up to 1 MiB (past the reader's size and depth limits). cargo-fuzz needs nightly:
# both are installed here if missing. FUZZ_SECONDS=0 skips the runs (the build check above
# still holds). A crash fails the run; libFuzzer names the input under fuzz/artifacts/.
FUZZ_SECONDS=${FUZZ_SECONDS:-45}
if [ "$FUZZ_SECONDS" != 0 ]; then
  step "fuzz targets run ${FUZZ_SECONDS}s each (FUZZ_SECONDS=0 skips)"
  rustup toolchain list | grep -q '^nightly-' \
    || rustup toolchain install nightly --profile minimal --no-self-update
  cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
  (
    cd fuzz
    for fuzz_target in $(cargo +nightly fuzz list); do
      scratch=target/corpus/$fuzz_target
      mkdir -p "$scratch"
      seeds=()
      [ -d "corpus/$fuzz_target" ] && seeds=("corpus/$fuzz_target")
      cargo +nightly fuzz run "$fuzz_target" "$scratch" "${seeds[@]}" -- \
        -max_total_time="$FUZZ_SECONDS" -max_len=1048576 -print_final_stats=1
    done
  )
else
  step "fuzz targets not run (FUZZ_SECONDS=0)"
fi

step "kernel constants against the kernel build's headers (skipped without SEL4_PREFIX)"
missing_builds=()
for config in x86_64 aarch64 aarch64-el1; do
  [ -d "${SEL4_PREFIX:-/nonexistent}/$config/include" ] || missing_builds+=("$config")
done
if [ -n "${SEL4_PREFIX:-}" ] && [ ${#missing_builds[@]} -gt 0 ]; then
  # The checks compare every configuration's headers at once (docs/kernel.md has one row each).
  echo "SKIPPED: SEL4_PREFIX=$SEL4_PREFIX has no build of: ${missing_builds[*]} (docs/kernel.md); the recorded header values are checked by 'cargo test' instead."
elif [ -n "${SEL4_PREFIX:-}" ]; then
  # Object sizes, untyped limits and invocation labels, read through cpp from
  # $SEL4_PREFIX/<config>/include (crates/kobj/tests/kernel_headers.rs,
  # crates/sel4/tests/prefix_headers.rs).
  cargo test --locked -p sysinit-kobj --test kernel_headers -- --ignored
  cargo test --locked -p sysinit-sel4 --test prefix_headers -- --ignored
else
  echo "SKIPPED: SEL4_PREFIX is not set; the recorded header values are checked by 'cargo test' instead."
fi

step "real boots on seL4 under QEMU (skipped without SEL4_PREFIX)"
ci/boot-examples.sh
ci/boot-examples-aarch64.sh
