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
# QEMU 7.2's TCG can lose an interrupt of L1's: at every #VMEXIT (and at a
# VMRUN that injects one) the vCPU thread rewrites cpu->interrupt_request
# (`&= ~CPU_INTERRUPT_VIRQ`) without the lock under which the I/O thread
# sets CPU_INTERRUPT_POLL for a new APIC interrupt, so that bit can be
# overwritten. The APIC then holds the vector (seen: L1's one-shot timer,
# 236) in its IRR, deliverable, and nothing looks at it again until the
# APIC gets another interrupt: L1 stays halted, or inside an emulated VMRUN
# while its L2 spins, for good (a reading of QEMU's code that fits every such
# stall seen; newer QEMU changes those bits with atomic helpers). An
# RTC alarm kept 3 s ahead gives the APIC other interrupts: where the RTC
# is a plain CMOS clock, the loop pushes the alarm on every second, so it
# fires only when L1 stops running, within 3 s. Under QEMU the HPET is in
# legacy mode and the kernel emulates the RTC's interrupts with it while
# an alarm is set: then L1 gets 64 HPET interrupts a second all along
# (22366 in a 370 s run of e2e_tpt_guest) and a lost one is taken within
# 1/64 s. finish() prints the count. TPT_L1_NUDGE=0 (run-l1.sh) turns it
# off: e2e_tpt_exits counts the L2's exits per event, and with the HPET's
# interrupts in L1 its tick event gained a hypercall and the other vCPU a
# HLT per event, in 2 runs of 2.
rtc=/sys/class/rtc/rtc0/wakealarm
rtc_irqs() { awk '/ rtc0$/ { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s; f = 1 } END { if (!f) print "none" }' /proc/interrupts; }
finish() {
	echo "TESTBED-RTC-NUDGES: $(rtc_irqs) (RTC interrupts L1 took: HPET-emulated ones, 64 a second, or alarms that fired)"
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

if grep -q 'tpt_nudge=0' /proc/cmdline; then
	echo "testbed: RTC nudge off (TPT_L1_NUDGE=0)"
elif [ -w $rtc ]; then
	( trap '' HUP; while :; do echo 0 > $rtc; echo +3 > $rtc; sleep 1; done ) &
else
	echo "testbed: no $rtc: a lost L1 interrupt is not nudged"
fi

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
