#!/bin/sh
# TPT benchmark runner for the emulated test bed: runs one workload in the
# same TPT guest kernel under every paging mode the bed can offer and
# prints a table, a CSV and (with gnuplot) a PNG plot of run time per mode.
#
# Usage: tools/bench.sh [--workload W] [--mib N] [--updates N] [--steps N]
#                       [--syscalls N] [--rounds N] [--out DIR]
#                       [--events LIST] [--modes LIST]
#   --workload W  memtest (default), ptrchase, sysbench or exits:
#                 memtest  tools/guest/tpt-memtest: GUPS-style random 64-bit
#                          updates, fork, mprotect, madvise, munmap, THP,
#                          then --syscalls getppid() round trips
#                 ptrchase tools/guest/tpt-ptrchase: pointer chasing, one
#                          node per page, working sets 1 MiB .. --mib MiB:
#                          where TLB reach runs out
#                 sysbench the seed's "sysbench memory --memory-access-mode=rnd"
#                          (Debian's sysbench) with --mib MiB as block and
#                          total size (the seed used 4G on an 8G guest)
#                 exits    VM exits per event by exit reason, per mode
#                          (tools/guest/tpt-exits in L2, counted in L1's
#                          tracefs; tools/bench-exits.sh): a table and
#                          exits.csv; counts, no times. --rounds (default
#                          40) windows of --steps events (default 2)
#                          against as many of 1; --events (default all:
#                          syscall,fault,tick,signal,ctxsw,ctxsw-normal,ipi,
#                          drift)
#                          and --modes (default nested,tpt,verify,shadow)
#   --mib N       working set in MiB (default 64)
#   --updates N   memtest: random updates per run (default 2 x words)
#   --steps N     ptrchase: steps per working set (default 200000)
#   --syscalls N  memtest: getppid() round trips timed after the updates
#                 (default 20000; 0: none): what TPT's switches add per syscall
#   --rounds N    runs per mode; the table shows the median (default 3)
#   --real        run on this machine instead of the emulated bed: needs
#                 /dev/kvm from host_kernel/'s KVM (tpt modes) and root;
#                 sizes like the seed's (--mib 4096: an 8.25 GiB guest)
#   --reload-kvm  with --real: for shadow mode, reload kvm_amd with npt=0
#                 (kvm_intel: ept=0) and back afterwards; without it shadow
#                 is reported as not run
#   --out DIR     where bench.csv, summary.txt and bench.png go
#                 (default build/bench/WORKLOAD)
#
# Modes (all inside the emulated L1 host, so only ratios mean anything):
#   native   the workload runs in L1 itself (one-dimensional paging)
#   nested   L2 under tptvmm, nested paging (NPT)
#   shadow   L2 under tptvmm, kvm_amd reloaded with npt=0 (shadow paging)
#   tpt      L2 under tptvmm --tpt=trust, the workload named in task_name
#   verify   the same with --tpt=verify (software ownership walk)
# Every run prints its checksum (sysbench: its event count); the runner
# fails if they differ. On a real host with the patched kernel, run the
# same binaries in a guest booted from guest_kernel/; see docs/benchmarks.md.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
tb=$src/tools/testbed
. "$tb/common.sh"
mib=64 updates=0 steps='' syscalls=20000 rounds='' out='' workload=memtest real=0 reload=0
events=syscall,fault,tick,signal,ctxsw,ctxsw-normal,ipi,drift modes=nested,tpt,verify,shadow
while [ $# -gt 0 ]; do
	case $1 in
	--workload) workload=${2:-}; shift 2 ;;
	--steps) steps=${2:-}; shift 2 ;;
	--real) real=1; shift ;;
	--reload-kvm) reload=1; shift ;;
	--mib) mib=${2:-}; shift 2 ;;
	--updates) updates=${2:-}; shift 2 ;;
	--syscalls) syscalls=${2:-}; shift 2 ;;
	--rounds) rounds=${2:-}; shift 2 ;;
	--out) out=${2:-}; shift 2 ;;
	--events) events=${2:-}; shift 2 ;;
	--modes) modes=${2:-}; shift 2 ;;
	-h|--help) sed -n '2,51p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
if [ "$workload" = exits ]; then steps=${steps:-2} rounds=${rounds:-40}; else steps=${steps:-200000} rounds=${rounds:-3}; fi
for v in "$mib" "$updates" "$steps" "$syscalls" "$rounds"; do
	case $v in ''|*[!0-9]*) echo "bench: --mib, --updates, --steps, --syscalls and --rounds need numbers" >&2; exit 2 ;; esac
