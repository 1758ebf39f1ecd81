#!/bin/sh
# Boots the L1 host under QEMU TCG with emulated AMD SVM + NPT and waits for
# its TESTBED-RESULT line. Every stage is bounded by the overall timeout;
# on a hang the last TESTBED-STAGE seen is named.
# Usage: run-l1.sh INITRAMFS LOG [TIMEOUT_SEC] [MEM_MB] [SMP]
# Exit status 0 (PASS), 1 (FAIL, timeout, no result) or 3: the emulated
# L1 stalled: QEMU used no CPU time for $TPT_L1_STALL_SECS seconds
# (default 300), although an L1 always has timers to run, or its console
# printed nothing for $TPT_L1_SILENT_SECS seconds (default 600; the test
# beds print at least every few minutes). $TPT_L1_QEMU_ARGS (words) are
# added to QEMU's command line (e.g. a -drive for a disk image). A stalled L1 explains itself
# before it is killed: through QEMU's monitor (a unix socket next to LOG)
# the runner prints L1's registers a few times (where its CPU is, and
# whether it moves; see sym below), then
# sends L1 an NMI: L1 runs with unknown_nmi_panic and panic_print=1, so
# its kernel prints the interrupted context and every task's stack (the
# VMM's vCPU threads among them) before QEMU is killed.
set -u
# TPT_TESTBED=bochs: the Intel VMX backend, same interface (run-l1-bochs.sh).
[ "${TPT_TESTBED:-qemu}" = bochs ] && exec "$(dirname "$0")/run-l1-bochs.sh" "$@"
. "$(dirname "$0")/common.sh"
#
# L1 gets one vCPU by default. With two, QEMU 7.2's emulated SVM (TCG) now
# and then delivers an interrupt to a 2-vCPU L2 while the L2 has IF=0: the
# L2's timer interrupt nests inside its own handler and the L2 deadlocks on
# a spinlock. It happens with QEMU+KVM as the L2's VMM too, so it is the
# test bed, not tptvmm. With thread=single TCG runs all L1 vCPUs on one host
# thread anyway, so one L1 vCPU costs no throughput; L2 SMP (vCPU threads,
# INIT/SIPI, IPIs) still runs, multiplexed by L1's scheduler.
# L1 does not boot with idle=poll any more: it kept L1 from halting with
# a lost timer interrupt (README, "When the test bed stalls"), but with it
# e2e_tpt_guest stalled in 2 of 3 runs inside the emulated VMRUN (no such
# stall in the 15 runs before it); l1-init.sh's RTC nudge now wakes a
# halted L1 and ends a stuck VMRUN alike.
initrd=$1 log=$2 limit=${3:-900} mem=${4:-2048} smp=${5:-1}
hostdir=$("$(dirname "$0")/host-kernel.sh") || exit 1
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: apt-get install qemu-system-x86"
stall=${TPT_L1_STALL_SECS:-300} silent=${TPT_L1_SILENT_SECS:-600}
start=$(date +%s)
mon=$log.mon
# QEMU writes its own PID to $pidf (-pidfile): the watchdog ends that PID.
pidf=$log.pid
rm -f "$mon" "$log.diag" "$pidf"
timeout --foreground "$limit" qemu-system-x86_64 -accel "tcg,thread=${TPT_TCG_THREAD:-single}" -cpu EPYC,+svm,+npt \
	-m "$mem" -smp "$smp" -nographic -no-reboot -monitor "unix:$mon,server,nowait" -serial stdio \
	-pidfile "$pidf" \
	-kernel "$hostdir/vmlinuz" -initrd "$initrd" ${TPT_L1_QEMU_ARGS:-} \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 mitigations=off nokaslr unknown_nmi_panic panic_print=1${TPT_L1_NUDGE:+ tpt_nudge=$TPT_L1_NUDGE}" \
	</dev/null >"$log" 2>&1 &
