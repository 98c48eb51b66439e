// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl stat [NODES]: every counter as "name value", one per line, raw
 * numbers, in a fixed order:
 *
 *	nomap 0
 *	metadata_bytes 53248
 *	...
 *	node0.nr_pages 786432
 *	node0.1G.free 3
 *
 * Counters that the sysfs fallback cannot read are left out.
 */
#include "poolctl.h"

static void stat_line(FILE *f, const struct pc_state *st, unsigned int have,
		      const char *name, __u64 v)
{
	if (!have || (st->have & have))
		fprintf(f, "%s %llu\n", name, v);
}

void stat_print(FILE *f, const struct pc_state *st, __u64 sel)
{
	const struct gpool_info_args *in = &st->info;
	unsigned int n;
	int i, k;

	stat_line(f, st, 0, "nomap", !!(in->pool_flags & GPOOL_INFO_F_NOMAP));
	stat_line(f, st, PC_HAVE_DEFAULT_BACKING, "default_backing",
		  !!(in->pool_flags & GPOOL_INFO_F_DEFAULT_BACKING));
	stat_line(f, st, PC_HAVE_ZEROING, "background_zeroing",
		  !!(in->pool_flags & GPOOL_INFO_F_ZEROING));
	stat_line(f, st, PC_HAVE_CAN_RESIZE, "can_resize",
		  !!(in->pool_flags & GPOOL_INFO_F_CAN_RESIZE));
	stat_line(f, st, PC_HAVE_NR_FILES, "nr_files", in->nr_files);
	stat_line(f, st, 0, "metadata_bytes", in->metadata_bytes);
	stat_line(f, st, 0, "nr_pages", in->nr_pages);
	stat_line(f, st, PC_HAVE_BOOT_PAGES, "nr_boot_pages",
		  in->nr_boot_pages);
	stat_line(f, st, PC_HAVE_NR_RANGES, "nr_ranges", in->nr_ranges);

	for (n = 0; n < st->nr_nodes; n++) {
		const struct pc_node *node = &st->node[n];

		if (!(sel >> node->nid & 1))
			continue;
		for (k = 0; k < GPOOL_NR_NODE_FIELDS; k++)
			fprintf(f, "node%u.%s %llu\n", node->nid,
				gpool_node_fields[k].name,
				gpool_field_get(&node->s, &gpool_node_fields[k]));
		for (i = 0; i < GPOOL_NR_SIZES; i++) {
			int sz = gpool_size_order[i];

			for (k = 0; k < GPOOL_NR_SIZE_FIELDS; k++)
				fprintf(f, "node%u.%s.%s %llu\n", node->nid,
					gpool_size_name[sz],
					gpool_size_fields[k].name,
					gpool_field_get(&node->s.size[sz],
						     &gpool_size_fields[k]));
		}
	}
}

int cmd_stat(const struct poolctl *pc, int argc, char **argv)
{
	struct pc_state st;
	__u64 sel;
	int ret;

	if (argc > 1)
		return pc_usage_error("stat", "too many arguments");
	ret = pc_load_select(pc, "stat", argc ? argv[0] : NULL, &st, &sel);
	if (ret)
		return ret;
	pc_note_source(pc, &st);
	if (pc->json)
		report_json(stdout, &st, sel);
	else
		stat_print(stdout, &st, sel);
	return PC_OK;
}
