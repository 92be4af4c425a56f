/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dataplane/engine.c: packet sequences built in memory go
 * through bld_engine_process_burst(), the function every capture back-end
 * calls, and the flows come out through the end callback as flow records
 * (and their JSON lines, export/flow_json.c).
 *
 * What is checked: client/server roles and TCP state, the close linger and
 * port reuse, classification by content rather than by port (Bollard's
 * probes, nDPI), per-direction counters, VLAN keys, L2 flows, reassembled
 * fragments, engine statistics, and DESIGN.md's determinism rule: the same
 * packets in bursts of any size give identical flow records.
 */
#include "bld_test.h"

#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "dataplane/classify.h"
#include "dataplane/engine.h"
#include "export/flow_record.h"
#include "policies/policy.h"

#define S 1000000000ull                 /* one second in ns */
#define T0 (1700000000ull * S)          /* 2023-11-14T22:13:20Z */

/* ---- packet building -------------------------------------------------------------- */

#define MAX_PKTS 128
#define FRAME_MAX 256

static uint8_t frames[MAX_PKTS][FRAME_MAX];
static struct bld_pkt pkts[MAX_PKTS];
static unsigned n_pkts;

struct ep {
	uint8_t ip;      /* 10.0.0.<ip>, MAC 02:00:00:00:00:<ip> */
	uint16_t port;
};

struct opt {
	uint16_t vlan;     /* 0: untagged */
	uint32_t wire_pad; /* wirelen = caplen + wire_pad (a snaplen cut) */
};

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	return put16(put16(p, (uint16_t)(v >> 16)), (uint16_t)v);
}

/* Ethernet (+ optional 802.1Q) header for an IPv4 or other ethertype; returns where L3 starts. */
static uint8_t *eth(uint8_t *p, uint8_t src, uint8_t dst, uint16_t vlan, uint16_t type)
{
	static const uint8_t oui[5] = { 0x02, 0, 0, 0, 0 };
	memcpy(p, oui, 5), p[5] = dst;
	memcpy(p + 6, oui, 5), p[11] = src;
	p += 12;
	if (vlan) {
		p = put16(p, 0x8100);
		p = put16(p, vlan);
	}
	return put16(p, type);
}

static uint8_t *ip4(uint8_t *p, uint8_t src, uint8_t dst, uint8_t proto, uint16_t total, uint16_t id, uint16_t frag)
{
	*p++ = 0x45, *p++ = 0;
	p = put16(p, total);
	p = put16(p, id);
	p = put16(p, frag);
	*p++ = 64, *p++ = proto;
	p = put16(p, 0);
	*p++ = 10, *p++ = 0, *p++ = 0, *p++ = src;
	*p++ = 10, *p++ = 0, *p++ = 0, *p++ = dst;
	return p;
}

static struct bld_pkt *push(uint64_t ts, uint32_t len, const struct opt *o)
{
	CU_ASSERT_FATAL(n_pkts < MAX_PKTS);
	struct bld_pkt *k = &pkts[n_pkts];
	*k = (struct bld_pkt){
		.data = frames[n_pkts], .caplen = len, .wirelen = len + (o ? o->wire_pad : 0), .ts_ns = ts,
		.linktype = BLD_LINK_ETHERNET,
	};
	n_pkts++;
	return k;
}

static void tcp(uint64_t ts, struct ep a, struct ep b, uint8_t flags, uint32_t seq, uint32_t ack, const void *payload,
		uint32_t plen, const struct opt *o)
{
	CU_ASSERT_FATAL(plen <= 160);
	uint8_t *f = frames[n_pkts];
	uint8_t *p = eth(f, a.ip, b.ip, o ? o->vlan : 0, 0x0800);
	p = ip4(p, a.ip, b.ip, IPPROTO_TCP, (uint16_t)(20 + 20 + plen), 1, 0x4000);
	p = put16(p, a.port);
	p = put16(p, b.port);
	p = put32(p, seq);
	p = put32(p, ack);
	*p++ = 0x50, *p++ = flags;
	p = put16(p, 0xffff);
	p = put32(p, 0);
	if (plen)
		memcpy(p, payload, plen);
	push(ts, (uint32_t)(p - f) + plen, o);
}

static void udp(uint64_t ts, struct ep a, struct ep b, const void *payload, uint32_t plen, const struct opt *o)
{
	CU_ASSERT_FATAL(plen <= 160);
	uint8_t *f = frames[n_pkts];
	uint8_t *p = eth(f, a.ip, b.ip, o ? o->vlan : 0, 0x0800);
	p = ip4(p, a.ip, b.ip, IPPROTO_UDP, (uint16_t)(20 + 8 + plen), 1, 0);
	p = put16(p, a.port);
	p = put16(p, b.port);
	p = put16(p, (uint16_t)(8 + plen));
	p = put16(p, 0);
	memcpy(p, payload, plen);
	push(ts, (uint32_t)(p - f) + plen, o);
}

static void l2frame(uint64_t ts, uint8_t src, uint8_t dst, uint16_t type, const void *payload, uint32_t plen)
{
	uint8_t *f = frames[n_pkts];
	uint8_t *p = eth(f, src, dst, 0, type);
	memcpy(p, payload, plen);
	push(ts, (uint32_t)(p - f) + plen, NULL);
}

/* The SYN, SYN-ACK, ACK of client c to server s starting at ts, 1 ms apart. */
static void handshake(uint64_t ts, struct ep c, struct ep s, const struct opt *o)
{
	tcp(ts, c, s, BLD_TCP_SYN, 1000, 0, NULL, 0, o);
	tcp(ts + 1000000, s, c, BLD_TCP_SYN | BLD_TCP_ACK, 5000, 1001, NULL, 0, o);
	tcp(ts + 2000000, c, s, BLD_TCP_ACK, 1001, 5001, NULL, 0, o);
}

/* ---- payloads --------------------------------------------------------------------- */

/* Modbus/TCP read holding registers, request and response (ndpi/modbus.pcap frames 1-2) */
static const uint8_t MB_REQ[] = { 0x00, 0xd1, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x01, 0x00, 0x01 };
static const uint8_t MB_RSP[] = { 0x00, 0xd1, 0x00, 0x00, 0x00, 0x05, 0x01, 0x03, 0x02, 0x00, 0x00 };
/* DNS AAAA www.example.com, query and response (ndpi/dns.pcap frames 2-3) */
static const uint8_t DNS_Q[] = { 0xbc, 0x1f, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 'w',
				 'w',  'w',  0x07, 'e',  'x',  'a',  'm',  'p',  'l',  'e',  0x03, 'c',  'o',  'm',
				 0x00, 0x00, 0x1c, 0x00, 0x01 };
static const uint8_t DNS_R[] = { 0xbc, 0x1f, 0x81, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 'w',
				 'w',  'w',  0x07, 'e',  'x',  'a',  'm',  'p',  'l',  'e',  0x03, 'c',  'o',  'm',
				 0x00, 0x00, 0x1c, 0x00, 0x01 };
/* bytes that are no protocol at all */
static const uint8_t JUNK[] = { 0x13, 0x37, 0xc0, 0xde, 0x99, 0x42, 0x7e, 0x01, 0xf3, 0x88, 0x5d, 0xa0, 0x21, 0x6b };
/* GOOSE APPID 0x0001, length 16, reserved, goosePdu tag + a little */
static const uint8_t GOOSE[] = { 0x00, 0x01, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
				 0x61, 0x06, 0x80, 0x01, 0x41, 0x81, 0x01, 0x00 };
