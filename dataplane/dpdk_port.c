/* SPDX-License-Identifier: BSD-3-Clause */
#include "dpdk_port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

#include "spread.h"

#define RX_DESC 1024                 /* per port: the NIC's ring */
#define MBUF_CACHE 256
#define LINEAR_MAX 65536             /* a multi-segment packet, copied whole */
#define RING_SIZE 4096               /* per worker fed by worker 0 */
#define RING_WAIT_NS 1000000000ull   /* a full ring holds the receiver back this long before a drop */
#define RSS_KEY_MAX 64               /* bytes: NICs' Toeplitz keys are 40 or 52 */

static struct rte_mempool *pool;
static unsigned n_ports;
static char port_names[BLD_DPDK_MAX_PORTS][RTE_ETH_NAME_MAX_LEN];
static const char *port_drivers[BLD_DPDK_MAX_PORTS];
static bool port_stamps[BLD_DPDK_MAX_PORTS];   /* its mbufs carry RX timestamps, in microseconds */
static bool port_up[BLD_DPDK_MAX_PORTS];
static uint16_t port_desc[BLD_DPDK_MAX_PORTS];   /* its RX ring's size */
static uint16_t port_rxqs[BLD_DPDK_MAX_PORTS];   /* RX queues: one per worker (RSS), else all read by worker 0 */
static bool rss_on;                            /* each worker reads its own RX queue of every port */
static bool any_stamps;
static uint16_t port_peer[BLD_DPDK_MAX_PORTS];   /* inline: where its packets go */
static int ts_offset = -1;
static uint64_t ts_flag;
static uint64_t tsc_hz, tsc0, epoch0_ns;       /* the TSC clock, mapped onto the Unix epoch at start */
static unsigned worker_lcores[RTE_MAX_LCORE], n_launched;
static int time_offset = -1;                   /* our dynfield: a packet's time, from receipt to its worker */

int bld_dpdk_init(int argc, char **argv, char *err, size_t err_len)
{
	bool log_level = false;
	for (int i = 1; i < argc; i++)
		log_level |= strncmp(argv[i], "--log-level", 11) == 0;
	if (!log_level)
		rte_log_set_global_level(RTE_LOG_WARNING);
	if (rte_eal_init(argc, argv) < 0) {
		snprintf(err, err_len, "DPDK EAL initialisation failed%s%s", rte_errno ? ": " : " (DPDK said why above)",
			 rte_errno ? rte_strerror(rte_errno) : "");
		return -1;
	}
	tsc_hz = rte_get_tsc_hz();
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	tsc0 = rte_get_tsc_cycles();
	epoch0_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	return 0;
}

/* Why the port cannot give each of n workers its own queue by a symmetric address hash; NULL when it can. */
static const char *no_rss(const struct rte_eth_dev_info *info, unsigned n)
{
	if (!(info->flow_type_rss_offloads & RTE_ETH_RSS_IP))
		return "no RSS on IP addresses";
	if (info->max_rx_queues < n)
		return "fewer RX queues than workers";
	if (info->hash_key_size > RSS_KEY_MAX)
		return "an RSS key longer than Bollard's";
	return NULL;
}

/*
 * RSS: the Toeplitz hash of the two IP addresses with a key of one 16-bit
 * pattern repeated (Woo and Park's symmetric key), which gives both
 * directions the same hash; IP only, so every flow between two hosts is on
 * one queue, as with spread.h.
 */
static void rss_conf(struct rte_eth_conf *conf, const struct rte_eth_dev_info *info)
{
	static uint8_t key[RSS_KEY_MAX];
	for (unsigned i = 0; i < RSS_KEY_MAX; i += 2)
		key[i] = 0x6d, key[i + 1] = 0x5a;
	conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf->rx_adv_conf.rss_conf.rss_key = key;
	conf->rx_adv_conf.rss_conf.rss_key_len = info->hash_key_size ? info->hash_key_size : 40;
	conf->rx_adv_conf.rss_conf.rss_hf = info->flow_type_rss_offloads & RTE_ETH_RSS_IP;
}

/*
 * The redirection table as spread.h reads it: entry i to queue (i mod 64)
 * mod n.  A port that keeps its own table (most fill it i mod n, which is
 * the same when n divides 64) has more packets handed on, nothing worse.
 */
