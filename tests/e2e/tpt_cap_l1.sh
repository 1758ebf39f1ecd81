#!/bin/sh
# Inside L1 for e2e_tpt_cap (tpt_cap.sh), on the patched kvm-amd:
# tpt_kvm_test, the TPT tiny guests (tests/tpt/cases.txt), and no WARN,
# BUG or Oops from the hostile ones in L1's kernel log.
# shellcheck source=SCRIPTDIR/../../tools/testbed/l1-lib.sh
. /testbed/l1-lib.sh
rc=0
# /dev/cpu/N/msr, from which tpt_kvm_test reads the host's PAT.
load_module msr || fail msr_module "insmod msr.ko failed" || rc=1
/testbed/tpt_kvm_test || rc=1
tiny_guests /testbed/tpt/cases.txt || rc=1
# A hostile guest has its virtio-blk disk write into its armed tree.
/testbed/tpt_kvm_test --virtio-attack /testbed/tptvmm \
	/testbed/guests/tpt_virtio_attack.bin /tmp || rc=1
# The hostile guests above must not make the host kernel warn.
kernel_log_clean host_kernel_log || rc=1
exit $rc
