/* Long-mode test guest, started by tptvmm in 64-bit mode with an identity
 * map of the first 4 GiB. Checks memory, MMIO and port I/O behaviour and
 * reports through the debug-exit port: 0 = all good (tptvmm status 0),
 * N = check N failed (tptvmm status 10, "written with N" on stderr). */
	.code64
	.globl _start
_start:
	lea	msg(%rip), %rsi
	call	puts

	/* 1: write then verify one qword in each of 2048 pages at 8 MiB. */
	mov	$0x800000, %rdi
	mov	$2048, %rcx
	xor	%rax, %rax
3:	mov	%rax, (%rdi)
	add	$4096, %rdi
	inc	%rax
	loop	3b
	mov	$0x800000, %rdi
	mov	$2048, %rcx
	xor	%rax, %rax
4:	cmp	%rax, (%rdi)
	jne	fail1
	add	$4096, %rdi
	inc	%rax
	loop	4b

	/* 2: MMIO to an unclaimed address: writes ignored, reads zero. */
	mov	$0xd0000000, %rdi
	movl	$0xdeadbeef, (%rdi)
	movl	(%rdi), %eax
	test	%eax, %eax
	jnz	fail2

	/* 3: an unclaimed port reads all ones. */
	mov	$0x1234, %dx
	in	(%dx), %al
	cmp	$0xff, %al
	jne	fail3

	/* 4: string I/O (rep outsb) reaches the UART in order. */
	lea	msg2(%rip), %rsi
	mov	$msg2_len, %rcx
	mov	$0x3f8, %dx
	rep outsb

	mov	$0x500, %dx		/* debug mark 2 */
	mov	$2, %al
	out	%al, (%dx)
	xor	%al, %al
	jmp	done
fail1:	mov	$1, %al
	jmp	done
fail2:	mov	$2, %al
	jmp	done
fail3:	mov	$3, %al
done:	mov	$0x501, %dx
	out	%al, (%dx)
	hlt
	jmp	done

#include "long_puts.inc"

msg:	.asciz	"hello from long mode\n"
msg2:	.ascii	"string io ok\n"
	.set	msg2_len, . - msg2