done
[ "$steps" -ge 1 ] || { echo "bench: --steps must be at least 1" >&2; exit 2; }
out=${out:-$src/build/bench/$workload}
if [ $real = 1 ]; then
	[ "$mib" -ge 1 ] && [ "$mib" -le 65536 ] || { echo "bench: --mib must be 1..65536" >&2; exit 2; }
	[ -c /dev/kvm ] || { echo "bench: --real needs /dev/kvm" >&2; exit 2; }
	[ "$(id -u)" = 0 ] || { echo "bench: --real runs as root (KVM statistics, module reloads)" >&2; exit 2; }
else
	[ "$mib" -ge 1 ] && [ "$mib" -le 1024 ] || { echo "bench: --mib must be 1..1024 in the emulated bed" >&2; exit 2; }
	[ $reload = 0 ] || { echo "bench: --reload-kvm needs --real" >&2; exit 2; }
fi
if [ "$workload" = exits ]; then
	[ $real = 0 ] || { echo "bench: --workload exits runs in the emulated bed only (L1's tracefs)" >&2; exit 2; }
	[ "$rounds" -ge 3 ] && [ "$rounds" -le 200 ] || { echo "bench: --rounds must be 3..200 for exits" >&2; exit 2; }
	[ "$steps" -ge 2 ] && [ "$steps" -le 500 ] || { echo "bench: --steps must be 2..500 for exits" >&2; exit 2; }
	for e in $(echo "$events" | tr , ' '); do
		case $e in syscall|fault|tick|signal|ctxsw|ctxsw-normal|ipi|drift) ;;
		*) echo "bench: unknown event '$e' (syscall, fault, tick, signal, ctxsw, ctxsw-normal, ipi, drift)" >&2; exit 2 ;;
		esac
	done
	for m in $(echo "$modes" | tr , ' '); do
		case $m in nested|tpt|verify|shadow) ;;
		*) echo "bench: unknown mode '$m' for exits (nested, tpt, verify, shadow)" >&2; exit 2 ;;
		esac
	done
	exec sh "$src/tools/bench-exits.sh" "${out:-$src/build/bench/exits}" "$rounds" "$steps" 1 "$events" "$modes"
fi
[ "$rounds" -ge 1 ] && [ "$rounds" -le 20 ] || { echo "bench: --rounds must be 1..20" >&2; exit 2; }
case $workload in
memtest|ptrchase) bin=tpt-$workload ;;
sysbench) bin=sysbench
	[ -x /usr/bin/sysbench ] || { echo "bench: sysbench is missing (apt-get install sysbench)" >&2; exit 2; } ;;
*) echo "bench: unknown workload '$workload' (memtest, ptrchase, sysbench, exits)" >&2; exit 2 ;;
esac
for b in tpt-memtest tpt-ptrchase; do
	[ -x "$src/build/tools/guest/$b" ] || { echo "bench: build first (cmake --build build)" >&2; exit 2; }
done
mkdir -p "$out"
work=$out/work
mkdir -p "$work"
l2kernel=$("$src/tools/build-guest-kernel.sh")
case $workload in
memtest) args="-m $mib"
	[ "$updates" = 0 ] || args="$args -n $updates"
	[ "$syscalls" = 0 ] || args="$args -S $syscalls"
	cmd="tpt-memtest $args" ;;
ptrchase) cmd="tpt-ptrchase -m $mib -n $steps" ;;
sysbench) cmd="sysbench-run $mib" ;;
esac
l2mem=$((mib * 2 + 256))
extra_l2= extra_l1=
if [ "$workload" = sysbench ]; then
	for spec in $("$tb/bin-files.sh" /usr/bin/sysbench); do
		extra_l2="$extra_l2 --l2-file $spec"
		extra_l1="$extra_l1 $spec"
	done
fi

