#!/bin/sh
# Runs inside L1: counts the VM exits of an L2 between its debug marks
# (tools/guest/tpt-exits), from L1's tracefs (kvm:kvm_exit, kvm:kvm_pio).
# Usage: exits-trace.sh on           tracing on, buffer emptied
#        exits-trace.sh windows MODE  one line per marked window, then off
# A window opens at a kvm_pio write of 0xc0..0xff to port 0x500 (the
# begin mark, its value names the event and size) and closes at the write
# of 0xbf (the end mark); every kvm_exit in between is counted by reason,
# the end mark's own I/O exit included (a fixed cost, like the loop's):
#   EXITS-WIN mode=MODE mark=0xc1 total=T intr=I other=K reasons=R:C,... excl=X excluded=NAME:C,...
# total counts the exits of the vCPU that wrote the begin mark (the one
# the driver is pinned to); exits of the other vCPUs are counted apart
# (other=, and as reasons "other-NAME"). Both exclude host interrupts
# (SVM "interrupt", VMX "EXTERNAL_INTERRUPT", given as intr=: L1's own
# timer ticks land in any window, at L1's rate, whatever the L2 does; so
# does the hrtimer behind an L2 timer tick). Exits of a named other
# cause are left out of total, other and reasons and counted in excl=
# and excluded= (kvm_hypercall and kvm_apic_accept_irq traced too):
# other-tick, the other vCPU woken from hlt by its timer vector, up to
# its next hlt, when nothing else happened in between (see below);
# broadcast, the driver's KVM_HC_SEND_IPI of the timer vector 0xec (the
# clockevent broadcast of an L2 whose APIC timer is off).
# Then "EXITS-TRACE mode=MODE windows=W overrun=O": O > 0 means
# the ring buffer dropped events, and windows may be lost.
# EXITS_TRACE_DUMP=MARK,... (begin marks, or "all"): also the trace
# lines of those windows, "EXITS-EV mode=M mark=X w=K LINE".
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
	# What the exits are for: a hypercall's number and arguments, the
	# vectors each vCPU's local APIC accepts (see the attribution below).
	echo 1 > $t/events/kvm/kvm_hypercall/enable
	echo 1 > $t/events/kvm/kvm_apic_accept_irq/enable
	[ -z "${EXITS_TRACE_DUMP:-}" ] || echo 1 > $t/events/kvm/kvm_inj_virq/enable
	: > $t/trace
	echo 1 > $t/tracing_on
	;;
