#!/bin/sh
# e2e: the upstream KVM selftests of linux-source-6.12 (built unpatched by
# tools/testbed/kvm-selftests.sh) in the emulated L1, in one L1 boot: on our
# KVM modules (host_kernel/patches), then on Debian's stock modules loaded
# in their place; same binaries, same arguments, same bed. The patches must
# not break KVM for VMs that do not use TPT: every test that passes on
# stock must pass on ours, and our run must leave no WARN, BUG or Oops in
# L1's kernel log. Prints one row per test (KST-ROW NAME STOCK OURS and
# both times in emulated seconds) and a summary.
# Usage: kvm_selftests.sh SRC_DIR BUILD_DIR [amd|vmx]
#   amd: QEMU bed, kvm-amd (default); vmx: Bochs bed, kvm-intel.
set -eu
src=$1 build=$2 bed=${3:-amd}
tb=$src/tools/testbed
. "$tb/common.sh"
case $bed in
amd) work=$build/e2e/kvm_selftests ;;
vmx) work=$build/e2e/vmx_kvm_selftests; export TPT_TESTBED=bochs ;;
*) die "kvm_selftests.sh: bed '$bed' is neither amd nor vmx" ;;
esac
mkdir -p "$work"
kst=$("$tb/kvm-selftests.sh")

# The same binaries and arguments for both module sets, so nothing here
# can make the two differ. Tests sized for hardware get smaller arguments
# (the emulated L1 runs a guest instruction in microseconds):
# dirty_log_test 3 rounds (not 32; it wants more than 2) of each logging
# mode; the memory benchmarks one vCPU with 16 MiB (not 1 GiB),
# kvm_page_table_test 64 MiB; memslot_perf_test 64 slots (not 32764), 1 s
# per case, the memslot cases only (not the last, RW).
# Not run at all, on either set:
# - kvm_create_max_vcpus: creates KVM_CAP_MAX_VCPUS vCPUs (4096 on 6.12),
#   each with its emulated VMCB/VMCS and a file descriptor;
# - max_guest_memory_test: aliases a 1 GiB host buffer over 128 GiB of
#   guest memory and has its vCPUs touch every page of it;
# - hardware_disable_test: 512 forked VMs of 4 vCPUs and 16 sleeping
#   threads each, killed at random times.
# (Sizes from the 6.12 sources; their emulated run times were not measured.)
skip="kvm_create_max_vcpus max_guest_memory_test hardware_disable_test"
timeout=90
if [ "$bed" = amd ]; then
	# xapic_state_test left the QEMU bed's L1 halted for good in 2 of 3
	# single-boot runs, once on our modules and once on Debian's, each
	# time in the test VM's teardown (kvm_destroy_vm -> rcu_barrier(),
	# waiting on a timer): L1 halted with RFLAGS.IF=1, its one-shot APIC
	# timer (vector 236) pending in the IRR, deliverable (PPR 0x10, ISR
	# empty), and never delivered for 600 s. QEMU 7.2's TCG loses that
	# wakeup; the same signature as the e2e_vmm_compare stall in the
	# README. It passes on the Bochs bed (both module sets).
	skip="$skip xapic_state_test"
	# hyperv_clock compares the Hyper-V reference counter with the TSC
	# over an interval and wants them within 1%: under TCG both follow
	# the host's clock, and on a busy host they drift apart (failed once
	# in seven runs, on Debian's modules: 137346800 against 135072305
	# ns). A test of the emulator's clocks.
	skip="$skip hyperv_clock"
	# xapic_ipi_test's sender vCPU spins (IF=0) for at most 2e9 TSC ticks
	# (0.77 s here) waiting for the halter vCPU to take its IPI, wake and
	# halt again. On the bed's one-CPU L1 that needs L1's timer to end
	# the sender's emulated VMRUN and L1 to run the halter's thread
	# within that window of host time: it failed once on our modules in
	# the same boot in which it passed on Debian's (and passed on both in
	# the runs before). A deadline on the emulator's speed, as on Bochs.
	skip="$skip xapic_ipi_test"
fi
if [ "$bed" = vmx ]; then
	# Bochs 2.7 never leaves an L2 that runs with RFLAGS.IF=0 for an
	# external interrupt (README, "The Intel VMX test bed"), and every
	# selftest guest runs with IF=0: a vCPU that spins until another
	# thread acts (another vCPU's IPI, a host thread's memslot change or
	# kick) keeps L1's only CPU, so that thread never runs and L1 hangs
	# for good (seen: hyperv_ipi, memslot_perf_test). Those are left out
	# on this bed: the IPI tests, the ones whose guest spins while a host
	# thread changes memslots or steals time, and the nested preemption
	# timer (L1's hrtimer never fires while the guest spins).
	skip="$skip hyperv_ipi hyperv_tlb_flush xapic_ipi_test set_memory_region_test"
	skip="$skip memslot_perf_test kvm_page_table_test dirty_log_test steal_time"
	skip="$skip vmx_preemption_timer_test tsc_scaling_sync"
	# apic_bus_clock_test measures the emulated APIC timer against the
	# emulated TSC in a 5% window; under Bochs it sits at the window's
	# edge (23.70 MHz against at least 23.75 wanted, on Debian's KVM in
	# two runs of two; passed once on ours): a test of Bochs' clocks.
	skip="$skip apic_bus_clock_test"
	# hyperv_clock's check at hyperv_clock.c:98 (r2 >= t1 && r2 - t2 <
	# 100000: two clock readings at most 10 ms, in 100-ns units, apart)
	# is a window on the emulated clocks' speed. In three clean-clone
	# runs with the same selftest binaries it failed on both module sets
	# (0001-0023, loaded machine), on both again (0001-0030, quiet), then
	# passed on Debian's and failed on ours (0001-0030, quiet, the same
	# modules as the run before). A test of the emulator's clocks, as on
	# kvm-amd above.
	skip="$skip hyperv_clock"
	timeout=240
