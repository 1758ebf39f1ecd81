#!/bin/sh
# Runs inside L2 (our guest kernel) for e2e vmx_tpt_guest, on kvm-intel:
# devirt init, tpt-memtest with and without TPT (same checksums), and the
# guest's counters showing the second run was under TPT. A short subset of
# tpt_guest_l2.sh for the slower Intel bed. Prints TPT-PASS / TPT-FAIL
# lines and TPT-RESULT; exit status 0 on success.
set -u
dv=/sys/kernel/devirt
names=/sys/kernel/mm/devirt/task_name
stats=/sys/kernel/mm/devirt/stats
rc=0
pass() { echo "TPT-PASS $*"; }
fail() { echo "TPT-FAIL $*"; rc=1; }
stat() { awk -v k="$1" '$1 == k { print $2 }' "$stats"; }
sums() { sed -n 's/.*checksum=\([0-9a-f]*\) child=\([0-9a-f]*\).*/\1 \2/p'; }

ref=$(tpt-memtest -m 4 -n 200000) || fail "reference run failed"
echo "TPT-REF $ref"
( echo 1 > $dv ) 2>/dev/null && pass "devirt_init" || fail "devirt_init"
grep -q 'ready 1' $stats && pass "ready_after_init" || fail "ready_after_init: $(cat $stats | tr '\n' ' ')"
echo tpt-memtest > $names
f0=$(stat fills) a0=$(stat arms) p0=$(stat processes_total)
got=$(tpt-memtest -m 4 -n 200000) || fail "TPT run failed"
echo "TPT-GOT $got"
sum_ref=$(echo "$ref" | sums) sum_got=$(echo "$got" | sums)
[ -n "$sum_ref" ] && [ "$sum_ref" = "$sum_got" ] && pass "same_checksums: $sum_got" ||
	fail "same_checksums: reference '$sum_ref', TPT '$sum_got'"
p1=$(stat processes_total)
[ $((p1 - p0)) -ge 2 ] && pass "process_and_child_were_tpt: $((p1 - p0))" ||
	fail "process_and_child_were_tpt: processes_total $p0 -> $p1"
[ "$(stat fills)" -gt "$f0" ] && [ "$(stat arms)" -gt "$a0" ] &&
	pass "fills_and_arms: fills $f0 -> $(stat fills), arms $a0 -> $(stat arms)" ||
	fail "fills_and_arms: fills $f0 -> $(stat fills), arms $a0 -> $(stat arms)"
[ "$(stat fallbacks)" = 0 ] && pass "no_fallbacks" || fail "fallbacks: $(stat fallbacks)"
echo "" > $names
sed 's/^/TPT-STAT /' $stats
echo "TPT-RESULT rc=$rc"
exit $rc
