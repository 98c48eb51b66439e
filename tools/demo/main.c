// SPDX-License-Identifier: GPL-2.0
/*
 * gpool-demo: main(), the options, the output helpers and the summary.
 * How the demo runs: demo.h.
 */
#include "demo.h"

bool quiet;

/* ---------------------------------------------------------------- output */

void __printf(1, 2) say(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* say(), or printf() if @always: for what the summary shows even with -q. */
void __printf(2, 3) out(bool always, const char *fmt, ...)
{
	va_list ap;

	if (quiet && !always)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void __printf(1, 2) pr_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("gpool-demo: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Like pr_err(), with ": strerror(errno)" appended. */
void __printf(1, 2) pr_sys(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fflush(stdout);
	fputs("gpool-demo: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
}

double now_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void fmt_ll(char *buf, size_t len, long long v)
{
	if (v < 0)
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%lld", v);
}

void fmt_delta(char *buf, size_t len, long long a, long long b)
{
	if (a < 0 || b < 0)
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%+lld", b - a);
}

/* ----------------------------------------------------------------- files */

/* Read a small text file; newlines become spaces, trailing blanks dropped. */
static int read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = errno;
	if (close(fd) < 0 && n >= 0)
		return -errno;
	if (n < 0)
		return -err;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\n' || buf[i] == '\t')
			buf[i] = ' ';
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
	return 0;
}

long long read_ll(const char *path)
{
	char buf[64], *end;
	long long v;

	if (read_text(path, buf, sizeof(buf)))
		return -1;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || end == buf || v < 0)
		return -1;
	return v;
}

bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* "64M", "1G", "4096": bytes; K/M/G suffix. */
static int parse_size(const char *s, __u64 *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case '\0':
		break;
	default:
		return -1;
	}
	if (shift && end[1] != '\0')
		return -1;
	if (v > (~0ULL >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

/* ------------------------------------------------------------- summary */

/*
 * The pool after the run, what changed, and whether every unit the run
 * allocated or reserved went back.  Returns false if not, or if the pool
 * could not be read.
 */
static bool print_pool_summary(const struct pool_snap *before,
			       const struct pool_snap *after)
{
	char why[160];

	if (!before->present) {
		printf("gpool: %s not present\n", GPOOL_SYSFS_DIR);
		return true;
	}
	if (before->present < 0 || after->present <= 0) {
		printf("pool: cannot tell whether all memory was returned: error reading %s\n",
		       GPOOL_SYSFS_DIR);
		return false;
	}
	pool_print_table(true, "gpool", "after the run (VM and guest_memfd closed)",
			 after);
	printf("gpool changes over the run:\n");
	pool_print_changes(true, "gpool", before, after);
	if (!pool_returned(before, after, why, sizeof(why))) {
		printf("pool: NOT all memory returned: %s\n", why);
		return false;
	}
	printf("pool: all memory returned\n");
	return true;
}

static void print_summary(const struct vm *vm, const struct phase *ph, int n,
			  double total_ms)
{
	double guest = 0, vmm = 0;
	unsigned long ue = 0;
	long long ke = 0;
	char v[4][24];

	printf("\n==== gpool-demo summary\n");
	if (!vm->backing) {
		printf("slot 1: not set up\n");
	} else {
		printf("slot 1: %llu MiB guest_memfd at GPA %#llx (%llu pages), R at GPA %#llx\n",
		       vm->size / MiB, SLOT1_GPA, pages(vm->size),
		       SLOT1_GPA + CONV_OFF);
		printf("backing: %s", vm->backing);
		if (vm->gpool)
			printf(", folio_shift %u (%s folios)", vm->folio_shift,
			       folio_name(vm->folio_shift));
		printf("\n");
	}
	printf("stats: %s\n", !vm->stats_dir[0] ? "not available" :
	       vm->stats_per_vm ? vm->stats_dir : KVM_DEBUGFS " (GLOBAL, all VMs)");
	if (!n) {
		printf("no phase completed\n");
		goto out;
	}
	printf("%-18s %10s %9s %6s %9s %9s %8s %8s  %s\n", "phase", "guest ms",
	       "vmm ms", "uexits", "kexits", "pages_4k", "pages_2m", "pages_1g",
	       "result");
	for (int i = 0; i < n; i++) {
		const struct phase *p = &ph[i];
		char vmm_ms[16];

		fmt_delta(v[0], sizeof(v[0]), p->before.v[ST_EXITS],
			  p->after.v[ST_EXITS]);
		for (int j = 0; j < 3; j++)
			fmt_ll(v[j + 1], sizeof(v[j + 1]), p->after.v[ST_4K + j]);
		if (p->vmm_ms < 0)
			snprintf(vmm_ms, sizeof(vmm_ms), "-");
		else
			snprintf(vmm_ms, sizeof(vmm_ms), "%.3f", p->vmm_ms);
		printf("%-18s %10.3f %9s %6lu %9s %9s %8s %8s  %s",
		       p->name, p->guest_ms, vmm_ms, p->uexits, v[0], v[1], v[2],
		       v[3], p->bad || p->fail[0] ? "FAIL" : "ok");
		if (p->bad)
			printf(" (%lu bad pages)", p->bad);
		if (p->fail[0])
			printf(" (%s)", p->fail);
		printf("\n");
		guest += p->guest_ms;
		vmm += p->vmm_ms > 0 ? p->vmm_ms : 0;
		ue += p->uexits;
		if (ke >= 0 && p->before.v[ST_EXITS] >= 0 && p->after.v[ST_EXITS] >= 0)
			ke += p->after.v[ST_EXITS] - p->before.v[ST_EXITS];
		else
			ke = -1;
	}
	fmt_ll(v[0], sizeof(v[0]), ke);
	printf("%-18s %10.3f %9.3f %6lu %9s\n", "total (phases)", guest, vmm, ue,
	       v[0]);
out:
	printf("VMM exits in total (incl. start-up and halt): %lu; wall time %.3f ms\n",
	       vm->uexits, total_ms);
}

/* ----------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gpool-demo [-s SIZE] [-f SHIFT | -P] [-O | -I] [-q] [-h]\n"
		"  -s SIZE   guest_memfd slot size, suffix K/M/G, multiple of 2M,\n"
		"            %lluM..%lluM (default %lluM with the pool, %lluM without)\n"
		"  -f SHIFT  pool folio_shift: 30 (1G, default), 21 (2M) or 12 (4K);\n"
		"            needs GUEST_MEMFD_FLAG_GPOOL\n"
		"  -P        plain guest_memfd even if KVM offers GUEST_MEMFD_FLAG_GPOOL\n"
		"  -O        an ordinary VM whose memory is all shared guest_memfd,\n"
		"            mapped by the VMM (GUEST_MEMFD_FLAG_MMAP | _INIT_SHARED)\n"
		"  -I        a SW_PROTECTED VM whose guest_memfd converts in place\n"
		"            (KVM_SET_MEMORY_ATTRIBUTES2), contents kept\n"
		"  -q        quiet: print only the summary\n"
		"  -h        this help\n",
		SLOT1_MIN_SIZE / MiB, SLOT1_MAX_SIZE / MiB,
		SLOT1_DEFAULT_POOL / MiB, SLOT1_DEFAULT_PLAIN / MiB);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	unsigned long v;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt(argc, argv, "s:f:POIqh")) != -1) {
		switch (c) {
		case 's':
			if (parse_size(optarg, &o->size)) {
				pr_err("invalid size '%s'", optarg);
				return -1;
			}
			if (o->size % SLOT1_ALIGN || o->size < SLOT1_MIN_SIZE ||
			    o->size > SLOT1_MAX_SIZE) {
				pr_err("size %llu must be a multiple of 2M in [%lluM, %lluM]",
				       o->size, SLOT1_MIN_SIZE / MiB,
				       SLOT1_MAX_SIZE / MiB);
				return -1;
			}
			break;
		case 'f':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end ||
			    (v != GPOOL_FOLIO_SHIFT_1G && v != GPOOL_FOLIO_SHIFT_2M &&
			     v != GPOOL_FOLIO_SHIFT_4K)) {
				pr_err("invalid folio shift '%s': 30, 21 or 12", optarg);
				return -1;
			}
			o->folio_shift = v;
			break;
		case 'P':
			o->plain = true;
			break;
		case 'O':
			o->ordinary = true;
			break;
		case 'I':
			o->in_place = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		pr_err("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return -1;
	}
	if (o->plain && o->folio_shift) {
		pr_err("-f and -P exclude each other");
		return -1;
	}
	if (o->ordinary && o->in_place) {
		pr_err("-O and -I exclude each other");
		return -1;
	}
	return 0;
}

static int vm_setup(struct vm *vm, const struct opts *o)
{
	vm->ordinary = o->ordinary;
	vm->in_place = o->in_place;
	if (vm_open_kvm(vm) || vm_check_caps(vm->kvm_fd, true, o->ordinary) ||
	    vm_create(vm) || vm_choose_backing(vm, o) || vm_setup_slot0(vm) ||
	    vm_setup_slot1(vm) || vm_create_vcpu(vm))
		return -1;
	stats_locate(vm);
	return 0;
}

static int run_phases(struct vm *vm, struct phase *ph, int *nr)
{
	int (*const fn[])(struct vm *, struct phase *) = {
		phase_write, phase_verify, phase_to_shared, phase_to_private,
		phase_final,
	};
	int (*const ofn[])(struct vm *, struct phase *) = {
		phase_write, phase_verify, phase_o_vmm, phase_o_punch,
		phase_o_refill,
	};
	int (*const ifn[])(struct vm *, struct phase *) = {
		phase_write, phase_verify, phase_i_to_shared, phase_i_to_private,
		phase_final,
	};
	int (*const *run)(struct vm *, struct phase *) =
		vm->ordinary ? ofn : vm->in_place ? ifn : fn;

	BUILD_BUG_ON(ARRAY_SIZE(fn) != ARRAY_SIZE(ofn));
	BUILD_BUG_ON(ARRAY_SIZE(fn) != ARRAY_SIZE(ifn));
	for (*nr = 0; *nr < (int)ARRAY_SIZE(fn); (*nr)++)
		if (run[*nr](vm, &ph[*nr]))
			return -1;
	say("\n[guest] halt\n");
	return guest_cmd(vm, NULL, GCMD_HALT, 0, 0, 0, NULL);
}

int main(int argc, char **argv)
{
	struct vm vm = { .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1, .gmem_fd = -1 };
	/* Static: each phase holds two pool snapshots. */
	static struct pool_snap pool_before, pool_after;
	static struct phase ph[5];
	const char *why = "see the error above";
	int nr = 0, ret = 1;
	struct utsname u;
	struct opts o;
	double t0;

	if (parse_args(argc, argv, &o))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (uname(&u) < 0) {
		pr_sys("uname");
		return 1;
	}
	say("gpool-demo: guest_memfd private/shared demo, pid %d, kernel %s\n\n",
	    (int)getpid(), u.release);

	if (pool_read(&pool_before) > 0) {
		vm.pool_present = true;
		pool_print_table(false, "[pool]", "before the run", &pool_before);
	} else if (!pool_before.present) {
		say("[pool] %s not present (no gpool in this kernel); continuing\n",
		    GPOOL_SYSFS_DIR);
	}
	say("\n");

	t0 = now_ms();
	if (vm_setup(&vm, &o) || guest_wait_ready(&vm) ||
	    run_phases(&vm, ph, &nr))
		goto out;
	ret = 0;
	for (int i = 0; i < nr; i++) {
		if (ph[i].bad) {
			why = "data mismatch, see above";
			ret = 1;
		} else if (ph[i].fail[0] && !ret) {
			why = ph[i].fail;
			ret = 1;
		}
	}
out:
	/* Close the VM and the guest_memfd first: they hold the pool's units. */
	if (vm_destroy(&vm) && !ret) {
		why = "teardown error, see above";
		ret = 1;
	}
	if (pool_before.present > 0)
		pool_read(&pool_after);
	print_summary(&vm, ph, nr, now_ms() - t0);
	if (!print_pool_summary(&pool_before, &pool_after) && !ret) {
		why = "pool memory not returned";
		ret = 1;
	}
	printf("result: %s\n", ret ? "FAIL" : "PASS");
	if (ret)
		fprintf(stderr, "gpool-demo: FAILED (%s)\n", why);
	return ret;
}
