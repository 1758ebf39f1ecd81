#!/bin/sh
# Checks that every prefix of a TPT patch series builds, as kernel patch
# series must: the pristine linux-source-6.12 gets the patches one at a
# time, and after each one the affected code is compiled.
#
#   tools/check-series.sh host    after each host_kernel patch: compile
#                                 arch/x86/kvm and virt/kvm (kvm, kvm-amd and
#                                 kvm-intel objects) with x86_64_defconfig +
#                                 host_kernel/tpt.config
#   tools/check-series.sh guest   after each guest_kernel patch: build the
#                                 guest bzImage (tools/build-guest-kernel.sh's
#                                 config); after the last one also with
#                                 CONFIG_KVM_GUEST_TPT off
#
# Trees live in $TPT_CACHE/series-{host,guest} and are reused: a second run
# recompiles only what the patches touch. Slow the first time (a kernel
# build on 2 cores); not part of ctest. Prints one line per step and exits
# 1 at the first step that fails (its log is kept).
set -eu
src_dir=$(cd "$(dirname "$0")/.." && pwd)
. "$src_dir/tools/testbed/common.sh"
what=${1:-}
case $what in
host) pdir=$src_dir/host_kernel/patches ;;
guest) pdir=$src_dir/guest_kernel/patches ;;
*) echo "usage: tools/check-series.sh host|guest" >&2; exit 2 ;;
esac
ensure_linux_source
tree=$TPT_CACHE/series-$what/src
out=$TPT_CACHE/series-$what/build
log=$TPT_CACHE/series-$what/log
mkdir -p "$out"
# A pristine tree under git, so each step starts from the same base.
if [ ! -d "$tree/.git" ]; then
	rm -rf "$tree"
	mkdir -p "$tree"
	tar -xJf "/usr/src/$SRC_PKG.tar.xz" -C "$tree" --strip-components=1
	git -C "$tree" init -q
	git -C "$tree" add -A -f
	git -C "$tree" -c user.name=tpt -c user.email=tpt@localhost commit -q -m base
fi
git -C "$tree" reset -q --hard
git -C "$tree" clean -q -fdx
base=$(git -C "$tree" rev-list --max-parents=0 HEAD)
git -C "$tree" checkout -q "$base"

configure() { # extra config lines on stdin
	cat > "$out/extra.config"
	if [ $what = host ]; then
		make -s -C "$tree" O="$out" x86_64_defconfig >"$log" 2>&1
		cat "$src_dir/host_kernel/tpt.config" >> "$out/extra.config"
	else
		make -s -C "$tree" O="$out" tinyconfig >"$log" 2>&1
		cat "$src_dir/guest_kernel/tpt_guest.config" - < "$out/extra.config" > "$out/extra.all"
		mv "$out/extra.all" "$out/extra.config"
	fi
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$out/extra.config" >>"$log" 2>&1
	make -s -C "$tree" O="$out" olddefconfig >>"$log" 2>&1
}
build() { # STEP-NAME
	t0=$(date +%s)
	if [ $what = host ]; then
		make -C "$tree" O="$out" -j"$(nproc)" arch/x86/kvm/ virt/kvm/ >>"$log" 2>&1
	else
		make -C "$tree" O="$out" -j"$(nproc)" bzImage >>"$log" 2>&1
	fi || { echo "FAIL $1 (log: $log)"; tail -20 "$log"; exit 1; }
	echo "ok   $1 ($(( $(date +%s) - t0 )) s)"
}

n=0
for p in "$pdir"/*.patch; do
	n=$((n + 1))
	git -C "$tree" apply --index "$p" || { echo "FAIL $(basename "$p") does not apply"; exit 1; }
	# The TPT option only exists once the patch adding it is in; without
	# it olddefconfig drops the line, which is what we want.
	echo "" | configure
	build "$what patch $n: $(basename "$p" .patch)"
done
if [ $what = guest ]; then
	echo "# CONFIG_KVM_GUEST_TPT is not set" | configure
	grep -q '^CONFIG_KVM_GUEST_TPT=y' "$out/.config" && { echo "FAIL could not turn CONFIG_KVM_GUEST_TPT off"; exit 1; }
	build "guest, all $n patches, CONFIG_KVM_GUEST_TPT off"
fi
echo "all $n patches of the $what series build"
