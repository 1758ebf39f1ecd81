/*
 * Hostile TPT guest (issue 17, invariant 4): it builds a 1-D tree, arms it,
 * then asks its virtio-blk disk (tptvmm --disk, device 0 at 0xd0000000) to
 * read sector 0 into one of the tree's leaf tables. The test that runs it
 * (tpt_kvm_test --virtio-attack) wrote into that sector a leaf entry naming
 * a host page outside guest RAM, seeded with 0x01 bytes. Then the guest
 * loads the armed CR3 and reads VA 0x200000 through the tree.
 *
 * Started by tptvmm in long mode (--raw-mode long, load address 0x10000)
 * on the boot identity map (CR3 0x9000), with --mem 64M or more and --tpt.
 * Guest-physical layout:
 *   0x200000  seeded 0x2d..: what VA 0x200000 reads on nested paging
 *   0x280000  seeded 0x50..: what the tree's entry for VA 0x200000 names
 *   0x300000  PML4, PDPT, PD, PT0 (VA 0-2M -> frames 0-511), PT1 (VA 2M-4M)
 *   0x400000  the frame map (KVM_HC_TPT_INIT), 256 KiB
 *   0x500000  virtqueue 0: descriptors, avail +0x1000, used +0x2000,
 *             request header +0x3000, status byte +0x3100
 *
 * Prints "TPT-VIRTIO-ATTACK device=X read=V" on COM1 (X: R = the device
 * refused the request and needs a reset, S = it served it) and ends through
 * the debug-exit port with
 *   0  the device refused, and VA 0x200000 read 0x50..: the tree held
 *   20 the device served, yet VA 0x200000 read 0x50..
 *   21 VA 0x200000 read the host page (0x01..): the attack worked
 *   22 VA 0x200000 read 0x2d..: the armed load did not enter TPT
 *   23 anything else read
 *   11 INIT failed, 12 a frame map entry was 0, 13 ARM failed,
 *   14 the virtio-blk device is missing or refused setup, 15 no answer
 */
	.code64
	.globl _start

	.set	TPT_INIT, 0x5451
	.set	TPT_ARM, 0x5454
	.set	BOOT_CR3, 0x9000
	.set	NESTED_PAGE, 0x200000
	.set	TREE_PAGE, 0x280000
	.set	PML4, 0x300000
	.set	PDPT, 0x301000
	.set	PD, 0x302000
	.set	PT0, 0x303000
	.set	PT1, 0x304000
	.set	MAP, 0x400000
	.set	MAP_BYTES, 0x40000
	.set	VQ, 0x500000
	.set	AVAIL, VQ + 0x1000
	.set	USED, VQ + 0x2000
	.set	REQ, VQ + 0x3000
	.set	REQ_STATUS, VQ + 0x3100
	.set	MMIO, 0xd0000000
	.set	ENTRY, 0x23		/* present, writable, accessed */

/* %rax = the host address of the guest page at \gpa (a constant), or fail. */
.macro	hpa gpa
	mov	MAP + (\gpa >> 12) * 8, %rax
	test	%rax, %rax
	jz	fail_map
	shl	$12, %rax
.endm

_start:
	/* The hypercall instruction: vmcall on Intel, vmmcall on AMD. */
	xor	%eax, %eax
	cpuid
	cmp	$0x756e6547, %ebx	/* "Genu" */
	sete	is_intel(%rip)
	/*
	 * Verify mode wants CR0.WP; on AMD, TPT also wants the host's PAT
	 * (docs/tpt-abi.md), and the host is Linux: WB WC UC- UC WB WP UC- WT.
	 */
	mov	%cr0, %rax
	or	$0x10000, %eax
	mov	%rax, %cr0
	mov	$0x277, %ecx
	mov	$0x00070106, %eax
	mov	$0x04070506, %edx
	wrmsr

	cld
	mov	$NESTED_PAGE, %rdi
	mov	$0x2d2d2d2d2d2d2d2d, %rax
	mov	$512, %ecx
	rep stosq
	mov	$TREE_PAGE, %rdi
	mov	$0x5050505050505050, %rax
	mov	$512, %ecx
	rep stosq
	xor	%eax, %eax
	mov	$PML4, %rdi
	mov	$5 * 512, %ecx
	rep stosq
	mov	$VQ, %rdi
	mov	$4 * 512, %ecx
	rep stosq

	mov	$TPT_INIT, %eax
	mov	$MAP, %ebx
	mov	$MAP_BYTES, %ecx
	xor	%edx, %edx
	call	hypercall
	test	%rax, %rax
	jle	fail_init

	/* PT0: VA 0-2M -> guest frames 0-511 (code, stack, GDT). */
	xor	%esi, %esi
