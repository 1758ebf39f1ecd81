#!/bin/sh
# Runs inside L1: boots one L2 under tptvmm and checks what it reports.
# Usage: l2-check.sh NAME CPUS MEM_MB EXIT(debug|poweroff) [extra tptvmm args]
# Prints "PASS NAME ..." or "FAIL NAME: why"; exit status 0/1.
set -u
name=$1 cpus=$2 mem=$3 how=$4
shift 4
out=/tmp/l2-$name.out err=/tmp/l2-$name.err
cmd="console=ttyS0 reboot=k panic=-1 pci=off quiet loglevel=1 l2exit=$how"
t0=$(date +%s)
timeout 300 /testbed/tptvmm --kernel /testbed/l2/bzImage --initrd /testbed/l2/initrd.gz \
	--mem "${mem}M" --cpus "$cpus" --cmdline "$cmd" "$@" </dev/null >"$out" 2>"$err"
rc=$?
secs=$(( $(date +%s) - t0 ))
fail() {
	echo "FAIL $name: $*"
	echo "--- L2 console"; tail -30 "$out"; echo "--- tptvmm stderr"; cat "$err"
	exit 1
}
[ $rc = 0 ] || fail "tptvmm exit status $rc (expected 0)"
up=$(grep '^L2-UP' "$out" | tr -d '\r')
[ -n "$up" ] || fail "L2 never reached its init"
grep -q '^L2-SLEEP ok' "$out" || fail "L2 'sleep 1' did not return (timer interrupts stopped?)"
grep -q '^L2-DONE rc=0' "$out" || fail "L2 test program failed"
seen_cpus=$(echo "$up" | sed 's/.*cpus=\([0-9]*\).*/\1/')
seen_kb=$(echo "$up" | sed 's/.*memtotal_kb=\([0-9]*\).*/\1/')
[ "$seen_cpus" = "$cpus" ] || fail "L2 sees $seen_cpus CPUs, expected $cpus"
# MemTotal excludes the kernel image and early reservations: require 75%..100%.
[ $((seen_kb * 4)) -ge $((mem * 1024 * 3)) ] && [ "$seen_kb" -le $((mem * 1024)) ] ||
	fail "L2 MemTotal $seen_kb kB does not match --mem ${mem}M"
case $how in
poweroff) grep -q 'ACPI power-off' "$err" || fail "did not end through ACPI power-off" ;;
debug) grep -q 'debug-exit port written with 0' "$err" || fail "did not end through debug-exit" ;;
esac
mark=$(grep 'guest mark 1 at' "$err" | sed 's/.*at \([0-9.]*\) ms.*/\1/')
echo "PASS $name: cpus=$seen_cpus memtotal_kb=$seen_kb boot_to_init_ms=$mark wall_s=$secs (emulated)"
