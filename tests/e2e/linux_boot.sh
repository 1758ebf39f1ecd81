#!/bin/sh
# e2e: a real Linux L2 boots under tptvmm inside the emulated L1 host, with
# 1 and 2 vCPUs; it must see its CPUs and memory and end cleanly (through
# the debug-exit port and through ACPI power-off).
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
sh /testbed/l2-check.sh up1 1 256 debug || rc=1
sh /testbed/l2-check.sh up2 2 256 poweroff || rc=1
exit $rc
RUN
"$tb/mkinitramfs.sh" "$work/l1.cpio.gz" "$tb/l1-init.sh" \
	"$build/vmm/tptvmm-static=/testbed/tptvmm" \
	"$work/run.sh=/testbed/run.sh" \
	"$tb/l2-check.sh=/testbed/l2-check.sh" \
	"$l2kernel=/testbed/l2/bzImage" \
	"$work/l2.cpio.gz=/testbed/l2/initrd.gz" \
	"$hostdir/modules/irqbypass.ko=/lib/modules/irqbypass.ko" \
	"$hostdir/modules/kvm.ko=/lib/modules/kvm.ko" \
	"$hostdir/modules/kvm-amd.ko=/lib/modules/kvm-amd.ko"
status=0
"$tb/run-l1.sh" "$work/l1.cpio.gz" "$work/l1.log" 1200 || status=1
grep -E '^(PASS|FAIL)' "$work/l1.log" | tr -d '\r'
exit $status
