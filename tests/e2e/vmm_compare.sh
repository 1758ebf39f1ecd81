#!/bin/sh
# e2e: the same L2 under tptvmm and under QEMU+KVM (-M pc) in the same
# emulated L1, alternating, ROUNDS times each with 1 and 2 vCPUs. Every boot
# must pass the L2 checks; the medians of VMM start -> L2 init and of the
# VMM's peak RSS are reported as QEMU/tptvmm ratios. All times are emulated.
# Usage: vmm_compare.sh SRC_DIR BUILD_DIR [ROUNDS]
set -eu
src=$1 build=$2 rounds=${3:-3}
tb=$src/tools/testbed
. "$tb/common.sh"
work=$build/e2e/vmm_compare
mkdir -p "$work"
l2kernel=${TPT_L2_KERNEL:-$("$tb/host-kernel.sh")/vmlinuz}
l1_env "$work/l1.env" ROUNDS="$rounds"
"$tb/l1-image.sh" "$work/l1.cpio.gz" "$build" "$src/tests/e2e/vmm_compare_l1.sh" --env "$work/l1.env" \
	--l2 "$l2kernel" --qemu
status=0
"$tb/run-l1.sh" "$work/l1.cpio.gz" "$work/l1.log" 1500 || status=1
grep -E '^(PASS|FAIL)' "$work/l1.log" | tr -d '\r' > "$work/results.txt"
cat "$work/results.txt"
# median of field $3 over the PASS lines of VMM $1 with $2 vCPUs
median() {
	grep "^PASS $1$2-" "$work/results.txt" | sed -n "s/.* $3=\([0-9]*\).*/\1/p" |
		sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
for n in 1 2; do
	tt=$(median tptvmm $n start_to_init_cs) qt=$(median qemu $n start_to_init_cs)
	tr=$(median tptvmm $n peak_rss_kb) qr=$(median qemu $n peak_rss_kb)
	if [ -z "$tt" ] || [ -z "$qt" ] || [ -z "$tr" ] || [ -z "$qr" ]; then
		echo "RATIO cpus=$n: missing results"
		status=1
		continue
	fi
	awk -v n="$n" -v r="$rounds" -v a="$tt" -v b="$qt" -v c="$tr" -v d="$qr" 'BEGIN {
		printf "RATIO cpus=%d (median of %d) start_to_init qemu/tptvmm=%.2f (%.2fs/%.2fs) peak_rss qemu/tptvmm=%.2f (%d/%d kB) (emulated)\n",
			n, r, b / a, b / 100, a / 100, d / c, d, c }'
done | tee -a "$work/results.txt"
grep -q 'missing results' "$work/results.txt" && status=1
exit $status
