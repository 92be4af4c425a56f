/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: alerts as syslog messages (export/syslog_format.c).
 *
 * The input is an alert: 59 bytes (56 with flags bit 7) of numbers and
 * flags (kind, severity, family, ports, times, facility, PEN, which texts
 * are NULL, whether there is a flow at all, ...), then its texts separated
 * by NUL bytes (reason, detail, rule, host names, the flow's app, the
 * sensor's hostname and app name, an op's text field), then, with an op, its
 * values.  The layout is what LLVMFuzzerTestOneInput reads, in order
 * (make_seeds.py --syslog-format writes seeds in it).  Each
 * alert is formatted in every format into a large buffer and into a heap
 * block of exactly a small size the input picks (so ASan sees a byte
 * written past it); the lengths must agree, the small message be a
 * NUL-terminated prefix of the large one cut short by at most one UTF-8
 * sequence, and every message valid UTF-8 without control characters
 * (RFC 3164: printable ASCII only).  An alert without a flow (the sensor's
 * own, sensor.export_*: flags bit 5) must give messages with nothing of a
 * flow in them: the JSON line's next member after "ts" is "event", the
 * RFC 5424 SD-ELEMENT's first SD-PARAM is severity, CEF's act is followed
 * by cnt, RFC 3164's rule by count.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "op_json.h"
#include "syslog_format.h"

struct in {
	const uint8_t *p;
	size_t n;
};

static uint64_t num(struct in *in, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		v = v << 8 | (in->n ? *in->p : 0);
		if (in->n)
			in->p++, in->n--;
	}
	return v;
}

/* The next NUL-terminated text (copied, so that ASan sees its end), or "" when the input ran out. */
static char *text(struct in *in, char *store, size_t cap)
{
	size_t k = 0;
	while (in->n && *in->p) {
		if (k + 1 < cap)
			store[k++] = (char)*in->p;
		in->p++, in->n--;
	}
	if (in->n)
		in->p++, in->n--;
	store[k] = 0;
	return store;
}