tpid=$!
# Stall watchdog, every 10 s: QEMU's CPU time (utime + stime) and the
# size of the console log.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
stalled= last_ticks= still=0 last_size= quiet=0
# monitor CMD...: each command through QEMU's human monitor, output
# without the prompt noise.
monitor() {
	for c in "$@"; do printf '%s\n' "$c"; sleep 1; done |
		socat -t 5 - "UNIX-CONNECT:$mon" 2>&1 | tr -d '\r' | grep -v '^(qemu)\|^QEMU .* monitor'
}
# sym ADDR: the function holding ADDR in the System.map files listed in
# $TPT_STALL_MAPS (e.g. the L2 kernel's: when L1 runs an L2, QEMU's
# registers are the L2's). Addresses are 16 hex digits on both sides,
# compared as strings. L1's own kernel names itself in its panic output.
sym() {
	for m in ${TPT_STALL_MAPS:-}; do
		[ -f "$m" ] || continue
		awk -v a="$1" -v m="$m" '$2 ~ /^[tTwW]$/ && $1 <= a && $1 > best { best = $1; name = $3 }
			END { if (name != "") printf "%s in %s; ", name, m }' "$m"
	done
}
# explain_stall QEMU_PID: where the stalled L1 is, into LOG.diag (printed
# with the STALL line below), then its own account (NMI -> panic with
# every task's stack) on the console, into LOG.
explain_stall() {
	{
		echo "testbed: STALL-DIAG: $stalled; QEMU state, L1 registers (3 samples, 2 s apart):"
		monitor 'info status' 'info cpus'
		# The local APIC: a halted L1 with every task asleep on a timer
		# (seen twice) is a timer interrupt that never came: its LVT timer
		# mode, counts and IRR say whether one was armed and pending.
		echo "testbed: STALL-DIAG: L1's local APIC:"
		monitor 'info lapic'
		for i in 1 2 3; do
			r=$(monitor 'info registers')
			echo "$r" | grep -E '^(RAX|RSI|R8 |R12|RIP|CS |CR0|EFER)'
			rip=$(echo "$r" | sed -n 's/^RIP=\([0-9a-f]*\).*/\1/p')
			[ -z "$rip" ] || echo "testbed: STALL-DIAG: sample $i rip=$rip ($(sym "$rip"))"
			sleep 2
		done
		echo "testbed: STALL-DIAG: sending L1 an NMI (unknown_nmi_panic: it prints its tasks and panics)"
	} > "$log.diag" 2>&1
	size0=$(wc -c < "$log")
	monitor nmi >/dev/null
	n=0
	while [ $n -lt 60 ] && kill -0 "$1" 2>/dev/null; do sleep 2; n=$((n + 2)); done
	[ "$(wc -c < "$log")" -gt "$size0" ] ||
		echo "testbed: STALL-DIAG: L1 printed nothing after the NMI"
}
while kill -0 "$tpid" 2>/dev/null; do
	sleep 10
	qpid=$(cat "$pidf" 2>/dev/null)
	[ -n "$qpid" ] || continue
	t=$(cpu_ticks "$qpid") size=$(wc -c < "$log")
	if [ -n "$t" ] && [ "$t" = "$last_ticks" ]; then still=$((still + 10)); else still=0; fi
	if [ "$size" = "$last_size" ]; then quiet=$((quiet + 10)); else quiet=0; fi
	last_ticks=$t last_size=$size
	if [ $still -ge "$stall" ]; then
		stalled="the emulated L1 used no CPU for ${stall}s"
	elif [ $quiet -ge "$silent" ]; then
		stalled="the emulated L1 printed nothing for ${silent}s"
	fi
	if [ -n "$stalled" ]; then
		explain_stall "$qpid"
		kill -KILL "$qpid" 2>/dev/null
		break
	fi
done
wait "$tpid"
rc=$?
secs=$(( $(date +%s) - start ))
if grep -q '^TESTBED-RESULT: PASS' "$log"; then
	echo "testbed: PASS after ${secs}s (emulated L1; log $log)"
	exit 0
fi
last=$(grep '^TESTBED-STAGE:' "$log" | tail -1 | sed 's/TESTBED-STAGE: //')
if [ -n "$stalled" ]; then
	echo "testbed: STALL: $stalled in stage '${last:-L1 boot}', killed after ${secs}s (log $log)"
	cat "$log.diag"
	tail -200 "$log" | tr -d '\r'
	exit 3
elif [ "$rc" = 124 ]; then
	echo "testbed: TIMEOUT after ${limit}s in stage '${last:-L1 boot}' (log $log)"
elif grep -q '^TESTBED-RESULT: FAIL' "$log"; then
	echo "testbed: FAIL in stage '${last:-?}' after ${secs}s (log $log)"
else
	echo "testbed: L1 ended (qemu status $rc) without a result in stage '${last:-L1 boot}' (log $log)"
fi
tail -40 "$log" | tr -d '\r'
exit 1
