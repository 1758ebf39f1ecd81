# Shared helpers of the scripts that run inside L1 (sourced as
# /testbed/l1-lib.sh: l1-init.sh and the tests' L1 scripts,
# tests/e2e/*_l1.sh). l1-image.sh puts it into every L1 image. The
# host-side counterpart is common.sh. l2-check.sh stays on its own: bench.sh
# --real runs it on a real host without this file.
# Parameters of an L1 script come from /testbed/l1.env (l1-image.sh
# --env, written on the host with common.sh's l1_env), never from editing
# the script.
T=${TESTBED:-/testbed}

# now_cs: L1's uptime in centiseconds; now_s: in whole seconds.
now_cs() { awk '{ split($1, a, "."); print a[1] * 100 + a[2] }' /proc/uptime; }
now_s() { cut -d. -f1 /proc/uptime; }

# pass NAME TEXT... / fail NAME TEXT...: one check's result line, as the
# host's greps and l2-check.sh's own lines have it ("PASS NAME: TEXT").
# fail returns 1, so "fail x why || rc=1" and "... || fail x why" compose.
# (The helpers' own variables carry a prefix: the callers' names stay
# theirs.)
pass() { printf 'PASS %s: ' "$1"; shift; echo "$*"; }
fail() { printf 'FAIL %s: ' "$1"; shift; echo "$*"; return 1; }

# load_module NAME [ARGS...]: insmod /lib/modules/NAME.ko with ARGS, or
# with the words of /lib/modules/NAME.args (a test's module parameters,
# e.g. kvm-intel.args) when none are given.
load_module() {
	lm_name=$1
	shift
	if [ $# = 0 ] && [ -f "/lib/modules/$lm_name.args" ]; then
		# shellcheck disable=SC2046 # the file holds words
		set -- $(cat "/lib/modules/$lm_name.args")
	fi
	insmod "/lib/modules/$lm_name.ko" "$@"
}

# tap_up ADDR/PREFIX: tap0 in L1 with that address, for an L2's
# --net tap=tap0 (tun.ko loaded first).
tap_up() {
	tunctl -t tap0 >/dev/null && ip addr add "$1" dev tap0 && ip link set tap0 up
}

# tiny_guests CASES: every tiny guest of CASES (tests/kvm/cases.txt
# format) under tptvmm (tests/kvm/run_all.sh, in the image as
# /testbed/kvm), one PASS/FAIL/SKIP line each.
tiny_guests() {
	sh "$T/kvm/run_all.sh" "$T/tptvmm" "$T/guests" "$1"
}

# l2_lines NAME ERE: the lines of l2-check.sh NAME's L2 console
# (/tmp/l2-NAME.out) that match ERE, without carriage returns.
l2_lines() {
	grep -E "$2" "/tmp/l2-$1.out" | tr -d '\r'
}

# kvm_tpt_stats NAME: tptvmm's "KVM TPT stats" line of l2-check.sh NAME.
kvm_tpt_stats() {
	grep -E 'KVM TPT' "/tmp/l2-$1.err"
}

# start_vmm NAME LIMIT COMMAND...: COMMAND (a VMM) in the background under
# `timeout LIMIT`, console to /tmp/NAME.console, stderr to /tmp/NAME.err.
# busybox timeout execs COMMAND, so $vmm is the VMM's own PID: end it with
# stop "$vmm".
start_vmm() {
	sv_name=$1 sv_limit=$2
	shift 2
	timeout "$sv_limit" "$@" </dev/null >"/tmp/$sv_name.console" 2>"/tmp/$sv_name.err" &
	# shellcheck disable=SC2034 # for the caller
	vmm=$!
}

# stop PID: ends a background process this script started (by its PID,
# never by name) and reaps it; quiet if it has ended already.
stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# kernel_log_clean NAME: PASS NAME if L1's kernel log has no WARNING, BUG,
# Oops or general protection fault, else the offending lines and FAIL NAME.
kernel_log_clean() {
	if dmesg | grep -E 'WARNING:|BUG:|Oops|general protection'; then
		fail "$1" "KVM warned (above)"
	else
		pass "$1" "no WARN, BUG or Oops in the L1 kernel log"
	fi
}
