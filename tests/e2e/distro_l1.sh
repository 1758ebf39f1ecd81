#!/bin/sh
# Inside L1 for e2e_distro (tests/e2e/distro.sh): the Debian image is
# L1's /dev/vda (a QEMU virtio disk). Two boots of it under tptvmm, each
# ended from inside with `systemctl poweroff`:
#  1. the TPT guest kernel (distro profile), the issue's command line
#     (tptvmm --kernel --disk --net tap=tap0 --mem --cpus 2 --tpt, no
#     --cmdline: root=/dev/vda is built into that kernel); over SSH the
#     seed's walkthrough (distro_walk.sh): devirt, sysbench without and
#     with task_name;
#  2. Debian's stock cloud kernel (L1's own) with a small initramfs for
#     its virtio modules, under QEMU+KVM (see below why not tptvmm): the
#     same image boots, sshd answers, tpt-check says devirt is absent.
# Prints DISTRO-* lines (and WALK-* lines from L2) for distro.sh to check.
# /testbed/l1.env: L2_MEM, SB_BLOCK, SB_SECONDS, L2_LIMIT.
# shellcheck source=SCRIPTDIR/../../tools/testbed/l1-lib.sh
. /testbed/l1-lib.sh
. /testbed/l1.env
rc=0 vmm=	# vmm: the PID of the running VMM (start_vmm)
# clean: console text without carriage returns and terminal escapes
clean() { tr -d '\r\033' | sed 's/\[[0-9;?]*[A-Za-z]//g'; }
for m in tun virtio_blk; do
	load_module $m || { echo "DISTRO-FAIL insmod $m"; exit 1; }
done
i=0
until [ -b /dev/vda ]; do
	i=$((i + 1)); [ $i -le 100 ] || { echo "DISTRO-FAIL L1 has no /dev/vda (the image)"; exit 1; }
	sleep 0.1
done
tap_up 192.168.100.1/24 || exit 1
l2=192.168.100.2
ssh_l2() { # COMMAND...: as the image's user, key authentication
	HOME=/root timeout "${SSH_LIMIT:-900}" /usr/bin/dbclient -y -y -i /testbed/id_ed25519 "tpt@$l2" "$@"
}

# boot NAME ARGS...: starts tptvmm in the background; $vmm is its pid.
boot() {
	name=$1
	shift
	echo "DISTRO-BOOT $name: tptvmm $*"
	t_boot=$(now_s)
	start_vmm "$name" "$L2_LIMIT" /testbed/tptvmm "$@"
}
# wait_ssh NAME: until sshd in L2 runs a command for us. A reporter
# prints the L2 console's progress every minute meanwhile (so L1's
# console is never silent for run-l1.sh's watchdog, and a slow boot shows
# where it is).
wait_ssh() {
	( while sleep 60; do
		echo "DISTRO-WAIT $1 $(( $(now_s) - t_boot ))s: console $(wc -l < "/tmp/$1.console") lines, last: $(tail -1 "/tmp/$1.console" | clean | cut -c1-120)"
	  done ) &
	reporter=$!
	up=1
	while kill -0 "$vmm" 2>/dev/null; do
		if ping -c 1 -W 2 "$l2" >/dev/null 2>&1 && [ "$(SSH_LIMIT=120 ssh_l2 echo up 2>/tmp/ssh.err)" = up ]; then
			echo "DISTRO-SSH-UP $1 after=$(( $(now_s) - t_boot ))s (emulated)"
			up=0
			break
		fi
		sleep 5
	done
	stop "$reporter"
	[ $up = 0 ] || echo "DISTRO-FAIL $1: the VMM ended before sshd answered"
	return $up
}
# finish NAME: poweroff from inside, then the VMM's exit status. A VM
# still running 600 s later has hung in its shutdown: its console is
# shown and it is killed.
finish() {
	t_off=$(now_s)
	SSH_LIMIT=120 ssh_l2 sudo systemctl poweroff >/dev/null 2>&1
	while kill -0 "$vmm" 2>/dev/null && [ $(( $(now_s) - t_off )) -lt 600 ]; do
		sleep 5
		[ $(( ($(now_s) - t_off) % 60 )) -ge 5 ] ||
			echo "DISTRO-WAIT $1 poweroff $(( $(now_s) - t_off ))s: last: $(tail -1 "/tmp/$1.console" | clean | cut -c1-120)"
	done
	if kill -0 "$vmm" 2>/dev/null; then
		echo "DISTRO-FAIL $1: still running 600 s after systemctl poweroff"
		show_console "$1"
		kill "$vmm"
	fi
	wait "$vmm"
	st=$?
	echo "DISTRO-EXIT $1 status=$st poweroff_s=$(( $(now_s) - t_off )) total_s=$(( $(now_s) - t_boot )) (emulated)"
	grep -E 'ACPI power-off|KVM TPT stats|virtio-' "/tmp/$1.err" | sed "s/^/DISTRO-VMM $1 /"
	grep -E 'tpt-check:|Failed|FAILED|Kernel panic|BUG|WARNING|Timed out|timed out' "/tmp/$1.console" |
		clean | sed "s/^/DISTRO-CONSOLE $1 /"
}
show_console() { # NAME: the end of a failed boot's console
	echo "--- $1 console (last 60 lines)"; tail -60 "/tmp/$1.console" | clean
	echo "--- $1 VMM stderr"; tail -20 "/tmp/$1.err"
}

