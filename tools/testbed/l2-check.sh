#!/bin/sh
# Runs inside L1: boots one L2 under a VMM and checks what it reports.
# Usage: l2-check.sh NAME VMM CPUS MEM_MB EXIT [extra VMM args]
#   VMM   tptvmm | qemu (QEMU+KVM, -M pc, for comparison)
#   EXIT  debug (tptvmm's debug-exit port) | poweroff (ACPI S5) |
#         reboot (the guest reboots: tptvmm ends with status 3)
# $L2_CMDLINE is appended to the L2 kernel command line.
# An L2 whose console stays silent for $L2_SILENT seconds (default 420,
# under the test bed's 600 s L1 limit) is stalled: the checker prints
# where the VMM's threads are in L1 (state, CPU time, kernel stack of
# each) and the L2's own detector reports so far, then ends the VMM with
# SIGTERM (tptvmm then prints where each vCPU was) and fails.
# With $L2_RELAY set, every L2 console line is also printed as it comes,
# marked "L2| SECONDS " (L1 uptime), so a hang shows where it is. At the
# end "L2-GAP NAME: ..." gives the longest silence between two console
# lines and the line that ended it: how close a run came to $L2_SILENT.
# Prints "PASS NAME ..." or "FAIL NAME: why"; exit status 0/1. Times are
# measured in L1 from the VMM's start to the L2 init's first line on the
# console (the same for both VMMs); peak RSS is the VMM's VmHWM.
set -u
name=$1 vmm=$2 cpus=$3 mem=$4 how=$5
shift 5
out=/tmp/l2-$name.out err=/tmp/l2-$name.err
limit=${L2_TIMEOUT:-300}
cmd="console=ttyS0 reboot=k panic=-1 pci=off quiet loglevel=1 l2exit=$how ${L2_CMDLINE:-}"
tb=${TESTBED:-/testbed}	# where tptvmm and the L2 are (bench.sh --real: elsewhere)
kernel=$tb/l2/bzImage initrd=$tb/l2/initrd.gz
now_cs() { awk '{ split($1, a, "."); print a[1] * 100 + a[2] }' /proc/uptime; }
gap=0 gap_line= last_cs=
gap_report() {
	[ -n "$last_cs" ] || return 0
	echo "L2-GAP $name: longest console silence $((gap / 100)).$(printf %02d $((gap % 100))) s (stall at ${silent}s), ended by: $gap_line"
}
fail() {
	gap_report
	echo "FAIL $name: $*"
	echo "--- L2 console"; tail -30 "$out"; echo "--- $vmm stderr"; tail -30 "$err"
	exit 1
}
fifo=/tmp/l2-$name.fifo
rm -f "$fifo" "$out"
mkfifo "$fifo" || fail "mkfifo $fifo"
# busybox timeout execs the VMM in this process, so $! is the VMM itself.
case $vmm in
tptvmm)
	timeout "$limit" "$tb/tptvmm" --kernel "$kernel" --initrd "$initrd" \
		--mem "${mem}M" --cpus "$cpus" --cmdline "$cmd" "$@" \
		</dev/null >"$fifo" 2>"$err" &
	;;
qemu)
	timeout "$limit" /usr/bin/qemu-system-x86_64 -L "$tb/qemu-data" -M pc \
		-accel kvm -cpu host -m "$mem" -smp "$cpus" -nodefaults \
		-no-user-config -nographic -serial stdio -monitor none -no-reboot \
		-kernel "$kernel" -initrd "$initrd" -append "$cmd" "$@" \
		</dev/null >"$fifo" 2>"$err" &
	;;
*)
	fail "unknown VMM '$vmm'"
	;;
