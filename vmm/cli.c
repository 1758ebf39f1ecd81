/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "tpt_abi.h"
#include "util.h"
#include "virtio_net.h"
#include "version.h"

void cli_usage(FILE *out)
{
	fprintf(out,
"Usage: tptvmm --kernel FILE [options]\n"
"       tptvmm --raw FILE [--raw-mode real|long] [--raw-addr ADDR] [options]\n"
"\n"
"Boots a Linux kernel (bzImage via the 64-bit boot protocol >= 2.12, or an\n"
"uncompressed ELF vmlinux) directly on /dev/kvm, with COM1 on this terminal.\n"
"\n"
"Guest:\n"
"  --kernel FILE        Linux bzImage or ELF vmlinux\n"
"  --initrd FILE        initial ramdisk, placed below the kernel's initrd_addr_max\n"
"  --cmdline STR        kernel command line (replaces the default:\n"
"                       \"%s\")\n"
"  --mem SIZE           guest RAM, with K/M/G/T suffix (default 512M; min 32M,\n"
"                       multiple of 1M, at most the host's RAM)\n"
"  --cpus N             vCPUs, one thread each (default 1, at most %d)\n"
"  --hugepages          back guest RAM with 2 MiB hugetlbfs pages\n"
"  --prefault           populate and lock all guest RAM at start\n"
"  --tpt[=verify|trust] enable Translation Pass-Through (needs the patched KVM\n"
"                       from host_kernel/ and CAP_SYS_RAWIO; default mode:\n"
"                       verify)\n"
"\n"
"Devices (virtio-mmio, announced on the kernel command line; at most %d; with\n"
"--raw, device n sits at 0xd0000000 + n * 0x1000: disks, then nets, then rng):\n"
"  --disk PATH[,ro]     virtio-blk on a raw image or block device (repeatable,\n"
"                       at most %d; PATH without commas); first is /dev/vda\n"
"  --net tap=NAME[,mac=MAC]\n"
"                       virtio-net on tap interface NAME (repeatable, at most\n"
"                       %d); create it first: ip tuntap add dev NAME mode tap\n"
"  --rng                virtio-rng, fed from getrandom(2)\n"
"\n"
"Tiny test guests:\n"
"  --raw FILE           load a flat binary instead of a kernel\n"
"  --raw-addr ADDR      where to load it (default 0x%llx, 16-byte aligned)\n"
"  --raw-mode MODE      start in 'real' (16-bit, CS:IP = ADDR>>4:0) or 'long'\n"
"                       (64-bit, identity-mapped 4 GiB) mode (default real)\n"
"\n"
"Other:\n"
"  --kvm-device PATH    KVM device node (default /dev/kvm)\n"
"  --quiet              no exit summary on stderr\n"
"  --report FILE        write a JSON report at exit (status, reason, times,\n"
"                       devices and their counters, TPT statistics; fields in\n"
"                       vmm/README.md); FILE is created or truncated at start\n"
"  --timeout SECONDS    end the VM with status 12 if the guest has not ended\n"
"                       by then (1..604800; default: no limit)\n"
"  -h, --help           this text\n"
"  -V, --version        version\n"
"\n"
"Console: guest COM1 on stdin/stdout; on a terminal, Ctrl-A x quits and\n"
"Ctrl-A a sends Ctrl-A.\n"
"Guest debug ports: outb V to 0x%x prints a timestamped mark on stderr;\n"
"outb V to 0x%x ends the VM (status 0 if V is 0, else 10); outb V to 0x%x\n"
"reads and writes back the vCPU's nested state (KVM_GET/SET_NESTED_STATE, as\n"
"a VMM saving state would: KVM drops a TPT arm then; for tests).\n"
"\n"
"Exit status: 0 guest powered off / debug-exit 0, 1 error, 2 usage,\n"
"3 guest reboot, 4 triple fault, 5 guest kernel panic, 6 Ctrl-A x,\n"
"7 killed by signal, 10 debug-exit non-zero, 11 guest halted for good,\n"
"12 --timeout reached.\n"
"After Ctrl-A x, a signal or --timeout, stderr shows where each vCPU stopped (rip, rsp,\n"
"rflags, halted): the first clue to a guest that hangs.\n",
		DEFAULT_CMDLINE, VM_MAX_CPUS, VM_MAX_VIRTIO, VM_MAX_DISKS, VM_MAX_NETS,
		(unsigned long long)RAW_LOAD_ADDR_DEFAULT, DEBUG_MARK_PORT, DEBUG_EXIT_PORT,
		DEBUG_STATE_PORT);
}

