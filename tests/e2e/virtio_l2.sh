#!/bin/sh
# Inside L2 for e2e_virtio (tests/e2e/virtio.sh): the virtio-mmio devices
# tptvmm announced: /dev/vda (ext4, writable), /dev/vdb (raw, read-only),
# eth0 on a tap in L1 (10.0.2.2 <-> 10.0.2.1), /dev/hwrng. Prints
# VIRTIO-* lines for the L1 side to check; exit status 1 on a failure.
set -u
fail() { echo "VIRTIO-FAIL $*"; exit 1; }
now_cs() { awk '{ split($1, a, "."); print a[1] * 100 + a[2] }' /proc/uptime; }
echo "VIRTIO-DEVICES $(ls /sys/bus/virtio/devices | wc -l) $(cat /sys/bus/virtio/devices/*/device | tr '\n' ' ')"

# Entropy from virtio-rng.
[ -c /dev/hwrng ] || fail "no /dev/hwrng"
grep -q virtio /sys/class/misc/hw_random/rng_current || fail "hw_random uses $(cat /sys/class/misc/hw_random/rng_current)"
dd if=/dev/hwrng of=/tmp/rand bs=512 count=8 2>/dev/null
[ "$(wc -c < /tmp/rand)" = 4096 ] || fail "short read from /dev/hwrng"
[ "$(md5sum < /tmp/rand | cut -c1-32)" != "$(head -c 4096 /dev/zero | md5sum | cut -c1-32)" ] ||
	fail "/dev/hwrng gave zeros"
echo "VIRTIO-RNG ok"

# Two disks: the read-only raw one and the writable ext4 one. Told apart
# by their read-only flag (another VMM may probe them in another order).
rw= ro=
for d in /sys/block/vd*; do
	[ -e "$d" ] || continue
	if [ "$(cat "$d/ro")" = 1 ]; then ro=${d##*/}; else rw=${d##*/}; fi
done
[ -n "$ro" ] && [ -n "$rw" ] || fail "expected a read-only and a writable disk, have: $(ls /sys/block)"
echo "VIRTIO-DISKS rw=$rw ro=$ro"
t0=$(now_cs)
md5=$(md5sum < /dev/$ro | cut -c1-32)
t1=$(now_cs)
echo "VIRTIO-RO md5=$md5 bytes=$(($(cat /sys/block/$ro/size) * 512)) read_cs=$((t1 - t0))"
dd if=/dev/zero of=/dev/$ro bs=512 count=1 2>/dev/null && fail "a write to the read-only disk succeeded"

# ext4 on the writable disk: write, sync, unmount; L1 reads it back later.
grep -q 'write back' /sys/block/$rw/queue/write_cache || fail "$rw has no write-back cache (FLUSH not negotiated?)"
mount -t ext4 /dev/$rw /mnt || fail "mount /dev/$rw"
cp /tmp/rand /mnt/random.bin || fail "write random.bin"
echo "written by L2 over virtio-blk" > /mnt/hello.txt
t0=$(now_cs)
dd if=/dev/zero of=/mnt/zero.bin bs=1M count=32 conv=fsync 2>/dev/null || fail "write zero.bin"
t1=$(now_cs)
sync
echo "VIRTIO-FILE md5=$(md5sum < /mnt/random.bin | cut -c1-32) write_bytes=33554432 write_cs=$((t1 - t0))"
umount /mnt || fail "umount"

# Network: serve a file to L1, fetch one from L1, then hear L1's report.
mkdir -p /www
dd if=/dev/urandom of=/www/big bs=1M count=32 2>/dev/null
echo "VIRTIO-SERVE md5=$(md5sum < /www/big | cut -c1-32)"
httpd -p 80 -h /www || fail "httpd"
# An SSH server, when the image has one (the e2e test puts dropbear in).
if [ -x /usr/sbin/dropbear ]; then
	mkdir -p /etc/dropbear
	/usr/sbin/dropbear -R -p 22 || fail "dropbear did not start"
fi
ip link set eth0 up || fail "no eth0"
ip addr add 10.0.2.2/24 dev eth0
# L1 fetches /www/big from us, then reports here: listen before anything.
timeout 600 nc -l -p 7000 > /tmp/report &
listener=$!
ping -c 2 -W 5 10.0.2.1 >/dev/null || fail "no ping reply from L1"
echo "VIRTIO-PING ok"
t0=$(now_cs)
wget -q -O /tmp/from-l1 http://10.0.2.1:8080/big || fail "wget from L1"
t1=$(now_cs)
echo "VIRTIO-RX md5=$(md5sum < /tmp/from-l1 | cut -c1-32) bytes=$(wc -c < /tmp/from-l1) cs=$((t1 - t0))"
wait $listener
[ -s /tmp/report ] || fail "no report from L1"
echo "VIRTIO-L1 $(cat /tmp/report)"
