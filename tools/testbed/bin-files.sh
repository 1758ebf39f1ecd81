#!/bin/sh
# Prints SRC=DST specs for mkinitramfs.sh that put host programs (with the
# shared libraries they load) into a test-bed image at the same paths.
# Usage: bin-files.sh PROGRAM...
set -eu
. "$(dirname "$0")/common.sh"
for p in "$@"; do
	[ -x "$p" ] || die "$p is missing"
	echo "$(readlink -f "$p")=$p"
	ldd "$p" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | sort -u | while read -r lib; do
		echo "$(readlink -f "$lib")=$lib"
	done
done
