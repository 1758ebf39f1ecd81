/* SPDX-License-Identifier: MIT */
#include "test_main.h"

#include <asm/bootparam.h>
#include <elf.h>
#include <string.h>

#include "guest_mem.h"
#include "layout.h"
#include "loader.h"

#define MiB (1ULL << 20)

static struct guest_mem mem;

static void setup(void)
{
	struct guest_mem_opts o = { 0 };
	struct err e;

	ck_assert_int_eq(guest_mem_alloc(&mem, 128 * MiB, &o, &e), 0);
}

static void teardown(void)
{
	guest_mem_free(&mem);
}

/* A synthetic bzImage: 4 setup sectors + 1 boot sector, payload after. */
static uint8_t *make_bzimage(size_t payload, uint16_t version, uint16_t xlf,
			     size_t *len)
{
	size_t setup = 5 * 512;
	uint8_t *img = calloc(1, setup + payload);
	struct setup_header h;

	memset(&h, 0, sizeof(h));
	h.setup_sects = 4;
	h.boot_flag = 0xaa55;
	h.jump = 0x66eb;	/* jump offset 0x66: header to 0x268 */
	h.header = 0x53726448;
	h.version = version;
	h.loadflags = LOADED_HIGH;
	h.syssize = (uint32_t)(payload / 16);
	h.initrd_addr_max = 0x7fffffff;
	h.kernel_alignment = 0x200000;
	h.relocatable_kernel = 1;
	h.xloadflags = xlf;
	h.cmdline_size = 255;
	h.pref_address = 0x1000000;
	h.init_size = 8 * MiB;
	memcpy(img + 0x1f1, &h, sizeof(h));
	for (size_t i = 0; i < payload; i++)
		img[setup + i] = (uint8_t)(i * 7);
	*len = setup + payload;
	return img;
}

START_TEST(bzimage_loads)
{
	size_t len;
	uint8_t *img = make_bzimage(64 * 1024, 0x020f, 1, &len);
	struct boot_info bi;
	struct boot_params *bp;
	struct err e;
	enum kernel_kind k;

	ck_assert_int_eq(kernel_check(img, len, &k, &e), 0);
	ck_assert_int_eq(k, KERNEL_BZIMAGE);
	ck_assert_int_eq(load_bzimage(&mem, img, len, &bi, &e), 0);
	ck_assert_uint_eq(bi.entry, KERNEL_LOAD_ADDR + 0x200);
	ck_assert_uint_eq(bi.boot_params, BOOT_PARAMS_ADDR);
	ck_assert_uint_eq(bi.cmdline_max, 256);
	/* pref_address + init_size bounds the kernel's footprint. */
	ck_assert_uint_eq(bi.kernel_end, 0x1000000 + 8 * MiB);
	ck_assert_mem_eq(guest_ptr(&mem, KERNEL_LOAD_ADDR, 64 * 1024), img + 5 * 512, 64 * 1024);
	bp = guest_ptr(&mem, BOOT_PARAMS_ADDR, sizeof(*bp));
	ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
	ck_assert_uint_eq(bp->hdr.header, 0x53726448);
	ck_assert(bp->hdr.loadflags & CAN_USE_HEAP);
	free(img);
}
END_TEST

START_TEST(bzimage_rejects_old_protocol)
{
	size_t len;
	uint8_t *img = make_bzimage(4096, 0x020b, 1, &len);
	struct boot_info bi;
	struct err e;
	enum kernel_kind k;

	ck_assert_int_eq(kernel_check(img, len, &k, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "too old"));
	ck_assert_int_eq(load_bzimage(&mem, img, len, &bi, &e), -1);
	free(img);
}
END_TEST

START_TEST(bzimage_rejects_no_64bit_entry)
{
	size_t len;
	uint8_t *img = make_bzimage(4096, 0x020f, 0, &len);
	struct err e;
	enum kernel_kind k;

	ck_assert_int_eq(kernel_check(img, len, &k, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "64-bit"));
	free(img);
}
END_TEST

