#!/bin/sh
# Runs inside L2 (as /testbed/l2-run.sh): tools/guest/tpt-exits under the
# paging mode the kernel command line names (exitsmode=nested|shadow|tpt|
# verify; tpt and verify: the driver is named in task_name, so it and its
# forked children run under TPT), with the options in exitsopt= (commas
# for spaces). Its peer for ctxsw-normal is /tmp/exits-peer, a link whose
# name task_name does not list: a normal process.
mode=$(sed -n 's/.*exitsmode=\([a-z]*\).*/\1/p' /proc/cmdline)
opts=$(sed -n 's/.*exitsopt=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
mkdir -p /tmp
ln -sf /bin/tpt-exits /tmp/exits-peer
if [ "$mode" = tpt ] || [ "$mode" = verify ]; then
	echo 1 > /sys/kernel/devirt || exit 1
	echo tpt-exits > /sys/kernel/mm/devirt/task_name || exit 1
fi
# shellcheck disable=SC2086 # words
tpt-exits $opts || exit 1
[ ! -f /sys/kernel/mm/devirt/stats ] || sed 's/^/EXITS-STAT /' /sys/kernel/mm/devirt/stats
