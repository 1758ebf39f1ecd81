#!/bin/sh
# Builds the TPT guest kernel (bzImage) from Debian's linux-source-6.12,
# pinned below, with guest_kernel/tpt_guest.config merged onto tinyconfig
# and guest_kernel/patches/*.patch applied in order (if any).
# The source and build trees are cached in $TPT_CACHE (default
# ~/.cache/tpt): a rebuild after a small change takes seconds.
# Prints the path of the bzImage.
# Usage: build-guest-kernel.sh [--profile tiny|distro] [--deb]
#   --profile distro  guest_kernel/distro.config merged on top as well:
#                     what Debian with systemd needs (docs/distro.md);
#                     its own build tree, guest-distro-$SRC_KVER/obj
#   --deb             (distro only) also package it with `make bindeb-pkg`
#                     (the packages land beside obj/); prints the
#                     linux-image .deb's path after the bzImage's
set -eu
src_dir=$(cd "$(dirname "$0")/.." && pwd)
. "$src_dir/tools/testbed/common.sh"
profile=tiny deb=0
while [ $# -gt 0 ]; do
	case $1 in
	--profile) [ $# -ge 2 ] || die "--profile needs tiny or distro"; profile=$2; shift 2 ;;
	--profile=*) profile=${1#--profile=}; shift ;;
	--deb) deb=1; shift ;;
	*) die "usage: build-guest-kernel.sh [--profile tiny|distro] [--deb]" ;;
	esac
done
tree=$TPT_CACHE/src/linux-$SRC_KVER-guest
frag=$src_dir/guest_kernel/tpt_guest.config
case $profile in
tiny) out=$TPT_CACHE/build/guest-$SRC_KVER frags=$frag ;;
distro) out=$TPT_CACHE/build/guest-distro-$SRC_KVER/obj frags="$frag $src_dir/guest_kernel/distro.config" ;;
*) die "unknown profile '$profile' (tiny or distro)" ;;
esac
[ $deb = 0 ] || [ $profile = distro ] || die "--deb needs --profile distro"

for t in flex bison bc make gcc; do
	command -v $t >/dev/null || die "$t is missing (tools/setup.sh installs it)"
done
cache_lock guest-kernel
unpack_linux_source "$tree" "$src_dir/guest_kernel/patches"

mkdir -p "$out"
stale=0
[ -f "$out/.config" ] || stale=1
for f in $frags; do
	[ $stale = 1 ] || [ ! "$f" -nt "$out/.config" ] || stale=1
done
if [ $stale = 1 ] || [ "$tree/.tpt-stamp" -nt "$out/.config" ]; then
	make -s -C "$tree" O="$out" tinyconfig >&2
	# shellcheck disable=SC2086 # fragment paths have no spaces
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" $frags >/dev/null
	make -s -C "$tree" O="$out" olddefconfig >&2
	# olddefconfig silently drops options whose dependencies are off.
	# What the fragments ask for, a later fragment overriding an earlier one.
	# shellcheck disable=SC2086 # fragment paths have no spaces
	awk '/^CONFIG_[A-Z0-9_]+=/ { o = $0; sub(/=.*/, "", o); w[o] = $0; k[++n] = o }
	     /^# CONFIG_[A-Z0-9_]+ is not set/ { w[$2] = $0; k[++n] = $2 }
	     END { for (i = 1; i <= n; i++) if (!seen[k[i]]++) print w[k[i]] }' $frags > "$out/.tpt-want"
	bad=0
	grep -E '^CONFIG_[A-Z0-9_]+=' "$out/.tpt-want" | while IFS= read -r want; do
		grep -qxF "$want" "$out/.config" || { echo "guest kernel: config lost $want" >&2; exit 1; }
	done || bad=1
	grep -E '^# CONFIG_.* is not set' "$out/.tpt-want" | while IFS= read -r want; do
		opt=$(echo "$want" | sed 's/^# \(CONFIG_[A-Z0-9_]*\) is not set/\1/')
		grep -q "^$opt=" "$out/.config" && { echo "guest kernel: config has $opt set" >&2; exit 1; }
		true
	done || bad=1
	[ $bad = 0 ] || { rm -f "$out/.config"; die "guest kernel config is not what $frags ask for"; }
fi
make -s -C "$tree" O="$out" -j"$(nproc)" bzImage >&2
echo "$out/arch/x86/boot/bzImage"
[ $deb = 1 ] || exit 0
# bindeb-pkg writes the packages into the parent of the build tree. The
# version is the Debian source's plus a hash of the fragments and
# patches, so a changed kernel is a new package version.
command -v dpkg-buildpackage >/dev/null || die "dpkg-buildpackage is missing (tools/setup.sh installs dpkg-dev)"
rel=$(cat "$out/include/config/kernel.release")
# shellcheck disable=SC2086 # fragment paths have no spaces
ver=$SRC_PKG_VER+tpt$(cat $frags "$tree/.tpt-stamp" | sha256sum | cut -c1-8)
debf=$(dirname "$out")/linux-image-${rel}_${ver}_amd64.deb
if [ ! -f "$debf" ] || [ "$out/arch/x86/boot/bzImage" -nt "$debf" ]; then
	rm -f "$(dirname "$out")"/*.deb "$(dirname "$out")"/*.buildinfo "$(dirname "$out")"/*.changes
	make -s -C "$tree" O="$out" -j"$(nproc)" KDEB_PKGVERSION="$ver" \
		KDEB_SOURCENAME=linux-tpt-distro bindeb-pkg >&2 || die "make bindeb-pkg failed"
	[ -f "$debf" ] || die "bindeb-pkg made no $debf (have: $(ls "$(dirname "$out")"))"
fi
echo "$debf"
