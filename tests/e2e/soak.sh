#!/bin/sh
# e2e: the soak (tests/soak/tpt_soak.c, AddressSanitizer + LeakSanitizer)
# on the real kvm-amd of the emulated L1 host: 200 cycles of VMs that end
# through debug-exit, kernel panic, triple fault, i8042 reset and
# --timeout, each with its own exit status, with no fd or memory growth
# and no leak report at exit.
# Usage: soak.sh SRC_DIR BUILD_DIR   (TPT_SOAK_CYCLES: other than 200)
set -eu
src=$1 build=$2
tb=$src/tools/testbed
. "$tb/common.sh"
work=$build/e2e/soak
cycles=${TPT_SOAK_CYCLES:-200}
mkdir -p "$work"
l1_env "$work/l1.env" CYCLES="$cycles"
# shellcheck disable=SC2046 # bin-files.sh prints space-free specs
"$tb/l1-image.sh" "$work/l1.cpio.gz" "$build" "$src/tests/e2e/soak_l1.sh" --env "$work/l1.env" --guests \
	$("$tb/bin-files.sh" "$build/tests/soak/tpt_soak" | sed "s|=$build/tests/soak/tpt_soak\$|=/testbed/tpt_soak|")
status=0
"$tb/run-l1.sh" "$work/l1.cpio.gz" "$work/l1.log" 1500 || status=1
tr -d '\r' < "$work/l1.log" | grep -E '^(PASS|FAIL|SKIP|SOAK-EXIT|SOAK-MEM|.*Sanitizer)' | tee "$work/results.txt"
grep -q "^PASS soak: $cycles cycles" "$work/results.txt" || status=1
grep -q '^SOAK-EXIT 0' "$work/results.txt" || status=1
exit $status
