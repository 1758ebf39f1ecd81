#!/bin/sh
# Builds a raw ext4 Debian 12 (bookworm) image for tptvmm: debootstrap from
# Debian's archive (minbase + systemd, udev, sshd, sudo, sysbench,
# iproute2, ...), a sudo user with an authorized SSH key, SSH host keys
# made at the first boot, systemd-networkd on the virtio-net NIC (the
# addresses of docs/devices.md), a serial getty on ttyS0 and TPT's guest
# tools (build/tools/guest/* and tpt-check) in /usr/local/bin. The whole
# disk is the file system (no partition table): boot it with root=/dev/vda,
# which the TPT guest kernel's distro profile has built in (docs/distro.md).
#
# Usage: tools/mkimage.sh [options]
#   -o, --output PATH    image to write (default $TPT_CACHE/images/debian-12-tpt.img)
#   -s, --size SIZE      image size, e.g. 4G or 2048M (default 4G; the file is sparse)
#   -u, --user NAME      the sudo user (default tpt; sudo without a password)
#   -k, --key FILE.pub   authorize this public key (default: a new ed25519 key
#                        pair kept next to the image as PATH.key and PATH.key.pub)
#   --ip ADDR/LEN        guest address on eth0 (default 192.168.100.2/24)
#   --gateway ADDR       default route (default 192.168.100.1; "none": no route)
#   --dns ADDR           name server for /etc/resolv.conf (default: none)
#   --kernel-deb FILE    also install this kernel package (e.g. the TPT guest
#                        kernel's, tools/build-guest-kernel.sh --profile distro --deb)
#   --no-autologin       the ttyS0 getty asks for a login (default: the user
#                        is logged in on the serial console, which only the
#                        one running the VMM sees)
#   --tools DIR          guest tools to install (default BUILD/tools/guest of
#                        this checkout's build/: build it first)
#   --mirror URL         Debian archive (default http://deb.debian.org/debian)
#   -f, --force          rebuild the image even when it is up to date
# Needs root (debootstrap, chroot). The debootstrapped tree is cached in
# $TPT_CACHE/distro (default ~/.cache/tpt): only the first run downloads
# (about a minute); an image whose inputs did not change is kept as it is.
# Prints the image's path (and the private key's, when one was made).
set -eu
src_dir=$(cd "$(dirname "$0")/.." && pwd)
. "$src_dir/tools/testbed/common.sh"
die() { echo "mkimage: $*" >&2; exit 1; }

suite=bookworm
mirror=http://deb.debian.org/debian
# minbase has no init, no udev (systemd's device units need it), no sshd.
include=systemd-sysv,udev,openssh-server,sudo,sysbench,iproute2,iputils-ping,procps
out=$TPT_CACHE/images/debian-12-tpt.img size=4G user=tpt key= ip=192.168.100.2/24
gw=192.168.100.1 dns= kdeb= autologin=1 tools=$src_dir/build/tools/guest force=0
need() { [ $# -ge 2 ] || die "$1 needs a value"; }
while [ $# -gt 0 ]; do
	case $1 in
	-o|--output) need "$@"; out=$2; shift 2 ;;
	-s|--size) need "$@"; size=$2; shift 2 ;;
	-u|--user) need "$@"; user=$2; shift 2 ;;
	-k|--key) need "$@"; key=$2; shift 2 ;;
	--ip) need "$@"; ip=$2; shift 2 ;;
	--gateway) need "$@"; gw=$2; shift 2 ;;
	--dns) need "$@"; dns=$2; shift 2 ;;
	--kernel-deb) need "$@"; kdeb=$2; shift 2 ;;
	--no-autologin) autologin=0; shift ;;
	--tools) need "$@"; tools=$2; shift 2 ;;
	--mirror) need "$@"; mirror=$2; shift 2 ;;
	-f|--force) force=1; shift ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
done

# Input checks first, before anything slow.
case $size in
*[0-9][KMGT]|*[0-9]) ;;
*) die "--size '$size' is not a size like 4G or 2048M" ;;
esac
size_mb=$(numfmt --from=iec "$size" 2>/dev/null | awk '{ printf "%d", $1 / 1048576 }') ||
	die "--size '$size' is not a size like 4G or 2048M"
[ "${size_mb:-0}" -ge 1024 ] || die "--size $size is too small: Debian needs at least 1G"
echo "$user" | grep -Eqx '[a-z_][a-z0-9_-]{0,31}' || die "--user '$user' is not a valid user name"
echo "$ip" | grep -Eqx '([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}' || die "--ip '$ip' is not ADDR/LEN"
[ "$gw" = none ] || echo "$gw" | grep -Eqx '([0-9]{1,3}\.){3}[0-9]{1,3}' || die "--gateway '$gw' is not an IPv4 address"
[ -z "$dns" ] || echo "$dns" | grep -Eqx '[0-9a-fA-F:.]+' || die "--dns '$dns' is not an address"
if [ -n "$key" ]; then
	[ -f "$key" ] || die "--key $key: no such file"
	grep -Eq '^(ssh-|ecdsa-|sk-)[^ ]+ [A-Za-z0-9+/=]+' "$key" ||
		die "--key $key is not an OpenSSH public key (ssh-ed25519 AAAA... line)"