static void fill_reta(uint16_t p, const struct rte_eth_dev_info *info, unsigned n)
{
	struct rte_eth_rss_reta_entry64 reta[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
	uint16_t size = info->reta_size;
	if (size == 0 || size > RTE_ETH_RSS_RETA_SIZE_512)
		return;
	memset(reta, 0, sizeof(reta));
	for (uint16_t i = 0; i < size; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] = (uint16_t)(i % BLD_SPREAD_RETA % n);
	}
	rte_eth_dev_rss_reta_update(p, reta, size);
}

int bld_dpdk_ports_start(unsigned workers, bool inline_mode, enum bld_dpdk_spread spread, char *err,
			 size_t err_len)
{
	uint16_t avail = rte_eth_dev_count_avail();
	if (avail == 0) {
		snprintf(err, err_len, "no port: give DPDK a device (-a PCI-ADDRESS) or a vdev (--vdev net_pcap0,rx_pcap=FILE)");
		return -1;
	}
	if (avail > BLD_DPDK_MAX_PORTS) {
		snprintf(err, err_len, "%u ports: at most %d", avail, BLD_DPDK_MAX_PORTS);
		return -1;
	}
	/* RSS only where every port has it: one way of spreading for all keeps a conversation on one worker */
	struct rte_eth_dev_info info[BLD_DPDK_MAX_PORTS];
	uint16_t p;
	rss_on = workers > 1 && spread != BLD_DPDK_SPREAD_SOFTWARE;
	RTE_ETH_FOREACH_DEV(p) {
		if (p >= BLD_DPDK_MAX_PORTS) {
			snprintf(err, err_len, "port %u: at most %d ports", p, BLD_DPDK_MAX_PORTS);
			return -1;
		}
		int rc = rte_eth_dev_info_get(p, &info[p]);
		if (rc != 0) {
			snprintf(err, err_len, "port %u: no device information: %s", p, rte_strerror(-rc));
			return -1;
		}
		const char *why = rss_on ? no_rss(&info[p], workers) : NULL;
		if (why && spread == BLD_DPDK_SPREAD_RSS) {
			snprintf(err, err_len, "port %u (%s): --spread rss: %s (--spread software hands packets on instead)",
				 p, info[p].driver_name, why);
			return -1;
		}
		rss_on &= !why;
	}
	/* every descriptor filled, a burst in flight per worker and port, the per-lcore caches, the rings */
	uint16_t txqs = inline_mode ? (uint16_t)workers : 0;
	unsigned rings = workers < 2 ? 0 : rss_on ? workers : workers - 1;
	unsigned mbufs = rte_lcore_count() * MBUF_CACHE + 1023 + rings * RING_SIZE;
	RTE_ETH_FOREACH_DEV(p) {
		/* a device whose queues come in pairs (net_af_packet's qpairs) spreads what it receives over all of them */
		port_rxqs[p] = rss_on ? (uint16_t)workers
			       : txqs > 1 && strcmp(info[p].driver_name, "net_af_packet") == 0 ? txqs : 1;
		mbufs += (port_rxqs[p] + txqs) * RX_DESC + workers * BLD_BURST_MAX;
	}
	pool = rte_pktmbuf_pool_create("bollard_rx", mbufs, MBUF_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (!pool) {
		snprintf(err, err_len, "cannot allocate %u mbufs: %s (more memory: -m MB, or hugepages)", mbufs,
			 rte_strerror(rte_errno));
		return -1;
	}
	rte_mbuf_dyn_rx_timestamp_register(&ts_offset, &ts_flag);
	static const struct rte_mbuf_dynfield time_field = { .name = "bollard_time_ns", .size = sizeof(uint64_t),
							     .align = __alignof__(uint64_t) };
	if ((time_offset = rte_mbuf_dynfield_register(&time_field)) < 0) {
		snprintf(err, err_len, "cannot register an mbuf field: %s", rte_strerror(rte_errno));
		return -1;
	}
	RTE_ETH_FOREACH_DEV(p) {
		struct rte_eth_conf conf;
		memset(&conf, 0, sizeof(conf));
		uint16_t desc = RX_DESC, tx_desc = RX_DESC, rxqs = port_rxqs[p];
		if (txqs > info[p].max_tx_queues) {
			snprintf(err, err_len, "port %u (%s): %u TX queues, one per worker, but it has %u", p,
				 info[p].driver_name, txqs, info[p].max_tx_queues);
			return -1;
		}
		if (rss_on)
			rss_conf(&conf, &info[p]);
		uint16_t port_txqs = txqs;
		if (strcmp(info[p].driver_name, "net_tap") == 0 && port_txqs < rxqs)
			port_txqs = rxqs;   /* it wants as many TX queues as RX, used or not */
		int rc = rte_eth_dev_configure(p, rxqs, port_txqs, &conf);
		if (rc == 0)
			rc = rte_eth_dev_adjust_nb_rx_tx_desc(p, &desc, &tx_desc);
		for (uint16_t q = 0; rc == 0 && q < rxqs; q++)
			rc = rte_eth_rx_queue_setup(p, q, desc, rte_eth_dev_socket_id(p), NULL, pool);
		for (uint16_t q = 0; rc == 0 && q < port_txqs; q++)
			rc = rte_eth_tx_queue_setup(p, q, tx_desc, rte_eth_dev_socket_id(p), NULL);
		port_desc[p] = desc;
		if (rc == 0)
			rc = rte_eth_dev_start(p);
		rte_eth_dev_get_name_by_port(p, port_names[p]);
		if (rc != 0) {
			snprintf(err, err_len, "port %u (%s): cannot start: %s", p, port_names[p], rte_strerror(-rc));
			return -1;
		}
		if (rss_on)
			fill_reta(p, &info[p], workers);
		rte_eth_promiscuous_enable(p);   /* a SPAN port's traffic is for others: not every port has it */
		port_drivers[p] = info[p].driver_name;
		port_stamps[p] = strcmp(info[p].driver_name, "net_pcap") == 0;
		any_stamps |= port_stamps[p];
		port_up[p] = true;
		n_ports++;
	}
	return (int)n_ports;
}

bool bld_dpdk_rss(void)
{
	return rss_on;
}

bool bld_dpdk_wall_clock(void)
{
	return !any_stamps;
}

const char *bld_dpdk_port_name(uint16_t port)
{
	return port < BLD_DPDK_MAX_PORTS && port_up[port] ? port_names[port] : "?";
}

const char *bld_dpdk_port_driver(uint16_t port)
{
	return port < BLD_DPDK_MAX_PORTS && port_up[port] ? port_drivers[port] : "?";
}

struct bld_dpdk_rx {
	struct rte_mbuf *mbufs[BLD_BURST_MAX];
	unsigned n;
	uint8_t *linear[BLD_BURST_MAX];   /* per slot, allocated on first need */
};

struct bld_dpdk_rx *bld_dpdk_rx_create(void)
{
	return calloc(1, sizeof(struct bld_dpdk_rx));
}

void bld_dpdk_rx_destroy(struct bld_dpdk_rx *rx)
{
	if (!rx)
		return;
	bld_dpdk_rx_done(rx);
	for (unsigned i = 0; i < BLD_BURST_MAX; i++)
		free(rx->linear[i]);
	free(rx);
}

/* A packet's time: the port's stamp (net_pcap: the capture's, in microseconds), else the burst's TSC time. */
static uint64_t packet_time(const struct rte_mbuf *m, bool stamps, uint64_t burst_ns)
{
	return stamps && (m->ol_flags & ts_flag) ? *RTE_MBUF_DYNFIELD(m, ts_offset, uint64_t *) * 1000u : burst_ns;
}

/* Nanoseconds on the epoch from the TSC: seconds and the rest apart, since cycles * 1e9 overflows in seconds. */
uint64_t bld_dpdk_now_ns(void)
{
	uint64_t d = rte_get_tsc_cycles() - tsc0;
	return epoch0_ns + d / tsc_hz * 1000000000ull + d % tsc_hz * 1000000000ull / tsc_hz;
}

/* The view of mbuf m (kept in rx slot i) as packet p; a multi-segment packet copied into one buffer. */
static void view(struct bld_dpdk_rx *rx, unsigned i, struct rte_mbuf *m, struct bld_pkt *p)
{
	rx->mbufs[i] = m;
	p->wirelen = p->caplen = m->pkt_len;
	p->linktype = BLD_LINK_ETHERNET;
	p->port = m->port;
	p->ts_ns = *RTE_MBUF_DYNFIELD(m, time_offset, uint64_t *);
	p->data = rte_pktmbuf_mtod(m, const uint8_t *);
	if (m->nb_segs == 1)
		return;
	if (!rx->linear[i] && !(rx->linear[i] = malloc(LINEAR_MAX))) {
		p->caplen = 0;   /* counted by decode as too short: seen, not parsed */
		return;
	}
	uint32_t len = m->pkt_len < LINEAR_MAX ? m->pkt_len : LINEAR_MAX;
	p->data = rte_pktmbuf_read(m, 0, len, rx->linear[i]);
	p->caplen = len;
}

/* A burst from the port (worker w's queue with RSS, else all), each mbuf stamped with its packet time. */
static uint16_t receive(uint16_t port, unsigned w, struct rte_mbuf **mbufs, uint64_t *latest)
{
	uint16_t n = 0;
	if (rss_on)
		n = rte_eth_rx_burst(port, (uint16_t)w, mbufs, BLD_BURST_MAX);
	else
		for (uint16_t q = 0; q < port_rxqs[port] && n < BLD_BURST_MAX; q++)
			n += rte_eth_rx_burst(port, q, mbufs + n, (uint16_t)(BLD_BURST_MAX - n));
	*latest = 0;
	if (!n)
		return 0;
	uint64_t burst_ns = bld_dpdk_now_ns();
	bool stamps = port < BLD_DPDK_MAX_PORTS && port_stamps[port] && ts_offset >= 0;
	for (uint16_t i = 0; i < n; i++) {
		uint64_t t = packet_time(mbufs[i], stamps, burst_ns);
		*RTE_MBUF_DYNFIELD(mbufs[i], time_offset, uint64_t *) = t;
		if (t > *latest)
			*latest = t;
	}
	return n;
}

unsigned bld_dpdk_rx_burst(struct bld_dpdk_rx *rx, uint16_t port, unsigned w, struct bld_pkt *pkts,
			   uint64_t *latest)
{
	struct rte_mbuf *m[BLD_BURST_MAX];
	uint16_t n = receive(port, w, m, latest);
	for (uint16_t i = 0; i < n; i++)
		view(rx, i, m[i], &pkts[i]);
	rx->n = n;
	return n;
}

struct bld_dpdk_dist {
	unsigned workers;
	bool rss;                             /* every worker receives, and has a ring for what others hand on */
	struct rte_ring *ring[RTE_MAX_LCORE];
	uint64_t dropped[RTE_MAX_LCORE];      /* by the worker handing on: the ring it chose was full */
	uint64_t handed[RTE_MAX_LCORE];       /* by the worker handing on */
};

struct bld_dpdk_dist *bld_dpdk_dist_create(unsigned workers, char *err, size_t err_len)
{
	struct bld_dpdk_dist *d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	d->workers = workers;
	d->rss = rss_on;
	for (unsigned w = d->rss ? 0 : 1; w < workers; w++) {
		char name[RTE_RING_NAMESIZE];
		snprintf(name, sizeof(name), "bollard_w%u", w);
		/* one producer (worker 0) without RSS, any worker with it */
		d->ring[w] = rte_ring_create(name, RING_SIZE, rte_socket_id(), RING_F_SC_DEQ | (d->rss ? 0 : RING_F_SP_ENQ));
		if (!d->ring[w]) {
			snprintf(err, err_len, "cannot make the ring of worker %u: %s", w, rte_strerror(rte_errno));
			bld_dpdk_dist_destroy(d);
			return NULL;
		}
	}
	return d;
}

void bld_dpdk_dist_destroy(struct bld_dpdk_dist *d)
{
	if (!d)
		return;
	for (unsigned w = 0; w < d->workers; w++) {
		void *m;
		while (d->ring[w] && rte_ring_dequeue(d->ring[w], &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(d->ring[w]);
	}
	free(d);
}

/*
 * Worker from hands m to worker w.  Worker 0 feeding the others waits a
 * while for room: a slow worker holds the receiver back rather than losing
 * packets.  With RSS every worker hands on, and two waiting on each other
 * would never end: a full ring there drops at once.
 */
static void send_on(struct bld_dpdk_dist *d, unsigned from, unsigned w, struct rte_mbuf *m)
{
	d->handed[from]++;
	if (rte_ring_enqueue(d->ring[w], m) == 0)
		return;
	uint64_t give_up = rte_get_tsc_cycles() + (d->rss ? 0 : RING_WAIT_NS * tsc_hz / 1000000000ull);
	while (rte_ring_enqueue(d->ring[w], m) != 0) {
		if (rte_get_tsc_cycles() >= give_up) {
			d->dropped[from]++;
			rte_pktmbuf_free(m);
			return;
		}
		rte_pause();
	}
}

unsigned bld_dpdk_rx_spread(struct bld_dpdk_rx *rx, struct bld_dpdk_dist *d, uint16_t port, unsigned w,
			    struct bld_pkt *pkts, uint64_t *latest)
{
	struct rte_mbuf *m[BLD_BURST_MAX];
	uint16_t n = receive(port, w, m, latest);
	unsigned own = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct bld_pkt probe = { .data = rte_pktmbuf_mtod(m[i], const uint8_t *), .caplen = m[i]->data_len };
		unsigned to = bld_spread_worker(&probe, d->workers);
		if (to == w)
			view(rx, own, m[i], &pkts[own]), own++;
		else
			send_on(d, w, to, m[i]);
	}
	rx->n = own;
	return own;
}

unsigned bld_dpdk_dist_take(struct bld_dpdk_rx *rx, struct bld_dpdk_dist *d, unsigned w, struct bld_pkt *pkts)
{
	void *m[BLD_BURST_MAX];
	unsigned n = rte_ring_dequeue_burst(d->ring[w], m, BLD_BURST_MAX, NULL);
	for (unsigned i = 0; i < n; i++)
		view(rx, i, m[i], &pkts[i]);
	rx->n = n;
	return n;
}

void bld_dpdk_pair(uint16_t a, uint16_t b)
{
	port_peer[a] = b;
	port_peer[b] = a;
}

#define TX_TRIES 64   /* a busy port: try again this often before a packet is given up */

void bld_dpdk_forward(struct bld_dpdk_rx *rx, uint16_t txq, const bool *drop, struct bld_dpdk_fwd *st)
{
	struct rte_mbuf *out[BLD_DPDK_MAX_PORTS][BLD_BURST_MAX];
	unsigned n_out[BLD_DPDK_MAX_PORTS] = { 0 };
	bool used[BLD_DPDK_MAX_PORTS] = { false };
	for (unsigned i = 0; i < rx->n; i++) {
		struct rte_mbuf *m = rx->mbufs[i];
		if (drop && drop[i]) {
			st->dropped++;
			rte_pktmbuf_free(m);
			continue;
		}
		uint16_t to = m->port < BLD_DPDK_MAX_PORTS ? port_peer[m->port] : 0;
		out[to][n_out[to]++] = m;
		used[to] = true;
	}
	rx->n = 0;
	for (uint16_t p = 0; p < BLD_DPDK_MAX_PORTS; p++) {
		if (!used[p])
			continue;
		unsigned sent = 0;
		for (unsigned tries = 0; sent < n_out[p] && tries < TX_TRIES; tries++)
			sent += rte_eth_tx_burst(p, txq, out[p] + sent, (uint16_t)(n_out[p] - sent));
		st->forwarded += sent;
		if (sent < n_out[p]) {
			st->tx_failed += n_out[p] - sent;
			rte_pktmbuf_free_bulk(out[p] + sent, n_out[p] - sent);
		}
	}
}

bool bld_dpdk_behind(struct bld_dpdk_dist *d, unsigned w, uint16_t port)
{
	if (d && w > 0 && !d->rss)
		return rte_ring_count(d->ring[w]) > RING_SIZE * 3 / 4;
	int used = rte_eth_rx_queue_count(port, rss_on ? (uint16_t)w : 0);   /* -ENOTSUP: cannot tell, never behind */
	return used > 0 && port < BLD_DPDK_MAX_PORTS && (unsigned)used > port_desc[port] * 3u / 4u;
}

uint64_t bld_dpdk_dist_dropped(const struct bld_dpdk_dist *d, unsigned w)
{
	return d && w < d->workers ? d->dropped[w] : 0;
}

uint64_t bld_dpdk_dist_handed(const struct bld_dpdk_dist *d, unsigned w)
{
	return d && w < d->workers ? d->handed[w] : 0;
}

void bld_dpdk_rx_done(struct bld_dpdk_rx *rx)
{
	if (rx->n)
		rte_pktmbuf_free_bulk(rx->mbufs, rx->n);
	rx->n = 0;
}

void bld_dpdk_port_stats(uint16_t port, struct bld_dpdk_port_stats *st)
{
	struct rte_eth_stats s;
	memset(st, 0, sizeof(*st));
	if (rte_eth_stats_get(port, &s) != 0)
		return;
	st->packets = s.ipackets;
	st->bytes = s.ibytes;
	st->missed = s.imissed;
	st->errors = s.ierrors;
	st->nombuf = s.rx_nombuf;
}

unsigned bld_dpdk_worker_lcores(void)
{
	return rte_lcore_count() - 1;
}

bool bld_dpdk_launch(unsigned n, int (*fn)(void *), void *const *args)
{
	unsigned lcore = rte_get_next_lcore(-1, 1, 0);
	for (unsigned w = 0; w < n; w++, lcore = rte_get_next_lcore(lcore, 1, 0)) {
		if (lcore >= RTE_MAX_LCORE || rte_eal_remote_launch(fn, args[w], lcore) != 0)
			return false;
		worker_lcores[n_launched++] = lcore;
	}
	return true;
}

void bld_dpdk_wait(void)
{
	for (unsigned i = 0; i < n_launched; i++)
		rte_eal_wait_lcore(worker_lcores[i]);
	n_launched = 0;
}

static bld_dpdk_tel_fill tel_fill;   /* telemetry callbacks take no context: one registration per process */
static bld_dpdk_tel_fill_worker tel_fill_worker;
static void *tel_ctx;

static void tel_put(void *d, const char *key, uint64_t value)
{
	rte_tel_data_add_dict_u64(d, key, value);
}

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	if (tel_fill)
		tel_fill(tel_ctx, tel_put, d);
	return 0;
}

static int tel_worker(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	char *end;
	unsigned long w = params ? strtoul(params, &end, 10) : 0;
	if (!params || !*params || *end)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	return tel_fill_worker && tel_fill_worker(tel_ctx, (unsigned)w, tel_put, d) ? 0 : -EINVAL;
}

/* /bollard/port,N: a port's name, driver, queues and counters, from the port itself (safe on any thread). */
static int tel_port(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	char *end;
	unsigned long p = params ? strtoul(params, &end, 10) : 0;
	if (!tel_fill || !params || !*params || *end || p >= BLD_DPDK_MAX_PORTS || !port_up[p])
		return -EINVAL;
	struct bld_dpdk_port_stats st;
	bld_dpdk_port_stats((uint16_t)p, &st);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", port_names[p]);
	rte_tel_data_add_dict_string(d, "driver", port_drivers[p]);
	rte_tel_data_add_dict_u64(d, "rx_queues", port_rxqs[p]);
	rte_tel_data_add_dict_u64(d, "packets", st.packets);
	rte_tel_data_add_dict_u64(d, "bytes", st.bytes);
	rte_tel_data_add_dict_u64(d, "missed", st.missed);
	rte_tel_data_add_dict_u64(d, "errors", st.errors);
	rte_tel_data_add_dict_u64(d, "nombuf", st.nombuf);
	return 0;
}

void bld_dpdk_telemetry(bld_dpdk_tel_fill fill, bld_dpdk_tel_fill_worker fill_worker, void *ctx)
{
	tel_ctx = ctx;
	tel_fill = fill;
	tel_fill_worker = fill_worker;
	rte_telemetry_register_cmd("/bollard/worker", tel_worker,
				   "One worker's counters: packets, flows, operations, alerts, inline, cycles per stage. "
				   "Parameter: the worker's number, from 0.");
	rte_telemetry_register_cmd("/bollard/port", tel_port,
				   "One port: name, driver, RX queues, packets, bytes, missed, errors, nombuf. "
				   "Parameter: the port's number.");   /* help: < 128 bytes */
	rte_telemetry_register_cmd("/bollard/stats", tel_stats,
				   "Bollard's engine: packets, flows, operations, alerts, policy reloads. Takes no parameters.");
}

void bld_dpdk_cleanup(void)
{
	tel_fill = NULL;
	tel_fill_worker = NULL;
	for (uint16_t p = 0; p < BLD_DPDK_MAX_PORTS; p++)
		if (port_up[p]) {
			rte_eth_dev_stop(p);
			rte_eth_dev_close(p);
			port_up[p] = false;
		}
	n_ports = 0;
	rss_on = any_stamps = false;
	if (pool)
		rte_mempool_free(pool);
	pool = NULL;
	rte_eal_cleanup();
}
