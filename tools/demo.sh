#!/bin/sh
# The main job on an embedded default: set up, build, then boot Linux under
# tptvmm inside the emulated test bed (QEMU TCG host with kvm-amd) and show
# the guest's console and its boot time. Times are emulated: ratios only.
# Usage: tools/demo.sh [--cpus N] [--mem SIZE_MB]
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
cpus=2 mem=256
while [ $# -gt 0 ]; do
	case $1 in
	--cpus) cpus=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	-h|--help) sed -n '2,6p' "$0"; exit 0 ;;
	*) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done
case $cpus in ''|*[!0-9]*) echo "demo: --cpus needs a number" >&2; exit 2 ;; esac
case $mem in ''|*[!0-9]*) echo "demo: --mem needs a number of MiB" >&2; exit 2 ;; esac
"$src/tools/setup.sh"
cmake -S "$src" -B "$src/build" >/dev/null
cmake --build "$src/build" -j2 >/dev/null
tb=$src/tools/testbed
work=$src/build/demo
mkdir -p "$work"
. "$tb/common.sh"
l1_env "$work/l1.env" MEM="$mem" CPUS="$cpus"
"$tb/l1-image.sh" "$work/l1.cpio.gz" "$src/build" "$tb/demo-l1.sh" --env "$work/l1.env" \
	--l2 "$("$tb/host-kernel.sh")/vmlinuz"
echo "demo: booting the emulated host, then Linux under tptvmm inside it..."
status=0
l1mem=$((mem + 1024)); [ $l1mem -ge 2048 ] || l1mem=2048
"$tb/run-l1.sh" "$work/l1.cpio.gz" "$work/l1.log" 900 $l1mem >"$work/result.txt" || status=1
tr -d '\r' < "$work/l1.log" | sed -n '/^TESTBED-STAGE: run/,/^TESTBED-RESULT/p' |
	grep -v '^TESTBED-'
cat "$work/result.txt"
exit $status