START_TEST(bzimage_truncated_everywhere)
{
	size_t len;
	uint8_t *img = make_bzimage(4096, 0x020f, 1, &len);
	struct boot_info bi;
	struct err e;
	enum kernel_kind k;

	/* Every prefix shorter than the whole image is refused, never loaded. */
	for (size_t cut = 0; cut < len; cut += 97) {
		int c = kernel_check(img, cut, &k, &e);

		ck_assert_int_eq(c, -1);
		ck_assert_int_eq(load_bzimage(&mem, img, cut, &bi, &e), -1);
	}
	free(img);
}
END_TEST

START_TEST(bzimage_too_big_for_ram)
{
	size_t len;
	uint8_t *img = make_bzimage(4096, 0x020f, 1, &len);
	struct guest_mem small;
	struct guest_mem_opts o = { 0 };
	struct boot_info bi;
	struct err e;
	struct setup_header *h = (struct setup_header *)(img + 0x1f1);

	h->init_size = 200 * MiB;
	ck_assert_int_eq(guest_mem_alloc(&small, 32 * MiB, &o, &e), 0);
	ck_assert_int_eq(load_bzimage(&small, img, len, &bi, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "RAM"));
	guest_mem_free(&small);
	free(img);
}
END_TEST

START_TEST(cmdline_capped_at_kernel_limit)
{
	size_t len;
	uint8_t *img = make_bzimage(4096, 0x020f, 1, &len);
	struct boot_info bi;
	struct err e;
	char line[300];

	ck_assert_int_eq(load_bzimage(&mem, img, len, &bi, &e), 0);
	memset(line, 'a', sizeof(line));
	line[255] = '\0';	/* 255 chars: exactly the limit */
	ck_assert_int_eq(setup_boot_params(&mem, &bi, line, NULL, 0, &e), 0);
	ck_assert_str_eq((char *)guest_ptr(&mem, BOOT_CMDLINE_ADDR, 256), line);
	line[255] = 'a';
	line[256] = '\0';	/* one more: refused */
	ck_assert_int_eq(setup_boot_params(&mem, &bi, line, NULL, 0, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "at most 255"));
	free(img);
}
END_TEST

START_TEST(initrd_placed_high_below_limit)
{
	size_t len, ilen = 3 * MiB + 123;
	uint8_t *img = make_bzimage(4096, 0x020f, 1, &len);
	uint8_t *initrd = malloc(ilen);
	struct boot_info bi;
	struct boot_params *bp;
	struct err e;

	memset(initrd, 0x5a, ilen);
	ck_assert_int_eq(load_bzimage(&mem, img, len, &bi, &e), 0);
	ck_assert_int_eq(setup_boot_params(&mem, &bi, "x", initrd, ilen, &e), 0);
	bp = guest_ptr(&mem, BOOT_PARAMS_ADDR, sizeof(*bp));
	ck_assert_uint_eq(bp->hdr.ramdisk_size, ilen);
	ck_assert_uint_eq(bp->hdr.ramdisk_image % 4096, 0);
	ck_assert_uint_le(bp->hdr.ramdisk_image + ilen, 128 * MiB);
	ck_assert_uint_ge(bp->hdr.ramdisk_image, bi.kernel_end);
	ck_assert_mem_eq(guest_ptr(&mem, bp->hdr.ramdisk_image, ilen), initrd, ilen);
	/* e820 is filled and covers RAM above 1 MiB. */
	ck_assert_uint_eq(bp->e820_entries, 3);
	ck_assert_uint_eq(bp->e820_table[2].addr, 1 * MiB);
	free(initrd);
	free(img);
}
END_TEST

