#!/usr/bin/env bash
# Boots a sysinit-loader image (seL4 kernel + root task + device tree) on QEMU virt aarch64 at EL2
# or EL1 and decides the outcome from the serial log.
#
#   qemu/run-aarch64.sh LOADER [--expect-pd NAME]... [--log FILE] [--timeout SECS]
#                              [--virtualization on|off] [--qemu-arg ARG]...
#
# --virtualization off boots the kernel at EL1 (kernel-config/aarch64-el1.cmake, board
# qemu-aarch64-virt-el1); the default follows the board the image was built for, else on.
# LOADER is the sysinit-loader ELF with everything embedded (docs/loader.md); this script builds
# nothing. Serial output goes to the log (default LOADER.serial.log), which is kept. QEMU is killed
# as soon as the outcome is known. RAM is always 2048 MiB: the kernel's device tree was made for it.
#
# Exit 0: the root task printed `SYSINIT summary` and, for every --expect-pd
#         NAME, a line `SYSINIT pd NAME ok` appeared.
# Exit 1: `SYSINIT error`, a PD's `fail:`/`panic:` line, a loader refusal, a kernel fault report, QEMU exiting early, or the timeout.
# Exit 2: bad usage or a missing QEMU/image.
#
# --qemu-arg passes one argument through to QEMU, e.g. `--qemu-arg -d --qemu-arg int`.
set -u

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

image="" log="" timeout_secs=60 virt=
expect=() extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --expect-pd) [ $# -ge 2 ] || usage; expect+=("$2"); shift 2 ;;
        --log) [ $# -ge 2 ] || usage; log="$2"; shift 2 ;;
        --timeout) [ $# -ge 2 ] || usage; timeout_secs="$2"; shift 2 ;;
        --qemu-arg) [ $# -ge 2 ] || usage; extra+=("$2"); shift 2 ;;
        --virtualization) [ $# -ge 2 ] || usage; virt="$2"; shift 2
           case "$virt" in on|off) ;; *) echo "run-aarch64: --virtualization takes on or off, not '$virt'" >&2; exit 2 ;; esac ;;
        -h|--help) usage ;;
        -*) echo "run-aarch64: unknown option $1" >&2; usage ;;
        *) [ -z "$image" ] || { echo "run-aarch64: more than one LOADER given ($image, $1)" >&2; exit 2; }
           image="$1"; shift ;;
    esac
done
[ -n "$image" ] || usage
case "$timeout_secs" in ''|*[!0-9]*) echo "run-aarch64: --timeout takes whole seconds, not '$timeout_secs'" >&2; exit 2 ;; esac
[ -f "$image" ] || { echo "run-aarch64: loader image $image does not exist (build crates/loader, see docs/loader.md)" >&2; exit 2; }
command -v qemu-system-aarch64 >/dev/null || { echo "run-aarch64: qemu-system-aarch64 is not installed" >&2; exit 2; }

# The machine note `sysinit build` writes after the spec (crates/image), embedded in the
# loader with the root task: the spec must have been built for the 2048 MiB booted here.
note=$(grep -a -o -m1 'sysinit-machine board=[A-Za-z0-9_.-]* ram_bytes=[0-9]*' "$image" | head -n1)
board=qemu-aarch64-virt
[ "$virt" = off ] && board=qemu-aarch64-virt-el1
if [ -n "$note" ]; then
    built_board=${note#*board=}; built_board=${built_board%% *}
    built_bytes=${note##*ram_bytes=}
    # Without --virtualization the board the image was built for decides.
    if [ -z "$virt" ] && [ "$built_board" = qemu-aarch64-virt-el1 ]; then
        board=qemu-aarch64-virt-el1 virt=off
    fi
    if [ "$built_board" != "$board" ] || [ "$built_bytes" != $((2048 * 1048576)) ]; then
        echo "run-aarch64: $image holds a spec built for board $built_board with $built_bytes bytes of RAM," >&2
        echo "             but this runner boots $board with 2048 MiB (the kernel's device tree" >&2
        echo "             fixes it); rebuild with \`sysinit build --board $board\` (default RAM) or --ram 2G" >&2
        exit 2
    fi
fi
[ -n "$virt" ] || virt=on

[ -n "$log" ] || log="$image.serial.log"
: > "$log" || { echo "run-aarch64: cannot write the log $log" >&2; exit 2; }

# virtualization=on: QEMU enters the loader at EL2, where the hypervisor-mode
# kernel runs; off: at EL1, for the kernel without hypervisor support. The machine
# options and -m 2048 must match the device tree the kernel was built with
# (docs/kernel.md).
qemu-system-aarch64 \
    -machine "virt,secure=off,virtualization=$virt,highmem=on,gic-version=2" \
    -cpu cortex-a57 -smp 1 -m 2048 \
    -display none -monitor none -serial stdio -no-reboot \
    -kernel "$image" \
    "${extra[@]}" </dev/null >>"$log" 2>&1 &
qemu=$!

# Loader refusals and panics, kernel messages for a thread fault nobody
# handles, and kernel failures.
fault_re='sysinit-loader: (refusing to boot|panic)|Found thread has no fault handler|Caught (cap|vm|unknown|user|null)|seL4 called fail|seL4 failed assertion|KERNEL PANIC|halting\.\.\.'

# shellcheck source=qemu/watch-boot.sh
. "$(dirname "$0")/watch-boot.sh"
watch_boot run-aarch64 "$log" "$qemu" "$timeout_secs" "$fault_re" "${expect[@]}"
