/* SPDX-License-Identifier: BSD-3-Clause */
#include "report.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "op_json.h"
#include "registry.h"

#define MAX_PROTOCOLS 512
#define MAX_CONVERSATIONS 4096
#define MAX_INPUTS 4096
#define MAX_PROBERS 1024
/* Hash indexes over the row tables (open addressing, row + 1, 0 = empty): at least twice the rows. */
#define CONV_SLOTS (2 * MAX_CONVERSATIONS)
#define PROBER_SLOTS (2 * MAX_PROBERS)
/* A client failing to connect to this many ports of one server is scanning it. */
#define SCAN_MIN_PORTS 16

struct proto_row {
	char name[64];
	uint64_t flows, pkts, bytes;
};

/* An industrial conversation: client, server, service and protocol. */
struct conv_row {
	char client[64], server[64];
	uint16_t port;
	char app[64];
	uint64_t flows, pkts, bytes;
};

/*
 * Failed TCP connection attempts (no answer, or refused with a RST) from one
 * client to one server, with the distinct ports tried: the shape of a scan.
 */
struct prober_row {
	char client[64], server[64];
	uint8_t *ports;           /* bitmap of 65536 ports, allocated on first use */
	uint32_t n_ports;
};

struct input_row {
	char *path;
	char *error;
	uint64_t filtered;
};

/* Policy alerts by event name (op.not_allowed, modbus.exception, ...). */
struct alert_row {
	char event[48];
	uint64_t lines, occurrences;
	uint64_t by_severity[BLD_SEV_MAX];
};

#define MAX_ALERT_KINDS 256
#define ALERT_EXAMPLES 20
#define MAX_ALIKE 256

struct bld_report {
	const char *policy;              /* the policy's file, when one judged the traffic */
	struct alert_row alerts[MAX_ALERT_KINDS];
	unsigned n_alerts;
	uint64_t alert_lines, alert_occurrences;
	char *examples[ALERT_EXAMPLES];  /* the first alerts, one line each, for people */
	unsigned example_alike[ALERT_EXAMPLES];
	unsigned n_examples;
	struct {
		char key[200];
		uint64_t count, more;
	} alike[MAX_ALIKE];
	unsigned n_alike;
	struct proto_row protos[MAX_PROTOCOLS];
	unsigned n_protos;
	uint64_t protos_dropped;
	struct conv_row *convs;
	unsigned n_convs;
	uint64_t convs_dropped;
	struct input_row inputs[MAX_INPUTS];
	unsigned n_inputs;
	uint64_t flows_by_end[8];
	const char *end_names[8];
	struct prober_row probers[MAX_PROBERS];
	unsigned n_probers;
	uint32_t conv_index[CONV_SLOTS];
	uint32_t prober_index[PROBER_SLOTS];
};

/* FNV-1a over a string and its terminator, so that ("ab","c") and ("a","bc") differ. */
static uint32_t hash_str(uint32_t h, const char *s)
{
	do
		h = (h ^ (uint8_t)*s) * 16777619u;
	while (*s++);
	return h;
}

/*
 * The slot of the row whose key matches, or of the empty slot where it goes.
 * `same` compares row i with the key; the tables never fill past half.
 */
static uint32_t *index_slot(uint32_t *slots, uint32_t n_slots, uint32_t hash,
			    bool (*same)(const struct bld_report *, uint32_t, const struct bld_flow_record *),
			    const struct bld_report *r, const struct bld_flow_record *rec)
{
	uint32_t i = hash & (n_slots - 1);
	while (slots[i] && !same(r, slots[i] - 1, rec))
		i = (i + 1) & (n_slots - 1);
	return &slots[i];
}

static bool same_prober(const struct bld_report *r, uint32_t i, const struct bld_flow_record *rec)
{
	return strcmp(r->probers[i].client, rec->src) == 0 && strcmp(r->probers[i].server, rec->dst) == 0;
}

static bool same_conv(const struct bld_report *r, uint32_t i, const struct bld_flow_record *rec)
{
	const struct conv_row *x = &r->convs[i];
	return x->port == rec->dst_port && strcmp(x->client, rec->src) == 0 && strcmp(x->server, rec->dst) == 0 &&
	       strcmp(x->app, rec->app) == 0;
}

