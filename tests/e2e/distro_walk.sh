#!/bin/sh
# The seed's walkthrough as a user of the Debian guest runs it over SSH
# (tests/e2e/distro.sh sends it to `sh -s`). Prints WALK-* lines.
# Usage: sh -s BLOCK_SIZE SECONDS < distro_walk.sh
# BLOCK_SIZE and SECONDS are scaled down for the emulated test bed (the
# seed: --memory-block-size=4G on an 8G VM; docs/distro.md).
set -u
block=$1 secs=$2
stats() { tr '\n' ' ' < /sys/kernel/mm/devirt/stats; }
# sysbench memory, random access; prints "events=N seconds=S"
bench() {
	sysbench memory --memory-block-size="$block" --memory-total-size=1T \
		--memory-access-mode=rnd --time="$secs" run > /tmp/sysbench.out 2>&1 ||
		{ echo "sysbench-failed"; cat /tmp/sysbench.out; return; }
	awk '/total number of events:/ { e = $NF } /total time:/ { t = $NF; sub("s$", "", t) }
		END { printf "events=%s seconds=%s\n", e, t }' /tmp/sysbench.out
}
echo "WALK-KERNEL $(uname -r)"
echo "WALK-CPUS $(nproc) memtotal_kb=$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)"
# systemctl as root: without D-Bus (not in the image) only root reaches
# systemd. --wait: until the boot's jobs are done.
echo "WALK-STATE $(timeout 600 sudo systemctl is-system-running --wait) multi_user=$(sudo systemctl is-active multi-user.target) sshd=$(sudo systemctl is-active ssh)"
sudo systemctl --failed --no-legend --plain | sed 's/^/WALK-FAILED-UNIT /'
echo "WALK-BOOT-TIME $(sudo systemd-analyze time 2>/dev/null | head -1)"
echo "WALK-CHECK $(tpt-check)"
if [ ! -e /sys/kernel/devirt ]; then
	echo "WALK-END no-devirt"
	exit 0
fi
echo "WALK-DEVIRT $(cat /sys/kernel/devirt)"
echo 1 | sudo tee /sys/kernel/devirt > /dev/null
echo "WALK-ENABLE rc=$?"
echo "WALK-CHECK2 $(tpt-check)"
echo "WALK-STATS0 $(stats)"
echo "WALK-RUN1 $(bench)"
echo "WALK-STATS1 $(stats)"
echo sysbench | sudo tee /sys/kernel/mm/devirt/task_name > /dev/null
echo "WALK-NAME rc=$? task_name=$(cat /sys/kernel/mm/devirt/task_name)"
echo "WALK-RUN2 $(bench)"
echo "WALK-STATS2 $(stats)"
echo "WALK-END ok"
