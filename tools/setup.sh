#!/bin/sh
# Installs what building and testing TPT needs, from Debian's archive.
# Idempotent: does nothing when everything is already installed.
set -eu
PKGS="build-essential cmake pkg-config check qemu-system-x86 busybox-static
cpio xz-utils gzip ca-certificates flex bison bc libelf-dev libssl-dev dwarves
kmod binutils rsync clang libclang-rt-14-dev gnuplot-nox e2fsprogs dropbear-bin socat
bochs bochsbios vgabios isolinux syslinux-common xorriso jq
debootstrap dpkg-dev debhelper openssh-client"
missing=
for p in $PKGS; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing$missing"
	SUDO=
	[ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
