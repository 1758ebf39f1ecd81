#!/bin/sh
# Runs inside L1 (as /testbed/run.sh's worker): one L2 per MODE under
# tptvmm (2 vCPUs, pti=on nohz_full=1), running tools/testbed/exits-l2.sh
# with OPTS (tpt-exits options) and EVENTS (commas for spaces), its VM
# exits counted between the driver's marks by exits-trace.sh.
# Usage: exits-run.sh OPTS EVENTS MODE...   MODE: nested | tpt (--tpt=trust) |
#        verify (--tpt=verify) | shadow (kvm_amd reloaded with npt=0; last)
# Prints the driver's plan lines (EXITS-L2 mode=M tpt-exits: event=...),
# EXITS-WIN / EXITS-TRACE lines, the guest's TPT counters (EXITS-STAT)
# and KVM's (EXITS-KVM); exit status 1 if an L2 failed.
T=${TESTBED:-/testbed}
opts=$1 events=$2
shift 2
rc=0
for m; do
	a=
	case $m in
	nested) ;;
	tpt) a=--tpt=trust ;;
	verify) a=--tpt=verify ;;
	shadow)
		rmmod kvm_amd && insmod /lib/modules/kvm-amd.ko npt=0 ||
			{ echo "EXITS-SKIP shadow: cannot reload kvm_amd with npt=0"; continue; } ;;
	*) echo "exits-run: unknown mode $m"; rc=1; continue ;;
	esac
	sh "$T/exits-trace.sh" on || { rc=1; continue; }
	# shellcheck disable=SC2086 # $a is one word or none
	L2_CMDLINE="pti=on nohz_full=1 exitsmode=$m exitsopt=$opts exitsev=$events" sh "$T/l2-check.sh" "exits_$m" tptvmm 2 256 debug $a || rc=1
	sh "$T/exits-trace.sh" windows "$m" || rc=1
	grep -E '^(tpt-exits: event=|EXITS-STAT|EXITS-CLOCK)' "/tmp/l2-exits_$m.out" | tr -d '\r' | sed "s/^/EXITS-L2 mode=$m /"
	grep 'KVM TPT stats' "/tmp/l2-exits_$m.err" | sed "s/^/EXITS-KVM mode=$m /"
done
exit $rc
