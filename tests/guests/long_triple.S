/* Long-mode test guest: with the IDT limit 0 that tptvmm sets, ud2 can
 * not be delivered and the CPU shuts down (tptvmm exit status 4). */
	.code64
	.globl _start
_start:
	mov	$0x3f8, %dx
	mov	$'T', %al
	out	%al, (%dx)
	ud2
	hlt
