#!/usr/bin/env bash
# Boots a sysinit root task image on seL4 x86_64 in QEMU and decides the outcome from the serial log.
#
#   qemu/run-x86_64.sh IMAGE [--expect-pd NAME]... [--log FILE] [--timeout SECS]
#                            [--memory SIZE | --force-memory SIZE] [--qemu-arg ARG]...
#
# IMAGE is a root task ELF with its spec embedded (`sysinit build`). QEMU gets the
# RAM the image was built for (its machine note, `sysinit build --ram`, default
# 512 MiB); --memory must agree with it, --force-memory boots with another size
# anyway (the root task then refuses a spec whose fixed addresses changed kind). The kernel
# comes from $SEL4_PREFIX/x86_64/kernel32.elf (see docs/kernel.md); this script
# builds nothing. Serial output goes to the log (default IMAGE.serial.log),
# which is kept. QEMU is killed as soon as the outcome is known.
#
# Exit 0: the root task printed `SYSINIT summary` and, for every --expect-pd
#         NAME, a line `SYSINIT pd NAME ok` appeared.
# Exit 1: `SYSINIT error`, a PD's `fail:`/`panic:` line, a kernel fault report, QEMU exiting early, or the timeout.
# Exit 2: bad usage or a missing kernel/QEMU.
#
# --qemu-arg passes one argument through to QEMU, e.g. for an ivshmem device:
#   --qemu-arg -object --qemu-arg memory-backend-file,id=hostmem,share=on,mem-path=/dev/shm/x,size=1M
#   --qemu-arg -device --qemu-arg ivshmem-plain,memdev=hostmem
set -u

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

image="" log="" timeout_secs=60 memory="" force_memory=""
expect=() extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --expect-pd) [ $# -ge 2 ] || usage; expect+=("$2"); shift 2 ;;
        --log) [ $# -ge 2 ] || usage; log="$2"; shift 2 ;;
        --timeout) [ $# -ge 2 ] || usage; timeout_secs="$2"; shift 2 ;;
        --memory) [ $# -ge 2 ] || usage; memory="$2"; shift 2 ;;
        --force-memory) [ $# -ge 2 ] || usage; force_memory="$2"; shift 2 ;;
        --qemu-arg) [ $# -ge 2 ] || usage; extra+=("$2"); shift 2 ;;
        -h|--help) usage ;;
        -*) echo "run-x86_64: unknown option $1" >&2; usage ;;
        *) [ -z "$image" ] || { echo "run-x86_64: more than one IMAGE given ($image, $1)" >&2; exit 2; }
           image="$1"; shift ;;
    esac
done
[ -n "$image" ] || usage
case "$timeout_secs" in ''|*[!0-9]*) echo "run-x86_64: --timeout takes whole seconds, not '$timeout_secs'" >&2; exit 2 ;; esac
[ -f "$image" ] || { echo "run-x86_64: image $image does not exist" >&2; exit 2; }
[ -z "$memory" ] || [ -z "$force_memory" ] || { echo "run-x86_64: give --memory or --force-memory, not both" >&2; exit 2; }

# A size in QEMU's -m syntax (N or NM MiB, NG GiB, NT TiB, NK KiB) as whole MiB.
to_mib() {
    local n=${1%[KkMmGgTt]}
    local unit=${1#"$n"}
    case "$n" in ''|*[!0-9]*) return 1 ;; esac
    case "$unit" in
        ''|M|m) echo "$n" ;;
        G|g) echo $((n * 1024)) ;;
        T|t) echo $((n * 1024 * 1024)) ;;
        K|k) [ $((n % 1024)) -eq 0 ] || return 1; echo $((n / 1024)) ;;
    esac
}

