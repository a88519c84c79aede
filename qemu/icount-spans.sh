#!/usr/bin/env bash
# Measures the initializer: guest instructions from the root task's first instruction to the
# first instruction of the first PD, for every example on both architectures, deterministic.
#
#   qemu/icount-spans.sh [--trace summary|full] [--arch x86_64|aarch64|both] [EXAMPLE...]
#
# EXAMPLE is hello, pingpong or ivshmem (default: all three). --trace is passed to
# `sysinit build` (default: summary, the build's default). Needs SEL4_PREFIX (the kernels of
# docs/kernel.md) and the qemu-icount plugin's source: QEMU_ICOUNT (default
# ../shared/qemu-icount beside the repository, else /work/shared/qemu-icount); the plugin is
# compiled into $TARGET_DIR/icount/libicnt.so. It builds the root tasks, the example PDs and
# `sysinit` like ci/boot-examples*.sh (one target directory, ${CARGO_TARGET_DIR:-target}),
# builds each image (and on aarch64 its loader) under $OUT (default target/icount), and boots
# it with the runners' QEMU command lines plus
#   -icount shift=0,sleep=off -plugin libicnt.so,t=roottask:ENTRY:BYTES,t=pd_NAME:ENTRY:BYTES... -d plugin
# where ENTRY is the ELF entry point (of the root task image, of each PD's program) and BYTES
# its first 4 bytes in memory order (they tell apart address spaces sharing an address).
# QEMU is SIGKILLed once the root task's point and one PD's point are reached. Prints one
# line per boot:
#   span ARCH EXAMPLE trace=LEVEL roottask=N first_pd=NAME@M span=M-N
# and the table on the last lines. Two runs give identical numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

trace=summary arches=(x86_64 aarch64) examples=()
while [ $# -gt 0 ]; do
  case "$1" in
    --trace) [ $# -ge 2 ] || { echo "icount-spans: --trace needs summary or full" >&2; exit 2; }
             trace=$2; shift 2 ;;
    --arch) [ $# -ge 2 ] || { echo "icount-spans: --arch needs x86_64, aarch64 or both" >&2; exit 2; }
            case "$2" in both) arches=(x86_64 aarch64) ;; x86_64|aarch64) arches=("$2") ;;
              *) echo "icount-spans: unknown arch $2 (x86_64, aarch64, both)" >&2; exit 2 ;; esac
            shift 2 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "icount-spans: unknown option $1" >&2; exit 2 ;;
    *) examples+=("$1"); shift ;;
  esac
