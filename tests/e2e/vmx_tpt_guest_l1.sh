#!/bin/sh
# Inside L1 for e2e_vmx_tpt_guest (vmx_tpt_guest.sh): our guest kernel
# under tptvmm --tpt=verify, one vCPU, its TPT-* lines and KVM's TPT
# statistics.
# shellcheck source=SCRIPTDIR/../../tools/testbed/l1-lib.sh
. /testbed/l1-lib.sh
rc=0
export L2_TIMEOUT=1200
L2_RELAY=1 L2_CMDLINE="pti=on" sh /testbed/l2-check.sh tpt_verify tptvmm 1 256 debug --tpt=verify || rc=1
l2_lines tpt_verify '^TPT-'
kvm_tpt_stats tpt_verify
exit $rc
