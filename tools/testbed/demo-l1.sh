#!/bin/sh
# Inside L1 for tools/demo.sh: Linux under tptvmm with the L2 console
# shown as it is. /testbed/l1.env: MEM (MiB), CPUS.
. /testbed/l1.env
echo "--- L1: tptvmm --kernel bzImage --initrd initrd.gz --mem ${MEM}M --cpus $CPUS"
/testbed/tptvmm --kernel /testbed/l2/bzImage --initrd /testbed/l2/initrd.gz \
	--mem "${MEM}M" --cpus "$CPUS" \
	--cmdline "console=ttyS0 reboot=k panic=-1 pci=off loglevel=4 l2exit=poweroff" </dev/null
rc=$?
echo "--- L1: tptvmm exit status $rc"
[ $rc = 0 ]
