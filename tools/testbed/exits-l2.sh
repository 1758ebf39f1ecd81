#!/bin/sh
# Runs inside L2 (as /testbed/l2-run.sh): tools/guest/tpt-exits under the
# paging mode the kernel command line names (exitsmode=nested|shadow|tpt|
# verify; tpt and verify: the driver is named in task_name, so it and its
# forked children run under TPT), with the options in exitsopt= and the
# events in exitsev= (commas for spaces). The L2 boots with nohz_full=1:
# the driver runs on CPU 1, which has no tick while one task runs there,
# so fewer windows hold a tick; the tick event runs on CPU 0, which
# keeps its tick. Its peer for ctxsw-normal is /tmp/exits-peer, a link
# whose name task_name does not list: a normal process.
mode=$(sed -n 's/.*exitsmode=\([a-z]*\).*/\1/p' /proc/cmdline)
opts=$(sed -n 's/.*exitsopt=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
events=$(sed -n 's/.*exitsev=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
mkdir -p /tmp
ln -sf /bin/tpt-exits /tmp/exits-peer
if [ "$mode" = tpt ] || [ "$mode" = verify ]; then
	echo 1 > /sys/kernel/devirt || exit 1
	echo tpt-exits > /sys/kernel/mm/devirt/task_name || exit 1
fi
# Which timer the tick runs on: each CPU's local APIC timer, or (when
# the boot's calibration of it against the PIT failed, as on a loaded
# host) the PIT on CPU 0 broadcast to the others with IPIs of the timer
# vector (exits-trace.sh names those exits "broadcast").
ce=/sys/devices/system/clockevents
echo "EXITS-CLOCK cpu0=$(cat $ce/clockevent0/current_device 2>/dev/null) cpu1=$(cat $ce/clockevent1/current_device 2>/dev/null) broadcast=$(cat $ce/broadcast/current_device 2>/dev/null) $(dmesg | grep -m1 -o 'APIC timer disabled.*\|APIC frequency too slow.*' | tr -d '\r')"
for ev in $events; do
	cpu=1
	[ "$ev" != tick ] || cpu=0
	# shellcheck disable=SC2086 # words
	tpt-exits $opts -c $cpu "$ev" || exit 1
done
[ ! -f /sys/kernel/mm/devirt/stats ] || sed 's/^/EXITS-STAT /' /sys/kernel/mm/devirt/stats