# The L1 and L2 scripts are files (tools/testbed/bench-l1.sh, bench-l2.sh);
# their parameters go in env files.
l1_env "$work/l1.env" ROUNDS="$rounds" CMD="$cmd" L2_MEM="$l2mem"
l1_env "$work/bench.env" BIN="$bin" ROUNDS="$rounds" CMD="$cmd"
status=0
if [ $real = 1 ]; then
	# The same files as in the bed's L1 image, in a directory here.
	rt=$work/real
	rm -rf "$rt"
	mkdir -p "$rt/l2"
	cp "$src/build/vmm/tptvmm-static" "$rt/tptvmm"
	cp "$tb/l2-check.sh" "$work/l1.env" "$rt/"
	cp "$tb/bench-l1.sh" "$rt/run.sh"
	cp "$l2kernel" "$rt/l2/bzImage"
	# shellcheck disable=SC2086 # space-free specs
	"$tb/mkinitramfs.sh" "$rt/l2/initrd.gz" "$tb/l2-init.sh" \
		"$src/build/tools/guest/tpt-guest-util=/bin/tpt-guest-util" \
		"$tb/bench-l2.sh=/testbed/l2-run.sh" "$work/bench.env=/testbed/bench.env" \
		"$src/build/tools/guest/tpt-memtest=/bin/tpt-memtest" \
		"$src/build/tools/guest/tpt-ptrchase=/bin/tpt-ptrchase" \
		"$tb/bench-sysbench.sh=/bin/sysbench-run" $(echo "$extra_l2" | sed 's/--l2-file //g')
	cp "$src/build/tools/guest/tpt-memtest" "$src/build/tools/guest/tpt-ptrchase" "$rt/"
	cp "$tb/bench-sysbench.sh" "$rt/sysbench-run"
	echo "bench: $rounds round(s) of '$cmd' per mode on this machine (not emulated)..." >&2
	TESTBED=$rt RELOAD_KVM=$reload sh "$rt/run.sh" > "$work/l1.log" 2>&1 || status=1
else
"$tb/l1-image.sh" "$work/l1.cpio.gz" "$src/build" "$tb/bench-l1.sh" --env "$work/l1.env" \
	--l2 "$l2kernel" \
	--l2-file "$tb/bench-l2.sh=/testbed/l2-run.sh" --l2-file "$work/bench.env=/testbed/bench.env" \
	--l2-file "$src/build/tools/guest/tpt-memtest=/bin/tpt-memtest" \
	--l2-file "$src/build/tools/guest/tpt-ptrchase=/bin/tpt-ptrchase" \
	--l2-file "$tb/bench-sysbench.sh=/bin/sysbench-run" $extra_l2 \
	"$src/build/tools/guest/tpt-memtest=/testbed/tpt-memtest" \
	"$src/build/tools/guest/tpt-ptrchase=/testbed/tpt-ptrchase" \
	"$tb/bench-sysbench.sh=/testbed/sysbench-run" $extra_l1
echo "bench: $rounds round(s) of '$cmd' per mode in the emulated test bed..." >&2
# Progress: each finished round as it appears in L1's console log.
: > "$work/l1.log"
# Killed through the tail's pid: killing the pipeline's last command
# left tail -f running, holding the caller's output open.
{ tail -n 0 -f "$work/l1.log" 2>/dev/null & echo $! > "$work/tail.pid"; wait; } | tr -d '\r' |
	grep --line-buffered -E '^(BENCH mode=|PASS bench_|FAIL bench_|BENCH-SKIP)' |
	sed -u 's/ tpt-[a-z]*: / /; s/^/bench: progress: /' >&2 &
"$tb/run-l1.sh" "$work/l1.cpio.gz" "$work/l1.log" 3600 $((l2mem + 1536)) >&2 || status=1
kill "$(cat "$work/tail.pid")" 2>/dev/null || true
wait
fi
log=$work/results.txt
tr -d '\r' < "$work/l1.log" | grep -E '^(BENCH|PASS|FAIL)' > "$log" || true

