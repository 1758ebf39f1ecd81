#!/bin/sh
# e2e: tptvmm's virtio-mmio devices with a real Linux L2 (our guest kernel)
# in the emulated L1 host:
#  - virtio-blk: L2 mounts an ext4 image, writes and syncs files, ends; L1
#    mounts the same image and finds the same bytes. A read-only raw disk
#    reads back what L1 put there and refuses writes.
#  - virtio-net: L1 makes tap0 (10.0.2.1); L2 (10.0.2.2) answers L1's ping
#    and serves a 32 MiB file that L1 fetches with wget; L2 fetches one
#    from L1. Both files must arrive intact.
#  - SSH: L1 logs in to L2 (dropbear, key authentication) and runs a
#    command.
#  - virtio-rng: /dev/hwrng in L2 is the virtio device and gives data.
# Then the same L2 runs under QEMU+KVM (-M microvm, its virtio-mmio
# devices) in the same L1 for a throughput comparison. All times are
# emulated: only the tptvmm/QEMU ratios mean anything.
# Usage: virtio.sh SRC_DIR BUILD_DIR
set -eu
src=$1 build=$2
tb=$src/tools/testbed
work=$build/e2e/virtio
mkdir -p "$work"
for t in mkfs.ext4 dropbearkey /usr/sbin/dropbear /usr/bin/dbclient; do
	command -v $t >/dev/null || { echo "$t missing (tools/setup.sh installs e2fsprogs, dropbear-bin)" >&2; exit 1; }
done
hostdir=$("$tb/host-kernel.sh")
l2kernel=$("$src/tools/build-guest-kernel.sh")
rm -f "$work/disk.img"
truncate -s 128M "$work/disk.img"
mkfs.ext4 -q -F "$work/disk.img"
head -c 67108864 /dev/urandom > "$work/data.img"
ro_md5=$(md5sum < "$work/data.img" | cut -c1-32)
rounds=${TPT_VIRTIO_ROUNDS:-3}
case $rounds in ''|*[!0-9]*|0) echo "TPT_VIRTIO_ROUNDS must be a number >= 1" >&2; exit 2 ;; esac
cat > "$work/run.sh.in" <<'RUN'
#!/bin/sh
rc=0
now_cs() { awk '{ split($1, a, "."); print a[1] * 100 + a[2] }' /proc/uptime; }
insmod /lib/modules/tun.ko && insmod /lib/modules/loop.ko || exit 1
tunctl -t tap0 >/dev/null || exit 1
ip addr add 10.0.2.1/24 dev tap0 && ip link set tap0 up || exit 1
mkdir -p /tmp/www
dd if=/dev/urandom of=/tmp/www/big bs=1M count=32 2>/dev/null
echo "L1-SERVE md5=$(md5sum < /tmp/www/big | cut -c1-32)"
httpd -p 10.0.2.1:8080 -h /tmp/www || exit 1
# L1's side of the network test while an L2 runs: wait for L2 to answer
# ping, fetch its file, report to it. Usage: net_peer PREFIX
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
	kill $peer 2>/dev/null; wait $peer 2>/dev/null
	grep -E '^VIRTIO-' /tmp/l2-virtio.out | tr -d '\r' | sed "s/^/$1/"
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
	kill $peer 2>/dev/null; wait $peer 2>/dev/null
	grep -E '^VIRTIO-' /tmp/l2-qemu.out | tr -d '\r' | sed "s/^/$1/"
	grep -q '^VIRTIO-' /tmp/l2-qemu.out || tail -20 /tmp/l2-qemu.out
	check_image "$1" /tmp/disk-q.img
	rm -f /tmp/disk-q.img
}
# Round 1 is checked in full; later rounds add throughput samples (and
# must pass l2-check too). tptvmm and QEMU alternate.
tptvmm_round ""
qemu_round QEMU-
r=2
while [ $r -le ROUNDS ]; do
	tptvmm_round "R$r-"
	qemu_round "R$r-QEMU-"
	r=$((r + 1))
