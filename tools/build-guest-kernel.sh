#!/bin/sh
# Builds the TPT guest kernel (bzImage) from Debian's linux-source-6.12,
# pinned below, with guest_kernel/tpt_guest.config merged onto tinyconfig
# and guest_kernel/patches/*.patch applied in order (if any).
# The source and build trees are cached in $TPT_CACHE (default
# ~/.cache/tpt): a rebuild after a small change takes seconds.
# Prints the path of the bzImage.
set -eu
src_dir=$(cd "$(dirname "$0")/.." && pwd)
. "$src_dir/tools/testbed/common.sh"
SRC_PKG=linux-source-6.12
SRC_VER=6.12.117-1~deb12u1
KVER=6.12.117
tree=$TPT_CACHE/src/linux-$KVER-guest
out=$TPT_CACHE/build/guest-$KVER
frag=$src_dir/guest_kernel/tpt_guest.config

have=$(dpkg-query -W -f '${Version}' "$SRC_PKG" 2>/dev/null || true)
if [ "$have" != "$SRC_VER" ]; then
	echo "guest kernel: installing $SRC_PKG=$SRC_VER (have '${have:-none}')" >&2
	SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get install -y -qq "$SRC_PKG=$SRC_VER" >&2 ||
		{ $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "$SRC_PKG=$SRC_VER" >&2; } ||
		die "cannot install $SRC_PKG=$SRC_VER"
fi
for t in flex bison bc make gcc; do
	command -v $t >/dev/null || die "$t is missing (tools/setup.sh installs it)"
done

# Source tree: unpacked once; patches are re-applied when they change.
patches=$(ls "$src_dir"/guest_kernel/patches/*.patch 2>/dev/null || true)
stamp=$(cat $patches /dev/null | sha256sum | cut -c1-16)
if [ ! -f "$tree/.tpt-stamp" ] || [ "$(cat "$tree/.tpt-stamp")" != "$stamp" ]; then
	echo "guest kernel: unpacking /usr/src/$SRC_PKG.tar.xz" >&2
	rm -rf "$tree.tmp"
	mkdir -p "$tree.tmp"
	tar -xJf "/usr/src/$SRC_PKG.tar.xz" -C "$tree.tmp" --strip-components=1
	grep -q "^SUBLEVEL = ${KVER##*.}\$" "$tree.tmp/Makefile" ||
		die "unpacked source is not $KVER"
	for p in $patches; do
		echo "guest kernel: applying $(basename "$p")" >&2
		patch -d "$tree.tmp" -p1 -s < "$p" || die "$(basename "$p") does not apply"
	done
	echo "$stamp" > "$tree.tmp/.tpt-stamp"
	rm -rf "$tree"
	mv "$tree.tmp" "$tree"
fi

mkdir -p "$out"
if [ ! -f "$out/.config" ] || [ "$frag" -nt "$out/.config" ] ||
   [ "$tree/.tpt-stamp" -nt "$out/.config" ]; then
	make -s -C "$tree" O="$out" tinyconfig >&2
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$frag" >/dev/null
	make -s -C "$tree" O="$out" olddefconfig >&2
	# olddefconfig silently drops options whose dependencies are off.
	bad=0
	grep -E '^CONFIG_[A-Z0-9_]+=' "$frag" | while IFS= read -r want; do
		grep -qx "$want" "$out/.config" || { echo "guest kernel: config lost $want" >&2; exit 1; }
	done || bad=1
	grep -E '^# CONFIG_.* is not set' "$frag" | while IFS= read -r want; do
		opt=$(echo "$want" | sed 's/^# \(CONFIG_[A-Z0-9_]*\) is not set/\1/')
		grep -q "^$opt=" "$out/.config" && { echo "guest kernel: config has $opt set" >&2; exit 1; }
		true
	done || bad=1
	[ $bad = 0 ] || die "guest kernel config is not what $frag asks for"
fi
make -s -C "$tree" O="$out" -j"$(nproc)" bzImage >&2
echo "$out/arch/x86/boot/bzImage"
