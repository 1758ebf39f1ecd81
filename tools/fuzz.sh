#!/bin/sh
# Runs one libFuzzer target for a while (after cmake --build build).
# Usage: tools/fuzz.sh TARGET [SECONDS] [extra libFuzzer options]
#   TARGET: loader | uart | i8042 | cli | virtq | virtio_mmio | virtio_dev
#           (default 600 s; -runs=N as an extra option stops after N inputs)
# New inputs collect in build/tests/fuzz/corpus_TARGET; seeds are read from
# tests/fuzz/corpus/TARGET. A crash leaves crash-* in the current directory
# and a non-zero exit status.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
t=$1 secs=${2:-600}
[ $# -ge 2 ] && shift 2 || shift 1
bin=$src/build/tests/fuzz/fuzz_$t
[ -d "$src/tests/fuzz/corpus/$t" ] || { echo "fuzz: unknown target '$t' (loader, uart, i8042, cli, virtq, virtio_mmio, virtio_dev)" >&2; exit 2; }
[ -x "$bin" ] || { echo "fuzz: $bin is missing: install clang and libclang-rt-14-dev, then cmake --build build" >&2; exit 1; }
case $secs in ''|*[!0-9]*) echo "fuzz: SECONDS must be a number" >&2; exit 2 ;; esac
mkdir -p "$src/build/tests/fuzz/corpus_$t"
exec "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$@" \
	"$src/build/tests/fuzz/corpus_$t" "$src/tests/fuzz/corpus/$t"
