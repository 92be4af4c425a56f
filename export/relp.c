/* SPDX-License-Identifier: BSD-3-Clause */
#include "relp.h"

#include <stdio.h>
#include <string.h>

/* A decimal of at most 9 digits then the byte `end`; the position after `end`, or NULL. 0 when more bytes are needed. */
static const char *number(const char *p, const char *lim, char end, uint64_t *v, int *need)
{
	*v = 0;
	int n = 0;
	for (; p < lim && *p >= '0' && *p <= '9'; p++, n++) {
		if (n == 9)
			return NULL;
		*v = *v * 10 + (uint64_t)(*p - '0');
	}
	if (p == lim) {
		*need = 1;
		return NULL;
	}
	return n && *p == end ? p + 1 : NULL;
}

long bld_relp_parse(const char *buf, size_t len, struct bld_relp_frame *f)
{
	const char *p = buf, *lim = buf + len;
	int need = 0;
	uint64_t v;
	if (!(p = number(p, lim, ' ', &v, &need)))
		return need ? 0 : -1;
	f->txnr = (uint32_t)v;
	size_t n = 0;
	for (; p < lim && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')); p++, n++) {
		if (n == BLD_RELP_CMD_MAX)
			return -1;
		f->cmd[n] = *p;
	}
	f->cmd[n] = 0;
	if (p == lim)
		return 0;
	if (!n || *p++ != ' ')
		return -1;
	/* DATALEN ends in SP (data follows) or LF (none) */
	const char *q = p;
	v = 0;
	int digits = 0;
	for (; q < lim && *q >= '0' && *q <= '9'; q++, digits++) {
		if (digits == 9)
			return -1;
		v = v * 10 + (uint64_t)(*q - '0');
	}
	if (q == lim)
		return 0;
	if (!digits)
		return -1;
	f->datalen = (size_t)v;
	if (*q == '\n' && v == 0) {
		f->data = q;
		return (long)(q + 1 - buf);
	}
	if (*q != ' ' || v == 0)
		return -1;
	q++;
	if ((size_t)(lim - q) < f->datalen + 1)
		return 0;
	f->data = q;
	if (q[f->datalen] != '\n')
		return -1;
	return (long)(q + f->datalen + 1 - buf);
}

size_t bld_relp_header(char *buf, uint32_t txnr, const char *cmd, size_t datalen)
{
	int n = snprintf(buf, BLD_RELP_HEADER_MAX, datalen ? "%u %s %zu " : "%u %s %zu", txnr, cmd, datalen);
	return n < 0 ? 0 : (size_t)n;
}

unsigned bld_relp_status(const struct bld_relp_frame *f)
{
	unsigned s = 0;
	size_t i = 0;
	for (; i < f->datalen && i < 3 && f->data[i] >= '0' && f->data[i] <= '9'; i++)
		s = s * 10 + (unsigned)(f->data[i] - '0');
	return i == 3 && (i == f->datalen || f->data[i] == ' ' || f->data[i] == '\n') ? s : 0;
}
