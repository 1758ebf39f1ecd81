#!/bin/sh
# /init of the L1 host in the nested test bed: loads the KVM modules from
# /lib/modules (kvm-intel on an Intel CPU, as under Bochs, else kvm-amd),
# runs /testbed/run.sh and reports on the console:
#   TESTBED-STAGE: <name>     before each stage (the runner names a hung one)
#   the kernel's warnings and worse (levels 0-4: WARN, BUG, Oops and their
#   traces) between TESTBED-DMESG-BEGIN and TESTBED-DMESG-END
#   TESTBED-RESULT: PASS|FAIL at the end, then powers off.
export PATH=/bin:/sbin
# shellcheck source=SCRIPTDIR/l1-lib.sh
. /testbed/l1-lib.sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
stage() { echo "TESTBED-STAGE: $*"; }
finish() {
	echo "TESTBED-DMESG-BEGIN"
	dmesg -r | grep '^<[0-4]>'
	echo "TESTBED-DMESG-END"
	echo "TESTBED-RESULT: $1"
	sync
	# Let the console's UART drain (it is slow under Bochs).
	sleep 2
	poweroff -f
	sleep 10
}

vendor=amd
grep -q '^vendor_id.*GenuineIntel' /proc/cpuinfo && vendor=intel
stage kvm-modules
for m in irqbypass kvm kvm-$vendor; do
	load_module "$m" ||
		{ echo "testbed: insmod $m failed"; finish FAIL; }
done
[ -c /dev/kvm ] || { echo "testbed: /dev/kvm did not appear"; finish FAIL; }
stage run
if sh /testbed/run.sh; then finish PASS; else finish FAIL; fi
