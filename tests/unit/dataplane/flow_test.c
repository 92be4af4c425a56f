/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dataplane/flow.c: canonical keys, the table (get/create,
 * per-class idle timeouts, eviction when full, flush, slot reuse) and the
 * end callback with its reasons and statistics.
 *
 * Keys are made from hand-filled struct bld_decoded, as decode would fill
 * them; time is plain nanoseconds chosen by the test.
 */
#include "bld_test.h"

#include <netinet/in.h>
#include <stdbool.h>

#include "dataplane/flow.h"

/* ---- helpers ------------------------------------------------------------------ */

static void v4(struct bld_addr *a, uint8_t x0, uint8_t x1, uint8_t x2, uint8_t x3)
{
	memset(a, 0, sizeof(*a));
	a->b[10] = a->b[11] = 0xff;
	a->b[12] = x0, a->b[13] = x1, a->b[14] = x2, a->b[15] = x3;
}

/* A decoded IPv4 packet src:sp -> dst:dp; garbage elsewhere to show the key ignores it. */
static struct bld_decoded ip4(uint8_t proto, uint8_t s, uint16_t sp, uint8_t t, uint16_t tp)
{
	struct bld_decoded d;
	memset(&d, 0x5A, sizeof(d));
	d.has_mac = true;
	d.n_vlan = 0;
	d.ip_version = 4;
	d.l4_proto = proto;
	v4(&d.src, 10, 0, 0, s);
	v4(&d.dst, 10, 0, 0, t);
	d.has_ports = proto == IPPROTO_TCP || proto == IPPROTO_UDP;
	d.sport = sp;
	d.dport = tp;
	return d;
}

static struct bld_decoded l2(uint8_t s, uint8_t t, uint16_t ethertype)
{
	struct bld_decoded d;
	memset(&d, 0, sizeof(d));
	d.has_mac = true;
	memcpy(d.src_mac, (uint8_t[]){ 0x02, 0, 0, 0, 0, s }, 6);
	memcpy(d.dst_mac, (uint8_t[]){ 0x02, 0, 0, 0, 0, t }, 6);
	d.ethertype = ethertype;
	return d;
}

static struct bld_flow_key key_of(const struct bld_decoded *d)
{
	struct bld_flow_key k;
	bld_flow_key_make(d, &k);
	return k;
}

/* The flow of 10.0.0.1:(1000+n) -> 10.0.0.2:502. */
static struct bld_flow_key key_n(unsigned n)
{
	struct bld_decoded d = ip4(IPPROTO_TCP, 1, (uint16_t)(1000 + n), 2, 502);
	return key_of(&d);
}

/* Flow ends seen by the callback, in order, with a copy of the flow as it was. */
#define MAX_ENDS 256
static struct {
	struct bld_flow flow;
	enum bld_flow_end why;
} ends[MAX_ENDS];
static unsigned n_ends;

static void on_end(void *ctx, struct bld_flow *f, enum bld_flow_end why)
{
	CU_ASSERT_PTR_EQUAL(ctx, &n_ends);
	CU_ASSERT_FATAL(n_ends < MAX_ENDS);
	ends[n_ends].flow = *f;
	ends[n_ends].why = why;
	n_ends++;
}

static struct bld_flow_config test_cfg(uint32_t max_flows)
{
	struct bld_flow_config c = { .max_flows = max_flows };
	c.timeout_ns[BLD_FLOW_CLASS_TCP_OPENING] = 100;
	c.timeout_ns[BLD_FLOW_CLASS_TCP_ESTABLISHED] = 200;
	c.timeout_ns[BLD_FLOW_CLASS_TCP_CLOSED] = 50;
	c.timeout_ns[BLD_FLOW_CLASS_UDP] = 300;
	c.timeout_ns[BLD_FLOW_CLASS_OTHER] = 400;
	return c;
}

