#!/bin/sh
# Inside L1 for tools/bench.sh, or on the machine itself with --real
# (TESTBED is then the directory holding the same files): ROUNDS native
# runs, then one L2 per mode under tptvmm. Parameters in $TESTBED/l1.env:
# ROUNDS, CMD (the workload's command line), L2_MEM (MiB).
T=${TESTBED:-/testbed}
. "$T/l1.env"
export TESTBED="$T"
export L2_TIMEOUT="${L2_TIMEOUT:-1500}"
rc=0
i=1
while [ "$i" -le "$ROUNDS" ]; do
	# shellcheck disable=SC2086 # CMD is a command line
	r=$(PATH=$T:$PATH $CMD) || rc=1
	# shellcheck disable=SC2086 # one line of key=value words
	echo "BENCH mode=native round=$i" $r
	i=$((i + 1))
done
run_l2() { # MODE [tptvmm options]
	m=$1
	shift
	L2_CMDLINE="pti=on benchmode=$m" sh "$T/l2-check.sh" "bench_$m" tptvmm 1 "$L2_MEM" debug "$@" || rc=1
	grep '^BENCH' "/tmp/l2-bench_$m.out" | tr -d '\r'
	grep 'KVM TPT stats' "/tmp/l2-bench_$m.err" | sed "s/^/BENCH-KVM mode=$m /"
}
run_l2 nested
run_l2 tpt --tpt=trust
run_l2 verify --tpt=verify
if [ "$T" = /testbed ]; then
	rmmod kvm_amd && insmod /lib/modules/kvm-amd.ko npt=0 ||
		{ echo "BENCH-SKIP shadow: cannot reload kvm_amd with npt=0"; exit $rc; }
	run_l2 shadow
elif [ "${RELOAD_KVM:-0}" = 1 ]; then
	# A real host: the vendor module goes back to its defaults afterwards.
	if [ -d /sys/module/kvm_amd ]; then mod=kvm_amd opt=npt=0; else mod=kvm_intel opt=ept=0; fi
	if modprobe -r $mod && modprobe $mod $opt; then
		run_l2 shadow
		modprobe -r $mod
		modprobe $mod || echo "bench: could not reload $mod with its defaults" >&2
	else
		echo "BENCH-SKIP shadow: cannot reload $mod with $opt (other VMs running?)"
	fi
else
	echo "BENCH-SKIP shadow: needs --reload-kvm (reloads the KVM vendor module with nested paging off)"
fi
exit $rc
