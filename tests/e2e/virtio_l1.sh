#!/bin/sh
# Inside L1 for e2e_virtio (virtio.sh): our guest kernel under tptvmm with
# virtio-blk (a read-write ext4 image and a read-only raw disk),
# virtio-net on tap0 and virtio-rng (the L2 side: virtio_l2.sh), then the
# same under QEMU+KVM -M microvm; $ROUNDS rounds of both (/testbed/l1.env).
# L1 serves a file over HTTP, fetches L2's, logs in with SSH and mounts
# the image L2 wrote; every line is prefixed by its round (none,
# "QEMU-", "R2-", "R2-QEMU-", ...).
# shellcheck source=SCRIPTDIR/../../tools/testbed/l1-lib.sh
. /testbed/l1-lib.sh
. /testbed/l1.env
rc=0
load_module tun && load_module loop || exit 1
tap_up 10.0.2.1/24 || exit 1
mkdir -p /tmp/www
dd if=/dev/urandom of=/tmp/www/big bs=1M count=32 2>/dev/null
echo "L1-SERVE md5=$(md5sum < /tmp/www/big | cut -c1-32)"
httpd -p 10.0.2.1:8080 -h /tmp/www || exit 1
# L1's side of the network test while an L2 runs: wait for L2 to answer
# ping, fetch its file, report to it. Usage: net_peer PREFIX; $peer is
# its PID.
net_peer() {
	(
		i=0
		until ping -c 1 -W 1 10.0.2.2 >/dev/null 2>&1; do
			i=$((i + 1)); [ $i -lt 600 ] || exit 1
			sleep 1
		done
		echo "$1L1-PING ok"
		t0=$(now_cs)
		wget -q -O /tmp/from-l2 http://10.0.2.2/big || echo "$1L1-WGET failed"
		t1=$(now_cs)
		if [ -x /usr/bin/dbclient ]; then
			out=$(HOME=/root timeout 300 /usr/bin/dbclient -y -y -i /testbed/id_ed25519 \
				root@10.0.2.2 'echo ssh-ok-$(uname -r)' 2>/tmp/ssh.err)
			echo "$1L1-SSH ${out:-failed: $(tail -1 /tmp/ssh.err)}"
		fi
		report="md5=$(md5sum < /tmp/from-l2 | cut -c1-32) bytes=$(wc -c < /tmp/from-l2) cs=$((t1 - t0))"
		i=0
		until echo "$report" | nc 10.0.2.2 7000; do
			i=$((i + 1)); [ $i -lt 60 ] || exit 1
			sleep 1
		done
	) &
	peer=$!
}
# What L2 wrote is in the image L1 holds. Usage: check_image PREFIX IMAGE
check_image() {
	mkdir -p /mnt/l2
	if mount -o loop,ro -t ext4 "$2" /mnt/l2; then
		echo "$1L1-FILE md5=$(md5sum < /mnt/l2/random.bin | cut -c1-32) hello=$(tr ' ' _ < /mnt/l2/hello.txt) zero_bytes=$(wc -c < /mnt/l2/zero.bin)"
		umount /mnt/l2
	else
		echo "$1L1-FILE mount failed"
	fi
}

export L2_TIMEOUT=900
tptvmm_round() { # PREFIX of the lines this round prints
	cp /testbed/disk.img /tmp/disk.img
	net_peer "$1"
	sh /testbed/l2-check.sh virtio tptvmm 1 256 debug \
		--disk /tmp/disk.img --disk /testbed/data.img,ro --net tap=tap0 --rng || rc=1
	stop "$peer"
	l2_lines virtio '^VIRTIO-' | sed "s/^/$1/"
	grep -E 'virtio-' /tmp/l2-virtio.err | sed "s/^/$1/"
	check_image "$1" /tmp/disk.img
	rm -f /tmp/disk.img
}
# The same guest under QEMU+KVM with virtio-mmio (microvm), for ratios.
qemu_round() { # PREFIX
	cp /testbed/disk.img /tmp/disk-q.img
	net_peer "$1"
	timeout 900 /usr/bin/qemu-system-x86_64 -L /testbed/qemu-data \
		-M microvm,acpi=off,x-option-roms=off,rtc=on -accel kvm -cpu host -m 256 -smp 1 \
		-nodefaults -no-user-config -nographic -serial stdio -monitor none -no-reboot \
		-kernel /testbed/l2/bzImage -initrd /testbed/l2/initrd.gz \
		-append "console=ttyS0 reboot=t panic=-1 quiet loglevel=1" \
		-drive id=d0,file=/tmp/disk-q.img,format=raw,if=none -device virtio-blk-device,drive=d0 \
		-drive id=d1,file=/testbed/data.img,format=raw,if=none,readonly=on \
		-device virtio-blk-device,drive=d1 \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device virtio-net-device,netdev=n0 \
		-object rng-random,id=r0,filename=/dev/urandom -device virtio-rng-device,rng=r0 \
		-device isa-debug-exit,iobase=0x501,iosize=1 \
		</dev/null >/tmp/l2-qemu.out 2>&1
	echo "${1}EXIT status=$? (1: the guest wrote 0 to the debug-exit port)"
	grep -q '^L2-DONE rc=0' /tmp/l2-qemu.out && echo "${1}DONE ok"
	stop "$peer"
	l2_lines qemu '^VIRTIO-' | sed "s/^/$1/"
	grep -q '^VIRTIO-' /tmp/l2-qemu.out || tail -20 /tmp/l2-qemu.out
	check_image "$1" /tmp/disk-q.img
	rm -f /tmp/disk-q.img
}
# Round 1 is checked in full; later rounds add throughput samples (and
# must pass l2-check too). tptvmm and QEMU alternate.
tptvmm_round ""
qemu_round QEMU-
r=2
while [ $r -le "$ROUNDS" ]; do
	tptvmm_round "R$r-"
	qemu_round "R$r-QEMU-"
	r=$((r + 1))
done
exit $rc
