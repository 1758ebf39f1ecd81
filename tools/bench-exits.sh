#!/bin/sh
# tools/bench.sh --workload exits: VM exits per guest event, by exit
# reason, per paging mode, counted in the emulated test bed's L1 (tracefs,
# tools/testbed/exits-trace.sh) while tools/guest/tpt-exits repeats one
# event at a time in L2. Counts are exact and hardware-independent (the
# same guest and KVM code take the same exits anywhere); times are not
# reported.
# Usage: bench-exits.sh OUT ROUNDS N N0 EVENTS MODES   (EVENTS, MODES: commas)
# Writes OUT/exits.csv (mode,event,exits,reasons,n,n0,rounds,clean,clean0,
# intr,other,excluded: one row per mode and event; tools/bench-exits.awk) and prints a table; exit status 1 if
# the bed failed or a window count was not what the rounds promised.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
tb=$src/tools/testbed
. "$tb/common.sh"
out=$1 rounds=$2 n=$3 n0=$4 events=$5 modes=$6
build=${TPT_BUILD:-$src/build}
[ -x "$build/tools/guest/tpt-exits" ] || { echo "bench: build first (cmake --build build)" >&2; exit 2; }
work=$out/work
mkdir -p "$work"
l2kernel=${TPT_L2_KERNEL:-$("$src/tools/build-guest-kernel.sh")}
opts="-r,$rounds,-n,$n,-z,$n0"
l1_env "$work/l1.env" OPTS="$opts" EVENTS="$events" MODES="$(echo "$modes" | tr , ' ')" DUMP="${TPT_EXITS_DUMP:-}"
"$tb/l1-image.sh" "$work/l1.cpio.gz" "$build" "$tb/exits-l1.sh" --env "$work/l1.env" --l2 "$l2kernel" \
	--l2-file "$tb/exits-l2.sh=/testbed/l2-run.sh" \
	--l2-file "$build/tools/guest/tpt-exits=/bin/tpt-exits" \
	"$tb/exits-trace.sh=/testbed/exits-trace.sh" "$tb/exits-run.sh=/testbed/exits-run.sh"
echo "bench: exits per event ($events), $rounds round(s) of N=$n against N0=$n0, modes $modes, in the emulated test bed..." >&2
status=0
: > "$work/l1.log"
# The tail's pid, not the pipeline's last: killing it ends the pipeline
# (left running, it would hold a caller's output pipe open, e.g. ctest's).
{ tail -n 0 -f "$work/l1.log" 2>/dev/null & echo $! > "$work/tail.pid"; wait; } | tr -d '\r' |
	grep --line-buffered -E '^(EXITS-L2 mode=[a-z]* tpt-exits|EXITS-TRACE|EXITS-SKIP|PASS exits_|FAIL exits_)' |
	sed -u 's/^/bench: progress: /' >&2 &
"$tb/run-l1.sh" "$work/l1.cpio.gz" "$work/l1.log" 3600 >&2 || status=1
kill "$(cat "$work/tail.pid")" 2>/dev/null || true
wait
tr -d '\r' < "$work/l1.log" | grep -E '^(EXITS-|PASS |FAIL )' > "$work/results.txt" || true
awk -v csv="$out/exits.csv" -f "$src/tools/bench-exits.awk" "$work/results.txt" > "$out/summary.txt" || status=1
cat "$out/summary.txt"
echo "csv: $out/exits.csv"
exit $status