esac
pid=$!
t0=$(now_cs) last_cs=$t0
silent=${L2_SILENT:-420}
# stall_diag: the VMM's threads as L1 sees them.
stall_diag() {
	echo "L2-STALL $name: console silent for ${silent}s; $vmm threads in L1 (tid state utime stime last-cpu, kernel stack):"
	for t in /proc/$pid/task/*; do
		echo "  $(basename "$t") $(cut -d' ' -f2 "$t/comm" 2>/dev/null) $(awk '{ print $3, $14, $15, $39 }' "$t/stat" 2>/dev/null)"
		sed 's/^/      /' "$t/stack" 2>/dev/null | head -12
	done
	echo "L2-STALL $name: the L2's detectors so far:"
	grep -E 'soft lockup|hung_task|blocked for more than|rcu.*(stall|detected)|BUG|WARNING|Oops' "$out" | head -20
}
rm -f "/tmp/l2-$name.stalled"
( last=-1 quiet=0
  while kill -0 "$pid" 2>/dev/null; do
	sleep 10
	size=$({ wc -c < "$out"; } 2>/dev/null || echo 0)
	if [ "$size" = "$last" ]; then quiet=$((quiet + 10)); else quiet=0; fi
	last=$size
	if [ $quiet -ge "$silent" ]; then
		stall_diag
		touch "/tmp/l2-$name.stalled"
		kill -TERM "$pid"
		break
	fi
  done ) &
dog=$!
up_cs= hwm=
# Blocking reads, no polling: L1 has one vCPU and the VMM needs it.
while IFS= read -r line; do
	printf '%s\n' "$line" >>"$out"
	now=$(now_cs)
	if [ $((now - last_cs)) -gt $gap ]; then
		gap=$((now - last_cs)) gap_line=$(printf '%s' "$line" | tr -d '\r' | cut -c1-100)
	fi
	last_cs=$now
	[ -z "${L2_RELAY:-}" ] || printf 'L2| %d %s\n' $((now / 100)) "$line"
	case $line in
	L2-UP*) up_cs=$((now - t0)) ;;
	L2-DONE*) hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null) ;;
	esac
done <"$fifo"
wait "$pid"
rc=$?
kill "$dog" 2>/dev/null
secs=$(( ($(now_cs) - t0) / 100 ))
[ ! -f "/tmp/l2-$name.stalled" ] || fail "L2 stalled: console silent for ${silent}s (see L2-STALL above; vCPU positions in the $vmm stderr below)"
[ "$secs" -lt "$limit" ] || fail "no end within ${limit}s (killed)"
want=0
[ "$how" != reboot ] || want=3
[ $rc = $want ] || fail "$vmm exit status $rc (expected $want)"
up=$(grep '^L2-UP' "$out" | tr -d '\r')
[ -n "$up" ] || fail "L2 never reached its init"
grep -q '^L2-SLEEP ok' "$out" || fail "L2 'sleep 1' did not return (timer interrupts stopped?)"
grep -q '^L2-DONE rc=0' "$out" || fail "L2 test program failed"
seen_cpus=$(echo "$up" | sed 's/.*cpus=\([0-9]*\).*/\1/')
seen_kb=$(echo "$up" | sed 's/.*memtotal_kb=\([0-9]*\).*/\1/')
[ "$seen_cpus" = "$cpus" ] || fail "L2 sees $seen_cpus CPUs, expected $cpus"
# MemTotal excludes the kernel image and early reservations: require 75%..100%.
[ $((seen_kb * 4)) -ge $((mem * 1024 * 3)) ] && [ "$seen_kb" -le $((mem * 1024)) ] ||
	fail "L2 MemTotal $seen_kb kB does not match ${mem}M"
mark=
if [ "$vmm" = tptvmm ]; then
	case $how in
	poweroff) grep -q 'ACPI power-off' "$err" || fail "did not end through ACPI power-off" ;;
	debug) grep -q 'debug-exit port written with 0' "$err" || fail "did not end through debug-exit" ;;
	reboot) grep -q 'guest rebooted' "$err" || fail "did not end through a guest reboot" ;;
	esac
	mark=" boot_to_init_ms=$(grep 'guest mark 1 at' "$err" | sed 's/.*at \([0-9.]*\) ms.*/\1/')"
fi
gap_report
echo "PASS $name: vmm=$vmm cpus=$seen_cpus memtotal_kb=$seen_kb start_to_init_cs=$up_cs peak_rss_kb=$hwm$mark wall_s=$secs (emulated)"