windows)
	mode=$2
	echo 0 > $t/tracing_on
	if [ -n "${EXITS_TRACE_DUMP:-}" ]; then
		awk -v mode="$mode" -v dump="$EXITS_TRACE_DUMP" '
		BEGIN { k = split(dump, d, ","); for (i = 1; i <= k; i++) want[d[i]] = 1 }
		/ kvm_pio: pio_write at 0x500 / {
			val = tolower($NF); if (val !~ /^0x/) val = tolower($(NF - 1))
			if (val == "0xbf") { open = 0; next }
			if (val ~ /^0x[c-f][0-9a-f]$/) { w[val]++; open = (val in want) || ("all" in want); m = val }
			next
		}
		!open { next }
		/ kvm_(exit|hypercall|apic_accept_irq|inj_virq): / {
			sub(/^.*: kvm_/, "")
			print "EXITS-EV mode=" mode " mark=" m " w=" w[m] " " $0
		}' $t/trace
	fi
	awk -v mode="$mode" '
	function hex(s,    i, n) {
		s = tolower(s); sub(/^0x/, "", s); n = 0
		for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return n
	}
	function count(v, r) {
		if (!open) return
		if (v != mv) { other++; c["other-" r]++ } else { total++; c[r]++ }
	}
	function excl(name, k) { if (open) { nx += k; x[name] += k } }
	# The end of vCPU v'"'"'s timer episode: at its hlt (ended) it is
	# excluded as its own tick, unless anything else happened in it
	# ("mixed"); cut by the window'"'"'s end, or mixed, it is counted.
	function flush(v, ended,    k, q) {
		if (!(v in ep)) return
		for (k in epc) {
			split(k, q, SUBSEP)
			if (q[1] != v) continue
			if (ended && ep[v] == "tick") excl("other-tick", epc[k]); else { other += epc[k]; c["other-" q[2]] += epc[k] }
			delete epc[k]
		}
		delete ep[v]
	}
	function pending_hc() { if (hc != "") { count(hc, hcr); hc = "" } }
	/ kvm_exit: / {
		pending_hc(); hcep = ""
		for (i = 1; i < NF; i++) {
			if ($i == "vcpu") v = $(i + 1)
			if ($i == "reason") { r = $(i + 1); break }
		}
		last = v
		if (r == "interrupt" || r == "EXTERNAL_INTERRUPT") { if (open) intr++; next }
		ishlt = (r == "hlt" || r == "HLT")
		if (v != mv && (v in ep)) {
			if (open) epc[v, r]++
			# An idle CPU'"'"'s tick: timer reprogramming (APIC access
			# or MSR), an interrupt window, a broadcast hypercall, hlt.
			# Nothing else (no CR3 access: it never leaves the idle
			# task), or the episode is not just the tick.
			if (r == "hypercall" || r == "VMCALL") hcep = v
			else if (r !~ /^(npf|EPT_VIOLATION|EPT_MISCONFIG|APIC_ACCESS|APIC_WRITE|msr|MSR_WRITE|vintr|INTERRUPT_WINDOW|PREEMPTION_TIMER|hlt|HLT)$/) ep[v] = "mixed"
			if (ishlt) { flush(v, 1); halted[v] = 1; woke[v] = 0 }
			next
		}
		halted[v] = ishlt; woke[v] = 0
		if (r == "hypercall" || r == "VMCALL") { hc = v; hcr = r; next }
		count(v, r)
		next
	}
	/ kvm_hypercall: / {
		for (i = 1; i < NF; i++) { if ($i == "nr") nr = $(i + 1); if ($i == "a3") a3 = $(i + 1) }
		# KVM_HC_SEND_IPI of LOCAL_TIMER_VECTOR (0xec): Linux sends the
		# timer vector as an IPI only for the clockevent broadcast (a
		# guest whose local APIC timer is off: its tick comes from the
		# PIT on CPU 0, which forwards it to the other CPUs). Not an
		# event'"'"'s work: excluded as "broadcast", counted apart.
		bc = (nr == "0xa" && hex(a3) % 256 == 236)
		if (hcep != "") { if (!bc) ep[hcep] = "mixed"; hcep = ""; next }
		if (hc == mv && bc) { excl("broadcast", 1); hc = ""; next }
		pending_hc()
		next
	}
	/ kvm_apic_accept_irq: / {
		for (i = 1; i < NF; i++) { if ($i == "apicid") a = hex($(i + 1)); if ($i == "vec") vec = $(i + 1) }
		if (a == mv || mv == "") next
		# The other vCPU woken from hlt by its timer (the first vector
		# it accepts after its hlt: its local APIC timer 236, the
		# broadcast 236, the PIT 48): from here to its next hlt it
		# runs its own tick. Any other vector meanwhile (an IPI from
		# the driver) and the episode counts.
		tm = (vec == 236 || vec == 48)
		if (!(a in ep)) { if (halted[a] && !woke[a] && tm) ep[a] = "tick" }
		else if (!tm) ep[a] = "mixed"
		woke[a] = 1
		next
	}
	/ kvm_pio: pio_write at 0x500 / {
		pending_hc()
		val = $NF; if (val !~ /^0x/) val = $(NF - 1)
		x0 = tolower(val)
		if (x0 == "0xbf") {
			if (open) {
				for (k in ep) if (k != mv) flush(k, 0)
				s = ""
				for (k in c) s = s (s == "" ? "" : ",") k ":" c[k]
				e = ""
				for (k in x) e = e (e == "" ? "" : ",") k ":" x[k]
				printf "EXITS-WIN mode=%s mark=%s total=%d intr=%d other=%d reasons=%s excl=%d excluded=%s\n", mode, m, total, intr, other, s, nx, e
				n++
			}
			open = 0
		} else if (x0 ~ /^0x[c-f][0-9a-f]$/) {
			open = 1; m = x0; mv = last; total = intr = other = nx = 0
			for (k in c) delete c[k]
			for (k in x) delete x[k]
			for (k in epc) delete epc[k]
		}
	}
	END { printf "EXITS-TRACE mode=%s windows=%d", mode, n }' $t/trace
	echo " overrun=$(awk '/^overrun:/ { print $2 }' $t/per_cpu/cpu0/stats)"
	echo 0 > $t/events/kvm/kvm_exit/enable
	echo 0 > $t/events/kvm/kvm_pio/enable
	for e in kvm_hypercall kvm_apic_accept_irq kvm_inj_virq; do echo 0 > $t/events/kvm/$e/enable; done
	: > $t/trace
	;;
*)
	echo "usage: exits-trace.sh on | windows MODE" >&2
	exit 2
	;;
esac
