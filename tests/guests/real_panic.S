/* Real-mode test guest: prints a Linux-style panic line, then resets.
 * tptvmm must report the panic (exit status 5), not a plain reboot. */
	.code16
	.globl _start
_start:
	mov	$msg, %si
	call	puts
	mov	$0x64, %dx
	mov	$0xfe, %al
	out	%al, (%dx)
	hlt
msg:	.asciz	"Kernel panic - not syncing: test guest\n"
#include "real_puts.inc"
