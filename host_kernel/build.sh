#!/bin/sh
# Prepares Debian's linux-source-6.12 (pinned in tools/testbed/common.sh)
# with host_kernel/patches and builds the TPT host side.
#
#   host_kernel/build.sh modules   kvm.ko, kvm-amd.ko, kvm-intel.ko for
#                                  Debian's linux-image-6.12.117+deb12-cloud-amd64
#                                  (what the test bed loads); prints their dir
#   host_kernel/build.sh kernel    a whole kernel from tpt_defconfig
#                                  (x86_64_defconfig + host_kernel/tpt.config);
#                                  prints the build dir (bzImage, modules)
#   host_kernel/build.sh tree      only prepare the patched source tree, with
#                                  arch/x86/configs/tpt_defconfig in it, so
#                                  that "make tpt_defconfig && make" works there
#
# Trees live in $TPT_CACHE (default ~/.cache/tpt); rebuilds are incremental.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src_dir=$(cd "$here/.." && pwd)
. "$src_dir/tools/testbed/common.sh"
tree=$TPT_CACHE/src/linux-$SRC_KVER-host

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
prepare_tree() {
	unpack_linux_source "$tree" "$here/patches"
	cfg=$tree/arch/x86/configs/tpt_defconfig
	{ cat "$tree/arch/x86/configs/x86_64_defconfig"; cat "$here/tpt.config"; } > "$cfg.tmp"
	cmp -s "$cfg.tmp" "$cfg" 2>/dev/null && rm "$cfg.tmp" || mv "$cfg.tmp" "$cfg"
}

case ${1:-} in
modules)
	exec "$src_dir/tools/testbed/kvm-modules.sh"
	;;
tree)
	prepare_tree
	echo "$tree"
	;;
kernel)
	prepare_tree
	out=$TPT_CACHE/build/host-kernel-$SRC_KVER
	mkdir -p "$out"
	if [ ! -f "$out/.config" ] || [ "$tree/arch/x86/configs/tpt_defconfig" -nt "$out/.config" ]; then
		make -s -C "$tree" O="$out" tpt_defconfig >&2
		# olddefconfig may drop options whose dependencies are off.
		grep -E '^CONFIG_[A-Z0-9_]+=' "$here/tpt.config" | while IFS= read -r want; do
			grep -qx "$want" "$out/.config" || die "tpt_defconfig lost $want"
		done
	fi
	make -s -C "$tree" O="$out" -j"$(nproc)" bzImage modules >&2
	echo "$out"
	;;
-h|--help)
	usage
	;;
*)
	usage >&2
	exit 2
	;;
esac
