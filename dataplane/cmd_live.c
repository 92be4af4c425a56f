/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bollard live: the sensor.  DPDK ports (NICs or vdevs) feed a worker lcore
 * running the same engine as `bollard read`; the main lcore watches the
 * clock, the signals and the counters.  Outputs as read's.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "dpdk_port.h"
#include "engine.h"
#include "run_outputs.h"

struct live_opts {
	struct bld_run_opts run;
	double duration_s, idle_s, stats_s;
	unsigned workers;                    /* 0: one per lcore after the main one */
	enum bld_dpdk_spread spread;
	bool inline_mode, fail_open;
};

#define MAX_WORKERS 64
#define SNAPSHOT_NS 100000000ull   /* a worker publishes its counters ten times a second */
#define TAKE_BURSTS 8              /* bursts a fed worker takes before it looks at reloads and the clock */

struct live;

/* One worker lcore: an engine of its own, sharing nothing with the others on the packet path. */
struct worker {
	struct live *l;
	unsigned id;
	struct bld_engine *e;
	struct bld_dpdk_rx *rx;
	unsigned gen;                        /* the policy generation this engine judges with */
	atomic_uint acked;                   /* gen, for main: the old policy is free once every worker moved on */
	atomic_uint_fast64_t passed;         /* RSS: when it last began a pass (what it received before is handed on) */
	uint64_t next_snap_ns;
	struct bld_dpdk_fwd fwd;             /* inline: what it forwarded and dropped */
	struct bld_engine_stats snap;        /* published under l->snap_lock */
	struct bld_policy_eval_stats psnap;
	struct bld_dpdk_fwd fwd_snap;
};

/* Shared between the main lcore, the workers and the telemetry thread. */
struct live {
	struct worker w[MAX_WORKERS];
	unsigned n_workers;
	struct bld_dpdk_dist *dist;          /* several workers: the rings they hand packets on by */
	uint16_t ports[BLD_DPDK_MAX_PORTS];
	unsigned n_ports;
	bool inline_mode, fail_open;
	bool wall_clock;                     /* no port stamps its packets: time goes on without them */
	bool rss;                            /* each worker reads its own RX queues (and hands on the stray) */
	atomic_bool stop;
	atomic_uint stopped;                 /* workers past their last receive: their rings get nothing more */
	atomic_uint_fast64_t packets;        /* handed to the engines: the idle limit watches it */
	atomic_uint_fast64_t clock;          /* with dist: worker 0's latest packet time, the fed engines advance to it */
	/* a reload: main loads and publishes a generation, each worker swaps between bursts */
	struct bld_policy *policy;           /* the one in force (main's) */
	struct bld_policy *old;              /* replaced, freed once every worker acked */
	struct bld_policy_assets *assets, *old_assets;   /* several workers: asset.new once, per policy */
	_Atomic(struct bld_policy *) pending;
	_Atomic(struct bld_policy_assets *) pending_assets;
	atomic_uint gen;
	unsigned reloads;
	pthread_mutex_t snap_lock;
};

