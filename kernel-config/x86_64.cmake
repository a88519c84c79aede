# seL4 kernel settings for sysinit on x86_64 (QEMU q35, TCG or KVM).
#
# Cache initial settings: pass this file to cmake with `-C` when configuring the
# kernel source tree (see docs/kernel.md). Every value the sysinit crates depend
# on is set explicitly, even where it equals the kernel default, so that a change
# of kernel defaults cannot silently change object sizes, invocation label
# numbers or the boot info layout. Values mirrored in Rust:
#   crates/kobj   (object sizes, fan-out limit, kernel window)
#   crates/sel4   (syscall numbers, labels, object type numbers, BootInfo layout)

set(KernelPlatform "pc99" CACHE STRING "")
set(KernelSel4Arch "x86_64" CACHE STRING "")

# Debug kernel that prints: the smoke tests read the serial console, and
# seL4_DebugPutChar is how the root task reports progress.
set(KernelVerificationBuild OFF CACHE BOOL "")
set(KernelDebugBuild ON CACHE BOOL "")
set(KernelPrinting ON CACHE BOOL "")
set(KernelOptimisation "-O2" CACHE STRING "")

# Classic (non-MCS) scheduler, one core: the syscall numbers and the BootInfo
# layout in crates/sel4 are for exactly this combination.
set(KernelIsMCS OFF CACHE BOOL "")
set(KernelMaxNumNodes "1" CACHE STRING "")
set(KernelNumDomains "1" CACHE STRING "")
set(KernelBenchmarks "none" CACHE STRING "")
set(KernelDangerousCodeInjection OFF CACHE BOOL "")
set(HardwareDebugAPI OFF CACHE BOOL "")

# Build for a baseline x86-64 CPU: the kernel then runs on any QEMU CPU model
# (and the "compiled for another microarchitecture" check stays quiet).
set(KernelX86MicroArch "generic" CACHE STRING "")

# FS/GS base through MSRs: works on CPUs without the FSGSBASE instructions.
set(KernelFSGSBase "msr" CACHE STRING "")
# QEMU TCG offers no PCID; the kernel would refuse to boot without it.
set(KernelSupportPCID OFF CACHE BOOL "")
# 1 GiB pages: the kernel maps its window with them; the CPU needs pdpe1gb.
set(KernelHugePage ON CACHE BOOL "")

# FPU state saved with plain XSAVE, x87 + SSE only (feature mask 3), which the
# CPU reports as a 576-byte area. Anything from 832 bytes on would double the
# TCB to 4 KiB (seL4_TCBBits 12); crates/kobj assumes 11.
set(KernelFPU "XSAVE" CACHE STRING "")
set(KernelXSave "XSAVE" CACHE STRING "")
set(KernelXSaveFeatureSet "3" CACHE STRING "")
set(KernelXSaveSize "576" CACHE STRING "")

# Interrupts through the IOAPIC in xAPIC mode; q35 has one IOAPIC.
set(KernelIRQController "IOAPIC" CACHE STRING "")
set(KernelLAPICMode "XAPIC" CACHE STRING "")
set(KernelMaxNumIOAPIC "1" CACHE STRING "")

# No IOMMU and no VT-x: both would add invocation labels and object types
# (and so renumber what crates/sel4 hard-codes).
set(KernelIOMMU OFF CACHE BOOL "")
set(KernelVTX OFF CACHE BOOL "")

set(KernelFastpath ON CACHE BOOL "")

# At most 256 objects per Untyped_Retype (the kernel default, stated so the
# planner's batching in crates/kobj can rely on it).
set(KernelRetypeFanOutLimit "256" CACHE STRING "")

# Boot info untyped list: the device space [0, 2^47) of a q35 machine chops
# into about 60-70 size-aligned device untypeds (the top region wraps around
# 2^64 in kernel-virtual space) and RAM into a few dozen more; an entry the
# list cannot hold is silently lost. 230 is the kernel default, leaves more
# than 100 spare and still fits the 4 KiB boot info frame (168 + 230 * 16 bytes).
set(KernelMaxNumBootinfoUntypedCaps "230" CACHE STRING "")

# Root CNode of 2^19 slots (16 MiB): room for every object a spec creates.
set(KernelRootCNodeSizeBits "19" CACHE STRING "")
