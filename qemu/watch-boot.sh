# Decides the outcome of a QEMU boot from its serial log; sourced by run-x86_64.sh
# and run-aarch64.sh, which start QEMU and then call watch_boot.
#
#   watch_boot NAME LOG QEMU_PID TIMEOUT_SECS FAULT_RE [EXPECTED_PD]...
#
# Success: a `SYSINIT summary` line and `SYSINIT pd PD ok` for every expected PD.
# Failure, as soon as it shows: `SYSINIT error` (the root task stopped), a PD's
# `SYSINIT pd PD fail:` or `... panic:` line, a line matching FAULT_RE (kernel or
# loader trouble), QEMU exiting, or the timeout. QEMU is stopped either way;
# prints the verdict and returns 0 or 1.

watch_boot() {
    local name=$1 log=$2 qemu=$3 timeout_secs=$4 fault_re=$5
    shift 5
    local expect=("$@") missing=() outcome="" reason="" line pd
    local deadline=$((SECONDS + timeout_secs))
    local pd_fail_re='SYSINIT pd [^ ]+ (fail|panic):'

    stop_qemu() {
        kill "$qemu" 2>/dev/null
        wait "$qemu" 2>/dev/null
    }
    trap 'stop_qemu; exit 1' INT TERM

    # The first failure in the log, described; nothing if there is none yet.
    failure() {
        if line=$(grep -a -m1 'SYSINIT error' "$log"); then
            echo "the root task reported: ${line#*SYSINIT error: }"
        elif line=$(grep -a -m1 -E "$pd_fail_re" "$log"); then
            echo "a PD failed: ${line#*SYSINIT pd }"
        elif line=$(grep -a -m1 -E "$fault_re" "$log"); then
            echo "the kernel or loader reported a failure: $line"
        fi
    }

    while :; do
        reason=$(failure)
        if [ -n "$reason" ]; then
            # The line may still be arriving byte by byte: give it a moment, then quote it whole.
            sleep 0.5
            outcome=fail reason=$(failure)
            break
        fi
        if grep -aq 'SYSINIT summary' "$log"; then
            missing=()
            for pd in "${expect[@]}"; do
                grep -aq "SYSINIT pd $pd ok" "$log" || missing+=("$pd")
            done
            if [ ${#missing[@]} -eq 0 ]; then
                outcome=ok reason="summary and ${#expect[@]} expected PD(s) seen"
                break
            fi
        fi
        if ! kill -0 "$qemu" 2>/dev/null; then
            outcome=fail reason="QEMU exited before the outcome was known"
            break
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            if grep -aq 'SYSINIT summary' "$log"; then
                reason="timeout after ${timeout_secs}s: the root task finished but no 'SYSINIT pd NAME ok' for: ${missing[*]}"
            else
                reason="timeout after ${timeout_secs}s without a 'SYSINIT summary' line"
            fi
            outcome=fail
            break
        fi
        sleep 0.2
    done
    stop_qemu
    trap - INT TERM

    if [ "$outcome" = ok ]; then
        echo "$name: ok: $reason (log: $log)"
        return 0
    fi
    echo "$name: FAILED: $reason (log: $log)" >&2
    return 1
}
