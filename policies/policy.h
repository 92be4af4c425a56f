/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Allow-list policies: load a YAML policy (docs/policy.md), compile it into
 * immutable lookup structures, and judge flows and operations against it.
 *
 *   struct bld_policy *p = bld_policy_load("site.yaml", &diag);   // NULL: diag says why
 *   struct bld_policy_eval *ev = bld_policy_eval_create(p, on_alert, ctx);
 *   ... bld_policy_eval_flow(ev, &flow, &state)      once the flow's protocol is known
 *   ... bld_policy_eval_op(ev, &flow, &state, op)     every operation (op.h)
 *   ... bld_policy_eval_tick(ev, now)                 as packet time advances
 *   bld_policy_eval_finish(ev, now);                   end of input: flush what is aggregated
 *
 * A compiled policy is immutable and may be shared by every worker; each
 * worker has its own evaluator (aggregation, timing and rate state): no
 * locks.  Reload = load a new policy, create new evaluators, swap pointers;
 * a policy with any error never takes effect (bld_policy_load returns NULL).
 *
 * Time is packet time only (DESIGN.md), so a capture tested offline gives
 * the alerts the live sensor would give.
 */
#ifndef BLD_POLICY_H
#define BLD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "op.h"
#include "registry.h"

/* Event kinds the policy raises: _(ID, "name", "meaning").  Names are stable (docs/events.md). */
#define BLD_FOREACH_POLICY_EVENT(_)                                                                     \
	_(FLOW_NOT_ALLOWED, "flow.not_allowed", "a conversation no rule allows (who talks to whom, with "      \
						"which protocol and port)")                                    \
	_(ASSET_NEW, "asset.new", "an address the policy does not know took part in a conversation")           \
	_(OP_NOT_ALLOWED, "op.not_allowed", "an operation the allowing rule does not list (function, "          \
					    "address, object, service, or outside its time window)")           \
	_(VALUE_OUT_OF_RANGE, "value.out_of_range", "an allowed operation carried a value outside the rule's " \
						    "range")                                                   \
	_(RATE_EXCEEDED, "rate.exceeded", "more operations in a second or minute than the rule's rate allows")  \
	_(TIMING_DEVIATION, "timing.deviation", "a cyclic request came earlier or later than its period "      \
						"allows")                                                      \
	_(TIMING_SILENCE, "timing.silence", "a cyclic request stopped: nothing for longer than its silence "   \
					    "limit")                                                           \
	_(SENSOR_CAPACITY, "sensor.capacity", "a policy state table was full: alerts were not aggregated or "  \
					      "a cycle was not tracked")                                       \
	_(SENSOR_EXPORT_LOSS, "sensor.export_loss", "alerts for a syslog destination were lost (its queue "    \
						    "and spool were full, or the receiver refused them); sent " \
						    "once the destination takes messages again")                \
	_(SENSOR_EXPORT_RATE, "sensor.export_rate", "alerts over the --syslog-rate cap were not sent; the "    \
						    "summary counts them by kind")

enum bld_alert_kind {
#define BLD_X(id, name, doc) BLD_ALERT_##id,
	BLD_FOREACH_POLICY_EVENT(BLD_X)
#undef BLD_X
	BLD_ALERT_PROTOCOL,      /* a dissector's event (events.h), passed through with a severity */
	BLD_ALERT_KIND_MAX
};

extern const char *const bld_alert_kind_names[BLD_ALERT_KIND_MAX];
extern const char *const bld_alert_kind_docs[BLD_ALERT_KIND_MAX];

/* Syslog's order is the reverse; docs/events.md maps them. */
enum bld_severity { BLD_SEV_INFO, BLD_SEV_LOW, BLD_SEV_MEDIUM, BLD_SEV_HIGH, BLD_SEV_CRITICAL, BLD_SEV_MAX };
extern const char *const bld_severity_names[BLD_SEV_MAX];

enum bld_action { BLD_ACTION_ALERT, BLD_ACTION_DROP };
extern const char *const bld_action_names[2];

/* What the evaluator knows of a flow: filled by the engine, plain data. */
struct bld_policy_flow {
	uint64_t flow_id;
	const char *port;        /* the capture port's name (live), or NULL */
	uint8_t family;          /* 4 or 6; 0 for L2 flows (judged by protocol only) */
	uint8_t client_ip[16], server_ip[16];   /* IPv4 in the first 4 bytes */
	uint16_t client_port, server_port;
	bool has_ports;
	uint8_t l4;              /* IP protocol number (6 TCP, 17 UDP) */
	const char *app;         /* the flow's app name (flows.md): "modbus", "dns", "tls.google", ... */
	uint8_t client_mac[6], server_mac[6];   /* L2 flows */
};

/* A flow's verdict, kept with the flow by the engine (zero it at the start). */
struct bld_policy_flow_state {
	uint32_t set;            /* evaluator's rule set for this flow (+1; 0: not judged yet) */
	uint16_t generation;     /* the evaluator that judged it (re-judged after a reload) */
	bool denied;             /* no rule allows the flow */
	bool drop;               /* inline mode should drop its packets */
};

