// SPDX-License-Identifier: GPL-2.0
/*
 * gpool-demo: the pool view.  /sys/kernel/mm/gpool read through libgpool
 * (tools/lib/gpool) into a struct pool_snap, shown as a compact table,
 * as changes between two readings, and checked for memory returned.
 */
#include "demo.h"

/* The columns of the compact table, files of node<N>/<size>/ (PF_*). */
static const char *const pool_fields[NR_PF] = {
	"total", "free", "allocated", "reserved", "split", "nr_splits",
	"nr_merges",
};

/* A counter of node<nid>/ (@size -1) or node<nid>/<size>/; -1 if unreadable. */
static long long pool_value(int dfd, unsigned int nid, int size,
			    const char *name)
{
	__u64 v;

	if (gpool_sysfs_node_u64(dfd, nid, size, name, &v, NULL) ||
	    v > LLONG_MAX)
		return -1;
	return v;
}

/* Read node<nid>/ and its <size>/ directories into @s, largest size first. */
static void pool_read_node(struct pool_snap *s, int dfd, unsigned int nid)
{
	struct pool_node *n;
	char path[64];
	struct stat st;

	if (s->nr_nodes == POOL_MAX_NODES) {
		s->truncated = true;
		return;
	}
	n = &s->node[s->nr_nodes++];
	n->nid = nid;
	for (int i = 0; i < NR_PN; i++)
		n->v[i] = pool_value(dfd, nid, -1, gpool_node_fields[i].name);

	for (int k = 0; k < GPOOL_NR_SIZES; k++) {
		int sz = gpool_size_order[k];
		struct pool_row *r;

		/* Every size directory there is. */
		if (gpool_sysfs_node_path(path, sizeof(path), nid, -1,
					  gpool_size_name[sz]) ||
		    fstatat(dfd, path, &st, 0) || !S_ISDIR(st.st_mode))
			continue;
		if (s->nr_rows == POOL_MAX_ROWS) {
			s->truncated = true;
			continue;
		}
		r = &s->row[s->nr_rows++];
		r->nid = nid;
		r->bytes = gpool_size_bytes[sz];
		r->size = gpool_size_name[sz];
		for (int i = 0; i < NR_PF; i++)
			r->v[i] = pool_value(dfd, nid, sz, pool_fields[i]);
	}
}

/*
 * Read /sys/kernel/mm/gpool through libgpool: mode, metadata_bytes and
 * every node<N>/ and node<N>/<size>/ found there, nodes ascending.
 * s->present is 1, 0 if there is no pool, or -errno (reported) if the
 * directory cannot be read.
 */
int pool_read(struct pool_snap *s)
{
	__u64 mask, v;
	int dfd, ret;

	memset(s, 0, sizeof(*s));
	if (!is_dir(GPOOL_SYSFS_DIR))
		return 0;
	dfd = gpool_sysfs_open(GPOOL_SYSFS_DIR);
	ret = dfd < 0 ? dfd : gpool_sysfs_node_mask(dfd, &mask);
	if (ret) {
		if (dfd >= 0)
			close(dfd);
		errno = -ret;
		pr_sys("reading %s", GPOOL_SYSFS_DIR);
		s->present = ret;
		return ret;
	}
	if (gpool_sysfs_read(dfd, "mode", s->mode, sizeof(s->mode)))
		snprintf(s->mode, sizeof(s->mode), "n/a");
	s->metadata_bytes = -1;
	if (!gpool_sysfs_u64(dfd, "metadata_bytes", &v, NULL) && v <= LLONG_MAX)
		s->metadata_bytes = v;
	for (unsigned int nid = 0; nid < GPOOL_MAX_NODES; nid++)
		if (mask >> nid & 1)
			pool_read_node(s, dfd, nid);
	close(dfd);
	s->present = 1;
	return 1;
}

static const struct pool_row *pool_find_row(const struct pool_snap *s, int nid,
					    __u64 bytes)
{
	for (int i = 0; i < s->nr_rows; i++)
		if (s->row[i].nid == nid && s->row[i].bytes == bytes)
			return &s->row[i];
	return NULL;
}

static const struct pool_node *pool_find_node(const struct pool_snap *s,
					      int nid)
{
	for (int i = 0; i < s->nr_nodes; i++)
		if (s->node[i].nid == nid)
			return &s->node[i];
	return NULL;
}

