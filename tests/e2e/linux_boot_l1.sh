#!/bin/sh
# Inside L1 for e2e_linux_boot (linux_boot.sh): one L2 with 1 vCPU, one
# with 2 ended through ACPI S5, one with 8 GiB (--prefault).
rc=0
sh /testbed/l2-check.sh up1 tptvmm 1 256 debug || rc=1
sh /testbed/l2-check.sh up2 tptvmm 2 256 poweroff || rc=1
sh /testbed/l2-check.sh big tptvmm 2 8192 debug --prefault || rc=1
exit $rc