static struct bld_flow_table *table(uint32_t max_flows)
{
	struct bld_flow_config c = test_cfg(max_flows);
	n_ends = 0;
	struct bld_flow_table *t = bld_flow_table_create(&c, on_end, &n_ends);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

static struct bld_flow *get(struct bld_flow_table *t, const struct bld_flow_key *k, uint64_t now, bool *created)
{
	bool c;
	struct bld_flow *f = bld_flow_table_get(t, k, bld_flow_key_hash(k), now, created ? created : &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	return f;
}

/* Create flow n at time now, filed under class c. */
static struct bld_flow *add(struct bld_flow_table *t, unsigned n, uint64_t now, enum bld_flow_class c)
{
	struct bld_flow_key k = key_n(n);
	bool created;
	struct bld_flow *f = get(t, &k, now, &created);
	CU_ASSERT_TRUE(created);
	bld_flow_table_touch(t, f, now, c);
	return f;
}

/*
 * Is the flow created with this id still in its slot?  An ended flow's slot
 * is wiped (id 0) or reused (another id).  Looking a key up with get() would
 * create it, and in a full table evict another, so liveness is read here.
 */
static bool alive(const struct bld_flow *f, uint64_t id)
{
	return f->id == id;
}

static struct bld_flow_stats stats(struct bld_flow_table *t)
{
	struct bld_flow_stats s;
	bld_flow_table_stats(t, &s);
	return s;
}

static uint16_t key_port(const struct bld_flow_key *k)
{
	return k->port_a == 502 ? k->port_b : k->port_a;
}

/* ---- keys --------------------------------------------------------------------- */

static void test_key_canonical(void)
{
	struct bld_decoded fwd = ip4(IPPROTO_TCP, 7, 40000, 3, 502);
	struct bld_decoded rev = ip4(IPPROTO_TCP, 3, 502, 7, 40000);
	struct bld_flow_key kf, kr;
	bool a_f = bld_flow_key_make(&fwd, &kf);
	bool a_r = bld_flow_key_make(&rev, &kr);
	CU_ASSERT(memcmp(&kf, &kr, sizeof(kf)) == 0);
	CU_ASSERT_EQUAL(bld_flow_key_hash(&kf), bld_flow_key_hash(&kr));
	CU_ASSERT_NOT_EQUAL(a_f, a_r);
	/* the lower address is side a: 10.0.0.3 */
	CU_ASSERT_FALSE(a_f);
	CU_ASSERT_TRUE(a_r);
	CU_ASSERT_EQUAL(kf.a.b[15], 3);
	CU_ASSERT_EQUAL(kf.b.b[15], 7);
	CU_ASSERT_EQUAL(kf.port_a, 502);
	CU_ASSERT_EQUAL(kf.port_b, 40000);
	CU_ASSERT_EQUAL(kf.l4, IPPROTO_TCP);
	CU_ASSERT_EQUAL(kf.ip_version, 4);
	CU_ASSERT_EQUAL(kf.ethertype, 0);
	CU_ASSERT_EQUAL(kf.vlan[0], 0);
	CU_ASSERT_EQUAL(kf.vlan[1], 0);
	static const uint8_t zero[4];
	CU_ASSERT(memcmp(kf.pad, zero, sizeof(zero)) == 0);

	/* same address both ends: the lower port is side a */
	struct bld_decoded p1 = ip4(IPPROTO_UDP, 9, 5000, 9, 53);
	struct bld_decoded p2 = ip4(IPPROTO_UDP, 9, 53, 9, 5000);
	struct bld_flow_key k1, k2;
	CU_ASSERT_FALSE(bld_flow_key_make(&p1, &k1));
	CU_ASSERT_TRUE(bld_flow_key_make(&p2, &k2));
	CU_ASSERT(memcmp(&k1, &k2, sizeof(k1)) == 0);
	CU_ASSERT_EQUAL(k1.port_a, 53);

	/* ports compare as numbers, not as bytes (0x0100 > 0x00ff) */
	struct bld_decoded q1 = ip4(IPPROTO_UDP, 9, 0x0100, 9, 0x00ff);
	struct bld_flow_key kq;
	CU_ASSERT_FALSE(bld_flow_key_make(&q1, &kq));
	CU_ASSERT_EQUAL(kq.port_a, 0x00ff);

	/* a packet to itself */
	struct bld_decoded self = ip4(IPPROTO_UDP, 9, 53, 9, 53);
	struct bld_flow_key ks;
	CU_ASSERT_TRUE(bld_flow_key_make(&self, &ks));

	/* TCP and UDP on the same ports are different flows */
	struct bld_decoded u = ip4(IPPROTO_UDP, 7, 40000, 3, 502);
	struct bld_flow_key ku = key_of(&u);
	CU_ASSERT(memcmp(&kf, &ku, sizeof(kf)) != 0);

	/* no ports (ICMP): only the addresses, even if the decoded ports hold garbage */
	struct bld_decoded i1 = ip4(IPPROTO_ICMP, 7, 0x1234, 3, 0x5678);
	struct bld_decoded i2 = ip4(IPPROTO_ICMP, 3, 0x9999, 7, 0x1111);
	struct bld_flow_key ki1 = key_of(&i1), ki2 = key_of(&i2);
	CU_ASSERT(memcmp(&ki1, &ki2, sizeof(ki1)) == 0);
	CU_ASSERT_EQUAL(ki1.port_a, 0);
	CU_ASSERT_EQUAL(ki1.port_b, 0);
	CU_ASSERT_EQUAL(ki1.l4, IPPROTO_ICMP);

	/* IPv6 */
	struct bld_decoded s6 = ip4(IPPROTO_UDP, 0, 40000, 0, 53);
	s6.ip_version = 6;
	memset(&s6.src, 0, sizeof(s6.src));
	memset(&s6.dst, 0, sizeof(s6.dst));
	s6.src.b[0] = 0x20, s6.src.b[1] = 0x01, s6.src.b[15] = 2;
	s6.dst.b[0] = 0x20, s6.dst.b[1] = 0x01, s6.dst.b[15] = 1;
	struct bld_decoded r6 = s6;
	r6.src = s6.dst, r6.dst = s6.src, r6.sport = 53, r6.dport = 40000;
	struct bld_flow_key k6 = key_of(&s6), k6r = key_of(&r6);
	CU_ASSERT(memcmp(&k6, &k6r, sizeof(k6)) == 0);
	CU_ASSERT_EQUAL(k6.ip_version, 6);
	CU_ASSERT_EQUAL(k6.a.b[15], 1);
	CU_ASSERT_EQUAL(k6.port_a, 53);
}

static void test_key_l2(void)
{
	struct bld_decoded f = l2(9, 4, 0x88b8), r = l2(4, 9, 0x88b8);
	struct bld_flow_key kf, kr;
	bool af = bld_flow_key_make(&f, &kf);
	bool ar = bld_flow_key_make(&r, &kr);
	CU_ASSERT(memcmp(&kf, &kr, sizeof(kf)) == 0);
	CU_ASSERT_EQUAL(bld_flow_key_hash(&kf), bld_flow_key_hash(&kr));
	CU_ASSERT_FALSE(af);
	CU_ASSERT_TRUE(ar);
	CU_ASSERT(memcmp(kf.a.b, "\x02\x00\x00\x00\x00\x04", 6) == 0);
	CU_ASSERT(memcmp(kf.b.b, "\x02\x00\x00\x00\x00\x09", 6) == 0);
	static const uint8_t zero[10];
	CU_ASSERT(memcmp(kf.a.b + 6, zero, 10) == 0);
	CU_ASSERT(memcmp(kf.b.b + 6, zero, 10) == 0);
	CU_ASSERT_EQUAL(kf.ethertype, 0x88b8);
	CU_ASSERT_EQUAL(kf.l4, 0);
	CU_ASSERT_EQUAL(kf.ip_version, 0);
	CU_ASSERT_EQUAL(kf.port_a, 0);

	/* another ethertype between the same stations is another flow */
	struct bld_decoded arp = l2(9, 4, 0x0806);
	struct bld_flow_key ka = key_of(&arp);
	CU_ASSERT(memcmp(&kf, &ka, sizeof(kf)) != 0);
	/* a broadcast: the key still orders the two MACs */
	struct bld_decoded bc = l2(9, 0, 0x0806);
	memset(bc.dst_mac, 0xff, 6);
	struct bld_flow_key kb;
	CU_ASSERT_TRUE(bld_flow_key_make(&bc, &kb));
	CU_ASSERT(memcmp(kb.b.b, "\xff\xff\xff\xff\xff\xff", 6) == 0);
}

static void test_key_vlan(void)
{
	struct bld_decoded d = ip4(IPPROTO_TCP, 1, 40000, 2, 502);
	struct bld_flow_key none = key_of(&d);
	d.n_vlan = 1, d.vlan[0] = 10, d.vlan[1] = 0x5a5a; /* vlan[1] is not valid with n_vlan 1 */
	struct bld_flow_key v10 = key_of(&d);
	d.vlan[0] = 11;
	struct bld_flow_key v11 = key_of(&d);
	d.n_vlan = 2, d.vlan[0] = 10, d.vlan[1] = 20;
	struct bld_flow_key q1020 = key_of(&d);
	d.vlan[0] = 20, d.vlan[1] = 10;
	struct bld_flow_key q2010 = key_of(&d);
	d.n_vlan = 2, d.vlan[0] = 10, d.vlan[1] = 20;
	struct bld_decoded rev = ip4(IPPROTO_TCP, 2, 502, 1, 40000);
	rev.n_vlan = 2, rev.vlan[0] = 10, rev.vlan[1] = 20;
	struct bld_flow_key q1020r = key_of(&rev);

	CU_ASSERT_EQUAL(v10.vlan[0], 10);
	CU_ASSERT_EQUAL(v10.vlan[1], 0);
	CU_ASSERT_EQUAL(q1020.vlan[0], 10);
	CU_ASSERT_EQUAL(q1020.vlan[1], 20);
	const struct bld_flow_key *all[] = { &none, &v10, &v11, &q1020, &q2010 };
	for (size_t i = 0; i < 5; i++)
		for (size_t j = 0; j < i; j++) {
			CU_ASSERT(memcmp(all[i], all[j], sizeof(*all[i])) != 0);
			CU_ASSERT_NOT_EQUAL(bld_flow_key_hash(all[i]), bld_flow_key_hash(all[j]));
		}
	CU_ASSERT(memcmp(&q1020, &q1020r, sizeof(q1020)) == 0); /* still symmetric */

	/* L2 flows carry the VLANs too */
	struct bld_decoded g = l2(1, 2, 0x88b8);
	struct bld_flow_key g0 = key_of(&g);
	g.n_vlan = 1, g.vlan[0] = 10;
	struct bld_flow_key g10 = key_of(&g);
	CU_ASSERT(memcmp(&g0, &g10, sizeof(g0)) != 0);
	CU_ASSERT_EQUAL(g10.vlan[0], 10);
}

/* The hash spreads: 4096 flows differing in one port, near-unique 32-bit hashes. */
static void test_key_hash_spread(void)
{
	enum { N = 4096 };
	static uint32_t h[N];
	for (unsigned i = 0; i < N; i++) {
		struct bld_flow_key k = key_n(i);
		h[i] = bld_flow_key_hash(&k);
	}
	unsigned dup = 0, low_bucket[64] = { 0 };
	for (unsigned i = 0; i < N; i++) {
		low_bucket[h[i] & 63]++;
		for (unsigned j = 0; j < i; j++)
			dup += h[i] == h[j];
	}
	CU_ASSERT(dup <= 2);
	for (unsigned b = 0; b < 64; b++) /* 64 per bucket expected: no bucket empty or swamped */
		CU_ASSERT(low_bucket[b] > 16 && low_bucket[b] < 160);
}

/* ---- table ---------------------------------------------------------------------- */

static void test_config(void)
{
	struct bld_flow_config c;
	bld_flow_config_default(&c);
	CU_ASSERT_EQUAL(c.max_flows, 1u << 20);
	CU_ASSERT_EQUAL(c.timeout_ns[BLD_FLOW_CLASS_TCP_OPENING], 30000000000ull);
	CU_ASSERT_EQUAL(c.timeout_ns[BLD_FLOW_CLASS_TCP_ESTABLISHED], 600000000000ull);
	CU_ASSERT_EQUAL(c.timeout_ns[BLD_FLOW_CLASS_TCP_CLOSED], 10000000000ull);
	CU_ASSERT_EQUAL(c.timeout_ns[BLD_FLOW_CLASS_UDP], 120000000000ull);
	CU_ASSERT_EQUAL(c.timeout_ns[BLD_FLOW_CLASS_OTHER], 60000000000ull);

	struct bld_flow_config bad = test_cfg(0);
	CU_ASSERT_PTR_NULL(bld_flow_table_create(&bad, on_end, NULL));
	bad.max_flows = (1u << 30) + 1;
	CU_ASSERT_PTR_NULL(bld_flow_table_create(&bad, on_end, NULL));
	bld_flow_table_destroy(NULL);

	/* the names flow records use */
	CU_ASSERT_STRING_EQUAL(bld_flow_end_names[BLD_FLOW_END_IDLE], "idle_timeout");
	CU_ASSERT_STRING_EQUAL(bld_flow_end_names[BLD_FLOW_END_CLOSED], "closed");
	CU_ASSERT_STRING_EQUAL(bld_flow_end_names[BLD_FLOW_END_REUSED], "port_reused");
	CU_ASSERT_STRING_EQUAL(bld_flow_end_names[BLD_FLOW_END_EVICTED], "evicted");
	CU_ASSERT_STRING_EQUAL(bld_flow_end_names[BLD_FLOW_END_EOF], "end_of_input");
	CU_ASSERT_STRING_EQUAL(bld_tcp_state_names[BLD_TCP_NONE], "none");
	CU_ASSERT_STRING_EQUAL(bld_tcp_state_names[BLD_TCP_SYN_SENT], "syn_sent");
	CU_ASSERT_STRING_EQUAL(bld_tcp_state_names[BLD_TCP_SYN_RECEIVED], "syn_received");
	CU_ASSERT_STRING_EQUAL(bld_tcp_state_names[BLD_TCP_ESTABLISHED], "established");
	CU_ASSERT_STRING_EQUAL(bld_tcp_state_names[BLD_TCP_CLOSING], "closing");
	CU_ASSERT_STRING_EQUAL(bld_tcp_state_names[BLD_TCP_CLOSED], "closed");
	CU_ASSERT_STRING_EQUAL(bld_tcp_state_names[BLD_TCP_RESET], "reset");
}

static void test_get_create(void)
{
	struct bld_flow_table *t = table(16);
	struct bld_flow_key k1 = key_n(1), k2 = key_n(2);
	bool created;
	struct bld_flow *f1 = get(t, &k1, 1000, &created);
	CU_ASSERT_TRUE(created);
	CU_ASSERT(memcmp(&f1->key, &k1, sizeof(k1)) == 0);
	CU_ASSERT_EQUAL(f1->id, 1);
	CU_ASSERT_EQUAL(f1->ts_first, 1000);
	CU_ASSERT_EQUAL(f1->ts_last, 1000);
	CU_ASSERT_EQUAL(f1->class, BLD_FLOW_CLASS_OTHER);
	CU_ASSERT_EQUAL(f1->pkts[0] + f1->pkts[1] + f1->bytes[0] + f1->bytes[1], 0);
	CU_ASSERT_PTR_NULL(f1->classify_state);
	CU_ASSERT_FALSE(f1->classified);

	CU_ASSERT_PTR_EQUAL(get(t, &k1, 2000, &created), f1);
	CU_ASSERT_FALSE(created);
	CU_ASSERT_EQUAL(f1->ts_last, 1000); /* get does not touch */

	struct bld_flow *f2 = get(t, &k2, 3000, &created);
	CU_ASSERT_TRUE(created);
	CU_ASSERT_PTR_NOT_EQUAL(f2, f1);
	CU_ASSERT_EQUAL(f2->id, 2);

	bld_flow_table_touch(t, f1, 5000, BLD_FLOW_CLASS_TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(f1->ts_last, 5000);
	CU_ASSERT_EQUAL(f1->ts_first, 1000);
	CU_ASSERT_EQUAL(f1->class, BLD_FLOW_CLASS_TCP_ESTABLISHED);
	bld_flow_table_touch(t, f1, 4000, BLD_FLOW_CLASS_TCP_ESTABLISHED); /* an older packet */
	CU_ASSERT_EQUAL(f1->ts_last, 5000);

	struct bld_flow_stats s = stats(t);
	CU_ASSERT_EQUAL(s.created, 2);
	CU_ASSERT_EQUAL(s.active, 2);
	CU_ASSERT_EQUAL(s.peak, 2);
	CU_ASSERT_EQUAL(s.ended, 0);
	CU_ASSERT_EQUAL(s.evicted, 0);
	CU_ASSERT_EQUAL(n_ends, 0);
	bld_flow_table_destroy(t);
}

/* Many flows in few buckets: chains are walked and unlinked correctly. */
static void test_chains(void)
{
	struct bld_flow_table *t = table(64);
	struct bld_flow *f[64];
	for (unsigned i = 0; i < 64; i++)
		f[i] = add(t, i, 10 + i, BLD_FLOW_CLASS_UDP);
	for (unsigned i = 0; i < 64; i++) {
		struct bld_flow_key k = key_n(i);
		bool created;
		CU_ASSERT_PTR_EQUAL(get(t, &k, 100, &created), f[i]);
		CU_ASSERT_FALSE(created);
	}
	/* end every third flow, from the middle of chains */
	for (unsigned i = 0; i < 64; i += 3)
		bld_flow_table_end(t, f[i], BLD_FLOW_END_REUSED);
	CU_ASSERT_EQUAL(n_ends, 22);
	for (unsigned i = 0; i < n_ends; i++) {
		CU_ASSERT_EQUAL(ends[i].why, BLD_FLOW_END_REUSED);
		CU_ASSERT_EQUAL(key_port(&ends[i].flow.key), 1000 + 3 * i);
	}
	for (unsigned i = 0; i < 64; i++)
		CU_ASSERT_EQUAL(alive(f[i], i + 1), i % 3 != 0);
	/* the survivors are still found through their chains */
	for (unsigned i = 1; i < 64; i += 3) {
		struct bld_flow_key k = key_n(i);
		bool created;
		CU_ASSERT_PTR_EQUAL(get(t, &k, 100, &created), f[i]);
		CU_ASSERT_FALSE(created);
	}
	struct bld_flow_stats s = stats(t);
	CU_ASSERT_EQUAL(s.active, 64 - 22);
	CU_ASSERT_EQUAL(s.ended, 22);
	CU_ASSERT_EQUAL(s.evicted, 0);
	/* and the ended ones come back as new flows */
	for (unsigned i = 0; i < 64; i += 3) {
		struct bld_flow_key k = key_n(i);
		bool created;
		struct bld_flow *g = get(t, &k, 100, &created);
		CU_ASSERT_TRUE(created);
		CU_ASSERT(g->id > 64);
	}
	CU_ASSERT_EQUAL(stats(t).active, 64);
	CU_ASSERT_EQUAL(n_ends, 22);
	bld_flow_table_destroy(t);
}

/* Each class expires at exactly its timeout + 1 ns of idleness, not before. */
static void test_timeouts(void)
{
	struct bld_flow_config c = test_cfg(16);
	static const struct {
		enum bld_flow_class cls;
		enum bld_flow_end why;
	} classes[] = {
		{ BLD_FLOW_CLASS_TCP_OPENING, BLD_FLOW_END_IDLE },  { BLD_FLOW_CLASS_TCP_ESTABLISHED, BLD_FLOW_END_IDLE },
		{ BLD_FLOW_CLASS_TCP_CLOSED, BLD_FLOW_END_CLOSED }, { BLD_FLOW_CLASS_UDP, BLD_FLOW_END_IDLE },
		{ BLD_FLOW_CLASS_OTHER, BLD_FLOW_END_IDLE },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(classes); i++) {
		struct bld_flow_table *t = table(16);
		const uint64_t t0 = 1000000, to = c.timeout_ns[classes[i].cls];
		struct bld_flow *f = add(t, 1, t0, classes[i].cls);
		bld_flow_table_expire(t, t0 + to - 1);
		bld_flow_table_expire(t, t0 + to);
		CU_ASSERT_EQUAL(n_ends, 0);
		CU_ASSERT_TRUE(alive(f, 1));
		bld_flow_table_expire(t, t0 + to + 1);
		CU_ASSERT_EQUAL_FATAL(n_ends, 1);
		CU_ASSERT_EQUAL(ends[0].why, classes[i].why);
		CU_ASSERT_EQUAL(ends[0].flow.class, classes[i].cls);
		CU_ASSERT_EQUAL(ends[0].flow.ts_last, t0);
		CU_ASSERT_FALSE(alive(f, 1));
		struct bld_flow_stats s = stats(t);
		CU_ASSERT_EQUAL(s.ended, 1);
		CU_ASSERT_EQUAL(s.active, 0);
		bld_flow_table_destroy(t);
	}

	/* All classes side by side; activity postpones; a flow that changes class gets the new timeout. */
	struct bld_flow_table *t = table(16);
	add(t, 1, 0, BLD_FLOW_CLASS_TCP_OPENING);     /* expires after 100 */
	add(t, 2, 0, BLD_FLOW_CLASS_TCP_ESTABLISHED); /* 200 */
	add(t, 3, 0, BLD_FLOW_CLASS_TCP_CLOSED);      /* 50 */
	add(t, 4, 0, BLD_FLOW_CLASS_UDP);             /* 300 */
	struct bld_flow *f5 = add(t, 5, 0, BLD_FLOW_CLASS_OTHER); /* 400 */
	struct bld_flow *f6 = add(t, 6, 0, BLD_FLOW_CLASS_TCP_OPENING);
	bld_flow_table_touch(t, f6, 90, BLD_FLOW_CLASS_TCP_ESTABLISHED); /* now expires after 290 */
	bld_flow_table_touch(t, f5, 350, BLD_FLOW_CLASS_OTHER);          /* now after 750 */
	bld_flow_table_expire(t, 51);
	CU_ASSERT_EQUAL_FATAL(n_ends, 1);
	CU_ASSERT_EQUAL(key_port(&ends[0].flow.key), 1003);
	bld_flow_table_expire(t, 201);
	CU_ASSERT_EQUAL_FATAL(n_ends, 3);
	CU_ASSERT_EQUAL(key_port(&ends[1].flow.key), 1001);
	CU_ASSERT_EQUAL(key_port(&ends[2].flow.key), 1002);
	bld_flow_table_expire(t, 290);
	CU_ASSERT_EQUAL(n_ends, 3);
	bld_flow_table_expire(t, 291);
	CU_ASSERT_EQUAL_FATAL(n_ends, 4);
	CU_ASSERT_EQUAL(key_port(&ends[3].flow.key), 1006);
	bld_flow_table_expire(t, 401);
	CU_ASSERT_EQUAL_FATAL(n_ends, 5);
	CU_ASSERT_EQUAL(key_port(&ends[4].flow.key), 1004);
	bld_flow_table_expire(t, 750);
	CU_ASSERT_EQUAL(n_ends, 5);
	bld_flow_table_expire(t, 751);
	CU_ASSERT_EQUAL_FATAL(n_ends, 6);
	CU_ASSERT_EQUAL(key_port(&ends[5].flow.key), 1005);
	for (unsigned i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(ends[i].why, key_port(&ends[i].flow.key) == 1003 ? BLD_FLOW_END_CLOSED : BLD_FLOW_END_IDLE);
	/* a clock before the flows' last packets expires nothing */
	add(t, 7, 10000, BLD_FLOW_CLASS_TCP_CLOSED);
	bld_flow_table_expire(t, 5);
	CU_ASSERT_EQUAL(n_ends, 6);
	bld_flow_table_destroy(t);
}

/* Full table: the oldest idle flow makes room, reported as evicted. */
static void test_eviction(void)
{
	struct bld_flow_table *t = table(4);
	struct bld_flow *f1 = add(t, 1, 1, BLD_FLOW_CLASS_UDP);
	struct bld_flow *f2 = add(t, 2, 2, BLD_FLOW_CLASS_UDP);
	struct bld_flow *f3 = add(t, 3, 3, BLD_FLOW_CLASS_UDP);
	struct bld_flow *f4 = add(t, 4, 4, BLD_FLOW_CLASS_UDP);
	bld_flow_table_touch(t, f1, 5, BLD_FLOW_CLASS_UDP); /* flow 2 is now the oldest idle */
	CU_ASSERT_EQUAL(n_ends, 0);

	struct bld_flow *f5 = add(t, 5, 6, BLD_FLOW_CLASS_UDP);
	CU_ASSERT_EQUAL_FATAL(n_ends, 1);
	CU_ASSERT_EQUAL(ends[0].why, BLD_FLOW_END_EVICTED);
	CU_ASSERT_EQUAL(key_port(&ends[0].flow.key), 1002);
	CU_ASSERT_EQUAL(ends[0].flow.id, 2);
	CU_ASSERT_EQUAL(f5->id, 5);
	CU_ASSERT_EQUAL(f5->ts_first, 6);
	CU_ASSERT_PTR_EQUAL(f5, f2); /* the slot made free */
	CU_ASSERT_TRUE(alive(f1, 1));
	CU_ASSERT_TRUE(alive(f3, 3));
	CU_ASSERT_TRUE(alive(f4, 4));
	CU_ASSERT_TRUE(alive(f5, 5));
	struct bld_flow_stats s = stats(t);
	CU_ASSERT_EQUAL(s.created, 5);
	CU_ASSERT_EQUAL(s.ended, 1);
	CU_ASSERT_EQUAL(s.evicted, 1);
	CU_ASSERT_EQUAL(s.active, 4);
	CU_ASSERT_EQUAL(s.peak, 4);

	/* flow 2 comes back: flow 3 goes */
	add(t, 2, 7, BLD_FLOW_CLASS_UDP);
	CU_ASSERT_EQUAL_FATAL(n_ends, 2);
	CU_ASSERT_EQUAL(key_port(&ends[1].flow.key), 1003);
	CU_ASSERT_EQUAL(ends[1].why, BLD_FLOW_END_EVICTED);
	s = stats(t);
	CU_ASSERT_EQUAL(s.evicted, 2);
	CU_ASSERT_EQUAL(s.created, 6);
	CU_ASSERT_EQUAL(s.active, 4);
	bld_flow_table_destroy(t);

	/*
	 * Across classes, "oldest" is relative to each class's timeout: a closed
	 * connection (timeout 50) seen at 100 is nearer its end than a UDP flow
	 * (timeout 300) seen at 10.
	 */
	t = table(4);
	add(t, 1, 10, BLD_FLOW_CLASS_UDP);             /* deadline 310 */
	add(t, 2, 100, BLD_FLOW_CLASS_TCP_CLOSED);     /* deadline 150 */
	add(t, 3, 20, BLD_FLOW_CLASS_OTHER);           /* deadline 420 */
	add(t, 4, 30, BLD_FLOW_CLASS_TCP_ESTABLISHED); /* deadline 230 */
	add(t, 5, 120, BLD_FLOW_CLASS_UDP);
	CU_ASSERT_EQUAL_FATAL(n_ends, 1);
	CU_ASSERT_EQUAL(key_port(&ends[0].flow.key), 1002);
	add(t, 6, 121, BLD_FLOW_CLASS_UDP);
	CU_ASSERT_EQUAL_FATAL(n_ends, 2);
	CU_ASSERT_EQUAL(key_port(&ends[1].flow.key), 1004);
	bld_flow_table_destroy(t);

	/* a table of one */
	t = table(1);
	add(t, 1, 1, BLD_FLOW_CLASS_UDP);
	add(t, 2, 2, BLD_FLOW_CLASS_UDP);
	struct bld_flow *only = add(t, 3, 3, BLD_FLOW_CLASS_UDP);
	CU_ASSERT_EQUAL(n_ends, 2);
	CU_ASSERT_TRUE(alive(only, 3));
	s = stats(t);
	CU_ASSERT_EQUAL(s.peak, 1);
	CU_ASSERT_EQUAL(s.evicted, 2);
	bld_flow_table_destroy(t);
}

/* End of input: every flow once, in creation (id) order, whatever its class or age. */
static void test_flush(void)
{
	struct bld_flow_table *t = table(16);
	static const enum bld_flow_class cls[] = {
		BLD_FLOW_CLASS_OTHER, BLD_FLOW_CLASS_UDP, BLD_FLOW_CLASS_TCP_CLOSED, BLD_FLOW_CLASS_TCP_OPENING,
		BLD_FLOW_CLASS_TCP_ESTABLISHED, BLD_FLOW_CLASS_UDP, BLD_FLOW_CLASS_OTHER, BLD_FLOW_CLASS_TCP_ESTABLISHED,
	};
	struct bld_flow *f[8];
	for (unsigned i = 0; i < 8; i++)
		f[i] = add(t, i, 100 - i, cls[i]); /* later flows have older timestamps */
	for (unsigned i = 0; i < 8; i += 2)
		bld_flow_table_touch(t, f[i], 200 + i, cls[7 - i]);
	bld_flow_table_end(t, f[5], BLD_FLOW_END_REUSED);
	n_ends = 0;

	bld_flow_table_flush(t);
	CU_ASSERT_EQUAL_FATAL(n_ends, 7);
	uint64_t prev = 0;
	for (unsigned i = 0; i < n_ends; i++) {
		CU_ASSERT_EQUAL(ends[i].why, BLD_FLOW_END_EOF);
		CU_ASSERT(ends[i].flow.id > prev);
		prev = ends[i].flow.id;
	}
	CU_ASSERT_EQUAL(ends[0].flow.id, 1);
	CU_ASSERT_EQUAL(ends[6].flow.id, 8);
	struct bld_flow_stats s = stats(t);
	CU_ASSERT_EQUAL(s.active, 0);
	CU_ASSERT_EQUAL(s.ended, 8);
	CU_ASSERT_EQUAL(s.created, 8);
	CU_ASSERT_EQUAL(s.peak, 8);
	CU_ASSERT_EQUAL(s.evicted, 0);

	/* flush of an empty table, twice */
	n_ends = 0;
	bld_flow_table_flush(t);
	bld_flow_table_flush(t);
	CU_ASSERT_EQUAL(n_ends, 0);
	for (unsigned i = 0; i < 8; i++)
		CU_ASSERT_FALSE(alive(f[i], i + 1));
	bld_flow_table_destroy(t);
}

/* An ended flow's slot is the next one handed out, clean, with a new id. */
static void test_slot_reuse(void)
{
	struct bld_flow_table *t = table(4);
	struct bld_flow *a = add(t, 1, 10, BLD_FLOW_CLASS_TCP_ESTABLISHED);
	struct bld_flow *b = add(t, 2, 11, BLD_FLOW_CLASS_UDP);
	a->pkts[0] = 7, a->bytes[1] = 900, a->app = 3, a->classified = true, a->tcp_state = BLD_TCP_CLOSED;
	a->client_is_a = true, a->tcp_fin_from = 3, a->classify_pkts = 9, a->ndpi_app = 5;
	bld_flow_table_end(t, a, BLD_FLOW_END_CLOSED);
	CU_ASSERT_EQUAL_FATAL(n_ends, 1);
	/* the callback saw the flow as it was */
	CU_ASSERT_EQUAL(ends[0].flow.pkts[0], 7);
	CU_ASSERT_EQUAL(ends[0].flow.bytes[1], 900);
	CU_ASSERT_EQUAL(ends[0].flow.id, 1);
	CU_ASSERT_EQUAL(ends[0].why, BLD_FLOW_END_CLOSED);

	struct bld_flow *c = add(t, 3, 20, BLD_FLOW_CLASS_OTHER);
	CU_ASSERT_PTR_EQUAL(c, a); /* LIFO: the slot just freed */
	CU_ASSERT_EQUAL(c->id, 3);
	CU_ASSERT_EQUAL(c->pkts[0], 0);
	CU_ASSERT_EQUAL(c->bytes[1], 0);
	CU_ASSERT_EQUAL(c->app, 0);
	CU_ASSERT_FALSE(c->classified);
	CU_ASSERT_EQUAL(c->tcp_state, 0);
	CU_ASSERT_FALSE(c->client_is_a);
	CU_ASSERT_EQUAL(c->tcp_fin_from, 0);
	CU_ASSERT_EQUAL(c->classify_pkts, 0);
	CU_ASSERT_EQUAL(c->ndpi_app, 0);
	CU_ASSERT_EQUAL(c->ts_first, 20);
	CU_ASSERT_TRUE(alive(b, 2));
	struct bld_flow_key k1 = key_n(1), k3 = key_n(3);
	bool created;
	CU_ASSERT_PTR_EQUAL(get(t, &k3, 21, &created), c);
	CU_ASSERT_FALSE(created);
	struct bld_flow *again = get(t, &k1, 21, &created); /* the ended key is a new flow */
	CU_ASSERT_TRUE(created);
	CU_ASSERT_EQUAL(again->id, 4);

	/* Fill, flush, fill again: the same four slots, never a fifth. */
	add(t, 5, 22, BLD_FLOW_CLASS_UDP);
	struct bld_flow *lo = b, *hi = b;
	bld_flow_table_flush(t);
	for (unsigned i = 10; i < 14; i++) {
		struct bld_flow *f = add(t, i, 30, BLD_FLOW_CLASS_UDP);
		lo = f < lo ? f : lo;
		hi = f > hi ? f : hi;
	}
	CU_ASSERT(hi - lo <= 3);
	CU_ASSERT_EQUAL(stats(t).active, 4);
	CU_ASSERT_EQUAL(stats(t).evicted, 0);
	bld_flow_table_destroy(t);
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "key: canonical, symmetric hash, side a", test_key_canonical },
		{ "key: L2 flows", test_key_l2 },
		{ "key: VLANs", test_key_vlan },
		{ "key: hash spread", test_key_hash_spread },
		{ "config defaults, names, bad sizes", test_config },
		{ "get / create / touch", test_get_create },
		{ "hash chains", test_chains },
		{ "per-class timeouts", test_timeouts },
		{ "eviction when full", test_eviction },
		{ "flush in id order", test_flush },
		{ "slot reuse", test_slot_reuse },
	};
	return bld_test_run("dataplane/flow", tests, BLD_TEST_COUNT(tests));
}
