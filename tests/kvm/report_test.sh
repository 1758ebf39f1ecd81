#!/bin/sh
# tptvmm --report FILE on tiny guests: the JSON a CI script reads, checked
# with jq for a powered-off guest, a panicking one, one ended by --timeout,
# a VMM error, and a report path that cannot be created.
# Exit 0 = pass, 1 = fail, 77 = skipped (no usable KVM, or no jq).
# Usage: report_test.sh TPTVMM GUEST_DIR
set -u
vmm=$1 dir=$2
kvm=${TPT_KVM_DEVICE:-/dev/kvm}

if ! command -v jq >/dev/null 2>&1; then
	echo "SKIP report: jq is missing (tools/setup.sh installs it)"
	exit 77
fi
if [ ! -c "$kvm" ] || ! [ -r "$kvm" ] || ! [ -w "$kvm" ]; then
	echo "SKIP report: no usable $kvm"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tpt-report.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0

# run NAME WANT_RC TPTVMM_ARGS...: runs tptvmm with --report $tmp/NAME.json.
run() {
	name=$1 want=$2
	shift 2
	timeout 120 "$vmm" --mem 32M --kvm-device "$kvm" --report "$tmp/$name.json" "$@" \
		</dev/null >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL $name: exit status $rc, expected $want"
		cat "$tmp/$name.err"
		fails=$((fails + 1))
		return 1
	fi
	if ! jq -e 'type == "object"' "$tmp/$name.json" >/dev/null; then
		echo "FAIL $name: the report is not a JSON object:"
		cat "$tmp/$name.json"
		fails=$((fails + 1))
		return 1
	fi
	return 0
}

# check NAME DESCRIPTION JQ_EXPR: the expression must be true on the report.
check() {
	if jq -e "$3" "$tmp/$1.json" >/dev/null; then
		echo "PASS $1: $2"
	else
		echo "FAIL $1: $2 ($3)"
		cat "$tmp/$1.json"
		fails=$((fails + 1))
	fi
}

# The fields every report has, with their types.
common() {
	check "$1" "every field present with its type" '
		(.report_version == 1) and (.tptvmm_version | type == "string") and
		(.status | type == "number") and (.status_name | type == "string") and
		(.reason | type == "string") and (.time_ms.exit | type == "number") and
		(.marks | type == "array") and (.marks_dropped == 0) and
		(.vcpus | type == "number") and (.memory_bytes == 33554432) and
		(.devices | type == "array") and (.tpt.enabled | type == "boolean")'
}

if run poweroff 0 --raw "$dir/long_hello.bin" --raw-mode long --cpus 2; then
	common poweroff
	check poweroff "status 0, powered off by the debug-exit port" \
		'.status == 0 and .status_name == "guest powered off" and
		 .reason == "debug-exit port written with 0"'
	check poweroff "first mark is the guest's mark 2, before the exit" \
		'.marks[0].value == 2 and .time_ms.first_mark == .marks[0].ms and
		 .time_ms.first_mark > 0 and .time_ms.first_mark <= .time_ms.exit'
	check poweroff "2 vCPUs, no devices, no TPT" \
		'.vcpus == 2 and .devices == [] and .tpt.enabled == false and
		 .tpt.mode == null and .tpt.stats == null'
fi

if run panic 5 --raw "$dir/real_panic.bin" --raw-mode real; then
	common panic
	check panic "status 5, a guest kernel panic" \
		'.status == 5 and .status_name == "guest kernel panic" and
		 (.reason | test("i8042"))'
	check panic "no mark" '.marks == [] and .time_ms.first_mark == null'
fi

if run timeout 12 --raw "$dir/long_spin.bin" --raw-mode long --timeout 2; then
	common timeout
	check timeout "status 12 after --timeout 2" \
		'.status == 12 and .reason == "guest still running after --timeout 2 s" and
		 .time_ms.exit >= 2000 and .time_ms.first_mark == null'
fi

# --tpt: refused on a KVM without TPT (a VMM error the report explains),
# or, on the patched KVM, TPT statistics in the report.
if run tpt "$( [ -n "${TPT_EXPECT_TPT:-}" ] && echo 0 || echo 1)" \
	--raw "$dir/long_hello.bin" --raw-mode long --tpt; then
	common tpt
	check tpt "--tpt in verify mode" '.tpt.enabled == true and .tpt.mode == "verify"'
	if [ -n "${TPT_EXPECT_TPT:-}" ]; then
		check tpt "TPT statistics read" '(.tpt.stats.vm | type == "object") and
			(.tpt.stats.vcpus | type == "object") and .tpt.stats_error == null'
	else
		check tpt "status 1 naming the missing capability" \
			'.status == 1 and (.reason | test("KVM_CAP_X86_TPT")) and .vcpus == 1'
	fi
fi

# A report path that cannot be created: a clear error before the guest runs.
timeout 60 "$vmm" --raw "$dir/long_hello.bin" --raw-mode long --mem 32M \
	--report "$tmp/no/such/dir/r.json" </dev/null >"$tmp/bad.out" 2>"$tmp/bad.err"
rc=$?
if [ $rc = 1 ] && grep -q "^tptvmm: --report $tmp/no/such/dir/r.json: cannot create the report file: No such file or directory" "$tmp/bad.err" &&
   ! [ -s "$tmp/bad.out" ]; then
	echo "PASS bad path: status 1, the path and the reason on stderr, the guest never ran"
else
	echo "FAIL bad path: status $rc"
	cat "$tmp/bad.out" "$tmp/bad.err"
	fails=$((fails + 1))
fi

[ $fails = 0 ] || { echo "$fails report check(s) failed"; exit 1; }
exit 0
