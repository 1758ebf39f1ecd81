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
cat > "$work/run.sh" <<'RUN'
#!/bin/sh
rc=0
# Backstops only: a stuck guest is caught by the silence watchdogs
# (l2-check.sh: 420 s, run-l1.sh: 600 s; the checks print at least every
# few minutes even on a busy host), so a slow host must not fail here.
# On one third of a core the verify run alone took over 900 s.
export L2_TIMEOUT=2400
# Short TPT processes to churn per mode (each forks one more): about 2.5
# runs a second in the emulated test bed.
# Trust mode boots with nohz_full=1: CPU 1 without a tick (the table
# freeing check).
for mode in verify:200: trust:200:nohz_full=1; do
	extra=${mode##*:} mode=${mode%:*}
	churn=${mode#*:} mode=${mode%:*}
	# A 64 MiB disk for the guest's swap (the reclaim check).
	dd if=/dev/zero of=/tmp/swap.img bs=1M count=64 2>/dev/null
	# The L2 console, live and marked with L1's uptime: shows where a hang is.
	# The run ends in a reboot with a TPT process running (l2exit=reboot):
	# no vCPU may be left armed or in TPT.
	L2_RELAY=1 L2_CMDLINE="pti=on init_on_free=1 tptcase=on tptchurn=$churn $extra" sh /testbed/l2-check.sh "tpt_$mode" tptvmm 2 512 reboot \
		--tpt="$mode" --disk /tmp/swap.img || rc=1
	rm -f /tmp/swap.img
	grep -E '^TPT-' "/tmp/l2-tpt_$mode.out" | grep -v '^TPT-PROGRESS' | tr -d '\r'
	kst=$(grep -E 'KVM TPT' "/tmp/l2-tpt_$mode.err")
	echo "$kst"
	if ! echo "$kst " | grep -q ' tpt_armed=0 ' || ! echo "$kst " | grep -q ' tpt_active=0 '; then
		echo "FAIL reboot_disarmed_$mode: vCPUs left armed or in TPT at the reboot: $kst"; rc=1
	elif ! grep -q '^TPT-REBOOT with a TPT process running' "/tmp/l2-tpt_$mode.out"; then
		echo "FAIL reboot_disarmed_$mode: no TPT process was running at the reboot"; rc=1
	else
		echo "PASS reboot_disarmed_$mode: rebooted with a TPT process running, no vCPU left armed or in TPT"
	fi
done
L2_CMDLINE="pti=on tptcase=off" sh /testbed/l2-check.sh tpt_no_host tptvmm 1 256 debug || rc=1
grep -E '^TPT-' /tmp/l2-tpt_no_host.out | tr -d '\r'
exit $rc
RUN
"$tb/l1-image.sh" "$work/l1.cpio.gz" "$build" "$work/run.sh" --l2 "$l2kernel" \
	--l2-file "$src/tests/e2e/tpt_guest_l2.sh=/testbed/l2-run.sh" \
	--l2-file "$build/tools/guest/tpt-memtest=/bin/tpt-memtest" \
	--l2-file "$build/tools/guest/tpt-corecheck=/bin/tpt-corecheck"
status=0
# A stall fails the test: run-l1.sh and l2-check.sh say where it was.
"$tb/run-l1.sh" "$work/l1.cpio.gz" "$work/l1.log" 5400 || status=$?
[ $status = 0 ] || status=1
grep -E '^(PASS|FAIL|TPT-|tptvmm: KVM TPT|L2-STALL|L2-GAP|  )' "$work/l1.log" | tr -d '\r'
grep -q '^TESTBED-RESULT: PASS' "$work/l1.log" || status=1
exit $status
