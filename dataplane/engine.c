/* SPDX-License-Identifier: BSD-3-Clause */
#include "engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "flow_record.h"
#include "op_json.h"
#include "registry.h"
#include "session.h"

struct bld_engine {
	struct bld_engine_config cfg;
	struct bld_flow_table *flows;
	struct bld_classifier *classifier;
	struct bld_ipfrag *frag;
	bool owns_classifier;
	struct bld_engine_stats stats;
	/* The application layer: where parsers' ops and events go, for the flow at hand. */
	struct bld_sink sink;
	const struct bld_flow *cur_flow;
	struct bld_op op;                 /* scratch record, reused for every PDU */
	struct bld_policy_eval *policy;   /* judging against cfg.policy, or NULL */
	uint64_t now;                     /* the latest packet time, this worker's or another's (advance) */
	struct bld_policy_assets *assets; /* asset.new reported once across workers, or NULL */
	struct bld_policy_eval_stats replaced;   /* the evaluators a reload replaced: counters go on across reloads */
	const void *configs[BLD_PROTO_MAX];      /* the policy's site settings per protocol (NULL: the dissector's defaults) */
	bool drop;                        /* the last packet's flow has a drop verdict (inline mode) */
	uint16_t port;                    /* the capture port of the packet at hand */
	uint64_t prof_last, prof_nested;  /* profile: the last mark, policy work since it */
};

const char *const bld_stage_names[BLD_STAGE_MAX] = {
#define BLD_X(id, name) [BLD_STAGE_##id] = name,
	BLD_FOREACH_STAGE(BLD_X)
#undef BLD_X
};

/* The CPU's time-stamp counter where there is one (cycles at its nominal rate), else nanoseconds. */
static inline uint64_t stamp(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC_RAW, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
#endif
}

/* Profile: the time since the last mark goes to stage s, less what nested policy work took (counted apart). */
static inline void mark(struct bld_engine *e, enum bld_stage s)
{
	if (!e->cfg.profile)
		return;
	uint64_t now = stamp();
	e->stats.stage_cycles[s] += now - e->prof_last - e->prof_nested;
	e->prof_last = now;
	e->prof_nested = 0;
}

void bld_engine_config_default(struct bld_engine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	bld_flow_config_default(&cfg->flow);
	cfg->frag.max_datagrams = BLD_IPFRAG_DEFAULT_MAX_DATAGRAMS;
	cfg->frag.max_bytes = BLD_IPFRAG_DEFAULT_MAX_BYTES;
	cfg->frag.timeout_ns = BLD_IPFRAG_DEFAULT_TIMEOUT_NS;
	cfg->dissect = true;
}

void bld_engine_policy_flow(const struct bld_engine *e, const struct bld_flow *f, struct bld_policy_flow *pf,
			    char *app, size_t app_len)
{
	const struct bld_addr *client = f->client_is_a ? &f->key.a : &f->key.b;
	const struct bld_addr *server = f->client_is_a ? &f->key.b : &f->key.a;
	memset(pf, 0, sizeof(*pf));
	pf->flow_id = f->id;
	pf->port = bld_engine_port_name(e, f);
	pf->family = f->key.ip_version;
	if (pf->family == 4) {
		memcpy(pf->client_ip, client->b + 12, 4);
		memcpy(pf->server_ip, server->b + 12, 4);
	} else if (pf->family == 6) {
		memcpy(pf->client_ip, client->b, 16);
		memcpy(pf->server_ip, server->b, 16);
	} else {
		memcpy(pf->client_mac, client->b, 6);
		memcpy(pf->server_mac, server->b, 6);
	}
	pf->has_ports = f->key.l4 == IPPROTO_TCP || f->key.l4 == IPPROTO_UDP || f->key.l4 == IPPROTO_SCTP;
	pf->client_port = f->client_is_a ? f->key.port_a : f->key.port_b;
	pf->server_port = f->client_is_a ? f->key.port_b : f->key.port_a;
	pf->l4 = f->key.l4;
	pf->app = bld_classify_app_name(e->classifier, f, app, app_len);
}

/* Policy work inside another stage: counted as policy, and taken out of that stage. */
static inline uint64_t policy_begin(const struct bld_engine *e)
{
	return e->cfg.profile ? stamp() : 0;
}

