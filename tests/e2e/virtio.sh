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
. "$tb/common.sh"
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
l1_env "$work/l1.env" ROUNDS="$rounds"
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
"$tb/l1-image.sh" "$work/l1.cpio.gz" "$build" "$src/tests/e2e/virtio_l1.sh" --env "$work/l1.env" \
	--l2 "$l2kernel" --qemu \
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
