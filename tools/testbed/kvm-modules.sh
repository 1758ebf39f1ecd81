#!/bin/sh
# Rebuilds kvm.ko, kvm-amd.ko and kvm-intel.ko for the test bed's L1 kernel
# (Debian's linux-image-$HOST_KVER) from Debian's matching linux-source-6.12
# with host_kernel/patches/*.patch applied, against the Module.symvers and
# .config of Debian's linux-headers-$HOST_KVER, with the compiler Debian
# used. irqbypass.ko is Debian's. Trees are cached in $TPT_CACHE: after a
# patch change only the KVM objects are recompiled.
# Prints the directory holding irqbypass.ko, kvm.ko, kvm-amd.ko, kvm-intel.ko.
set -eu
tb=$(cd "$(dirname "$0")" && pwd)
src_dir=$(cd "$tb/../.." && pwd)
. "$tb/common.sh"
tree=$TPT_CACHE/src/linux-$SRC_KVER-host
out=$TPT_CACHE/build/host-kvm-$SRC_KVER
moddir=$out/tpt-modules
for t in flex bison bc make gcc pahole rsync objcopy; do
	command -v $t >/dev/null || die "$t is missing (tools/setup.sh installs it)"
done
hostdir=$("$tb/host-kernel.sh")
cache_lock kvm-modules
unpack_linux_source "$tree" "$src_dir/host_kernel/patches"

hdr=$TPT_CACHE/headers-$HOST_KVER
if [ ! -f "$hdr/.complete" ]; then
	deb=$(fetch_deb "$HEADERS_PKG" "$HOST_PKG_VER")
	rm -rf "$hdr.tmp"
	mkdir -p "$hdr.tmp"
	dpkg-deb -x "$deb" "$hdr.tmp"
	mv "$hdr.tmp/usr/src/linux-headers-$HOST_KVER" "$hdr.tmp/h"
	rm -rf "$hdr"
	mv "$hdr.tmp/h" "$hdr"
	rm -rf "$hdr.tmp"
	touch "$hdr/.complete"
fi

# Debian's release string, so the modules' vermagic matches the L1 kernel.
export LOCALVERSION="${HOST_KVER#$SRC_KVER}"
# Prepared once per source tree: Debian's config and symbol versions.
if [ ! -f "$out/.tpt-prepared" ] || [ "$tree/.tpt-stamp" -nt "$out/.tpt-prepared" ]; then
	echo "testbed: preparing $out (Debian config, modules_prepare)" >&2
	rm -rf "$out"
	mkdir -p "$out"
	cp "$hdr/.config" "$out/.config"
	make -s -C "$tree" O="$out" olddefconfig >&2
	cmp -s "$hdr/.config" "$out/.config" ||
		echo "testbed: note: olddefconfig changed Debian's config ($(diff "$hdr/.config" "$out/.config" | grep -c '^[<>]') lines)" >&2
	make -s -C "$tree" O="$out" -j"$(nproc)" modules_prepare >&2
	cp "$hdr/Module.symvers" "$out/Module.symvers"
	[ "$(cat "$out/include/config/kernel.release")" = "$HOST_KVER" ] ||
		die "prepared tree is release $(cat "$out/include/config/kernel.release"), not $HOST_KVER"
	touch "$out/.tpt-prepared"
fi
# Built as external modules of the prepared tree: modpost then resolves the
# kernel's symbols from Debian's Module.symvers (an in-tree build would want
# vmlinux.o). The sources are mirrored into $ext so the objects stay out of
# the source tree (host_kernel/build.sh kernel builds a whole kernel from it).
ext=$out/kvm-ext
mkdir -p "$ext/arch/x86" "$ext/virt"
# $out (and so $ext) is wiped whenever the source tree is re-unpacked, so
# make's timestamps cannot mix two versions of a file.
for d in arch/x86/kvm virt/kvm; do
	rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*' \
		--exclude '*.mod*' --exclude 'modules.order' --exclude 'Module.symvers' \
		"$tree/$d/" "$ext/$d/"
done
make -s -C "$out" M="$ext/arch/x86/kvm" -j"$(nproc)" modules >&2
rel=$(cat "$hdr/include/config/kernel.release")
mkdir -p "$moddir"
for m in kvm kvm-amd kvm-intel; do
	magic=$(modinfo -F vermagic "$ext/arch/x86/kvm/$m.ko" 2>/dev/null || strings "$ext/arch/x86/kvm/$m.ko" | grep '^vermagic=' | cut -d= -f2)
	case $magic in
	"$rel "*) ;;
	*) die "$m.ko has vermagic '$magic', the L1 kernel is '$rel'" ;;
	esac
	# Debug info would triple the L1 image.
	objcopy --strip-debug "$ext/arch/x86/kvm/$m.ko" "$moddir/$m.ko"
done
cp "$hostdir/modules/irqbypass.ko" "$moddir/irqbypass.ko"
echo "$moddir"