static inline void policy_end(struct bld_engine *e, uint64_t t0)
{
	if (!e->cfg.profile)
		return;
	uint64_t dt = stamp() - t0;
	e->stats.stage_cycles[BLD_STAGE_POLICY] += dt;
	e->prof_nested += dt;
}

static void policy_judge_flow(struct bld_engine *e, struct bld_flow *f, uint64_t ts)
{
	uint64_t t0 = policy_begin(e);
	struct bld_policy_flow pf;
	char app[64];
	bld_engine_policy_flow(e, f, &pf, app, sizeof(app));
	bld_policy_eval_flow(e->policy, &pf, &f->policy, ts);
	policy_end(e, t0);
}

static void sink_op(void *ctx, const struct bld_op *op)
{
	struct bld_engine *e = ctx;
	e->stats.ops++;
	if (e->cfg.on_op)
		e->cfg.on_op(e->cfg.ctx, e, e->cur_flow, op);
	if (e->policy) {
		uint64_t t0 = policy_begin(e);
		struct bld_policy_flow pf;
		char app[64];
		bld_engine_policy_flow(e, e->cur_flow, &pf, app, sizeof(app));
		/* the flow state is the engine's own: cur_flow is const only for the callbacks */
		bld_policy_eval_op(e->policy, &pf, &((struct bld_flow *)e->cur_flow)->policy, op);
		policy_end(e, t0);
	}
}

static void sink_event(void *ctx, enum bld_event ev, uint64_t ts_ns, bool to_server)
{
	struct bld_engine *e = ctx;
	e->stats.events[ev]++;
	if (e->cfg.on_event)
		e->cfg.on_event(e->cfg.ctx, e, e->cur_flow, ev, ts_ns, to_server);
	if (e->policy) {
		struct bld_policy_flow pf;
		char app[64];
		bld_engine_policy_flow(e, e->cur_flow, &pf, app, sizeof(app));
		bld_policy_eval_event(e->policy, &pf, &((struct bld_flow *)e->cur_flow)->policy, (uint16_t)ev, ts_ns,
				      to_server);
	}
}

static struct bld_session_env session_env(struct bld_engine *e, const struct bld_flow *f, uint64_t ts)
{
	e->cur_flow = f;
	return (struct bld_session_env){ .sink = &e->sink, .op = &e->op, .stream_cfg = &e->cfg.stream,
					 .stream_counters = e->stats.stream, .ts_ns = ts, .configs = e->configs };
}

/* The dissector that parses flow f, or NULL. */
static const struct bld_dissector *dissector_of(const struct bld_flow *f)
{
	if (!f->classified || f->app_source != BLD_APP_SOURCE_BOLLARD)
		return NULL;
	const struct bld_dissector *d = bld_dissectors[f->app];
	return d && d->parse ? d : NULL;
}

static void session_end(struct bld_engine *e, struct bld_flow *f, uint64_t ts)
{
	struct bld_session *s = f->session;
	if (!s)
		return;
	struct bld_session_env env = session_env(e, f, ts);
	const struct bld_dissector *d = dissector_of(f);
	if (d && !bld_session_dissector(s))
		bld_session_set_dissector(s, &env, d); /* decided at the end (a tie broken by order) */
	bld_session_finish(s, &env);
	f->session = NULL;
}

/* A server port that is a well-known port of a Bollard protocol carried over l4, else NULL. */
static const struct bld_dissector *port_owner(uint16_t port, uint8_t l4)
{
	uint8_t transport = l4 == IPPROTO_TCP ? BLD_TRANSPORT_TCP : l4 == IPPROTO_UDP ? BLD_TRANSPORT_UDP : 0;
	for (int p = 1; p < BLD_PROTO_MAX; p++) {
		const struct bld_dissector *d = bld_dissectors[p];
		if (!(d->transports & transport))
			continue;
		for (int i = 0; i < 4 && d->ports[i]; i++)
			if (d->ports[i] == port)
				return d;
	}
	return NULL;
}

static bool has_port(const struct bld_dissector *d, uint16_t port)
{
	for (int i = 0; i < 4 && d->ports[i]; i++)
		if (d->ports[i] == port)
			return true;
	return false;
}