static volatile sig_atomic_t signalled, reload_asked;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_asked = 1;
	else
		signalled = sig;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: bollard live [options] -- EAL-ARGUMENTS\n\n"
		"The sensor: capture from DPDK ports (NICs bound to a DPDK driver, or virtual\n"
		"devices) with the engine of `bollard read`, until a limit or SIGINT/SIGTERM.\n"
		"The EAL arguments after -- choose the lcores (the first controls, each next one\n"
		"is a worker: -l 0,1 for one, -l 0-3 for three), the ports (-a PCI-ADDRESS,\n"
		"--vdev ...) and memory (--no-huge -m MB for development); docs/deployment.md.\n\n"
		"Options:\n"
		"      --duration S      stop after S seconds\n"
		"      --idle S          stop once no packet arrived for S seconds (a capture replayed\n"
		"                        through a vdev ends by itself)\n"
		"      --stats S         print the counters on stderr every S seconds\n"
		"      --inline          a bump in the wire: ports in pairs (0-1, 2-3, ...), what comes in\n"
		"                        on one leaves on the other, but the packets of flows the\n"
		"                        policy refuses with action: drop\n"
		"      --fail-open       inline: a worker whose input is 3/4 full forwards unanalysed\n"
		"      --workers N       worker lcores (default: every lcore after the first); each\n"
		"                        conversation (host pair) goes to one worker\n"
		"      --spread HOW      how the workers share the ports: rss (each reads its own RX\n"
		"                        queue of every port; the NIC hashes both addresses\n"
		"                        symmetrically), software (the first receives and hands\n"
		"                        on) or auto (default: rss where every port has it)\n");
	bld_run_opts_usage(out);
	fprintf(out,
		"  -h, --help            this help\n\n"
		"SIGHUP loads --policy again (a file with errors is refused, the policy in force\n"
		"stays); SIGINT or SIGTERM stop with the summary.  DPDK telemetry answers\n"
		"/bollard/stats, /bollard/worker,N and /bollard/port,N (dpdk-telemetry.py).\n\n"
		"Example, a capture replayed through DPDK's pcap driver without hugepages or NICs:\n"
		"  bollard live --policy samples/site.yaml --idle 1 -- -l 0,1 --no-huge --no-pci -m 512 \\\n"
		"      --vdev net_pcap0,rx_pcap=samples/terminal-and-rail.pcap\n\n"
		"Exit status: 0 done, 2 usage, DPDK or I/O error (an output that could not be\n"
		"written, or alerts a --syslog receiver never got).\n");
}

static bool seconds(const char *opt, const char *arg, double *v)
{
	char *end;
	errno = 0;
	*v = strtod(arg, &end);
	if (errno || *end || !(*v > 0) || *v > 31536000) {
		fprintf(stderr, "bollard live: %s wants seconds (more than 0), not '%s'\n", opt, arg);
		return false;
	}
	return true;
}

/* The options up to "--"; the index of the first EAL argument, or -1. */
static int parse_opts(int argc, char **argv, struct live_opts *o)
{
	enum { OPT_DURATION = 256, OPT_IDLE, OPT_STATS, OPT_WORKERS, OPT_SPREAD, OPT_INLINE, OPT_FAIL_OPEN };
	static const struct option longopts[] = {
		{ "inline", no_argument, NULL, OPT_INLINE },
		{ "fail-open", no_argument, NULL, OPT_FAIL_OPEN },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "spread", required_argument, NULL, OPT_SPREAD },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "idle", required_argument, NULL, OPT_IDLE },
		{ "stats", required_argument, NULL, OPT_STATS },
		BLD_RUN_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DURATION:
			if (!seconds("--duration", optarg, &o->duration_s))
				return -1;
			break;
		case OPT_IDLE:
			if (!seconds("--idle", optarg, &o->idle_s))
				return -1;
			break;
		case OPT_STATS:
			if (!seconds("--stats", optarg, &o->stats_s))
				return -1;
			break;
		case OPT_INLINE:
			o->inline_mode = true;
			break;
		case OPT_FAIL_OPEN:
			o->fail_open = true;
			break;
		case OPT_WORKERS: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || v == 0 || v > MAX_WORKERS) {
				fprintf(stderr, "bollard live: --workers wants 1 to %d, not '%s'\n", MAX_WORKERS, optarg);
				return -1;
			}
			o->workers = (unsigned)v;
			break;
		}
		case OPT_SPREAD:
			if (strcmp(optarg, "auto") == 0)
				o->spread = BLD_DPDK_SPREAD_AUTO;
			else if (strcmp(optarg, "rss") == 0)
				o->spread = BLD_DPDK_SPREAD_RSS;
			else if (strcmp(optarg, "software") == 0)
				o->spread = BLD_DPDK_SPREAD_SOFTWARE;
			else {
				fprintf(stderr, "bollard live: --spread wants auto, rss or software, not '%s'\n", optarg);
				return -1;
			}
			break;
		case 'h':
			usage(stdout);
			exit(BLD_EXIT_OK);
		default: {
			int taken = bld_run_opts_option(&o->run, c, optarg);
			if (taken < 0)
				return -1;
			if (!taken) {
				usage(stderr);
				return -1;
			}
		}
		}
	}
	if (bld_run_opts_check(&o->run) < 0)
		return -1;
	if (o->fail_open && !o->inline_mode) {
		fprintf(stderr, "bollard live: --fail-open is for --inline\n");
		return -1;
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
		fprintf(stderr, "bollard live: '%s': the DPDK EAL arguments come after --\n", argv[optind]);
		return -1;
	}
	if (optind >= argc) {
		fprintf(stderr, "bollard live: no EAL arguments: give at least the lcores and a port after --\n\n");
		usage(stderr);
		return -1;
	}
	return optind;
}