/* ARP request who-has 10.0.0.2 tell 10.0.0.1 */
static const uint8_t ARP[] = { 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0, 0, 0, 0, 1, 10, 0, 0, 1,
			       0, 0, 0, 0, 0, 0, 10, 0, 0, 2 };

/* ---- the engine and its output ---------------------------------------------------- */

#define MAX_RECS 64
static struct bld_flow_record recs[MAX_RECS];
static char json[MAX_RECS][1024];
static unsigned n_recs;
static struct bld_classifier *shared_classifier;

static void on_end(void *ctx, struct bld_engine *e, const struct bld_flow *f, enum bld_flow_end why)
{
	CU_ASSERT_PTR_EQUAL(ctx, &n_recs);
	CU_ASSERT_FATAL(n_recs < MAX_RECS);
	bld_engine_flow_record(e, f, why, &recs[n_recs]);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(bld_flow_record_write_json(m, &recs[n_recs]), 0);
	fclose(m);
	snprintf(json[n_recs], sizeof(json[0]), "%s", buf);
	free(buf);
	n_recs++;
}

/* Operations and events, as the engine reports them. */
static char op_lines[16][512];
static bool op_to_server[16];
static uint64_t op_flow[16];
static unsigned n_op_lines, ev_seen[BLD_EVENT_MAX];

static void on_op(void *ctx, struct bld_engine *e, const struct bld_flow *f, const struct bld_op *op)
{
	(void)ctx, (void)e;
	if (n_op_lines < 16) {
		char rt[32] = "";
		if (op->has_response_time)
			snprintf(rt, sizeof(rt), " rt_us=%llu", (unsigned long long)(op->response_time_ns / 1000));
		char body[480];
		bld_op_format(op, body, sizeof(body));
		snprintf(op_lines[n_op_lines], sizeof(op_lines[0]), "%s %s%s", op->proto, body, rt);
		op_to_server[n_op_lines] = op->to_server;
		op_flow[n_op_lines] = f->id;
	}
	n_op_lines++;
}

static void on_event(void *ctx, struct bld_engine *e, const struct bld_flow *f, enum bld_event ev, uint64_t ts,
		     bool to_server)
{
	(void)ctx, (void)e, (void)f, (void)ts, (void)to_server;
	ev_seen[ev]++;
}