/*
 * At the verdict: an industrial protocol off its well-known ports, or
 * something else on one of them, is worth an event (ports are never
 * evidence for classification, which is why the mismatch shows).  Callers
 * skip flows that carried no payload: a SYN scan is not "other bytes".
 */
static void check_port(struct bld_engine *e, const struct bld_flow *f, uint64_t ts, bool to_server)
{
	if (f->key.l4 != IPPROTO_TCP && f->key.l4 != IPPROTO_UDP)
		return;
	uint16_t server_port = f->client_is_a ? f->key.port_b : f->key.port_a;
	const struct bld_dissector *mine = f->app_source == BLD_APP_SOURCE_BOLLARD ? bld_dissectors[f->app] : NULL;
	const struct bld_dissector *owner = port_owner(server_port, f->key.l4);
	e->cur_flow = f;
	if (mine && mine->ports[0] && !has_port(mine, server_port)) /* RaSTA has no well-known port */
		sink_event(e, BLD_EVENT_APP_UNEXPECTED_PORT, ts, to_server);
	else if (!mine && owner)
		sink_event(e, BLD_EVENT_APP_OTHER_ON_PORT, ts, to_server);
}

/* The flow table reports an end: settle classification, then tell the owner. */
static void flow_ended(void *ctx, struct bld_flow *f, enum bld_flow_end why)
{
	struct bld_engine *e = ctx;
	/* TCP classifier state exists only once payload was seen; UDP always has some. */
	bool verdict_now = !f->classified && (f->classify_state || f->key.l4 == IPPROTO_UDP);
	bld_classify_finish(e->classifier, f);
	if (verdict_now)
		check_port(e, f, f->ts_last, true);
	session_end(e, f, f->ts_last);
	if (e->policy)
		policy_judge_flow(e, f, f->ts_last);   /* flows that never got a verdict before they ended */
	if (e->cfg.on_flow_end)
		e->cfg.on_flow_end(e->cfg.ctx, e, f, why);
}

static void forward_alert(void *ctx, const struct bld_alert *a)
{
	struct bld_engine *e = ctx;
	if (e->cfg.on_alert)
		e->cfg.on_alert(e->cfg.ctx, a);
}

/* The dissectors' site settings of policy p (NULL: every dissector's defaults). */
static void take_configs(struct bld_engine *e, const struct bld_policy *p)
{
	for (int i = 0; i < BLD_PROTO_MAX; i++)
		e->configs[i] = bld_policy_proto_config(p, (enum bld_proto)i);
}

struct bld_engine *bld_engine_create(const struct bld_engine_config *cfg)
{
	struct bld_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->cfg = *cfg;
	e->sink = (struct bld_sink){ .op = sink_op, .event = sink_event, .ctx = e };
	e->flows = bld_flow_table_create(&cfg->flow, flow_ended, e);
	if (!e->flows)
		goto free_engine;
	e->classifier = cfg->classifier;
	if (!e->classifier) {
		e->classifier = bld_classifier_create();
		if (!e->classifier)
			goto free_flows;
		e->owns_classifier = true;
	}
	e->frag = bld_ipfrag_create(&cfg->frag);
	if (!e->frag)
		goto free_classifier;
	if (cfg->policy && !(e->policy = bld_policy_eval_create(cfg->policy, forward_alert, e)))
		goto free_frag;
	take_configs(e, cfg->policy);
	return e;

free_frag:
	bld_ipfrag_destroy(e->frag);
free_classifier:
	if (e->owns_classifier)
		bld_classifier_destroy(e->classifier);
free_flows:
	bld_flow_table_destroy(e->flows);
free_engine:
	free(e);
	return NULL;
}

void bld_engine_destroy(struct bld_engine *e)
{
	if (!e)
		return;
	/* Flows still open hold classifier and session state: settle them without reporting. */
	e->cfg.on_flow_end = NULL;
	e->cfg.on_op = NULL;
	e->cfg.on_event = NULL;
	e->cfg.on_alert = NULL;
	bld_flow_table_flush(e->flows);
	bld_policy_eval_destroy(e->policy);
	bld_ipfrag_destroy(e->frag);
	bld_flow_table_destroy(e->flows);
	if (e->owns_classifier)
		bld_classifier_destroy(e->classifier);
	free(e);
}

