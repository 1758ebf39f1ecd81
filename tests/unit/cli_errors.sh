#!/bin/sh
# Every tptvmm option fed garbage gets one clear line on stderr and exit
# status 2 (bad command line) or 1 (bad input file), never a crash, a
# sanitizer report or silence. Runs the real binary; needs no /dev/kvm
# (input files are checked before KVM is opened).
# Usage: cli_errors.sh TPTVMM ELF   (ELF: any static x86-64 executable,
# which passes as a kernel, so the checks after the kernel's are reached)
set -u
vmm=$1 elf=$2
tmp=${TMPDIR:-/tmp}/tpt-cli-errors.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
head -c 4096 /dev/urandom > "$tmp/garbage"
: > "$tmp/empty"
printf 'MZ' > "$tmp/short"
fails=0 n=0
# expect STATUS NEEDLE ARGS...: exit status, a word the message must hold
expect() {
	want=$1 needle=$2
	shift 2
	n=$((n + 1))
	"$vmm" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	lines=$(grep -c . "$tmp/err")
	if [ "$rc" != "$want" ] || [ "$lines" != 1 ] || ! grep -q -- "$needle" "$tmp/err" ||
	   grep -q -e Sanitizer -e 'runtime error' "$tmp/err"; then
		echo "FAIL: tptvmm $* -> status $rc (want $want), $lines stderr line(s), want '$needle':"
		sed 's/^/    /' "$tmp/err"
		fails=$((fails + 1))
	else
		echo "ok: tptvmm $* -> $rc: $(cat "$tmp/err")"
	fi
}
k="--kernel $tmp/garbage"
# shellcheck disable=SC2086 # $k is two words on purpose
{
expect 2 "no guest given"
expect 2 "unknown option" $k --frob
expect 2 "needs a value" --kernel
expect 2 "--mem" $k --mem 12Q
expect 2 "--mem" $k --mem 99999999999T
expect 2 "--mem" $k --mem 0
expect 2 "--cpus" $k --cpus -1
expect 2 "--cpus" $k --cpus 1e3
expect 2 "--tpt" $k --tpt=on
expect 2 "--raw-addr" --raw "$tmp/garbage" --raw-addr zz
expect 2 "--raw-mode" --raw "$tmp/garbage" --raw-mode 32
expect 2 "--disk" $k --disk ",ro"
expect 2 "--disk" $k --disk "x,rw"
expect 2 "--net" $k --net "tap"
expect 2 "--net" $k --net "tap=t,mac=zz:zz:zz:zz:zz:zz"
expect 2 "--net" $k --net "tap=0123456789abcdef0"
expect 2 "--timeout" $k --timeout -5
expect 2 "--timeout" $k --timeout forever
expect 2 "--report" $k --report ""
expect 1 "--report $tmp/no/dir/r.json: cannot create" $k --report "$tmp/no/dir/r.json"
expect 2 "unexpected argument" $k stray
expect 2 "exclude" $k --raw "$tmp/garbage"
expect 2 "--initrd needs --kernel" --raw "$tmp/garbage" --initrd "$tmp/garbage"
expect 1 "neither a Linux bzImage nor an ELF" $k
expect 1 "neither a Linux bzImage nor an ELF" --kernel "$tmp/short"
# A VM that never ran still gets its report, with the same reason.
expect 1 "neither a Linux bzImage nor an ELF" $k --report "$tmp/r.json"
n=$((n + 1))
if grep -q '"status": 1,' "$tmp/r.json" && grep -q '"reason": ".*neither a Linux bzImage nor an ELF' "$tmp/r.json"; then
	echo "ok: the report of a VM that never ran has status 1 and the reason"
else
	echo "FAIL: report of a VM that never ran:"; cat "$tmp/r.json"
	fails=$((fails + 1))
fi
expect 1 "No such file" --kernel "$tmp/missing"
expect 1 "empty" --raw "$tmp/empty"
expect 1 "No such file" --raw "$tmp/missing"
expect 1 "not a regular file" --kernel "$tmp"
expect 1 "--initrd: cannot open" --kernel "$elf" --initrd "$tmp/missing"
expect 1 "--initrd: .* is not a regular file" --kernel "$elf" --initrd "$tmp"
expect 1 "--disk .*No such file" --kernel "$elf" --disk "$tmp/missing"
expect 1 "--disk .*Is a directory" --kernel "$elf" --disk "$tmp"
expect 1 "--disk .*not a regular file or block device" --kernel "$elf" --disk /dev/null
expect 1 "--disk .*smaller than one 512-byte sector" --kernel "$elf" --disk "$tmp/empty"
expect 1 "does not exist" --kernel "$elf" --kvm-device "$tmp/missing"
}
echo "cli_errors: $n cases, $fails failed"
[ "$fails" = 0 ]