fi
[ -z "$kdeb" ] || [ -f "$kdeb" ] || die "--kernel-deb $kdeb: no such file"
[ -z "$kdeb" ] || dpkg-deb -f "$kdeb" Package | grep -q '^linux-image-' ||
	die "--kernel-deb $kdeb is not a linux-image package"
tool_list=
for t in tpt-guest-util tpt-memtest tpt-ptrchase tpt-corecheck; do
	[ -x "$tools/$t" ] || die "$tools/$t is missing: build first (cmake -S . -B build && cmake --build build), or give --tools DIR"
	tool_list="$tool_list $tools/$t"
done
[ "$(id -u)" = 0 ] || die "needs root (debootstrap and chroot): run it as root or with sudo"
for t in debootstrap mkfs.ext4 chroot numfmt wget; do
	command -v $t >/dev/null || die "$t is missing (tools/setup.sh installs debootstrap and e2fsprogs)"
done

# free_mb DIR: megabytes available to root in the file system of DIR.
free_mb() { df -Pm "$1" | awk 'NR == 2 { print $4 }'; }

mkdir -p "$(dirname "$out")" || die "cannot create $(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
if [ -z "$key" ]; then
	key=$out.key.pub
	if [ ! -f "$out.key" ] || [ ! -f "$key" ]; then
		command -v ssh-keygen >/dev/null || die "ssh-keygen is missing (openssh-client) to make a key: give --key FILE.pub"
		rm -f "$out.key" "$key"
		ssh-keygen -q -t ed25519 -N '' -C "tpt@$(basename "$out")" -f "$out.key" ||
			die "ssh-keygen failed"
	fi
	made_key=$out.key
fi

