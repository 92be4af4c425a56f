/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Each line is built in a buffer and written with one fwrite: stdio calls per
 * field (each taking the FILE lock) cost more than the parsing they report.
 * A record is bounded (BLD_OP_MAX_FIELDS fields, BLD_OP_MAX_TEXT bytes of
 * text, each byte at most 6 when escaped), so one buffer of LINE_MAX_BYTES
 * holds any line; the appender still checks, and cuts rather than overrun.
 */
#include "op_json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_record.h"
#include "utf8.h"

#define LINE_MAX_BYTES (256u << 10)

struct line {
	char *p;
	size_t n;
	bool cut;                /* something did not fit (never with names of sane length) */
};

static const char hex[] = "0123456789abcdef";

static void put(struct line *l, const void *s, size_t n)
{
	if (n > LINE_MAX_BYTES - 2 - l->n) { /* keep room for the closing "}\n" */
		l->cut = true;
		return;
	}
	memcpy(l->p + l->n, s, n);
	l->n += n;
}

static void put_c(struct line *l, char c)
{
	put(l, &c, 1);
}

static void put_s(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

static void put_u64(struct line *l, uint64_t v)
{
	char d[20];
	int i = 20;
	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	put(l, d + i, (size_t)(20 - i));
}

static void put_i64(struct line *l, int64_t v)
{
	if (v < 0) {
		put_c(l, '-');
		put_u64(l, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(l, (uint64_t)v);
	}
}

static void put_string(struct line *l, const void *s, uint32_t n)
{
	const uint8_t *p = s;
	put_c(l, '"');
	for (uint32_t i = 0; i < n;) {
		uint32_t run = i; /* copy plain ASCII in runs */
		while (run < n && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' && p[run] != '\\')
			run++;
		put(l, p + i, run - i);
		if (run == n)
			break;
		i = run;
		uint8_t c = p[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(l, e, 2);
			i++;
		} else if (c == '\n') {
			put(l, "\\n", 2);
			i++;
		} else if (c == '\t') {
			put(l, "\\t", 2);
			i++;
		} else {
			unsigned k = c >= 0x80 ? bld_utf8_len(p + i, n - i) : 0;
			if (k) {
				put(l, p + i, k);
				i += k;
			} else {
				char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
				put(l, e, 6);
				i++;
			}
		}
	}
	put_c(l, '"');
}

/* JSON has no NaN or infinity: those are null. */
static void put_real(struct line *l, const struct bld_op_field *f)
{
	char buf[40];
	bld_op_real_text(f, buf, sizeof(buf));
	put_s(l, buf[0] == 'n' || buf[0] == 'i' || buf[1] == 'i' ? "null" : buf);
}

static void put_key(struct line *l, const char *key)
{
	put_string(l, key, (uint32_t)strlen(key));
	put_c(l, ':');
}

/* bld_format_time()'s text, with the date and time of day formatted once per second of packet time. */
static void put_time(struct line *l, uint64_t ts_ns)
{
	static __thread uint64_t cached_sec = UINT64_MAX;
	static __thread char prefix[40];
	static __thread size_t prefix_len;
	uint64_t sec = ts_ns / 1000000000u;
	if (sec != cached_sec) {
		bld_format_time(sec * 1000000000u, prefix, sizeof(prefix));
		prefix_len = strlen(prefix) - 8; /* without ".000000Z" */
		cached_sec = sec;
	}
	put(l, prefix, prefix_len);
	uint32_t us = (uint32_t)(ts_ns % 1000000000u / 1000u);
	char frac[8] = { '.', 0, 0, 0, 0, 0, 0, 'Z' };
	for (int i = 6; i >= 1; i--, us /= 10)
		frac[i] = (char)('0' + us % 10);
	put(l, frac, 8);
}

/* "ts", then the flow's members and "proto"; a line concerning no flow (ep->no_flow) has "ts" only. */
static void put_envelope(struct line *l, const struct bld_endpoints *ep, uint64_t ts_ns, const char *proto)
{
	put_s(l, "{\"ts\":\"");
	put_time(l, ts_ns);
	put_c(l, '"');
	if (ep->no_flow)
		return;
	put_s(l, ",\"flow_id\":");
	put_u64(l, ep->flow_id);
	if (ep->port) {
		put_s(l, ",\"port\":");
		put_string(l, ep->port, (uint32_t)strlen(ep->port));
	}
	put_s(l, ep->l2 ? ",\"src_mac\":\"" : ",\"src_ip\":\"");
	put_s(l, ep->src);
	put_c(l, '"');
	if (ep->has_ports) {
		put_s(l, ",\"src_port\":");
		put_u64(l, ep->src_port);
	}
	put_s(l, ep->l2 ? ",\"dst_mac\":\"" : ",\"dst_ip\":\"");
	put_s(l, ep->dst);
	put_c(l, '"');
	if (ep->has_ports) {
		put_s(l, ",\"dst_port\":");
		put_u64(l, ep->dst_port);
	}
	put_s(l, ",\"proto\":");
	put_string(l, proto, (uint32_t)strlen(proto));
}

/*
 * Close the line with "}\n".  A line that did not fit (a bug: records are
 * bounded) keeps its first `keep` bytes, the envelope, and says it was cut,
 * so the output stays valid JSON lines.  put() always leaves two bytes free,
 * so the closing "}\n" fits.
 */
static void close_line(struct line *l, size_t keep)
{
	if (l->cut) {
		l->n = keep;
		l->cut = false;
		put_s(l, ",\"cut\":true");
	}
	l->p[l->n++] = '}';
	l->p[l->n++] = '\n';
}

static int finish(FILE *out, struct line *l, size_t keep)
{
	close_line(l, keep);
	return fwrite(l->p, 1, l->n, out) == l->n ? 0 : -EIO;
}

/* A closed line into buf as snprintf would put it, without its newline; the line's full length. */
static size_t copy_out(const struct line *l, char *buf, size_t cap)
{
	size_t n = l->n - 1;
	if (cap) {
		size_t k = n < cap ? n : cap - 1;
		memcpy(buf, l->p, k);
		buf[k] = 0;
	}
	return n;
}

static char *line_buffer(void)
{
	static __thread char *buf;
	if (!buf)
		buf = malloc(LINE_MAX_BYTES);
	return buf;
}

/* "dir":"request",...,"modbus":{...fields...} */
static void put_op(struct line *l, const struct bld_op *op, size_t *envelope)
{
	put_s(l, "\"dir\":\"");
	put_s(l, bld_op_dir_names[op->dir & 1]);
	put_c(l, '"');
	if (op->has_response_time) {
		put_s(l, ",\"response_time_us\":");
		put_u64(l, op->response_time_ns / 1000);
	}
	if (op->overflow)
		put_s(l, ",\"truncated\":true");
	if (envelope)
		*envelope = l->n;
	put_c(l, ',');
	put_key(l, op->proto);
	put_c(l, '{');
	bool first = true; /* no comma before the first member of a container */
	char closer[BLD_OP_MAX_DEPTH];
	unsigned depth = 0;
	for (uint32_t i = 0; i < op->n_fields; i++) {
		const struct bld_op_field *f = &op->f[i];
		if (f->type == BLD_OPF_END) {
			if (depth)
				put_c(l, closer[--depth]);
			first = false;
			continue;
		}
		if (!first)
			put_c(l, ',');
		first = false;
		if (f->name)
			put_key(l, f->name);
		const uint8_t *t = (const uint8_t *)op->text + f->v.off;
		switch (f->type) {
		case BLD_OPF_UINT:
			put_u64(l, f->v.u);
			break;
		case BLD_OPF_INT:
			put_i64(l, f->v.i);
			break;
		case BLD_OPF_BOOL:
			put_s(l, f->v.b ? "true" : "false");
			break;
		case BLD_OPF_REAL:
			put_real(l, f);
			break;
		case BLD_OPF_TEXT:
			put_string(l, t, f->len);
			break;
		case BLD_OPF_HEX: {
			put_c(l, '"');
			for (uint32_t k = 0; k < f->len; k++) {
				char h[2] = { hex[t[k] >> 4], hex[t[k] & 15] };
				put(l, h, 2);
			}
			put_c(l, '"');
			break;
		}
		case BLD_OPF_LIST:
		case BLD_OPF_OBJECT:
			put_c(l, f->type == BLD_OPF_LIST ? '[' : '{');
			if (depth < BLD_OP_MAX_DEPTH)
				closer[depth++] = f->type == BLD_OPF_LIST ? ']' : '}';
			first = true;
			break;
		}
	}
	put_c(l, '}');
}

int bld_op_write_json(FILE *out, const struct bld_endpoints *ep, const struct bld_op *op)
{
	struct line l = { .p = line_buffer() };
	if (!l.p)
		return -ENOMEM;
	put_envelope(&l, ep, op->ts_ns, op->proto);
	put_c(&l, ',');
	size_t envelope = l.n;
	put_op(&l, op, &envelope);
	return finish(out, &l, envelope);
}

int bld_event_write_json(FILE *out, const struct bld_endpoints *ep, const char *proto, enum bld_event ev,
			 uint64_t ts_ns)
{
	struct line l = { .p = line_buffer() };
	if (!l.p)
		return -ENOMEM;
	put_envelope(&l, ep, ts_ns, proto);
	size_t envelope = l.n;
	put_s(&l, ",\"event\":\"");
	put_s(&l, bld_event_names[ev]);
	put_s(&l, "\",\"description\":");
	put_string(&l, bld_event_docs[ev], (uint32_t)strlen(bld_event_docs[ev]));
	return finish(out, &l, envelope);
}

/* The alert's sender and receiver: the client for flow-level alerts; none for the sensor's own (no flow). */
void bld_alert_endpoints(const struct bld_alert *a, struct bld_endpoints *ep, const char **src_host,
			 const char **dst_host)
{
	const struct bld_policy_flow *f = a->flow;
	bool client_sends = a->to_server || a->kind == BLD_ALERT_FLOW_NOT_ALLOWED || a->kind == BLD_ALERT_ASSET_NEW;
	memset(ep, 0, sizeof(*ep));
	if (!f) {
		ep->no_flow = true;
		if (src_host)
			*src_host = NULL;
		if (dst_host)
			*dst_host = NULL;
		return;
	}
	ep->flow_id = f->flow_id;
	ep->port = f->port;
	ep->l2 = f->family == 0;
	const uint8_t *s = client_sends ? f->client_ip : f->server_ip, *d = client_sends ? f->server_ip : f->client_ip;
	if (ep->l2) {
		const uint8_t *sm = client_sends ? f->client_mac : f->server_mac;
		const uint8_t *dm = client_sends ? f->server_mac : f->client_mac;
		snprintf(ep->src, sizeof(ep->src), "%02x:%02x:%02x:%02x:%02x:%02x", sm[0], sm[1], sm[2], sm[3], sm[4], sm[5]);
		snprintf(ep->dst, sizeof(ep->dst), "%02x:%02x:%02x:%02x:%02x:%02x", dm[0], dm[1], dm[2], dm[3], dm[4], dm[5]);
	} else {
		inet_ntop(f->family == 4 ? AF_INET : AF_INET6, s, ep->src, sizeof(ep->src));
		inet_ntop(f->family == 4 ? AF_INET : AF_INET6, d, ep->dst, sizeof(ep->dst));
	}
	ep->has_ports = f->has_ports;
	ep->src_port = client_sends ? f->client_port : f->server_port;
	ep->dst_port = client_sends ? f->server_port : f->client_port;
	if (src_host)
		*src_host = client_sends ? a->client_host : a->server_host;
	if (dst_host)
		*dst_host = client_sends ? a->server_host : a->client_host;
}

static void put_opt_string(struct line *l, const char *key, const char *v)
{
	put_c(l, ',');
	put_key(l, key);
	if (v)
		put_string(l, v, (uint32_t)strlen(v));
	else
		put_s(l, "null");
}

const char *bld_alert_event_name(const struct bld_alert *a)
{
	return a->kind == BLD_ALERT_PROTOCOL ? bld_event_names[a->protocol_event] : bld_alert_kind_names[a->kind];
}

/* The alert's line, closed (with its newline), in l; 0 or -ENOMEM. */
static int alert_line(struct line *l, const struct bld_alert *a)
{
	*l = (struct line){ .p = line_buffer() };
	if (!l->p)
		return -ENOMEM;
	struct bld_endpoints ep;
	const char *sh, *dh;
	bld_alert_endpoints(a, &ep, &sh, &dh);
	put_envelope(l, &ep, a->last_ns, a->flow && a->flow->app ? a->flow->app : "unknown");
	put_opt_string(l, "event", bld_alert_event_name(a));
	put_opt_string(l, "severity", bld_severity_names[a->severity]);
	put_opt_string(l, "action", bld_action_names[a->action]);
	put_opt_string(l, "rule", a->rule);
	put_opt_string(l, "reason", a->reason);
	if (sh)
		put_opt_string(l, "src_host", sh);
	if (dh)
		put_opt_string(l, "dst_host", dh);
	put_s(l, ",\"count\":");
	put_u64(l, a->count);
	put_s(l, ",\"first_seen\":\"");
	put_time(l, a->first_ns);
	put_s(l, "\",\"last_seen\":\"");
	put_time(l, a->last_ns);
	put_c(l, '"');
	if (a->detail && a->detail[0])
		put_opt_string(l, "detail", a->detail);
	size_t envelope = l->n;
	if (a->op) {
		put_s(l, ",\"op\":{");
		put_op(l, a->op, NULL);
		put_c(l, '}');
	}
	close_line(l, envelope);
	return 0;
}

int bld_alert_write_json(FILE *out, const struct bld_alert *a)
{
	struct line l;
	int rc = alert_line(&l, a);
	if (rc)
		return rc;
	return fwrite(l.p, 1, l.n, out) == l.n ? 0 : -EIO;
}

size_t bld_alert_json(const struct bld_alert *a, char *buf, size_t cap)
{
	struct line l;
	if (alert_line(&l, a)) {
		if (cap)
			buf[0] = 0;
		return 0;
	}
	return copy_out(&l, buf, cap);
}

size_t bld_op_json(const struct bld_op *op, char *buf, size_t cap)
{
	struct line l = { .p = line_buffer() };
	if (!l.p) {
		if (cap)
			buf[0] = 0;
		return 0;
	}
	size_t envelope;
	put_c(&l, '{');
	put_op(&l, op, &envelope);
	close_line(&l, envelope);
	return copy_out(&l, buf, cap);
}
