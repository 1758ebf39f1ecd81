#!/bin/sh
# Runs a test-bed command repeatedly with host load beside it, and counts
# how each run ended: the way to reproduce a failure that shows only on a
# busy host (a user's host is never idle).
# Usage: under-load.sh [-n RUNS] [-j HOGS] [-c CPU] [-k] -- COMMAND [ARG...]
#   -n RUNS  runs of COMMAND (default 10), one after the other
#   -j HOGS  CPU hogs (busy loops) beside it (default: one per CPU)
#   -c CPU   pin the hogs and COMMAND (with everything it starts, the
#            emulator included) to this CPU, so that the emulated L1 gets
#            a time-sliced half of one core (default: no pinning)
#   -k       keep going after a failed run (default: stop at the first)
# Each run's output goes to $UNDER_LOAD_DIR/run-N.log (default
# /tmp/under-load); a summary line per run and a total are printed:
# "under-load: run N: PASS|FAIL (status S) in T s[, stall]" where "stall"
# means the output has a test-bed STALL or L2-STALL line.
# Exit status 0 only if every run passed.
set -u
runs=10 hogs=$(nproc) cpu= keep=0
while [ $# -gt 0 ]; do
	case $1 in
	-n) runs=$2; shift 2 ;;
	-j) hogs=$2; shift 2 ;;
	-c) cpu=$2; shift 2 ;;
	-k) keep=1; shift ;;
	--) shift; break ;;
	*) echo "usage: under-load.sh [-n RUNS] [-j HOGS] [-c CPU] [-k] -- COMMAND [ARG...]" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "under-load.sh: no command given" >&2; exit 2; }
case "$runs$hogs${cpu:-0}" in *[!0-9]*) echo "under-load.sh: -n, -j and -c take numbers" >&2; exit 2 ;; esac
dir=${UNDER_LOAD_DIR:-/tmp/under-load}
mkdir -p "$dir"
pin=
[ -z "$cpu" ] || pin="taskset -c $cpu"
hog_pids=
i=0
while [ $i -lt "$hogs" ]; do
	$pin sh -c 'while :; do :; done' &
	hog_pids="$hog_pids $!"
	i=$((i + 1))
done
# shellcheck disable=SC2086 # a list of PIDs
trap 'kill $hog_pids 2>/dev/null' EXIT
trap 'exit 130' INT TERM
echo "under-load: $runs runs of '$*' beside $hogs CPU hog(s)${cpu:+ on CPU $cpu}; logs in $dir"
pass=0 fail=0 stalls=0 n=1
while [ $n -le "$runs" ]; do
	t0=$(date +%s)
	$pin "$@" > "$dir/run-$n.log" 2>&1
	st=$?
	t=$(( $(date +%s) - t0 ))
	stall=
	if grep -q 'testbed: STALL\|L2-STALL' "$dir/run-$n.log"; then
		stall=", stall"
		stalls=$((stalls + 1))
	fi
	if [ $st = 0 ]; then
		pass=$((pass + 1))
		echo "under-load: run $n: PASS in ${t}s$stall"
	else
		fail=$((fail + 1))
		echo "under-load: run $n: FAIL (status $st) in ${t}s$stall (log $dir/run-$n.log)"
		[ $keep = 1 ] || break
	fi
	n=$((n + 1))
done
echo "under-load: $pass passed, $fail failed, $stalls with a stall, of $((pass + fail)) runs"
[ $fail = 0 ]
