#!/bin/sh
# e2e: the seed's workflow on a real distribution, in the emulated test
# bed (docs/distro.md is the same at the seed's sizes on a real host):
#  - the TPT guest kernel's distro profile, built and packaged
#    (tools/build-guest-kernel.sh --profile distro --deb); the kernel that
#    boots is the one in the package, and the package installs into the
#    image with dpkg;
#  - a Debian 12 image from tools/mkimage.sh (cached; each run boots a
#    fresh copy, so it is a first boot: host keys made then);
#  - in L1: tptvmm --kernel bzImage --disk (the image) --net tap=tap0
#    --mem --cpus 2 --tpt boots it to multi-user with sshd; L1 logs in
#    with SSH (dropbear's client), enables devirt with sudo, runs
#    sysbench's random memory test without and then with
#    task_name=sysbench; the guest's TPT counters and KVM's (printed by
#    tptvmm at exit) must show that the second run, and only it, ran
#    under TPT; `systemctl poweroff` must end tptvmm with status 0;
#  - the same image on Debian's stock cloud kernel (under QEMU+KVM in L1:
#    that kernel cannot find tptvmm's virtio-mmio devices, see
#    distro_l1.sh): sshd answers, and tpt-check says devirt is absent.
# Sizes are scaled down for emulation (a 1G VM, a 16M sysbench block,
# 20 s runs; the seed: 8G, 4G) and every time is emulated.
# Usage: distro.sh SRC_DIR BUILD_DIR
set -eu
src=$1 build=$2
tb=$src/tools/testbed
. "$tb/common.sh"
work=$build/e2e/distro
mkdir -p "$work"
[ "$(id -u)" = 0 ] || { echo "e2e_distro needs root (debootstrap, chroot)" >&2; exit 1; }
for t in dropbearkey /usr/bin/dbclient debootstrap mkfs.ext4 dpkg-deb dpkg-buildpackage xz; do
	command -v $t >/dev/null || { echo "$t missing (tools/setup.sh installs it)" >&2; exit 1; }
done
L2_MEM=${TPT_DISTRO_MEM:-1G} SB_BLOCK=${TPT_DISTRO_BLOCK:-16M} SB_SECONDS=${TPT_DISTRO_SECONDS:-20}
t0=$(date +%s)

# The kernel, and its package: what boots is the package's vmlinuz.
kout=$("$src/tools/build-guest-kernel.sh" --profile distro --deb)
bz=$(echo "$kout" | sed -n 1p) deb=$(echo "$kout" | sed -n 2p)
t_kernel=$(date +%s)
rm -rf "$work/kdeb"
dpkg-deb -x "$deb" "$work/kdeb"
l2kernel=$(ls "$work"/kdeb/boot/vmlinuz-* | head -1)
cmp -s "$l2kernel" "$bz" || { echo "the package's $l2kernel is not the bzImage $bz" >&2; exit 1; }

# The image (cached with its test key), and a fresh copy to boot.
imgdir=$TPT_CACHE/images
mkdir -p "$imgdir"
[ -f "$imgdir/e2e-id_ed25519" ] || dropbearkey -t ed25519 -f "$imgdir/e2e-id_ed25519" >/dev/null
dropbearkey -y -f "$imgdir/e2e-id_ed25519" | grep '^ssh-ed25519' > "$imgdir/e2e-id_ed25519.pub"
img=$("$src/tools/mkimage.sh" -o "$imgdir/e2e-debian.img" -s 2G -k "$imgdir/e2e-id_ed25519.pub" \
	--kernel-deb "$deb" --tools "$build/tools/guest")
rm -f "$work/debian.img"
cp --sparse=always "$img" "$work/debian.img"
t_image=$(date +%s)

