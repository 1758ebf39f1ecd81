/* SPDX-License-Identifier: MIT */
/*
 * What one VM is made of (struct vm_config) and tptvmm's limits. Filled by
 * cli_parse() from the command line, or directly by tests; read by vm.c
 * and the device set-up. No code here: a header every layer may include.
 */
#ifndef TPTVMM_CONFIG_H
#define TPTVMM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>


/* How the boot vCPU starts: Linux in 64-bit mode, or --raw-mode real|long. */
enum cpu_start_mode { START_LONG64, START_REAL16 };

#define DEFAULT_MEM		(512ULL << 20)
#define DEFAULT_CMDLINE \
	"console=ttyS0 earlyprintk=serial,ttyS0 reboot=k panic=-1 pci=off " \
	"i8042.noaux i8042.nomux i8042.dumbkbd"
#define VM_MAX_CPUS		64
#define VM_MAX_DISKS		8
#define VM_MAX_NETS		4
#define VM_MAX_VIRTIO		8	/* one ISA IRQ each (layout.h) */
#define VM_PATH_MAX		4096

struct disk_cfg {
	char path[VM_PATH_MAX];
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
	const char *report;		/* --report FILE, or NULL */
	const char *kvm_path;
	struct disk_cfg disks[VM_MAX_DISKS];
	unsigned int nr_disks;
	struct net_cfg nets[VM_MAX_NETS];
	unsigned int nr_nets;
	bool rng;
};

#endif