START_TEST(initrd_respects_initrd_addr_max)
{
	size_t len, ilen = 1 * MiB;
	uint8_t *img = make_bzimage(4096, 0x020f, 1, &len);
	uint8_t *initrd = calloc(1, ilen);
	struct setup_header *h = (struct setup_header *)(img + 0x1f1);
	struct boot_params *bp;
	struct boot_info bi;
	struct err e;

	h->initrd_addr_max = 64 * MiB - 1;
	ck_assert_int_eq(load_bzimage(&mem, img, len, &bi, &e), 0);
	ck_assert_int_eq(setup_boot_params(&mem, &bi, "", initrd, ilen, &e), 0);
	bp = guest_ptr(&mem, BOOT_PARAMS_ADDR, sizeof(*bp));
	ck_assert_uint_le(bp->hdr.ramdisk_image + ilen, 64 * MiB);
	free(initrd);
	free(img);
}
END_TEST

START_TEST(initrd_too_large)
{
	size_t len, ilen = 120 * MiB;
	uint8_t *img = make_bzimage(4096, 0x020f, 1, &len);
	uint8_t *initrd = calloc(1, ilen);
	struct boot_info bi;
	struct err e;

	ck_assert_int_eq(load_bzimage(&mem, img, len, &bi, &e), 0);
	ck_assert_int_eq(setup_boot_params(&mem, &bi, "", initrd, ilen, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "initrd"));
	free(initrd);
	free(img);
}
END_TEST

/* A synthetic ELF vmlinux with one PT_LOAD at 16 MiB (and bss). */
static uint8_t *make_elf(size_t *len, uint64_t paddr, uint64_t filesz,
			 uint64_t memsz, uint64_t entry)
{
	size_t off = 4096;
	uint8_t *img = calloc(1, off + filesz);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	ph->p_type = PT_LOAD;
	ph->p_offset = off;
	ph->p_paddr = paddr;
	ph->p_filesz = filesz;
	ph->p_memsz = memsz;
	memset(img + off, 0xc3, filesz);
	*len = off + filesz;
	return img;
}

START_TEST(elf_loads_and_zeroes_bss)
{
	size_t len;
	uint8_t *img = make_elf(&len, 16 * MiB, 8192, 3 * 4096, 16 * MiB + 0x40);
	uint8_t *dst;
	struct boot_info bi;
	struct err e;
	enum kernel_kind k;

	memset(guest_ptr(&mem, 16 * MiB, 3 * 4096), 0xee, 3 * 4096);
	ck_assert_int_eq(kernel_check(img, len, &k, &e), 0);
	ck_assert_int_eq(k, KERNEL_ELF);
	ck_assert_int_eq(load_elf(&mem, img, len, &bi, &e), 0);
	ck_assert_uint_eq(bi.entry, 16 * MiB + 0x40);
	dst = guest_ptr(&mem, 16 * MiB, 3 * 4096);
	ck_assert_uint_eq(dst[0], 0xc3);
	ck_assert_uint_eq(dst[8191], 0xc3);
	ck_assert_uint_eq(dst[8192], 0);
	ck_assert_uint_eq(dst[3 * 4096 - 1], 0);
	free(img);
}
END_TEST

