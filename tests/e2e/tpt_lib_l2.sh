# Sourced inside L2 (our guest kernel) by tpt_guest_l2.sh and
# vmx_tpt_guest_l2.sh, as /testbed/tpt-lib.sh: the devirt files, result
# lines and the checks both make after a TPT run of tpt-memtest.
# shellcheck disable=SC2034 # dv, names, rc: for the scripts sourcing this
dv=/sys/kernel/devirt
names=/sys/kernel/mm/devirt/task_name
stats=/sys/kernel/mm/devirt/stats
rc=0
pass() { echo "TPT-PASS $*"; }
fail() { echo "TPT-FAIL $*"; rc=1; }
# kv FILE KEY: the value of KEY in a "key value" file.
kv() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
stat() { kv "$stats" "$1"; }
# sums: the "checksum child" pairs on tpt-memtest result lines (stdin).
sums() { sed -n 's/.*checksum=\([0-9a-f]*\) child=\([0-9a-f]*\).*/\1 \2/p'; }
# ran_as_tpt P0 F0 A0: after one tpt-memtest run (it forks a child) under
# TPT, from processes_total P0, fills F0 and arms A0 before it: both
# processes counted, their faults filled companion tables, armed CR3
# loads, no fallback to nested paging.
ran_as_tpt() {
	p1=$(stat processes_total)
	[ $((p1 - $1)) -ge 2 ] && pass "process_and_child_were_tpt: $((p1 - $1))" ||
		fail "process_and_child_were_tpt: processes_total $1 -> $p1"
	[ "$(stat fills)" -gt "$2" ] && [ "$(stat arms)" -gt "$3" ] &&
		pass "fills_and_arms: fills $2 -> $(stat fills), arms $3 -> $(stat arms)" ||
		fail "fills_and_arms: fills $2 -> $(stat fills), arms $3 -> $(stat arms)"
	[ "$(stat fallbacks)" = 0 ] && pass "no_fallbacks" || fail "no_fallbacks: $(stat fallbacks)"
}
