#!/bin/sh
# Inside L2 for tools/bench.sh: the workload ROUNDS times, under TPT when
# the mode (benchmode= on the kernel command line) is tpt or verify.
# Parameters in /testbed/bench.env: BIN (the name task_name gets), ROUNDS,
# CMD (the workload's command line).
. /testbed/bench.env
mode=$(sed -n 's/.*benchmode=\([a-z]*\).*/\1/p' /proc/cmdline)
if [ "$mode" = tpt ] || [ "$mode" = verify ]; then
	echo 1 > /sys/kernel/devirt || exit 1
	echo "$BIN" > /sys/kernel/mm/devirt/task_name || exit 1
fi
i=1
while [ "$i" -le "$ROUNDS" ]; do
	# shellcheck disable=SC2086 # CMD is a command line
	r=$($CMD) || exit 1
	# shellcheck disable=SC2086 # one line of key=value words
	echo "BENCH mode=$mode round=$i" $r
	i=$((i + 1))
done
[ "$mode" = nested ] || [ "$mode" = shadow ] ||
	sed 's/^/BENCH-STAT mode='"$mode"' /' /sys/kernel/mm/devirt/stats
