// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl [show [NODES]]: the pool for people.  A summary, a table of each
 * node in bytes, then each node's units by size:
 *
 *	mode             default
 *	default backing  off
 *	zeroing          background
 *	...
 *	NODE      TOTAL      FREE      ZERO  RESERVED ALLOCATED       BAD
 *	0          3.0G      3.0G      3.0G         0         0         0
 *
 *	NODE SIZE      TOTAL       FREE       ZERO    ZEROING  ALLOCATED ...
 *	0    1G            3          3          3          0          0 ...
 *
 * "zeroing" is "background" while the background zeroer runs, "when
 * allocated" while it is stopped (poolctl zeroing off).  FREE counts the
 * units being zeroed too; ZERO and RESERVED are parts of it.
 */
#include <string.h>

#include "poolctl.h"

static const char *yes_no_unknown(const struct pc_state *st, unsigned int have,
				  bool v, const char *yes, const char *no)
{
	if (!(st->have & have))
		return "unknown";
	return v ? yes : no;
}

static void show_summary(FILE *f, const struct pc_state *st,
			 const char *source)
{
	const struct gpool_info_args *in = &st->info;
	char a[FMT_SIZE_LEN], b[FMT_SIZE_LEN], c[FMT_SIZE_LEN];
	__u64 boot = in->nr_boot_pages << GPOOL_FOLIO_SHIFT_4K;
	__u64 size = in->nr_pages << GPOOL_FOLIO_SHIFT_4K;

	fprintf(f, "%-16s %s\n", "mode",
		in->pool_flags & GPOOL_INFO_F_NOMAP ? "nomap" : "default");
	fprintf(f, "%-16s %s\n", "default backing",
		yes_no_unknown(st, PC_HAVE_DEFAULT_BACKING,
			       in->pool_flags & GPOOL_INFO_F_DEFAULT_BACKING,
			       "on", "off"));
	fprintf(f, "%-16s %s\n", "zeroing",
		yes_no_unknown(st, PC_HAVE_ZEROING,
			       in->pool_flags & GPOOL_INFO_F_ZEROING,
			       "background", "when allocated"));
	if (st->have & PC_HAVE_NR_FILES)
		fprintf(f, "%-16s %u\n", "files open", in->nr_files);
	else
		fprintf(f, "%-16s %s\n", "files open", "unknown");
	fprintf(f, "%-16s %s\n", "metadata", fmt_size(a, in->metadata_bytes));
	fprintf(f, "%-16s %s", "size", fmt_size(a, size));
	if (st->have & PC_HAVE_BOOT_PAGES && boot <= size)
		fprintf(f, " (%s from boot, %s grown)", fmt_size(b, boot),
			fmt_size(c, size - boot));
	if (st->have & PC_HAVE_NR_RANGES)
		fprintf(f, " in %u range%s", in->nr_ranges,
			in->nr_ranges == 1 ? "" : "s");
	fputc('\n', f);
	fprintf(f, "%-16s %s\n", "resizable",
		yes_no_unknown(st, PC_HAVE_CAN_RESIZE,
			       in->pool_flags & GPOOL_INFO_F_CAN_RESIZE,
			       "yes", "no"));
	fprintf(f, "%-16s %s\n", "source", source);
}

static void show_bytes_row(FILE *f, const char *name, const struct gpool_bytes *b)
{
	char s[6][FMT_SIZE_LEN];

	fprintf(f, "%-5s%10s%10s%10s%10s%10s%10s\n", name,
		fmt_size(s[0], b->total), fmt_size(s[1], b->free),
		fmt_size(s[2], b->zero), fmt_size(s[3], b->reserved),
		fmt_size(s[4], b->allocated), fmt_size(s[5], b->bad));
}

static void show_nodes(FILE *f, const struct pc_state *st, __u64 sel)
{
	struct gpool_bytes b, sum;
	unsigned int n, shown = 0;
	char name[8], p[FMT_SIZE_LEN];

	memset(&sum, 0, sizeof(sum));
	fprintf(f, "%-5s%10s%10s%10s%10s%10s%10s\n", "NODE", "TOTAL", "FREE",
		"ZERO", "RESERVED", "ALLOCATED", "BAD");
	for (n = 0; n < st->nr_nodes; n++) {
		if (!(sel >> st->node[n].nid & 1))
			continue;
		gpool_node_bytes(&st->node[n].s, &b);
		snprintf(name, sizeof(name), "%u", st->node[n].nid);
		show_bytes_row(f, name, &b);
		sum.total += b.total;
		sum.free += b.free;
		sum.zero += b.zero;
		sum.reserved += b.reserved;
		sum.allocated += b.allocated;
		sum.bad += b.bad;
		shown++;
	}
	if (shown > 1)
		show_bytes_row(f, "all", &sum);
	for (n = 0; n < st->nr_nodes; n++) {
		if (!(sel >> st->node[n].nid & 1) ||
		    !st->node[n].s.poison_pending)
			continue;
		fprintf(f, "node %u: %s poisoned while allocated, out of "
			"service when freed\n", st->node[n].nid,
			fmt_size(p, st->node[n].s.poison_pending <<
				 GPOOL_FOLIO_SHIFT_4K));
	}
}

static void show_sizes(FILE *f, const struct pc_state *st, __u64 sel)
{
	unsigned int n;
	int i;

	fprintf(f, "%-5s%-5s%10s%10s%10s%10s%10s%10s%10s\n", "NODE", "SIZE",
		"TOTAL", "FREE", "ZERO", "ZEROING", "ALLOCATED", "RESERVED",
		"SPLIT");
	for (n = 0; n < st->nr_nodes; n++) {
		const struct pc_node *node = &st->node[n];

		if (!(sel >> node->nid & 1))
			continue;
		for (i = 0; i < GPOOL_NR_SIZES; i++) {
			const struct gpool_size_stats *z =
				&node->s.size[gpool_size_order[i]];

			fprintf(f, "%-5u%-5s%10llu%10llu%10llu%10llu%10llu"
				"%10llu%10llu\n", node->nid,
				gpool_size_name[gpool_size_order[i]], z->total,
				z->free, z->zero, z->zeroing, z->allocated,
				z->reserved, z->split);
		}
	}
}

void show_print(FILE *f, const struct pc_state *st, __u64 sel,
		const char *source)
{
	show_summary(f, st, source);
	if (!sel) {
		fprintf(f, "\nno node has pool memory\n");
		return;
	}
	fputc('\n', f);
	show_nodes(f, st, sel);
	fputc('\n', f);
	show_sizes(f, st, sel);
}

int cmd_show(const struct poolctl *pc, int argc, char **argv)
{
	struct pc_state st;
	char source[512];
	__u64 sel;
	int ret;

	if (argc > 1)
		return pc_usage_error("show", "too many arguments");
	ret = pc_load_select(pc, "show", argc ? argv[0] : NULL, &st, &sel);
	if (ret)
		return ret;
	if (pc->json) {
		pc_note_source(pc, &st);
		report_json(stdout, &st, sel);
		return PC_OK;
	}
	if (st.from_sysfs)
		snprintf(source, sizeof(source),
			 "%s, read-only, not one snapshot (%s)", pc->sysfs,
			 st.why_sysfs);
	else
		snprintf(source, sizeof(source), "%s", pc->dev);
	show_print(stdout, &st, sel, source);
	return PC_OK;
}
