#!/bin/sh
# Inside L1 on Debian's stock KVM, for e2e_tpt_cap and e2e_vmx_tpt_cap:
# tptvmm --tpt must fail with a clear message (KVM_CAP_X86_TPT) and run
# no guest. /testbed/l1.env: NAME (the check's name), MODULE (a vendor
# module that must be loaded first; empty: none checked).
# shellcheck source=SCRIPTDIR/../../tools/testbed/l1-lib.sh
. /testbed/l1-lib.sh
. /testbed/l1.env
if [ -n "$MODULE" ] && [ ! -d "/sys/module/$MODULE" ]; then
	echo "FAIL ${MODULE}_loaded"
	exit 1
fi
/testbed/tptvmm --tpt --raw /testbed/guests/tpt_cpuid.bin --raw-mode real --mem 32M \
	</dev/null >/tmp/out 2>/tmp/err
rc=$?
msg=$(head -1 /tmp/err)
if [ $rc = 1 ] && grep -q 'KVM_CAP_X86_TPT' /tmp/err && ! grep -q 'TPT-CPUID' /tmp/out; then
	pass "$NAME" "exit 1, '$msg'"
	exit 0
fi
fail "$NAME" "exit $rc, stderr '$msg', stdout '$(head -1 /tmp/out)'"
