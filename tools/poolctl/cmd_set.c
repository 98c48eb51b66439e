// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl default-backing [on|off]: without an argument print "on" or
 * "off"; with one, switch whether every guest_memfd created from now on
 * is pool-backed (GPOOL_IOC_SET_DEFAULT_BACKING) and print the change:
 *
 *	default backing: off -> on
 */
#include <string.h>
#include <unistd.h>

#include "poolctl.h"

static int default_backing_show(const struct poolctl *pc)
{
	struct pc_state st;
	bool on;
	int ret;

	ret = pc_load(pc, &st);
	if (ret)
		return ret;
	if (!(st.have & PC_HAVE_DEFAULT_BACKING)) {
		pc_err("%s: no default_backing file, and %s", pc->sysfs,
		       st.why_sysfs);
		return PC_FAIL;
	}
	pc_note_source(pc, &st);
	on = st.info.pool_flags & GPOOL_INFO_F_DEFAULT_BACKING;
	if (pc->json) {
		struct json j;

		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_bool(&j, "default_backing", on);
		json_close(&j, '{');
		json_finish(&j);
	} else {
		printf("%s\n", on ? "on" : "off");
	}
	return PC_OK;
}

int cmd_default_backing(const struct poolctl *pc, int argc, char **argv)
{
	struct gpool_info_args info;
	const char *why;
	bool on, known;
	int fd, ret;

	if (!argc)
		return default_backing_show(pc);
	if (argc > 1)
		return pc_usage_error("default-backing", "too many arguments");
	if (parse_bool(argv[0], &on, &why))
		return pc_usage_error("default-backing", "'%s': %s", argv[0],
				      why);

	fd = gpool_ctl_open(pc->dev, true);
	if (fd < 0) {
		pc_err("%s: %s", pc->dev, strerror(-fd));
		pc_err("%s", explain_open(-fd));
		return PC_FAIL;
	}
	known = !gpool_ctl_info(fd, &info);
	ret = gpool_ctl_set_default_backing(fd, on);
	close(fd);
	if (ret) {
		pc_err("default backing %s: %s", on ? "on" : "off",
		       strerror(-ret));
		pc_err("%s", explain_set(-ret));
		return PC_FAIL;
	}
	if (known)
		printf("default backing: %s -> %s\n",
		       info.pool_flags & GPOOL_INFO_F_DEFAULT_BACKING ?
		       "on" : "off", on ? "on" : "off");
	else
		printf("default backing: %s\n", on ? "on" : "off");
	return PC_OK;
}