static uint64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* The worker's counters, copied where the other threads may read them. */
static void publish(struct worker *w)
{
	pthread_mutex_lock(&w->l->snap_lock);
	bld_engine_stats(w->e, &w->snap);
	w->fwd_snap = w->fwd;
	bld_engine_policy_stats(w->e, &w->psnap);
	pthread_mutex_unlock(&w->l->snap_lock);
}

/* Between bursts: the policy main published takes over here (no packet is missed: none is being processed). */
static void take_policy(struct worker *w, unsigned gen)
{
	struct bld_policy *p = atomic_load_explicit(&w->l->pending, memory_order_acquire);
	bld_engine_share_assets(w->e, atomic_load_explicit(&w->l->pending_assets, memory_order_acquire));
	if (bld_engine_set_policy(w->e, p) < 0) {
		/* no memory for its state: judging nothing beats judging with a policy about to be freed */
		fprintf(stderr, "bollard live: worker %u: no memory for the new policy: it judges nothing now\n", w->id);
		bld_engine_set_policy(w->e, NULL);
	}
	w->gen = gen;
	atomic_store_explicit(&w->acked, gen, memory_order_release);
}

/*
 * Process what rx holds: n packets of pkts (from port, for worker 0).
 * Inline, then forward them but those the policy drops; with --fail-open a
 * worker whose input is three quarters full forwards them unanalysed.
 */
static void process(struct worker *w, const struct bld_pkt *pkts, unsigned n, uint16_t port)
{
	struct live *l = w->l;
	if (!l->inline_mode) {
		bld_engine_process_burst(w->e, pkts, n);
		bld_dpdk_rx_done(w->rx);
	} else if (l->fail_open && bld_dpdk_behind(l->dist, w->id, port)) {
		w->fwd.uninspected += n;
		bld_dpdk_forward(w->rx, (uint16_t)w->id, NULL, &w->fwd);
	} else {
		bool drop[BLD_BURST_MAX];
		bld_engine_process_burst_inline(w->e, pkts, n, drop);
		bld_dpdk_forward(w->rx, (uint16_t)w->id, drop, &w->fwd);
	}
	atomic_fetch_add_explicit(&l->packets, n, memory_order_relaxed);
}

/* The shared clock moves forward only: the latest packet time worker 0 handed on. */
static void raise_clock(struct live *l, uint64_t t)
{
	uint64_t c = atomic_load_explicit(&l->clock, memory_order_relaxed);
	while (t > c && !atomic_compare_exchange_weak_explicit(&l->clock, &c, t, memory_order_release,
							       memory_order_relaxed))
		;
}

/*
 * One pass over the ports: the only worker, or worker 0 feeding the
 * others.  Then its engine's time moves on: to the newest packet, or, on
 * wall-clock ports with nothing waiting, to the time the pass began (every
 * packet received later is stamped later), so that a segment gone silent
 * is noticed.
 */
static void receive_ports(struct worker *w, struct bld_pkt *pkts)
{
	struct live *l = w->l;
	uint64_t newest = 0, began = l->wall_clock ? bld_dpdk_now_ns() : 0;
	for (unsigned i = 0; i < l->n_ports; i++) {
		uint64_t latest;
		unsigned n = l->dist ? bld_dpdk_rx_spread(w->rx, l->dist, l->ports[i], 0, pkts, &latest)
				     : bld_dpdk_rx_burst(w->rx, l->ports[i], 0, pkts, &latest);
		if (n)
			process(w, pkts, n, l->ports[i]);
		if (latest > newest)
			newest = latest;
	}
	if (!newest)
		newest = began;
	if (!newest)
		return;
	if (l->dist)
		raise_clock(l, newest);   /* after the packets went out: the fed workers may advance to it */
	bld_engine_advance(w->e, newest);
}

