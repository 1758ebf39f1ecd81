#!/bin/sh
# Prints SRC=DST specs for mkinitramfs.sh that put the host's
# qemu-system-x86_64 (with its shared libraries and the firmware it needs
# for -M pc and -M microvm with -kernel) into an L1 image, so L1 can run the same L2 under
# QEMU+KVM for comparison with tptvmm. Inside L1: /usr/bin/qemu-system-x86_64
# with -L /testbed/qemu-data.
set -eu
. "$(dirname "$0")/common.sh"
q=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 missing: apt-get install qemu-system-x86"
echo "$q=/usr/bin/qemu-system-x86_64"
ldd "$q" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | sort -u | while read -r lib; do
	real=$(readlink -f "$lib")
	echo "$real=$lib"
done
for f in bios-256k.bin linuxboot_dma.bin kvmvapic.bin bios-microvm.bin qboot.rom; do
	src=
	for d in /usr/share/qemu /usr/share/seabios; do
		[ -f "$d/$f" ] && { src=$(readlink -f "$d/$f"); break; }
	done
	[ -n "$src" ] || die "QEMU firmware $f missing (/usr/share/qemu, /usr/share/seabios)"
	echo "$src=/testbed/qemu-data/$f"
done
