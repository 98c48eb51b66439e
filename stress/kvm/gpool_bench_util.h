/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmark programs of stress/kvm/ share: timing, the median
 * with min and max of a set of rounds, and the machine-readable result
 * lines that scripts/bench-report.py turns into `make bench`'s one table,
 * build/results/bench.json and (make bench-plots) the plots.
 *
 * A result line is "@result " and one JSON object on one line:
 *
 *   @result {"section":"faultin","case":"pool 1G","cond":"pre-zeroed",
 *            "metric":"touch","unit":"ms","median":12.5,"min":12.1,
 *            "max":13.0,"n":5}
 *
 * section   which benchmark (faultin, host, conv, storm, lifecycle, numa,
 *           frag, fio, memio)
 * case      the row: what was measured (a backing, a size, a policy)
 * cond      optional: the conditions (pre-zeroed, clearing on fault, ...)
 * metric    the column; unit its unit (ms, MiB/s, count, ratio, ...)
 * median, min, max, n   over n rounds; a single figure has n = 1
 *
 * Human-readable tables are printed as well; the result lines are what
 * the report reads.
 */
#ifndef STRESS_KVM_GPOOL_BENCH_UTIL_H
#define STRESS_KVM_GPOOL_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct bench_stat {
	double median, min, max;
	int n;
};

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median (the mean of the middle two for even @n), min and max of @v. */
static inline struct bench_stat bench_stat_of(const double *v, int n)
{
	struct bench_stat s = { 0, 0, 0, n };
	double *c;

	if (n <= 0)
		return s;
	c = malloc(n * sizeof(*c));
	if (!c)
		abort();
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), bench_cmp_double);
	s.median = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	s.min = c[0];
	s.max = c[n - 1];
	free(c);
	return s;
}

/* Print @s as JSON string content: quotes and backslashes escaped. */
static inline void bench_json_str(const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s >= 0x20)
			putchar(*s);
	}
}

/* One result line; @cond may be NULL. */
static inline void bench_result(const char *section, const char *name,
				const char *cond, const char *metric,
				const char *unit, struct bench_stat s)
{
	printf("@result {\"section\":\"");
	bench_json_str(section);
	printf("\",\"case\":\"");
	bench_json_str(name);
	if (cond) {
		printf("\",\"cond\":\"");
		bench_json_str(cond);
	}
	printf("\",\"metric\":\"");
	bench_json_str(metric);
	printf("\",\"unit\":\"");
	bench_json_str(unit);
	printf("\",\"median\":%.6g,\"min\":%.6g,\"max\":%.6g,\"n\":%d}\n",
	       s.median, s.min, s.max, s.n);
	fflush(stdout);
}

/* A result over @n rounds of @v. */
static inline void bench_result_v(const char *section, const char *name,
				  const char *cond, const char *metric,
				  const char *unit, const double *v, int n)
{
	bench_result(section, name, cond, metric, unit, bench_stat_of(v, n));
}

/* A single figure (a count, or a value measured once). */
static inline void bench_result1(const char *section, const char *name,
				 const char *cond, const char *metric,
				 const char *unit, double v)
{
	struct bench_stat s = { v, v, v, 1 };

	bench_result(section, name, cond, metric, unit, s);
}

#endif /* STRESS_KVM_GPOOL_BENCH_UTIL_H */