START_TEST(elf_rejects_hostile_headers)
{
	size_t len;
	uint8_t *img;
	struct boot_info bi;
	struct err e;
	Elf64_Phdr *ph;

	/* Segment beyond guest RAM. */
	img = make_elf(&len, 127 * MiB, 8192, 2 * MiB, 127 * MiB);
	ck_assert_int_eq(load_elf(&mem, img, len, &bi, &e), -1);
	free(img);
	/* Segment wrapping the address space. */
	img = make_elf(&len, UINT64_MAX - 100, 8192, 8192, 16 * MiB);
	ck_assert_int_eq(load_elf(&mem, img, len, &bi, &e), -1);
	free(img);
	/* File size larger than the file. */
	img = make_elf(&len, 16 * MiB, 8192, 8192, 16 * MiB);
	ph = (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr));
	ph->p_filesz = UINT64_MAX;
	ph->p_memsz = UINT64_MAX;
	ck_assert_int_eq(load_elf(&mem, img, len, &bi, &e), -1);
	/* filesz > memsz. */
	ph->p_filesz = 8192;
	ph->p_memsz = 4096;
	ck_assert_int_eq(load_elf(&mem, img, len, &bi, &e), -1);
	free(img);
	/* Entry outside every segment. */
	img = make_elf(&len, 16 * MiB, 8192, 8192, 64 * MiB);
	ck_assert_int_eq(load_elf(&mem, img, len, &bi, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "entry"));
	/* Truncated program headers. */
	ck_assert_int_eq(load_elf(&mem, img, sizeof(Elf64_Ehdr) + 10, &bi, &e), -1);
	free(img);
}
END_TEST

START_TEST(detect_garbage)
{
	uint8_t junk[4096];
	enum kernel_kind k;
	struct err e;

	memset(junk, 0x90, sizeof(junk));
	ck_assert_int_eq(kernel_check(junk, sizeof(junk), &k, &e), -1);
	ck_assert_int_eq(kernel_check(junk, 0, &k, &e), -1);
}
END_TEST

START_TEST(raw_bounds)
{
	uint8_t code[16] = { 0xf4 };
	struct boot_info bi;
	struct err e;

	ck_assert_int_eq(load_raw(&mem, code, sizeof(code), 0x10000, START_REAL16, &bi, &e), 0);
	ck_assert_int_eq(load_raw(&mem, code, sizeof(code), 0xffff8, START_REAL16, &bi, &e), -1);
	ck_assert_int_eq(load_raw(&mem, code, sizeof(code), 128 * MiB - 8, START_LONG64, &bi, &e), -1);
	ck_assert_int_eq(load_raw(&mem, code, 0, 0x10000, START_LONG64, &bi, &e), -1);
}
END_TEST

START_TEST(long_mode_tables_identity_map)
{
	struct err e;
	uint64_t *pml4, *pdpt, *pd;

	ck_assert_int_eq(setup_long_mode_tables(&mem, &e), 0);
	pml4 = guest_ptr(&mem, BOOT_PML4_ADDR, 4096);
	pdpt = guest_ptr(&mem, BOOT_PDPT_ADDR, 4096);
	pd = guest_ptr(&mem, BOOT_PD_ADDR, 4 * 4096);
	ck_assert_uint_eq(pml4[0] & ~0xfffULL, BOOT_PDPT_ADDR);
	ck_assert_uint_eq(pdpt[3] & ~0xfffULL, BOOT_PD_ADDR + 3 * 4096);
	/* Entry for 3 GiB + 2 MiB maps exactly that address, 2 MiB page. */
	ck_assert_uint_eq(pd[3 * 512 + 1], (3ULL << 30) + (2ULL << 20) + 0x83);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("loader");
	TCase *t = tcase_create("core");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, bzimage_loads);
	tcase_add_test(t, bzimage_rejects_old_protocol);
	tcase_add_test(t, bzimage_rejects_no_64bit_entry);
	tcase_add_test(t, bzimage_truncated_everywhere);
	tcase_add_test(t, bzimage_too_big_for_ram);
	tcase_add_test(t, cmdline_capped_at_kernel_limit);
	tcase_add_test(t, initrd_placed_high_below_limit);
	tcase_add_test(t, initrd_respects_initrd_addr_max);
	tcase_add_test(t, initrd_too_large);
	tcase_add_test(t, elf_loads_and_zeroes_bss);
	tcase_add_test(t, elf_rejects_hostile_headers);
	tcase_add_test(t, detect_garbage);
	tcase_add_test(t, raw_bounds);
	tcase_add_test(t, long_mode_tables_identity_map);
	suite_add_tcase(s, t);
	return s;
}
