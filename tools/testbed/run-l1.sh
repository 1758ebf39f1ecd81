#!/bin/sh
# Boots the L1 host under QEMU TCG with emulated AMD SVM + NPT and waits for
# its TESTBED-RESULT line. Every stage is bounded by the overall timeout;
# on a hang the last TESTBED-STAGE seen is named.
# Usage: run-l1.sh INITRAMFS LOG [TIMEOUT_SEC] [MEM_MB] [SMP]
set -u
. "$(dirname "$0")/common.sh"
initrd=$1 log=$2 limit=${3:-900} mem=${4:-2048} smp=${5:-2}
hostdir=$("$(dirname "$0")/host-kernel.sh") || exit 1
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: apt-get install qemu-system-x86"
start=$(date +%s)
timeout --foreground "$limit" qemu-system-x86_64 -accel "tcg,thread=${TPT_TCG_THREAD:-single}" -cpu EPYC,+svm,+npt \
	-m "$mem" -smp "$smp" -nographic -no-reboot -monitor none -serial stdio \
	-kernel "$hostdir/vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 mitigations=off" \
	</dev/null >"$log" 2>&1
rc=$?
secs=$(( $(date +%s) - start ))
if grep -q '^TESTBED-RESULT: PASS' "$log"; then
	echo "testbed: PASS after ${secs}s (emulated L1; log $log)"
	exit 0
fi
last=$(grep '^TESTBED-STAGE:' "$log" | tail -1 | sed 's/TESTBED-STAGE: //')
if [ "$rc" = 124 ]; then
	echo "testbed: TIMEOUT after ${limit}s in stage '${last:-L1 boot}' (log $log)"
elif grep -q '^TESTBED-RESULT: FAIL' "$log"; then
	echo "testbed: FAIL in stage '${last:-?}' after ${secs}s (log $log)"
else
	echo "testbed: L1 ended (qemu status $rc) without a result in stage '${last:-L1 boot}' (log $log)"
fi
tail -40 "$log" | tr -d '\r'
exit 1
