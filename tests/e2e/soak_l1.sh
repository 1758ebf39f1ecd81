#!/bin/sh
# Inside L1 for e2e_soak (soak.sh): tpt_soak over the tiny guests,
# $CYCLES cycles (/testbed/l1.env), its result lines and any sanitizer
# report, then "SOAK-EXIT status".
. /testbed/l1.env
ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=4 /testbed/tpt_soak /testbed/guests "$CYCLES" >/tmp/soak.out 2>&1
rc=$?
grep -E '^((PASS|FAIL|SKIP) soak|SOAK-MEM)' /tmp/soak.out
grep -E 'Sanitizer|leak' /tmp/soak.out | head -20
echo "SOAK-EXIT $rc"
[ $rc = 0 ]