enum {
	OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_MEM, OPT_CPUS, OPT_TPT,
	OPT_HUGE, OPT_PREFAULT, OPT_RAW, OPT_RAW_ADDR, OPT_RAW_MODE, OPT_KVM,
	OPT_QUIET, OPT_DISK, OPT_NET, OPT_RNG, OPT_TIMEOUT, OPT_REPORT,
};

static const struct option opts[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "tpt", optional_argument, NULL, OPT_TPT },
	{ "hugepages", no_argument, NULL, OPT_HUGE },
	{ "prefault", no_argument, NULL, OPT_PREFAULT },
	{ "raw", required_argument, NULL, OPT_RAW },
	{ "raw-addr", required_argument, NULL, OPT_RAW_ADDR },
	{ "raw-mode", required_argument, NULL, OPT_RAW_MODE },
	{ "kvm-device", required_argument, NULL, OPT_KVM },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "net", required_argument, NULL, OPT_NET },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_disk(const char *arg, struct vm_config *cfg, struct err *e)
{
	struct disk_cfg *d;
	const char *comma = strchr(arg, ',');
	size_t len = comma ? (size_t)(comma - arg) : strlen(arg);

	if (cfg->nr_disks >= VM_MAX_DISKS)
		return err_set(e, "--disk: at most %d disks", VM_MAX_DISKS);
	d = &cfg->disks[cfg->nr_disks];
	if (!len)
		return err_set(e, "--disk: '%s' has no path (use --disk PATH[,ro])", arg);
	if (len >= sizeof(d->path))
		return err_set(e, "--disk: path longer than %d bytes", VM_PATH_MAX - 1);
	memcpy(d->path, arg, len);
	d->path[len] = 0;
	d->ro = false;
	if (comma) {
		if (strcmp(comma + 1, "ro"))
			return err_set(e, "--disk: unknown option '%s' after the path (only 'ro')", comma + 1);
		d->ro = true;
	}
	cfg->nr_disks++;
	return 0;
}

static int parse_net(const char *arg, struct vm_config *cfg, struct err *e)
{
	struct net_cfg *n;
	const char *p = arg;

	if (cfg->nr_nets >= VM_MAX_NETS)
		return err_set(e, "--net: at most %d network devices", VM_MAX_NETS);
	n = &cfg->nets[cfg->nr_nets];
	memset(n, 0, sizeof(*n));
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char item[64];

		if (len >= sizeof(item))
			return err_set(e, "--net: '%.*s...' is too long", 20, p);
		memcpy(item, p, len);
		item[len] = 0;
		if (!strncmp(item, "tap=", 4)) {
			if (len - 4 < 1 || len - 4 >= sizeof(n->tap))
				return err_set(e, "--net: tap name '%s' must have 1 to %zu characters",
					       item + 4, sizeof(n->tap) - 1);
			memcpy(n->tap, item + 4, len - 4 + 1);
		} else if (!strncmp(item, "mac=", 4)) {
			if (virtio_net_parse_mac(item + 4, n->mac))
				return err_set(e, "--net: '%s' is not a unicast MAC like 52:54:00:12:34:56",
					       item + 4);
			n->has_mac = true;
		} else {
			return err_set(e, "--net: unknown item '%s' (use tap=NAME[,mac=MAC])", item);
		}
		p += len;
		if (*p)
			p++;
	}
	if (!n->tap[0])
		return err_set(e, "--net: '%s' names no tap (use tap=NAME[,mac=MAC])", arg);
	cfg->nr_nets++;
	return 0;
}

enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg,
			  uint64_t host_ram, FILE *out, struct err *e)
{
	uint64_t v;
	int c;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mem = DEFAULT_MEM;
	cfg->cpus = 1;
	cfg->cmdline = DEFAULT_CMDLINE;
	cfg->raw_addr = RAW_LOAD_ADDR_DEFAULT;
	cfg->raw_mode = START_REAL16;
	cfg->kvm_path = "/dev/kvm";
	cfg->tpt_mode = KVM_TPT_MODE_VERIFY;

	optind = 0;	/* full reset: parse may run several times (tests) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", opts, NULL)) != -1) {
		switch (c) {
		case OPT_KERNEL:
			cfg->kernel = optarg;
			break;
		case OPT_INITRD:
			cfg->initrd = optarg;
			break;
		case OPT_CMDLINE:
			cfg->cmdline = optarg;
			break;
		case OPT_MEM:
			if (parse_size(optarg, &cfg->mem))
				return err_set(e, "--mem: '%s' is not a size (use e.g. 512M or 8G)", optarg), CLI_ERROR;
			break;
		case OPT_CPUS:
			if (parse_u64(optarg, &v) || v < 1 || v > VM_MAX_CPUS)
				return err_set(e, "--cpus: '%s' is not a number from 1 to %d", optarg, VM_MAX_CPUS), CLI_ERROR;
			cfg->cpus = (unsigned int)v;
			break;
		case OPT_TPT:
			cfg->tpt = true;
			if (!optarg || !strcmp(optarg, "verify"))
				cfg->tpt_mode = KVM_TPT_MODE_VERIFY;
			else if (!strcmp(optarg, "trust"))
				cfg->tpt_mode = KVM_TPT_MODE_TRUST;
			else
				return err_set(e, "--tpt: mode '%s' is neither 'verify' nor 'trust'", optarg), CLI_ERROR;
			break;
		case OPT_HUGE:
			cfg->hugepages = true;
			break;
		case OPT_PREFAULT:
			cfg->prefault = true;
			break;
		case OPT_RAW:
			cfg->raw = optarg;
			break;
		case OPT_RAW_ADDR:
			if (parse_u64(optarg, &v) || v % 16 || v >= MMIO_HOLE_START)
				return err_set(e, "--raw-addr: '%s' is not a 16-byte aligned address below 3 GiB", optarg), CLI_ERROR;
			cfg->raw_addr = v;
			break;
		case OPT_RAW_MODE:
			if (!strcmp(optarg, "real"))
				cfg->raw_mode = START_REAL16;
			else if (!strcmp(optarg, "long"))
				cfg->raw_mode = START_LONG64;
			else
				return err_set(e, "--raw-mode: '%s' is neither 'real' nor 'long'", optarg), CLI_ERROR;
			break;
		case OPT_KVM:
			cfg->kvm_path = optarg;
			break;
		case OPT_QUIET:
			cfg->quiet = true;
			break;
		case OPT_DISK:
			if (parse_disk(optarg, cfg, e))
				return CLI_ERROR;
			break;
		case OPT_NET:
			if (parse_net(optarg, cfg, e))
				return CLI_ERROR;
			break;
		case OPT_RNG:
			cfg->rng = true;
			break;
		case OPT_TIMEOUT:
			if (parse_u64(optarg, &v) || v < 1 || v > 604800)
				return err_set(e, "--timeout: '%s' is not a number of seconds from 1 to 604800", optarg), CLI_ERROR;
			cfg->timeout_s = (unsigned int)v;
			break;
		case OPT_REPORT:
			if (!*optarg)
				return err_set(e, "--report: needs a file name"), CLI_ERROR;
			cfg->report = optarg;
			break;
		case 'h':
			cli_usage(out);
			return CLI_EXIT_OK;
		case 'V':
			fprintf(out, "tptvmm %s\n", TPTVMM_VERSION);
			return CLI_EXIT_OK;
		case ':':
			return err_set(e, "option '%s' needs a value", argv[optind - 1]), CLI_ERROR;
		default:
			return err_set(e, "unknown option '%s' (see --help)", argv[optind - 1]), CLI_ERROR;
		}
	}
	if (optind < argc)
		return err_set(e, "unexpected argument '%s' (see --help)", argv[optind]), CLI_ERROR;
	if (!cfg->kernel && !cfg->raw)
		return err_set(e, "no guest given: use --kernel FILE (or --raw FILE); see --help"), CLI_ERROR;
	if (cfg->kernel && cfg->raw)
		return err_set(e, "--kernel and --raw exclude each other"), CLI_ERROR;
	if (cfg->raw && cfg->initrd)
		return err_set(e, "--initrd needs --kernel"), CLI_ERROR;
	if (cfg->nr_disks + cfg->nr_nets + (cfg->rng ? 1 : 0) > VM_MAX_VIRTIO)
		return err_set(e, "at most %d virtio devices in all (--disk, --net, --rng)", VM_MAX_VIRTIO), CLI_ERROR;
	if (cfg->mem < GUEST_MEM_MIN)
		return err_set(e, "--mem: %llu MiB is too small (minimum %llu MiB)",
			       (unsigned long long)(cfg->mem >> 20),
			       (unsigned long long)(GUEST_MEM_MIN >> 20)), CLI_ERROR;
	if (cfg->mem % GUEST_MEM_ALIGN)
		return err_set(e, "--mem: must be a multiple of 1M"), CLI_ERROR;
	if (host_ram && cfg->mem > host_ram)
		return err_set(e, "--mem: %llu MiB is more than this host's %llu MiB of RAM",
			       (unsigned long long)(cfg->mem >> 20),
			       (unsigned long long)(host_ram >> 20)), CLI_ERROR;
	if (cfg->hugepages && cfg->mem % (2ULL << 20))
		return err_set(e, "--hugepages: --mem must be a multiple of 2M"), CLI_ERROR;
	return CLI_RUN;
}
