# seL4 kernel settings for sysinit on aarch64 (QEMU virt, Cortex-A57, kernel at EL1, no hypervisor support).
#
# Cache initial settings: pass this file to cmake with `-C` when configuring the
# kernel source tree (see docs/kernel.md). Every setting is aarch64.cmake's (same
# commit, same values), read from it here so the two cannot drift apart, except one:
#
# The kernel runs at EL1: no VCPU objects, no stage-2 VSpaces; its window starts at
# 0xffffff8000000000, so device memory at or above 2^39 wraps in kernel-virtual space.
# The kernel build asks QEMU for the device tree of `-machine virt,secure=off,
# gic-version=2 -cpu cortex-a57 -smp 1 -m 2048` (no virtualization=on without
# hypervisor support); without hypervisor support there is no guest-RAM carve-out:
# the kernel's RAM is all of 0x40000000..0xc0000000 and the kernel image loads at
# 0x40000000.
include(${CMAKE_CURRENT_LIST_DIR}/aarch64.cmake)
# FORCE: aarch64.cmake has just put ON into the cache.
set(KernelArmHypervisorSupport OFF CACHE BOOL "" FORCE)