static size_t utf8_len(const uint8_t *p, size_t n)
{
	if (p[0] < 0x80)
		return 1;
	size_t len = p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3 : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
	if (!len || n < len)
		return 0;
	uint32_t cp = p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void check_text(const char *s, size_t n, bool ascii)
{
	const uint8_t *u = (const uint8_t *)s;
	for (size_t i = 0; i < n;) {
		if (u[i] < 0x20 || u[i] == 0x7f || (ascii && u[i] >= 0x80))
			abort();
		size_t k = utf8_len(u + i, n - i);
		if (!k)
			abort();
		i += k;
	}
}

static char big[1 << 19];

static void expect_after(const char *s, const char *key, const char *next)
{
	const char *p = strstr(s, key);
	if (!p || strncmp(p + strlen(key), next, strlen(next)) != 0)
		abort();
}

/*
 * Nothing of a flow where a flow's members would come: the texts are the
 * input's, so the check looks at the one place each format puts them rather
 * than searching the whole message.
 */
static void check_flowless(const struct bld_alert *a, const struct bld_syslog_meta *mp, const char *line)
{
	/* {"ts":"2024-05-14T06:00:48.010967Z","event": (the time is always 27 bytes up to year 9999) */
	if (strncmp(line, "{\"ts\":\"", 7) != 0 || strncmp(line + 7 + 27, "\",\"event\":", 10) != 0)
		abort();
	bld_syslog_format(BLD_SYSLOG_RFC5424, mp, a, big, sizeof(big));
	const char *p = strstr(big, " [bollard@"); /* the SD-ID, then severity */
	if (!p)
		abort();
	for (p += 10; *p >= '0' && *p <= '9'; p++)
		;
	if (strncmp(p, " severity=\"", 11) != 0)
		abort();
	bld_syslog_format(BLD_SYSLOG_CEF, mp, a, big, sizeof(big));
	p = strstr(big, " CEF:0|");   /* past the header, whose hostname is the input's */
	if (!p)
		abort();
	expect_after(p, a->action == BLD_ACTION_DROP ? " act=drop" : " act=alert", " cnt=");
	bld_syslog_format(BLD_SYSLOG_RFC3164, mp, a, big, sizeof(big));
	p = strstr(big, ": event=");   /* past the header: the hostname and tag are the input's too */
	p = p ? strstr(p, " rule=") : NULL;
	if (!p || !(p = strchr(p + 1, ' ')) || strncmp(p, " count=", 7) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bld_op op;
	static char reason[4096], detail[1024], rule[256], ch[256], sh[256], app[64], host[512], appname[128], optext[BLD_OP_MAX_TEXT];
	struct in in = { data, size };

	/*
	 * One statement per field, in input order: the expressions of an
	 * initializer list are indeterminately sequenced (C11 6.7.9p23), so
	 * reading the input inside one would leave the layout to the compiler.
	 * flags: 1 has_ports, 2 drop, 4 to_server, 8 an op, 16 a response,
	 * 32 no flow (the sensor's own alerts), 128 last_ns near UINT64_MAX.
	 */
	uint8_t flags = (uint8_t)num(&in, 1);
	struct bld_policy_flow f = { .has_ports = flags & 1 };
	f.flow_id = num(&in, 8);
	f.family = (uint8_t[]){ 4, 6, 0, 4 }[num(&in, 1) & 3];
	f.client_port = (uint16_t)num(&in, 2);
	f.server_port = (uint16_t)num(&in, 2);
	f.l4 = (uint8_t)num(&in, 1);
	for (int i = 0; i < 16; i++)
		f.client_ip[i] = (uint8_t)(num(&in, 1) ^ i), f.server_ip[i] = f.client_ip[i] ^ 0x5a;
	memcpy(f.client_mac, f.client_ip, 6);
	memcpy(f.server_mac, f.server_ip + 6, 6);
	struct bld_alert a = {
		.action = (enum bld_action)(flags >> 1 & 1),
		.to_server = flags >> 2 & 1,
		.flow = flags & 32 ? NULL : &f,
	};
	a.kind = (enum bld_alert_kind)(num(&in, 1) % BLD_ALERT_KIND_MAX);
	a.protocol_event = (uint16_t)(num(&in, 2) % BLD_EVENT_MAX);
	a.severity = (enum bld_severity)(num(&in, 1) % BLD_SEV_MAX);
	a.count = num(&in, 2);
	a.first_ns = num(&in, 8);
	a.last_ns = flags & 0x80 ? UINT64_MAX - num(&in, 1) : a.first_ns + num(&in, 4);
	struct bld_syslog_meta m = { 0 };
	m.pid = (uint32_t)num(&in, 2);
	m.facility = (uint8_t)num(&in, 1);
	m.pen = (uint32_t)num(&in, 4);
	size_t small_cap = (size_t)num(&in, 2) % 1400;
	uint8_t nulls = (uint8_t)num(&in, 1);

	a.reason = text(&in, reason, sizeof(reason));
	a.detail = text(&in, detail, sizeof(detail));
	a.rule = text(&in, rule, sizeof(rule));
	a.client_host = text(&in, ch, sizeof(ch));
	a.server_host = text(&in, sh, sizeof(sh));
	f.app = text(&in, app, sizeof(app));
	m.hostname = text(&in, host, sizeof(host));
	m.app_name = text(&in, appname, sizeof(appname));
	const char *ot = text(&in, optext, sizeof(optext));
	if (nulls & 1)
		a.rule = NULL;
	if (nulls & 2)
		a.client_host = NULL;
	if (nulls & 4)
		a.server_host = NULL;
	if (nulls & 8)
		f.app = NULL;
	if (nulls & 16)
		m.hostname = NULL;
	if (nulls & 32)
		m.app_name = NULL;
	if (flags & 8) { /* an op: its text field, then the rest of the input as numbers in nested lists */
		static const struct bld_dissector dsc = { .name = "modbus" };
		struct bld_parse_ctx pc = { .dsc = &dsc, .ts_ns = a.first_ns, .op = &op };
		struct bld_op *o = bld_op_begin(&pc, flags & 16 ? BLD_OP_RESPONSE : BLD_OP_REQUEST);
		bld_op_text(o, "name", ot, (uint32_t)strlen(ot));
		bld_op_list(o, "values");
		while (in.n) {
			uint8_t c = (uint8_t)num(&in, 1);
			if (c == 0xff)
				bld_op_end(o);
			else if (c == 0xfe)
				bld_op_list(o, NULL);
			else
				bld_op_uint(o, NULL, (uint64_t)c << (c & 63));
		}
		a.op = o;
	}
	const struct bld_syslog_meta *mp = nulls & 64 ? NULL : &m;

	for (int fi = 0; fi < BLD_SYSLOG_FORMAT_MAX; fi++) {
		enum bld_syslog_format fmt = (enum bld_syslog_format)fi;
		size_t n = bld_syslog_format(fmt, mp, &a, big, sizeof(big));
		if (n >= sizeof(big) || strlen(big) != n)
			abort();
		check_text(big, n, fmt == BLD_SYSLOG_RFC3164);
		if (bld_syslog_format(fmt, mp, &a, NULL, 0) != n)
			abort();
		char *small = malloc(small_cap ? small_cap : 1);
		if (!small)
			return 0;
		if (bld_syslog_format(fmt, mp, &a, small, small_cap) != n)
			abort();
		if (small_cap) {
			size_t k = strnlen(small, small_cap);
			if (k >= small_cap || memcmp(small, big, k) != 0)
				abort();
			if (n < small_cap ? k != n : (k > small_cap - 1 || k + 3 < small_cap - 1))
				abort();
			check_text(small, k, fmt == BLD_SYSLOG_RFC3164); /* no split sequence at the cut */
		}
		free(small);
	}
	/* the JSON format's MSG is the --events line */
	size_t n = bld_syslog_format(BLD_SYSLOG_JSON, mp, &a, big, sizeof(big));
	static char line[1 << 19];
	size_t ln = bld_alert_json(&a, line, sizeof(line));
	if (ln > n || strcmp(big + n - ln, line) != 0 || big[n - ln - 1] != ' ')
		abort();
	if (!a.flow)
		check_flowless(&a, mp, line);
	return 0;
}