# Debian's stock kernel: its virtio modules for L1 (virtio_blk, the
# image) and for the stock L2's initramfs.
hostdir=$("$tb/host-kernel.sh")
mods=$TPT_CACHE/distro/cloud-modules-$HOST_KVER
if [ ! -f "$mods/.complete" ]; then
	deb_host=$(fetch_deb "$HOST_PKG" "$HOST_PKG_VER")
	rm -rf "$mods.tmp"
	mkdir -p "$mods.tmp/x"
	dpkg-deb -x "$deb_host" "$mods.tmp/x"
	for m in drivers/virtio/virtio_mmio drivers/block/virtio_blk net/core/failover \
		 drivers/net/net_failover drivers/net/virtio_net; do
		xz -dc "$mods.tmp/x/lib/modules/$HOST_KVER/kernel/$m.ko.xz" > "$mods.tmp/$(basename "$m").ko"
	done
	rm -rf "$mods.tmp/x" "$mods"
	mv "$mods.tmp" "$mods"
	touch "$mods/.complete"
fi
stock_mods=
for m in virtio_mmio virtio_blk failover net_failover virtio_net; do
	stock_mods="$stock_mods $mods/$m.ko=/lib/modules/$m.ko"
done
# shellcheck disable=SC2086 # space-free SRC=DST specs
"$tb/mkinitramfs.sh" "$work/stock-initrd.gz" "$src/tests/e2e/distro_stock_init.sh" $stock_mods
l1_env "$work/l1.env" L2_MEM="$L2_MEM" SB_BLOCK="$SB_BLOCK" SB_SECONDS="$SB_SECONDS" L2_LIMIT=2400
# shellcheck disable=SC2046 # bin-files.sh prints space-free specs
"$tb/l1-image.sh" "$work/l1.cpio.gz" "$build" "$src/tests/e2e/distro_l1.sh" --env "$work/l1.env" --qemu \
	$("$tb/bin-files.sh" /usr/bin/dbclient) \
	"$imgdir/e2e-id_ed25519=/testbed/id_ed25519" \
	"$src/tests/e2e/distro_walk.sh=/testbed/distro_walk.sh" \
	"$l2kernel=/testbed/l2/bzImage" \
	"$hostdir/vmlinuz=/testbed/stock/vmlinuz" "$work/stock-initrd.gz=/testbed/stock/initrd.gz" \
	"$hostdir/modules/tun.ko=/lib/modules/tun.ko" "$mods/virtio_blk.ko=/lib/modules/virtio_blk.ko"
t_prep=$(date +%s)

status=0
TPT_L1_QEMU_ARGS="-drive file=$work/debian.img,if=virtio,format=raw" \
	"$tb/run-l1.sh" "$work/l1.cpio.gz" "$work/l1.log" 3000 3072 || status=1
t_l1=$(date +%s)
r=$work/results.txt
tr -d '\r' < "$work/l1.log" | grep -E '^(DISTRO-|WALK-|---|testbed:)' > "$r" || true
cat "$r"

check() { # WHAT 1|0
	if [ "$2" = 1 ]; then echo "ok: $1"; else echo "NOT OK: $1"; status=1; fi
}
yes_if() { if "$@"; then echo 1; else echo 0; fi; }
line() { grep "^$1 " "$r" | head -1; }
field() { # LINE-PREFIX KEY: the value of KEY (as "KEY=V" or "KEY V") on the first such line
	line "$1" | tr ' ' '\n' | awk -v k="$2" 'p { print; exit } $0 == k { p = 1 } index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }'
}
num() { case ${1:-} in ''|*[!0-9]*) echo -1 ;; *) echo "$1" ;; esac; }
gt() { [ "$(num "$1")" -gt "$(num "$2")" ]; }
eq() { [ "$(num "$1")" -ge 0 ] && [ "$(num "$1")" = "$(num "$2")" ]; }

check "no failure reported in L1" "$(yes_if sh -c "! grep -q '^DISTRO-FAIL' '$r'")"
check "tptvmm --tpt booted the TPT kernel from the Debian image to sshd" "$(yes_if grep -q '^DISTRO-SSH-UP tpt ' "$r")"
check "it is the packaged TPT distro kernel" "$(yes_if grep -q '^WALK-KERNEL .*-tpt-distro$' "$r")"
check "2 vCPUs" "$(yes_if grep -q '^WALK-CPUS 2 ' "$r")"
check "multi-user reached, sshd active, no failed unit (is-system-running: running)" \
	"$(yes_if grep -q '^WALK-STATE running multi_user=active sshd=active' "$r")"
