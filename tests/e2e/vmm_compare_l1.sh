#!/bin/sh
# Inside L1 for e2e_vmm_compare (vmm_compare.sh): the same L2 under tptvmm
# and QEMU+KVM, alternating, $ROUNDS rounds (/testbed/l1.env) of 1 and 2
# vCPUs.
. /testbed/l1.env
rc=0
for r in $(seq "$ROUNDS"); do
	for n in 1 2; do
		sh /testbed/l2-check.sh "tptvmm$n-$r" tptvmm $n 256 poweroff || rc=1
		sh /testbed/l2-check.sh "qemu$n-$r" qemu $n 256 poweroff || rc=1
	done
done
exit $rc