/* Ports below 1024 and the industrial protocols' well-known ports belong to servers. */
static bool service_port(uint16_t port)
{
	return port < 1024 || bld_registry_service_port(port);
}

/*
 * Who is the client of a new flow.  A SYN names the client, a SYN-ACK the
 * server; otherwise (mid-stream start, UDP) the first sender, unless it
 * speaks from a service port to a port that is not one: that is a reply.
 */
static bool sender_is_client(const struct bld_decoded *d)
{
	if (d->l4_proto == IPPROTO_TCP) {
		uint8_t syn_ack = d->tcp_flags & (BLD_TCP_SYN | BLD_TCP_ACK);
		if (syn_ack == BLD_TCP_SYN)
			return true;
		if (syn_ack == (BLD_TCP_SYN | BLD_TCP_ACK))
			return false;
	}
	if (d->has_ports && service_port(d->sport) && !service_port(d->dport))
		return false;
	return true;
}

/* The state a TCP flow starts in; tcp_update() then applies the same packet's FIN or RST. */
static enum bld_tcp_state tcp_initial(const struct bld_decoded *d)
{
	if (d->tcp_flags & BLD_TCP_SYN)
		return d->tcp_flags & BLD_TCP_ACK ? BLD_TCP_SYN_RECEIVED : BLD_TCP_SYN_SENT;
	return BLD_TCP_ESTABLISHED; /* joined mid-stream */
}

static void tcp_update(struct bld_flow *f, const struct bld_decoded *d, bool from_a, bool to_server)
{
	uint8_t fl = d->tcp_flags;
	if (fl & BLD_TCP_SYN)
		f->tcp_fin_from |= from_a ? BLD_FLOW_SYN_FROM_A : BLD_FLOW_SYN_FROM_B;
	if (fl & BLD_TCP_RST) {
		f->tcp_state = BLD_TCP_RESET;
		return;
	}
	if (fl & BLD_TCP_FIN) {
		f->tcp_fin_from |= from_a ? BLD_FLOW_FIN_FROM_A : BLD_FLOW_FIN_FROM_B;
		uint8_t both = BLD_FLOW_FIN_FROM_A | BLD_FLOW_FIN_FROM_B;
		f->tcp_state = (f->tcp_fin_from & both) == both ? BLD_TCP_CLOSED : BLD_TCP_CLOSING;
		return;
	}
	switch (f->tcp_state) {
	case BLD_TCP_SYN_SENT:
		if ((fl & (BLD_TCP_SYN | BLD_TCP_ACK)) == (BLD_TCP_SYN | BLD_TCP_ACK) && !to_server)
			f->tcp_state = BLD_TCP_SYN_RECEIVED;
		else if (!(fl & BLD_TCP_SYN) && (fl & BLD_TCP_ACK))
			f->tcp_state = BLD_TCP_ESTABLISHED; /* missed the SYN-ACK */
		break;
	case BLD_TCP_SYN_RECEIVED:
		if (!(fl & BLD_TCP_SYN) && (fl & BLD_TCP_ACK))
			f->tcp_state = BLD_TCP_ESTABLISHED;
		break;
	default:
		break;
	}
}

static enum bld_flow_class class_of(const struct bld_flow *f)
{
	switch (f->key.l4) {
	case IPPROTO_TCP:
		switch (f->tcp_state) {
		case BLD_TCP_SYN_SENT:
		case BLD_TCP_SYN_RECEIVED:
			return BLD_FLOW_CLASS_TCP_OPENING;
		case BLD_TCP_CLOSED:
		case BLD_TCP_RESET:
			return BLD_FLOW_CLASS_TCP_CLOSED;
		default:
			return BLD_FLOW_CLASS_TCP_ESTABLISHED;
		}
	case IPPROTO_UDP:
		return BLD_FLOW_CLASS_UDP;
	default:
		return BLD_FLOW_CLASS_OTHER;
	}
}

