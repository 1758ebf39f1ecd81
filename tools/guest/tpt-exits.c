/* SPDX-License-Identifier: MIT */
/*
 * tpt-exits: an event driver for counting VM exits per guest event.
 * Static, runs in the test bed's busybox L2.
 *
 *   tpt-exits [-c CPU] [-r ROUNDS] [-n N] [-z N0] [-p PEER] [-M] EVENT...
 *
 * For each EVENT it runs ROUNDS pairs of windows on CPU (default: the
 * last one): a window with N0 repetitions of the event, then one with N.
 * A window is bracketed by two writes to tptvmm's debug-mark port
 * (0x500): the begin mark's value names the event and the window size
 * (0xc0 + 2 * id + (1 for N, 0 for N0)), the end mark is 0xbf. The host
 * (tools/testbed/exits-trace.sh in L1) counts the VM exits between the
 * marks; (exits with N - exits with N0) / (N - N0) is then what one event
 * costs, the marks, the loop and any other fixed cost cancelled. Windows
 * are short and repeated so that some hold no timer tick or other noise;
 * the host takes the quietest.
 *
 * Events (id):
 *   syscall (0)  getppid(): one user -> kernel -> user round trip
 *   fault   (1)  a write to a fresh anonymous 4K page: one user-mode page
 *                fault (its page table exists: the window's region is
 *                mapped, and its first page touched, before the window)
 *   tick    (2)  one timer tick taken in user mode: the window spins on
 *                CLOCK_MONOTONIC_COARSE (vDSO, no system call), which
 *                moves once per tick, and lasts N resp. N0 moves
 *   signal  (3)  kill(self, SIGUSR1), the handler, rt_sigreturn
 *   ctxsw   (4)  one pipe ping-pong round with a forked child (a TPT
 *                process too, when this one is) on the same CPU, both
 *                SCHED_FIFO: two context switches, four kernel entries
 *                (two of them block) and four returns
 *   ctxsw-normal (5)  the same with a child that exec'd PEER (default
 *                /tmp/exits-peer, a link to this program under a name
 *                task_name does not list: a normal process)
 *   ipi     (6)  mprotect(PROT_READ) of a written page while a second
 *                thread spins in user mode on another CPU (a TLB
 *                shootdown to that CPU), then mprotect(PROT_READ |
 *                PROT_WRITE) (an upgrade: no flush)
 *   drift   (7)  a write to tptvmm's debug port 0x502 (the VMM reads and
 *                writes back the vCPU's nested state: KVM drops a TPT
 *                arm behind the guest's back), then getppid(): the
 *                guest kernel sees the drop in its arm word on the way
 *                back to user mode and arms the vCPU again
 *
 * Prints one line per event before its windows:
 *   tpt-exits: event=NAME id=I n=N n0=N0 rounds=R cpu=C
 * and "tpt-exits: done" at the end. -M runs without the marks (a dry run
 * outside tptvmm). Exit status 0, 1 on a failure (said
 * on stderr), 2 for bad usage. Needs root (ioperm for the marks).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARK_PORT	0x500
#define STATE_PORT	0x502	/* tptvmm: KVM_GET/SET_SREGS round trip */
#define MARK_END	0xbf
#define MARK_BEGIN	0xc0
#define PAGE		4096UL
#define REGION		(2UL << 20)

static const char *const events[] = {
	"syscall", "fault", "tick", "signal", "ctxsw", "ctxsw-normal", "ipi",
	"drift",
};
#define NR_EVENTS (sizeof(events) / sizeof(events[0]))

static int cpu = -1, marks = 1;
static const char *peer_path = "/tmp/exits-peer";
static volatile sig_atomic_t handled;
static pid_t self;	/* getpid() is a system call: not in the window */

