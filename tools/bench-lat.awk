# tools/bench.sh --workload ptrchase: the median ns per step of each mode
# for each working set, from bench.csv (mode,...,lat with "1M:3.4;2M:...").
# A row per mode; with -v T=1 a row per working set (gnuplot's input).
NR > 1 && $7 != "" {
	n = split($7, a, ";")
	for (i = 1; i <= n; i++) {
		split(a[i], kv, ":")
		size[i] = kv[1]
		v[$1, i, ++cnt[$1, i]] = kv[2] + 0
	}
	if (n > ns)
		ns = n
	seen[$1] = 1
}
function median(m, i,   c, k, j, t, x) {
	c = cnt[m, i]
	for (k = 1; k <= c; k++)
		x[k] = v[m, i, k]
	for (k = 2; k <= c; k++) {
		t = x[k]
		for (j = k - 1; j >= 1 && x[j] > t; j--)
			x[j + 1] = x[j]
		x[j + 1] = t
	}
	return c ? x[int((c + 1) / 2)] : 0
}
END {
	if (T) {	# transposed, for gnuplot: a row per working set
		split("native nested shadow tpt verify", order, " ")
		printf "size"
		for (o = 1; o <= 5; o++)
			if (order[o] in seen)
				printf " %s", order[o]
		print ""
		for (i = 1; i <= ns; i++) {
			printf "%s", size[i]
			for (o = 1; o <= 5; o++)
				if (order[o] in seen)
					printf " %.1f", median(order[o], i)
			print ""
		}
		exit
	}
	printf "%-8s", "mode"
	for (i = 1; i <= ns; i++)
		printf " %8s", size[i]
	print ""
	split("native nested shadow tpt verify", order, " ")
	for (o = 1; o <= 5; o++) {
		m = order[o]
		if (!(m in seen))
			continue
		printf "%-8s", m
		for (i = 1; i <= ns; i++)
			printf " %8.1f", median(m, i)
		print ""
	}
}