/* A SYN on a finished connection's 5-tuple starts a new connection. */
static bool starts_new_connection(const struct bld_flow *f, const struct bld_decoded *d)
{
	return f->key.l4 == IPPROTO_TCP && (f->tcp_state == BLD_TCP_CLOSED || f->tcp_state == BLD_TCP_RESET) &&
	       (d->tcp_flags & (BLD_TCP_SYN | BLD_TCP_ACK)) == BLD_TCP_SYN;
}

/*
 * The application layer of one packet.  TCP bytes are kept from the first
 * payload while a Bollard probe may still match, so the dissector sees the
 * stream from its start; UDP datagrams are parsed from the verdict on.
 */
/* One TCP segment into the flow's session (its side's SYN first when that went by before the session). */
static void tcp_feed(struct bld_engine *e, struct bld_flow *f, const struct bld_decoded *d, bool from_a,
		     bool to_server, uint64_t ts)
{
	struct bld_session *s = f->session;
	struct bld_session_env env = session_env(e, f, ts);
	uint8_t syn_bit = from_a ? BLD_FLOW_SYN_FROM_A : BLD_FLOW_SYN_FROM_B;
	if (!bld_session_tcp_started(s, to_server) && (f->tcp_fin_from & syn_bit) && !(d->tcp_flags & BLD_TCP_SYN))
		/* This side's SYN went by before the session began: its stream starts here, not mid-stream. */
		bld_session_tcp(s, &env, to_server, d->tcp_seq - 1, true, false, false, 0, NULL, 0);
	bld_session_tcp(s, &env, to_server, d->tcp_seq, d->tcp_flags & BLD_TCP_SYN, d->tcp_flags & BLD_TCP_FIN,
			d->tcp_flags & BLD_TCP_ACK, d->tcp_ack, d->payload, d->payload_len);
}

/*
 * The application layer of one packet.  TCP bytes are kept from the first
 * payload while a Bollard probe may still match, so the dissector sees the
 * stream from its start; UDP datagrams are parsed from the verdict on.  fed:
 * the segment is in the session already (it was, for the probes' sake).
 */
static void app_layer(struct bld_engine *e, struct bld_flow *f, const struct bld_decoded *d, bool from_a,
		      bool to_server, uint64_t ts, bool fed)
{
	const struct bld_dissector *dsc = dissector_of(f);
	bool tcp = f->key.l4 == IPPROTO_TCP && f->key.ip_version;
	bool wanted = dsc || (tcp && bld_classify_bollard_pending(f));
	if (!wanted) {
		session_end(e, f, ts); /* classified as something Bollard does not parse */
		return;
	}
	struct bld_session_env env = session_env(e, f, ts);
	if (!f->session) {
		f->session = bld_session_create();
		if (!f->session)
			return; /* out of memory: the flow goes undissected, the packet is still counted */
		e->stats.sessions++;
	}
	struct bld_session *s = f->session;
	if (dsc && !bld_session_dissector(s) && bld_session_set_dissector(s, &env, dsc) != 0) {
		session_end(e, f, ts);
		return;
	}
	if (fed)
		return;
	if (tcp)
		tcp_feed(e, f, d, from_a, to_server, ts);
	else
		bld_session_datagram(s, &env, to_server, d->payload, d->payload_len);
}

