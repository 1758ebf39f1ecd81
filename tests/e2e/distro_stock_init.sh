#!/bin/sh
# /init of the small initramfs with which e2e_distro boots Debian's stock
# cloud kernel on the Debian image (tests/e2e/distro.sh): that kernel has
# virtio-blk and virtio-net (and virtio-mmio) as modules, the image has
# no modules for it. Loads them, mounts /dev/vda and hands over to the
# image's systemd (the modules stay loaded). busybox insmod does not read
# the command line as modprobe does: the virtio_mmio.device= parameters
# tptvmm put there are passed to the module here.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
devs=$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^virtio_mmio\.device=/device=/p')
# shellcheck disable=SC2086 # one word per device
[ -z "$devs" ] || insmod /lib/modules/virtio_mmio.ko $devs || echo "stock-init: insmod virtio_mmio failed"
for m in virtio_blk failover net_failover virtio_net; do
	insmod /lib/modules/$m.ko || echo "stock-init: insmod $m failed"
done
i=0
until [ -b /dev/vda ]; do
	i=$((i + 1))
	[ $i -le 300 ] || { echo "stock-init: no /dev/vda"; poweroff -f; }
	sleep 0.1
done
mkdir -p /newroot
mount -t ext4 -o rw /dev/vda /newroot || { echo "stock-init: cannot mount /dev/vda"; poweroff -f; }
umount /proc /sys
mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /sbin/init
