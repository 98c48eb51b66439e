// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl's on/off switches of the whole pool, one table entry each:
 *
 *	poolctl default-backing [on|off]   every new guest_memfd uses the pool
 *	poolctl zeroing [on|off]           the background zeroer clears freed
 *	                                   memory
 *
 * Without an argument a switch prints "on" or "off" (through the control
 * file, else from sysfs; {"<key>": true} with -j).  With one it switches
 * through the control file (GPOOL_IOC_SET_*), reads the state back, and
 * prints the change:
 *
 *	default backing: off -> on
 *	background zeroing: on -> off
 */
#include <string.h>
#include <unistd.h>

#include "poolctl.h"

/**
 * struct pc_switch - one on/off setting of the pool
 * @cmd: the command, for usage errors: "default-backing".
 * @what: its name in what poolctl prints: "default backing".
 * @object: its name inside a sentence: "the default backing".
 * @key: its sysfs file, and its key in JSON: "default_backing".
 * @flag: its GPOOL_INFO_F_* bit of gpool_info_args.pool_flags.
 * @have: its PC_HAVE_* bit: the sysfs fallback read @key.
 * @set: the libgpool call that switches it: 0 or -errno.
 * @stuck: why the kernel may accept a switch and not make it, or NULL.
 */
struct pc_switch {
	const char *cmd;
	const char *what;
	const char *object;
	const char *key;
	__u64 flag;
	unsigned int have;
	int (*set)(int fd, bool on);
	const char *stuck;
};

static const struct pc_switch pc_default_backing = {
	.cmd = "default-backing",
	.what = "default backing",
	.object = "the default backing",
	.key = "default_backing",
	.flag = GPOOL_INFO_F_DEFAULT_BACKING,
	.have = PC_HAVE_DEFAULT_BACKING,
	.set = gpool_ctl_set_default_backing,
};

static const struct pc_switch pc_zeroing = {
	.cmd = "zeroing",
	.what = "background zeroing",
	.object = "background zeroing",
	.key = "background_zeroing",
	.flag = GPOOL_INFO_F_ZEROING,
	.have = PC_HAVE_ZEROING,
	.set = gpool_ctl_set_zeroing,
	.stuck = "the background zeroer (the gpool_zero thread) did not start "
		 "at boot, see the kernel log; freed memory is cleared when "
		 "it is allocated",
};

static const char *on_off(bool on)
{
	return on ? "on" : "off";
}

static int switch_show(const struct poolctl *pc, const struct pc_switch *sw)
{
	struct pc_state st;
	bool on;
	int ret;

	ret = pc_load(pc, &st);
	if (ret)
		return ret;
	if (!(st.have & sw->have)) {
		pc_err("%s: no %s file, and %s", pc->sysfs, sw->key,
		       st.why_sysfs);
		return PC_FAIL;
	}
	pc_note_source(pc, &st);
	on = st.info.pool_flags & sw->flag;
	if (pc->json) {
		struct json j;

		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_bool(&j, sw->key, on);
		json_close(&j, '{');
		json_finish(&j);
	} else {
		printf("%s\n", on_off(on));
	}
	return PC_OK;
}

/* @sw through the control file @fd: 1 on, 0 off, -1 if INFO failed. */
static int switch_state(int fd, const struct pc_switch *sw)
{
	struct gpool_info_args info;

	if (gpool_ctl_info(fd, &info))
		return -1;
	return !!(info.pool_flags & sw->flag);
}

static int switch_set(const struct poolctl *pc, const struct pc_switch *sw,
		      bool on)
{
	int fd, ret, before, after;
	char why[256];

	fd = gpool_ctl_open(pc->dev, true);
	if (fd < 0) {
		pc_err("%s: %s", pc->dev, strerror(-fd));
		pc_err("%s", explain_open(-fd));
		return PC_FAIL;
	}
	before = switch_state(fd, sw);
	ret = sw->set(fd, on);
	after = ret ? -1 : switch_state(fd, sw);
	close(fd);
	if (ret) {
		pc_err("%s %s: %s", sw->what, on_off(on), strerror(-ret));
		explain_set(why, sizeof(why), -ret, sw->object);
		pc_err("%s", why);
		return PC_FAIL;
	}
	if (after >= 0 && after != on) {
		pc_err("%s %s: the kernel accepted it, but it is still %s",
		       sw->what, on_off(on), on_off(after));
		pc_err("%s", sw->stuck ? sw->stuck :
		       "did another process switch it at the same time?");
		return PC_FAIL;
	}
	if (before >= 0)
		printf("%s: %s -> %s\n", sw->what, on_off(before), on_off(on));
	else
		printf("%s: %s\n", sw->what, on_off(on));
	return PC_OK;
}

/* "poolctl CMD [on|off]" for the switch @sw. */
static int switch_cmd(const struct poolctl *pc, const struct pc_switch *sw,
		      int argc, char **argv)
{
	const char *why;
	bool on;

	if (!argc)
		return switch_show(pc, sw);
	if (argc > 1)
		return pc_usage_error(sw->cmd, "too many arguments");
	if (parse_bool(argv[0], &on, &why))
		return pc_usage_error(sw->cmd, "'%s': %s", argv[0], why);
	return switch_set(pc, sw, on);
}

int cmd_default_backing(const struct poolctl *pc, int argc, char **argv)
{
	return switch_cmd(pc, &pc_default_backing, argc, argv);
}

int cmd_zeroing(const struct poolctl *pc, int argc, char **argv)
{
	return switch_cmd(pc, &pc_zeroing, argc, argv);
}
