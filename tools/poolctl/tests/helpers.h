/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the poolctl host tests: a strict JSON validator, output
 * capture, a fake /sys/kernel/mm/gpool tree and a mock of the control
 * file's ioctls that plays the kernel (kernel/ctl.c) as docs/uapi.rst
 * describes it.
 */
#ifndef POOLCTL_TEST_HELPERS_H
#define POOLCTL_TEST_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "../poolctl.h"

/* ---- JSON validator (RFC 8259, no extensions) ---- */

struct jp {
	const char *s;
	int depth;
};

static inline void jp_ws(struct jp *p)
{
	while (*p->s == ' ' || *p->s == '\n' || *p->s == '\t' ||
	       *p->s == '\r')
		p->s++;
}

static inline bool jp_value(struct jp *p);

static inline bool jp_string(struct jp *p)
{
	if (*p->s != '"')
		return false;
	for (p->s++; *p->s != '"'; p->s++) {
		unsigned char c = *p->s;

		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		p->s++;
		if (*p->s == 'u') {
			int i;

			for (i = 1; i <= 4; i++) {
				char h = p->s[i];

				if (!((h >= '0' && h <= '9') ||
				      (h >= 'a' && h <= 'f') ||
				      (h >= 'A' && h <= 'F')))
					return false;
			}
			p->s += 4;
		} else if (!*p->s || !strchr("\"\\/bfnrt", *p->s)) {
			return false;
		}
	}
	p->s++;
	return true;
}

static inline bool jp_number(struct jp *p)
{
	const char *start;

	if (*p->s == '-')
		p->s++;
	start = p->s;
	while (*p->s >= '0' && *p->s <= '9')
		p->s++;
	if (p->s == start || (*start == '0' && p->s - start > 1))
		return false;
	return true;	/* poolctl writes integers only */
}

static inline bool jp_word(struct jp *p, const char *w)
{
	size_t n = strlen(w);

	if (strncmp(p->s, w, n))
		return false;
	p->s += n;
	return true;
}

static inline bool jp_container(struct jp *p, char close, bool keys)
{
	p->s++;
	if (++p->depth > 32)
		return false;
	jp_ws(p);
	if (*p->s == close) {
		p->s++;
		p->depth--;
		return true;
	}
	for (;;) {
		jp_ws(p);
		if (keys) {
			if (!jp_string(p))
				return false;
			jp_ws(p);
			if (*p->s++ != ':')
				return false;
		}
		if (!jp_value(p))
			return false;
		jp_ws(p);
		if (*p->s == ',') {
			p->s++;
			continue;
		}
		if (*p->s++ != close)
			return false;
		p->depth--;
		return true;
	}
}

static inline bool jp_value(struct jp *p)
{
	jp_ws(p);
	switch (*p->s) {
	case '{':
		return jp_container(p, '}', true);
	case '[':
		return jp_container(p, ']', false);
	case '"':
		return jp_string(p);
	case 't':
		return jp_word(p, "true");
	case 'f':
		return jp_word(p, "false");
	case 'n':
		return jp_word(p, "null");
	}
	return jp_number(p);
}

/* Is @s exactly one JSON value, with only whitespace around it? */
static inline bool json_valid(const char *s)
{
	struct jp p = { s, 0 };

	if (!jp_value(&p))
		return false;
	jp_ws(&p);
	return !*p.s;
}

/* ---- output capture ---- */

struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static inline FILE *capture_start(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	return c->f;
}

/* The text written since capture_start(); free() it. */
static inline char *capture_end(struct capture *c)
{
	fclose(c->f);
	return c->buf;
}

static inline char *slurp_fd(int fd)
{
	size_t len = 0, room = 4096;
	char *buf = malloc(room);
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf + len, room - len - 1)) > 0) {
		len += n;
		if (room - len < 2) {
			room *= 2;
			buf = realloc(buf, room);
		}
	}
	buf[len] = '\0';
	return buf;
}

/* The result of one poolctl_main() run. */
struct run {
	int rc;
	char *out;
	char *err;
};

/*
 * Run poolctl with the NULL-terminated arguments after @r.  A sanitizer
 * report inside poolctl would go to the captured stderr and be lost with
 * the test's process: POOLCTL_TEST_STDERR=1 leaves stderr alone (the
 * checks of r->err then fail, but the report shows).
 */
