/* Real-mode test guest: reports whether the KVM paravirt leaf offers TPT
 * (CPUID 0x40000001 EAX bit 29, KVM_FEATURE_TPT) as "TPT-CPUID 1" or
 * "TPT-CPUID 0" on COM1, then ends through the debug-exit port with 0.
 * Without the KVM signature at 0x40000000 it ends with status 1. */
	.code16
	.globl _start
_start:
	mov	$0x40000000, %eax
	cpuid
	cmp	$0x4b4d564b, %ebx	/* "KVMK" */
	jne	fail
	mov	$0x40000001, %eax
	cpuid
	mov	$'0', %cl
	bt	$29, %eax
	jnc	1f
	mov	$'1', %cl
1:	mov	$msg, %si
	call	puts
	mov	%cl, %al
	mov	$0x3f8, %dx
	out	%al, (%dx)
	mov	$'\n', %al
	out	%al, (%dx)
	xor	%al, %al
	jmp	done
fail:	mov	$1, %al
done:	mov	$0x501, %dx
	out	%al, (%dx)
	hlt
msg:	.asciz	"TPT-CPUID "
#include "real_puts.inc"