# The machine note `sysinit build` writes after the spec (crates/image): the board
# and RAM size the spec's fixed addresses were laid out for.
note=$(grep -a -o -m1 'sysinit-machine board=[A-Za-z0-9_.-]* ram_bytes=[0-9]*' "$image" | head -n1)
if [ -n "$note" ]; then
    built_board=${note#*board=}; built_board=${built_board%% *}
    built_bytes=${note##*ram_bytes=}
    if [ "$built_board" != qemu-x86_64 ]; then
        echo "run-x86_64: $image was built for board $built_board, not qemu-x86_64" >&2
        exit 2
    fi
    if [ $((built_bytes % 1048576)) -ne 0 ]; then
        echo "run-x86_64: $image was built for $built_bytes bytes of RAM, not whole MiB; QEMU cannot boot that" >&2
        exit 2
    fi
    built_mib=$((built_bytes / 1048576))
    if [ -n "$memory" ]; then
        asked=$(to_mib "$memory") || { echo "run-x86_64: --memory takes a size like 512M or 2G, not '$memory'" >&2; exit 2; }
        if [ "$asked" != "$built_mib" ]; then
            echo "run-x86_64: --memory $memory ($asked MiB) contradicts $image, built for $built_mib MiB of RAM:" >&2
            echo "            which of its fixed addresses are RAM or device memory depends on the RAM size." >&2
            echo "            Boot without --memory, or rebuild with \`sysinit build --ram $memory\`" >&2
            echo "            (--force-memory boots anyway, and the root task refuses what no longer fits)." >&2
            exit 2
        fi
    fi
    memory="${built_mib}M"
else
    [ -n "$memory" ] || memory=2G
    echo "run-x86_64: $image has no machine note (not made by \`sysinit build --roottask\`?); booting with -m $memory" >&2
fi
if [ -n "$force_memory" ]; then
    to_mib "$force_memory" >/dev/null || { echo "run-x86_64: --force-memory takes a size like 512M or 2G, not '$force_memory'" >&2; exit 2; }
    echo "run-x86_64: --force-memory: booting with -m $force_memory instead of $memory" >&2
    memory=$force_memory
fi

if [ -z "${SEL4_PREFIX:-}" ]; then
    echo "run-x86_64: SEL4_PREFIX is not set. It must name the directory holding x86_64/kernel32.elf" >&2
    echo "            (a kernel built from kernel-config/x86_64.cmake; see docs/kernel.md)." >&2
    exit 2
fi
kernel="$SEL4_PREFIX/x86_64/kernel32.elf"
if [ ! -f "$kernel" ]; then
    echo "run-x86_64: no kernel at $kernel. SEL4_PREFIX must contain x86_64/kernel32.elf" >&2
    echo "            (the 32-bit multiboot image of a kernel built from kernel-config/x86_64.cmake; see docs/kernel.md)." >&2
    exit 2
fi
command -v qemu-system-x86_64 >/dev/null || { echo "run-x86_64: qemu-system-x86_64 is not installed" >&2; exit 2; }

[ -n "$log" ] || log="$image.serial.log"
: > "$log" || { echo "run-x86_64: cannot write the log $log" >&2; exit 2; }

# Nehalem plus 1 GiB pages and XSAVE is what our kernel config needs; 46
# physical address bits let specs place device frames high (docs/kernel.md).
qemu-system-x86_64 \
    -machine q35,accel=tcg \
    -cpu Nehalem,+pdpe1gb,+xsave,+xsaveopt,phys-bits=46,enforce \
    -m "$memory" -display none -monitor none -serial stdio -no-reboot \
    -kernel "$kernel" -initrd "$image" \
    "${extra[@]}" </dev/null >>"$log" 2>&1 &
qemu=$!

# Kernel messages for a thread fault nobody handles, and for kernel failures.
fault_re='Found thread has no fault handler|Caught (cap|vm|unknown|user|null)|seL4 called fail|seL4 failed assertion|KERNEL PANIC'

# shellcheck source=qemu/watch-boot.sh
. "$(dirname "$0")/watch-boot.sh"
watch_boot run-x86_64 "$log" "$qemu" "$timeout_secs" "$fault_re" "${expect[@]}"
