/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bollard live: the sensor.  DPDK ports (NICs or vdevs) feed a worker lcore
 * running the same engine as `bollard read`; the main lcore watches the
 * clock, the signals and the counters.  Outputs as read's.
 */
#include <errno.h>
#include <getopt.h>
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

/* Shared between the main lcore and the worker. */
struct live {
	struct bld_engine *e;
	struct bld_dpdk_rx *rx;
	uint16_t ports[BLD_DPDK_MAX_PORTS];
	unsigned n_ports;
	atomic_bool stop;
	atomic_uint_fast64_t packets;        /* handed to the engine: the idle limit watches it */
};

static volatile sig_atomic_t signalled;

static void on_signal(int sig)
{
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
		"      --stats S         print the counters on stderr every S seconds\n");
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
	}
	return 0;
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

/* The main lcore: until a limit or a signal, the counters now and then. */
static void watch(struct live *l, const struct live_opts *o)
{
	double start = now_s(), last_change = start, last_stats = start;
	uint64_t last = 0;
	while (!signalled) {
		struct timespec nap = { 0, 20 * 1000000L };
		nanosleep(&nap, NULL);
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
			fprintf(stderr, "bollard live: %.0f s: %llu packets to the engine\n", now - start, (unsigned long long)n);
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
	struct live l = { 0 };
	struct bld_policy *policy = NULL;
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

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
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
	return status;
}
