/* SPDX-License-Identifier: MIT */
#ifndef TPTVMM_CLI_H
#define TPTVMM_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "loader.h"

#define DEFAULT_MEM		(512ULL << 20)
#define DEFAULT_CMDLINE \
	"console=ttyS0 earlyprintk=serial,ttyS0 reboot=k panic=-1 pci=off " \
	"i8042.noaux i8042.nomux i8042.dumbkbd"
#define CLI_MAX_CPUS		64
#define CLI_MAX_DISKS		8
#define CLI_MAX_NETS		4
#define CLI_MAX_VIRTIO		8	/* one ISA IRQ each */
#define CLI_PATH_MAX		4096

struct disk_cfg {
	char path[CLI_PATH_MAX];
	bool ro;
};

struct net_cfg {
	char tap[16];			/* IFNAMSIZ */
	uint8_t mac[6];
	bool has_mac;
};

struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	const char *raw;
	uint64_t raw_addr;
	enum cpu_start_mode raw_mode;
	uint64_t mem;
	unsigned int cpus;
	bool tpt;
	int tpt_mode;		/* KVM_TPT_MODE_* */
	bool hugepages;
	bool prefault;
	bool quiet;
	unsigned int timeout_s;		/* 0: none */
	const char *kvm_path;
	struct disk_cfg disks[CLI_MAX_DISKS];
	unsigned int nr_disks;
	struct net_cfg nets[CLI_MAX_NETS];
	unsigned int nr_nets;
	bool rng;
};

enum cli_result { CLI_RUN = 0, CLI_EXIT_OK = 1, CLI_ERROR = -1 };

/*
 * Parses argv into cfg. host_ram is the host's physical memory in bytes
 * (0 = unknown, no check). Help and version go to out.
 */
enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg,
			  uint64_t host_ram, FILE *out, struct err *e);
void cli_usage(FILE *out);

#endif