done
[ ${#examples[@]} -gt 0 ] || examples=(hello pingpong ivshmem)
[ -n "${SEL4_PREFIX:-}" ] || { echo "icount-spans: set SEL4_PREFIX (docs/kernel.md)" >&2; exit 2; }

absolute() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
TARGET_DIR=$(absolute "${CARGO_TARGET_DIR:-target}")
OUT=$(absolute "${OUT:-target/icount}")
if [ -z "${QEMU_ICOUNT:-}" ]; then
  QEMU_ICOUNT=../shared/qemu-icount
  [ -f "$QEMU_ICOUNT/icnt.c" ] || QEMU_ICOUNT=/work/shared/qemu-icount
fi
[ -f "$QEMU_ICOUNT/icnt.c" ] || { echo "icount-spans: no icnt.c in $QEMU_ICOUNT; set QEMU_ICOUNT" >&2; exit 2; }
mkdir -p "$OUT" "$TARGET_DIR/icount"
PLUGIN=$TARGET_DIR/icount/libicnt.so
gcc -shared -fPIC -O2 -I"$QEMU_ICOUNT" -o "$PLUGIN" "$QEMU_ICOUNT/icnt.c"

build() { cargo build --locked --release --target-dir "$TARGET_DIR" "$@"; }
build -p sysinit
SYSINIT=$TARGET_DIR/release/sysinit

# The entry point of an ELF and its first 4 bytes in file (= memory) order, as ADDR:HEX.
entry_point() {
  python3 - "$1" <<'EOF'
import struct, sys
elf = open(sys.argv[1], 'rb').read()
entry, phoff = struct.unpack_from('<QQ', elf, 24)
phentsize, phnum = struct.unpack_from('<HH', elf, 54)
for i in range(phnum):
    p_type, _, off, vaddr, _, filesz, _, _ = struct.unpack_from('<IIQQQQQQ', elf, phoff + i * phentsize)
    if p_type == 1 and vaddr <= entry < vaddr + filesz:
        print('0x%x:%s' % (entry, elf[off + entry - vaddr:off + entry - vaddr + 4].hex()))
        sys.exit(0)
sys.exit('no loaded bytes at the entry point of ' + sys.argv[1])
EOF
}

results=()
measure() { # arch name system qemu-args...
  local arch=$1 name=$2 system=$3; shift 3
  local R=$TARGET_DIR/$arch-unknown-none/release dir=$OUT/$arch-$trace/$name board image
  rm -rf "$dir" && mkdir -p "$dir"
  if [ "$arch" = x86_64 ]; then board=qemu-x86_64; else board=qemu-aarch64-virt; fi
  "$SYSINIT" build "$system" --board "$board" -o "$dir" --search-path "$R" \
    --roottask "$R/sysinit-roottask" --trace "$trace" >"$dir/build.txt"
  local points=("t=roottask:$(entry_point "$dir/image.elf")")
  local pd
  for pd in $(grep -o '<program_image path="[^"]*"' "$system" | sed 's/.*path="//; s/"$//'); do
    points+=("t=pd_$pd:$(entry_point "$R/$pd")")
  done
  local plugin=$PLUGIN
  for p in "${points[@]}"; do plugin+=",$p"; done
  local log=$dir/icount.log
  : >"$log"
  if [ "$arch" = x86_64 ]; then
    image=$dir/image.elf
    local bytes
    bytes=$(grep -a -o -m1 'sysinit-machine board=[A-Za-z0-9_.-]* ram_bytes=[0-9]*' "$image" | head -n1)
    bytes=${bytes##*ram_bytes=}
    qemu-system-x86_64 -machine q35,accel=tcg -cpu Nehalem,+pdpe1gb,+xsave,+xsaveopt,phys-bits=46,enforce \
      -m "$((bytes / 1048576))M" -display none -monitor none -serial stdio -no-reboot \
      -kernel "$SEL4_PREFIX/x86_64/kernel32.elf" -initrd "$image" "$@" \
      -icount shift=0,sleep=off -plugin "$plugin" -d plugin </dev/null >>"$log" 2>&1 &
  else
    SYSINIT_LOADER_ROOTTASK=$dir/image.elf \
      build --manifest-path crates/loader/Cargo.toml --config crates/loader/.cargo/config.toml -p sysinit-loader
    cp "$R/sysinit-loader" "$dir/loader.elf"
    qemu-system-aarch64 -machine virt,secure=off,virtualization=on,highmem=on,gic-version=2 \
      -cpu cortex-a57 -smp 1 -m 2048 -display none -monitor none -serial stdio -no-reboot \
      -kernel "$dir/loader.elf" "$@" \
      -icount shift=0,sleep=off -plugin "$plugin" -d plugin </dev/null >>"$log" 2>&1 &
  fi
  local qemu=$! start=$SECONDS
  until grep -aq '^ICNT|roottask ' "$log" && grep -aq '^ICNT|pd_' "$log"; do
    if ! kill -0 "$qemu" 2>/dev/null; then echo "icount-spans: QEMU exited early ($log)" >&2; exit 1; fi
    if [ $((SECONDS - start)) -gt 300 ]; then kill -9 "$qemu"; echo "icount-spans: timeout ($log)" >&2; exit 1; fi
    sleep 0.5
  done
  # An idle aarch64 guest under -icount can leave QEMU deaf to SIGTERM.
  kill -9 "$qemu" 2>/dev/null || true
  wait "$qemu" 2>/dev/null || true
  local root first
  root=$(grep -a '^ICNT|roottask ' "$log" | sed 's/.*insns=//')
  first=$(grep -a '^ICNT|pd_' "$log" | sed 's/^ICNT|pd_//; s/ insns=/ /' | sort -k2,2n | head -n1)
  local line="span $arch $name trace=$trace roottask=$root first_pd=${first% *}@${first#* } span=$(( ${first#* } - root ))"
  echo "$line"
  results+=("$line")
}

shm=$OUT/ivshmem.shm
ivshmem=(-object "memory-backend-file,id=shm,share=on,mem-path=$shm,size=1M" -device ivshmem-plain,memdev=shm)
for arch in "${arches[@]}"; do
  build --manifest-path crates/roottask/Cargo.toml --config crates/roottask/.cargo/config.toml --target "$arch-unknown-none"
  build --manifest-path examples/Cargo.toml --target "$arch-unknown-none"
  for ex in "${examples[@]}"; do
    case "$arch/$ex" in
      x86_64/hello) measure x86_64 hello specs/boot-hello.system ;;
      x86_64/pingpong) measure x86_64 pingpong specs/boot-pingpong.system ;;
      x86_64/ivshmem) rm -f "$shm"; measure x86_64 ivshmem specs/boot-ivshmem-x86_64.system "${ivshmem[@]}" ;;
      aarch64/hello) measure aarch64 hello specs/boot-hello-aarch64.system ;;
      aarch64/pingpong) measure aarch64 pingpong specs/boot-pingpong-aarch64.system ;;
      aarch64/ivshmem) rm -f "$shm"; measure aarch64 ivshmem specs/boot-ivshmem-aarch64.system "${ivshmem[@]}" ;;
      *) echo "icount-spans: unknown example $ex (hello, pingpong, ivshmem)" >&2; exit 2 ;;
    esac
  done
done
echo "== guest instructions, root task entry -> first PD instruction (trace=$trace)"
printf '%s\n' "${results[@]}"
