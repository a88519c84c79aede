#!/usr/bin/env bash
# The test suite, exactly as CI runs it (.ci/run calls this after installing the toolchain).
# Runs from any directory; exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "formatting"
cargo fmt --all -- --check

step "lints"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "no_std crates build for the bare-metal targets (no host dependencies crept in)"
for target in x86_64-unknown-none aarch64-unknown-none; do
  cargo build --locked --target "$target" \
    -p sysinit-kobj -p sysinit-planner -p sysinit-spec -p sysinit-trace -p sysinit-initializer \
    -p sysinit-sel4 -p sysinit-pd-abi
done

step "fuzz targets still build (running them needs nightly cargo-fuzz, see fuzz/README.md)"
cargo check --locked --manifest-path fuzz/Cargo.toml

step "root task and example PDs build for both bare-metal targets"
# (The aarch64 loader embeds the seL4 kernel at build time, so it is built only where
# SEL4_PREFIX is; its layout logic, crates/loader-layout, is tested below.)
for target in x86_64-unknown-none aarch64-unknown-none; do
  cargo build --locked --release --target "$target" \
    --manifest-path crates/roottask/Cargo.toml --config crates/roottask/.cargo/config.toml
  cargo build --locked --release --target "$target" --manifest-path examples/Cargo.toml
done

step "tests (unit, integration, property tests against the kernel model, recorded boot replays)"
cargo test --workspace --locked

step "real boots on seL4 under QEMU (skipped without SEL4_PREFIX)"
ci/boot-examples.sh
ci/boot-examples-aarch64.sh
