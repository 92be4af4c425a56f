/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Live capture with DPDK: the EAL, its ethdev ports, and bursts of packet
 * views for the engine.  The only file that includes DPDK headers, so the
 * rest of the program (and every test but the live ones) builds without it.
 *
 * Packet time (DESIGN.md: the engine's only clock): a port that stamps its
 * packets (the mbuf's RX timestamp field, as net_pcap does with the
 * capture's own times, in microseconds) gives each packet its own; any
 * other port gets the TSC once per burst, mapped onto the Unix epoch at
 * start.  So a capture replayed through a net_pcap vdev is seen exactly as
 * `bollard read` sees it.
 */
#ifndef BLD_DPDK_PORT_H
#define BLD_DPDK_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"

#define BLD_DPDK_MAX_PORTS 32

/*
 * rte_eal_init with argv[0] the program's name and the EAL arguments after
 * it.  DPDK's own log is kept to warnings unless the arguments set
 * --log-level.  -1 with a message in err.
 */
int bld_dpdk_init(int argc, char **argv, char *err, size_t err_len);

/*
 * How several workers share the ports' packets.  Either way every packet
 * of a conversation reaches the same worker, in order.
 */
enum bld_dpdk_spread {
	BLD_DPDK_SPREAD_AUTO,       /* RSS where every port offers it, else software */
	BLD_DPDK_SPREAD_RSS,        /* an RX queue per worker on every port, by the NIC's symmetric hash */
	BLD_DPDK_SPREAD_SOFTWARE,   /* worker 0 receives and hands on (bld_dpdk_rx_spread) */
};

/*
 * Configure and start every port the EAL found (PCI devices it may use,
 * vdevs), promiscuous where the port has it, with a mempool of mbufs sized
 * for the ports' descriptor rings, the bursts in flight and the workers'
 * rings.  With several workers and RSS (see enum bld_dpdk_spread): as many
 * RX queues as workers, hashed on the two IP addresses with a symmetric
 * Toeplitz key, so that both directions of a host pair land on one queue;
 * else one RX queue (net_af_packet: its qpairs, all read by worker 0).
 * Inline, also a TX queue per worker.  The number of ports, or -1 with a
 * message (spread RSS on a port without it says why).
 */
int bld_dpdk_ports_start(unsigned workers, bool inline_mode, enum bld_dpdk_spread spread, char *err,
			 size_t err_len);

/* Whether bld_dpdk_ports_start gave each worker its own RX queue (RSS). */
bool bld_dpdk_rss(void);

/*
 * Whether packet time is the wall clock: no port stamps its packets.  Then
 * the time goes on while nothing arrives (a silent segment is news:
 * timing.silence), and bld_dpdk_now_ns() is the packets' clock.
 */
bool bld_dpdk_wall_clock(void);
uint64_t bld_dpdk_now_ns(void);

/* The port's name ("net_pcap0", "0000:01:00.0") and driver. */
const char *bld_dpdk_port_name(uint16_t port);
const char *bld_dpdk_port_driver(uint16_t port);

/* Receiving: one per worker.  Holds the mbufs of the last burst until bld_dpdk_rx_done(). */
struct bld_dpdk_rx;
struct bld_dpdk_rx *bld_dpdk_rx_create(void);
void bld_dpdk_rx_destroy(struct bld_dpdk_rx *rx);

/*
 * Up to BLD_BURST_MAX packets from the port as views into pkts (valid until
 * bld_dpdk_rx_done); a multi-segment packet is copied into one buffer
 * first.  Worker w reads its own RX queue with RSS, worker 0 every queue
 * without.  *latest: the burst's latest packet time.  0 when none waited.
 */
unsigned bld_dpdk_rx_burst(struct bld_dpdk_rx *rx, uint16_t port, unsigned w, struct bld_pkt *pkts,
			   uint64_t *latest);
void bld_dpdk_rx_done(struct bld_dpdk_rx *rx);

/*
 * Several workers: each packet belongs to the worker spread.h names for it.
 * Without RSS, worker 0 receives everything, keeps its share and hands
 * every other packet to its worker's ring; a full ring holds the receiver
 * back (the port then misses, and says so) for up to a second before the
 * packet is dropped and counted.  With RSS, every worker receives from its
 * own queues and hands on the few packets the NIC put elsewhere (its hash
 * covered the ports, or it does not parse the frame); a full ring drops at
 * once, since two workers waiting on each other would never end.
 */
struct bld_dpdk_dist;
struct bld_dpdk_dist *bld_dpdk_dist_create(unsigned workers, char *err, size_t err_len);
void bld_dpdk_dist_destroy(struct bld_dpdk_dist *d);

/* Worker w: a burst from the port; its own share into pkts, the rest handed on.  *latest: the burst's latest packet time (0: none). */
unsigned bld_dpdk_rx_spread(struct bld_dpdk_rx *rx, struct bld_dpdk_dist *d, uint16_t port, unsigned w,
			    struct bld_pkt *pkts, uint64_t *latest);

/* Worker w: up to a burst of what the others handed it. */
unsigned bld_dpdk_dist_take(struct bld_dpdk_rx *rx, struct bld_dpdk_dist *d, unsigned w, struct bld_pkt *pkts);

/* Packets worker w handed on, and of those the ones dropped for want of room. */
uint64_t bld_dpdk_dist_handed(const struct bld_dpdk_dist *d, unsigned w);
uint64_t bld_dpdk_dist_dropped(const struct bld_dpdk_dist *d, unsigned w);

/*
 * Inline mode: ports in pairs, a bump in the wire (what comes in on one
 * goes out on the other).  The packets rx holds (the last burst or take)
 * leave on their peer ports' TX queue txq, but those drop[i] says to
 * discard (drop NULL: none); rx holds nothing afterwards.  A packet the
 * port cannot take after a few tries is freed and counted.
 */
void bld_dpdk_pair(uint16_t a, uint16_t b);

struct bld_dpdk_fwd {
	uint64_t forwarded;      /* sent on to the peer port */
	uint64_t dropped;        /* discarded: the policy's verdict */
	uint64_t uninspected;    /* forwarded without analysis: the worker was behind (--fail-open) */
	uint64_t tx_failed;      /* the peer port had no room */
};
void bld_dpdk_forward(struct bld_dpdk_rx *rx, uint16_t txq, const bool *drop, struct bld_dpdk_fwd *st);

/* Whether worker w's input is more than three quarters full: its RX queue of the port, or its ring. */
bool bld_dpdk_behind(struct bld_dpdk_dist *d, unsigned w, uint16_t port);

struct bld_dpdk_port_stats {
	uint64_t packets, bytes;     /* received by the port */
	uint64_t missed;             /* dropped by the port: no descriptor free (imissed) */
	uint64_t errors, nombuf;     /* receive errors; no mbuf to receive into */
};
void bld_dpdk_port_stats(uint16_t port, struct bld_dpdk_port_stats *st);

/* The lcores after the main one: the workers there can be. */
unsigned bld_dpdk_worker_lcores(void);

/* Run fn(args[w]) for w < n, each on its own lcore after the main one; false when there are not n. */
bool bld_dpdk_launch(unsigned n, int (*fn)(void *), void *const *args);
void bld_dpdk_wait(void);

/*
 * DPDK telemetry (the EAL's socket, read with dpdk-telemetry.py): the
 * command /bollard/stats answers with the numbers fill() puts, called on
 * the telemetry thread (fill must only read what is safe to read there).
 */
typedef void (*bld_dpdk_tel_put)(void *d, const char *key, uint64_t value);
typedef void (*bld_dpdk_tel_fill)(void *ctx, bld_dpdk_tel_put put, void *d);
/* /bollard/worker,N: one worker's numbers; false when there is no worker N. */
typedef bool (*bld_dpdk_tel_fill_worker)(void *ctx, unsigned w, bld_dpdk_tel_put put, void *d);
void bld_dpdk_telemetry(bld_dpdk_tel_fill fill, bld_dpdk_tel_fill_worker fill_worker, void *ctx);

/* Stop and close the ports, release the EAL. */
void bld_dpdk_cleanup(void);

#endif /* BLD_DPDK_PORT_H */
