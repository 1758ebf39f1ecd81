#!/bin/sh
# e2e on the Intel VMX test bed (Bochs, TPT_TESTBED=bochs): our guest kernel
# (guest_kernel/) as L2 under tptvmm --tpt=verify on the patched kvm-intel,
# one vCPU (Bochs 2.7 never exits to L1 while an L2 vCPU spins with IF=0,
# as a CPU waiting for another one does): devirt init, tpt-memtest with
# the same checksums as without TPT, the guest's counters and KVM's TPT
# statistics (tptvmm prints them) showing it ran under TPT
# (vmx_tpt_guest_l2.sh). Any WARNING, BUG or Oops in L1's log fails it.
# $TPT_L2_KERNEL: a guest bzImage already built (default: build it with
# tools/build-guest-kernel.sh).
# Usage: vmx_tpt_guest.sh SRC_DIR BUILD_DIR
set -eu
src=$1 build=$2
tb=$src/tools/testbed
work=$build/e2e/vmx_tpt_guest
mkdir -p "$work"
export TPT_TESTBED=bochs
l2kernel=${TPT_L2_KERNEL:-$("$src/tools/build-guest-kernel.sh")}
"$tb/l1-image.sh" "$work/l1.cpio.gz" "$build" "$src/tests/e2e/vmx_tpt_guest_l1.sh" --l2 "$l2kernel" \
	--l2-file "$src/tests/e2e/vmx_tpt_guest_l2.sh=/testbed/l2-run.sh" \
	--l2-file "$src/tests/e2e/tpt_lib_l2.sh=/testbed/tpt-lib.sh" \
	--l2-file "$build/tools/guest/tpt-memtest=/bin/tpt-memtest"
status=0
"$tb/run-l1.sh" "$work/l1.cpio.gz" "$work/l1.log" 1700 || status=1
grep -E '^(PASS|FAIL|TPT-|tptvmm: KVM TPT|L2-GAP)' "$work/l1.log" | tr -d '\r'
grep -q '^TESTBED-RESULT: PASS' "$work/l1.log" || status=1
grep -q '^TPT-RESULT rc=0' "$work/l1.log" || status=1
grep -q 'tptvmm: KVM TPT stats: .* tpt_enters=[1-9]' "$work/l1.log" ||
	{ echo "FAIL kvm_counted_tpt: no tpt_enters in tptvmm's KVM statistics"; status=1; }
exit $status
