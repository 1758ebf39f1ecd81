#!/bin/sh
# e2e: a real Linux L2 boots under tptvmm inside the emulated L1 host with
# 1 and 2 vCPUs and with 8 GiB; it must see its CPUs and memory, sleep, and
# end cleanly (through the debug-exit port and through ACPI power-off).
# Usage: linux_boot.sh SRC_DIR BUILD_DIR   (TPT_L2_KERNEL: another L2 kernel)
set -eu
src=$1 build=$2
tb=$src/tools/testbed
work=$build/e2e/linux_boot
mkdir -p "$work"
l2kernel=${TPT_L2_KERNEL:-$("$tb/host-kernel.sh")/vmlinuz}
"$tb/l1-image.sh" "$work/l1.cpio.gz" "$build" "$src/tests/e2e/linux_boot_l1.sh" --l2 "$l2kernel"
status=0
# L1 needs room for the 8 GiB guest (TCG allocates L1 RAM lazily).
"$tb/run-l1.sh" "$work/l1.cpio.gz" "$work/l1.log" 1200 10240 || status=1
grep -E '^(PASS|FAIL)' "$work/l1.log" | tr -d '\r'
exit $status