static struct bld_engine *engine_with(uint32_t max_flows, bool own_classifier)
{
	n_op_lines = 0;
	memset(ev_seen, 0, sizeof(ev_seen));
	struct bld_engine_config cfg;
	bld_engine_config_default(&cfg);
	if (max_flows)
		cfg.flow.max_flows = max_flows;
	cfg.on_flow_end = on_end;
	cfg.on_op = on_op;
	cfg.on_event = on_event;
	cfg.ctx = &n_recs;
	cfg.classifier = own_classifier ? NULL : shared_classifier;
	n_recs = 0;
	struct bld_engine *e = bld_engine_create(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	return e;
}

static struct bld_engine *engine(void)
{
	return engine_with(0, false);
}

/* Run the packets built so far in bursts of `burst`, then end of input. */
static void run(struct bld_engine *e, unsigned burst)
{
	for (unsigned i = 0; i < n_pkts; i += burst) {
		unsigned n = n_pkts - i < burst ? n_pkts - i : burst;
		CU_ASSERT_EQUAL(bld_engine_process_burst(e, pkts + i, n), n);
	}
}

static void finish(struct bld_engine *e)
{
	bld_engine_finish(e);
}

static void reset_pkts(void)
{
	n_pkts = 0;
}

static const struct bld_flow_record *rec_by_port(uint16_t port)
{
	for (unsigned i = 0; i < n_recs; i++)
		if (recs[i].src_port == port || recs[i].dst_port == port)
			return &recs[i];
	fprintf(stderr, "\n    no flow record with port %u\n", port);
	CU_FAIL_FATAL("flow missing");
	static const struct bld_flow_record none; /* not reached: the fatal failure jumps out */
	return &none;
}

static const struct ep CLIENT = { 1, 40000 }, SERVER = { 2, 502 };

/* ---- tests ------------------------------------------------------------------------- */

static void test_handshake_roles(void)
{
	struct bld_engine *e = engine();
	reset_pkts();
	struct opt padded = { .wire_pad = 100 };
	handshake(T0, CLIENT, SERVER, NULL);
	tcp(T0 + 3000000, CLIENT, SERVER, BLD_TCP_PSH | BLD_TCP_ACK, 1001, 5001, MB_REQ, sizeof(MB_REQ), NULL);
	tcp(T0 + 4000000, SERVER, CLIENT, BLD_TCP_PSH | BLD_TCP_ACK, 5001, 1013, MB_RSP, sizeof(MB_RSP), &padded);
	run(e, 32);
	CU_ASSERT_EQUAL(n_recs, 0);
	finish(e);
	CU_ASSERT_EQUAL_FATAL(n_recs, 1);
	const struct bld_flow_record *r = &recs[0];
	CU_ASSERT_EQUAL(r->flow_id, 1);
	CU_ASSERT_STRING_EQUAL(r->l4, "tcp");
	CU_ASSERT_EQUAL(r->ip_version, 4);
	CU_ASSERT_STRING_EQUAL(r->src, "10.0.0.1");
	CU_ASSERT_STRING_EQUAL(r->dst, "10.0.0.2");
	CU_ASSERT_TRUE(r->has_ports);
	CU_ASSERT_EQUAL(r->src_port, 40000);
	CU_ASSERT_EQUAL(r->dst_port, 502);
	CU_ASSERT_STRING_EQUAL(r->tcp_state, "established");
	CU_ASSERT_STRING_EQUAL(r->app, "modbus");
	CU_ASSERT_STRING_EQUAL(r->app_source, "bollard");
	CU_ASSERT_STRING_EQUAL(r->end_reason, "end_of_input");
	CU_ASSERT_EQUAL(r->ts_first_ns, T0);
	CU_ASSERT_EQUAL(r->ts_last_ns, T0 + 4000000);
	/* per direction: SYN, ACK, request / SYN-ACK, response (wire length, not captured length) */
	CU_ASSERT_EQUAL(r->pkts_toserver, 3);
	CU_ASSERT_EQUAL(r->pkts_toclient, 2);
	CU_ASSERT_EQUAL(r->bytes_toserver, 54 + 54 + 66);
	CU_ASSERT_EQUAL(r->bytes_toclient, 54 + (65 + 100));
	CU_ASSERT_EQUAL(r->n_vlan, 0);
	CU_ASSERT_STRING_EQUAL(json[0],
			       "{\"flow_id\":1,\"ts_first\":\"2023-11-14T22:13:20.000000Z\","
			       "\"ts_last\":\"2023-11-14T22:13:20.004000Z\",\"l4\":\"tcp\",\"ip_version\":4,"
			       "\"src_ip\":\"10.0.0.1\",\"dst_ip\":\"10.0.0.2\",\"src_port\":40000,\"dst_port\":502,"
			       "\"app\":\"modbus\",\"app_source\":\"bollard\",\"pkts_toserver\":3,\"pkts_toclient\":2,"
			       "\"bytes_toserver\":174,\"bytes_toclient\":219,\"tcp_state\":\"established\","
			       "\"end_reason\":\"end_of_input\"}\n");
	bld_engine_destroy(e);
}

/* The TCP state machine, one prefix of the handshake at a time. */
static void test_tcp_states(void)
{
	static const struct {
		unsigned n;
		const char *state;
	} steps[] = { { 1, "syn_sent" }, { 2, "syn_received" }, { 3, "established" } };
	for (size_t i = 0; i < BLD_TEST_COUNT(steps); i++) {
		struct bld_engine *e = engine();
		reset_pkts();
		handshake(T0, CLIENT, SERVER, NULL);
		n_pkts = steps[i].n;
		run(e, 32);
		finish(e);
		CU_ASSERT_EQUAL_FATAL(n_recs, 1);
		CU_ASSERT_STRING_EQUAL(recs[0].tcp_state, steps[i].state);
		CU_ASSERT_STRING_EQUAL(recs[0].src, "10.0.0.1"); /* the SYN's sender is the client */
		bld_engine_destroy(e);
	}

	/* Capture starts at the SYN-ACK: its receiver is the client. */
	struct bld_engine *e = engine();
	reset_pkts();
	tcp(T0, SERVER, CLIENT, BLD_TCP_SYN | BLD_TCP_ACK, 5000, 1001, NULL, 0, NULL);
	tcp(T0 + 1, CLIENT, SERVER, BLD_TCP_ACK, 1001, 5001, NULL, 0, NULL);
	run(e, 32);
	finish(e);
	CU_ASSERT_EQUAL_FATAL(n_recs, 1);
	CU_ASSERT_STRING_EQUAL(recs[0].src, "10.0.0.1");
	CU_ASSERT_EQUAL(recs[0].src_port, 40000);
	CU_ASSERT_STRING_EQUAL(recs[0].tcp_state, "established");
	CU_ASSERT_EQUAL(recs[0].pkts_toserver, 1);
	CU_ASSERT_EQUAL(recs[0].pkts_toclient, 1);
	bld_engine_destroy(e);

	/* A RST resets. */
	e = engine();
	reset_pkts();
	tcp(T0, CLIENT, SERVER, BLD_TCP_SYN, 1000, 0, NULL, 0, NULL);
	tcp(T0 + 1, SERVER, CLIENT, BLD_TCP_RST | BLD_TCP_ACK, 0, 1001, NULL, 0, NULL);
	run(e, 32);
	finish(e);
	CU_ASSERT_EQUAL_FATAL(n_recs, 1);
	CU_ASSERT_STRING_EQUAL(recs[0].tcp_state, "reset");
	bld_engine_destroy(e);
}

/* Joining mid-stream: a privileged port talking to an unprivileged one is the server replying. */
static void test_midstream_roles(void)
{
	struct bld_engine *e = engine();
	reset_pkts();
	tcp(T0, SERVER, CLIENT, BLD_TCP_PSH | BLD_TCP_ACK, 5001, 1013, MB_RSP, sizeof(MB_RSP), NULL);
	tcp(T0 + 1000, CLIENT, SERVER, BLD_TCP_PSH | BLD_TCP_ACK, 1013, 5012, MB_REQ, sizeof(MB_REQ), NULL);
	/* both ports unprivileged: the first sender is the client */
	struct ep a = { 5, 50001 }, b = { 3, 50002 };
	tcp(T0 + 2000, b, a, BLD_TCP_ACK, 1, 1, NULL, 0, NULL);
	/* both privileged (BGP-like 179 <- 1020): the first sender again */
	struct ep c = { 7, 179 }, d = { 8, 1020 };
	tcp(T0 + 3000, c, d, BLD_TCP_ACK, 1, 1, NULL, 0, NULL);
	run(e, 32);
	finish(e);
	CU_ASSERT_EQUAL_FATAL(n_recs, 3);
	const struct bld_flow_record *r = rec_by_port(502);
	CU_ASSERT_STRING_EQUAL(r->src, "10.0.0.1");
	CU_ASSERT_EQUAL(r->src_port, 40000);
	CU_ASSERT_EQUAL(r->dst_port, 502);
	CU_ASSERT_STRING_EQUAL(r->tcp_state, "established");
	CU_ASSERT_EQUAL(r->pkts_toclient, 1);
	CU_ASSERT_EQUAL(r->pkts_toserver, 1);
	CU_ASSERT_STRING_EQUAL(r->app, "modbus");
	r = rec_by_port(50001);
	CU_ASSERT_STRING_EQUAL(r->src, "10.0.0.3");
	CU_ASSERT_EQUAL(r->src_port, 50002);
	r = rec_by_port(179);
	CU_ASSERT_STRING_EQUAL(r->src, "10.0.0.7");
	CU_ASSERT_EQUAL(r->src_port, 179);
	bld_engine_destroy(e);
}

/* FIN both ways: closed, and the flow ends 10 s (+1 ns) after its last packet, reason "closed". */
static void test_close_linger(void)
{
	struct bld_engine *e = engine();
	reset_pkts();
	handshake(T0, CLIENT, SERVER, NULL);
	tcp(T0 + 3 * S, CLIENT, SERVER, BLD_TCP_FIN | BLD_TCP_ACK, 1001, 5001, NULL, 0, NULL);
	tcp(T0 + 4 * S, SERVER, CLIENT, BLD_TCP_FIN | BLD_TCP_ACK, 5001, 1002, NULL, 0, NULL);
	tcp(T0 + 5 * S, CLIENT, SERVER, BLD_TCP_ACK, 1002, 5002, NULL, 0, NULL);
	run(e, 32);
	CU_ASSERT_EQUAL(n_recs, 0);

	/* Time only moves with packets: an unrelated one exactly at the linger's end, then 1 ns later. */
	reset_pkts();
	struct ep x = { 9, 40001 }, y = { 10, 9999 };
	udp(T0 + 15 * S, x, y, JUNK, sizeof(JUNK), NULL);
	run(e, 32);
	CU_ASSERT_EQUAL(n_recs, 0);
	reset_pkts();
	udp(T0 + 15 * S + 1, x, y, JUNK, sizeof(JUNK), NULL);
	run(e, 32);
	CU_ASSERT_EQUAL_FATAL(n_recs, 1);
	CU_ASSERT_STRING_EQUAL(recs[0].end_reason, "closed");
	CU_ASSERT_STRING_EQUAL(recs[0].tcp_state, "closed");
	CU_ASSERT_EQUAL(recs[0].dst_port, 502);
	CU_ASSERT_EQUAL(recs[0].pkts_toserver, 4);
	CU_ASSERT_EQUAL(recs[0].pkts_toclient, 2);
	CU_ASSERT_EQUAL(recs[0].ts_last_ns, T0 + 5 * S);
	finish(e);
	CU_ASSERT_EQUAL(n_recs, 2);
	CU_ASSERT_STRING_EQUAL(recs[1].end_reason, "end_of_input");
	bld_engine_destroy(e);

	/* One FIN only: still open (established-class timeout), state closing. */
	e = engine();
	reset_pkts();
	handshake(T0, CLIENT, SERVER, NULL);
	tcp(T0 + 3 * S, CLIENT, SERVER, BLD_TCP_FIN | BLD_TCP_ACK, 1001, 5001, NULL, 0, NULL);
	udp(T0 + 60 * S, x, y, JUNK, sizeof(JUNK), NULL);
	run(e, 32);
	CU_ASSERT_EQUAL(n_recs, 0);
	finish(e);
	CU_ASSERT_STRING_EQUAL(rec_by_port(502)->tcp_state, "closing");
	bld_engine_destroy(e);

	/* A RST lingers like a close. */
	e = engine();
	reset_pkts();
	handshake(T0, CLIENT, SERVER, NULL);
	tcp(T0 + 3 * S, SERVER, CLIENT, BLD_TCP_RST, 5001, 0, NULL, 0, NULL);
	udp(T0 + 13 * S + 1, x, y, JUNK, sizeof(JUNK), NULL);
	run(e, 32);
	CU_ASSERT_EQUAL_FATAL(n_recs, 1);
	CU_ASSERT_STRING_EQUAL(recs[0].end_reason, "closed");
	CU_ASSERT_STRING_EQUAL(recs[0].tcp_state, "reset");
	bld_engine_destroy(e);
}

/*
 * A capture that starts during the close: the first packet seen is a FIN.
 * Its FIN counts like any other, so the second FIN closes the connection.
 */
static void test_midstream_fin(void)
{
	struct bld_engine *e = engine();
	reset_pkts();
	tcp(T0, CLIENT, SERVER, BLD_TCP_FIN | BLD_TCP_ACK, 1001, 5001, NULL, 0, NULL);
	tcp(T0 + 1000, SERVER, CLIENT, BLD_TCP_FIN | BLD_TCP_ACK, 5001, 1002, NULL, 0, NULL);
	tcp(T0 + 2000, CLIENT, SERVER, BLD_TCP_ACK, 1002, 5002, NULL, 0, NULL);
	struct ep x = { 9, 40001 }, y = { 10, 9999 };
	udp(T0 + 2000 + 10 * S + 1, x, y, JUNK, sizeof(JUNK), NULL);
	run(e, 32);
	finish(e);
	const struct bld_flow_record *r = rec_by_port(502);
	if (strcmp(r->tcp_state, "closed") || strcmp(r->end_reason, "closed"))
		fprintf(stderr, "\n    first packet a FIN: tcp_state %s, end_reason %s; want closed, closed\n",
			r->tcp_state, r->end_reason);
	CU_ASSERT_STRING_EQUAL(r->tcp_state, "closed");
	CU_ASSERT_STRING_EQUAL(r->end_reason, "closed");
	bld_engine_destroy(e);
}

/* A SYN on the 5-tuple of a closed connection: the old flow ends (port_reused), a new one starts. */
static void test_port_reuse(void)
{
	struct bld_engine *e = engine();
	reset_pkts();
	handshake(T0, CLIENT, SERVER, NULL);
	tcp(T0 + 1 * S, CLIENT, SERVER, BLD_TCP_FIN | BLD_TCP_ACK, 1001, 5001, NULL, 0, NULL);
	tcp(T0 + 1 * S + 1, SERVER, CLIENT, BLD_TCP_FIN | BLD_TCP_ACK, 5001, 1002, NULL, 0, NULL);
	tcp(T0 + 2 * S, CLIENT, SERVER, BLD_TCP_SYN, 777000, 0, NULL, 0, NULL);
	run(e, 32);
	CU_ASSERT_EQUAL_FATAL(n_recs, 1);
	CU_ASSERT_STRING_EQUAL(recs[0].end_reason, "port_reused");
	CU_ASSERT_STRING_EQUAL(recs[0].tcp_state, "closed");
	CU_ASSERT_EQUAL(recs[0].flow_id, 1);
	CU_ASSERT_EQUAL(recs[0].pkts_toserver, 3);
	CU_ASSERT_EQUAL(recs[0].pkts_toclient, 2);
	finish(e);
	CU_ASSERT_EQUAL_FATAL(n_recs, 2);
	CU_ASSERT_EQUAL(recs[1].flow_id, 2);
	CU_ASSERT_STRING_EQUAL(recs[1].tcp_state, "syn_sent");
	CU_ASSERT_EQUAL(recs[1].pkts_toserver, 1);
	CU_ASSERT_EQUAL(recs[1].pkts_toclient, 0);
	CU_ASSERT_EQUAL(recs[1].ts_first_ns, T0 + 2 * S);
	CU_ASSERT_STRING_EQUAL(recs[1].src, "10.0.0.1");
	bld_engine_destroy(e);

	/* A retransmitted SYN on an open connection is not a new one. */
	e = engine();
	reset_pkts();
	handshake(T0, CLIENT, SERVER, NULL);
	tcp(T0 + S, CLIENT, SERVER, BLD_TCP_SYN, 1000, 0, NULL, 0, NULL);
	run(e, 32);
	finish(e);
	CU_ASSERT_EQUAL_FATAL(n_recs, 1);
	CU_ASSERT_EQUAL(recs[0].pkts_toserver, 3);
	bld_engine_destroy(e);
}

/* Content decides, not ports: Modbus on 5020 is Modbus, junk on 502 is not. */
static void test_classification_by_content(void)
{
	struct bld_engine *e = engine();
	reset_pkts();
	struct ep srv5020 = { 2, 5020 }, cli = { 1, 40001 };
	handshake(T0, cli, srv5020, NULL);
	tcp(T0 + 3000000, cli, srv5020, BLD_TCP_PSH | BLD_TCP_ACK, 1001, 5001, MB_REQ, sizeof(MB_REQ), NULL);
	tcp(T0 + 4000000, srv5020, cli, BLD_TCP_PSH | BLD_TCP_ACK, 5001, 1013, MB_RSP, sizeof(MB_RSP), NULL);

	struct ep cli2 = { 3, 40002 };
	handshake(T0, cli2, SERVER, NULL);
	for (unsigned i = 0; i < 4; i++) {
		tcp(T0 + (4 + i) * 1000000, cli2, SERVER, BLD_TCP_PSH | BLD_TCP_ACK, 1001 + 14 * i, 5001, JUNK,
		    sizeof(JUNK), NULL);
		tcp(T0 + (4 + i) * 1000000 + 1, SERVER, cli2, BLD_TCP_PSH | BLD_TCP_ACK, 5001 + 14 * i, 1015 + 14 * i,
		    JUNK, sizeof(JUNK), NULL);
	}
	run(e, 32);
	finish(e);
	CU_ASSERT_EQUAL_FATAL(n_recs, 2);
	const struct bld_flow_record *r = rec_by_port(5020);
	CU_ASSERT_STRING_EQUAL(r->app, "modbus");
	CU_ASSERT_STRING_EQUAL(r->app_source, "bollard");
	CU_ASSERT_EQUAL(r->dst_port, 5020);
	r = rec_by_port(502);
	CU_ASSERT_STRING_NOT_EQUAL(r->app, "modbus");
	CU_ASSERT_STRING_NOT_EQUAL(r->app_source, "bollard");
	CU_ASSERT_EQUAL(r->dst_port, 502);
	bld_engine_destroy(e);
}

/*
 * A Modbus request with transaction id 0x680A reading from address 0x0300 is
 * also a well-formed IEC 104 I-frame (start 0x68, length 10, type 1, VSQ 3,
 * COT 3).  Neither probe may win on those bytes alone: the response decides.
 */
static const uint8_t MB_REQ_AMBIGUOUS[] = { 0x68, 0x0a, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x03, 0x00, 0x00, 0x01 };
static const uint8_t MB_RSP_AMBIGUOUS[] = { 0x68, 0x0a, 0x00, 0x00, 0x00, 0x05, 0x01, 0x03, 0x02, 0x12, 0x34 };

static void test_ambiguous_probes(void)
{
	struct bld_engine *e = engine();
	reset_pkts();
	struct ep cli = { 1, 40100 }, srv = { 2, 2404 }; /* IEC 104's port, to tempt a port-based guess */
	handshake(T0, cli, srv, NULL);
	tcp(T0 + 3000000, cli, srv, BLD_TCP_PSH | BLD_TCP_ACK, 1001, 5001, MB_REQ_AMBIGUOUS, sizeof(MB_REQ_AMBIGUOUS),
	    NULL);
	tcp(T0 + 4000000, srv, cli, BLD_TCP_PSH | BLD_TCP_ACK, 5001, 1013, MB_RSP_AMBIGUOUS, sizeof(MB_RSP_AMBIGUOUS),
	    NULL);
	run(e, 32);
	finish(e);
	CU_ASSERT_EQUAL_FATAL(n_recs, 1);
	CU_ASSERT_STRING_EQUAL(recs[0].app, "modbus");
	CU_ASSERT_STRING_EQUAL(recs[0].app_source, "bollard");

	/* Only the ambiguous request, then silence: the registry's order breaks the tie at the end. */
	n_recs = 0;
	reset_pkts();
	struct ep cli2 = { 3, 40101 };
	handshake(T0 + 10000000, cli2, srv, NULL);
	tcp(T0 + 13000000, cli2, srv, BLD_TCP_PSH | BLD_TCP_ACK, 1001, 5001, MB_REQ_AMBIGUOUS, sizeof(MB_REQ_AMBIGUOUS),
	    NULL);
	run(e, 32);
	finish(e);
	CU_ASSERT_EQUAL_FATAL(n_recs, 1);
	CU_ASSERT_STRING_EQUAL(recs[0].app, "iec104"); /* IEC 104 comes before Modbus in the registry */
	CU_ASSERT_STRING_EQUAL(recs[0].app_source, "bollard");
	bld_engine_destroy(e);
}

static void test_dns_ndpi(void)
{
	struct bld_engine *e = engine_with(0, true); /* its own classifier: the owning path */
	reset_pkts();
	struct ep c = { 8, 32795 }, s = { 20, 53 };
	udp(T0, c, s, DNS_Q, sizeof(DNS_Q), NULL);
	udp(T0 + 2000000, s, c, DNS_R, sizeof(DNS_R), NULL);
	run(e, 32);
	finish(e);
	CU_ASSERT_EQUAL_FATAL(n_recs, 1);
	CU_ASSERT_STRING_EQUAL(recs[0].app, "dns");
	CU_ASSERT_STRING_EQUAL(recs[0].app_source, "ndpi");
	CU_ASSERT_STRING_EQUAL(recs[0].l4, "udp");
	CU_ASSERT_PTR_NULL(recs[0].tcp_state);
	CU_ASSERT_STRING_EQUAL(recs[0].src, "10.0.0.8");
	CU_ASSERT_EQUAL(recs[0].dst_port, 53);
	CU_ASSERT_EQUAL(recs[0].pkts_toserver, 1);
	CU_ASSERT_EQUAL(recs[0].pkts_toclient, 1);
	CU_ASSERT_EQUAL(recs[0].bytes_toserver, 14 + 20 + 8 + sizeof(DNS_Q));
	CU_ASSERT_EQUAL(recs[0].bytes_toclient, 14 + 20 + 8 + sizeof(DNS_R));
	bld_engine_destroy(e);
}

/* The same 5-tuple on VLAN 10, on VLAN 20 and untagged: three flows. */
static void test_vlan_keys(void)
{
	struct bld_engine *e = engine();
	reset_pkts();
	struct ep c = { 8, 32795 }, s = { 20, 53 };
	struct opt v10 = { .vlan = 10 }, v20 = { .vlan = 0x2014 }; /* PCP 1, VID 20 */
	udp(T0, c, s, DNS_Q, sizeof(DNS_Q), &v10);
	udp(T0 + 1, c, s, DNS_Q, sizeof(DNS_Q), NULL);
	udp(T0 + 2, s, c, DNS_R, sizeof(DNS_R), &v10);
	udp(T0 + 3, c, s, DNS_Q, sizeof(DNS_Q), &v20);
	run(e, 32);
	finish(e);
	CU_ASSERT_EQUAL_FATAL(n_recs, 3);
	CU_ASSERT_EQUAL(recs[0].n_vlan, 1);
	CU_ASSERT_EQUAL(recs[0].vlan[0], 10);
	CU_ASSERT_EQUAL(recs[0].pkts_toserver, 1);
	CU_ASSERT_EQUAL(recs[0].pkts_toclient, 1);
	CU_ASSERT_EQUAL(recs[1].n_vlan, 0);
	CU_ASSERT_EQUAL(recs[1].pkts_toserver, 1);
	CU_ASSERT_EQUAL(recs[1].pkts_toclient, 0);
	CU_ASSERT_EQUAL(recs[2].n_vlan, 1);
	CU_ASSERT_EQUAL(recs[2].vlan[0], 20);
	CU_ASSERT_PTR_NOT_NULL(strstr(json[0], "\"vlan\":[10]"));
	CU_ASSERT_PTR_NULL(strstr(json[1], "\"vlan\""));
	bld_engine_destroy(e);
}

static void test_l2_flows(void)
{
	struct bld_engine *e = engine();
	reset_pkts();
	l2frame(T0, 1, 0xff, 0x0806, ARP, sizeof(ARP));
	l2frame(T0 + 1, 5, 6, 0x88b8, GOOSE, sizeof(GOOSE));
	l2frame(T0 + 2, 5, 6, 0x88b8, GOOSE, sizeof(GOOSE));
	l2frame(T0 + 3, 5, 7, 0x88cc, JUNK, sizeof(JUNK)); /* LLDP-typed junk: named by its ethertype */
	run(e, 32);
	finish(e);
	CU_ASSERT_EQUAL_FATAL(n_recs, 3);
	CU_ASSERT_STRING_EQUAL(recs[0].l4, "l2");
	CU_ASSERT_EQUAL(recs[0].ip_version, 0);
	CU_ASSERT_STRING_EQUAL(recs[0].app, "arp");
	CU_ASSERT_STRING_EQUAL(recs[0].app_source, "ethertype");
	CU_ASSERT_STRING_EQUAL(recs[0].src, "02:00:00:00:00:01");
	CU_ASSERT_STRING_EQUAL(recs[0].dst, "02:00:00:00:00:ff");
	CU_ASSERT_EQUAL(recs[0].ethertype, 0x0806);
	CU_ASSERT_FALSE(recs[0].has_ports);
	CU_ASSERT_PTR_NULL(recs[0].tcp_state);
	CU_ASSERT_STRING_EQUAL(recs[1].app, "goose");
	CU_ASSERT_STRING_EQUAL(recs[1].app_source, "bollard");
	CU_ASSERT_EQUAL(recs[1].pkts_toserver, 2);
	CU_ASSERT_STRING_EQUAL(recs[2].app, "lldp");
	CU_ASSERT_PTR_NOT_NULL(strstr(json[1], "\"src_mac\":\"02:00:00:00:00:05\",\"dst_mac\":\"02:00:00:00:00:06\","
					       "\"ethertype\":\"0x88b8\""));
	struct bld_engine_stats st;
	bld_engine_stats(e, &st);
	CU_ASSERT_EQUAL(st.l2_packets, 4);
	CU_ASSERT_EQUAL(st.ip_packets, 0);
	bld_engine_destroy(e);
}

/* A UDP datagram in two IPv4 fragments: one flow, two packets, the fragments' wire bytes. */
static void test_fragments(void)
{
	struct bld_engine *e = engine();
	reset_pkts();
	/* UDP 40000 -> 53 carrying DNS_Q (33 bytes): 41 bytes of IP payload, split 16 + 25 */
	uint8_t dgram[8 + sizeof(DNS_Q)];
	put16(dgram, 40000);
	put16(dgram + 2, 53);
	put16(dgram + 4, sizeof(dgram));
	put16(dgram + 6, 0);
	memcpy(dgram + 8, DNS_Q, sizeof(DNS_Q));

	uint8_t *f = frames[n_pkts];
	uint8_t *p = eth(f, 1, 2, 0, 0x0800);
	p = ip4(p, 1, 2, IPPROTO_UDP, 20 + 16, 0x4242, 0x2000); /* MF, offset 0 */
	memcpy(p, dgram, 16);
	push(T0, (uint32_t)(p - f) + 16, NULL);
	f = frames[n_pkts];
	p = eth(f, 1, 2, 0, 0x0800);
	p = ip4(p, 1, 2, IPPROTO_UDP, 20 + 25, 0x4242, 2); /* offset 2 * 8 */
	memcpy(p, dgram + 16, 25);
	push(T0 + 1000, (uint32_t)(p - f) + 25, NULL);
	run(e, 32);
	finish(e);
	CU_ASSERT_EQUAL_FATAL(n_recs, 1);
	CU_ASSERT_EQUAL(recs[0].src_port, 40000);
	CU_ASSERT_EQUAL(recs[0].dst_port, 53);
	CU_ASSERT_EQUAL(recs[0].pkts_toserver, 2);
	CU_ASSERT_EQUAL(recs[0].bytes_toserver, (14 + 36) + (14 + 45));
	CU_ASSERT_STRING_EQUAL(recs[0].app, "dns");
	struct bld_engine_stats st;
	bld_engine_stats(e, &st);
	CU_ASSERT_EQUAL(st.decode[BLD_DECODE_IPV4_FRAGMENT], 2);
	CU_ASSERT_EQUAL(st.decode[BLD_DECODE_FRAG_REASSEMBLED], 1);
	CU_ASSERT_EQUAL(st.ip_packets, 2);
	bld_engine_destroy(e);
}

/* Idle timeouts and eviction as the engine reports them. */
static void test_idle_and_eviction(void)
{
	struct bld_engine *e = engine();
	reset_pkts();
	struct ep c = { 8, 32795 }, s = { 20, 53 }, x = { 9, 40001 }, y = { 10, 9999 };
	udp(T0, c, s, DNS_Q, sizeof(DNS_Q), NULL);
	udp(T0 + 120 * S, x, y, JUNK, sizeof(JUNK), NULL);
	run(e, 32);
	CU_ASSERT_EQUAL(n_recs, 0);
	reset_pkts();
	udp(T0 + 120 * S + 1, x, y, JUNK, sizeof(JUNK), NULL);
	run(e, 32);
	CU_ASSERT_EQUAL_FATAL(n_recs, 1);
	CU_ASSERT_STRING_EQUAL(recs[0].end_reason, "idle_timeout");
	CU_ASSERT_EQUAL(recs[0].dst_port, 53);
	bld_engine_destroy(e);

	e = engine_with(2, false);
	reset_pkts();
	for (uint16_t i = 0; i < 4; i++) {
		struct ep a = { 1, (uint16_t)(41000 + i) };
		udp(T0 + i, a, s, DNS_Q, sizeof(DNS_Q), NULL);
	}
	run(e, 32);
	CU_ASSERT_EQUAL_FATAL(n_recs, 2);
	CU_ASSERT_STRING_EQUAL(recs[0].end_reason, "evicted");
	CU_ASSERT_EQUAL(recs[0].src_port, 41000);
	CU_ASSERT_STRING_EQUAL(recs[1].end_reason, "evicted");
	CU_ASSERT_EQUAL(recs[1].src_port, 41001);
	finish(e);
	CU_ASSERT_EQUAL(n_recs, 4);
	struct bld_engine_stats st;
	bld_engine_stats(e, &st);
	CU_ASSERT_EQUAL(st.flows.evicted, 2);
	CU_ASSERT_EQUAL(st.flows.created, 4);
	CU_ASSERT_EQUAL(st.flows.peak, 2);
	CU_ASSERT_EQUAL(st.flows.active, 0);
	bld_engine_destroy(e);
}

static void test_stats(void)
{
	struct bld_engine *e = engine();
	reset_pkts();
	struct opt cut = { .wire_pad = 1000 };
	handshake(T0 + 5 * S, CLIENT, SERVER, &cut);
	l2frame(T0 + 2 * S, 1, 2, 0x0806, ARP, sizeof(ARP)); /* out of order: earlier than the first */
	uint8_t *f = frames[n_pkts];
	memcpy(f, frames[0], 20); /* Ethernet + 6 bytes of IPv4: truncated */
	push(T0 + 9 * S, 20, NULL);
	pkts[n_pkts - 1].linktype = BLD_LINK_ETHERNET;
	run(e, 32);
	struct bld_engine_stats st;
	bld_engine_stats(e, &st);
	CU_ASSERT_EQUAL(st.packets, 5);
	CU_ASSERT_EQUAL(st.bytes, 3 * (54 + 1000) + 42 + 20);
	CU_ASSERT_EQUAL(st.ip_packets, 3);
	CU_ASSERT_EQUAL(st.l2_packets, 1);
	CU_ASSERT_EQUAL(st.ts_first, T0 + 2 * S);
	CU_ASSERT_EQUAL(st.ts_last, T0 + 9 * S);
	CU_ASSERT_EQUAL(st.decode[BLD_DECODE_IPV4_TRUNCATED], 1);
	CU_ASSERT_EQUAL(st.decode[BLD_DECODE_NON_IP], 1);
	CU_ASSERT_EQUAL(st.flows.active, 2);
	CU_ASSERT_EQUAL(st.flows.created, 2);
	finish(e);
	bld_engine_stats(e, &st);
	CU_ASSERT_EQUAL(st.flows.active, 0);
	CU_ASSERT_EQUAL(st.flows.ended, 2);
	CU_ASSERT_EQUAL(n_recs, 2);
	bld_engine_destroy(e);

	/* an engine with nothing fed */
	e = engine();
	finish(e);
	bld_engine_stats(e, &st);
	CU_ASSERT_EQUAL(st.packets, 0);
	CU_ASSERT_EQUAL(n_recs, 0);
	bld_engine_destroy(e);
}

/* Raw-IP frames from annotated hex, for IPv6 and ICMP. */
static void raw(uint64_t ts, const char *hex)
{
	uint32_t len;
	uint8_t *b = bld_test_hex(hex, &len);
	CU_ASSERT_FATAL(len <= FRAME_MAX);
	memcpy(frames[n_pkts], b, len);
	free(b);
	push(ts, len, NULL)->linktype = BLD_LINK_RAW;
}

#define V6_A "20010db8000000000000000000000001" /* 2001:db8::1 */
#define V6_B "20010db8000000000000000000000002" /* 2001:db8::2 */

static void test_ipv6_icmp_records(void)
{
	struct bld_engine *e = engine();
	reset_pkts();
	/* ICMPv6 echo request and reply */
	raw(T0, "60000000 0008 3a 40" V6_B V6_A "80 00 0000 0001 0001");
	raw(T0 + 1, "60000000 0008 3a 40" V6_A V6_B "81 00 0000 0001 0001");
	/* IPv6 TCP SYN 2001:db8::1:40000 -> 2001:db8::2:502 */
	raw(T0 + 2, "60000000 0014 06 40" V6_A V6_B "9c40 01f6 00000001 00000000 50 02 ffff 0000 0000");
	/* ICMP echo 10.0.0.1 -> 10.0.0.2, and a protocol with no decoder (GRE) */
	raw(T0 + 3, "45 00 001c 0001 0000 40 01 0000 0a000001 0a000002 08 00 f7fe 0001 0001");
	raw(T0 + 4, "45 00 0018 0002 0000 40 2f 0000 0a000001 0a000002 0000 0800");
	run(e, 32);
	finish(e);
	CU_ASSERT_EQUAL_FATAL(n_recs, 4);
	CU_ASSERT_STRING_EQUAL(recs[0].l4, "icmpv6");
	CU_ASSERT_EQUAL(recs[0].ip_version, 6);
	CU_ASSERT_STRING_EQUAL(recs[0].src, "2001:db8::2"); /* the first sender */
	CU_ASSERT_STRING_EQUAL(recs[0].dst, "2001:db8::1");
	CU_ASSERT_FALSE(recs[0].has_ports);
	CU_ASSERT_EQUAL(recs[0].pkts_toserver, 1);
	CU_ASSERT_EQUAL(recs[0].pkts_toclient, 1);
	CU_ASSERT_PTR_NULL(strstr(json[0], "src_port"));
	CU_ASSERT_STRING_EQUAL(recs[1].l4, "tcp");
	CU_ASSERT_STRING_EQUAL(recs[1].src, "2001:db8::1");
	CU_ASSERT_EQUAL(recs[1].dst_port, 502);
	CU_ASSERT_STRING_EQUAL(recs[1].tcp_state, "syn_sent");
	CU_ASSERT_STRING_EQUAL(recs[2].l4, "icmp");
	CU_ASSERT_STRING_EQUAL(recs[2].src, "10.0.0.1");
	CU_ASSERT_STRING_EQUAL(recs[3].l4, "47");
	CU_ASSERT_PTR_NULL(recs[3].tcp_state);
	bld_engine_destroy(e);
}

/* A mixed sequence with timeouts, closes, reuse and evictions in it. */
static void build_mix(void)
{
	reset_pkts();
	struct ep c = { 8, 32795 }, s = { 20, 53 }, x = { 9, 40001 }, y = { 10, 9999 };
	struct opt v10 = { .vlan = 10 };
	handshake(T0, CLIENT, SERVER, NULL);
	udp(T0 + 1, c, s, DNS_Q, sizeof(DNS_Q), NULL);
	udp(T0 + 2, c, s, DNS_Q, sizeof(DNS_Q), &v10);
	tcp(T0 + 3000000, CLIENT, SERVER, BLD_TCP_PSH | BLD_TCP_ACK, 1001, 5001, MB_REQ, sizeof(MB_REQ), NULL);
	udp(T0 + 3000001, s, c, DNS_R, sizeof(DNS_R), NULL);
	l2frame(T0 + 4000000, 5, 6, 0x88b8, GOOSE, sizeof(GOOSE));
	tcp(T0 + 5000000, SERVER, CLIENT, BLD_TCP_PSH | BLD_TCP_ACK, 5001, 1013, MB_RSP, sizeof(MB_RSP), NULL);
	tcp(T0 + 1 * S, CLIENT, SERVER, BLD_TCP_FIN | BLD_TCP_ACK, 1013, 5012, NULL, 0, NULL);
	tcp(T0 + 1 * S + 5, SERVER, CLIENT, BLD_TCP_FIN | BLD_TCP_ACK, 5012, 1014, NULL, 0, NULL);
	tcp(T0 + 1 * S + 500000000, CLIENT, SERVER, BLD_TCP_SYN, 9000, 0, NULL, 0, NULL); /* port reuse */
	for (uint16_t i = 0; i < 14; i++) { /* 4 + 14 flows in a table of 16: two evictions */
		struct ep a = { (uint8_t)(30 + i), (uint16_t)(42000 + i) };
		udp(T0 + 2 * S + i, a, y, JUNK, sizeof(JUNK), NULL);
	}
	udp(T0 + 200 * S, x, y, JUNK, sizeof(JUNK), NULL); /* everything else idles out */
	l2frame(T0 + 201 * S, 1, 0xff, 0x0806, ARP, sizeof(ARP));
	for (unsigned i = 0; i < 40; i++)
		udp(T0 + 202 * S + i, x, y, JUNK, sizeof(JUNK), NULL);
}

/* DESIGN.md: the engine is a function of the packets; burst boundaries are not an input. */
static void test_burst_independence(void)
{
	static const unsigned bursts[] = { 32, 1, 7, 2 };
	static char first[MAX_RECS][1024];
	unsigned first_n = 0;
	struct bld_engine_stats first_st;
	for (size_t b = 0; b < BLD_TEST_COUNT(bursts); b++) {
		struct bld_engine *e = engine_with(16, false); /* small: evictions take part */
		build_mix();
		run(e, bursts[b]);
		finish(e);
		struct bld_engine_stats st;
		bld_engine_stats(e, &st);
		if (b == 0) {
			first_n = n_recs;
			memcpy(first, json, sizeof(first));
			first_st = st;
			CU_ASSERT(n_recs >= 15);
			/* the mix did exercise what it is for */
			unsigned closed = 0, reused = 0, idle = 0, evicted = 0;
			for (unsigned i = 0; i < n_recs; i++) {
				closed += strcmp(recs[i].end_reason, "closed") == 0;
				reused += strcmp(recs[i].end_reason, "port_reused") == 0;
				idle += strcmp(recs[i].end_reason, "idle_timeout") == 0;
				evicted += strcmp(recs[i].end_reason, "evicted") == 0;
			}
			CU_ASSERT(reused >= 1);
			CU_ASSERT(idle >= 1);
			CU_ASSERT(evicted >= 1);
			(void)closed;
		} else {
			CU_ASSERT_EQUAL(n_recs, first_n);
			for (unsigned i = 0; i < n_recs && i < first_n; i++) {
				if (strcmp(json[i], first[i]) != 0)
					fprintf(stderr, "\n    burst %u, record %u:\n    %s    %s", bursts[b], i, first[i],
						json[i]);
				CU_ASSERT_STRING_EQUAL(json[i], first[i]);
			}
			CU_ASSERT(memcmp(&st, &first_st, sizeof(st)) == 0);
		}
		bld_engine_destroy(e);
	}
}

/* Destroying an engine with flows still open frees their state and reports nothing. */
static void test_destroy_open(void)
{
	struct bld_engine *e = engine();
	build_mix();
	n_pkts = 20;
	run(e, 32);
	unsigned before = n_recs;
	bld_engine_destroy(e); /* LeakSanitizer checks the classifier state is gone */
	CU_ASSERT_EQUAL(n_recs, before);
}

/* Modbus requests (the second split over two segments) and their responses, parsed through reassembly. */
static void test_operations(void)
{
	static const uint8_t REQ2[] = { 0x00, 0xd2, 0x00, 0x00, 0x00, 0x06, 0x01, 0x04, 0x00, 0x10, 0x00, 0x02 };
	static const uint8_t RSP2[] = { 0x00, 0xd2, 0x00, 0x00, 0x00, 0x07, 0x01, 0x04, 0x04, 0x00, 0x01, 0x00, 0x02 };
	reset_pkts();
	handshake(0, CLIENT, SERVER, NULL);
	/* The first request split: classification waits for the rest of the header, nothing is lost. */
	tcp(9000000, CLIENT, SERVER, BLD_TCP_ACK | BLD_TCP_PSH, 1001, 5001, MB_REQ, 3, NULL);
	tcp(10000000, CLIENT, SERVER, BLD_TCP_ACK | BLD_TCP_PSH, 1004, 5001, MB_REQ + 3, sizeof(MB_REQ) - 3, NULL);
	tcp(12500000, SERVER, CLIENT, BLD_TCP_ACK | BLD_TCP_PSH, 5001, 1013, MB_RSP, sizeof(MB_RSP), NULL);
	tcp(12600000, SERVER, CLIENT, BLD_TCP_ACK | BLD_TCP_PSH, 5001, 1013, MB_RSP, sizeof(MB_RSP), NULL); /* again */
	tcp(20000000, CLIENT, SERVER, BLD_TCP_ACK | BLD_TCP_PSH, 1013, 5012, REQ2, 5, NULL);
	tcp(21000000, CLIENT, SERVER, BLD_TCP_ACK | BLD_TCP_PSH, 1018, 5012, REQ2 + 5, sizeof(REQ2) - 5, NULL);
	tcp(22000000, SERVER, CLIENT, BLD_TCP_ACK | BLD_TCP_PSH, 5012, 1025, RSP2, sizeof(RSP2), NULL);
	struct bld_engine *e = engine();
	run(e, 4);
	finish(e);
	for (unsigned i = 0; i < n_op_lines && i < 16; i++)
		fprintf(stderr, "\n    op %u: %s", i, op_lines[i]);
	CU_ASSERT_EQUAL_FATAL(n_op_lines, 4);
	CU_ASSERT_TRUE(strncmp(op_lines[0], "modbus request transaction=209 unit=1 function=3 ", 49) == 0);
	CU_ASSERT_TRUE(strncmp(op_lines[1], "modbus response transaction=209 unit=1 function=3 ", 50) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(op_lines[1], " rt_us=2500"));
	CU_ASSERT_TRUE(strncmp(op_lines[2], "modbus request transaction=210 unit=1 function=4 ", 49) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(op_lines[3], " rt_us=1000")); /* from the segment that completed the request */
	CU_ASSERT_TRUE(op_to_server[0]);
	CU_ASSERT_FALSE(op_to_server[1]);
	CU_ASSERT_EQUAL(op_flow[0], op_flow[3]);
	struct bld_engine_stats st;
	bld_engine_stats(e, &st);
	CU_ASSERT_EQUAL(st.ops, 4);
	CU_ASSERT_EQUAL(st.sessions, 1);
	CU_ASSERT_EQUAL(st.stream[BLD_STREAM_RETRANSMISSION], 1);
	CU_ASSERT_EQUAL(st.stream[BLD_STREAM_MIDSTREAM], 0); /* the handshake was seen */
	bld_engine_destroy(e);
}

/* A conversation no rule allows: a Modbus request from c to SERVER, at ts. */
static void denied_modbus(uint64_t ts, struct ep c)
{
	handshake(ts, c, SERVER, NULL);
	tcp(ts + 3000000, c, SERVER, BLD_TCP_ACK | BLD_TCP_PSH, 1001, 5001, MB_REQ, sizeof(MB_REQ), NULL);
}

/* A reload (bld_live's SIGHUP) replaces the evaluator; its counters go on in the engine's policy stats. */
static void test_policy_counters_across_reload(void)
{
	static const char yaml[] = "bollard: policy/1\nhosts:\n  hmi: 10.0.0.1\n  plc: 10.0.0.2\n"
				   "rules:\n  - id: hmi-dns\n    from: hmi\n    to: plc\n    protocol: dns\n";
	struct bld_policy_diag diag = { 0 };
	struct bld_policy *p1 = bld_policy_parse("a.yaml", yaml, strlen(yaml), &diag);
	struct bld_policy *p2 = bld_policy_parse("b.yaml", yaml, strlen(yaml), &diag);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p2);
	struct bld_engine *e = engine();
	CU_ASSERT_EQUAL(bld_engine_set_policy(e, p1), 0);
	reset_pkts();
	denied_modbus(0, CLIENT);
	run(e, 4);
	struct bld_policy_eval_stats st;
	bld_engine_policy_stats(e, &st);
	CU_ASSERT_EQUAL(st.alerts[BLD_ALERT_FLOW_NOT_ALLOWED], 1);
	CU_ASSERT_EQUAL(bld_engine_set_policy(e, p2), 0);
	reset_pkts();
	denied_modbus(S, (struct ep){ 3, 40001 });
	run(e, 4);
	bld_engine_policy_stats(e, &st);
	CU_ASSERT_EQUAL(st.alerts[BLD_ALERT_FLOW_NOT_ALLOWED], 2);   /* one before the reload, one after */
	CU_ASSERT_EQUAL(bld_engine_set_policy(e, NULL), 0);
	bld_engine_policy_stats(e, &st);
	CU_ASSERT_EQUAL(st.alerts[BLD_ALERT_FLOW_NOT_ALLOWED], 2);   /* no policy now: the count stays */
	finish(e);
	bld_engine_destroy(e);
	bld_policy_free(p1);
	bld_policy_free(p2);
}