/* One decoded packet (or reassembled datagram of n_frames frames) into its flow. */
static void account(struct bld_engine *e, const struct bld_decoded *d, uint64_t ts, uint32_t n_frames,
		    uint64_t wire_bytes)
{
	struct bld_flow_key key;
	bool from_a = bld_flow_key_make(d, &key);
	uint32_t hash = bld_flow_key_hash(&key);
	bool created;
	struct bld_flow *f = bld_flow_table_get(e->flows, &key, hash, ts, &created);
	if (!created && starts_new_connection(f, d)) {
		bld_flow_table_end(e->flows, f, BLD_FLOW_END_REUSED);
		f = bld_flow_table_get(e->flows, &key, hash, ts, &created);
	}
	if (created) {
		f->port = (uint8_t)(e->port < 256 ? e->port : 255);
		f->client_is_a = sender_is_client(d) == from_a;
		f->tcp_state = d->l4_proto == IPPROTO_TCP && d->ip_version ? tcp_initial(d) : BLD_TCP_NONE;
	}
	bool to_server = from_a == f->client_is_a;
	int dir = to_server ? BLD_DIR_TO_SERVER : BLD_DIR_TO_CLIENT;
	f->pkts[dir] += n_frames;
	f->bytes[dir] += wire_bytes;
	if (f->key.l4 == IPPROTO_TCP && d->ip_version)
		tcp_update(f, d, from_a, to_server); /* also on a flow's first packet: it may be a FIN */
	bld_flow_table_touch(e->flows, f, ts, class_of(f));
	mark(e, BLD_STAGE_FLOW);
	bool fed = false;
	if (!f->classified) {
		/* A kept stream (TCP, before the verdict) shows the probes its bytes in order, not one segment. */
		const uint8_t *probe_data = d->payload;
		uint32_t probe_len = d->payload_len;
		if (f->session && d->payload_len) {
			tcp_feed(e, f, d, from_a, to_server, ts);
			fed = true;
			uint32_t n;
			const uint8_t *ready = bld_session_ready(f->session, to_server, &n);
			if (n)
				probe_data = ready, probe_len = n;
		}
		bld_classify_packet(e->classifier, f, d, probe_data, probe_len, to_server, ts);
		if (f->classified && d->payload_len)
			check_port(e, f, ts, to_server);
		if (f->classified && e->policy)
			policy_judge_flow(e, f, ts);
	}
	mark(e, BLD_STAGE_CLASSIFY);
	if (e->cfg.dissect && (f->session || d->payload_len))
		app_layer(e, f, d, from_a, to_server, ts, fed);
	mark(e, BLD_STAGE_DISSECT);
	if (d->ip_version)
		e->stats.ip_packets += n_frames;
	else
		e->stats.l2_packets += n_frames;
	e->drop = f->policy.drop;
}

static void process_one(struct bld_engine *e, const struct bld_pkt *p)
{
	struct bld_decoded d;
	uint64_t ts = p->ts_ns;

	e->stats.packets++;
	e->stats.bytes += p->wirelen;
	e->port = p->port;
	if (e->cfg.profile)
		e->prof_last = stamp(), e->prof_nested = 0;
	if (e->stats.packets == 1 || ts < e->stats.ts_first)
		e->stats.ts_first = ts;
	if (ts > e->stats.ts_last)
		e->stats.ts_last = ts;

	if (ts > e->now)
		e->now = ts;
	bld_flow_table_expire(e->flows, ts);
	bld_ipfrag_expire(e->frag, ts, e->stats.decode);
	if (e->policy) {
		uint64_t t0 = policy_begin(e);
		bld_policy_eval_tick(e->policy, ts);
		policy_end(e, t0);
	}
	mark(e, BLD_STAGE_FLOW);   /* expiry: the flows that ended and what was written for them */

	enum bld_decode_result kind = bld_decode_packet(p, &d, e->stats.decode);
	mark(e, BLD_STAGE_DECODE);
	switch (kind) {
	case BLD_DECODED_L4:
	case BLD_DECODED_L2:
		account(e, &d, ts, 1, p->wirelen);
		break;
	case BLD_DECODED_FRAGMENT: {
		struct bld_ipfrag_done done;
		if (bld_ipfrag_add(e->frag, &d.frag, d.ip_version, &d.src, &d.dst, p->wirelen, ts, &done,
				   e->stats.decode) != 1)
			break;
		/* Keep the outermost L2 facts: the reassembled datagram has only L3 on. */
		struct bld_decoded whole;
		if (bld_decode_ip(done.l3, done.len, &whole, e->stats.decode) != BLD_DECODED_L4)
			break;
		whole.n_vlan = d.n_vlan;
		memcpy(whole.vlan, d.vlan, sizeof(whole.vlan));
		account(e, &whole, ts, done.n_frames, done.wire_bytes);
		break;
	}
	case BLD_DECODED_ERROR:
		break;
	}
}

unsigned bld_engine_process_burst(struct bld_engine *e, const struct bld_pkt *pkts, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		process_one(e, &pkts[i]);
	return n;
}

unsigned bld_engine_process_burst_inline(struct bld_engine *e, const struct bld_pkt *pkts, unsigned n, bool *drop)
{
	unsigned dropped = 0;
	for (unsigned i = 0; i < n; i++) {
		e->drop = false;
		process_one(e, &pkts[i]);
		drop[i] = e->drop;
		dropped += e->drop;
	}
	return dropped;
}