struct bld_report *bld_report_create(void)
{
	struct bld_report *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->convs = calloc(MAX_CONVERSATIONS, sizeof(*r->convs));
	if (!r->convs) {
		free(r);
		return NULL;
	}
	return r;
}

void bld_report_destroy(struct bld_report *r)
{
	if (r)
		for (unsigned k = 0; k < r->n_examples; k++)
			free(r->examples[k]);
	if (!r)
		return;
	for (unsigned i = 0; i < r->n_inputs; i++) {
		free(r->inputs[i].path);
		free(r->inputs[i].error);
	}
	for (unsigned i = 0; i < r->n_probers; i++)
		free(r->probers[i].ports);
	free(r->convs);
	free(r);
}

void bld_report_policy(struct bld_report *r, const char *path)
{
	r->policy = path;
}

void bld_report_alert(struct bld_report *r, const struct bld_alert *a)
{
	const char *name = bld_alert_event_name(a);
	r->alert_lines++;
	r->alert_occurrences += a->count;
	unsigned i = 0;
	while (i < r->n_alerts && strcmp(r->alerts[i].event, name) != 0)
		i++;
	if (i == r->n_alerts && r->n_alerts < MAX_ALERT_KINDS)
		snprintf(r->alerts[r->n_alerts++].event, sizeof(r->alerts[0].event), "%s", name);
	if (i < r->n_alerts) {
		r->alerts[i].lines++;
		r->alerts[i].occurrences += a->count;
		r->alerts[i].by_severity[a->severity]++;
	}
	if (a->kind == BLD_ALERT_PROTOCOL)
		return;
	/* examples for people: at most two alike (same event, client and server), the rest counted */
	char key[200];
	const struct bld_policy_flow *f = a->flow;
	snprintf(key, sizeof(key), "%s|%lu|%02x%02x%02x%02x%02x%02x%02x%02x|%02x%02x%02x%02x%02x%02x%02x%02x", name,
		 (unsigned long)f->family, f->client_ip[0], f->client_ip[1], f->client_ip[2], f->client_ip[3],
		 f->client_ip[12], f->client_ip[13], f->client_ip[14], f->client_ip[15], f->server_ip[0], f->server_ip[1],
		 f->server_ip[2], f->server_ip[3], f->server_ip[12], f->server_ip[13], f->server_ip[14], f->server_ip[15]);
	if (a->detail && a->detail[0]) {   /* operations alike only when of one kind ("function=6") */
		size_t n = strlen(key);
		snprintf(key + n, sizeof(key) - n, "|%.*s", (int)strcspn(a->detail, " "), a->detail);
	}
	unsigned k = 0;
	while (k < r->n_alike && strcmp(r->alike[k].key, key) != 0)
		k++;
	if (k == r->n_alike) {
		if (r->n_alike == MAX_ALIKE)
			return;
		snprintf(r->alike[r->n_alike++].key, sizeof(r->alike[0].key), "%s", key);
	}
	if (++r->alike[k].count > 2 || r->n_examples >= ALERT_EXAMPLES) {
		r->alike[k].more++;
		return;
	}
	char when[40], line[512];
	bld_format_time(a->first_ns, when, sizeof(when));
	int n = snprintf(line, sizeof(line), "%s %-8s %-18s %s%s%s", when, bld_severity_names[a->severity], name,
			 a->rule ? "rule " : "", a->rule ? a->rule : "", a->rule ? ": " : "");
	if (n > 0 && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, "%s%s%s%s", a->reason, a->detail && a->detail[0] ? " [" : "",
			 a->detail && a->detail[0] ? a->detail : "", a->detail && a->detail[0] ? "]" : "");
	r->examples[r->n_examples] = strdup(line);
	if (r->examples[r->n_examples])
		r->example_alike[r->n_examples++] = k;
}

void bld_report_input(struct bld_report *r, const char *path, uint64_t filtered, const char *error)
{
	if (r->n_inputs == MAX_INPUTS)
		return;
	struct input_row *in = &r->inputs[r->n_inputs++];
	in->path = strdup(path);
	in->error = error ? strdup(error) : NULL;
	in->filtered = filtered;
}

