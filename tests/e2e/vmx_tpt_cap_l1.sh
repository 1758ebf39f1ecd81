#!/bin/sh
# Inside L1 for e2e_vmx_tpt_cap (vmx_tpt_cap.sh), on the patched
# kvm-intel (pml=0): kvm_intel's parameters, tpt_kvm_test, the tiny
# guests but long_spin (Bochs 2.7 hangs on it), the TPT tiny guests.
# shellcheck source=SCRIPTDIR/../../tools/testbed/l1-lib.sh
. /testbed/l1-lib.sh
rc=0
if [ -d /sys/module/kvm_intel ]; then
	p=/sys/module/kvm_intel/parameters
	pass kvm_intel_loaded "ept=$(cat $p/ept) unrestricted_guest=$(cat $p/unrestricted_guest) vpid=$(cat $p/vpid) pml=$(cat $p/pml)"
else
	fail kvm_intel_loaded "$(cut -d' ' -f1 /proc/modules | tr '\n' ' ')" || rc=1
fi
/testbed/tpt_kvm_test || rc=1
grep -v '^long_spin ' /testbed/kvm/cases.txt > /tmp/cases.txt
tiny_guests /tmp/cases.txt || rc=1
tiny_guests /testbed/tpt/cases.txt || rc=1
exit $rc