# The debootstrapped tree, cached by what went into it.
cache=$TPT_CACHE/distro
rkey=$(printf '%s\n' "$suite" "$mirror" "$include" minbase | sha256sum | cut -c1-12)
root=$cache/rootfs-$suite-$rkey
if [ ! -f "$root/.complete" ]; then
	mkdir -p "$cache"
	[ "$(free_mb "$cache")" -ge 1500 ] ||
		die "not enough space in $cache: $(free_mb "$cache") MB free, debootstrap needs 1500 MB"
	wget -q -T 20 -t 2 -O /dev/null "$mirror/dists/$suite/Release" ||
		die "cannot reach the Debian archive at $mirror (no network? give --mirror URL)"
	echo "mkimage: debootstrap $suite from $mirror into $root (about a minute)" >&2
	rm -rf "$root.tmp"
	t0=$(date +%s)
	debootstrap --variant=minbase --include="$include" "$suite" "$root.tmp" "$mirror" \
		> "$cache/debootstrap.log" 2>&1 ||
		{ tail -20 "$cache/debootstrap.log" >&2
		  die "debootstrap failed (log: $cache/debootstrap.log; $root.tmp/debootstrap/debootstrap.log)"; }
	# Downloaded packages are not needed in the image.
	rm -rf "$root.tmp"/var/cache/apt/archives/*.deb "$root.tmp"/var/lib/apt/lists/*_Packages
	echo "mkimage: debootstrap took $(( $(date +%s) - t0 )) s" >&2
	rm -rf "$root"
	mv "$root.tmp" "$root"
	touch "$root/.complete"
fi

# The image, kept while none of its inputs changed.
stamp=$({
	echo "$root $size $user $ip $gw $dns $autologin"
	cat "$key" "$0" "$src_dir"/tools/image/*
	# shellcheck disable=SC2086 # tool paths have no spaces
	cat $tool_list
	[ -z "$kdeb" ] || cat "$kdeb"
} | sha256sum | cut -c1-16)
if [ $force = 0 ] && [ -f "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "mkimage: $out is up to date (-f rebuilds it)" >&2
	echo "$out"
	[ -z "${made_key:-}" ] || echo "$made_key"
	exit 0
fi

used_mb=$(du -sm "$root" | cut -f1)
[ $((used_mb + 300)) -le "$size_mb" ] ||
	die "--size $size is too small for the $used_mb MB tree (and room to work): give at least $(( (used_mb + 300 + 1023) / 1024 ))G"
# The staging copy and the image's blocks (sparse: only what is used).
[ "$(free_mb "$cache")" -ge $((used_mb + 100)) ] ||
	die "not enough space in $cache for a $used_mb MB staging copy ($(free_mb "$cache") MB free)"
[ "$(free_mb "$(dirname "$out")")" -ge $((used_mb + 200)) ] ||
	die "not enough space in $(dirname "$out") for the image: $(free_mb "$(dirname "$out")") MB free, need $((used_mb + 200)) MB"
stage=$cache/stage.$$
trap 'rm -rf "$stage"' EXIT INT TERM
rm -rf "$stage"
cp -a "$root" "$stage"
rm -f "$stage/.complete"

# Identity: each VM made from the image gets its own machine id and SSH
# host keys at its first boot.
: > "$stage/etc/machine-id"
rm -f "$stage/var/lib/dbus/machine-id" "$stage"/etc/ssh/ssh_host_*
echo tpt-guest > "$stage/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\ttpt-guest\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$stage/etc/hosts"
printf '/dev/vda\t/\text4\tdefaults,errors=remount-ro\t0\t0\n' > "$stage/etc/fstab"
if [ -n "$dns" ]; then
	echo "nameserver $dns" > "$stage/etc/resolv.conf"
else
	echo "# no name server: tools/mkimage.sh --dns ADDR sets one" > "$stage/etc/resolv.conf"
fi

# The user: key login, sudo without a password (the seed's
# `echo 1 | sudo tee /sys/kernel/devirt` runs non-interactively).
chroot "$stage" /usr/sbin/useradd -m -s /bin/bash -G sudo "$user" || die "useradd $user failed"
# '*': no password to log in with, but not a locked account (sshd's key login works).
chroot "$stage" /usr/sbin/usermod -p '*' "$user"
install -d -m 700 "$stage/home/$user/.ssh"
install -m 600 "$key" "$stage/home/$user/.ssh/authorized_keys"
chroot "$stage" chown -R "$user:$user" "/home/$user/.ssh"
echo "$user ALL=(ALL) NOPASSWD:ALL" > "$stage/etc/sudoers.d/tpt"
chmod 440 "$stage/etc/sudoers.d/tpt"
mkdir -p "$stage/etc/ssh/sshd_config.d"
printf 'PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\n' \
	> "$stage/etc/ssh/sshd_config.d/tpt.conf"

# Network: the first Ethernet NIC (tptvmm's virtio-net) with a static
# address, as in docs/devices.md.
mkdir -p "$stage/etc/systemd/network"
{
	printf '[Match]\nType=ether\n\n[Network]\nAddress=%s\n' "$ip"
	[ "$gw" = none ] || printf 'Gateway=%s\n' "$gw"
	[ -z "$dns" ] || printf 'DNS=%s\n' "$dns"
	printf 'LinkLocalAddressing=no\nIPv6AcceptRA=no\n'
} > "$stage/etc/systemd/network/10-tpt-eth.network"

# Serial console on ttyS0 (tptvmm's COM1).
if [ $autologin = 1 ]; then
	mkdir -p "$stage/etc/systemd/system/serial-getty@ttyS0.service.d"
	printf '[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin %s --keep-baud 115200,57600,38400,9600 %%I $TERM\n' \
		"$user" > "$stage/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf"
fi

# TPT's guest tools and the boot-time check.
# shellcheck disable=SC2086 # tool paths have no spaces
install -m 755 $tool_list "$src_dir/tools/image/tpt-check" "$stage/usr/local/bin/"
install -m 644 "$src_dir/tools/image/tpt-check.service" \
	"$src_dir/tools/image/tpt-ssh-hostkeys.service" "$stage/etc/systemd/system/"
chroot "$stage" systemctl -q enable systemd-networkd.service serial-getty@ttyS0.service \
	tpt-check.service tpt-ssh-hostkeys.service 2>&1 | grep -v '^Created symlink' >&2 || true
for u in systemd-networkd.service serial-getty@ttyS0.service tpt-check.service tpt-ssh-hostkeys.service; do
	chroot "$stage" systemctl -q is-enabled "$u" >/dev/null 2>&1 || die "could not enable $u in the image"
done
# Nothing waits for "network online" at boot: the address is static.
chroot "$stage" systemctl -q mask systemd-networkd-wait-online.service >/dev/null 2>&1 || true

if [ -n "$kdeb" ]; then
	cp "$kdeb" "$stage/tmp/kernel.deb"
	chroot "$stage" dpkg -i /tmp/kernel.deb >&2 || die "dpkg -i $(basename "$kdeb") failed in the image"
	rm -f "$stage/tmp/kernel.deb"
fi
rm -rf "$stage"/var/log/*.log "$stage"/var/cache/debconf/*-old "$stage/root/.bash_history"

rm -f "$out.stamp" "$out.tmp"
mkfs.ext4 -q -F -L tpt-root -d "$stage" "$out.tmp" "${size_mb}M" >&2 ||
	{ rm -f "$out.tmp"; die "mkfs.ext4 -d failed (out of space in $(dirname "$out")?)"; }
mv "$out.tmp" "$out"
echo "$stamp" > "$out.stamp"
echo "mkimage: $out: Debian 12, user $user, address $ip, ${size_mb} MB (sparse, $(du -sm "$out" | cut -f1) MB used)" >&2
echo "$out"
[ -z "${made_key:-}" ] || echo "$made_key"