/* A TCP flow that never got going: a SYN unanswered, or answered by a RST. */
static bool failed_connection(const struct bld_flow_record *rec)
{
	return rec->tcp_state && rec->pkts_toserver <= 3 && rec->bytes_toclient <= 3 * 66 &&
	       (strcmp(rec->tcp_state, "syn_sent") == 0 || strcmp(rec->tcp_state, "reset") == 0);
}

static void note_probe(struct bld_report *r, const struct bld_flow_record *rec)
{
	uint32_t *slot = index_slot(r->prober_index, PROBER_SLOTS, hash_str(hash_str(2166136261u, rec->src), rec->dst),
				    same_prober, r, rec);
	struct prober_row *p;
	if (*slot) {
		p = &r->probers[*slot - 1];
	} else {
		if (r->n_probers == MAX_PROBERS)
			return;
		p = &r->probers[r->n_probers];
		p->ports = calloc(65536 / 8, 1);
		if (!p->ports)
			return;
		*slot = ++r->n_probers;
		snprintf(p->client, sizeof(p->client), "%s", rec->src);
		snprintf(p->server, sizeof(p->server), "%s", rec->dst);
	}
	uint8_t bit = (uint8_t)(1u << (rec->dst_port & 7));
	if (!(p->ports[rec->dst_port >> 3] & bit)) {
		p->ports[rec->dst_port >> 3] |= bit;
		p->n_ports++;
	}
}

static bool industrial(const char *app)
{
	return bld_registry_find(app) != BLD_PROTO_UNKNOWN;
}

void bld_report_flow(struct bld_report *r, const struct bld_flow_record *rec)
{
	uint64_t pkts = rec->pkts_toserver + rec->pkts_toclient;
	uint64_t bytes = rec->bytes_toserver + rec->bytes_toclient;

	for (unsigned i = 0; i < 8; i++) {
		if (!r->end_names[i] || strcmp(r->end_names[i], rec->end_reason) == 0) {
			r->end_names[i] = rec->end_reason; /* static strings of flow.c */
			r->flows_by_end[i]++;
			break;
		}
	}

	struct proto_row *p = NULL;
	for (unsigned i = 0; i < r->n_protos && !p; i++)
		if (strcmp(r->protos[i].name, rec->app) == 0)
			p = &r->protos[i];
	if (!p && r->n_protos < MAX_PROTOCOLS) {
		p = &r->protos[r->n_protos++];
		snprintf(p->name, sizeof(p->name), "%s", rec->app);
	}
	if (p) {
		p->flows++;
		p->pkts += pkts;
		p->bytes += bytes;
	} else {
		r->protos_dropped++;
	}

	if (failed_connection(rec))
		note_probe(r, rec);
	if (!industrial(rec->app))
		return;
	uint32_t h = hash_str(hash_str(hash_str(2166136261u, rec->src), rec->dst), rec->app) ^ rec->dst_port;
	uint32_t *slot = index_slot(r->conv_index, CONV_SLOTS, h, same_conv, r, rec);
	struct conv_row *c = *slot ? &r->convs[*slot - 1] : NULL;
	if (!c && r->n_convs < MAX_CONVERSATIONS) {
		c = &r->convs[r->n_convs];
		*slot = ++r->n_convs;
		snprintf(c->client, sizeof(c->client), "%s", rec->src);
		snprintf(c->server, sizeof(c->server), "%s", rec->dst);
		snprintf(c->app, sizeof(c->app), "%s", rec->app);
		c->port = rec->dst_port;
	}
	if (!c) {
		r->convs_dropped++;
		return;
	}
	c->flows++;
	c->pkts += pkts;
	c->bytes += bytes;
}

