# Shared settings of the nested test bed (sourced by the other scripts).
# Pinned versions: change them together, and only after checking that the
# Debian archive still serves them.
HOST_KVER=6.12.117+deb12-cloud-amd64
HOST_PKG=linux-image-$HOST_KVER
HOST_PKG_VER=6.12.117-1~deb12u1
TPT_CACHE=${TPT_CACHE:-$HOME/.cache/tpt}
HOST_DIR=$TPT_CACHE/host-$HOST_KVER

die() { echo "testbed: $*" >&2; exit 1; }

# Debian's kernel source, shared by the guest kernel and the KVM modules.
SRC_PKG=linux-source-6.12
SRC_PKG_VER=6.12.117-1~deb12u1
SRC_KVER=6.12.117
HEADERS_PKG=linux-headers-$HOST_KVER

# cache_lock NAME: holds $TPT_CACHE/NAME.lock (fd 9) until the calling
# script exits, so two test runs sharing a cache (two checkouts, or two
# ctest jobs) do not build into the same tree at once; the second one
# waits, then finds the build done.
cache_lock() {
	mkdir -p "$TPT_CACHE"
	exec 9>"$TPT_CACHE/$1.lock"
	flock 9 || die "cannot lock $TPT_CACHE/$1.lock"
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Installs $SRC_PKG=$SRC_PKG_VER unless it is there already.
ensure_linux_source() {
	have=$(dpkg-query -W -f '${Version}' "$SRC_PKG" 2>/dev/null || true)
	[ "$have" = "$SRC_PKG_VER" ] && return 0
	echo "testbed: installing $SRC_PKG=$SRC_PKG_VER (have '${have:-none}')" >&2
	as_root apt-get install -y -qq "$SRC_PKG=$SRC_PKG_VER" >&2 ||
		{ as_root apt-get update -qq && as_root apt-get install -y -qq "$SRC_PKG=$SRC_PKG_VER" >&2; } ||
		die "cannot install $SRC_PKG=$SRC_PKG_VER"
}

# Downloads PKG=VER into $TPT_CACHE/debs once; prints the .deb's path.
fetch_deb() {
	mkdir -p "$TPT_CACHE/debs"
	deb=$(ls "$TPT_CACHE/debs/${1}_"*.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		( cd "$TPT_CACHE/debs" && apt-get download "$1=$2" >&2 ) ||
		( apt-get update >&2 && cd "$TPT_CACHE/debs" && apt-get download "$1=$2" >&2 ) ||
			die "cannot download $1=$2 from the Debian archive"
		deb=$(ls "$TPT_CACHE/debs/${1}_"*.deb | head -1)
	fi
	case "$deb" in
	*"$(echo "$2" | sed 's/~/%7e/')"*|*"$2"*) ;;
	*) die "cached $deb is not version $2" ;;
	esac
	echo "$deb"
}

# Unpacks the kernel source into TREE once and applies PATCH_DIR/*.patch in
# order; redone when the patches change. Usage: unpack_linux_source TREE PATCH_DIR
unpack_linux_source() {
	ensure_linux_source
	patches=$(ls "$2"/*.patch 2>/dev/null || true)
	# shellcheck disable=SC2086 # patch paths have no spaces
	stamp=$(cat $patches /dev/null | sha256sum | cut -c1-16)
	if [ -f "$1/.tpt-stamp" ] && [ "$(cat "$1/.tpt-stamp")" = "$stamp" ]; then
		return 0
	fi
	echo "testbed: unpacking /usr/src/$SRC_PKG.tar.xz into $1" >&2
	rm -rf "$1.tmp"
	mkdir -p "$1.tmp"
	tar -xJf "/usr/src/$SRC_PKG.tar.xz" -C "$1.tmp" --strip-components=1
	grep -q "^SUBLEVEL = ${SRC_KVER##*.}\$" "$1.tmp/Makefile" ||
		die "unpacked source is not $SRC_KVER"
	for p in $patches; do
		echo "testbed: applying $(basename "$p")" >&2
		patch -d "$1.tmp" -p1 -s < "$p" || die "$(basename "$p") does not apply"
	done
	echo "$stamp" > "$1.tmp/.tpt-stamp"
	rm -rf "$1"
	mv "$1.tmp" "$1"
}

# l1_env FILE NAME=VALUE...: the parameters of an L1 script as shell
# assignments, one a line, each value single-quoted; the L1 script
# sources the file as /testbed/l1.env (l1-image.sh --env FILE).
l1_env() {
	le_file=$1
	shift
	: > "$le_file"
	for le_a; do
		case ${le_a%%=*} in
		''|*[!A-Za-z0-9_]*|[0-9]*) die "l1_env: '${le_a%%=*}' is not a variable name" ;;
		esac
		printf "%s='%s'\n" "${le_a%%=*}" "$(printf '%s' "${le_a#*=}" | sed "s/'/'\\\\''/g")" >> "$le_file"
	done
}
