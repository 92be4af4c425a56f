/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine: one per worker, sharing nothing.  Every capture back-end calls
 * the same bld_engine_process_burst(), so tests and fuzzers run the
 * production path.  The engine is a deterministic function of the packet
 * sequence and its timestamps: it never reads the wall clock.
 */
#ifndef BLD_ENGINE_H
#define BLD_ENGINE_H

#include <stdint.h>

#include "decode.h"
#include "events.h"
#include "flow.h"
#include "ipfrag.h"
#include "op.h"
#include "packet.h"
#include "policy.h"
#include "reassembly.h"

struct bld_engine;

/* Called once per flow when it ends, after classification is final and its last PDUs are parsed. */
typedef void (*bld_engine_flow_end_fn)(void *ctx, struct bld_engine *e, const struct bld_flow *f,
				       enum bld_flow_end why);

/* One operation (a parsed PDU) of flow f; op->to_server says who sent it. */
typedef void (*bld_engine_op_fn)(void *ctx, struct bld_engine *e, const struct bld_flow *f,
				 const struct bld_op *op);

/* A protocol event on flow f at packet time ts_ns, raised by the side to_server says. */
typedef void (*bld_engine_event_fn)(void *ctx, struct bld_engine *e, const struct bld_flow *f,
				    enum bld_event ev, uint64_t ts_ns, bool to_server);

struct bld_engine_config {
	struct bld_flow_config flow;
	struct bld_ipfrag_config frag;
	struct bld_stream_config stream;   /* TCP reassembly caps per direction (0: defaults) */
	bool dissect;                      /* parse Bollard protocols (on by default) */
	bld_engine_flow_end_fn on_flow_end;
	bld_engine_op_fn on_op;
	bld_engine_event_fn on_event;
	/*
	 * An allow-list policy to judge flows, operations and protocol events
	 * against (policy.h); its alerts go to on_alert.  With a policy,
	 * protocol events reach on_alert (aggregated) as well as on_event.
	 * The engine does not own the policy: it must outlive the engine or
	 * the next bld_engine_set_policy().
	 */
	const struct bld_policy *policy;
	bld_alert_fn on_alert;
	void *ctx;
	/*
	 * A classifier to borrow instead of creating one (nDPI's set-up takes
	 * ~35 ms): for fuzzers and tests that make many short-lived engines.
	 * NULL: the engine makes and owns its own.  Never share one between threads.
	 */
	struct bld_classifier *classifier;
	/*
	 * The capture ports' names by port number (live: "net_pcap0",
	 * "0000:01:00.0"): every flow record, operation, event and alert then
	 * names the port its flow came in on.  NULL: no port named (read).
	 */
	const char *const *port_names;
	unsigned n_port_names;
	/* Count CPU cycles per stage (bld_engine_stats.stage_cycles): a few time-stamp reads per packet. */
	bool profile;
};

void bld_engine_config_default(struct bld_engine_config *cfg);

/* Where a packet's time goes (profile): the stages of the data flow in DESIGN.md. */
#define BLD_FOREACH_STAGE(_)                                                                \
	_(DECODE, "decode")       /* link to L4 headers, fragments */                       \
	_(FLOW, "flow")           /* the flow table: lookup, insert, expiry, flow ends */    \
	_(CLASSIFY, "classify")   /* probes and nDPI until the verdict */                    \
	_(DISSECT, "dissect")     /* reassembly, the dissectors, the outputs of operations */ \
	_(POLICY, "policy")       /* judging flows and operations */

enum bld_stage {
#define BLD_X(id, name) BLD_STAGE_##id,
	BLD_FOREACH_STAGE(BLD_X)
#undef BLD_X
	BLD_STAGE_MAX
};
extern const char *const bld_stage_names[BLD_STAGE_MAX];

