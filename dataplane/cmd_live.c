/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bollard live: the sensor.  DPDK ports (NICs or vdevs) feed a worker lcore
 * running the same engine as `bollard read`; the main lcore watches the
 * clock, the signals and the counters.  Outputs as read's.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
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
};

/* Shared between the main lcore, the worker and the telemetry thread. */
struct live {
	struct bld_engine *e;
	struct bld_dpdk_rx *rx;
	uint16_t ports[BLD_DPDK_MAX_PORTS];
	unsigned n_ports;
	atomic_bool stop;
	atomic_uint_fast64_t packets;        /* handed to the engine: the idle limit watches it */
	/* a reload: main loads, the worker swaps between bursts, main frees the old */
	struct bld_policy *policy;           /* the worker's, in force */
	_Atomic(struct bld_policy *) next;   /* main -> worker */
	_Atomic(struct bld_policy *) retired;   /* worker -> main */
	atomic_uint reloads;
	/* what the worker last published (every SNAPSHOT_NS), for the counters and telemetry */
	pthread_mutex_t snap_lock;
	struct bld_engine_stats snap;
	struct bld_policy_eval_stats psnap;
	uint64_t next_snap_ns;
};

#define SNAPSHOT_NS 100000000ull   /* the worker publishes its counters ten times a second */

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
		"The EAL arguments after -- choose the lcores (two at least: -l 0,1; the first\n"
		"controls, the next is the worker), the ports (-a PCI-ADDRESS, --vdev ...) and\n"
		"memory (--no-huge -m MB for development); docs/deployment.md.\n\n"
		"Options:\n"
		"      --duration S      stop after S seconds\n"
		"      --idle S          stop once no packet arrived for S seconds (a capture replayed\n"
		"                        through a vdev ends by itself)\n"
		"      --stats S         print the counters on stderr every S seconds\n"
		"SIGHUP loads --policy again (a file with errors is refused, the policy in force\n"
		"stays); SIGINT or SIGTERM stop with the summary.  DPDK telemetry answers\n"
		"/bollard/stats (dpdk-telemetry.py).\n");
	bld_run_opts_usage(out);
	fprintf(out,
		"  -h, --help            this help\n\n"
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
	enum { OPT_DURATION = 256, OPT_IDLE, OPT_STATS };
	static const struct option longopts[] = {
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
static void publish(struct live *l)
{
	pthread_mutex_lock(&l->snap_lock);
	bld_engine_stats(l->e, &l->snap);
	const struct bld_policy_eval *ev = bld_engine_policy_eval(l->e);
	if (ev)
		bld_policy_eval_stats(ev, &l->psnap);
	pthread_mutex_unlock(&l->snap_lock);
}

/* Between bursts: a policy main has loaded takes over (no packet is missed: none is being processed). */
static void take_policy(struct live *l)
{
	struct bld_policy *p = atomic_exchange_explicit(&l->next, NULL, memory_order_acquire);
	if (bld_engine_set_policy(l->e, p) == 0) {
		atomic_store_explicit(&l->retired, l->policy, memory_order_release);
		l->policy = p;
		atomic_fetch_add(&l->reloads, 1);
	} else {
		atomic_store_explicit(&l->retired, p, memory_order_release);   /* no memory: the old one stays */
	}
}

/* The worker lcore: every port's queue in turn, bursts straight into the engine. */
static int worker(void *arg)
{
	struct live *l = arg;
	struct bld_pkt pkts[BLD_BURST_MAX];
	while (!atomic_load_explicit(&l->stop, memory_order_relaxed)) {
		uint64_t got = 0;
		for (unsigned i = 0; i < l->n_ports; i++) {
			unsigned n = bld_dpdk_rx_burst(l->rx, l->ports[i], pkts);
			if (!n)
				continue;
			bld_engine_process_burst(l->e, pkts, n);
			bld_dpdk_rx_done(l->rx);
			got += n;
		}
		if (got)
			atomic_fetch_add_explicit(&l->packets, got, memory_order_relaxed);
		if (atomic_load_explicit(&l->next, memory_order_relaxed))
			take_policy(l);
		uint64_t now = mono_ns();
		if (now >= l->next_snap_ns) {
			l->next_snap_ns = now + SNAPSHOT_NS;
			publish(l);
		}
	}
	return 0;
}

/* /bollard/stats: the worker's last published counters. */
static void telemetry(void *ctx, bld_dpdk_tel_put put, void *d)
{
	struct live *l = ctx;
	pthread_mutex_lock(&l->snap_lock);
	struct bld_engine_stats s = l->snap;
	struct bld_policy_eval_stats ps = l->psnap;
	pthread_mutex_unlock(&l->snap_lock);
	uint64_t alerts = 0;
	for (int k = 0; k < BLD_ALERT_KIND_MAX; k++)
		alerts += ps.alerts[k];
	put(d, "workers", 1);
	put(d, "packets", s.packets);
	put(d, "bytes", s.bytes);
	put(d, "flows_active", s.flows.active);
	put(d, "flows_created", s.flows.created);
	put(d, "flows_evicted", s.flows.evicted);
	put(d, "operations", s.ops);
	put(d, "alerts", alerts);
	put(d, "alert_lines", ps.reported);
	put(d, "policy_capacity", ps.capacity);
	put(d, "policy_reloads", atomic_load(&l->reloads));
}

/* SIGHUP: load the policy file again; a policy with errors is not used (they are said), the one in force stays. */
static void reload(struct live *l, const char *path)
{
	if (!path) {
		fprintf(stderr, "bollard live: SIGHUP: no --policy to reload\n");
		return;
	}
	if (atomic_load(&l->next)) {
		fprintf(stderr, "bollard live: SIGHUP: the previous reload is not taken yet\n");
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
	atomic_store_explicit(&l->next, p, memory_order_release);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void print_ports(const struct live *l, FILE *out)
{
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
		bld_policy_free(atomic_exchange(&l->retired, NULL));
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
			pthread_mutex_lock(&l->snap_lock);
			struct bld_engine_stats s = l->snap;
			pthread_mutex_unlock(&l->snap_lock);
			fprintf(stderr, "bollard live: %.0f s: %llu packets, %llu flows active, %llu operations\n", now - start,
				(unsigned long long)s.packets, (unsigned long long)s.flows.active,
				(unsigned long long)s.ops);
			print_ports(l, stderr);
		}
	}
	if (signalled)
		fprintf(stderr, "bollard live: %s: stopping\n", signalled == SIGINT ? "SIGINT" : "SIGTERM");
}

int bld_cmd_live(int argc, char **argv)
{
	struct live_opts o = { 0 };
	bld_run_opts_init(&o.run, "live");
	int first = parse_opts(argc, argv, &o);
	if (first < 0)
		return BLD_EXIT_USAGE;

	int status = BLD_EXIT_USAGE;
	struct bld_run_outputs out = { 0 };
	struct live l = { .snap_lock = PTHREAD_MUTEX_INITIALIZER };
	struct bld_policy *policy = NULL;   /* until the worker owns it (l.policy) */
	char err[512];
	bool eal = false;

	/* everything that can be checked is, before the EAL takes the ports */
	if (o.run.policy_path && !(policy = bld_policy_open("live", o.run.policy_path)))
		return BLD_EXIT_USAGE;
	if (bld_run_outputs_open(&out, &o.run) < 0)
		goto out;

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
	int n_ports = bld_dpdk_ports_start(err, sizeof(err));
	if (n_ports < 0) {
		fprintf(stderr, "bollard live: %s\n", err);
		goto out;
	}
	for (uint16_t p = 0; p < BLD_DPDK_MAX_PORTS && l.n_ports < (unsigned)n_ports; p++)
		if (strcmp(bld_dpdk_port_name(p), "?") != 0) {
			l.ports[l.n_ports++] = p;
			bld_report_input(out.report, bld_dpdk_port_name(p), 0, NULL);
		}

	struct bld_engine_config cfg;
	bld_engine_config_default(&cfg);
	if (o.run.max_flows)
		cfg.flow.max_flows = o.run.max_flows;
	cfg.dissect = !o.run.no_dissect;
	cfg.policy = policy;
	bld_run_outputs_attach(&out, &cfg);
	if (!(l.e = bld_engine_create(&cfg)) || !(l.rx = bld_dpdk_rx_create()))
		goto nomem;
	l.policy = policy;
	policy = NULL;
	publish(&l);
	bld_dpdk_telemetry(telemetry, &l);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if (!bld_dpdk_launch(worker, &l)) {
		fprintf(stderr, "bollard live: no worker lcore: give the EAL two lcores at least (-l 0,1): the first "
				"controls, the next one captures\n");
		goto out;
	}
	watch(&l, &o);
	atomic_store(&l.stop, true);
	bld_dpdk_wait();
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);

	bld_engine_finish(l.e);   /* flows still open end here, as at the end of a capture */
	print_ports(&l, stderr);
	status = bld_run_outputs_finish(&out, &o.run, l.e);
	goto out;

nomem:
	fprintf(stderr, "bollard live: out of memory\n");
out:
	bld_run_outputs_close(&out);
	bld_dpdk_rx_destroy(l.rx);
	bld_engine_destroy(l.e);
	if (eal)
		bld_dpdk_cleanup();
	bld_policy_free(policy);
	bld_policy_free(l.policy);
	bld_policy_free(atomic_load(&l.next));
	bld_policy_free(atomic_load(&l.retired));
	return status;
}
