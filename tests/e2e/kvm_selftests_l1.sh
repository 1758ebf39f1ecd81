#!/bin/sh
# Inside L1 for e2e_kvm_selftests (kvm_selftests.sh): every upstream KVM
# selftest in /testbed/kst (tools/testbed/kvm-selftests.sh), one after the
# other, each under `timeout KST_TIMEOUT`: first on our KVM modules (which
# l1-init.sh loaded), then, after L1's kernel log is judged and cleared, on
# Debian's stock modules (/testbed/stock/*.ko) loaded in their place with
# the same parameters. One line per test and module set:
#   KST SET NAME RESULT rc=N cs=T   SET: ours or stock; RESULT: PASS (0),
#                                   SKIP (4, KSFT_SKIP), TIMEOUT (killed by
#                                   timeout), FAIL (other), NOTRUN (KST_SKIP)
# and for a FAIL or TIMEOUT the last lines of its output (KST-OUT SET NAME: ...).
# The host compares the two sets.
# /testbed/l1.env: KST_TIMEOUT (seconds per test), KST_SKIP (names not run,
# space separated, with the reason in kvm_selftests.sh), KST_ARGS_NAME (a
# test's arguments; none by default).
# shellcheck source=SCRIPTDIR/../../tools/testbed/l1-lib.sh
. /testbed/l1-lib.sh
. /testbed/l1.env

# run_set SET: every test once on the loaded modules.
run_set() {
	n=0
	for t in "$T"/kst/*; do
		name=${t##*/}
		case " $KST_SKIP " in
		*" $name "*)
			echo "KST $1 $name NOTRUN rc=- cs=0"
			continue
			;;
		esac
		eval "args=\${KST_ARGS_$name:-}"
		start=$(now_cs)
		# Each test gets a clean working directory.
		rm -rf "/tmp/kst/$name"
		mkdir -p "/tmp/kst/$name"
		# shellcheck disable=SC2086,SC2154 # $args: words from l1.env
		(cd "/tmp/kst/$name" && timeout "$KST_TIMEOUT" "$t" $args) </dev/null >"/tmp/kst/$name.out" 2>&1
		st=$?
		cs=$(($(now_cs) - start))
		case $st in
		0) res=PASS ;;
		4) res=SKIP ;;
		124|143) res=TIMEOUT ;;
		*) res=FAIL ;;
		esac
		echo "KST $1 $name $res rc=$st cs=$cs${args:+ args=\"$args\"}"
		if [ $res = FAIL ] || [ $res = TIMEOUT ]; then
			tail -n 4 "/tmp/kst/$name.out" | tr -d '\r' | sed "s/^/KST-OUT $1 $name: /"
		fi
		n=$((n + 1))
	done
	echo "KST-DONE $1 ran=$n"
	[ $n -gt 0 ]
}

rc=0
if [ -d /sys/module/kvm_intel ]; then vendor=kvm-intel; else vendor=kvm-amd; fi
# Which files each set is (the host checks that the two differ).
ko_sum() { cat "$1/kvm.ko" "$1/$vendor.ko" | sha256sum | cut -c1-16; }
echo "KST-MODULES ours $vendor sha256=$(ko_sum /lib/modules)"
run_set ours || rc=1
kernel_log_clean kst_kernel_log || rc=1
dmesg -c >/dev/null
rmmod "$(echo $vendor | tr - _)" && rmmod kvm || { echo "KST-FAIL cannot unload our KVM modules"; exit 1; }
set --
# shellcheck disable=SC2046 # the file holds words
[ ! -f "/lib/modules/$vendor.args" ] || set -- $(cat "/lib/modules/$vendor.args")
insmod /testbed/stock/kvm.ko && insmod "/testbed/stock/$vendor.ko" "$@" ||
	{ echo "KST-FAIL cannot load Debian's KVM modules"; exit 1; }
i=0
while [ ! -c /dev/kvm ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
echo "KST-MODULES stock $vendor sha256=$(ko_sum /testbed/stock)"
run_set stock || rc=1
exit $rc
