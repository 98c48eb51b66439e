// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl: the JSON writer behind --json.
 */
#include "json.h"

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->comma = false;
}

static void json_quoted(FILE *f, const char *s, size_t len)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < len && s[i]; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c >= 0x7f)
			/* Bytes, not UTF-8: each shows as one code point. */
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Separator, newline and indent, then the key if any. */
static void json_item(struct json *j, const char *key)
{
	if (j->comma)
		fputc(',', j->f);
	if (j->depth)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	if (key) {
		json_quoted(j->f, key, (size_t)-1);
		fputs(": ", j->f);
	}
	j->comma = true;
}

void json_open(struct json *j, const char *key, char bracket)
{
	json_item(j, key);
	fputc(bracket, j->f);
	j->depth++;
	j->comma = false;
}

void json_close(struct json *j, char bracket)
{
	j->depth--;
	/* Nothing inside: "{}" on one line. */
	if (j->comma)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	fputc(bracket == '{' || bracket == '}' ? '}' : ']', j->f);
	j->comma = true;
}

void json_u64(struct json *j, const char *key, __u64 v)
{
	json_item(j, key);
	fprintf(j->f, "%llu", v);
}

void json_s64(struct json *j, const char *key, long long v)
{
	json_item(j, key);
	fprintf(j->f, "%lld", v);
}

void json_bool(struct json *j, const char *key, bool v)
{
	json_item(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	json_item(j, key);
	fputs("null", j->f);
}

void json_str(struct json *j, const char *key, const char *v)
{
	json_strn(j, key, v, (size_t)-1);
}

void json_strn(struct json *j, const char *key, const char *v, size_t len)
{
	json_item(j, key);
	json_quoted(j->f, v, len);
}

void json_finish(struct json *j)
{
	fputc('\n', j->f);
}
