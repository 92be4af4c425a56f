/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Alerts as syslog messages (syslog_format.h, docs/siem.md).
 *
 *   rfc5424  <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [bollard@PEN k="v" ...] BOM reason
 *   rfc3164  <PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: event=... reason="..." detail="..."
 *   cef      <PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: CEF:0|Bollard|Bollard|VERSION|sig|name|sev|k=v ...
 *   json     <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - {the --events line}
 *
 * The sensor's own alerts (sensor.export_loss, sensor.export_rate) concern
 * no flow (a->flow == NULL): every format then leaves out what describes a
 * flow (flow id, addresses, ports, protocol) and keeps the rest.
 *
 * Every text an alert carries may hold bytes from the wire (rule ids and
 * host names from the policy, details from the traffic), so each field goes
 * through one escaper with the rules of where it lands: RFC 5424 and CEF are
 * UTF-8 (an invalid byte becomes U+FFFD), RFC 3164 is kept ASCII (\xNN).
 * Control characters never reach the output raw: they would end a message
 * framed by LF (RFC 6587 §3.4.2) and RFC 5424 §8.2 lets a sender replace
 * them.
 *
 * The output is written once, front to back, into the caller's buffer; what
 * does not fit is counted, not written, so the return value is the full
 * length whatever cap is (snprintf's contract).
 */
#include "syslog_format.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "op_json.h"
#include "utf8.h"

#ifndef BLD_VERSION
#define BLD_VERSION "0"
#endif

const char *const bld_syslog_format_names[BLD_SYSLOG_FORMAT_MAX] = {
	[BLD_SYSLOG_RFC5424] = "rfc5424",
	[BLD_SYSLOG_RFC3164] = "rfc3164",
	[BLD_SYSLOG_CEF] = "cef",
	[BLD_SYSLOG_JSON] = "json",
};

int bld_syslog_format_find(const char *name)
{
	for (int i = 0; name && i < BLD_SYSLOG_FORMAT_MAX; i++)
		if (strcmp(name, bld_syslog_format_names[i]) == 0)
			return i;
	return -1;
}

/* RFC 5424 §6.2.1 Table 2: 2 critical, 3 error, 4 warning, 5 notice, 6 informational. */
unsigned bld_syslog_severity(enum bld_severity s)
{
	static const unsigned map[BLD_SEV_MAX] = {
		[BLD_SEV_INFO] = 6, [BLD_SEV_LOW] = 5, [BLD_SEV_MEDIUM] = 4, [BLD_SEV_HIGH] = 3, [BLD_SEV_CRITICAL] = 2,
	};
	return (unsigned)s < BLD_SEV_MAX ? map[s] : 2;
}

/* ---- output: the caller's buffer, counting past its end ---- */

struct out {
	char *p;
	size_t lim;              /* bytes that may be written: cap - 1, the last byte is the NUL's */
	size_t n;                /* the message's full length so far */
};

static void put(struct out *o, const void *s, size_t n)
{
	if (o->n < o->lim)
		memcpy(o->p + o->n, s, n < o->lim - o->n ? n : o->lim - o->n);
	o->n += n;
}

static void put_c(struct out *o, char c)
{
	put(o, &c, 1);
}

static void put_s(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_u64(struct out *o, uint64_t v)
{
	char d[20];
	int i = 20;
	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	put(o, d + i, (size_t)(20 - i));
}

/*
 * NUL-terminate.  A cut message ends at cap - 1 bytes, less the start of a
 * UTF-8 sequence the cut would split: everything written is valid UTF-8, so
 * only the last (up to 3) bytes can be an incomplete sequence.
 */
static size_t finish(struct out *o, size_t cap)
{
	if (!cap)
		return o->n;
	size_t end = o->n < cap ? o->n : o->lim;
	if (o->n >= cap) {
		const uint8_t *u = (const uint8_t *)o->p;
		for (size_t j = end; j > 0 && end - j < 4; j--) {
			uint8_t c = u[j - 1];
			if ((c & 0xc0) == 0x80)
				continue; /* a continuation byte: look further back for its lead */
			size_t need = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			if (end - (j - 1) < need)
				end = j - 1;
			break;
		}
	}
	o->p[end] = 0;
	return o->n;
}

/* ---- escaping: one walker, the rules of each place a text lands in ---- */

enum esc {
	ESC_SD_VALUE,            /* RFC 5424 §6.3.3 PARAM-VALUE: '"', '\' and ']' escaped; UTF-8 */
	ESC_UTF8,                /* RFC 5424 §6.4 MSG after the BOM: UTF-8, nothing escaped */
	ESC_3164_QUOTED,         /* inside "...": '"' and '\' escaped; ASCII, other bytes \xNN */
	ESC_3164_TOKEN,          /* a bare value: ASCII without space, '"', '\'; other bytes \xNN */
	ESC_CEF_HEADER,          /* CEF header field: '|' and '\' escaped */
	ESC_CEF_VALUE,           /* CEF extension value: '\' and '=' escaped, CR and LF as \r and \n */
};

static const char hex[] = "0123456789abcdef";

static void put_xnn(struct out *o, uint8_t c)
{
	char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
	put(o, e, 4);
}

static bool needs_backslash(enum esc e, uint8_t c)
{
	switch (e) {
	case ESC_SD_VALUE:
		return c == '"' || c == '\\' || c == ']';
	case ESC_3164_QUOTED:
		return c == '"' || c == '\\';
	case ESC_CEF_HEADER:
		return c == '|' || c == '\\';
	case ESC_CEF_VALUE:
		return c == '=' || c == '\\';
	case ESC_UTF8:
	case ESC_3164_TOKEN:
		break;
	}
	return false;
}

static void put_text(struct out *o, const char *s, size_t n, enum esc e)
{
	const uint8_t *p = (const uint8_t *)s;
	bool ascii = e == ESC_3164_QUOTED || e == ESC_3164_TOKEN;
	for (size_t i = 0; i < n;) {
		size_t run = i; /* copy plain printable ASCII in runs */
		while (run < n && p[run] > 0x20 && p[run] < 0x7f && !needs_backslash(e, p[run]) &&
		       !(e == ESC_3164_TOKEN && (p[run] == '"' || p[run] == '\\')))
			run++;
		put(o, p + i, run - i);
		if (run == n)
			break;
		i = run;
		uint8_t c = p[i];
		if (c == ' ' && e != ESC_3164_TOKEN) {
			put_c(o, ' ');
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			/* control characters: CEF spells CR and LF (CEF rev 25, "Character Encoding"); else a space */
			if (e == ESC_CEF_VALUE && (c == '\n' || c == '\r'))
				put(o, c == '\n' ? "\\n" : "\\r", 2);
			else if (e == ESC_3164_TOKEN)
				put_xnn(o, c);
			else
				put_c(o, ' ');
			i++;
		} else if (c < 0x80) {
			if (e == ESC_3164_TOKEN) {
				put_xnn(o, c); /* space, '"', '\' */
			} else {
				char b[2] = { '\\', (char)c };
				put(o, b, 2);
			}
			i++;
		} else if (ascii) {
			put_xnn(o, c);
			i++;
		} else {
			unsigned k = bld_utf8_len(p + i, n - i);
			if (k) {
				put(o, p + i, k);
				i += k;
			} else {
				put(o, "\xef\xbf\xbd", 3); /* U+FFFD REPLACEMENT CHARACTER, one per invalid byte */
				i++;
			}
		}
	}
}

static void put_str(struct out *o, const char *s, enum esc e)
{
	if (s)
		put_text(o, s, strlen(s), e);
}

/*
 * A header token: RFC 5424 §6 HOSTNAME, APP-NAME, MSGID are NILVALUE or
 * 1*N PRINTUSASCII (33..126); RFC 3164 §4.1.2 HOSTNAME has no space either.
 * Anything else becomes '_', and the token is cut at max bytes.
 */
static void put_token(struct out *o, const char *s, size_t max)
{
	if (!s || !s[0]) {
		put_c(o, '-');
		return;
	}
	for (size_t i = 0; s[i] && i < max; i++) {
		uint8_t c = (uint8_t)s[i];
		put_c(o, c > 32 && c < 127 ? (char)c : '_');
	}
}

/* ---- the parts ---- */

static const struct bld_syslog_meta default_meta = {
	.hostname = "-", .app_name = "bollard", .pid = 0,
	.facility = BLD_SYSLOG_DEFAULT_FACILITY, .pen = BLD_SYSLOG_DEFAULT_PEN,
};

static const char *app_name(const struct bld_syslog_meta *m)
{
	return m->app_name && m->app_name[0] ? m->app_name : "bollard";
}

/* RFC 5424 §6.2.1: PRI = facility * 8 + severity; facilities are 0..23. */
static void put_pri(struct out *o, const struct bld_syslog_meta *m, const struct bld_alert *a)
{
	unsigned fac = m->facility <= 23 ? m->facility : BLD_SYSLOG_DEFAULT_FACILITY;
	put_c(o, '<');
	put_u64(o, fac * 8 + bld_syslog_severity(a->severity));
	put_c(o, '>');
}

static void put_2d(struct out *o, int v, char pad)
{
	char d[2] = { v >= 10 ? (char)('0' + v / 10 % 10) : pad, (char)('0' + v % 10) };
	put(o, d, 2);
}

/* RFC 5424 §6.2.3 TIMESTAMP (RFC 3339 §5.6) in UTC with microseconds: 2024-05-14T06:00:36.011097Z. */
static void put_rfc3339(struct out *o, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;
	gmtime_r(&t, &tm);
	int year = tm.tm_year + 1900; /* at most 2554 for a uint64_t of nanoseconds: always 4DIGIT */
	put_2d(o, year / 100, '0');
	put_2d(o, year % 100, '0');
	put_c(o, '-');
	put_2d(o, tm.tm_mon + 1, '0');
	put_c(o, '-');
	put_2d(o, tm.tm_mday, '0');
	put_c(o, 'T');
	put_2d(o, tm.tm_hour, '0');
	put_c(o, ':');
	put_2d(o, tm.tm_min, '0');
	put_c(o, ':');
	put_2d(o, tm.tm_sec, '0');
	uint32_t us = (uint32_t)(ns % 1000000000u / 1000u);
	char frac[8] = { '.', 0, 0, 0, 0, 0, 0, 'Z' };
	for (int i = 6; i >= 1; i--, us /= 10)
		frac[i] = (char)('0' + us % 10);
	put(o, frac, 8);
}

/* RFC 5424 §6: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID (the SP before STRUCTURED-DATA not included). */
static void put_5424_header(struct out *o, const struct bld_syslog_meta *m, const struct bld_alert *a)
{
	put_pri(o, m, a);
	put_s(o, "1 "); /* §6.2.2 VERSION */
	put_rfc3339(o, a->last_ns);
	put_c(o, ' ');
	put_token(o, m->hostname, 255); /* §6.2.4 */
	put_c(o, ' ');
	put_token(o, app_name(m), 48); /* §6.2.5 */
	put_c(o, ' ');
	if (m->pid) /* §6.2.6 PROCID */
		put_u64(o, m->pid);
	else
		put_c(o, '-');
	put_c(o, ' ');
	put_token(o, bld_alert_event_name(a), 32); /* §6.2.7 MSGID: event names are at most 32 ASCII (tested) */
}

/*
 * RFC 3164 §4.1.2 TIMESTAMP "Mmm dd hh:mm:ss", the day padded with a space,
 * then HOSTNAME; §4.1.3 TAG[PID]: .  The time is UTC (packet time), where
 * the RFC assumed the sender's local time: a SIEM should read it as UTC.
 * TAG is at most 32 alphanumerics (§4.1.3); '-', '_' and '.' are kept as
 * rsyslog and syslog-ng read them, anything else becomes '_'.
 */
static void put_3164_header(struct out *o, const struct bld_syslog_meta *m, const struct bld_alert *a)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	put_pri(o, m, a);
	time_t t = (time_t)(a->last_ns / 1000000000u);
	struct tm tm;
	gmtime_r(&t, &tm);
	put(o, months[tm.tm_mon], 3);
	put_c(o, ' ');
	put_2d(o, tm.tm_mday, ' ');
	put_c(o, ' ');
	put_2d(o, tm.tm_hour, '0');
	put_c(o, ':');
	put_2d(o, tm.tm_min, '0');
	put_c(o, ':');
	put_2d(o, tm.tm_sec, '0');
	put_c(o, ' ');
	put_token(o, m->hostname, 255);
	put_c(o, ' ');
	const char *tag = app_name(m);
	for (size_t i = 0; tag[i] && i < 32; i++) {
		char c = tag[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
			  c == '_' || c == '.';
		put_c(o, ok ? c : '_');
	}
	if (m->pid) {
		put_c(o, '[');
		put_u64(o, m->pid);
		put_c(o, ']');
	}
	put_s(o, ": ");
}

/* The flow's protocol; only for alerts with a flow (the writers leave "proto" out without one). */
static const char *proto_name(const struct bld_alert *a)
{
	return a->flow && a->flow->app ? a->flow->app : "unknown";
}

/* One SD-PARAM (RFC 5424 §6.3.3): SP PARAM-NAME="PARAM-VALUE". */
static void put_param(struct out *o, const char *name, const char *v, size_t n)
{
	put_c(o, ' ');
	put_s(o, name);
	put_s(o, "=\"");
	put_text(o, v, n, ESC_SD_VALUE);
	put_c(o, '"');
}

static void put_param_s(struct out *o, const char *name, const char *v)
{
	put_param(o, name, v, strlen(v));
}

static void put_param_u(struct out *o, const char *name, uint64_t v)
{
	put_c(o, ' ');
	put_s(o, name);
	put_s(o, "=\"");
	put_u64(o, v);
	put_c(o, '"');
}

static void put_param_time(struct out *o, const char *name, uint64_t ns)
{
	put_c(o, ' ');
	put_s(o, name);
	put_s(o, "=\"");
	put_rfc3339(o, ns);
	put_c(o, '"');
}

/* The op as its compact JSON (an SD-PARAM value): usually small, up to the --events line's bound. */
static void put_param_op(struct out *o, const struct bld_op *op)
{
	char small[2048];
	size_t n = bld_op_json(op, small, sizeof(small));
	if (n < sizeof(small)) {
		put_param(o, "op", small, n);
		return;
	}
	char *big = malloc(n + 1);
	if (!big)
		return; /* the op is left out rather than cut: the rest of the alert still goes */
	bld_op_json(op, big, n + 1);
	put_param(o, "op", big, n);
	free(big);
}

/*
 * RFC 5424 §6.3: one SD-ELEMENT, SD-ID bollard@PEN (§7.2.2: an enterprise
 * SD-ID is name@<private enterprise number>), whose SD-PARAMs are the fields
 * of the --events line (docs/events.md) less the two the header carries
 * (event as MSGID, ts as TIMESTAMP), in the line's order (without a flow, no
 * flow_id, src_*, dst_*, ports or proto, as the line).  Every PARAM-NAME
 * is a constant of at most 32 characters without '=', SP, ']' or '"'
 * (§6.3.3).  Then MSG (§6.4): the reason, UTF-8 with its BOM.
 */
static void format_5424(struct out *o, const struct bld_syslog_meta *m, const struct bld_alert *a)
{
	struct bld_endpoints ep;
	const char *sh, *dh;
	bld_alert_endpoints(a, &ep, &sh, &dh);
	put_5424_header(o, m, a);
	put_s(o, " [bollard@");
	put_u64(o, m->pen);
	if (!ep.no_flow) {
		put_param_u(o, "flow_id", ep.flow_id);
		if (ep.port)
			put_param_s(o, "port", ep.port);
		put_param_s(o, ep.l2 ? "src_mac" : "src_ip", ep.src);
		if (ep.has_ports)
			put_param_u(o, "src_port", ep.src_port);
		put_param_s(o, ep.l2 ? "dst_mac" : "dst_ip", ep.dst);
		if (ep.has_ports)
			put_param_u(o, "dst_port", ep.dst_port);
		put_param_s(o, "proto", proto_name(a));
	}
	put_param_s(o, "severity", bld_severity_names[a->severity]);
	put_param_s(o, "action", bld_action_names[a->action & 1]);
	if (a->rule)
		put_param_s(o, "rule", a->rule);
	put_param_s(o, "reason", a->reason ? a->reason : "");
	if (sh)
		put_param_s(o, "src_host", sh);
	if (dh)
		put_param_s(o, "dst_host", dh);
	put_param_u(o, "count", a->count);
	put_param_time(o, "first_seen", a->first_ns);
	put_param_time(o, "last_seen", a->last_ns);
	if (a->detail && a->detail[0])
		put_param_s(o, "detail", a->detail);
	if (a->op)
		put_param_op(o, a->op);
	put_c(o, ']');
	if (a->reason && a->reason[0]) {
		put_s(o, " \xef\xbb\xbf"); /* §6.4 MSG-UTF8 = BOM UTF-8-STRING */
		put_str(o, a->reason, ESC_UTF8);
	}
}

/* The --events line as MSG (MSG-ANY: no BOM, §6.4), after NILVALUE structured data. */
static void format_json(struct out *o, const struct bld_syslog_meta *m, const struct bld_alert *a)
{
	put_5424_header(o, m, a);
	put_s(o, " - ");
	size_t room = o->n < o->lim ? o->lim - o->n + 1 : 0; /* + 1: bld_alert_json's NUL falls on ours */
	o->n += bld_alert_json(a, room ? o->p + o->n : NULL, room);
}

/* "10.0.0.1:502", "[2001:db8::1]:502" (RFC 3986 §3.2.2 brackets), or the bare address without ports. */
static void put_addr_port(struct out *o, const struct bld_endpoints *ep, const char *addr, uint16_t port)
{
	bool v6 = !ep->l2 && strchr(addr, ':');
	if (ep->has_ports && v6)
		put_c(o, '[');
	put_str(o, addr, ESC_3164_TOKEN);
	if (ep->has_ports) {
		if (v6)
			put_c(o, ']');
		put_c(o, ':');
		put_u64(o, port);
	}
}

/* RFC 3164 §4.1.3 CONTENT: key=value pairs, ASCII only; src, dst and proto only for alerts with a flow. */
static void format_3164(struct out *o, const struct bld_syslog_meta *m, const struct bld_alert *a)
{
	struct bld_endpoints ep;
	bld_alert_endpoints(a, &ep, NULL, NULL);
	put_3164_header(o, m, a);
	put_s(o, "event=");
	put_str(o, bld_alert_event_name(a), ESC_3164_TOKEN);
	put_s(o, " severity=");
	put_s(o, bld_severity_names[a->severity]);
	put_s(o, " rule=");
	if (a->rule && a->rule[0])
		put_str(o, a->rule, ESC_3164_TOKEN);
	else
		put_c(o, '-');
	if (!ep.no_flow) {
		put_s(o, " src=");
		put_addr_port(o, &ep, ep.src, ep.src_port);
		put_s(o, " dst=");
		put_addr_port(o, &ep, ep.dst, ep.dst_port);
		put_s(o, " proto=");
		put_str(o, proto_name(a), ESC_3164_TOKEN);
		if (ep.port) {
			put_s(o, " port=");
			put_str(o, ep.port, ESC_3164_TOKEN);
		}
	}
	put_s(o, " count=");
	put_u64(o, a->count);
	put_s(o, " reason=\"");
	put_str(o, a->reason, ESC_3164_QUOTED);
	put_s(o, "\" detail=\"");
	put_str(o, a->detail, ESC_3164_QUOTED);
	put_c(o, '"');
}

/* CEF Name: the kind in a few words (the Signature ID is the event name). */
static const char *const cef_names[BLD_ALERT_PROTOCOL] = {
	[BLD_ALERT_FLOW_NOT_ALLOWED] = "Flow not allowed",
	[BLD_ALERT_ASSET_NEW] = "New asset",
	[BLD_ALERT_OP_NOT_ALLOWED] = "Operation not allowed",
	[BLD_ALERT_VALUE_OUT_OF_RANGE] = "Value out of range",
	[BLD_ALERT_RATE_EXCEEDED] = "Rate exceeded",
	[BLD_ALERT_TIMING_DEVIATION] = "Timing deviation",
	[BLD_ALERT_TIMING_SILENCE] = "Cyclic request silent",
	[BLD_ALERT_SENSOR_CAPACITY] = "Sensor capacity reached",
	[BLD_ALERT_SENSOR_EXPORT_LOSS] = "Alerts lost in export",
	[BLD_ALERT_SENSOR_EXPORT_RATE] = "Alerts over the export rate",
};
_Static_assert(BLD_ALERT_PROTOCOL == 10, "a new policy event kind needs its CEF Name in cef_names");

/* CEF Severity 0..10 (0-3 low, 4-6 medium, 7-8 high, 9-10 very high). */
static const unsigned cef_severity[BLD_SEV_MAX] = {
	[BLD_SEV_INFO] = 1, [BLD_SEV_LOW] = 3, [BLD_SEV_MEDIUM] = 5, [BLD_SEV_HIGH] = 8, [BLD_SEV_CRITICAL] = 10,
};

/* IANA protocol numbers, by name where CEF consumers expect one. */
static const char *l4_name(uint8_t l4)
{
	switch (l4) {
	case 1:
		return "ICMP";
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 58:
		return "ICMPv6";
	case 132:
		return "SCTP";
	}
	return NULL;
}

/* One extension pair, " key=value" (the first without the space). */
static void put_ext(struct out *o, bool *first, const char *key)
{
	if (!*first)
		put_c(o, ' ');
	*first = false;
	put_s(o, key);
	put_c(o, '=');
}

static void put_ext_s(struct out *o, bool *first, const char *key, const char *v)
{
	put_ext(o, first, key);
	put_str(o, v, ESC_CEF_VALUE);
}

static void put_ext_u(struct out *o, bool *first, const char *key, uint64_t v)
{
	put_ext(o, first, key);
	put_u64(o, v);
}

/*
 * ArcSight CEF (Implementing ArcSight CEF, rev 25): the RFC 3164 header,
 * then CEF:Version|Device Vendor|Device Product|Device Version|Signature
 * ID|Name|Severity|Extension, with the standard extension keys where one
 * fits and labelled custom fields (cs1..cs3, cn1) for the rest.  Times are
 * milliseconds since the epoch, one of the formats CEF accepts.  An alert
 * without a flow has no src/dst, spt/dpt, proto, app or cn1 (flow_id).
 */
static void format_cef(struct out *o, const struct bld_syslog_meta *m, const struct bld_alert *a)
{
	struct bld_endpoints ep;
	const char *sh, *dh;
	bld_alert_endpoints(a, &ep, &sh, &dh);
	put_3164_header(o, m, a);
	const char *event = bld_alert_event_name(a);
	const char *name = (unsigned)a->kind < BLD_ALERT_PROTOCOL && cef_names[a->kind] ? cef_names[a->kind] : event;
	put_s(o, "CEF:0|Bollard|Bollard|");
	put_str(o, BLD_VERSION, ESC_CEF_HEADER);
	put_c(o, '|');
	put_str(o, event, ESC_CEF_HEADER);
	put_c(o, '|');
	put_str(o, name, ESC_CEF_HEADER);
	put_c(o, '|');
	put_u64(o, cef_severity[a->severity]);
	put_c(o, '|');

	bool first = true;
	put_ext_u(o, &first, "rt", a->last_ns / 1000000u);
	put_ext_s(o, &first, "cat", bld_alert_kind_names[a->kind]);
	put_ext_s(o, &first, "act", bld_action_names[a->action & 1]);
	if (!ep.no_flow) {
		put_ext_s(o, &first, ep.l2 ? "smac" : "src", ep.src);
		if (ep.has_ports)
			put_ext_u(o, &first, "spt", ep.src_port);
		put_ext_s(o, &first, ep.l2 ? "dmac" : "dst", ep.dst);
		if (ep.has_ports)
			put_ext_u(o, &first, "dpt", ep.dst_port);
		if (!ep.l2 && a->flow->l4) { /* CEF proto: the transport by name, "TCP" or "UDP" */
			put_ext(o, &first, "proto");
			const char *l4 = l4_name(a->flow->l4);
			if (l4)
				put_s(o, l4);
			else
				put_u64(o, a->flow->l4);
		}
		put_ext_s(o, &first, "app", proto_name(a));
	}
	if (sh)
		put_ext_s(o, &first, "shost", sh);
	if (dh)
		put_ext_s(o, &first, "dhost", dh);
	put_ext_u(o, &first, "cnt", a->count);
	put_ext_u(o, &first, "start", a->first_ns / 1000000u);
	put_ext_u(o, &first, "end", a->last_ns / 1000000u);
	put_ext_s(o, &first, "msg", a->reason ? a->reason : "");
	if (a->rule) {
		put_ext_s(o, &first, "cs1Label", "rule");
		put_ext_s(o, &first, "cs1", a->rule);
	}
	if (a->detail && a->detail[0]) {
		put_ext_s(o, &first, "cs2Label", "detail");
		put_ext_s(o, &first, "cs2", a->detail);
	}
	put_ext_s(o, &first, "cs3Label", "severity");
	put_ext_s(o, &first, "cs3", bld_severity_names[a->severity]);
	if (!ep.no_flow) {
		put_ext_s(o, &first, "cn1Label", "flow_id");
		put_ext_u(o, &first, "cn1", ep.flow_id);
		if (ep.port)   /* the capture port: CEF's interface the event came in on */
			put_ext_s(o, &first, "deviceInboundInterface", ep.port);
	}
}

size_t bld_syslog_format(enum bld_syslog_format f, const struct bld_syslog_meta *m, const struct bld_alert *a,
			 char *buf, size_t cap)
{
	struct out o = { .p = buf, .lim = cap ? cap - 1 : 0 };
	if (!m)
		m = &default_meta;
	switch (f) {
	case BLD_SYSLOG_RFC5424:
		format_5424(&o, m, a);
		break;
	case BLD_SYSLOG_RFC3164:
		format_3164(&o, m, a);
		break;
	case BLD_SYSLOG_CEF:
		format_cef(&o, m, a);
		break;
	case BLD_SYSLOG_JSON:
		format_json(&o, m, a);
		break;
	default:
		break;
	}
	return finish(&o, cap);
}
