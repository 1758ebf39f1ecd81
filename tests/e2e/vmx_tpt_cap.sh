#!/bin/sh
# e2e on the Intel VMX test bed (Bochs, TPT_TESTBED=bochs; kvm-intel in L1):
# tpt_kvm_test (every check, vmcall as the hypercall), the tiny guests
# (all but long_spin: Bochs 2.7 never exits to L1 while an L2 spins with
# interrupts off, tools/testbed/run-l1-bochs.sh), the TPT CPUID bit with
# and without --tpt, all on the patched kvm-intel, then tpt_kvm_test
# --restricted on kvm-intel reloaded with unrestricted_guest=0 (in the same
# L1 boot, vmx_tpt_cap_l1.sh); then tptvmm --tpt must
# fail with a clear message on Debian's stock kvm-intel. Any WARNING, BUG
# or Oops in either L1 kernel log fails the test (run-l1-bochs.sh).
# kvm_intel gets pml=0 in the patched run: Bochs 2.7 writes the whole
# guest-physical address, page offset included, into PML entries, so
# with PML every dirty-logging check (tpt_kvm_test turns dirty logging on
# under a TPT vCPU) made KVM's vmx_flush_pml_buffer() WARN (unaligned GPA).
# Usage: vmx_tpt_cap.sh SRC_DIR BUILD_DIR
set -eu
src=$1 build=$2
tb=$src/tools/testbed
. "$tb/common.sh"
work=$build/e2e/vmx_tpt_cap
mkdir -p "$work"
export TPT_TESTBED=bochs
cpuid="$build/tests/guests/tpt_cpuid.bin=/testbed/guests/tpt_cpuid.bin"
# tpt_kvm_test reads the host's PAT through /dev/cpu/N/msr.
msr="$("$tb/host-kernel.sh")/modules/msr.ko=/lib/modules/msr.ko"

echo pml=0 > "$work/kvm-intel.args"
status=0
"$tb/l1-image.sh" "$work/patched.cpio.gz" "$build" "$src/tests/e2e/vmx_tpt_cap_l1.sh" --guests \
	"$work/kvm-intel.args=/lib/modules/kvm-intel.args" \
	"$build/tests/tpt/tpt_kvm_test=/testbed/tpt_kvm_test" \
	"$src/tests/kvm=/testbed/kvm" "$src/tests/tpt=/testbed/tpt" "$msr"
"$tb/run-l1.sh" "$work/patched.cpio.gz" "$work/patched.log" 900 || status=1
l1_env "$work/stock.env" NAME=stock_kvm_intel_refuses_tpt MODULE=kvm_intel
TPT_KVM_MODULES=debian "$tb/l1-image.sh" "$work/stock.cpio.gz" "$build" \
	"$src/tests/e2e/stock_kvm_l1.sh" --env "$work/stock.env" "$cpuid"
"$tb/run-l1.sh" "$work/stock.cpio.gz" "$work/stock.log" 600 || status=1
cat "$work/patched.log" "$work/stock.log" | tr -d '\r' |
	grep -E '^(PASS|FAIL|SKIP|TPT-COST|tpt_kvm_test:|tiny guests:)'
grep -q '^TESTBED-RESULT: PASS' "$work/patched.log" || { echo "patched kvm-intel run failed"; status=1; }
grep -q '^TESTBED-RESULT: PASS' "$work/stock.log" || { echo "stock kvm-intel run failed"; status=1; }
exit $status
