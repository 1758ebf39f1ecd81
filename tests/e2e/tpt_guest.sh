#!/bin/sh
# e2e: the enlightened guest kernel (guest_kernel/patches) under tptvmm
# --tpt on the patched KVM, in the emulated L1. Inside L2 (tpt_guest_l2.sh):
# /sys/kernel/devirt and /sys/kernel/mm/devirt/task_name behave as
# documented; tpt-memtest gives the same checksums with and without TPT,
# the guest's statistics and KVM's show that it ran under TPT; its core
# dump holds what it wrote; the per-pid switch works and companion tables
# are accounted (SecPageTables); THP split and collapse, compaction,
# clear_refs and reclaim to swap (a virtio-blk disk) keep the data of a
# TPT process intact; many short TPT processes leave no
# companion pages behind. Without --tpt the guest must report 0 and
# refuse writes with ENODEV.
# Usage: tpt_guest.sh SRC_DIR BUILD_DIR
set -eu
src=$1 build=$2
tb=$src/tools/testbed
work=$build/e2e/tpt_guest
mkdir -p "$work"
l2kernel=$("$src/tools/build-guest-kernel.sh")
# A stalled test bed names the L2 kernel function its CPU is in (run-l1.sh).
TPT_STALL_MAPS=$(cd "$(dirname "$l2kernel")/../../.." && pwd)/System.map
export TPT_STALL_MAPS
"$tb/l1-image.sh" "$work/l1.cpio.gz" "$build" "$src/tests/e2e/tpt_guest_l1.sh" --l2 "$l2kernel" \
	--l2-file "$src/tests/e2e/tpt_guest_l2.sh=/testbed/l2-run.sh" \
	--l2-file "$src/tests/e2e/tpt_lib_l2.sh=/testbed/tpt-lib.sh" \
	--l2-file "$build/tools/guest/tpt-memtest=/bin/tpt-memtest" \
	--l2-file "$build/tools/guest/tpt-corecheck=/bin/tpt-corecheck"
status=0
# A stall fails the test: run-l1.sh and l2-check.sh say where it was.
"$tb/run-l1.sh" "$work/l1.cpio.gz" "$work/l1.log" 5400 || status=$?
[ $status = 0 ] || status=1
grep -E '^(PASS|FAIL|TPT-|tptvmm: KVM TPT|L2-STALL|L2-GAP|  )' "$work/l1.log" | tr -d '\r'
grep -q '^TESTBED-RESULT: PASS' "$work/l1.log" || status=1
exit $status
