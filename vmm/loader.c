/* SPDX-License-Identifier: MIT */
#include "loader.h"

#include <asm/bootparam.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"

#define SETUP_HDR_OFF		0x1f1
#define BOOT_FLAG_OFF		0x1fe
#define HDRS_OFF		0x202
#define HDRS_MAGIC		0x53726448	/* "HdrS" */
#define MIN_PROTOCOL		0x020c
#define XLF_KERNEL_64_BIT	(1u << 0)
#define DEFAULT_CMDLINE_MAX	2048
#define DEFAULT_INITRD_MAX	0x37ffffffu
#define PAGE_SZ			4096ULL

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
	       ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

int kernel_detect(const uint8_t *img, size_t len, enum kernel_kind *kind)
{
	if (len >= SELFMAG && !memcmp(img, ELFMAG, SELFMAG)) {
		*kind = KERNEL_ELF;
		return 0;
	}
	if (len >= HDRS_OFF + 4 && rd16(img + BOOT_FLAG_OFF) == 0xaa55 &&
	    rd32(img + HDRS_OFF) == HDRS_MAGIC) {
		*kind = KERNEL_BZIMAGE;
		return 0;
	}
	return -1;
}

static struct boot_params *boot_params_ptr(const struct guest_mem *mem)
{
	return guest_ptr(mem, BOOT_PARAMS_ADDR, sizeof(struct boot_params));
}

static int bzimage_parse(const uint8_t *img, size_t len,
			 struct setup_header *hdr, size_t *setup_size,
			 struct err *e)
{
	size_t hdr_end, payload;
	unsigned int sects;

	if (len < HDRS_OFF + 4 + 2)
		return err_set(e, "kernel image is %zu bytes: too short for a Linux boot header", len);
	if (rd16(img + BOOT_FLAG_OFF) != 0xaa55 || rd32(img + HDRS_OFF) != HDRS_MAGIC)
		return err_set(e, "not a Linux bzImage (no 0xaa55 boot flag / HdrS magic)");

	/* The header runs to 0x202 + the jump offset byte at 0x201. */
	hdr_end = 0x202 + img[0x201];
	if (hdr_end > len)
		return err_set(e, "bzImage header claims %zu bytes, file has %zu", hdr_end, len);
	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr, img + SETUP_HDR_OFF,
	       hdr_end - SETUP_HDR_OFF < sizeof(*hdr) ? hdr_end - SETUP_HDR_OFF : sizeof(*hdr));

	if (hdr->version < MIN_PROTOCOL)
		return err_set(e, "bzImage boot protocol %u.%02u is too old: tptvmm needs >= 2.12",
			       hdr->version >> 8, hdr->version & 0xff);
	if (!(hdr->xloadflags & XLF_KERNEL_64_BIT))
		return err_set(e, "bzImage has no 64-bit entry point (XLF_KERNEL_64 not set)");
	if (!(hdr->loadflags & LOADED_HIGH))
		return err_set(e, "bzImage is not loadable high (zImage is not supported)");

	sects = hdr->setup_sects ? hdr->setup_sects : 4;
	*setup_size = ((size_t)sects + 1) * 512;
	if (*setup_size >= len)
		return err_set(e, "bzImage truncated: setup is %zu bytes, file is %zu", *setup_size, len);
	payload = len - *setup_size;
	if (hdr->syssize && (uint64_t)hdr->syssize * 16 > payload)
		return err_set(e, "bzImage truncated: payload is %zu bytes, header says %llu",
			       payload, (unsigned long long)hdr->syssize * 16);
	return 0;
}

static int elf_parse(const uint8_t *img, size_t len, struct err *e)
{
	const Elf64_Ehdr *eh = (const void *)img;

	if (len < sizeof(*eh) || memcmp(img, ELFMAG, SELFMAG))
		return err_set(e, "not an ELF file");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return err_set(e, "ELF kernel is not 64-bit little-endian");
	if (eh->e_machine != EM_X86_64 || eh->e_type != ET_EXEC)
		return err_set(e, "ELF kernel is not an x86-64 executable");
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0)
		return err_set(e, "ELF kernel has no usable program headers");
	if (eh->e_phoff > len || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		return err_set(e, "ELF program headers lie outside the file (truncated?)");
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, img + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_filesz > ph.p_memsz)
			return err_set(e, "ELF segment %u: file size exceeds memory size", i);
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			return err_set(e, "ELF segment %u lies outside the file (truncated?)", i);
	}
	return 0;
}

int kernel_check(const uint8_t *img, size_t len, enum kernel_kind *kind,
		 struct err *e)
{
	struct setup_header hdr;
	size_t setup_size;

	if (kernel_detect(img, len, kind))
		return err_set(e, "neither a Linux bzImage nor an ELF vmlinux");
	if (*kind == KERNEL_BZIMAGE)
		return bzimage_parse(img, len, &hdr, &setup_size, e);
	return elf_parse(img, len, e);
}