done
exit $rc
RUN
sed "s/ROUNDS/$rounds/" "$work/run.sh.in" > "$work/run.sh"
# SSH: dropbear in L2 with L1's key authorized, dbclient in L1 (Debian's
# dropbear-bin, with their libraries).
rm -rf "$work/ssh" "$work/id_ed25519"
mkdir -p "$work/ssh"
chmod 700 "$work/ssh"
dropbearkey -t ed25519 -f "$work/id_ed25519" | grep '^ssh-ed25519' > "$work/ssh/authorized_keys"
chmod 600 "$work/ssh/authorized_keys"
echo 'root:x:0:0:root:/root:/bin/sh' > "$work/passwd"
l2ssh="--l2-file $work/ssh=/root/.ssh --l2-file $work/passwd=/etc/passwd"
for spec in $("$tb/bin-files.sh" /usr/sbin/dropbear); do
	l2ssh="$l2ssh --l2-file $spec"
done
# shellcheck disable=SC2086 # $l2ssh and bin-files.sh's output are space-free specs
"$tb/l1-image.sh" "$work/l1.cpio.gz" "$build" "$work/run.sh" --l2 "$l2kernel" --qemu \
	--l2-file "$src/tests/e2e/virtio_l2.sh=/testbed/l2-run.sh" $l2ssh \
	$("$tb/bin-files.sh" /usr/bin/dbclient) "$work/id_ed25519=/testbed/id_ed25519" \
	"$work/passwd=/etc/passwd" \
	"$hostdir/modules/tun.ko=/lib/modules/tun.ko" \
	"$hostdir/modules/loop.ko=/lib/modules/loop.ko" \
	"$work/disk.img=/testbed/disk.img" "$work/data.img=/testbed/data.img"
status=0
"$tb/run-l1.sh" "$work/l1.cpio.gz" "$work/l1.log" 1700 3072 || status=1
r=$work/results.txt
tr -d '\r' < "$work/l1.log" |
	grep -E '^(PASS|FAIL|VIRTIO-|L1-|QEMU-|R[0-9]+-|tptvmm: virtio)' > "$r" || true
cat "$r"
check() { # WHAT 1|0
	if [ "$2" = 1 ]; then echo "ok: $1"; else echo "NOT OK: $1"; status=1; fi
}
yes_if() { if "$@"; then echo 1; else echo 0; fi; }
lacks() { ! grep -q "$@"; }
field() { # LINE-PREFIX KEY: the value of KEY= on the first line starting with PREFIX
	grep "^$1 " "$r" | head -1 | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}
same() { [ -n "$1" ] && [ "$1" = "$2" ]; }
check "L2 booted under tptvmm and its checks passed" "$(yes_if grep -q '^PASS virtio' "$r")"
check "no L2 check failed, in any round" "$(yes_if lacks -E '^(R[0-9]+-)?(QEMU-)?VIRTIO-FAIL|^FAIL' "$r")"
check "$rounds tptvmm round(s) passed" "$(yes_if [ "$(grep -c '^PASS virtio' "$r")" = "$rounds" ])"
check "virtio-rng feeds /dev/hwrng" "$(yes_if grep -q '^VIRTIO-RNG ok' "$r")"
check "the read-only disk reads back L1's bytes" "$(yes_if same "$(field VIRTIO-RO md5)" "$ro_md5")"
check "the file L2 wrote on ext4 is in the image L1 mounts" \
	"$(yes_if same "$(field VIRTIO-FILE md5)" "$(field L1-FILE md5)")"
check "L1 sees L2's text file and its 32 MiB file" \
	"$(yes_if grep -q '^L1-FILE .*hello=written_by_L2_over_virtio-blk zero_bytes=33554432' "$r")"
