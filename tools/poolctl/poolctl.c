// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl - show and change gpool, the boot-reserved guest-memory pool.
 *
 *	poolctl [OPTION...] [COMMAND [ARG...]]
 *
 * This file has main, the global options and the command table, nothing
 * else; each command lives in a cmd_*.c file.  See poolctl.8.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "poolctl.h"

#ifndef POOLCTL_VERSION
#define POOLCTL_VERSION "unknown"
#endif

static int cmd_help(const struct poolctl *pc, int argc, char **argv);

static const struct pc_command pc_commands[] = {
	{ "show", cmd_show, "[NODES]",
	  "summary and per-node table (the default command)" },
	{ "stat", cmd_stat, "[NODES]",
	  "every counter as 'name value', one per line" },
	{ "files", cmd_files, "",
	  "the guest_memfds backed by the pool" },
	{ "ps", cmd_files, "",
	  "the same as files" },
	{ "grow", cmd_grow, "NODE SIZE",
	  "move SIZE from the page allocator into the pool" },
	{ "shrink", cmd_shrink, "NODE SIZE",
	  "give SIZE of free pool memory back" },
	{ "default-backing", cmd_default_backing, "[on|off]",
	  "whether every new guest_memfd uses the pool" },
	{ "zeroing", cmd_zeroing, "[on|off]",
	  "whether freed memory is cleared in the background" },
	{ "help", cmd_help, "[COMMAND]",
	  "this help, or one command's" },
};

#define PC_NR_COMMANDS	ARRAY_SIZE(pc_commands)

static const struct pc_command *pc_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < PC_NR_COMMANDS; i++)
		if (!strcmp(pc_commands[i].name, name))
			return &pc_commands[i];
	return NULL;
}

static void pc_synopsis(FILE *f, const struct pc_command *c)
{
	fprintf(f, "usage: poolctl [OPTION...] %s%s%s\n", c->name,
		*c->args ? " " : "", c->args);
}

static void pc_help(FILE *f)
{
	unsigned int i;

	fprintf(f,
		"usage: poolctl [OPTION...] [COMMAND [ARG...]]\n"
		"Show and change gpool, the guest-memory pool.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < PC_NR_COMMANDS; i++) {
		const struct pc_command *c = &pc_commands[i];
		char head[40];

		snprintf(head, sizeof(head), "%s %s", c->name, c->args);
		fprintf(f, "  %-26s %s\n", head, c->help);
	}
	fprintf(f,
		"\n"
		"Options (anywhere on the line):\n"
		"  -j, --json           JSON output (show, stat, files, "
		"default-backing,\n"
		"                       zeroing)\n"
		"  -d, --device PATH    control file (default "
		PC_DEFAULT_DEVICE ")\n"
		"  -s, --sysfs PATH     sysfs directory (default "
		PC_DEFAULT_SYSFS ")\n"
		"  -h, --help           this help\n"
		"      --version        poolctl's version\n"
		"\n"
		"NODES: a node list as numactl takes it (0,2-3) or all.\n"
		"SIZE: bytes, or with a binary suffix K, M, G, T, P, E (2M = "
		"2097152).\n"
		"Exit status: 0 done, 1 the operation failed, 2 usage error.\n"
		"See poolctl(8).\n");
}

void pc_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("poolctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int pc_usage_error(const char *cmd, const char *fmt, ...)
{
	const struct pc_command *c = cmd ? pc_find(cmd) : NULL;
	va_list ap;

	fputs("poolctl: ", stderr);
	if (c)
		fprintf(stderr, "%s: ", c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (c)
		pc_synopsis(stderr, c);
	fputs("Try 'poolctl --help'.\n", stderr);
	return PC_USAGE;
}

static int cmd_help(const struct poolctl *pc, int argc, char **argv)
{
	const struct pc_command *c;

	(void)pc;
	if (argc > 1)
		return pc_usage_error("help", "too many arguments");
	if (!argc) {
		pc_help(stdout);
		return PC_OK;
	}
	c = pc_find(argv[0]);
	if (!c)
		return pc_usage_error("help", "unknown command '%s'", argv[0]);
	pc_synopsis(stdout, c);
	printf("%s\n", c->help);
	return PC_OK;
}

int poolctl_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "device", required_argument, NULL, 'd' },
		{ "sysfs", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct poolctl pc = {
		.dev = PC_DEFAULT_DEVICE,
		.sysfs = PC_DEFAULT_SYSFS,
	};
	const struct pc_command *c;
	bool help = false;
	int opt;

	/* Start afresh: the host tests call this more than once. */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":jd:s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			pc.json = true;
			break;
		case 'd':
			pc.dev = optarg;
			break;
		case 's':
			pc.sysfs = optarg;
			break;
		case 'h':
			help = true;
			break;
		case 'V':
			printf("poolctl %s\n", POOLCTL_VERSION);
			return PC_OK;
		case ':':
			return pc_usage_error(NULL, "option '%s' needs an "
					      "argument", argv[optind - 1]);
		default:
			if (optopt >= '0' && optopt <= '9')
				return pc_usage_error(NULL, "unknown option "
						      "'-%c' (sizes and nodes "
						      "are never negative)",
						      optopt);
			if (optopt)
				return pc_usage_error(NULL, "unknown option "
						      "'-%c'", optopt);
			return pc_usage_error(NULL, "unknown option '%s'",
					      argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;

	c = pc_find(argc ? argv[0] : "show");
	if (!c)
		return pc_usage_error(NULL, "unknown command '%s'", argv[0]);
	if (help) {
		/* "poolctl grow -h": that command's help. */
		char *name = (char *)c->name;

		return argc ? cmd_help(&pc, 1, &name) : cmd_help(&pc, 0, NULL);
	}
	if (argc) {
		argc--;
		argv++;
	}
	return c->fn(&pc, argc, argv);
}

#ifndef POOLCTL_TEST
int main(int argc, char **argv)
{
	int ret = poolctl_main(argc, argv);

	if (fflush(stdout) || ferror(stdout)) {
		perror("poolctl: standard output");
		return PC_FAIL;
	}
	return ret;
}
#endif
