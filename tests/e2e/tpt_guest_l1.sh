#!/bin/sh
# Inside L1 for e2e_tpt_guest (tpt_guest.sh): our guest kernel under
# tptvmm --tpt in verify and then trust mode, 2 vCPUs, the L2 checks of
# tpt_guest_l2.sh, each run ended by a reboot with a TPT process running;
# then one L2 without --tpt.
# shellcheck source=SCRIPTDIR/../../tools/testbed/l1-lib.sh
. /testbed/l1-lib.sh
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
	l2_lines "tpt_$mode" '^TPT-' | grep -v '^TPT-PROGRESS'
	kst=$(kvm_tpt_stats "tpt_$mode")
	echo "$kst"
	if ! echo "$kst " | grep -q ' tpt_armed=0 ' || ! echo "$kst " | grep -q ' tpt_active=0 '; then
		fail "reboot_disarmed_$mode" "vCPUs left armed or in TPT at the reboot: $kst" || rc=1
	elif ! grep -q '^TPT-REBOOT with a TPT process running' "/tmp/l2-tpt_$mode.out"; then
		fail "reboot_disarmed_$mode" "no TPT process was running at the reboot" || rc=1
	else
		pass "reboot_disarmed_$mode" "rebooted with a TPT process running, no vCPU left armed or in TPT"
	fi
	# Verify mode announces every device write to KVM first (host patch
	# 0037): the swap disk's all went through, none was refused.
	blk=$(grep -a '^tptvmm: virtio-blk 0:' "/tmp/l2-tpt_$mode.err" | tail -1)
	echo "$blk"
	case " $blk " in
	*" reads=0 "*|*" writes=0 "*|"  ") fail "device_writes_$mode" "the swap disk was not used: '$blk'" || rc=1 ;;
	*" refused_requests=0 "*) pass "device_writes_$mode" "the swap disk's reads and writes all served, none refused (${blk#*: })" ;;
	*) fail "device_writes_$mode" "device writes refused for a benign guest: '$blk'" || rc=1 ;;
	esac
done
L2_CMDLINE="pti=on tptcase=off" sh /testbed/l2-check.sh tpt_no_host tptvmm 1 256 debug || rc=1
l2_lines tpt_no_host '^TPT-'
exit $rc