check "the host offers TPT (devirt reads 1)" "$(yes_if grep -q '^WALK-DEVIRT 1$' "$r")"
check "echo 1 | sudo tee /sys/kernel/devirt" "$(yes_if grep -q '^WALK-ENABLE rc=0' "$r")"
check "tpt-check reports devirt ready" "$(yes_if grep -q '^WALK-CHECK2 tpt-check: devirt ready' "$r")"
check "echo sysbench | sudo tee task_name" "$(yes_if grep -q '^WALK-NAME rc=0 task_name=sysbench$' "$r")"
e1=$(field WALK-RUN1 events) e2=$(field WALK-RUN2 events)
check "sysbench without TPT counted events ($e1)" "$(yes_if gt "$e1" 0)"
check "sysbench with task_name counted events ($e2)" "$(yes_if gt "$e2" 0)"
p0=$(field WALK-STATS0 processes_total) p1=$(field WALK-STATS1 processes_total) p2=$(field WALK-STATS2 processes_total)
f1=$(field WALK-STATS1 fills) f2=$(field WALK-STATS2 fills)
fb0=$(field WALK-STATS0 fallbacks) fb2=$(field WALK-STATS2 fallbacks)
check "the first run was not under TPT (processes_total $p0 -> $p1)" "$(yes_if eq "$p1" "$p0")"
check "the second run was (processes_total $p1 -> $p2)" "$(yes_if gt "$p2" "$p1")"
check "its page faults filled companion tables (fills $f1 -> $f2)" "$(yes_if gt "$f2" "$f1")"
check "no fallback to nested paging (fallbacks $fb0 -> $fb2)" "$(yes_if eq "$fb2" "$fb0")"
enters=$(grep '^DISTRO-VMM tpt .*KVM TPT stats' "$r" | sed -n 's/.* tpt_enters=\([0-9]*\).*/\1/p' | head -1)
check "KVM entered TPT (tpt_enters=${enters:-none})" "$(yes_if gt "$enters" 0)"
check "systemctl poweroff ended tptvmm --tpt with status 0 (ACPI S5)" \
	"$(yes_if sh -c "grep -q '^DISTRO-EXIT tpt status=0 ' '$r' && grep -q '^DISTRO-VMM tpt .*ACPI power-off' '$r'")"
check "the same image booted Debian's stock kernel to sshd" "$(yes_if grep -q "^DISTRO-STOCK $HOST_KVER " "$r")"
check "tpt-check on the stock kernel: devirt absent, status 1" \
	"$(yes_if grep -q '^DISTRO-STOCK .*tpt-check: devirt absent: .* rc=1 active' "$r")"
check "the boot-time check said so on the stock kernel's console" \
	"$(yes_if grep -q '^DISTRO-CONSOLE stock .*tpt-check: devirt absent' "$r")"
check "systemctl poweroff ended the stock boot (QEMU) with status 0" "$(yes_if grep -q '^DISTRO-EXIT stock status=0 ' "$r")"
awk -v a="$e1" -v b="$e2" -v blk="$SB_BLOCK" -v s="$SB_SECONDS" -v m="$L2_MEM" 'BEGIN {
	printf "SYSBENCH memory rnd block=%s time=%ss vm=%s (scaled down; emulated): events without TPT=%s with TPT=%s", blk, s, m, a, b
	if (a + 0 > 0) printf " ratio with/without=%.2f", b / a
	print "" }' | tee -a "$r"
echo "TIMES kernel+deb=$((t_kernel - t0))s image=$((t_image - t_kernel))s l1_prep=$((t_prep - t_image))s test_bed=$((t_l1 - t_prep))s total=$((t_l1 - t0))s (test bed emulated)" | tee -a "$r"
exit $status
