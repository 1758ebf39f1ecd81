#!/bin/sh
# Makes the pinned Debian cloud kernel (the L1 host of the test bed, and the
# default L2 guest kernel until guest_kernel/ builds its own) available in
# the cache: $HOST_DIR/vmlinuz and $HOST_DIR/modules/*.ko: the KVM modules,
# tun and loop for the virtio tests (tap networking, mounting images), and
# msr (/dev/cpu/N/msr: tpt_kvm_test reads the host's PAT).
# Prints $HOST_DIR. Downloads once; later runs reuse the cache.
set -eu
. "$(dirname "$0")/common.sh"
MODS="virt/lib/irqbypass arch/x86/kvm/kvm arch/x86/kvm/kvm-amd arch/x86/kvm/kvm-intel
drivers/net/tun drivers/block/loop arch/x86/kernel/msr"

host_complete() {
	[ -f "$HOST_DIR/.complete" ] || return 1
	for m in $MODS; do
		[ -f "$HOST_DIR/modules/$(basename "$m").ko" ] || return 1
	done
}
if host_complete; then
	echo "$HOST_DIR"
	exit 0
fi
cache_lock host-kernel
if host_complete; then	# another run unpacked it while this one waited
	echo "$HOST_DIR"
	exit 0
fi
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing"
command -v xz >/dev/null || die "xz is missing (apt-get install xz-utils)"
deb=$(fetch_deb "$HOST_PKG" "$HOST_PKG_VER")
rm -rf "$HOST_DIR.tmp"
mkdir -p "$HOST_DIR.tmp/x" "$HOST_DIR.tmp/modules"
dpkg-deb -x "$deb" "$HOST_DIR.tmp/x"
cp "$HOST_DIR.tmp/x/boot/vmlinuz-$HOST_KVER" "$HOST_DIR.tmp/vmlinuz"
cp "$HOST_DIR.tmp/x/boot/config-$HOST_KVER" "$HOST_DIR.tmp/config"
mdir="$HOST_DIR.tmp/x/lib/modules/$HOST_KVER/kernel"
for m in $MODS; do
	xz -dc "$mdir/$m.ko.xz" > "$HOST_DIR.tmp/modules/$(basename "$m").ko"
done
rm -rf "$HOST_DIR.tmp/x" "$HOST_DIR"
mv "$HOST_DIR.tmp" "$HOST_DIR"
touch "$HOST_DIR/.complete"
echo "$HOST_DIR"