/*
 * RSS: a pass over the worker's own queues, then what the others handed
 * it.  Its time moves on, when both were empty, to the earliest time at
 * which some worker last began a pass: every packet stamped before that
 * has been handed on already (ports with RSS are wall-clock ports).
 */
static void receive_own_queues(struct worker *w, struct bld_pkt *pkts)
{
	struct live *l = w->l;
	atomic_store_explicit(&w->passed, bld_dpdk_now_ns(), memory_order_release);
	bool idle = true;
	for (unsigned i = 0; i < l->n_ports; i++) {
		uint64_t latest;
		unsigned n = bld_dpdk_rx_spread(w->rx, l->dist, l->ports[i], w->id, pkts, &latest);
		if (n)
			process(w, pkts, n, l->ports[i]);
		idle &= !latest;
	}
	uint64_t clock = UINT64_MAX;
	for (unsigned i = 0; i < l->n_workers; i++) {
		uint64_t t = atomic_load_explicit(&l->w[i].passed, memory_order_acquire);
		clock = t < clock ? t : clock;
	}
	for (unsigned b = 0; b < TAKE_BURSTS; b++) {
		unsigned n = bld_dpdk_dist_take(w->rx, l->dist, w->id, pkts);
		if (n)
			process(w, pkts, n, 0);
		idle &= !n;
		if (n < BLD_BURST_MAX)
			break;
	}
	if (idle)
		bld_engine_advance(w->e, clock);
}

/* A worker fed by worker 0: what came, then the clock (read first: every packet up to it is in the ring). */
static void receive_ring(struct worker *w, struct bld_pkt *pkts)
{
	uint64_t clock = atomic_load_explicit(&w->l->clock, memory_order_acquire);
	bool drained = false;
	for (unsigned b = 0; b < TAKE_BURSTS && !drained; b++) {
		unsigned n = bld_dpdk_dist_take(w->rx, w->l->dist, w->id, pkts);
		drained = n < BLD_BURST_MAX;
		if (n)
			process(w, pkts, n, 0);
	}
	if (drained)   /* only then is every packet up to the clock processed: no early silence, no early expiry */
		bld_engine_advance(w->e, clock);
}

/* A worker lcore: packets into its engine until told to stop; reloads and counters between bursts. */
static int worker_main(void *arg)
{
	struct worker *w = arg;
	struct live *l = w->l;
	struct bld_pkt pkts[BLD_BURST_MAX];
	while (!atomic_load_explicit(&l->stop, memory_order_relaxed)) {
		if (l->rss)
			receive_own_queues(w, pkts);
		else if (w->id == 0)
			receive_ports(w, pkts);
		else
			receive_ring(w, pkts);
		unsigned gen = atomic_load_explicit(&l->gen, memory_order_acquire);
		if (gen != w->gen)
			take_policy(w, gen);
		uint64_t now = mono_ns();
		if (now >= w->next_snap_ns) {
			w->next_snap_ns = now + SNAPSHOT_NS;
			publish(w);
		}
	}
	/*
	 * Stopping: no more from the ports, but whatever the others handed on
	 * before they stopped too is processed (every worker's ring is empty
	 * once all have stopped and it was drained after that).
	 */
	atomic_fetch_add_explicit(&l->stopped, 1, memory_order_acq_rel);
	if (l->dist && (l->rss || w->id > 0))
		for (;;) {
			bool all = atomic_load_explicit(&l->stopped, memory_order_acquire) == l->n_workers;
			unsigned n;
			while ((n = bld_dpdk_dist_take(w->rx, l->dist, w->id, pkts)))
				process(w, pkts, n, 0);
			if (all)
				break;
			sched_yield();   /* the others are finishing their last burst */
		}
	return 0;
}

/* Every worker's last published counters, added up. */
static void snapshot(struct live *l, struct bld_engine_stats *s, struct bld_policy_eval_stats *ps)
{
	memset(s, 0, sizeof(*s));
	memset(ps, 0, sizeof(*ps));
	pthread_mutex_lock(&l->snap_lock);
	for (unsigned i = 0; i < l->n_workers; i++) {
		bld_engine_stats_add(s, &l->w[i].snap);
		ps->reported += l->w[i].psnap.reported;
		ps->capacity += l->w[i].psnap.capacity;
		for (int k = 0; k < BLD_ALERT_KIND_MAX; k++)
			ps->alerts[k] += l->w[i].psnap.alerts[k];
	}
	pthread_mutex_unlock(&l->snap_lock);
}