struct bld_engine_stats {
	uint64_t packets, bytes;          /* everything offered */
	uint64_t ip_packets, l2_packets;  /* packets that reached a flow */
	uint64_t ts_first, ts_last;       /* packet time range, ns */
	uint64_t decode[BLD_DECODE_COUNTER_MAX];
	uint64_t stream[BLD_STREAM_COUNTER_MAX];
	uint64_t events[BLD_EVENT_MAX];
	uint64_t ops;                     /* PDUs parsed into operations */
	uint64_t sessions;                /* flows that had an application-layer session */
	struct bld_flow_stats flows;
	uint64_t stage_cycles[BLD_STAGE_MAX];   /* with profile: time-stamp counter ticks spent in each stage */
};

struct bld_engine *bld_engine_create(const struct bld_engine_config *cfg);
void bld_engine_destroy(struct bld_engine *e);

/* Process n packets; returns n (every packet is accounted for, if only as a decode error). */
unsigned bld_engine_process_burst(struct bld_engine *e, const struct bld_pkt *pkts, unsigned n);

/*
 * Inline mode: process n packets and say in drop[i] whether packet i is to
 * be discarded (its flow's verdict is drop: a rule or default with action
 * drop refused it).  A flow is judged once its protocol is known, so its
 * first packets pass.  Returns how many are to be dropped.
 */
unsigned bld_engine_process_burst_inline(struct bld_engine *e, const struct bld_pkt *pkts, unsigned n, bool *drop);

/*
 * Judge from now on with policy p (NULL: none), e.g. after a reload: the
 * old evaluator reports what it aggregated, flows are judged again lazily.
 * Returns 0 or -ENOMEM (the old policy stays).
 */
int bld_engine_set_policy(struct bld_engine *e, const struct bld_policy *p);

/*
 * Report asset.new once across the engines sharing a (several workers):
 * applies to this engine's evaluator now and to those of later policies,
 * until shared again.  NULL: not shared.
 */
void bld_engine_share_assets(struct bld_engine *e, struct bld_policy_assets *a);

/* The policy evaluator (rule hits, alert counts), or NULL without a policy. */
const struct bld_policy_eval *bld_engine_policy_eval(const struct bld_engine *e);

/* The policy's counters since the engine began, across every policy it judged with (reloads). */
void bld_engine_policy_stats(const struct bld_engine *e, struct bld_policy_eval_stats *s);

/*
 * Packet time has reached ts on another worker: expire flows and tick the
 * policy as a packet of this time would, so that a worker whose own
 * traffic paused keeps the same clock as the others (bld_engine_finish
 * then ends at the latest time too).  Times in the past are ignored.
 */
void bld_engine_advance(struct bld_engine *e, uint64_t ts);

/* The engine's counters added into sum (several workers' totals; the time range spans both). */
void bld_engine_stats_add(struct bld_engine_stats *sum, const struct bld_engine_stats *s);

/* End of input: end every flow (EOF). */
void bld_engine_finish(struct bld_engine *e);

void bld_engine_stats(const struct bld_engine *e, struct bld_engine_stats *s);

/* The sender (to_server: the client) and receiver of a PDU or event on flow f (export/op_json.h). */
struct bld_endpoints;
void bld_engine_endpoints(const struct bld_flow *f, bool to_server, struct bld_endpoints *ep);

/* A flow as the policy evaluator and learner see it (policy.h); app is written to app[app_len]. */
void bld_engine_policy_flow(const struct bld_engine *e, const struct bld_flow *f, struct bld_policy_flow *pf,
			    char *app, size_t app_len);

/* The name of the capture port flow f came in on, or NULL (no names configured). */
const char *bld_engine_port_name(const struct bld_engine *e, const struct bld_flow *f);

/* The protocol a flow's events belong to: its dissector's name, or "unknown". */
const char *bld_engine_flow_proto(const struct bld_flow *f);

/* A flow as a plain record for output (export/flow_record.h). */
struct bld_flow_record;
void bld_engine_flow_record(const struct bld_engine *e, const struct bld_flow *f, enum bld_flow_end why,
			    struct bld_flow_record *r);

#endif /* BLD_ENGINE_H */
