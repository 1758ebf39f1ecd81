#!/bin/sh
# Runs inside L2 (our guest kernel) for e2e vmx_tpt_guest, on kvm-intel:
# devirt init, tpt-memtest with and without TPT (same checksums), and the
# guest's counters showing the second run was under TPT. A short subset of
# tpt_guest_l2.sh for the slower Intel bed. Prints TPT-PASS / TPT-FAIL
# lines and TPT-RESULT; exit status 0 on success.
set -u
# shellcheck source=SCRIPTDIR/tpt_lib_l2.sh # (in the image as /testbed/tpt-lib.sh)
. /testbed/tpt-lib.sh

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
ran_as_tpt "$p0" "$f0" "$a0"
echo "" > $names
sed 's/^/TPT-STAT /' $stats
echo "TPT-RESULT rc=$rc"
exit $rc
