#!/bin/sh
# e2e: the TPT capability on the patched KVM (host_kernel/patches) in the
# emulated L1: tpt_kvm_test checks KVM's side; tiny guests check that the
# CPUID bit reaches the guest only with --tpt. Then, on Debian's stock KVM,
# tptvmm --tpt must fail with a clear message and no guest.
# Usage: tpt_cap.sh SRC_DIR BUILD_DIR
set -eu
src=$1 build=$2
tb=$src/tools/testbed
. "$tb/common.sh"
work=$build/e2e/tpt_cap
mkdir -p "$work"
guests="$build/tests/guests/tpt_cpuid.bin=/testbed/guests/tpt_cpuid.bin"
# tpt_kvm_test reads the host's PAT through /dev/cpu/N/msr.
msr="$("$tb/host-kernel.sh")/modules/msr.ko=/lib/modules/msr.ko"

status=0
"$tb/l1-image.sh" "$work/patched.cpio.gz" "$build" "$src/tests/e2e/tpt_cap_l1.sh" \
	"$build/tests/tpt/tpt_kvm_test=/testbed/tpt_kvm_test" \
	"$src/tests/kvm=/testbed/kvm" "$src/tests/tpt=/testbed/tpt" $guests "$msr" \
	"$build/tests/guests/tpt_virtio_attack.bin=/testbed/guests/tpt_virtio_attack.bin"
"$tb/run-l1.sh" "$work/patched.cpio.gz" "$work/patched.log" 600 >/dev/null || status=1
l1_env "$work/stock.env" NAME=stock_kvm_refuses_tpt MODULE=
TPT_KVM_MODULES=debian "$tb/l1-image.sh" "$work/stock.cpio.gz" "$build" \
	"$src/tests/e2e/stock_kvm_l1.sh" --env "$work/stock.env" $guests
"$tb/run-l1.sh" "$work/stock.cpio.gz" "$work/stock.log" 600 >/dev/null || status=1
cat "$work/patched.log" "$work/stock.log" | tr -d '\r' |
	grep -E '^(PASS|FAIL|SKIP|TPT-COST|tpt_kvm_test:|tiny guests:|testbed:)'
grep -q '^TESTBED-RESULT: PASS' "$work/patched.log" || { echo "patched KVM run failed"; status=1; }
grep -q '^TESTBED-RESULT: PASS' "$work/stock.log" || { echo "stock KVM run failed"; status=1; }
exit $status