fi
l1_env "$work/l1.env" KST_TIMEOUT=$timeout KST_SKIP="$skip" \
	KST_ARGS_dirty_log_test="-i 3" \
	KST_ARGS_kvm_page_table_test="-b 64M" \
	KST_ARGS_demand_paging_test="-b 16M -v 1" \
	KST_ARGS_dirty_log_perf_test="-b 16M -v 1 -i 2" \
	KST_ARGS_access_tracking_perf_test="-b 16M -v 1" \
	KST_ARGS_memslot_modification_stress_test="-b 16M -v 1 -i 10" \
	KST_ARGS_memslot_perf_test="-s 64 -l 1 -r 1 -e 4"
# Bochs 2.7 writes unaligned GPAs into PML entries (e2e_vmx_tpt_cap):
# both module sets run without PML, so the comparison stays fair.
args=
if [ "$bed" = vmx ]; then
	echo pml=0 > "$work/kvm-intel.args"
	args="$work/kvm-intel.args=/lib/modules/kvm-intel.args"
fi

stock=$("$tb/host-kernel.sh")/modules
status=0
# shellcheck disable=SC2086 # $args is one SRC=DST word or nothing
"$tb/l1-image.sh" "$work/l1.cpio.gz" "$build" "$src/tests/e2e/kvm_selftests_l1.sh" \
	--env "$work/l1.env" "$kst=/testbed/kst" $args \
	"$stock/kvm.ko=/testbed/stock/kvm.ko" "$stock/kvm-amd.ko=/testbed/stock/kvm-amd.ko" \
	"$stock/kvm-intel.ko=/testbed/stock/kvm-intel.ko"
"$tb/run-l1.sh" "$work/l1.cpio.gz" "$work/l1.log" 5400 >"$work/run.out" ||
	echo "L1 did not pass: $(grep '^testbed:' "$work/run.out" | tail -1)"
tr -d '\r' < "$work/l1.log" > "$work/l1.txt"
for set in ours stock; do
	grep -E "^KST $set " "$work/l1.txt" | awk '{ print $3, $4, $6 }' > "$work/$set.res"
	grep -q "^KST-DONE $set" "$work/l1.txt" || { echo "the $set run did not finish"; status=1; }
done
grep -E '^KST-(MODULES|FAIL)' "$work/l1.txt" || true
v1=$(awk '$1 == "KST-MODULES" && $2 == "ours" { print $4 }' "$work/l1.txt")
v2=$(awk '$1 == "KST-MODULES" && $2 == "stock" { print $4 }' "$work/l1.txt")
[ -n "$v1" ] && [ "$v1" != "$v2" ] || { echo "our and Debian's kvm.ko are not both seen, or are the same"; status=1; }

# One row per test: NAME STOCK OURS, with each run's time in seconds.
awk '
	FNR == 1 { f++ }
	{ sub(/^cs=/, "", $3); r[f, $1] = $2; t[f, $1] = $3; names[$1] = 1 }
	END {
		for (n in names) {
			a = ((1, n) in r) ? r[1, n] : "MISSING"
			b = ((2, n) in r) ? r[2, n] : "MISSING"
			printf "KST-ROW %s %s %s %.1f %.1f\n", n, a, b, t[1, n] / 100, t[2, n] / 100
		}
	}' "$work/stock.res" "$work/ours.res" | sort > "$work/table"
cat "$work/table"
grep -E '^KST-OUT|^(PASS|FAIL) kst_kernel_log' "$work/l1.txt" || true
count() { awk -v c="$1" -v v="$2" '$c == v' "$work/table" | wc -l; }
echo "KST-SUMMARY bed=$bed stock: $(count 3 PASS) pass, $(count 3 SKIP) skip, $(count 3 FAIL) fail," \
	"$(count 3 TIMEOUT) timeout, $(count 3 NOTRUN) not run;" \
	"ours: $(count 4 PASS) pass, $(count 4 SKIP) skip, $(count 4 FAIL) fail," \
	"$(count 4 TIMEOUT) timeout, $(count 4 NOTRUN) not run"
lost=$(awk '$3 == "PASS" && $4 != "PASS" { print $2 }' "$work/table")
if [ -n "$lost" ]; then
	echo "passes on Debian's KVM but not on ours: $lost"
	status=1
fi
[ "$(count 3 PASS)" -gt 0 ] || { echo "no test passed on Debian's KVM: the bed is broken"; status=1; }
grep -q '^PASS kst_kernel_log' "$work/l1.txt" ||
	{ echo "our KVM modules left a WARN, BUG or Oops in L1's kernel log"; status=1; }
exit $status