/* Industrial protocols off their port, other bytes on theirs; other traffic costs no session. */
static void test_port_events_and_no_session_for_others(void)
{
	static const uint8_t HTTP[] = "GET / HTTP/1.1\r\nHost: plc\r\n\r\n";
	const struct ep off_port = { 2, 5020 }, http = { 2, 80 }, c2 = { 1, 40001 }, c3 = { 1, 40002 };
	reset_pkts();
	handshake(0, CLIENT, off_port, NULL);
	tcp(3000000, CLIENT, off_port, BLD_TCP_ACK | BLD_TCP_PSH, 1001, 5001, MB_REQ, sizeof(MB_REQ), NULL);
	handshake(0, c2, SERVER, NULL);
	tcp(3000000, c2, SERVER, BLD_TCP_ACK | BLD_TCP_PSH, 1001, 5001, JUNK, sizeof(JUNK), NULL);
	handshake(0, c3, http, NULL);
	tcp(3000000, c3, http, BLD_TCP_ACK | BLD_TCP_PSH, 1001, 5001, HTTP, sizeof(HTTP) - 1, NULL);
	struct bld_engine *e = engine();
	run(e, 32);
	struct bld_engine_stats st;
	bld_engine_stats(e, &st);
	CU_ASSERT_EQUAL(st.sessions, 1); /* only the Modbus flow: the probes ruled the others out at once */
	finish(e);
	CU_ASSERT_EQUAL(ev_seen[BLD_EVENT_APP_UNEXPECTED_PORT], 1);
	CU_ASSERT_EQUAL(ev_seen[BLD_EVENT_APP_OTHER_ON_PORT], 1);
	CU_ASSERT_EQUAL(n_op_lines, 1);
	bld_engine_destroy(e);
}

