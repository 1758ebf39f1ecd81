#!/bin/sh
# The Intel backend of the test bed (TPT_TESTBED=bochs, see run-l1.sh):
# boots the same L1 host under Bochs 2.7 (Debian's bochs), which emulates
# an Intel CPU with VMX (EPT, VPID, unrestricted guest, PML), so L1's
# l1-init.sh loads kvm-intel. Same interface and exit status as run-l1.sh:
# Usage: run-l1-bochs.sh INITRAMFS LOG [TIMEOUT_SEC] [MEM_MB] [SMP]
# 0 PASS, 1 FAIL (also: a WARNING, BUG or Oops in the L1 kernel log that
# l1-init.sh prints at the end), 3 the L1 stalled: the console printed
# nothing for $TPT_L1_SILENT_SECS seconds (default 600) or Bochs used no
# CPU for $TPT_L1_STALL_SECS (default 300).
# Bochs has no direct 64-bit kernel loading: L1 boots from an isolinux ISO
# made here. What each setting is for (measured; README.md, "The Intel
# VMX test bed"):
# - display rfb with timeout=0 and the debugger's rc file holding "c":
#   Debian's bochs has no "nogui" and always starts in its debugger;
# - clock sync=none with tsc_early_khz=ips/1000 on the L1 command line:
#   Bochs' TSC runs at the ips rate, but the skylake_x CPUID makes Linux
#   assume 3.5 GHz (L1 time ~58x slow and timers early without it);
# - clearcpuid=ht noxsave: two inconsistencies of that CPUID make L1 WARN
#   at boot (leaf 1 counts fewer logical CPUs than leaf 4 has cores:
#   topology_common.c parse_legacy; the XSAVE sizes do not add up: "XSAVE
#   consistency problem, size 2432 != kernel_size 2688", after which Linux
#   turns XSAVE off itself). With XSAVE kept on (clearcpuid=avx512f), L1
#   WARNed "Bad FPU state detected at restore_fpregs_from_fpstate" (XRSTOR
#   #GP in fpu_swap_kvm_fpstate, KVM_RUN) in two runs of the tests;
# - an MSR file for DEBUGCTL (0x1d9, read by kvm-intel on every entry),
#   MPERF and APERF (0xe7, 0xe8), else every access is logged;
# - console=ttyS0,115200: Bochs' UART sends at the programmed rate in
#   emulated time, and Linux's default of 9600 baud left the end of the
#   console output (L1's kernel log and result line) unsent at power-off;
# - dummy sound drivers: with its default (ALSA) and no sound card, this
#   bochs aborts at start ("buffer overflow detected").
# Bochs 2.7 does not exit to L1 on an external interrupt while an L2 runs
# with RFLAGS.IF=0, so an L2 spinning with interrupts off hangs L1 for good
# (the silent-console watchdog then ends the run): do not run such guests
# on this bed.
set -u
. "$(dirname "$0")/common.sh"
initrd=$1 log=$2 limit=${3:-900} mem=${4:-2048} smp=${5:-1}
[ "$mem" -ge 32 ] && [ "$mem" -le 2048 ] ||
	die "Bochs 2.7 takes 32 to 2048 MB of guest RAM, not '$mem'"
hostdir=$("$(dirname "$0")/host-kernel.sh") || exit 1
command -v bochs >/dev/null || die "bochs missing: apt-get install bochs bochsbios vgabios (tools/setup.sh)"
command -v xorriso >/dev/null || die "xorriso missing: apt-get install xorriso (tools/setup.sh)"
isolinux=/usr/lib/ISOLINUX/isolinux.bin ldlinux=/usr/lib/syslinux/modules/bios/ldlinux.c32
bios=/usr/share/bochs/BIOS-bochs-latest vgabios=/usr/share/vgabios/vgabios.bin
for f in $isolinux $ldlinux $bios $vgabios; do
	[ -f "$f" ] || die "$f missing: apt-get install isolinux syslinux-common bochsbios vgabios"
done
ips=${TPT_BOCHS_IPS:-60000000}
stall=${TPT_L1_STALL_SECS:-300} silent=${TPT_L1_SILENT_SECS:-600}
work=$log.bochs
rm -rf "$work"
mkdir -p "$work/iso/isolinux"
cp "$isolinux" "$ldlinux" "$work/iso/isolinux/"
cp "$hostdir/vmlinuz" "$work/iso/vmlinuz"
cp "$initrd" "$work/iso/initrd"
cat > "$work/iso/isolinux/isolinux.cfg" <<EOF
default l1
prompt 0
timeout 0
label l1
	kernel /vmlinuz
	initrd /initrd
	append console=ttyS0,115200 panic=-1 quiet loglevel=3 mitigations=off tsc_early_khz=$((ips / 1000)) clearcpuid=ht noxsave
EOF
xorriso -as mkisofs -quiet -o "$work/l1.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
	-no-emul-boot -boot-load-size 4 -boot-info-table "$work/iso" >"$work/xorriso.log" 2>&1 ||
	{ cat "$work/xorriso.log"; die "cannot make the L1 boot ISO"; }
