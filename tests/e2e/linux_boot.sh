#!/bin/sh
# e2e: a real Linux L2 boots under tptvmm inside the emulated L1 host, with
# 1 and 2 vCPUs; it must see its CPUs and memory, sleep, and end cleanly
# (through the debug-exit port and through ACPI power-off). The same L2 then
# boots under QEMU+KVM in the same L1, and the two VMMs are compared (time
# from VMM start to the L2's init, peak RSS), as ratios of emulated runs.
# Usage: linux_boot.sh SRC_DIR BUILD_DIR
set -eu
src=$1 build=$2
tb=$src/tools/testbed
work=$build/e2e/linux_boot
mkdir -p "$work"
hostdir=$("$tb/host-kernel.sh")
l2kernel=${TPT_L2_KERNEL:-$hostdir/vmlinuz}
"$tb/mkinitramfs.sh" "$work/l2.cpio.gz" "$tb/l2-init.sh" \
	"$build/tools/guest/tpt-guest-util=/bin/tpt-guest-util"
cat > "$work/run.sh" <<'RUN'
#!/bin/sh
rc=0
sh /testbed/l2-check.sh up1 tptvmm 1 256 debug || rc=1
sh /testbed/l2-check.sh up2 tptvmm 2 256 poweroff || rc=1
sh /testbed/l2-check.sh qemu1 qemu 1 256 poweroff || rc=1
sh /testbed/l2-check.sh qemu2 qemu 2 256 poweroff || rc=1
exit $rc
RUN
qfiles=$("$tb/qemu-files.sh")
"$tb/mkinitramfs.sh" "$work/l1.cpio.gz" "$tb/l1-init.sh" \
	"$build/vmm/tptvmm-static=/testbed/tptvmm" \
	"$work/run.sh=/testbed/run.sh" \
	$qfiles \
	"$tb/l2-check.sh=/testbed/l2-check.sh" \
	"$l2kernel=/testbed/l2/bzImage" \
	"$work/l2.cpio.gz=/testbed/l2/initrd.gz" \
	"$hostdir/modules/irqbypass.ko=/lib/modules/irqbypass.ko" \
	"$hostdir/modules/kvm.ko=/lib/modules/kvm.ko" \
	"$hostdir/modules/kvm-amd.ko=/lib/modules/kvm-amd.ko"
status=0
"$tb/run-l1.sh" "$work/l1.cpio.gz" "$work/l1.log" 1200 || status=1
grep -E '^(PASS|FAIL)' "$work/l1.log" | tr -d '\r' > "$work/results.txt"
# QEMU/tptvmm ratios for the same vCPU count (above 1: tptvmm is better).
field() { grep "^PASS $1:" "$work/results.txt" | sed -n "s/.* $2=\([0-9]*\).*/\1/p"; }
for n in 1 2; do
	tb_t=$(field up$n start_to_init_cs) q_t=$(field qemu$n start_to_init_cs)
	tb_r=$(field up$n peak_rss_kb) q_r=$(field qemu$n peak_rss_kb)
	[ -n "$tb_t" ] && [ -n "$q_t" ] && [ -n "$tb_r" ] && [ -n "$q_r" ] || continue
	awk -v n=$n -v a="$tb_t" -v b="$q_t" -v c="$tb_r" -v d="$q_r" 'BEGIN {
		printf "RATIO cpus=%d start_to_init qemu/tptvmm=%.2f (%.2fs/%.2fs) peak_rss qemu/tptvmm=%.2f (%d/%d kB) (emulated)\n",
			n, b / a, b / 100, a / 100, d / c, d, c }' >> "$work/results.txt"
done
cat "$work/results.txt"
exit $status
