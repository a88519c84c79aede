#!/usr/bin/env python3
"""Times a boot: seconds from starting a command (a QEMU run with -serial stdio) to the
first output line containing each PATTERN; stops the command once every pattern was
seen (or after --timeout seconds) and prints one line per pattern.

    qemu/serial-timestamps.py [--timeout SECS] PATTERN... -- COMMAND...

Example (docs/performance.md, the Linux guest):
    qemu/serial-timestamps.py 'Linux version' 'Run /init' 'init: all checks passed' -- \\
        qemu-system-aarch64 -machine virt,secure=off,virtualization=on,highmem=on,gic-version=2 \\
        -cpu cortex-a57 -smp 1 -m 2048 -display none -monitor none -serial stdio -no-reboot \\
        -kernel target/boots-aarch64/linux/loader.elf \\
        -object memory-backend-file,id=shm,share=on,mem-path=/tmp/shm,size=1M \\
        -device ivshmem-plain,memdev=shm
"""
import subprocess
import sys
import time


def main(argv):
    timeout = 300.0
    if argv[:1] == ["--timeout"]:
        timeout, argv = float(argv[1]), argv[2:]
    if "--" not in argv:
        sys.exit(__doc__)
    split = argv.index("--")
    patterns, command = argv[:split], argv[split + 1:]
    if not patterns or not command:
        sys.exit(__doc__)
    seen = {}
    start = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    for raw in proc.stdout:
        now = time.monotonic() - start
        line = raw.decode(errors="replace")
        for p in patterns:
            if p not in seen and p in line:
                seen[p] = now
        if len(seen) == len(patterns) or now > timeout:
            break
    proc.kill()
    proc.wait()
    for p in patterns:
        print(f"{seen[p]:8.2f} s  {p}" if p in seen else f"     not seen  {p}")
    return 0 if len(seen) == len(patterns) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