check "L2 answers L1's ping" "$(yes_if grep -q '^L1-PING ok' "$r")"
check "L1 answers L2's ping" "$(yes_if grep -q '^VIRTIO-PING ok' "$r")"
check "L1 logs in to L2 with SSH (dropbear) and runs a command" \
	"$(yes_if grep -q '^L1-SSH ssh-ok-6\.' "$r")"
check "L1 got L2's file intact over TCP" "$(yes_if same "$(field VIRTIO-SERVE md5)" "$(field VIRTIO-L1 md5)")"
check "L2 got L1's file intact over TCP" "$(yes_if same "$(field L1-SERVE md5)" "$(field VIRTIO-RX md5)")"
check "no virtqueue broken" "$(yes_if lacks 'tptvmm: virtio.*broken_requests=[1-9]' "$r")"
check "the guest's flushes reached tptvmm" "$(yes_if grep -q 'virtio-blk 0: .*flushes=[1-9]' "$r")"
# Throughput in MB/s from L2's (or L1's) own clock, median over the
# rounds: emulated, so only the tptvmm/QEMU ratios mean anything.
mbs() { awk -v b="$1" -v cs="$2" 'BEGIN { if (cs > 0) printf "%.2f", b / 1048576 / (cs / 100); else print "n/a" }'; }
tput() { # PREFIX: blk_read blk_write net_l2_to_l1 net_l1_to_l2
	echo "$(mbs "$(field "${1}VIRTIO-RO" bytes)" "$(field "${1}VIRTIO-RO" read_cs)")" \
	     "$(mbs 33554432 "$(field "${1}VIRTIO-FILE" write_cs)")" \
	     "$(mbs 33554432 "$(field "${1}VIRTIO-L1" cs)")" \
	     "$(mbs 33554432 "$(field "${1}VIRTIO-RX" cs)")"
}
: > "$work/tput.txt"
i=1
while [ $i -le "$rounds" ]; do
	p=; [ $i = 1 ] || p="R$i-"
	echo "tptvmm $(tput "$p")" >> "$work/tput.txt"
	echo "qemu $(tput "${p}QEMU-")" >> "$work/tput.txt"
	i=$((i + 1))
done
median() { # VMM COLUMN
	awk -v v="$1" -v c="$2" '$1 == v && $c != "n/a" { print $c }' "$work/tput.txt" | sort -n |
		awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "n/a" }'
}
for v in tptvmm qemu; do
	echo "THROUGHPUT $v blk_read_MBps=$(median $v 2) blk_write_fsync_MBps=$(median $v 3) net_l2_to_l1_MBps=$(median $v 4) net_l1_to_l2_MBps=$(median $v 5) (median of $rounds; emulated)" | tee -a "$r"
done
if [ "$(grep -c '^\(R[0-9]*-\)\{0,1\}QEMU-DONE ok' "$r")" = "$rounds" ]; then
	awk -v a="$(median tptvmm 2)" -v b="$(median tptvmm 3)" -v c="$(median tptvmm 4)" -v d="$(median tptvmm 5)" \
	    -v e="$(median qemu 2)" -v f="$(median qemu 3)" -v g="$(median qemu 4)" -v h="$(median qemu 5)" -v n="$rounds" \
		'function r(x, y) { return (x + 0 > 0 && y + 0 > 0) ? sprintf("%.2f", x / y) : "n/a" }
		 BEGIN { printf "RATIO tptvmm/qemu blk_read=%s blk_write_fsync=%s net_l2_to_l1=%s net_l1_to_l2=%s (throughput medians of %d, >1: tptvmm faster; emulated)\n",
			 r(a, e), r(b, f), r(c, g), r(d, h), n }' | tee -a "$r"
	check "QEMU's run saw the same read-only disk" "$(yes_if same "$(field QEMU-VIRTIO-RO md5)" "$ro_md5")"
else
	echo "RATIO tptvmm/qemu: not available, a QEMU run did not complete (see $work/l1.log)" | tee -a "$r"
	status=1
fi
exit $status
