# Shared settings of the nested test bed (sourced by the other scripts).
# Pinned versions: change them together, and only after checking that the
# Debian archive still serves them.
HOST_KVER=6.12.117+deb12-cloud-amd64
HOST_PKG=linux-image-$HOST_KVER
HOST_PKG_VER=6.12.117-1~deb12u1
TPT_CACHE=${TPT_CACHE:-$HOME/.cache/tpt}
HOST_DIR=$TPT_CACHE/host-$HOST_KVER

die() { echo "testbed: $*" >&2; exit 1; }