void bld_engine_advance(struct bld_engine *e, uint64_t ts)
{
	if (ts <= e->now)
		return;
	e->now = ts;
	bld_flow_table_expire(e->flows, ts);
	bld_ipfrag_expire(e->frag, ts, e->stats.decode);
	if (e->policy)
		bld_policy_eval_tick(e->policy, ts);
}

void bld_engine_stats_add(struct bld_engine_stats *sum, const struct bld_engine_stats *s)
{
	if (s->packets && (!sum->packets || s->ts_first < sum->ts_first))
		sum->ts_first = s->ts_first;
	if (s->ts_last > sum->ts_last)
		sum->ts_last = s->ts_last;
	sum->packets += s->packets;
	sum->bytes += s->bytes;
	sum->ip_packets += s->ip_packets;
	sum->l2_packets += s->l2_packets;
	for (int i = 0; i < BLD_DECODE_COUNTER_MAX; i++)
		sum->decode[i] += s->decode[i];
	for (int i = 0; i < BLD_STREAM_COUNTER_MAX; i++)
		sum->stream[i] += s->stream[i];
	for (int i = 0; i < BLD_EVENT_MAX; i++)
		sum->events[i] += s->events[i];
	sum->ops += s->ops;
	sum->sessions += s->sessions;
	sum->flows.created += s->flows.created;
	sum->flows.ended += s->flows.ended;
	sum->flows.evicted += s->flows.evicted;
	sum->flows.active += s->flows.active;
	sum->flows.peak += s->flows.peak;   /* an upper bound: the workers' peaks need not coincide */
	for (int i = 0; i < BLD_STAGE_MAX; i++)
		sum->stage_cycles[i] += s->stage_cycles[i];
}

void bld_engine_finish(struct bld_engine *e)
{
	bld_flow_table_flush(e->flows);
	if (e->policy)
		bld_policy_eval_finish(e->policy, e->now > e->stats.ts_last ? e->now : e->stats.ts_last);
}

static void policy_stats_add(struct bld_policy_eval_stats *sum, const struct bld_policy_eval_stats *s)
{
	sum->flows += s->flows;
	sum->ops += s->ops;
	for (int k = 0; k < BLD_ALERT_KIND_MAX; k++)
		sum->alerts[k] += s->alerts[k];
	sum->expected_events += s->expected_events;
	sum->reported += s->reported;
	sum->capacity += s->capacity;
}

void bld_engine_policy_stats(const struct bld_engine *e, struct bld_policy_eval_stats *s)
{
	*s = e->replaced;
	if (e->policy) {
		struct bld_policy_eval_stats now;
		bld_policy_eval_stats(e->policy, &now);
		policy_stats_add(s, &now);
	}
}

int bld_engine_set_policy(struct bld_engine *e, const struct bld_policy *p)
{
	struct bld_policy_eval *ev = NULL;
	if (p && !(ev = bld_policy_eval_create(p, forward_alert, e)))
		return -ENOMEM;
	if (e->policy) {
		bld_policy_eval_finish(e->policy, e->stats.ts_last);
		struct bld_policy_eval_stats s;
		bld_policy_eval_stats(e->policy, &s);
		policy_stats_add(&e->replaced, &s);
		bld_policy_eval_destroy(e->policy);
	}
	e->policy = ev;
	e->cfg.policy = p;
	take_configs(e, p);
	if (ev && e->assets)
		bld_policy_eval_share_assets(ev, e->assets);
	return 0;
}

void bld_engine_share_assets(struct bld_engine *e, struct bld_policy_assets *a)
{
	e->assets = a;
	if (e->policy)
		bld_policy_eval_share_assets(e->policy, a);
}

const struct bld_policy_eval *bld_engine_policy_eval(const struct bld_engine *e)
{
	return e->policy;
}

void bld_engine_stats(const struct bld_engine *e, struct bld_engine_stats *s)
{
	*s = e->stats;
	bld_flow_table_stats(e->flows, &s->flows);
}

