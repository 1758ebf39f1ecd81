#!/bin/sh
# Runs inside L2 (our guest kernel) for e2e tpt_guest; the kernel command
# line says which case: tptcase=on (tptvmm --tpt) or tptcase=off (without).
# Prints TPT-PASS / TPT-FAIL lines and TPT-RESULT; exit status 0 on success.
set -u
dv=/sys/kernel/devirt
names=/sys/kernel/mm/devirt/task_name
stats=/sys/kernel/mm/devirt/stats
MIB=${TPT_MIB:-8} UPDATES=${TPT_UPDATES:-1000000} CHURN=${TPT_CHURN:-200} REMAPS=${TPT_REMAPS:-300}
rc=0
pass() { echo "TPT-PASS $*"; }
fail() { echo "TPT-FAIL $*"; rc=1; }
stat() { awk -v k="$1" '$1 == k { print $2 }' "$stats"; }
# write VALUE FILE: prints the error message of a failed write, nothing else.
write() { ( echo "$1" > "$2" ) 2>&1 | sed 's/.*: //'; }

case $(cat /proc/cmdline) in
*tptcase=off*)
	[ "$(cat $dv)" = 0 ] && pass "no_host_reads_0" || fail "no_host_reads_0: $dv reads $(cat $dv)"
	e=$(write 1 $dv)
	case $e in *"No such device"*) pass "no_host_devirt_enodev: $e" ;;
	*) fail "no_host_devirt_enodev: write 1 gave '$e'" ;; esac
	e=$(write tpt-memtest $names)
	case $e in *"No such device"*) pass "no_host_task_name_enodev: $e" ;;
	*) fail "no_host_task_name_enodev: write gave '$e'" ;; esac
	[ -z "$(cat $names)" ] && pass "no_host_nothing_changed" || fail "no_host_nothing_changed"
	echo "TPT-RESULT rc=$rc"
	exit $rc ;;
esac

[ "$(cat $dv)" = 1 ] && pass "devirt_reads_1" || fail "devirt_reads_1: reads $(cat $dv)"
grep -q 'ready 0' $stats && pass "not_ready_before_init" || fail "not_ready_before_init"

# The reference: the same workload, not under TPT.
ref=$(tpt-memtest -m "$MIB" -n "$UPDATES" -t "$REMAPS") || fail "reference run failed"
echo "TPT-REF $ref"

e=$(write 1 $dv); [ -z "$e" ] && pass "devirt_init" || fail "devirt_init: $e"
e=$(write 0 $dv); [ -n "$e" ] && pass "devirt_0_refused: $e" || fail "devirt_0_refused"
e=$(write 1 $dv); [ -z "$e" ] && pass "devirt_init_again" || fail "devirt_init_again: $e"
grep -q 'ready 1' $stats && pass "ready_after_init" || fail "ready_after_init"

# task_name: list, limits, clearing.
e=$(write "a,b c" $names)
[ -z "$e" ] && [ "$(cat $names | tr '\n' ' ')" = "a b c " ] && pass "task_name_list" ||
	fail "task_name_list: '$e' '$(cat $names | tr '\n' ' ')'"
e=$(write "abcdefghijklmnop" $names)
case $e in *"too long"*) pass "task_name_too_long: $e" ;; *) fail "task_name_too_long: '$e'" ;; esac
e=$(write "1 2 3 4 5 6 7 8 9" $names)
case $e in *"too long"*) pass "task_name_too_many: $e" ;; *) fail "task_name_too_many: '$e'" ;; esac
[ "$(cat $names | tr '\n' ' ')" = "a b c " ] && pass "task_name_kept_after_errors" ||
	fail "task_name_kept_after_errors"
e=$(write "" $names); [ -z "$e" ] && [ -z "$(cat $names)" ] && pass "task_name_cleared" ||
	fail "task_name_cleared: '$e'"
write "tpt-memtest" $names >/dev/null

# The same workload under TPT: same checksums, and counted as TPT.
f0=$(stat fills) a0=$(stat arms) p0=$(stat processes_total)
got=$(tpt-memtest -m "$MIB" -n "$UPDATES" -t "$REMAPS") || fail "TPT run failed"
echo "TPT-GOT $got"
sum_ref=$(echo "$ref" | sed -n 's/.*checksum=\([0-9a-f]*\) child=\([0-9a-f]*\).*/\1 \2/p')
sum_got=$(echo "$got" | sed -n 's/.*checksum=\([0-9a-f]*\) child=\([0-9a-f]*\).*/\1 \2/p')
[ -n "$sum_ref" ] && [ "$sum_ref" = "$sum_got" ] && pass "same_checksums: $sum_got" ||
	fail "same_checksums: reference '$sum_ref', TPT '$sum_got'"
# Same page accounting with and without TPT: resident, anonymous, dirty and
# referenced (accessed bits kept) kB of the buffer after the updates.
sm_ref=$(echo "$ref" | sed -n 's/.*smaps=\([^ ]*\).*/\1/p')
sm_got=$(echo "$got" | sed -n 's/.*smaps=\([^ ]*\).*/\1/p')
[ -n "$sm_ref" ] && [ "$sm_ref" = "$sm_got" ] && pass "same_smaps: $sm_got" ||
	fail "same_smaps: reference '$sm_ref', TPT '$sm_got'"
# Two threads of the TPT process on two vCPUs: no read through a stale
# translation after the other thread's madvise (TLB shootdown).
echo "$got" | grep -q "remaps=$REMAPS stale=0" && pass "threads_no_stale_translation: $REMAPS remaps" ||
	fail "threads_no_stale_translation: $(echo "$got" | grep remaps=)"
p1=$(stat processes_total)
[ $((p1 - p0)) -ge 2 ] && pass "process_and_child_were_tpt: $((p1 - p0))" ||
	fail "process_and_child_were_tpt: processes_total $p0 -> $p1"
[ "$(stat fills)" -gt "$f0" ] && [ "$(stat arms)" -gt "$a0" ] &&
	pass "fills_and_arms: fills $f0 -> $(stat fills), arms $a0 -> $(stat arms)" ||
	fail "fills_and_arms: fills $f0 -> $(stat fills), arms $a0 -> $(stat arms)"
[ "$(stat fallbacks)" = 0 ] && pass "no_fallbacks" || fail "no_fallbacks: $(stat fallbacks)"
ms_ref=$(echo "$ref" | sed 's/.*ms=\([0-9]*\).*/\1/')
ms_got=$(echo "$got" | sed 's/.*ms=\([0-9]*\).*/\1/')
echo "TPT-TIME reference_ms=$ms_ref tpt_ms=$ms_got (emulated: a ratio at most)"

# Many short TPT processes: none left, no companion pages left.
i=0
while [ $i -lt "$CHURN" ]; do
	tpt-memtest -m 1 -n 1000 -q || { fail "churn run $i failed"; break; }
	i=$((i + 1))
done
# Only the shared kernel half stays.
[ "$(stat processes)" = 0 ] && [ "$(stat table_pages)" = "$(stat kernel_table_pages)" ] &&
	pass "churn_no_leak: $CHURN runs, processes_total $(stat processes_total), table_pages $(stat table_pages) (kernel half)" ||
	fail "churn_no_leak: processes $(stat processes), table_pages $(stat table_pages), kernel $(stat kernel_table_pages)"
[ "$(stat fallbacks)" = 0 ] || fail "churn fallbacks: $(stat fallbacks)"
write "" $names >/dev/null
sed 's/^/TPT-STAT /' $stats
echo "TPT-RESULT rc=$rc"
exit $rc
