/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command line of the randomized tests (model_test, table_test):
 * -s SEED (else $ENV, else time and pid), -N SEEDS, -n STEPS, -l (ten
 * times the steps), -R (no regression seeds).
 */
#ifndef __GPOOL_TESTS_SEED_ARGS_H
#define __GPOOL_TESTS_SEED_ARGS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct seed_args {
	u64 seed;
	unsigned long nr_seeds;
	unsigned long steps;
	bool regress;
};

/* Fill @a from the command line and $@env; false on a usage error. */
static inline bool seed_args_parse(struct seed_args *a, int argc, char **argv,
				   const char *env, unsigned long steps,
				   unsigned long nr_seeds)
{
	const char *val = getenv(env);
	int opt;

	a->seed = time(NULL) ^ ((u64)getpid() << 32);
	a->nr_seeds = nr_seeds;
	a->steps = steps;
	a->regress = true;
	if (val && *val)
		a->seed = strtoull(val, NULL, 0);
	while ((opt = getopt(argc, argv, "s:N:n:lR")) != -1) {
		switch (opt) {
		case 's':
			a->seed = strtoull(optarg, NULL, 0);
			break;
		case 'N':
			a->nr_seeds = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			a->steps = strtoul(optarg, NULL, 0);
			break;
		case 'l':
			a->steps *= 10;
			break;
		case 'R':
			a->regress = false;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-s SEED] [-N SEEDS] [-n STEPS] [-l] [-R]\n",
				argv[0]);
			return false;
		}
	}
	return true;
}

#endif /* __GPOOL_TESTS_SEED_ARGS_H */
