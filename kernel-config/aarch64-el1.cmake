# seL4 kernel settings for sysinit on aarch64 (QEMU virt, Cortex-A57, kernel at EL1, no hypervisor support).
#
# Cache initial settings: pass this file to cmake with `-C` when configuring the
# kernel source tree (see docs/kernel.md). Every value the sysinit crates depend
# on is set explicitly, even where it equals the kernel default. Values mirrored
# in Rust: crates/kobj (object sizes, kernel window) and crates/sel4 (numbers,
# labels, BootInfo layout).

set(KernelPlatform "qemu-arm-virt" CACHE STRING "")
set(KernelSel4Arch "aarch64" CACHE STRING "")
# The platform reads the CPU from ARM_CPU. Cortex-A57 has a 44-bit physical
# address size, so QEMU's high PCIe window at 512 GiB is reachable and device
# untypeds reach up to 2^44.
set(ARM_CPU "cortex-a57" CACHE STRING "")
# The kernel runs at EL1: no VCPU objects, no stage-2 VSpaces; its window starts at
# 0xffffff8000000000, so device memory at or above 2^39 wraps in kernel-virtual space.
set(KernelArmHypervisorSupport OFF CACHE BOOL "")
set(QEMU_GIC_VERSION "2" CACHE STRING "")
# The kernel build asks the installed qemu-system-aarch64 for the device tree of
# `-machine virt,secure=off,gic-version=2 -cpu cortex-a57 -smp 1 -m 2048`
# (no virtualization=on without hypervisor support; highmem is on by default);
# the memory size here and on the QEMU command line that boots the
# kernel must be the same. Without hypervisor support there is no guest-RAM
# carve-out: the kernel's RAM is all of 0x40000000..0xc0000000 and the kernel
# image loads at 0x40000000.
set(QEMU_MEMORY "2048" CACHE STRING "")

set(KernelVerificationBuild OFF CACHE BOOL "")
set(KernelDebugBuild ON CACHE BOOL "")
set(KernelPrinting ON CACHE BOOL "")
set(KernelOptimisation "-O2" CACHE STRING "")

set(KernelIsMCS OFF CACHE BOOL "")
set(KernelMaxNumNodes "1" CACHE STRING "")
set(KernelNumDomains "1" CACHE STRING "")
set(KernelBenchmarks "none" CACHE STRING "")
set(KernelDangerousCodeInjection OFF CACHE BOOL "")
# No hardware debug API: it would grow the TCB beyond 2^11 bytes.
set(HardwareDebugAPI OFF CACHE BOOL "")
set(KernelArmGicV3 OFF CACHE BOOL "")
set(KernelAllowSMCCalls OFF CACHE BOOL "")
# The root task reads the generic timer's virtual counter (cntvct_el0) to report the
# cycles its initialization took on the summary line; without this export the read
# traps. The physical counter stays kernel-only. Neither changes object sizes,
# invocation labels or the boot info layout.
set(KernelArmExportPCNTUser OFF CACHE BOOL "")
set(KernelArmExportVCNTUser ON CACHE BOOL "")

set(KernelFastpath ON CACHE BOOL "")
set(KernelRetypeFanOutLimit "256" CACHE STRING "")
# Same reasoning as x86_64.cmake: the device space below 2^44 plus RAM chops
# into far fewer than 230 size-aligned untypeds; 230 fits the boot info frame.
set(KernelMaxNumBootinfoUntypedCaps "230" CACHE STRING "")
set(KernelRootCNodeSizeBits "19" CACHE STRING "")
