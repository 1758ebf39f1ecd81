#!/bin/sh
# Runs inside L1: counts the VM exits of an L2 between its debug marks
# (tools/guest/tpt-exits), from L1's tracefs (kvm:kvm_exit, kvm:kvm_pio).
# Usage: exits-trace.sh on           tracing on, buffer emptied
#        exits-trace.sh windows MODE  one line per marked window, then off
# A window opens at a kvm_pio write of 0xc0..0xff to port 0x500 (the
# begin mark, its value names the event and size) and closes at the write
# of 0xbf (the end mark); every kvm_exit in between is counted by reason,
# the end mark's own I/O exit included (a fixed cost, like the loop's):
#   EXITS-WIN mode=MODE mark=0xc1 total=T intr=I other=K reasons=R:C,...
# total counts the exits of the vCPU that wrote the begin mark (the one
# the driver is pinned to); exits of the other vCPUs are counted apart
# (other=, and as reasons "other-NAME"). Both exclude host interrupts
# (SVM "interrupt", VMX "EXTERNAL_INTERRUPT", given as intr=: L1's own
# timer ticks land in any window, at L1's rate, whatever the L2 does; so
# does the hrtimer behind an L2 timer tick). Then "EXITS-TRACE mode=MODE windows=W overrun=O": O > 0 means
# the ring buffer dropped events, and windows may be lost.
# L1's kernel (Debian's cloud 6.12) also has CONFIG_HIST_TRIGGERS, but a
# histogram cannot be bracketed by the guest's marks; the trace lines can.
set -eu
t=/sys/kernel/tracing
[ -d $t/events ] || mount -t tracefs nodev $t
case ${1:-} in
on)
	echo 0 > $t/tracing_on
	# Per CPU; L1 has one. Windows are small, but L2's boot before them
	# is not: the oldest events are overwritten, the windows come last.
	echo "${EXITS_TRACE_KB:-65536}" > $t/buffer_size_kb
	echo 'port == 0x500' > $t/events/kvm/kvm_pio/filter
	echo 1 > $t/events/kvm/kvm_pio/enable
	echo 1 > $t/events/kvm/kvm_exit/enable
	: > $t/trace
	echo 1 > $t/tracing_on
	;;
windows)
	mode=$2
	echo 0 > $t/tracing_on
	awk -v mode="$mode" '
	/ kvm_exit: / {
		for (i = 1; i < NF; i++) {
			if ($i == "vcpu") v = $(i + 1)
			if ($i == "reason") { r = $(i + 1); break }
		}
		last = v
		if (!open) next
		if (r == "interrupt" || r == "EXTERNAL_INTERRUPT") { intr++; next }
		if (v != mv) { other++; c["other-" r]++; next }
		total++
		c[r]++
		next
	}
	/ kvm_pio: pio_write at 0x500 / {
		val = $NF; if (val !~ /^0x/) val = $(NF - 1)
		x = tolower(val)
		if (x == "0xbf") {
			if (open) {
				s = ""
				for (k in c) s = s (s == "" ? "" : ",") k ":" c[k]
				printf "EXITS-WIN mode=%s mark=%s total=%d intr=%d other=%d reasons=%s\n", mode, m, total, intr, other, s
				n++
			}
			open = 0
		} else if (x ~ /^0x[c-f][0-9a-f]$/) {
			open = 1; m = x; mv = last; total = intr = other = 0
			for (k in c) delete c[k]
		}
	}
	END { printf "EXITS-TRACE mode=%s windows=%d", mode, n }' $t/trace
	echo " overrun=$(awk '/^overrun:/ { print $2 }' $t/per_cpu/cpu0/stats)"
	echo 0 > $t/events/kvm/kvm_exit/enable
	echo 0 > $t/events/kvm/kvm_pio/enable
	: > $t/trace
	;;
*)
	echo "usage: exits-trace.sh on | windows MODE" >&2
	exit 2
	;;
esac
