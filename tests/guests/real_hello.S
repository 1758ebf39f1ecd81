/* Real-mode test guest: prints on COM1, checks LSR, leaves a debug mark,
 * then resets the machine through the i8042 (tptvmm exit status 3).
 * Loaded at --raw-addr with CS = DS = SS = addr >> 4, IP = 0. */
	.code16
	.globl _start
_start:
	mov	$msg, %si
	call	puts
	mov	$0x3fd, %dx		/* LSR: THR must be empty */
	in	(%dx), %al
	test	$0x20, %al
	jz	fail
	mov	$0x500, %dx		/* debug mark 1 */
	mov	$1, %al
	out	%al, (%dx)
	mov	$0x64, %dx		/* i8042 reset */
	mov	$0xfe, %al
	out	%al, (%dx)
	hlt
fail:	mov	$0x501, %dx
	mov	$1, %al
	out	%al, (%dx)
	hlt
msg:	.asciz	"hello from real mode\n"
#include "real_puts.inc"
