#!/usr/bin/env bash
# Boots a sysinit root task image on seL4 x86_64 in QEMU and decides the outcome from the serial log.
#
#   qemu/run-x86_64.sh IMAGE [--expect-pd NAME]... [--log FILE] [--timeout SECS]
#                            [--memory SIZE] [--qemu-arg ARG]...
#
# IMAGE is a root task ELF with its spec embedded (`sysinit build`). The kernel
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
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

image="" log="" timeout_secs=60 memory=2G
expect=() extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --expect-pd) [ $# -ge 2 ] || usage; expect+=("$2"); shift 2 ;;
        --log) [ $# -ge 2 ] || usage; log="$2"; shift 2 ;;
        --timeout) [ $# -ge 2 ] || usage; timeout_secs="$2"; shift 2 ;;
        --memory) [ $# -ge 2 ] || usage; memory="$2"; shift 2 ;;
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