/* With --profile: time-stamp counter ticks per stage ("cycles_decode", ...). */
static void put_cycles(const struct bld_engine_stats *s, bld_dpdk_tel_put put, void *d)
{
	for (int k = 0; k < BLD_STAGE_MAX; k++) {
		char key[40];
		snprintf(key, sizeof(key), "cycles_%s", bld_stage_names[k]);
		put(d, key, s->stage_cycles[k]);
	}
}

/* /bollard/stats: the workers' last published counters. */
static void telemetry(void *ctx, bld_dpdk_tel_put put, void *d)
{
	struct live *l = ctx;
	struct bld_engine_stats s;
	struct bld_policy_eval_stats ps;
	snapshot(l, &s, &ps);
	uint64_t alerts = 0, dropped = 0, handed = 0;
	for (int k = 0; k < BLD_ALERT_KIND_MAX; k++)
		alerts += ps.alerts[k];
	for (unsigned i = 0; i < l->n_workers; i++) {
		dropped += bld_dpdk_dist_dropped(l->dist, i);
		handed += bld_dpdk_dist_handed(l->dist, i);
	}
	struct bld_dpdk_fwd f = { 0 };
	pthread_mutex_lock(&l->snap_lock);
	for (unsigned i = 0; i < l->n_workers; i++) {
		f.forwarded += l->w[i].fwd_snap.forwarded;
		f.dropped += l->w[i].fwd_snap.dropped;
		f.uninspected += l->w[i].fwd_snap.uninspected;
		f.tx_failed += l->w[i].fwd_snap.tx_failed;
	}
	pthread_mutex_unlock(&l->snap_lock);
	put(d, "workers", l->n_workers);
	put(d, "rss", l->rss);
	put(d, "inline_forwarded", f.forwarded);
	put(d, "inline_dropped", f.dropped);
	put(d, "inline_uninspected", f.uninspected);
	put(d, "inline_tx_failed", f.tx_failed);
	put(d, "packets", s.packets);
	put(d, "bytes", s.bytes);
	put(d, "handed_on", handed);
	put(d, "dropped", dropped);
	put(d, "flows_active", s.flows.active);
	put(d, "flows_created", s.flows.created);
	put(d, "flows_evicted", s.flows.evicted);
	put(d, "operations", s.ops);
	put(d, "alerts", alerts);
	put(d, "alert_lines", ps.reported);
	put(d, "policy_capacity", ps.capacity);
	put(d, "policy_reloads", __atomic_load_n(&l->reloads, __ATOMIC_RELAXED));
	put_cycles(&s, put, d);
}

/* /bollard/worker,N: that worker's last published counters. */
static bool telemetry_worker(void *ctx, unsigned w, bld_dpdk_tel_put put, void *d)
{
	struct live *l = ctx;
	if (w >= l->n_workers)
		return false;
	pthread_mutex_lock(&l->snap_lock);
	struct bld_engine_stats s = l->w[w].snap;
	struct bld_policy_eval_stats ps = l->w[w].psnap;
	struct bld_dpdk_fwd f = l->w[w].fwd_snap;
	pthread_mutex_unlock(&l->snap_lock);
	uint64_t alerts = 0;
	for (int k = 0; k < BLD_ALERT_KIND_MAX; k++)
		alerts += ps.alerts[k];
	put(d, "packets", s.packets);
	put(d, "bytes", s.bytes);
	put(d, "handed_on", bld_dpdk_dist_handed(l->dist, w));
	put(d, "dropped", bld_dpdk_dist_dropped(l->dist, w));
	put(d, "flows_active", s.flows.active);
	put(d, "flows_created", s.flows.created);
	put(d, "operations", s.ops);
	put(d, "alerts", alerts);
	put(d, "inline_forwarded", f.forwarded);
	put(d, "inline_dropped", f.dropped);
	put(d, "inline_uninspected", f.uninspected);
	put_cycles(&s, put, d);
	return true;
}