int load_bzimage(const struct guest_mem *mem, const uint8_t *img, size_t len,
		 struct boot_info *bi, struct err *e)
{
	struct boot_params *bp;
	struct setup_header hdr;
	size_t setup_size, payload;
	uint64_t need;

	if (bzimage_parse(img, len, &hdr, &setup_size, e))
		return -1;
	payload = len - setup_size;
	need = hdr.init_size > payload ? hdr.init_size : payload;
	if (!guest_ptr(mem, KERNEL_LOAD_ADDR, need))
		return err_set(e, "kernel needs %llu MiB above 1 MiB: guest RAM is too small",
			       (unsigned long long)((need + KERNEL_LOAD_ADDR) >> 20) + 1);
	if (guest_write(mem, KERNEL_LOAD_ADDR, img + setup_size, payload))
		return err_set(e, "kernel does not fit in guest RAM");

	bp = boot_params_ptr(mem);
	if (!bp)
		return err_set(e, "guest RAM too small for boot_params");
	memset(bp, 0, sizeof(*bp));
	memcpy(&bp->hdr, &hdr, sizeof(hdr));
	bp->hdr.type_of_loader = 0xff;
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.loadflags &= (uint8_t)~KEEP_SEGMENTS;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.code32_start = (uint32_t)KERNEL_LOAD_ADDR;

	memset(bi, 0, sizeof(*bi));
	bi->kind = KERNEL_BZIMAGE;
	bi->mode = START_LONG64;
	bi->entry = KERNEL_LOAD_ADDR + 0x200;
	bi->boot_params = BOOT_PARAMS_ADDR;
	bi->kernel_start = KERNEL_LOAD_ADDR;
	bi->kernel_end = KERNEL_LOAD_ADDR + need;
	/* A relocatable kernel decompresses to pref_address + init_size. */
	if (hdr.pref_address + hdr.init_size > bi->kernel_end &&
	    hdr.pref_address < MMIO_HOLE_START)
		bi->kernel_end = hdr.pref_address + hdr.init_size;
	if (bi->kernel_end > guest_low_end(mem))
		return err_set(e, "kernel needs %llu MiB of RAM to decompress: give more --mem",
			       (unsigned long long)(bi->kernel_end >> 20) + 1);
	bi->cmdline_max = hdr.cmdline_size ? hdr.cmdline_size + 1 : DEFAULT_CMDLINE_MAX;
	bi->protocol = hdr.version;
	return 0;
}

int load_elf(const struct guest_mem *mem, const uint8_t *img, size_t len,
	     struct boot_info *bi, struct err *e)
{
	const Elf64_Ehdr *eh = (const void *)img;
	struct boot_params *bp;
	uint64_t lo = ~0ULL, hi = 0;
	bool entry_ok = false;
	int loads = 0;

	if (elf_parse(img, len, e))
		return -1;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		uint8_t *dst;

		memcpy(&ph, img + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		dst = guest_ptr(mem, ph.p_paddr, ph.p_memsz);
		if (!dst)
			return err_set(e, "ELF segment %u [0x%llx, +0x%llx) is not in guest RAM",
				       i, (unsigned long long)ph.p_paddr,
				       (unsigned long long)ph.p_memsz);
		if (ph.p_paddr < BIOS_END)
			return err_set(e, "ELF segment %u at 0x%llx overlaps the boot area below 1 MiB",
				       i, (unsigned long long)ph.p_paddr);
		memcpy(dst, img + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
		if (ph.p_paddr < lo)
			lo = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > hi)
			hi = ph.p_paddr + ph.p_memsz;
		if (eh->e_entry >= ph.p_paddr && eh->e_entry - ph.p_paddr < ph.p_memsz)
			entry_ok = true;
		loads++;
	}
	if (!loads)
		return err_set(e, "ELF kernel has no loadable segments");
	if (!entry_ok)
		return err_set(e, "ELF entry 0x%llx is not inside a loaded segment",
			       (unsigned long long)eh->e_entry);

	bp = boot_params_ptr(mem);
	if (!bp)
		return err_set(e, "guest RAM too small for boot_params");
	memset(bp, 0, sizeof(*bp));
	bp->hdr.boot_flag = 0xaa55;
	bp->hdr.header = HDRS_MAGIC;
	bp->hdr.version = MIN_PROTOCOL;
	bp->hdr.type_of_loader = 0xff;
	bp->hdr.loadflags = LOADED_HIGH;
	bp->hdr.kernel_alignment = 0x1000000;
	bp->hdr.initrd_addr_max = DEFAULT_INITRD_MAX;
	bp->hdr.cmdline_size = DEFAULT_CMDLINE_MAX - 1;