static inline void run_poolctl(struct run *r, ...)
{
	char *argv[32] = { "poolctl" };
	char out_tmpl[] = "/tmp/poolctl-out-XXXXXX";
	char err_tmpl[] = "/tmp/poolctl-err-XXXXXX";
	int argc = 1, so, se, fo, fe;
	va_list ap;

	va_start(ap, r);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;

	fo = mkstemp(out_tmpl);
	fe = mkstemp(err_tmpl);
	unlink(out_tmpl);
	unlink(err_tmpl);
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	dup2(fo, 1);
	if (!getenv("POOLCTL_TEST_STDERR"))
		dup2(fe, 2);
	r->rc = poolctl_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	r->out = slurp_fd(fo);
	r->err = slurp_fd(fe);
	close(fo);
	close(fe);
}

static inline void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* ---- fake sysfs tree ---- */

static inline void put_file(const char *root, const char *path,
			    const char *fmt, ...)
{
	char full[512], *slash;
	va_list ap;
	FILE *f;

	snprintf(full, sizeof(full), "%s/%s", root, path);
	/* mkdir -p of the parents */
	for (slash = strchr(full + strlen(root) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(full, 0755);
		*slash = '/';
	}
	f = fopen(full, "w");
	if (!f)
		abort();
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/* The value the fake tree and the mock give every per-size counter. */
static inline __u64 fake_size_value(unsigned int node, int size, int field)
{
	return 1000 * (node + 1) + 100 * size + field;
}

static inline void fake_node_stats(unsigned int node,
				   struct gpool_node_stats_args *s)
{
	int i, f;

	memset(s, 0, sizeof(*s));
	s->node = node;
	s->nr_pages = 262144ULL * (node + 3);	/* 3G, 4G, ... */
	s->bad_pages = node;
	s->poison_pending = 2 * node;
	for (i = 0; i < GPOOL_NR_SIZES; i++)
		for (f = 0; f < GPOOL_NR_SIZE_FIELDS; f++)
			*(__u64 *)((char *)&s->size[i] +
				   gpool_size_fields[f].offset) =
				fake_size_value(node, i, f);
}

/*
 * Write a pool of @nr_nodes nodes (0 to nr_nodes - 1) under @root, with
 * the counters of fake_node_stats().
 */
static inline void fake_sysfs(const char *root, const char *mode,
			      unsigned int nr_nodes, bool with_new_files)
{
	unsigned int n;
	int i, f;

	mkdir(root, 0755);
	put_file(root, "mode", "%s\n", mode);
	put_file(root, "metadata_bytes", "53248\n");
	if (with_new_files) {
		put_file(root, "default_backing", "1\n");
		/* The opposite of default_backing: not mixed up. */
		put_file(root, "background_zeroing", "0\n");
		put_file(root, "nr_files", "2\n");
	}
	for (n = 0; n < nr_nodes; n++) {
		struct gpool_node_stats_args s;
		char path[64];

		fake_node_stats(n, &s);
		for (f = 0; f < GPOOL_NR_NODE_FIELDS; f++) {
			snprintf(path, sizeof(path), "node%u/%s", n,
				 gpool_node_fields[f].name);
			put_file(root, path, "%llu\n",
				 gpool_field_get(&s, &gpool_node_fields[f]));
		}
		for (i = 0; i < GPOOL_NR_SIZES; i++) {
			for (f = 0; f < GPOOL_NR_SIZE_FIELDS; f++) {
				snprintf(path, sizeof(path), "node%u/%s/%s", n,
					 gpool_size_name[i],
					 gpool_size_fields[f].name);
				put_file(root, path, "%llu\n",
					 fake_size_value(n, i, f));
			}
		}
	}
	/* Not node directories: ignored. */
	put_file(root, "nodes/x", "\n");
	put_file(root, "node64/x", "\n");
	put_file(root, "node1x/x", "\n");
}

/* A fresh directory name for a fake tree (under /tmp). */
static inline char *fake_root(void)
{
	static char tmpl[64];

	strcpy(tmpl, "/tmp/poolctl-sysfs-XXXXXX");
	if (!mkdtemp(tmpl))
		abort();
	strcat(tmpl, "/gpool");
	return tmpl;
}

/* Remove the directory fake_root() made, and everything in it. */
static inline void fake_cleanup(const char *root)
{
	char cmd[128];

	if (strncmp(root, "/tmp/poolctl-sysfs-", 19) || strchr(root, '\''))
		abort();
	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'",
		 (int)(strrchr(root, '/') - root), root);
	if (system(cmd))
		abort();
}

#endif /* POOLCTL_TEST_HELPERS_H */