int main(void)
{
	shared_classifier = bld_classifier_create();
	if (!shared_classifier) {
		fprintf(stderr, "cannot create the classifier (nDPI)\n");
		return 2;
	}
	static const struct bld_test_case tests[] = {
		{ "handshake: roles, state, counters, JSON", test_handshake_roles },
		{ "tcp states", test_tcp_states },
		{ "mid-stream roles (privileged port rule)", test_midstream_roles },
		{ "FIN both ways, 10 s linger, RST", test_close_linger },
		{ "mid-stream start at the FIN", test_midstream_fin },
		{ "port reuse", test_port_reuse },
		{ "classification by content, not port", test_classification_by_content },
		{ "several probes match: the next payload decides", test_ambiguous_probes },
		{ "dns by nDPI", test_dns_ndpi },
		{ "vlan keys", test_vlan_keys },
		{ "L2 flows", test_l2_flows },
		{ "IPv4 fragments reassembled", test_fragments },
		{ "idle timeout and eviction", test_idle_and_eviction },
		{ "IPv6, ICMP and other protocols in records", test_ipv6_icmp_records },
		{ "engine statistics", test_stats },
		{ "burst-size independence", test_burst_independence },
		{ "destroy with open flows", test_destroy_open },
		{ "policy counters go on across a reload", test_policy_counters_across_reload },
		{ "operations through reassembly, paired", test_operations },
		{ "port events; no session for other protocols", test_port_events_and_no_session_for_others },
	};
	int rc = bld_test_run("dataplane/engine", tests, BLD_TEST_COUNT(tests));
	bld_classifier_destroy(shared_classifier);
	return rc;
}