	memset(bi, 0, sizeof(*bi));
	bi->kind = KERNEL_ELF;
	bi->mode = START_LONG64;
	bi->entry = eh->e_entry;
	bi->boot_params = BOOT_PARAMS_ADDR;
	bi->kernel_start = lo;
	bi->kernel_end = hi;
	bi->cmdline_max = DEFAULT_CMDLINE_MAX;
	return 0;
}

int load_raw(const struct guest_mem *mem, const uint8_t *img, size_t len,
	     uint64_t gpa, enum cpu_start_mode mode, struct boot_info *bi,
	     struct err *e)
{
	if (!len)
		return err_set(e, "raw image is empty");
	if (mode == START_REAL16 && gpa + len > BIOS_END)
		return err_set(e, "real-mode image must lie below 1 MiB");
	if (guest_write(mem, gpa, img, len))
		return err_set(e, "raw image [0x%llx, +0x%zx) is not in guest RAM",
			       (unsigned long long)gpa, len);
	memset(bi, 0, sizeof(*bi));
	bi->kind = KERNEL_RAW;
	bi->mode = mode;
	bi->entry = gpa;
	bi->kernel_start = gpa;
	bi->kernel_end = gpa + len;
	return 0;
}

int setup_boot_params(const struct guest_mem *mem, struct boot_info *bi,
		      const char *cmdline, const uint8_t *initrd,
		      size_t initrd_len, struct err *e)
{
	struct boot_params *bp = boot_params_ptr(mem);
	struct e820_out map[E820_MAX_ENTRIES_ZEROPAGE];
	size_t clen = cmdline ? strlen(cmdline) : 0;
	int n;

	if (!bp)
		return err_set(e, "guest RAM too small for boot_params");

	if (clen + 1 > bi->cmdline_max || clen + 1 > BOOT_CMDLINE_MAX)
		return err_set(e, "kernel command line is %zu bytes; this kernel accepts at most %u",
			       clen, bi->cmdline_max - 1);
	if (guest_write(mem, BOOT_CMDLINE_ADDR, cmdline ? cmdline : "", clen + 1))
		return err_set(e, "no guest RAM for the command line");
	bp->hdr.cmd_line_ptr = (uint32_t)BOOT_CMDLINE_ADDR;

	if (initrd && initrd_len) {
		uint64_t max = bp->hdr.initrd_addr_max ? bp->hdr.initrd_addr_max : DEFAULT_INITRD_MAX;
		uint64_t top = guest_low_end(mem);
		uint64_t kend = (bi->kernel_end + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
		uint64_t addr;

		if (max + 1 < top)
			top = max + 1;
		addr = initrd_len > top ? 0 : (top - initrd_len) & ~(PAGE_SZ - 1);
		if (initrd_len > top || addr < kend)
			return err_set(e, "initrd of %zu bytes does not fit between the kernel end (0x%llx) and 0x%llx: give more --mem",
				       initrd_len, (unsigned long long)kend,
				       (unsigned long long)top);
		if (guest_write(mem, addr, initrd, initrd_len))
			return err_set(e, "initrd does not fit in guest RAM");
		bp->hdr.ramdisk_image = (uint32_t)addr;
		bp->hdr.ramdisk_size = (uint32_t)initrd_len;
		bi->initrd_addr = addr;
		bi->initrd_size = initrd_len;
	}

	n = guest_e820(mem, map, E820_MAX_ENTRIES_ZEROPAGE);
	if (n < 0)
		return err_set(e, "cannot build the e820 map");
	for (int i = 0; i < n; i++) {
		bp->e820_table[i].addr = map[i].addr;
		bp->e820_table[i].size = map[i].size;
		bp->e820_table[i].type = map[i].type;
	}
	bp->e820_entries = (uint8_t)n;
	return 0;
}

int setup_long_mode_tables(const struct guest_mem *mem, struct err *e)
{
	uint64_t gdt[BOOT_GDT_ENTRIES] = {
		0,
		0,
		0x00af9b000000ffffULL,	/* 0x10: 64-bit code */
		0x00cf93000000ffffULL,	/* 0x18: data */
		0x00008b0000000fffULL,	/* 0x20: 64-bit TSS (busy) */
	};
	uint64_t *pml4 = guest_ptr(mem, BOOT_PML4_ADDR, PAGE_SZ);
	uint64_t *pdpt = guest_ptr(mem, BOOT_PDPT_ADDR, PAGE_SZ);
	uint64_t *pd = guest_ptr(mem, BOOT_PD_ADDR, 4 * PAGE_SZ);

	if (guest_write(mem, BOOT_GDT_ADDR, gdt, sizeof(gdt)) || !pml4 || !pdpt || !pd)
		return err_set(e, "guest RAM too small for boot page tables");
	memset(pml4, 0, PAGE_SZ);
	memset(pdpt, 0, PAGE_SZ);
	pml4[0] = BOOT_PDPT_ADDR | 0x3;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PD_ADDR + i * PAGE_SZ) | 0x3;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x83;	/* present, writable, 2 MiB */
	return 0;
}
