#!/bin/sh
# Measures one verify-mode ENTER on the worst roots a guest can build
# (tpt_kvm_test --walk-cost, see tests/tpt/tpt_kvm_test.c) in the
# emulated L1 on the patched KVM, for each guest size given in MiB.
# Prints the TPT-COST lines; all times are emulated: ratios only.
# Usage: tools/testbed/walk-cost.sh BUILD_DIR MIB...   (default L1 RAM
# 3072 MiB: the guest's RAM is pinned inside L1; TPT_TESTBED=bochs for
# kvm-intel)
set -eu
[ $# -ge 2 ] || { echo "usage: walk-cost.sh BUILD_DIR MIB..." >&2; exit 2; }
build=$(cd "$1" && pwd)
shift
tb=$(cd "$(dirname "$0")" && pwd)
. "$tb/common.sh"
for m in "$@"; do
	case $m in '' | *[!0-9]*) echo "walk-cost.sh: '$m' is not a size in MiB" >&2; exit 2 ;; esac
	[ "$m" -ge 16 ] && [ "$m" -le 2048 ] || { echo "walk-cost.sh: $m MiB: between 16 and 2048" >&2; exit 2; }
done
[ -x "$build/tests/tpt/tpt_kvm_test" ] || { echo "walk-cost.sh: build tpt_kvm_test in $build first" >&2; exit 2; }
work=$build/walk-cost
mkdir -p "$work"
l1_env "$work/l1.env" MIBS="$*"
"$tb/l1-image.sh" "$work/l1.cpio.gz" "$build" "$tb/walk-cost-l1.sh" --env "$work/l1.env" \
	"$build/tests/tpt/tpt_kvm_test=/testbed/tpt_kvm_test"
status=0
"$tb/run-l1.sh" "$work/l1.cpio.gz" "$work/l1.log" 3000 "${TPT_L1_MEM:-3072}" >/dev/null || status=1
tr -d '\r' < "$work/l1.log" | grep -E '^(TPT-COST|FAIL|testbed:)' || true
exit $status