rm -rf "$work/iso"
# ADDRESS TYPE RESET_HI RESET_LO RESERVED_HI RESERVED_LO IGNORED_HI IGNORED_LO
cat > "$work/msrs.def" <<EOF
0x1d9 0 0x00000000 0x00000000 0x00000000 0x00000000 0x00000000 0x00000000
0x0e7 0 0x00000000 0x00000000 0x00000000 0x00000000 0x00000000 0x00000000
0x0e8 0 0x00000000 0x00000000 0x00000000 0x00000000 0x00000000 0x00000000
EOF
cat > "$work/bochsrc" <<EOF
memory: guest=$mem, host=$mem
cpu: model=corei7_skylake_x, count=$smp, ips=$ips, reset_on_triple_fault=1, ignore_bad_msrs=1, msrs="$work/msrs.def"
romimage: file=$bios
vgaromimage: file=$vgabios
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=cdrom, path="$work/l1.iso", status=inserted
boot: cdrom
clock: sync=none, time0=local
display_library: rfb, options="timeout=0"
mouse: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
speaker: enabled=0
com1: enabled=1, mode=file, dev="$log"
log: $work/bochs.log
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
EOF
echo c > "$work/rc"
: > "$log"
start=$(date +%s)
# The child of timeout writes its PID to $work/pid and execs bochs (a
# script that execs bochs-bin): the watchdog ends that PID.
# shellcheck disable=SC2016 # $$ and $@ are the child shell's
timeout -k 10 --foreground "$limit" sh -c 'echo $$ > "$0" && exec "$@"' "$work/pid" \
	bochs -q -f "$work/bochsrc" -rc "$work/rc" </dev/null >"$work/stdout" 2>&1 &
tpid=$!
# Every 10 s: Bochs' CPU time (utime + stime), the size of the console log,
# and whether L1 has printed its result (Bochs may not end on L1's
# power-off, nor on a reboot after a panic: it would boot L1 again).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
stalled='' ended='' last_ticks='' still=0 last_size='' quiet=0 grace=0
while kill -0 "$tpid" 2>/dev/null; do
	sleep 10
	bpid=$(cat "$work/pid" 2>/dev/null)
	[ -n "$bpid" ] || continue
	t=$(cpu_ticks "$bpid") size=$(wc -c < "$log")
	if [ -n "$t" ] && [ "$t" = "$last_ticks" ]; then still=$((still + 10)); else still=0; fi
	if [ "$size" = "$last_size" ]; then quiet=$((quiet + 10)); else quiet=0; fi
	last_ticks=$t last_size=$size
	if grep -q '^TESTBED-RESULT:' "$log" || grep -q 'Kernel panic - not syncing' "$log"; then
		grace=$((grace + 10))
		[ $grace -ge 30 ] && ended=1
	elif [ $still -ge "$stall" ]; then
		stalled="Bochs used no CPU for ${stall}s"
	elif [ $quiet -ge "$silent" ]; then
		stalled="the emulated L1 printed nothing for ${silent}s"
	fi
	if [ -n "$stalled" ] || [ -n "$ended" ]; then
		kill -KILL "$bpid"
		break
	fi
done
wait "$tpid"
rc=$?
secs=$(( $(date +%s) - start ))
# The kernel's own complaints fail the run even when every check passed.
bad=$(sed -n '/^TESTBED-DMESG-BEGIN/,/^TESTBED-DMESG-END/p' "$log" | tr -d '\r' |
	grep -E 'WARNING:|BUG:|BUG at|Oops|general protection fault|Call Trace' | head -5)
if grep -q '^TESTBED-RESULT: PASS' "$log" && [ -z "$bad" ]; then
	echo "testbed: PASS after ${secs}s (emulated L1 on Bochs, Intel VMX; log $log)"
	exit 0
fi
last=$(grep '^TESTBED-STAGE:' "$log" | tail -1 | sed 's/TESTBED-STAGE: //')
if [ -n "$stalled" ]; then
	echo "testbed: STALL: $stalled in stage '${last:-L1 boot}', killed after ${secs}s (log $log)"
	tail -40 "$log" | tr -d '\r'
	exit 3
elif [ -n "$bad" ]; then
	echo "testbed: FAIL: the L1 kernel log has a warning or crash (stage '${last:-?}', after ${secs}s, log $log):"
	echo "$bad"
elif [ "$rc" = 124 ] || { [ "$rc" = 137 ] && [ -z "$ended" ]; }; then
	echo "testbed: TIMEOUT after ${limit}s in stage '${last:-L1 boot}' (log $log)"
elif grep -q '^TESTBED-RESULT: FAIL' "$log"; then
	echo "testbed: FAIL in stage '${last:-?}' after ${secs}s (log $log)"
else
	echo "testbed: L1 ended (bochs status $rc) without a result in stage '${last:-L1 boot}' (log $log)"
	tail -5 "$work/stdout"
fi
tail -40 "$log" | tr -d '\r'
exit 1