/* SIGHUP: load the policy file again; a policy with errors is not used (they are said), the one in force stays. */
static void reload(struct live *l, const char *path)
{
	if (!path) {
		fprintf(stderr, "bollard live: SIGHUP: no --policy to reload\n");
		return;
	}
	if (l->old) {
		fprintf(stderr, "bollard live: SIGHUP: the previous reload is not taken by every worker yet\n");
		return;
	}
	struct bld_policy *p = bld_policy_open("live", path);
	if (!p) {
		fprintf(stderr, "bollard live: SIGHUP: %s has errors: the policy in force stays\n", path);
		return;
	}
	struct bld_policy_info info;
	bld_policy_info(p, &info);
	fprintf(stderr, "bollard live: SIGHUP: %s loaded (%u hosts, %u rules): it takes over between two bursts\n",
		path, info.hosts, info.rules);
	struct bld_policy_assets *a = NULL;
	if (l->n_workers > 1 && !(a = bld_policy_assets_create())) {
		fprintf(stderr, "bollard live: SIGHUP: out of memory: the policy in force stays\n");
		bld_policy_free(p);
		return;
	}
	l->old = l->policy;
	l->old_assets = l->assets;
	l->policy = p;
	l->assets = a;
	atomic_store_explicit(&l->pending_assets, a, memory_order_release);
	atomic_store_explicit(&l->pending, p, memory_order_release);
	atomic_fetch_add_explicit(&l->gen, 1, memory_order_release);
}

