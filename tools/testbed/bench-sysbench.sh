#!/bin/sh
# sysbench memory for tools/bench.sh (in L2 as /bin/sysbench-run, in L1 as
# /testbed/sysbench-run): MIB MiB of random writes, its report as one line
# with the keys bench.sh's tables read.
# Usage: sysbench-run MIB
out=$(/usr/bin/sysbench memory --memory-block-size="${1}M" --memory-total-size="${1}M" \
	--memory-access-mode=rnd --threads=1 --rand-seed=1 run) || exit 1
t=$(echo "$out" | sed -n 's/.*total time: *\([0-9.]*\)s.*/\1/p')
ev=$(echo "$out" | sed -n 's/.*total number of events: *\([0-9]*\).*/\1/p')
ms=$(awk -v t="$t" 'BEGIN { printf "%d", t * 1000 }')
echo "sysbench: mib=$1 checksum=events-$ev ms=$ms update_ms=$ms"
