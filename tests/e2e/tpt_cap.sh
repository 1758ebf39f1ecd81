#!/bin/sh
# e2e: the TPT capability on the patched KVM (host_kernel/patches) in the
# emulated L1: tpt_kvm_test checks KVM's side; tiny guests check that the
# CPUID bit reaches the guest only with --tpt. Then, on Debian's stock KVM,
# tptvmm --tpt must fail with a clear message and no guest.
# Usage: tpt_cap.sh SRC_DIR BUILD_DIR
set -eu
src=$1 build=$2
tb=$src/tools/testbed
work=$build/e2e/tpt_cap
mkdir -p "$work"
guests="$build/tests/guests/tpt_cpuid.bin=/testbed/guests/tpt_cpuid.bin"

cat > "$work/run-patched.sh" <<'RUN'
#!/bin/sh
rc=0
/testbed/tpt_kvm_test || rc=1
sh /testbed/kvm/run_all.sh /testbed/tptvmm /testbed/guests /testbed/tpt/cases.txt || rc=1
# The hostile guests above must not make the host kernel warn.
if dmesg | grep -E 'WARNING:|BUG:|Oops|general protection'; then
	echo "FAIL host_kernel_log: KVM warned (above)"
	rc=1
else
	echo "PASS host_kernel_log: no WARN, BUG or Oops in the L1 kernel log"
fi
exit $rc
RUN
cat > "$work/run-stock.sh" <<'RUN'
#!/bin/sh
/testbed/tptvmm --tpt --raw /testbed/guests/tpt_cpuid.bin --raw-mode real --mem 32M \
	</dev/null >/tmp/out 2>/tmp/err
rc=$?
msg=$(head -1 /tmp/err)
if [ $rc = 1 ] && grep -q 'KVM_CAP_X86_TPT' /tmp/err && ! grep -q 'TPT-CPUID' /tmp/out; then
	echo "PASS stock_kvm_refuses_tpt: exit 1, '$msg'"
	exit 0
fi
echo "FAIL stock_kvm_refuses_tpt: exit $rc, stderr '$msg', stdout '$(head -1 /tmp/out)'"
exit 1
RUN
status=0
"$tb/l1-image.sh" "$work/patched.cpio.gz" "$build" "$work/run-patched.sh" \
	"$build/tests/tpt/tpt_kvm_test=/testbed/tpt_kvm_test" \
	"$src/tests/kvm=/testbed/kvm" "$src/tests/tpt=/testbed/tpt" $guests
"$tb/run-l1.sh" "$work/patched.cpio.gz" "$work/patched.log" 600 >/dev/null || status=1
TPT_KVM_MODULES=debian "$tb/l1-image.sh" "$work/stock.cpio.gz" "$build" \
	"$work/run-stock.sh" $guests
"$tb/run-l1.sh" "$work/stock.cpio.gz" "$work/stock.log" 600 >/dev/null || status=1
cat "$work/patched.log" "$work/stock.log" | tr -d '\r' |
	grep -E '^(PASS|FAIL|SKIP|TPT-COST|tpt_kvm_test:|tiny guests:|testbed:)'
grep -q '^TESTBED-RESULT: PASS' "$work/patched.log" || { echo "patched KVM run failed"; status=1; }
grep -q '^TESTBED-RESULT: PASS' "$work/stock.log" || { echo "stock KVM run failed"; status=1; }
exit $status
