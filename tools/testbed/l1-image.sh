#!/bin/sh
# Builds an L1 initramfs for the test bed: busybox, the L1 init, the KVM
# modules, the static tptvmm, the L2 checker, the L1 helpers (l1-lib.sh)
# and RUN_SH as /testbed/run.sh.
# Usage: l1-image.sh OUT BUILD_DIR RUN_SH [options] [SRC=DST ...]
#   --env FILE    FILE as /testbed/l1.env: RUN_SH's parameters, as shell
#                 assignments it sources (common.sh's l1_env writes them)
#   --l2 KERNEL   add KERNEL as /testbed/l2/bzImage and a fresh L2
#                 initramfs (tools/testbed/l2-init.sh) as /testbed/l2/initrd.gz
#   --l2-file SRC=DST  also put SRC into the L2 initramfs as DST (repeatable)
#   --qemu        add qemu-system-x86_64 and its firmware (for comparisons)
#   --guests      add every tiny test guest (BUILD_DIR/tests/guests/*.bin)
#                 as /testbed/guests/NAME.bin
# The KVM modules are rebuilt from source with host_kernel/patches
# (kvm-modules.sh) unless $TPT_KVM_MODULES says otherwise: "debian" for the
# pinned Debian kernel's own modules, or a directory holding irqbypass.ko,
# kvm.ko, kvm-amd.ko and kvm-intel.ko. Both vendor modules go into the
# image; the L1 init loads the one for the emulated CPU (QEMU: AMD, Bochs:
# Intel, tools/testbed/run-l1-bochs.sh).
set -eu
tb=$(cd "$(dirname "$0")" && pwd)
. "$tb/common.sh"
[ $# -ge 3 ] || die "usage: l1-image.sh OUT BUILD_DIR RUN_SH [--env FILE] [--l2 KERNEL] [--l2-file SRC=DST] [--qemu] [--guests] [SRC=DST ...]"
out=$1 build=$2 run=$3
shift 3
l2kernel= qemu=0 l2files= guests= env=
while [ $# -gt 0 ]; do
	case $1 in
	--env) [ $# -ge 2 ] && [ -f "$2" ] || die "--env needs a file"; env=" $2=/testbed/l1.env"; shift 2 ;;
	--l2) [ $# -ge 2 ] || die "--l2 needs a kernel"; l2kernel=$2; shift 2 ;;
	--l2-file) [ $# -ge 2 ] || die "--l2-file needs SRC=DST"; l2files="$l2files $2"; shift 2 ;;
	--qemu) qemu=1; shift ;;
	--guests)
		for g in "$build"/tests/guests/*.bin; do
			[ -f "$g" ] || die "no test guests in $build/tests/guests: build first"
			guests="$guests $g=/testbed/guests/$(basename "$g")"
		done
		shift ;;
	*) break ;;
	esac
done
case ${TPT_KVM_MODULES:-} in
'') mods=$("$tb/kvm-modules.sh") ;;
debian) mods=$("$tb/host-kernel.sh")/modules ;;
*) mods=$TPT_KVM_MODULES ;;
esac
for m in irqbypass kvm kvm-amd kvm-intel; do
	[ -f "$mods/$m.ko" ] || die "$mods/$m.ko is missing"
done
[ -x "$build/vmm/tptvmm-static" ] || die "$build/vmm/tptvmm-static is missing: build first"
extra=
if [ -n "$l2kernel" ]; then
	[ -f "$l2kernel" ] || die "L2 kernel $l2kernel is missing"
	# shellcheck disable=SC2086 # $l2files is a list of space-free SRC=DST specs
	"$tb/mkinitramfs.sh" "$out.l2.cpio.gz" "$tb/l2-init.sh" \
		"$build/tools/guest/tpt-guest-util=/bin/tpt-guest-util" $l2files
	extra="$l2kernel=/testbed/l2/bzImage $out.l2.cpio.gz=/testbed/l2/initrd.gz"
fi
[ -z "$l2files" ] || [ -n "$l2kernel" ] || die "--l2-file needs --l2"
[ $qemu = 0 ] || extra="$extra $("$tb/qemu-files.sh")"
extra="$extra$guests$env"
# shellcheck disable=SC2086 # $extra is a list of space-free SRC=DST specs
"$tb/mkinitramfs.sh" "$out" "$tb/l1-init.sh" \
	"$build/vmm/tptvmm-static=/testbed/tptvmm" \
	"$run=/testbed/run.sh" \
	"$tb/l2-check.sh=/testbed/l2-check.sh" \
	"$tb/l1-lib.sh=/testbed/l1-lib.sh" \
	"$mods/irqbypass.ko=/lib/modules/irqbypass.ko" \
	"$mods/kvm.ko=/lib/modules/kvm.ko" \
	"$mods/kvm-amd.ko=/lib/modules/kvm-amd.ko" \
	"$mods/kvm-intel.ko=/lib/modules/kvm-intel.ko" \
	$extra "$@"