/* One alert, as the callback sees it.  Valid during the callback only. */
struct bld_alert {
	enum bld_alert_kind kind;
	uint16_t protocol_event;         /* BLD_ALERT_PROTOCOL: enum bld_event */
	enum bld_severity severity;
	enum bld_action action;
	const char *rule;                /* the rule it concerns, or NULL: none matched */
	const char *reason;              /* why, for people: "no rule allows scada-srv -> eng-ws modbus/502" */
	const struct bld_policy_flow *flow;
	bool to_server;                  /* raised by the client's side (ops and protocol events) */
	const char *client_host, *server_host;   /* the policy's host names, or NULL */
	const struct bld_op *op;         /* the operation, first occurrence only; else NULL */
	const char *detail;              /* the operation in brief, "function=6 address=40 value=0", or "" */
	uint64_t first_ns, last_ns, count;       /* identical alerts aggregated into this one */
};

typedef void (*bld_alert_fn)(void *ctx, const struct bld_alert *a);

/* Human diagnostics: every problem found, one "file:line:column: message" line each. */
struct bld_policy_diag {
	/*
	 * In, optional: whether a protocol name is one the flow table can
	 * report (Bollard's and nDPI's names); NULL: Bollard's names plus any
	 * lower-case name.  The loader is libc only, so the caller knows nDPI.
	 */
	bool (*known_app)(void *ctx, const char *name);
	void *known_app_ctx;
	unsigned errors;
	unsigned shown;          /* lines in text (at most BLD_POLICY_DIAG_MAX) */
	bool full;               /* text had no room for the next line: the rest are counted only */
	size_t len;
	char text[16384];
};
#define BLD_POLICY_DIAG_MAX 100

struct bld_policy;

/* Load and compile; NULL on any error (diag lists them all). */
struct bld_policy *bld_policy_load(const char *path, struct bld_policy_diag *diag);
struct bld_policy *bld_policy_parse(const char *name, const void *yaml, size_t len, struct bld_policy_diag *diag);
void bld_policy_free(struct bld_policy *p);

/* Counts for `bollard check` and reports. */
struct bld_policy_info {
	const char *site;
	unsigned hosts, groups, zones, rules, operations;
};
void bld_policy_info(const struct bld_policy *p, struct bld_policy_info *info);

/* Rule i's id (0 <= i < rules), for dead-rule reports. */
const char *bld_policy_rule_id(const struct bld_policy *p, unsigned i);

/* The host name of an address (family 4 or 6), or NULL. */
const char *bld_policy_host_name(const struct bld_policy *p, uint8_t family, const uint8_t *ip);

/* The site settings of protocols.<proto> (its dissector's config struct), or NULL when the policy has none. */
const void *bld_policy_proto_config(const struct bld_policy *p, enum bld_proto proto);

struct bld_policy_eval;

struct bld_policy_eval *bld_policy_eval_create(const struct bld_policy *p, bld_alert_fn fn, void *ctx);
void bld_policy_eval_destroy(struct bld_policy_eval *ev);

/*
 * The addresses already reported as asset.new, shared by the evaluators of
 * several workers so that an address seen by two of them is reported once
 * (lock-free: the evaluators may run on different threads).  Free it after
 * every evaluator that shares it.
 */
struct bld_policy_assets;
struct bld_policy_assets *bld_policy_assets_create(void);
void bld_policy_assets_free(struct bld_policy_assets *a);
void bld_policy_eval_share_assets(struct bld_policy_eval *ev, struct bld_policy_assets *a);

/* Judge a flow once its protocol is final (or when it ends unclassified). */
void bld_policy_eval_flow(struct bld_policy_eval *ev, const struct bld_policy_flow *f,
			  struct bld_policy_flow_state *st, uint64_t ts_ns);

/* Judge one operation of a flow already judged (judges the flow first if not). */
void bld_policy_eval_op(struct bld_policy_eval *ev, const struct bld_policy_flow *f,
			struct bld_policy_flow_state *st, const struct bld_op *op);

/*
 * A dissector's event: aggregated and reported like the policy's own,
 * unless a rule the flow matched lists it under expected_events.
 */
void bld_policy_eval_event(struct bld_policy_eval *ev, const struct bld_policy_flow *f,
			   struct bld_policy_flow_state *st, uint16_t event, uint64_t ts_ns, bool to_server);

/* Packet time moved on: flush aggregation intervals, detect silences.  Cheap when nothing is due. */
void bld_policy_eval_tick(struct bld_policy_eval *ev, uint64_t now_ns);

/* End of input: report everything still aggregated (silences are not judged past the input's end). */
void bld_policy_eval_finish(struct bld_policy_eval *ev, uint64_t now_ns);

/* How often each rule allowed something (flows and operations), for dead-rule reports. */
const uint64_t *bld_policy_eval_rule_hits(const struct bld_policy_eval *ev);

struct bld_policy_eval_stats {
	uint64_t flows, ops, alerts[BLD_ALERT_KIND_MAX];     /* alerts: occurrences, before aggregation */
	uint64_t expected_events;                            /* protocol events a rule expects: not alerts */
	uint64_t reported;                                   /* alert lines handed to the callback */
	uint64_t capacity;                                   /* state table full */
};
void bld_policy_eval_stats(const struct bld_policy_eval *ev, struct bld_policy_eval_stats *s);

#endif /* BLD_POLICY_H */
