#!/bin/sh
# /init of an L2 test guest under tptvmm: reports what it sees, runs
# /testbed/l2-run.sh if present, and ends the VM through tptvmm's
# debug-exit port (status 0 on success).
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
tpt-guest-util mark 1			# userspace reached
echo "L2-UP cpus=$(grep -c ^processor /proc/cpuinfo) memtotal_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo) kernel=$(uname -r)"
rc=0
# Timer interrupts must keep flowing after boot: sleep needs them.
t0=$(cut -d' ' -f1 /proc/uptime)
sleep 1
echo "L2-SLEEP ok from=$t0 to=$(cut -d' ' -f1 /proc/uptime)"
if [ -f /testbed/l2-run.sh ]; then
	sh /testbed/l2-run.sh || rc=$?
fi
echo "L2-DONE rc=$rc"
# l2exit=poweroff on the kernel command line: end through ACPI S5 instead
# of the debug-exit port (tests both); l2exit=reboot: through a reboot
# (reboot -f: the kernel's reboot notifiers, then its reset).
if grep -q 'l2exit=poweroff' /proc/cmdline && [ $rc = 0 ]; then
	poweroff -f
elif grep -q 'l2exit=reboot' /proc/cmdline && [ $rc = 0 ]; then
	reboot -f
else
	tpt-guest-util exit $rc
fi
sleep 5
echo "L2: the VM did not end"