1:	mov	MAP(, %rsi, 8), %rax
	test	%rax, %rax
	jz	fail_map
	shl	$12, %rax
	or	$ENTRY, %rax
	mov	%rax, PT0(, %rsi, 8)
	inc	%esi
	cmp	$512, %esi
	jb	1b
	hpa	TREE_PAGE
	or	$ENTRY, %rax
	mov	%rax, PT1
	hpa	PT0
	or	$ENTRY, %rax
	mov	%rax, PD
	hpa	PT1
	or	$ENTRY, %rax
	mov	%rax, PD + 8
	hpa	PD
	or	$ENTRY, %rax
	mov	%rax, PDPT
	hpa	PDPT
	or	$ENTRY, %rax
	mov	%rax, PML4

	/* Arm: the next load of CR3 0x9000 enters TPT on the tree. */
	mov	$TPT_ARM, %eax
	mov	$BOOT_CR3, %ebx
	mov	$PML4, %ecx
	xor	%edx, %edx
	call	hypercall
	test	%rax, %rax
	jnz	fail_arm

	/* virtio-mmio version 2, block device, VIRTIO_F_VERSION_1 only. */
	mov	$MMIO, %r8
	cmpl	$0x74726976, (%r8)	/* "virt" */
	jne	fail_dev
	cmpl	$2, 0x4(%r8)
	jne	fail_dev
	cmpl	$2, 0x8(%r8)
	jne	fail_dev
	movl	$0, 0x70(%r8)		/* reset */
	movl	$1, 0x70(%r8)		/* ACKNOWLEDGE */
	movl	$3, 0x70(%r8)		/* DRIVER */
	movl	$1, 0x24(%r8)		/* driver features 63:32 */
	movl	$1, 0x20(%r8)		/* VERSION_1 */
	movl	$0, 0x24(%r8)
	movl	$0, 0x20(%r8)
	movl	$0xb, 0x70(%r8)		/* FEATURES_OK */
	testl	$8, 0x70(%r8)
	jz	fail_dev
	movl	$0, 0x30(%r8)		/* queue 0 */
	cmpl	$8, 0x34(%r8)
	jb	fail_dev
	movl	$8, 0x38(%r8)
	movl	$VQ, 0x80(%r8)
	movl	$0, 0x84(%r8)
	movl	$AVAIL, 0x90(%r8)
	movl	$0, 0x94(%r8)
	movl	$USED, 0xa0(%r8)
	movl	$0, 0xa4(%r8)
	movl	$1, 0x44(%r8)
	cmpl	$1, 0x44(%r8)
	jne	fail_dev
	movl	$0xf, 0x70(%r8)		/* DRIVER_OK */

	/* Read sector 0 (header zeroed: type IN) into PT1's first 512 bytes. */
	movb	$0xff, REQ_STATUS
	movq	$REQ, VQ
	movl	$16, VQ + 8
	movw	$1, VQ + 12		/* NEXT */
	movw	$1, VQ + 14
	movq	$PT1, VQ + 16
	movl	$512, VQ + 24
	movw	$3, VQ + 28		/* NEXT | WRITE */
	movw	$2, VQ + 30
	movq	$REQ_STATUS, VQ + 32
	movl	$1, VQ + 40
	movw	$2, VQ + 44		/* WRITE */
	movw	$0, AVAIL + 4		/* ring[0] = chain 0 */
	mfence
	movw	$1, AVAIL + 2		/* idx */
	mfence
	movl	$0, 0x50(%r8)		/* notify queue 0 */

	/* Every poll reads a device register: an exit, so the host runs. */
	mov	$2000000, %ecx
2:	mov	$'R', %r12d
	testl	$0x40, 0x70(%r8)	/* DEVICE_NEEDS_RESET */
	jnz	3f
	mov	$'S', %r12d
	cmpw	$0, USED + 2
	jne	3f
	pause
	dec	%ecx
	jnz	2b
	jmp	fail_answer

	/* The armed load; the CR3 read after it leaves TPT again. */
3:	mov	$BOOT_CR3, %eax
	mov	%rax, %cr3
	mov	NESTED_PAGE, %r13
	mov	%cr3, %rax

	lea	msg(%rip), %rsi
	call	puts
	mov	%r12b, %al
	out	%al, (%dx)
	lea	msg2(%rip), %rsi
	call	puts
	mov	$16, %ecx
4:	rol	$4, %r13
	mov	%r13d, %eax
	and	$0xf, %eax
	add	$'0', %al
	cmp	$'9', %al
	jbe	5f
	add	$'a' - '9' - 1, %al
5:	out	%al, (%dx)
	dec	%ecx
	jnz	4b
	mov	$'\n', %al
	out	%al, (%dx)

	mov	$0x5050505050505050, %rax
	cmp	%rax, %r13
	jne	6f
	xor	%al, %al
	cmp	$'R', %r12b
	je	done
	mov	$20, %al
	jmp	done
6:	mov	$21, %al
	mov	$0x0101010101010101, %rdx
	cmp	%rdx, %r13
	je	done
	mov	$22, %al
	mov	$0x2d2d2d2d2d2d2d2d, %rdx
	cmp	%rdx, %r13
	je	done
	mov	$23, %al
	jmp	done

fail_init:
	mov	$11, %al
	jmp	done
fail_map:
	mov	$12, %al
	jmp	done
fail_arm:
	mov	$13, %al
	jmp	done
fail_dev:
	mov	$14, %al
	jmp	done
fail_answer:
	mov	$15, %al
done:	mov	$0x501, %dx
	out	%al, (%dx)
	hlt
	jmp	done

/* KVM hypercall: number in %eax, arguments in %rbx, %rcx, %rdx. */
hypercall:
	cmpb	$0, is_intel(%rip)
	jne	1f
	vmmcall
	ret
1:	vmcall
	ret

#include "long_puts.inc"

msg:	.asciz	"TPT-VIRTIO-ATTACK device="
msg2:	.asciz	" read="
is_intel:
	.byte	0