static void format_addr(const struct bld_flow *f, const struct bld_addr *a, char *buf, size_t len)
{
	if (f->key.ip_version == 0)
		snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", a->b[0], a->b[1], a->b[2], a->b[3], a->b[4],
			 a->b[5]);
	else if (f->key.ip_version == 4)
		inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
}

static const char *l4_name(const struct bld_flow *f, char *buf, size_t len)
{
	if (f->key.ip_version == 0)
		return "l2";
	switch (f->key.l4) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	case IPPROTO_SCTP: return "sctp";
	default:
		snprintf(buf, len, "%u", f->key.l4);
		return buf;
	}
}

void bld_engine_flow_record(const struct bld_engine *e, const struct bld_flow *f, enum bld_flow_end why,
			    struct bld_flow_record *r)
{
	const struct bld_addr *client = f->client_is_a ? &f->key.a : &f->key.b;
	const struct bld_addr *server = f->client_is_a ? &f->key.b : &f->key.a;

	memset(r, 0, sizeof(*r));
	r->flow_id = f->id;
	r->port = bld_engine_port_name(e, f);
	r->ts_first_ns = f->ts_first;
	r->ts_last_ns = f->ts_last;
	char l4buf[8];
	snprintf(r->l4, sizeof(r->l4), "%s", l4_name(f, l4buf, sizeof(l4buf)));
	r->ip_version = f->key.ip_version;
	format_addr(f, client, r->src, sizeof(r->src));
	format_addr(f, server, r->dst, sizeof(r->dst));
	r->has_ports = f->key.l4 == IPPROTO_TCP || f->key.l4 == IPPROTO_UDP || f->key.l4 == IPPROTO_SCTP;
	r->src_port = f->client_is_a ? f->key.port_a : f->key.port_b;
	r->dst_port = f->client_is_a ? f->key.port_b : f->key.port_a;
	r->n_vlan = f->key.vlan[1] ? 2 : f->key.vlan[0] ? 1 : 0;
	memcpy(r->vlan, f->key.vlan, sizeof(r->vlan));
	r->ethertype = f->key.ethertype;
	char buf[sizeof(r->app)];
	snprintf(r->app, sizeof(r->app), "%s", bld_classify_app_name(e->classifier, f, buf, sizeof(buf)));
	r->app_source = bld_app_source_names[f->app_source];
	r->tcp_state = f->key.l4 == IPPROTO_TCP && f->key.ip_version ? bld_tcp_state_names[f->tcp_state] : NULL;
	r->end_reason = bld_flow_end_names[why];
	r->pkts_toserver = f->pkts[BLD_DIR_TO_SERVER];
	r->pkts_toclient = f->pkts[BLD_DIR_TO_CLIENT];
	r->bytes_toserver = f->bytes[BLD_DIR_TO_SERVER];
	r->bytes_toclient = f->bytes[BLD_DIR_TO_CLIENT];
}

void bld_engine_endpoints(const struct bld_flow *f, bool to_server, struct bld_endpoints *ep)
{
	bool sender_is_a = f->client_is_a == to_server;
	memset(ep, 0, sizeof(*ep));
	ep->flow_id = f->id;
	ep->l2 = f->key.ip_version == 0;
	format_addr(f, sender_is_a ? &f->key.a : &f->key.b, ep->src, sizeof(ep->src));
	format_addr(f, sender_is_a ? &f->key.b : &f->key.a, ep->dst, sizeof(ep->dst));
	ep->has_ports = f->key.l4 == IPPROTO_TCP || f->key.l4 == IPPROTO_UDP || f->key.l4 == IPPROTO_SCTP;
	ep->src_port = sender_is_a ? f->key.port_a : f->key.port_b;
	ep->dst_port = sender_is_a ? f->key.port_b : f->key.port_a;
}

const char *bld_engine_port_name(const struct bld_engine *e, const struct bld_flow *f)
{
	return e->cfg.port_names && f->port < e->cfg.n_port_names ? e->cfg.port_names[f->port] : NULL;
}

const char *bld_engine_flow_proto(const struct bld_flow *f)
{
	if (f->classified && f->app_source == BLD_APP_SOURCE_BOLLARD)
		return bld_dissectors[f->app]->name;
	return "unknown";
}
