#!/bin/sh
# Runs every case of cases.txt (used inside the nested test bed's L1, where
# ctest is not available). Prints one line per case and a summary line.
# Usage: run_all.sh TPTVMM GUEST_DIR CASES_FILE
set -u
vmm=$1 dir=$2 cases=$3
here=$(dirname "$0")
pass=0 fail=0 skip=0
for name in $(grep -v '^#' "$cases" | cut -d'|' -f1); do
	sh "$here/guest_test.sh" "$vmm" "$dir" "$cases" "$name"
	case $? in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)) ;;
	esac
done
echo "tiny guests: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ] && [ $pass -gt 0 ]