# 1. The TPT guest kernel under tptvmm --tpt: the seed's walkthrough.
boot tpt --kernel /testbed/l2/bzImage --disk /dev/vda --net tap=tap0 \
	--mem "$L2_MEM" --cpus 2 --tpt
if wait_ssh tpt; then
	ssh_l2 sh -s "$SB_BLOCK" "$SB_SECONDS" < /testbed/distro_walk.sh > /tmp/walk.out 2>&1 ||
		echo "DISTRO-FAIL tpt: the walkthrough's ssh failed: $(tail -1 /tmp/walk.out)"
	tr -d '\r' < /tmp/walk.out
	finish tpt
else
	rc=1
	stop "$vmm"
	show_console tpt
fi

# 2. The same image on Debian's stock cloud kernel. That kernel cannot
# see tptvmm's devices: it has virtio-mmio only as a module and without
# CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES, and tptvmm does not describe the
# devices in ACPI. So it runs under QEMU+KVM (-M pc, virtio-pci) in the
# same L1, on the same disk and tap.
boot_qemu() {
	name=$1
	shift
	echo "DISTRO-BOOT $name: qemu-system-x86_64 -M pc -accel kvm $*"
	t_boot=$(now_s)
	start_vmm "$name" "$L2_LIMIT" /usr/bin/qemu-system-x86_64 -L /testbed/qemu-data -M pc -accel kvm \
		-cpu host -nodefaults -no-user-config -nographic -serial stdio -monitor none \
		-no-reboot "$@"
}
# One vCPU: L1 has one, and with two an L2 vCPU that spins with
# interrupts off waiting for the other (TSC sync, a call-function IPI, a
# preempted lock holder) never gave L1 back its CPU: in one CI run L1 sat
# in svm_vcpu_run for 600 s (its NMI backtrace), no timer of L1's made the
# emulated VMRUN exit, and the other vCPU's thread never ran.
boot_qemu stock -m "$L2_MEM" -smp 1 -kernel /testbed/stock/vmlinuz -initrd /testbed/stock/initrd.gz \
	-append "console=ttyS0 root=/dev/vda rw panic=-1" \
	-drive file=/dev/vda,if=virtio,format=raw \
	-netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device virtio-net-pci,netdev=n0,romfile=
if wait_ssh stock; then
	out=$(ssh_l2 'uname -r; tpt-check; echo "rc=$?"; sudo systemctl is-active multi-user.target' 2>/dev/null | tr -d '\r' | tr '\n' ' ')
	echo "DISTRO-STOCK $out"
	finish stock
else
	rc=1
	stop "$vmm"
	show_console stock
fi
exit $rc