static int by_bytes(const void *a, const void *b)
{
	const struct proto_row *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int by_conv(const void *a, const void *b)
{
	const struct conv_row *x = a, *y = b;
	int c = strcmp(x->app, y->app);
	if (c)
		return c;
	if ((c = strcmp(x->server, y->server)))
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return strcmp(x->client, y->client);
}

/* A protocol away from all its well-known ports: worth an analyst's look. */
static bool off_port(const struct conv_row *c)
{
	const struct bld_dissector *d = bld_dissectors[bld_registry_find(c->app)];
	if (!d->ports[0])
		return false;
	for (int i = 0; i < 4 && d->ports[i]; i++)
		if (d->ports[i] == c->port)
			return false;
	return true;
}

static void human_bytes(uint64_t b, char *buf, size_t len)
{
	const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int i = 0;
	while (v >= 1024 && i < 4)
		v /= 1024, i++;
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", v, unit[i]);
}

static void sorted_copies(const struct bld_report *r, struct proto_row **protos, struct conv_row **convs)
{
	*protos = malloc(sizeof(**protos) * (r->n_protos ? r->n_protos : 1));
	*convs = malloc(sizeof(**convs) * (r->n_convs ? r->n_convs : 1));
	if (*protos) {
		memcpy(*protos, r->protos, sizeof(**protos) * r->n_protos);
		qsort(*protos, r->n_protos, sizeof(**protos), by_bytes);
	}
	if (*convs) {
		memcpy(*convs, r->convs, sizeof(**convs) * r->n_convs);
		qsort(*convs, r->n_convs, sizeof(**convs), by_conv);
	}
}

void bld_report_print_text(const struct bld_report *r, const struct bld_engine_stats *s, FILE *out)
{
	char b1[32], t1[40], t2[40];
	struct proto_row *protos;
	struct conv_row *convs;
	sorted_copies(r, &protos, &convs);

	fprintf(out, "Inputs\n");
	for (unsigned i = 0; i < r->n_inputs; i++)
		fprintf(out, "  %s%s%s\n", r->inputs[i].path, r->inputs[i].error ? "  DAMAGED: " : "",
			r->inputs[i].error ? r->inputs[i].error : "");
	human_bytes(s->bytes, b1, sizeof(b1));
	fprintf(out, "\nTraffic\n  packets   %llu (%s)\n", (unsigned long long)s->packets, b1);
	if (s->packets) {
		bld_format_time(s->ts_first, t1, sizeof(t1));
		bld_format_time(s->ts_last, t2, sizeof(t2));
		fprintf(out, "  time      %s .. %s (%.1f s)\n", t1, t2, (double)(s->ts_last - s->ts_first) / 1e9);
	}
	fprintf(out, "  flows     %llu (peak %llu at once, %llu evicted)\n", (unsigned long long)s->flows.created,
		(unsigned long long)s->flows.peak, (unsigned long long)s->flows.evicted);

	fprintf(out, "\nProtocols                 flows     packets        bytes\n");
	for (unsigned i = 0; i < r->n_protos && protos; i++) {
		human_bytes(protos[i].bytes, b1, sizeof(b1));
		fprintf(out, "  %-20s %8llu %11llu %12s\n", protos[i].name, (unsigned long long)protos[i].flows,
			(unsigned long long)protos[i].pkts, b1);
	}

	if (r->n_convs) {
		fprintf(out, "\nIndustrial conversations (client -> server)\n");
		int wc = 0, ws = 0;
		for (unsigned i = 0; i < r->n_convs && convs; i++) {
			int lc = (int)strlen(convs[i].client), ls = (int)strlen(convs[i].server) + 6;
			wc = lc > wc ? lc : wc;
			ws = ls > ws ? ls : ws;
		}
		for (unsigned i = 0; i < r->n_convs && convs; i++) {
			char server[80];
			snprintf(server, sizeof(server), convs[i].port ? "%s:%u" : "%s", convs[i].server, convs[i].port);
			fprintf(out, "  %-12s %-*s -> %-*s %8llu pkts\n", convs[i].app, wc, convs[i].client, ws, server,
				(unsigned long long)convs[i].pkts);
		}
	}

	if (s->ops || s->sessions)
		fprintf(out, "\nOperations\n  %llu industrial PDUs parsed on %llu flows\n", (unsigned long long)s->ops,
			(unsigned long long)s->sessions);
	bool any_event = false;
	for (int i = 0; i < BLD_EVENT_MAX; i++)
		if (s->events[i]) {
			if (!any_event)
				fprintf(out, "\nProtocol events\n");
			any_event = true;
			fprintf(out, "  %-36s %8llu  %s\n", bld_event_names[i], (unsigned long long)s->events[i],
				bld_event_docs[i]);
		}

	if (r->policy) {
		fprintf(out, "\nPolicy alerts (%s)\n", r->policy);
		if (!r->alert_lines)
			fprintf(out, "  none: everything seen is allowed\n");
		for (unsigned i = 0; i < r->n_alerts; i++)
			fprintf(out, "  %-36s %8llu lines %10llu occurrences\n", r->alerts[i].event,
				(unsigned long long)r->alerts[i].lines, (unsigned long long)r->alerts[i].occurrences);
		if (r->n_examples)
			fprintf(out, "  first alerts (at most two alike; --events has them all):\n");
		for (unsigned i = 0; i < r->n_examples; i++) {
			fprintf(out, "    %s\n", r->examples[i]);
			/* after the last example of its kind, how many more alike */
			unsigned k = r->example_alike[i];
			bool last = true;
			for (unsigned j = i + 1; j < r->n_examples && last; j++)
				last = r->example_alike[j] != k;
			if (last && r->alike[k].more)
				fprintf(out, "      ... and %llu more like it\n", (unsigned long long)r->alike[k].more);
		}
	}

	fprintf(out, "\nFindings\n");
	unsigned findings = 0;
	for (unsigned i = 0; i < r->n_convs && convs; i++)
		if (off_port(&convs[i])) {
			fprintf(out, "  - %s on %s:%u, not a well-known port of %s (client %s)\n", convs[i].app,
				convs[i].server, convs[i].port, convs[i].app, convs[i].client);
			findings++;
		}
	for (unsigned i = 0; i < r->n_probers; i++)
		if (r->probers[i].n_ports >= SCAN_MIN_PORTS) {
			fprintf(out, "  - port scan: %s tried %u TCP ports of %s without completing a connection\n",
				r->probers[i].client, r->probers[i].n_ports, r->probers[i].server);
			findings++;
		}
	uint64_t errors = 0;
	for (int i = 0; i < BLD_DECODE_COUNTER_MAX; i++)
		if (bld_decode_counter_is_error[i])
			errors += s->decode[i];
	if (errors) {
		fprintf(out, "  - %llu malformed or truncated packets:", (unsigned long long)errors);
		for (int i = 0; i < BLD_DECODE_COUNTER_MAX; i++)
			if (bld_decode_counter_is_error[i] && s->decode[i])
				fprintf(out, " %s %llu", bld_decode_counter_names[i], (unsigned long long)s->decode[i]);
		fprintf(out, "\n");
		findings++;
	}
	if (s->flows.evicted) {
		fprintf(out, "  - %llu flows evicted because the flow table was full (raise --max-flows)\n",
			(unsigned long long)s->flows.evicted);
		findings++;
	}
	for (unsigned i = 0; i < r->n_inputs; i++)
		if (r->inputs[i].error) {
			fprintf(out, "  - %s is damaged; read up to the damage: %s\n", r->inputs[i].path, r->inputs[i].error);
			findings++;
		}
	if (!findings)
		fprintf(out, "  none\n");

	bool info = false;
	for (int i = 0; i < BLD_DECODE_COUNTER_MAX; i++)
		if (!bld_decode_counter_is_error[i] && s->decode[i]) {
			fprintf(out, info ? " %s %llu" : "\nDecode notes\n  %s %llu", bld_decode_counter_names[i],
				(unsigned long long)s->decode[i]);
			info = true;
		}
	if (info)
		fprintf(out, "\n");
	free(protos);
	free(convs);
}

int bld_report_print_json(const struct bld_report *r, const struct bld_engine_stats *s, FILE *out)
{
	char t1[40], t2[40];
	struct proto_row *protos;
	struct conv_row *convs;
	sorted_copies(r, &protos, &convs);
	json_t *o = json_object();

	json_t *inputs = json_array();
	for (unsigned i = 0; i < r->n_inputs; i++) {
		json_t *in = json_pack("{s:s, s:I}", "path", r->inputs[i].path, "filtered", (json_int_t)r->inputs[i].filtered);
		if (r->inputs[i].error)
			json_object_set_new(in, "error", json_string(r->inputs[i].error));
		json_array_append_new(inputs, in);
	}
	json_object_set_new(o, "inputs", inputs);
	json_object_set_new(o, "packets", json_integer((json_int_t)s->packets));
	json_object_set_new(o, "bytes", json_integer((json_int_t)s->bytes));
	if (s->packets) {
		bld_format_time(s->ts_first, t1, sizeof(t1));
		bld_format_time(s->ts_last, t2, sizeof(t2));
		json_object_set_new(o, "ts_first", json_string(t1));
		json_object_set_new(o, "ts_last", json_string(t2));
	}
	json_object_set_new(o, "flows", json_pack("{s:I, s:I, s:I}", "total", (json_int_t)s->flows.created, "peak",
						  (json_int_t)s->flows.peak, "evicted", (json_int_t)s->flows.evicted));
	json_t *ends = json_object();
	for (unsigned i = 0; i < 8 && r->end_names[i]; i++)
		json_object_set_new(ends, r->end_names[i], json_integer((json_int_t)r->flows_by_end[i]));
	json_object_set_new(json_object_get(o, "flows"), "end_reasons", ends);

	json_t *pr = json_object();
	for (unsigned i = 0; i < r->n_protos && protos; i++)
		json_object_set_new(pr, protos[i].name,
				    json_pack("{s:I, s:I, s:I}", "flows", (json_int_t)protos[i].flows, "packets",
					      (json_int_t)protos[i].pkts, "bytes", (json_int_t)protos[i].bytes));
	json_object_set_new(o, "protocols", pr);

	json_t *cv = json_array();
	for (unsigned i = 0; i < r->n_convs && convs; i++)
		json_array_append_new(cv, json_pack("{s:s, s:s, s:s, s:i, s:I, s:I, s:I, s:b}", "app", convs[i].app,
						    "client", convs[i].client, "server", convs[i].server, "port",
						    convs[i].port, "flows", (json_int_t)convs[i].flows, "packets",
						    (json_int_t)convs[i].pkts, "bytes", (json_int_t)convs[i].bytes,
						    "well_known_port", !off_port(&convs[i])));
	json_object_set_new(o, "industrial_conversations", cv);

	json_t *scans = json_array();
	for (unsigned i = 0; i < r->n_probers; i++)
		if (r->probers[i].n_ports >= SCAN_MIN_PORTS)
			json_array_append_new(scans, json_pack("{s:s, s:s, s:i}", "client", r->probers[i].client, "server",
							       r->probers[i].server, "ports", r->probers[i].n_ports));
	json_object_set_new(o, "port_scans", scans);

	json_t *errs = json_object(), *notes = json_object();
	for (int i = 0; i < BLD_DECODE_COUNTER_MAX; i++)
		if (s->decode[i])
			json_object_set_new(bld_decode_counter_is_error[i] ? errs : notes, bld_decode_counter_names[i],
					    json_integer((json_int_t)s->decode[i]));
	json_object_set_new(o, "decode_errors", errs);
	json_object_set_new(o, "decode_notes", notes);

	json_object_set_new(o, "ops", json_integer((json_int_t)s->ops));
	json_t *evs = json_object(), *streams = json_object();
	for (int i = 0; i < BLD_EVENT_MAX; i++)
		if (s->events[i])
			json_object_set_new(evs, bld_event_names[i], json_integer((json_int_t)s->events[i]));
	for (int i = 0; i < BLD_STREAM_COUNTER_MAX; i++)
		if (s->stream[i])
			json_object_set_new(streams, bld_stream_counter_names[i], json_integer((json_int_t)s->stream[i]));
	json_object_set_new(o, "protocol_events", evs);
	json_object_set_new(o, "stream", streams);
	if (r->policy) {
		json_t *by = json_object();
		for (unsigned i = 0; i < r->n_alerts; i++) {
			json_t *sev = json_object();
			for (int k = 0; k < BLD_SEV_MAX; k++)
				if (r->alerts[i].by_severity[k])
					json_object_set_new(sev, bld_severity_names[k],
							    json_integer((json_int_t)r->alerts[i].by_severity[k]));
			json_object_set_new(by, r->alerts[i].event,
					    json_pack("{s:I, s:I, s:o}", "lines", (json_int_t)r->alerts[i].lines,
						      "occurrences", (json_int_t)r->alerts[i].occurrences, "severity", sev));
		}
		json_object_set_new(o, "alerts", json_pack("{s:s, s:I, s:I, s:o}", "policy", r->policy, "lines",
							   (json_int_t)r->alert_lines, "occurrences",
							   (json_int_t)r->alert_occurrences, "by_event", by));
	}

	int rc = json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 || fputc('\n', out) == EOF ? -EIO : 0;
	json_decref(o);
	free(protos);
	free(convs);
	return rc;
}