static void die(const char *what)
{
	fprintf(stderr, "tpt-exits: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void mark(unsigned char v)
{
	if (marks)
		outb(v, MARK_PORT);
}

static void pin(int c)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(c, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

/* --- fault: one fresh 2 MiB-aligned region per window ---------------- */
static char *region;

static void fault_prepare(long n)
{
	char *p;

	if ((unsigned long)(n + 1) * PAGE > REGION) {
		errno = EINVAL;
		die("fault: N must be below 512");
	}
	p = mmap(NULL, 2 * REGION, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	region = (char *)(((uintptr_t)p + REGION - 1) & ~(REGION - 1));
	if (madvise(region, REGION, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");
	/* The page table (and under TPT its companion) exist from here. */
	*(volatile char *)region = 1;
	region = p;
}

static void fault_done(void)
{
	munmap(region, 2 * REGION);
}

/* --- tick: CLOCK_MONOTONIC_COARSE moves once per tick ------------------ */
static long coarse(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_nsec;
}

static void wait_ticks(long n)
{
	long t = coarse();

	while (n > 0) {
		long u = coarse();

		if (u != t) {
			t = u;
			n--;
		}
	}
}

/* --- ctxsw: a pipe ping-pong peer on the same CPU ------------------- */
static int to_peer = -1, from_peer = -1;
static pid_t peer;

/*
 * Both run SCHED_FIFO at the same priority: a wakeup never preempts the
 * waker, so each round is the same sequence (the driver writes, blocks
 * in read; the peer returns from its read, writes, blocks in read; the
 * driver returns), and between windows the peer always waits in read().
 * Under SCHED_OTHER whether a wakeup preempts varies, and with it where
 * the peer's next kernel entry falls, inside a window or after it.
 * (sched_yield() under SCHED_OTHER does not always switch either.)
 */
static int peer_loop(int in, int out)
{
	char c;

	while (read(in, &c, 1) == 1)
		if (write(out, &c, 1) != 1)
			return 1;
	return 0;
}

static void peer_start(int normal)
{
	struct sched_param sp = { .sched_priority = 1 };
	int a[2], b[2];

	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		die("sched_setscheduler(SCHED_FIFO)");
	if (pipe(a) || pipe(b))
		die("pipe");
	peer = fork();
	if (peer < 0)
		die("fork");
	if (peer == 0) {
		char in[16], out[16];

		close(a[1]);
		close(b[0]);
		if (!normal)
			_exit(peer_loop(a[0], b[1]));
		snprintf(in, sizeof(in), "%d", a[0]);
		snprintf(out, sizeof(out), "%d", b[1]);
		execl(peer_path, peer_path, "--peer", in, out, (char *)NULL);
		fprintf(stderr, "tpt-exits: exec %s: %s\n", peer_path, strerror(errno));
		_exit(1);
	}
	close(a[0]);
	close(b[1]);
	to_peer = a[1];
	from_peer = b[0];
}

static void pingpong(void)
{
	char c = 'x';

	if (write(to_peer, &c, 1) != 1 || read(from_peer, &c, 1) != 1)
		die("ping-pong with the peer");
}

static void peer_stop(void)
{
	struct sched_param sp = { .sched_priority = 0 };
	int st;

	close(to_peer);
	close(from_peer);
	if (waitpid(peer, &st, 0) != peer || !WIFEXITED(st) || WEXITSTATUS(st)) {
		errno = ECHILD;
		die("the ping-pong peer failed");
	}
	if (sched_setscheduler(0, SCHED_OTHER, &sp))
		die("sched_setscheduler(SCHED_OTHER)");
}

/* --- ipi: a spinner on another CPU keeps the mm live there ------------- */
static atomic_int spin_state;	/* 0 stop, 1 run, 2 spinning */
static char *ipi_page;
static pthread_t spinner;

static void *spin(void *arg)
{
	(void)arg;
	pin(cpu == 0 ? 1 : 0);
	atomic_store(&spin_state, 2);
	while (atomic_load_explicit(&spin_state, memory_order_relaxed))
		;
	return NULL;
}

static void ipi_start(void)
{
	ipi_page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ipi_page == MAP_FAILED)
		die("mmap");
	atomic_store(&spin_state, 1);
	errno = pthread_create(&spinner, NULL, spin, NULL);
	if (errno)
		die("pthread_create");
	while (atomic_load(&spin_state) != 2)
		;
}

static void shootdown(void)
{
	ipi_page[0]++;
	if (mprotect(ipi_page, PAGE, PROT_READ) ||
	    mprotect(ipi_page, PAGE, PROT_READ | PROT_WRITE))
		die("mprotect");
}

static void ipi_stop(void)
{
	atomic_store(&spin_state, 0);
	pthread_join(spinner, NULL);
	munmap(ipi_page, PAGE);
}

/* One window: N repetitions of event @id between the marks (big < 0: a
 * warm-up without marks). */
static void window(unsigned int id, long n, int big)
{
	long i;

	switch (id) {
	case 1:
		fault_prepare(n);
		break;
	case 2:
		wait_ticks(1);	/* start right after a tick */
		break;
	}
	if (big >= 0)
		mark((unsigned char)(MARK_BEGIN + 2 * id + (unsigned int)big));
	switch (id) {
	case 0:
		for (i = 0; i < n; i++)
			syscall(SYS_getppid);
		break;
	case 1: {
		char *p = (char *)(((uintptr_t)region + REGION - 1) & ~(REGION - 1));

		for (i = 1; i <= n; i++)
			p[i * PAGE] = 1;
		break;
	}
	case 2:
		wait_ticks(n);
		break;
	case 3:
		for (i = 0; i < n; i++)
			kill(self, SIGUSR1);
		break;
	case 4:
	case 5:
		for (i = 0; i < n; i++)
			pingpong();
		break;
	case 6:
		for (i = 0; i < n; i++)
			shootdown();
		break;
	case 7:
		for (i = 0; i < n; i++) {
			if (marks)
				outb(1, STATE_PORT);
			syscall(SYS_getppid);
		}
		break;
	}
	if (big >= 0)
		mark(MARK_END);
	if (id == 1)
		fault_done();
}

static int usage(void)
{
	fprintf(stderr, "usage: tpt-exits [-c CPU] [-r ROUNDS] [-n N] [-z N0] [-p PEER] [-M] EVENT...\n"
		"events: syscall fault tick signal ctxsw ctxsw-normal ipi drift\n");
	return 2;
}

static long number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v < min || v > max)
		return -1;
	return v;
}

int main(int argc, char **argv)
{
	long rounds = 20, n = 4, n0 = 1;
	struct sigaction sa;
	int opt;

	if (argc == 4 && !strcmp(argv[1], "--peer"))
		return peer_loop(atoi(argv[2]), atoi(argv[3]));
	while ((opt = getopt(argc, argv, "c:r:n:z:p:M")) != -1) {
		switch (opt) {
		case 'c': cpu = (int)number(optarg, 0, CPU_SETSIZE - 1); if (cpu < 0) return usage(); break;
		case 'r': rounds = number(optarg, 1, 10000); if (rounds < 0) return usage(); break;
		case 'n': n = number(optarg, 1, 100000); if (n < 0) return usage(); break;
		case 'z': n0 = number(optarg, 0, 100000); if (n0 < 0) return usage(); break;
		case 'p': peer_path = optarg; break;
		case 'M': marks = 0; break;
		default: return usage();
		}
	}
	if (optind == argc || n0 >= n)
		return usage();
	for (int i = optind; i < argc; i++) {
		unsigned int id = 0;

		while (id < NR_EVENTS && strcmp(argv[i], events[id]))
			id++;
		if (id == NR_EVENTS)
			return usage();
	}
	if (cpu < 0)
		cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
	if (marks && ioperm(MARK_PORT, STATE_PORT - MARK_PORT + 1, 1))
		die("ioperm");
	pin(cpu);
	self = getpid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGUSR1, &sa, NULL))
		die("sigaction");
	for (int i = optind; i < argc; i++) {
		unsigned int id = 0;

		while (strcmp(argv[i], events[id]))
			id++;
		if (id == 6 && sysconf(_SC_NPROCESSORS_ONLN) < 2) {
			fprintf(stderr, "tpt-exits: ipi needs two CPUs\n");
			return 1;
		}
		printf("tpt-exits: event=%s id=%u n=%ld n0=%ld rounds=%ld cpu=%d\n",
		       events[id], id, n, n0, rounds, cpu);
		fflush(stdout);
		if (id == 4 || id == 5)
			peer_start(id == 5);
		if (id == 6)
			ipi_start();
		handled = 0;
		/* A warm-up window without marks: code and data paged in. */
		window(id, n, -1);
		for (long r = 0; r < rounds; r++) {
			window(id, n0, 0);
			window(id, n, 1);
		}
		if (id == 3 && handled != (n0 + n) * rounds + n) {
			fprintf(stderr, "tpt-exits: %ld signals handled, %ld sent\n",
				(long)handled, (n0 + n) * rounds + n);
			return 1;
		}
		if (id == 4 || id == 5)
			peer_stop();
		if (id == 6)
			ipi_stop();
	}
	printf("tpt-exits: done\n");
	return 0;
}
