/* Long-mode test guest that never ends: it prints 'S' and spins with
 * interrupts off. Only tptvmm's --timeout ends it (exit status 12). */
	.code64
	.globl _start
_start:
	cli
	mov	$0x3f8, %dx
	mov	$'S', %al
	out	%al, (%dx)
1:	jmp	1b
