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
tree=$TPT_CACHE/src/linux-$SRC_KVER-guest
out=$TPT_CACHE/build/guest-$SRC_KVER
frag=$src_dir/guest_kernel/tpt_guest.config

for t in flex bison bc make gcc; do
	command -v $t >/dev/null || die "$t is missing (tools/setup.sh installs it)"
done
cache_lock guest-kernel
unpack_linux_source "$tree" "$src_dir/guest_kernel/patches"

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
