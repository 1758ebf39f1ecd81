# VM exits per event from tools/testbed/exits-run.sh's lines (bench-exits.sh).
# For each mode and event: the quietest window (fewest exits; among
# those, the most common by reason) of the N0 windows and of the N
# windows, and their difference divided by N - N0. Noise (a timer tick,
# the other vCPU waking) only ever adds exits to a window, so the
# quietest window is the event's own count as long as one window was
# quiet; clean says how many were. Prints a table; writes -v csv=FILE:
#   mode,event,exits,reasons,n,n0,rounds,clean,clean0,intr,other,excluded
# exits: per event, on the driver's vCPU, all reasons but host
# interrupts; other: the same on the other vCPUs; reasons:
# "name:count;..." per event, "other-name" for the other vCPUs
# (fractions when a difference does not divide: not exact);
# clean/clean0: how many N / N0 windows were that quiet; intr: host
# interrupts per event (the mean difference, not exact: L1's own ticks);
# excluded: the exits exits-trace.sh attributed to a named other cause
# and left out of every count, "name:count;..." summed over all windows.
# Exit status 1 when a mode lost windows (ring buffer overrun, a failed L2).
function canon(s,    a, k, i, j, t) {
	k = split(s, a, ",")
	for (i = 2; i <= k; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	t = ""
	for (i = 1; i <= k; i++) t = t (i > 1 ? "," : "") a[i]
	return t
}
function kv(line, key,    i) {
	for (i = 1; i <= NF; i++) if (index($i, key "=") == 1) return substr($i, length(key) + 2)
	return ""
}
function num(x) { return x == int(x) ? sprintf("%d", x) : sprintf("%.2f", x) }
/^EXITS-L2 mode=[a-z]* tpt-exits: event=/ {
	m = kv($0, "mode"); np++
	pm[np] = m; pe[np] = kv($0, "event"); pid[np] = kv($0, "id")
	pn[np] = kv($0, "n"); pn0[np] = kv($0, "n0"); pr[np] = kv($0, "rounds")
	if (!(m in seenmode)) { seenmode[m] = 1; modes[++nm] = m }
	next
}
/^EXITS-WIN / {
	k = kv($0, "mode") SUBSEP kv($0, "mark")
	c = canon(kv($0, "reasons")); tw = kv($0, "total") + kv($0, "other")
	wins[k]++
	freq[k, c]++
	if (!(k in mint) || tw < mint[k]) { mint[k] = tw; best[k] = 0 }
	if (tw == mint[k] && freq[k, c] > best[k]) { best[k] = freq[k, c]; bestc[k] = c }
	intr[k] += kv($0, "intr")
	split(kv($0, "excluded"), t, ",")
	for (j in t) if (split(t[j], q, ":") == 2) { exn[k, q[1]] += q[2]; exname[q[1]] = 1 }
	next
}
/^EXITS-L2 mode=[a-z]* EXITS-CLOCK / { sub(/^EXITS-L2 /, ""); sub(/ EXITS-CLOCK /, " "); clocks[++nc] = $0; next }
/^EXITS-TRACE / { if (kv($0, "overrun") + 0 > 0) { print "exits: " $0 ": ring buffer overrun"; bad = 1 }; next }
/^EXITS-SKIP / { sub(/^EXITS-SKIP /, ""); skipped[++ns] = $0; next }
/^FAIL / { print "exits: " $0; bad = 1; next }
END {
	if (csv != "") print "mode,event,exits,reasons,n,n0,rounds,clean,clean0,intr,other,excluded" > csv
	print "VM exits per event, by exit reason (EMULATED test bed: the counts are exact, no times)"
	printf "%-7s %-13s %6s %6s  %-9s %s\n", "mode", "event", "exits", "other", "clean", "by reason (intr: host interrupts, not counted)"
	for (i = 1; i <= np; i++) {
		m = pm[i]; id = pid[i]; d = pn[i] - pn0[i]
		k0 = m SUBSEP sprintf("0x%x", 192 + 2 * id)
		k1 = m SUBSEP sprintf("0x%x", 193 + 2 * id)
		if (wins[k0] != pr[i] || wins[k1] != pr[i]) {
			printf "exits: mode %s event %s: %d and %d windows, %d expected\n", m, pe[i], wins[k0], wins[k1], pr[i]
			bad = 1
			continue
		}
		delete a0; delete a1; delete all
		split(bestc[k0], t, ","); for (j in t) if (split(t[j], q, ":") == 2) { a0[q[1]] = q[2]; all[q[1]] = 1 }
		split(bestc[k1], t, ","); for (j in t) if (split(t[j], q, ":") == 2) { a1[q[1]] = q[2]; all[q[1]] = 1 }
		s = ""; tot = 0; oth = 0
		for (r in all) {
			x = (a1[r] - a0[r]) / d
			if (r ~ /^other-/) oth += x; else tot += x
			if (x != 0) s = s (s == "" ? "" : ",") r ":" num(x)
		}
		s = canon(s); gsub(",", ";", s)
		ix = (intr[k1] - intr[k0]) / pr[i] / d
		xs = ""
		for (r in exname) if (exn[k0, r] + exn[k1, r] > 0) xs = xs (xs == "" ? "" : ",") r ":" (exn[k0, r] + exn[k1, r])
		xs = canon(xs); gsub(",", ";", xs)
		if (csv != "") printf "%s,%s,%s,%s,%d,%d,%d,%d,%d,%.2f,%s,%s\n", m, pe[i], num(tot), s, pn[i], pn0[i], pr[i], best[k1], best[k0], ix, num(oth), xs > csv
		printf "%-7s %-13s %6s %6s  %4d/%-4d %s  (intr %.2f%s)\n", m, pe[i], num(tot), num(oth), best[k1], best[k0], s == "" ? "-" : s, ix, xs == "" ? "" : "; excluded in all windows: " xs
	}
	for (i = 1; i <= ns; i++) print "not run: " skipped[i]
	for (i = 1; i <= nc; i++) print "L2 timer: " clocks[i]
	print "exits: on the driver's vCPU; other: on the other vCPU; clean: windows (N / N0) as quiet as the quietest, of rounds"
	print "excluded: exits of a named other cause, not counted (tools/testbed/exits-trace.sh): broadcast, the driver's IPI of the timer vector (clockevent broadcast); other-tick, the other vCPU running its own timer interrupt"
	exit bad
}
