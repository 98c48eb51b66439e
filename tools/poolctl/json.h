/* SPDX-License-Identifier: GPL-2.0 */
/*
 * poolctl: a minimal JSON writer for --json.  Objects and arrays nest;
 * each value is written with its key (NULL inside an array).  The output
 * is indented by two spaces per level and ends with a newline.
 */
#ifndef POOLCTL_JSON_H
#define POOLCTL_JSON_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

struct json {
	FILE *f;
	int depth;
	bool comma;	/* a value precedes at this level */
};

void json_init(struct json *j, FILE *f);
/* Open an object ('{') or array ('['); close it with the same character. */
void json_open(struct json *j, const char *key, char bracket);
void json_close(struct json *j, char bracket);
void json_u64(struct json *j, const char *key, __u64 v);
void json_s64(struct json *j, const char *key, long long v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* A string: quotes, backslashes and control or non-ASCII bytes escaped. */
void json_str(struct json *j, const char *key, const char *v);
/* Like json_str(), at most @len bytes of @v (stops at a NUL). */
void json_strn(struct json *j, const char *key, const char *v, size_t len);
/* Finish the document (the newline after the outermost value). */
void json_finish(struct json *j);

#endif /* POOLCTL_JSON_H */
