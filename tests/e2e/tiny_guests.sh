#!/bin/sh
# e2e: the kvm-labelled tiny guests, run by tptvmm inside the emulated L1
# host (QEMU TCG, AMD SVM + NPT) where kvm-amd gives a real /dev/kvm.
# Usage: tiny_guests.sh SRC_DIR BUILD_DIR
set -eu
src=$1 build=$2
tb=$src/tools/testbed
work=$build/e2e/tiny_guests
mkdir -p "$work"
"$tb/l1-image.sh" "$work/l1.cpio.gz" "$build" "$src/tests/e2e/tiny_guests_l1.sh" --guests \
	"$src/tests/kvm=/testbed/kvm"
"$tb/run-l1.sh" "$work/l1.cpio.gz" "$work/l1.log" 600
grep -E '^(PASS|FAIL|SKIP|tiny guests:)' "$work/l1.log" | tr -d '\r'