/* Field @f of the @bytes rows summed over all nodes; -1 if unreadable. */
static long long pool_sum(const struct pool_snap *s, __u64 bytes, int f)
{
	long long sum = 0;

	for (int i = 0; i < s->nr_rows; i++) {
		if (s->row[i].bytes != bytes)
			continue;
		if (s->row[i].v[f] < 0)
			return -1;
		sum += s->row[i].v[f];
	}
	return sum;
}

/* The change of pool_sum() from @a to @b; LLONG_MIN if unreadable. */
long long pool_dsum(const struct pool_snap *a, const struct pool_snap *b,
		    __u64 bytes, int f)
{
	long long x = pool_sum(a, bytes, f), y = pool_sum(b, bytes, f);

	return x < 0 || y < 0 ? LLONG_MIN : y - x;
}

/* The distinct sizes of @s, largest first; returns how many. */
int pool_sizes(const struct pool_snap *s, __u64 *sizes, int max)
{
	int n = 0, i, j;

	for (i = 0; i < s->nr_rows; i++) {
		for (j = 0; j < n && sizes[j] != s->row[i].bytes; j++)
			;
		if (j < n || n == max)
			continue;
		for (j = n++; j > 0 && sizes[j - 1] < s->row[i].bytes; j--)
			sizes[j] = sizes[j - 1];
		sizes[j] = s->row[i].bytes;
	}
	return n;
}

/* The directory name of a size, as the snapshot spells it. */
const char *pool_size_name(const struct pool_snap *s, __u64 bytes)
{
	for (int i = 0; i < s->nr_rows; i++)
		if (s->row[i].bytes == bytes)
			return s->row[i].size;
	return "?";
}

/* Bytes the pool has allocated or reserved, all nodes and sizes. */
long long pool_held(const struct pool_snap *s)
{
	long long held = 0;

	for (int i = 0; i < s->nr_rows; i++) {
		const struct pool_row *r = &s->row[i];

		if (r->v[PF_ALLOCATED] < 0 || r->v[PF_RESERVED] < 0)
			return -1;
		held += (r->v[PF_ALLOCATED] + r->v[PF_RESERVED]) * r->bytes;
	}
	return held;
}

static void pool_print_header(bool always, const char *pfx)
{
	out(always, "%s  node size", pfx);
	for (int i = 0; i < NR_PF; i++)
		out(always, " %10s", pool_fields[i]);
	out(always, "\n");
}

/*
 * The compact table, after a @title line: one line per node and size, then
 * one per node; every line starts with @pfx.
 */
void pool_print_table(bool always, const char *pfx, const char *title,
		      const struct pool_snap *s)
{
	char v[NR_PN][24];

	out(always, "%s %s: mode %s, metadata_bytes %lld, %d node%s\n", pfx,
	    title, s->mode, s->metadata_bytes, s->nr_nodes,
	    s->nr_nodes == 1 ? "" : "s");
	pool_print_header(always, pfx);
	for (int i = 0; i < s->nr_rows; i++) {
		const struct pool_row *r = &s->row[i];

		out(always, "%s  %4d %4s", pfx, r->nid, r->size);
		for (int f = 0; f < NR_PF; f++) {
			fmt_ll(v[0], sizeof(v[0]), r->v[f]);
			out(always, " %10s", v[0]);
		}
		out(always, "\n");
	}
	for (int i = 0; i < s->nr_nodes; i++) {
		for (int f = 0; f < NR_PN; f++)
			fmt_ll(v[f], sizeof(v[f]), s->node[i].v[f]);
		out(always, "%s  node%d: nr_pages %s, bad_pages %s, poison_pending %s\n",
		    pfx, s->node[i].nid, v[PN_NR_PAGES], v[PN_BAD_PAGES],
		    v[PN_POISON_PENDING]);
	}
	if (s->truncated)
		out(always, "%s  (more nodes or sizes than shown)\n", pfx);
}

/*
 * The rows of the compact table that changed from @a to @b, as differences;
 * likewise for the node files and metadata_bytes.  Returns the number of
 * lines printed.
 */
