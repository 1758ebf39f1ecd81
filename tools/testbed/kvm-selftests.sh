#!/bin/sh
# Builds the upstream KVM selftests (tools/testing/selftests/kvm) of
# Debian's linux-source-6.12, unpatched: the same binaries run on Debian's
# stock KVM modules and on ours (tests/e2e/kvm_selftests.sh). Statically
# linked (L1 has no C library) and stripped, one directory, no
# subdirectories (x86_64/smm_test becomes smm_test). Built once into
# $TPT_CACHE/build/kvm-selftests-$SRC_KVER; prints the directory of the
# binaries. Only the parts of the source the build reads are unpacked.
set -eu
tb=$(cd "$(dirname "$0")" && pwd)
. "$tb/common.sh"
top=$TPT_CACHE/build/kvm-selftests-$SRC_KVER
bin=$top/bin
if [ -f "$top/.complete" ]; then
	echo "$bin"
	exit 0
fi
for t in make gcc strip; do
	command -v $t >/dev/null || die "$t is missing (tools/setup.sh installs it)"
done
ensure_linux_source
cache_lock kvm-selftests
if [ -f "$top/.complete" ]; then
	echo "$bin"
	exit 0
fi
echo "testbed: building the KVM selftests of $SRC_PKG into $top" >&2
rm -rf "$top"
mkdir -p "$top/src"
s=$SRC_PKG
tar -xJf "/usr/src/$SRC_PKG.tar.xz" -C "$top/src" --strip-components=1 \
	"$s/Makefile" "$s/Kbuild" "$s/Kconfig" "$s/scripts" "$s/include" \
	"$s/arch/x86" "$s/tools" "$s/usr"
grep -q "^SUBLEVEL = ${SRC_KVER##*.}\$" "$top/src/Makefile" ||
	die "unpacked source is not $SRC_KVER"
make -s -C "$top/src" O="$top/obj" headers_install INSTALL_HDR_PATH="$top/hdr" >&2
make -s -C "$top/src/tools/testing/selftests/kvm" -j"$(nproc)" OUTPUT="$top/out" \
	KHDR_INCLUDES="-isystem $top/hdr/include" USERLDFLAGS=-static >"$top/build.log" 2>&1 ||
	{ tail -20 "$top/build.log" >&2; die "KVM selftests do not build (log: $top/build.log)"; }
# The programs the Makefile lists for x86_64, and nothing else (its
# objects and libraries stay in out/).
progs=$(make -s -C "$top/src/tools/testing/selftests/kvm" OUTPUT="$top/out" \
	KHDR_INCLUDES="-isystem $top/hdr/include" -f Makefile -f - print-progs <<'EOF'
print-progs:
	@echo $(TEST_GEN_PROGS)
EOF
)
[ -n "$progs" ] || die "no KVM selftests listed for x86_64"
mkdir -p "$bin"
n=0
for p in $progs; do
	[ -x "$p" ] || die "KVM selftest $p was not built"
	name=$(basename "$p")
	[ ! -e "$bin/$name" ] || die "two KVM selftests named $name"
	strip -o "$bin/$name" "$p"
	n=$((n + 1))
done
echo "testbed: $n KVM selftests in $bin" >&2
rm -rf "$top/src" "$top/obj" "$top/hdr" "$top/out"
touch "$top/.complete"
echo "$bin"