# CSV: mode,round,update_ms,total_ms,checksum,syscall_ns (one row per
# finished round; key=value fields, so a missing syscall_ns stays empty)
# lat (ptrchase): ns per step by working set, "1M:3.4;2M:3.6;..."
echo "mode,round,update_ms,total_ms,checksum,syscall_ns,lat" > "$out/bench.csv"
awk '/^BENCH mode=/ {
	delete kv
	for (i = 2; i <= NF; i++) if (split($i, p, "=") == 2) kv[p[1]] = p[2]
	if (kv["checksum"] == "" || kv["ms"] == "") next
	gsub(",", ";", kv["lat"])
	print kv["mode"] "," kv["round"] "," kv["update_ms"] "," kv["ms"] "," kv["checksum"] "," kv["syscall_ns"] "," kv["lat"]
}' "$log" >> "$out/bench.csv"
nsum=$(tail -n +2 "$out/bench.csv" | cut -d, -f5 | sort -u | wc -l)
median() { # MODE COLUMN
	awk -F, -v m="$1" -v c="$2" '$1 == m { print $c }' "$out/bench.csv" | sort -n |
		awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'
}
ratio() { [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || echo -; }
: > "$work/medians.dat"
{
	if [ $real = 1 ]; then
		echo "$cmd, $rounds round(s) per mode, medians; on $(uname -n), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	else
		echo "$cmd, $rounds round(s) per mode, medians; EMULATED test bed (QEMU TCG L1): compare ratios only"
	fi
	case $workload in
	memtest) echo "update = the random updates alone (all pages touched before), total = the whole run (faults, fork, ...)" ;;
	ptrchase) echo "update = the timed chases alone (pages faulted in before), total = the whole run" ;;
	sysbench) echo "update = total = sysbench's total time" ;;
	esac
	printf '%-8s %10s %8s %10s %8s %11s %8s  %s\n' mode update_ms /nested total_ms /nested syscall_ns /nested note
	nu=$(median nested 3) nt=$(median nested 4) ns=$(median nested 6)
	for m in native nested shadow tpt verify; do
		u=$(median $m 3) t=$(median $m 4) sc=$(median $m 6)
		if [ -z "$u" ]; then
			note=$(grep "^BENCH-SKIP $m" "$log" | sed 's/^BENCH-SKIP [a-z]*: //' || true)
			printf '%-8s %10s %8s %10s %8s %11s %8s  %s\n' $m - - - - - - "not run${note:+: $note}"
			continue
		fi
		echo "$m $u $t" >> "$work/medians.dat"
		note=
		case $m in native) note="L1 itself (no second dimension)" ;;
		tpt|verify) note=$(grep "^BENCH-KVM mode=$m " "$log" | grep -o 'tpt_enters=[0-9]*' || true) ;;
		esac
		printf '%-8s %10s %8s %10s %8s %11s %8s  %s\n' $m "$u" "$(ratio "$u" "$nu")" "$t" \
			"$(ratio "$t" "$nt")" "${sc:--}" "$( [ -n "$sc" ] && ratio "$sc" "$ns" || echo -)" "$note"
	done
	if [ "$nsum" = 1 ]; then echo "checksums: identical in every run ($(tail -1 "$out/bench.csv" | cut -d, -f5))"
	else echo "checksums: DIFFER ($nsum distinct values)"; status=1; fi
	if [ "$workload" = ptrchase ]; then
		echo "ns per step by working set (median over rounds):"
		awk -F, -f "$src/tools/bench-lat.awk" "$out/bench.csv"
	fi
} > "$out/summary.txt"
cat "$out/summary.txt"
if command -v gnuplot >/dev/null && [ -s "$work/medians.dat" ]; then
	gnuplot -e "set terminal png size 800,480; set output '$out/bench.png';
		set title '$cmd, medians ($([ $real = 1 ] && echo "$(uname -n)" || echo "emulated test bed: ratios only"))';
		set ylabel 'ms'; set style data histograms; set style fill solid;
		set key top left; plot '$work/medians.dat' using 2:xtic(1) title 'timed phase (update_ms)',
		'' using 3 title 'whole run'" &&
		echo "plot: $out/bench.png"
	if [ "$workload" = ptrchase ]; then
		# ns per step against working set, one line per mode.
		awk -F, -v T=1 -f "$src/tools/bench-lat.awk" "$out/bench.csv" > "$work/lat.dat"
		n=$(head -1 "$work/lat.dat" | wc -w)
		gnuplot -e "set terminal png size 800,480; set output '$out/bench-lat.png';
			set title 'pointer chase: ns per step by working set ($([ $real = 1 ] && uname -n || echo "emulated: ratios only"))';
			set ylabel 'ns per step'; set xlabel 'working set'; set key top left; set logscale y;
			plot for [i=2:$n] '$work/lat.dat' using i:xtic(1) with linespoints title columnheader(i)" &&
			echo "plot: $out/bench-lat.png"
	fi
else
	echo "plot: skipped (gnuplot not installed: apt-get install gnuplot-nox)"
fi
echo "csv: $out/bench.csv"
exit $status