int pool_print_changes(bool always, const char *pfx,
		       const struct pool_snap *a,
		       const struct pool_snap *b)
{
	bool header = false;
	char d[NR_PN][24];
	int lines = 0;

	if (a->metadata_bytes != b->metadata_bytes) {
		fmt_delta(d[0], sizeof(d[0]), a->metadata_bytes,
			  b->metadata_bytes);
		out(always, "%s metadata_bytes %s\n", pfx, d[0]);
		lines++;
	}
	for (int i = 0; i < b->nr_rows; i++) {
		const struct pool_row *r = &b->row[i];
		const struct pool_row *o = pool_find_row(a, r->nid, r->bytes);
		bool changed = !o;

		for (int f = 0; o && f < NR_PF; f++)
			changed |= o->v[f] != r->v[f];
		if (!changed)
			continue;
		if (!header) {
			pool_print_header(always, pfx);
			header = true;
		}
		out(always, "%s  %4d %4s", pfx, r->nid, r->size);
		for (int f = 0; f < NR_PF; f++) {
			if (o && o->v[f] == r->v[f])
				snprintf(d[0], sizeof(d[0]), "0");
			else
				fmt_delta(d[0], sizeof(d[0]), o ? o->v[f] : -1,
					  r->v[f]);
			out(always, " %10s", d[0]);
		}
		lines++;
		out(always, "%s\n", o ? "" : "  (new)");
	}
	for (int i = 0; i < a->nr_rows; i++) {
		if (pool_find_row(b, a->row[i].nid, a->row[i].bytes))
			continue;
		out(always, "%s  %4d %4s  (gone)\n", pfx, a->row[i].nid,
		    a->row[i].size);
		lines++;
	}
	for (int i = 0; i < b->nr_nodes; i++) {
		const struct pool_node *n = &b->node[i];
		const struct pool_node *o = pool_find_node(a, n->nid);

		if (o && !memcmp(o->v, n->v, sizeof(n->v)))
			continue;
		for (int f = 0; f < NR_PN; f++)
			fmt_delta(d[f], sizeof(d[f]), o ? o->v[f] : -1, n->v[f]);
		out(always, "%s  node%d: nr_pages %s, bad_pages %s, poison_pending %s\n",
		    pfx, n->nid, d[PN_NR_PAGES], d[PN_BAD_PAGES],
		    d[PN_POISON_PENDING]);
		lines++;
	}
	if (!lines)
		out(always, "%s no change\n", pfx);
	return lines;
}

/*
 * One line, all nodes summed: @f (nr_splits or nr_merges) and allocated for
 * every size, e.g. "nr_splits 1G +1 2M +1 4K +0; allocated 1G -1 ...".
 */
void pool_print_conv(const char *pfx, const char *what, int f,
		     const struct pool_snap *a,
		     const struct pool_snap *b)
{
	const int fields[] = { f, PF_ALLOCATED };
	__u64 sizes[8];
	int n = pool_sizes(b, sizes, ARRAY_SIZE(sizes));
	char d[24];

	say("%s %s, all nodes:", pfx, what);
	for (int k = 0; k < (int)ARRAY_SIZE(fields); k++) {
		say("%s %s", k ? ";" : "", pool_fields[fields[k]]);
		for (int i = 0; i < n; i++) {
			long long v = pool_dsum(a, b, sizes[i], fields[k]);

			if (v == LLONG_MIN)
				snprintf(d, sizeof(d), "n/a");
			else
				snprintf(d, sizeof(d), "%+lld", v);
			say(" %s %s", pool_size_name(b, sizes[i]), d);
		}
	}
	say("\n");
}

/*
 * Are allocated and reserved of every node and size in @b what they were in
 * @a?  If not, say which in @why.
 */
bool pool_returned(const struct pool_snap *a, const struct pool_snap *b,
		   char *why, size_t len)
{
	static const int fields[] = { PF_ALLOCATED, PF_RESERVED };

	for (int i = 0; i < a->nr_rows; i++) {
		const struct pool_row *r = &a->row[i];
		const struct pool_row *o = pool_find_row(b, r->nid, r->bytes);

		if (!o) {
			snprintf(why, len, "node%d/%s is gone", r->nid, r->size);
			return false;
		}
		for (int k = 0; k < (int)ARRAY_SIZE(fields); k++) {
			int f = fields[k];

			if (r->v[f] >= 0 && o->v[f] == r->v[f])
				continue;
			snprintf(why, len, "node%d/%s/%s %lld before the run, %lld after",
				 r->nid, r->size, pool_fields[f], r->v[f], o->v[f]);
			return false;
		}
	}
	if (a->nr_rows != b->nr_rows) {
		snprintf(why, len, "%d node/size directories before the run, %d after",
			 a->nr_rows, b->nr_rows);
		return false;
	}
	return true;
}
