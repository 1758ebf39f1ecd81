#!/bin/sh
# Inside L1 for e2e_vmx_tpt_cap (vmx_tpt_cap.sh), on the patched
# kvm-intel (pml=0): kvm_intel's parameters, tpt_kvm_test, the tiny
# guests but long_spin (Bochs 2.7 hangs on it), the TPT tiny guests; then
# kvm_intel reloaded with unrestricted_guest=0 for tpt_kvm_test
# --restricted (the arm across CR0 writes, host patch 0020), and reloaded
# with its test parameters again.
# shellcheck source=SCRIPTDIR/../../tools/testbed/l1-lib.sh
. /testbed/l1-lib.sh
rc=0
if [ -d /sys/module/kvm_intel ]; then
	p=/sys/module/kvm_intel/parameters
	pass kvm_intel_loaded "ept=$(cat $p/ept) unrestricted_guest=$(cat $p/unrestricted_guest) vpid=$(cat $p/vpid) pml=$(cat $p/pml)"
else
	fail kvm_intel_loaded "$(cut -d' ' -f1 /proc/modules | tr '\n' ' ')" || rc=1
fi
# /dev/cpu/N/msr, from which tpt_kvm_test reads the host's PAT.
load_module msr || fail msr_module "insmod msr.ko failed" || rc=1
/testbed/tpt_kvm_test || rc=1
grep -v '^long_spin ' /testbed/kvm/cases.txt > /tmp/cases.txt
tiny_guests /tmp/cases.txt || rc=1
tiny_guests /testbed/tpt/cases.txt || rc=1
# A hostile guest has its virtio-blk disk write into its armed tree.
/testbed/tpt_kvm_test --virtio-attack /testbed/tptvmm \
	/testbed/guests/tpt_virtio_attack.bin /tmp || rc=1
p=/sys/module/kvm_intel/parameters
# shellcheck disable=SC2046 # the args file holds words
if rmmod kvm_intel && load_module kvm-intel $(cat /lib/modules/kvm-intel.args) unrestricted_guest=0; then
	if [ "$(cat $p/unrestricted_guest)" = N ]; then
		pass kvm_intel_restricted "ept=$(cat $p/ept) unrestricted_guest=N"
		/testbed/tpt_kvm_test --restricted || rc=1
	else
		fail kvm_intel_restricted "unrestricted_guest=$(cat $p/unrestricted_guest)" || rc=1
	fi
	if ! { rmmod kvm_intel && load_module kvm-intel; }; then
		fail kvm_intel_reload "with its test parameters" || rc=1
	fi
else
	fail kvm_intel_restricted "could not reload kvm_intel with unrestricted_guest=0" || rc=1
fi
exit $rc
