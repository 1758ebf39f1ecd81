#!/bin/sh
# Builds a busybox initramfs (newc cpio, gzip).
# Usage: mkinitramfs.sh OUT.cpio.gz INIT_SCRIPT [SRC=DST ...]
#   SRC=DST copies a host file (or directory) to DST inside the image.
set -eu
. "$(dirname "$0")/common.sh"
[ $# -ge 2 ] || die "usage: mkinitramfs.sh OUT.cpio.gz INIT_SCRIPT [SRC=DST ...]"
out=$1 init=$2
shift 2
bb=${BUSYBOX:-/bin/busybox}
[ -x "$bb" ] || die "$bb missing: apt-get install busybox-static"
ldd "$bb" 2>&1 | grep -q 'not a dynamic' || die "$bb is not static (install busybox-static)"
[ -f "$init" ] || die "init script $init is missing"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/sbin" "$stage/proc" "$stage/sys" "$stage/dev" \
	"$stage/tmp" "$stage/root" "$stage/etc" "$stage/mnt"
cp "$bb" "$stage/bin/busybox"
for a in $("$bb" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$stage/bin/$a"
done
cp "$init" "$stage/init"
chmod 755 "$stage/init"
for spec in "$@"; do
	src=${spec%%=*} dst=${spec#*=}
	[ -e "$src" ] || die "$src (for $dst) does not exist"
	mkdir -p "$stage/$(dirname "$dst")"
	cp -a "$src" "$stage/$dst"
done
( cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet ) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
