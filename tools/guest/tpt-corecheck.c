/* SPDX-License-Identifier: MIT */
/*
 * tpt-corecheck: reads an ELF core dump of tpt-memtest -C and prints what
 * must not depend on whether the process ran under TPT:
 *
 *   tpt-corecheck CORE ADDR BYTES
 *   tpt-corecheck: signal=S loads=N layout=HEX checksum=HEX
 *
 * signal is the signal that dumped it (NT_PRSTATUS), loads the number of
 * PT_LOAD segments, layout a hash of their sizes and flags (not their
 * addresses, which ASLR moves), checksum tpt-memtest's checksum of the
 * BYTES at ADDR, read from the segments (zeroes past a segment's file
 * size, as the kernel leaves them). Exit status 0, 1 when the core is
 * malformed or does not hold the range (the reason is printed), 2 for bad
 * usage. Static, runs in a busybox initramfs.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/procfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tpt-fnv.h"

struct core {
	const unsigned char *data;
	size_t size;
	const Elf64_Phdr *ph;
	unsigned int phnum;
};

static int bad(const char *what)
{
	fprintf(stderr, "tpt-corecheck: %s\n", what);
	return 1;
}

/* Is [off, off + len) inside the file? */
static int in_file(const struct core *c, uint64_t off, uint64_t len)
{
	return off <= c->size && len <= c->size - off;
}

static int parse_header(struct core *c)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)c->data;

	if (c->size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return bad("not an ELF file");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_type != ET_CORE)
		return bad("not a 64-bit ELF core");
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum || eh->e_phnum == PN_XNUM)
		return bad("unexpected program header table");
	if (!in_file(c, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)) ||
	    eh->e_phoff % 8)
		return bad("program headers outside the file");
	c->ph = (const Elf64_Phdr *)(c->data + eh->e_phoff);
	c->phnum = eh->e_phnum;
	return 0;
}

/* The signal in the first NT_PRSTATUS note, or -1. */
static int dump_signal(const struct core *c)
{
	unsigned int i;

	for (i = 0; i < c->phnum; i++) {
		const Elf64_Phdr *p = &c->ph[i];
		uint64_t off = 0;

		if (p->p_type != PT_NOTE || !in_file(c, p->p_offset, p->p_filesz))
			continue;
		while (off + sizeof(Elf64_Nhdr) <= p->p_filesz) {
			const Elf64_Nhdr *n = (const Elf64_Nhdr *)(c->data + p->p_offset + off);
			uint64_t name = (n->n_namesz + 3ULL) & ~3ULL;
			uint64_t desc = (n->n_descsz + 3ULL) & ~3ULL;
			uint64_t at = off + sizeof(*n) + name;

			if (at > p->p_filesz || desc > p->p_filesz - at)
				break;
			if (n->n_type == NT_PRSTATUS && n->n_descsz >= sizeof(struct elf_prstatus)) {
				struct elf_prstatus st;

				memcpy(&st, c->data + p->p_offset + at, sizeof(st));
				return st.pr_cursig;
			}
			off = at + desc;
		}
	}
	return -1;
}

/* The segment holding @addr, or NULL. */
static const Elf64_Phdr *segment_of(const struct core *c, uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < c->phnum; i++)
		if (c->ph[i].p_type == PT_LOAD && addr >= c->ph[i].p_vaddr &&
		    addr - c->ph[i].p_vaddr < c->ph[i].p_memsz)
			return &c->ph[i];
	return NULL;
}

static int range_checksum(const struct core *c, uint64_t addr, uint64_t bytes, uint64_t *sum)
{
	uint64_t h = TPT_FNV_INIT, zero = 0;

	while (bytes) {
		const Elf64_Phdr *p = segment_of(c, addr);
		uint64_t at, n, file;

		if (!p)
			return bad("the range is not in the core");
		at = addr - p->p_vaddr;
		n = p->p_memsz - at < bytes ? p->p_memsz - at : bytes;
		file = at < p->p_filesz ? p->p_filesz - at : 0;
		if (file > n)
			file = n;
		if (file % 8 || n % 8 || !in_file(c, p->p_offset + at, file))
			return bad("segment data outside the file or not in 64-bit words");
		/* Words are copied: segment data need not be 8-byte aligned. */
		for (uint64_t k = 0; k < file; k += 8) {
			uint64_t w;

			memcpy(&w, c->data + p->p_offset + at + k, 8);
			h = tpt_fnv(h, &w, 1);
		}
		for (uint64_t k = file; k < n; k += 8)
			h = tpt_fnv(h, &zero, 1);
		addr += n;
		bytes -= n;
	}
	*sum = h;
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct core c = { 0 };
	uint64_t addr, bytes, layout = TPT_FNV_INIT, sum;
	unsigned int i, loads = 0;
	struct stat st;
	int fd, r;

	if (argc != 4 || parse_u64(argv[2], &addr) || parse_u64(argv[3], &bytes) ||
	    !bytes || bytes % 8 || addr % 8 || addr + bytes < addr) {
		fprintf(stderr, "usage: tpt-corecheck CORE ADDR BYTES (ADDR, BYTES: multiples of 8)\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "tpt-corecheck: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	c.size = (size_t)st.st_size;
	if (!c.size)
		return bad("empty file");
	c.data = mmap(NULL, c.size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (c.data == MAP_FAILED) {
		fprintf(stderr, "tpt-corecheck: mmap %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	r = parse_header(&c);
	if (r)
		return r;
	for (i = 0; i < c.phnum; i++) {
		uint64_t shape[3] = { c.ph[i].p_filesz, c.ph[i].p_memsz, c.ph[i].p_flags };

		if (c.ph[i].p_type != PT_LOAD)
			continue;
		loads++;
		layout = tpt_fnv(layout, shape, 3);
	}
	r = range_checksum(&c, addr, bytes, &sum);
	if (r)
		return r;
	printf("tpt-corecheck: signal=%d loads=%u layout=%016" PRIx64 " checksum=%016" PRIx64 "\n",
	       dump_signal(&c), loads, layout, sum);
	return 0;
}
