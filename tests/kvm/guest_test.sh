#!/bin/sh
# Runs one tiny-guest case from cases.txt under tptvmm and checks its exit
# status and output. Exit 0 = pass, 1 = fail, 77 = skipped (no usable KVM).
# Usage: guest_test.sh TPTVMM GUEST_DIR CASES_FILE CASE_NAME
set -u
vmm=$1 dir=$2 cases=$3 name=$4
kvm=${TPT_KVM_DEVICE:-/dev/kvm}

if [ ! -c "$kvm" ]; then
	echo "SKIP $name: $kvm is missing (no KVM on this host)"
	exit 77
fi
if ! [ -r "$kvm" ] || ! [ -w "$kvm" ]; then
	echo "SKIP $name: no permission on $kvm"
	exit 77
fi
line=$(grep "^$name " "$cases")
if [ -z "$line" ]; then
	echo "FAIL $name: no such case in $cases"
	exit 1
fi
field() { echo "$line" | cut -d'|' -f"$1" | sed 's/^ *//; s/ *$//'; }
guest=$(field 2) mode=$(field 3) want_rc=$(field 4) want_out=$(field 5) want_err=$(field 6)
extra=$(field 7)	# optional: more tptvmm options (no spaces inside one)
tmp=${TMPDIR:-/tmp}/tpt-guest-$name.$$
# shellcheck disable=SC2086 # $extra is a list of options
timeout 120 "$vmm" --raw "$dir/$guest" --raw-mode "$mode" --mem 32M $extra \
	</dev/null >"$tmp.out" 2>"$tmp.err"
rc=$?
ok=1
if [ "$rc" != "$want_rc" ]; then
	echo "FAIL $name: exit status $rc, expected $want_rc"
	ok=0
fi
if ! grep -qF "$want_out" "$tmp.out"; then
	echo "FAIL $name: stdout lacks '$want_out'"
	ok=0
fi
if ! grep -qF "$want_err" "$tmp.err"; then
	echo "FAIL $name: stderr lacks '$want_err'"
	ok=0
fi
if [ $ok = 0 ]; then
	echo "--- stdout"; cat "$tmp.out"; echo "--- stderr"; cat "$tmp.err"
	rm -f "$tmp.out" "$tmp.err"
	exit 1
fi
rm -f "$tmp.out" "$tmp.err"
echo "PASS $name"
exit 0