/* The replaced policy, once no worker judges with it. */
static void retire(struct live *l)
{
	if (!l->old)
		return;
	unsigned gen = atomic_load(&l->gen);
	for (unsigned i = 0; i < l->n_workers; i++)
		if (atomic_load_explicit(&l->w[i].acked, memory_order_acquire) != gen)
			return;
	bld_policy_free(l->old);
	bld_policy_assets_free(l->old_assets);
	l->old = NULL;
	l->old_assets = NULL;
	__atomic_add_fetch(&l->reloads, 1, __ATOMIC_RELAXED);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void print_ports(const struct live *l, FILE *out)
{
	uint64_t dropped = 0, handed = 0;
	for (unsigned i = 0; i < l->n_workers; i++) {
		dropped += bld_dpdk_dist_dropped(l->dist, i);
		handed += bld_dpdk_dist_handed(l->dist, i);
	}
	if (l->rss)
		fprintf(out, "%u workers, each reading its own RX queue of every port (RSS): %llu packets handed on to "
			     "their worker, %llu of them dropped (its ring full)\n",
			l->n_workers, (unsigned long long)handed, (unsigned long long)dropped);
	else if (l->dist)
		fprintf(out, "%u workers fed by the first: %llu packets handed on, %llu of them dropped by Bollard (a "
			     "worker's ring full for a second)\n",
			l->n_workers, (unsigned long long)handed, (unsigned long long)dropped);
	if (l->inline_mode) {
		struct bld_dpdk_fwd f = { 0 };
		for (unsigned i = 0; i < l->n_workers; i++) {
			f.forwarded += l->w[i].fwd.forwarded;
			f.dropped += l->w[i].fwd.dropped;
			f.uninspected += l->w[i].fwd.uninspected;
			f.tx_failed += l->w[i].fwd.tx_failed;
		}
		fprintf(out, "inline: %llu packets forwarded (%llu of them unanalysed, fail-open), %llu dropped by the "
			     "policy, %llu lost: the peer port had no room\n",
			(unsigned long long)f.forwarded, (unsigned long long)f.uninspected, (unsigned long long)f.dropped,
			(unsigned long long)f.tx_failed);
	}
	for (unsigned i = 0; i < l->n_ports; i++) {
		struct bld_dpdk_port_stats st;
		bld_dpdk_port_stats(l->ports[i], &st);
		fprintf(out, "port %u %s (%s): %llu packets, %llu bytes received; %llu missed by the port, %llu errors, "
			     "%llu without an mbuf\n",
			l->ports[i], bld_dpdk_port_name(l->ports[i]), bld_dpdk_port_driver(l->ports[i]),
			(unsigned long long)st.packets, (unsigned long long)st.bytes, (unsigned long long)st.missed,
			(unsigned long long)st.errors, (unsigned long long)st.nombuf);
	}
}

/* The main lcore: until a limit or a signal, reloads and the counters now and then. */
static void watch(struct live *l, const struct live_opts *o)
{
	double start = now_s(), last_change = start, last_stats = start;
	uint64_t last = 0;
	while (!signalled) {
		struct timespec nap = { 0, 20 * 1000000L };
		nanosleep(&nap, NULL);
		if (reload_asked) {
			reload_asked = 0;
			reload(l, o->run.policy_path);
		}
		retire(l);
		double now = now_s();
		uint64_t n = atomic_load_explicit(&l->packets, memory_order_relaxed);
		if (n != last) {
			last = n;
			last_change = now;
		}
		if (o->duration_s && now - start >= o->duration_s)
			break;
		if (o->idle_s && now - last_change >= o->idle_s)
			break;
		if (o->stats_s && now - last_stats >= o->stats_s) {
			last_stats = now;
			struct bld_engine_stats s;
			struct bld_policy_eval_stats ps;
			snapshot(l, &s, &ps);
			fprintf(stderr, "bollard live: %.0f s: %llu packets, %llu flows active, %llu operations\n", now - start,
				(unsigned long long)s.packets, (unsigned long long)s.flows.active,
				(unsigned long long)s.ops);
			print_ports(l, stderr);
		}
	}
	if (signalled)
		fprintf(stderr, "bollard live: %s: stopping\n", signalled == SIGINT ? "SIGINT" : "SIGTERM");
}

/* The workers' engines, flow ids kept apart (worker w numbers its flows w+1, w+1+n, ...). */
static int make_workers(struct live *l, struct bld_run_outputs *out, const struct live_opts *o)
{
	struct bld_engine_config cfg;
	bld_engine_config_default(&cfg);
	if (o->run.max_flows)
		cfg.flow.max_flows = o->run.max_flows;
	cfg.flow.id_step = l->n_workers;
	static const char *names[BLD_DPDK_MAX_PORTS];   /* by port number: every record names its port */
	for (uint16_t p = 0; p < BLD_DPDK_MAX_PORTS; p++)
		names[p] = bld_dpdk_port_name(p);
	cfg.port_names = names;
	cfg.n_port_names = BLD_DPDK_MAX_PORTS;
	cfg.dissect = !o->run.no_dissect;
	cfg.profile = o->run.profile;
	cfg.policy = l->policy;
	bld_run_outputs_attach(out, &cfg);
	if (l->n_workers > 1 && !(l->assets = bld_policy_assets_create()))
		return -1;
	for (unsigned i = 0; i < l->n_workers; i++) {
		struct worker *w = &l->w[i];
		w->l = l;
		w->id = i;
		cfg.flow.id_first = i + 1;
		if (!(w->e = bld_engine_create(&cfg)) || !(w->rx = bld_dpdk_rx_create()))
			return -1;
		bld_engine_share_assets(w->e, l->assets);
		publish(w);
	}
	return 0;
}

int bld_cmd_live(int argc, char **argv)
{
	struct live_opts o = { 0 };
	bld_run_opts_init(&o.run, "live");
	int first = parse_opts(argc, argv, &o);
	if (first < 0)
		return BLD_EXIT_USAGE;

	int status = BLD_EXIT_USAGE;
	static struct live l;   /* big (the workers), and the telemetry thread may look at it until the EAL is gone */
	memset(&l, 0, sizeof(l));
	pthread_mutex_init(&l.snap_lock, NULL);
	pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
	struct bld_run_outputs out = { 0 };
	char err[512];
	bool eal = false, launched = false;

	/* everything that can be checked is, before the EAL takes the ports */
	if (o.run.policy_path && !(l.policy = bld_policy_open("live", o.run.policy_path)))
		return BLD_EXIT_USAGE;

	/* the EAL's argv: the program's name, then what came after -- */
	int eal_argc = argc - first + 1;
	char **eal_argv = calloc((size_t)eal_argc + 1, sizeof(char *));
	if (!eal_argv)
		goto nomem;
	eal_argv[0] = argv[0];
	memcpy(eal_argv + 1, argv + first, (size_t)(argc - first) * sizeof(char *));
	int rc = bld_dpdk_init(eal_argc, eal_argv, err, sizeof(err));
	free(eal_argv);
	if (rc < 0) {
		fprintf(stderr, "bollard live: %s\n", err);
		goto out;
	}
	eal = true;
	unsigned lcores = bld_dpdk_worker_lcores();
	l.n_workers = o.workers ? o.workers : lcores;
	if (l.n_workers == 0 || l.n_workers > lcores || l.n_workers > MAX_WORKERS) {
		fprintf(stderr, "bollard live: %s: give the EAL one lcore more than the workers (-l 0,1 for one worker, "
				"-l 0-2 for two): the first one controls\n",
			lcores ? "not enough lcores" : "no worker lcore");
		goto out;
	}
	l.inline_mode = o.inline_mode;
	l.fail_open = o.fail_open;
	int n_ports = bld_dpdk_ports_start(l.n_workers, o.inline_mode, o.spread, err, sizeof(err));
	if (n_ports < 0) {
		fprintf(stderr, "bollard live: %s\n", err);
		goto out;
	}
	/* the outputs once the ports are up: a start that fails leaves the last run's files as they were */
	if (bld_run_outputs_open(&out, &o.run) < 0)
		goto out;
	for (uint16_t p = 0; p < BLD_DPDK_MAX_PORTS && l.n_ports < (unsigned)n_ports; p++)
		if (strcmp(bld_dpdk_port_name(p), "?") != 0) {
			l.ports[l.n_ports++] = p;
			bld_report_input(out.report, bld_dpdk_port_name(p), 0, NULL);
		}
	if (o.inline_mode) {
		if (l.n_ports % 2) {
			fprintf(stderr, "bollard live: --inline pairs the ports (0-1, 2-3, ...): %u is odd\n", l.n_ports);
			goto out;
		}
		for (unsigned i = 0; i < l.n_ports; i += 2)
			bld_dpdk_pair(l.ports[i], l.ports[i + 1]);
	}
	l.wall_clock = bld_dpdk_wall_clock();
	if (l.n_workers > 1)
		out.lock = &out_lock;
	l.rss = bld_dpdk_rss();
	if (l.n_workers > 1) {
		if (!(l.dist = bld_dpdk_dist_create(l.n_workers, err, sizeof(err)))) {
			fprintf(stderr, "bollard live: %s\n", err);
			goto out;
		}
	}
	if (make_workers(&l, &out, &o) < 0)
		goto nomem;
	bld_dpdk_telemetry(telemetry, telemetry_worker, &l);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	void *args[MAX_WORKERS];
	for (unsigned i = 0; i < l.n_workers; i++)
		args[i] = &l.w[i];
	launched = true;
	if (!bld_dpdk_launch(l.n_workers, worker_main, args)) {
		fprintf(stderr, "bollard live: cannot start the workers on their lcores\n");
		goto out;
	}
	watch(&l, &o);
	status = BLD_EXIT_OK;
out:
	if (launched) {
		atomic_store(&l.stop, true);
		bld_dpdk_wait();
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
	}
	if (status == BLD_EXIT_OK) {
		struct bld_engine_stats sum = { 0 };
		for (unsigned i = 0; i < l.n_workers; i++) {
			struct bld_engine_stats s;
			bld_engine_finish(l.w[i].e);   /* flows still open end here, as at the end of a capture */
			bld_engine_stats(l.w[i].e, &s);
			bld_engine_stats_add(&sum, &s);
		}
		print_ports(&l, stderr);
		status = bld_run_outputs_finish(&out, &o.run, &sum);
	}
	goto done;
nomem:
	fprintf(stderr, "bollard live: out of memory\n");
done:
	bld_run_outputs_close(&out);
	for (unsigned i = 0; i < l.n_workers; i++) {
		bld_dpdk_rx_destroy(l.w[i].rx);
		bld_engine_destroy(l.w[i].e);
	}
	bld_dpdk_dist_destroy(l.dist);
	if (eal)
		bld_dpdk_cleanup();
	bld_policy_free(l.policy);
	bld_policy_free(l.old);
	bld_policy_assets_free(l.assets);
	bld_policy_assets_free(l.old_assets);
	return status;
}
