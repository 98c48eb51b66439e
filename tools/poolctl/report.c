// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl: output shared by several commands: the JSON document of
 * "show --json" and "stat --json".
 */
#include "poolctl.h"

static void json_opt_u64(struct json *j, const struct pc_state *st,
			 unsigned int have, const char *key, __u64 v)
{
	if (st->have & have)
		json_u64(j, key, v);
	else
		json_null(j, key);
}

static void json_opt_bool(struct json *j, const struct pc_state *st,
			  unsigned int have, const char *key, bool v)
{
	if (st->have & have)
		json_bool(j, key, v);
	else
		json_null(j, key);
}

static void report_json_node(struct json *j, const struct pc_node *node)
{
	struct gpool_bytes b;
	int i, f;

	gpool_node_bytes(&node->s, &b);
	json_open(j, NULL, '{');
	json_u64(j, "node", node->nid);
	for (f = 0; f < GPOOL_NR_NODE_FIELDS; f++)
		json_u64(j, gpool_node_fields[f].name,
			 gpool_field_get(&node->s, &gpool_node_fields[f]));

	json_open(j, "bytes", '{');
	json_u64(j, "total", b.total);
	json_u64(j, "free", b.free);
	json_u64(j, "zero", b.zero);
	json_u64(j, "zeroing", b.zeroing);
	json_u64(j, "reserved", b.reserved);
	json_u64(j, "allocated", b.allocated);
	json_u64(j, "bad", b.bad);
	json_u64(j, "poison_pending", b.poison);
	json_close(j, '{');

	json_open(j, "sizes", '{');
	for (i = 0; i < GPOOL_NR_SIZES; i++) {
		int sz = gpool_size_order[i];

		json_open(j, gpool_size_name[sz], '{');
		for (f = 0; f < GPOOL_NR_SIZE_FIELDS; f++)
			json_u64(j, gpool_size_fields[f].name,
				 gpool_field_get(&node->s.size[sz],
					      &gpool_size_fields[f]));
		json_close(j, '{');
	}
	json_close(j, '{');
	json_close(j, '{');
}

void report_json(FILE *f, const struct pc_state *st, __u64 sel)
{
	const struct gpool_info_args *in = &st->info;
	char nodes[FMT_NODEMASK_LEN];
	struct json j;
	unsigned int n;

	json_init(&j, f);
	json_open(&j, NULL, '{');
	json_str(&j, "source", st->from_sysfs ? "sysfs" : "ioctl");
	json_str(&j, "mode",
		 in->pool_flags & GPOOL_INFO_F_NOMAP ? "nomap" : "default");
	json_opt_bool(&j, st, PC_HAVE_DEFAULT_BACKING, "default_backing",
		      in->pool_flags & GPOOL_INFO_F_DEFAULT_BACKING);
	json_opt_bool(&j, st, PC_HAVE_ZEROING, "background_zeroing",
		      in->pool_flags & GPOOL_INFO_F_ZEROING);
	json_opt_bool(&j, st, PC_HAVE_CAN_RESIZE, "can_resize",
		      in->pool_flags & GPOOL_INFO_F_CAN_RESIZE);
	json_opt_u64(&j, st, PC_HAVE_NR_FILES, "nr_files", in->nr_files);
	json_u64(&j, "metadata_bytes", in->metadata_bytes);
	json_u64(&j, "nr_pages", in->nr_pages);
	json_opt_u64(&j, st, PC_HAVE_BOOT_PAGES, "nr_boot_pages",
		     in->nr_boot_pages);
	json_opt_u64(&j, st, PC_HAVE_NR_RANGES, "nr_ranges", in->nr_ranges);
	json_str(&j, "node_mask", fmt_nodemask(nodes, in->node_mask));
	json_open(&j, "nodes", '[');
	for (n = 0; n < st->nr_nodes; n++)
		if (sel >> st->node[n].nid & 1)
			report_json_node(&j, &st->node[n]);
	json_close(&j, '[');
	json_close(&j, '{');
	json_finish(&j);
}
