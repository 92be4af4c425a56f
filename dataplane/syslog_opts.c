/* SPDX-License-Identifier: BSD-3-Clause */
#include "syslog_opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void bld_syslog_cli_init(struct bld_syslog_cli *c, const char *cmd)
{
	memset(c, 0, sizeof(*c));
	c->o.cmd = cmd;
	c->o.format = BLD_SYSLOG_RFC5424;
	c->o.meta = (struct bld_syslog_meta){ .app_name = "bollard", .pid = (uint32_t)getpid(),
					      .facility = BLD_SYSLOG_DEFAULT_FACILITY, .pen = BLD_SYSLOG_DEFAULT_PEN };
	c->flush_timeout_ms = 5000;
}

static bool number(const char *arg, unsigned long lo, unsigned long hi, unsigned long *v)
{
	char *end;
	errno = 0;
	*v = strtoul(arg, &end, 10);
	return !errno && *arg && !*end && *v >= lo && *v <= hi;
}

/* RFC 5424 §6.2.1 Table 1: the names syslog tools use, or 0..23. */
static int facility(const char *arg)
{
	static const char *const names[] = { "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
					     "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
					     "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7" };
	for (int i = 0; i < 24; i++)
		if (strcasecmp(arg, names[i]) == 0)
			return i;
	unsigned long v;
	return number(arg, 0, 23, &v) ? (int)v : -1;
}

int bld_syslog_cli_option(struct bld_syslog_cli *c, int opt, const char *arg)
{
	const char *cmd = c->o.cmd;
	unsigned long v;
	switch (opt) {
	case BLD_OPT_SYSLOG:
		if (c->o.n_urls == BLD_SYSLOG_MAX_DESTS) {
			fprintf(stderr, "bollard %s: at most %d --syslog destinations\n", cmd, BLD_SYSLOG_MAX_DESTS);
			return -1;
		}
		c->o.urls[c->o.n_urls++] = arg;
		return 0;
	case BLD_OPT_SYSLOG_FORMAT: {
		int f = bld_syslog_format_find(arg);
		if (f < 0) {
			fprintf(stderr, "bollard %s: --syslog-format is rfc5424, rfc3164, cef or json, not '%s'\n", cmd, arg);
			return -1;
		}
		c->o.format = (enum bld_syslog_format)f;
		return 0;
	}
	case BLD_OPT_SYSLOG_CA:
		c->o.ca_file = arg;
		return 0;
	case BLD_OPT_SYSLOG_CERT:
		c->o.cert_file = arg;
		return 0;
	case BLD_OPT_SYSLOG_KEY:
		c->o.key_file = arg;
		return 0;
	case BLD_OPT_SYSLOG_FRAMING:
		if (strcmp(arg, "octet") && strcmp(arg, "lf")) {
			fprintf(stderr, "bollard %s: --syslog-framing is octet (RFC 6587 octet counting) or lf, not '%s'\n",
				cmd, arg);
			return -1;
		}
		c->o.lf_framing = strcmp(arg, "lf") == 0;
		return 0;
	case BLD_OPT_SYSLOG_FACILITY: {
		int f = facility(arg);
		if (f < 0) {
			fprintf(stderr, "bollard %s: --syslog-facility is a name (local0 .. local7, daemon, ...) or 0..23, not '%s'\n",
				cmd, arg);
			return -1;
		}
		c->o.meta.facility = (uint8_t)f;
		return 0;
	}
	case BLD_OPT_SYSLOG_HOSTNAME:
		/* RFC 5424 §6.2.4: printable US-ASCII, at most 255, no space */
		for (const char *p = arg; *p; p++)
			if (*p <= ' ' || *p > '~') {
				fprintf(stderr, "bollard %s: --syslog-hostname must be printable ASCII without spaces\n", cmd);
				return -1;
			}
		if (!*arg || strlen(arg) > 255) {
			fprintf(stderr, "bollard %s: --syslog-hostname must be 1 to 255 characters\n", cmd);
			return -1;
		}
		c->o.meta.hostname = arg;
		return 0;
	case BLD_OPT_SYSLOG_PEN:
		if (!number(arg, 1, 4294967295ul, &v)) {
			fprintf(stderr, "bollard %s: --syslog-pen wants your IANA private enterprise number, not '%s'\n",
				cmd, arg);
			return -1;
		}
		c->o.meta.pen = (uint32_t)v;
		return 0;
	case BLD_OPT_SYSLOG_QUEUE:
		if (!number(arg, 1, 4096, &v)) {
			fprintf(stderr, "bollard %s: --syslog-queue wants MiB per destination, 1 to 4096, not '%s'\n", cmd, arg);
			return -1;
		}
		c->o.queue_bytes = (size_t)v << 20;
		return 0;
	case BLD_OPT_SYSLOG_MAX_UDP:
		if (!number(arg, 480, 65507, &v)) {   /* RFC 5426 §3.2: 480 at least; the largest UDP payload */
			fprintf(stderr, "bollard %s: --syslog-max-udp wants 480 to 65507 bytes, not '%s'\n", cmd, arg);
			return -1;
		}
		c->o.max_udp = (size_t)v;
		return 0;
	case BLD_OPT_SYSLOG_FLUSH:
		if (!number(arg, 0, 3600, &v)) {
			fprintf(stderr, "bollard %s: --syslog-flush-timeout wants seconds, 0 to 3600, not '%s'\n", cmd, arg);
			return -1;
		}
		c->flush_timeout_ms = (unsigned)v * 1000u;
		return 0;
	case BLD_OPT_SYSLOG_RATE:
		if (!number(arg, 1, 10000000, &v)) {
			fprintf(stderr, "bollard %s: --syslog-rate wants alerts per second, 1 to 10000000, not '%s'\n", cmd, arg);
			return -1;
		}
		c->o.rate = (unsigned)v;
		return 0;
	case BLD_OPT_SYSLOG_SPOOL:
		if (!*arg) {
			fprintf(stderr, "bollard %s: --syslog-spool wants a directory\n", cmd);
			return -1;
		}
		c->o.spool_dir = arg;
		return 0;
	case BLD_OPT_SYSLOG_SPOOL_MAX:
		if (!number(arg, 1, 1048576, &v)) {
			fprintf(stderr, "bollard %s: --syslog-spool-max wants MiB per destination, 1 to 1048576, not '%s'\n",
				cmd, arg);
			return -1;
		}
		c->o.spool_max_bytes = (uint64_t)v << 20;
		return 0;
	default:
		return -1;
	}
}

void bld_syslog_cli_usage(FILE *out)
{
	fprintf(out,
		"      --syslog URL      send every alert to a SIEM (docs/siem.md); may be repeated:\n"
		"                        udp://HOST:PORT, tcp://HOST:PORT, tls://HOST:PORT,\n"
		"                        relp://HOST:PORT, relp+tls://HOST:PORT, unix:PATH\n"
		"      --syslog-format F rfc5424 (default), rfc3164, cef or json\n"
		"      --syslog-ca FILE  TLS (and relp+tls): the CA that signed the receiver's certificate (default:\n"
		"                        the system's); the certificate must name the URL's host\n"
		"      --syslog-cert FILE, --syslog-key FILE  TLS: a client certificate and its key\n"
		"      --syslog-framing octet|lf  TCP and TLS: RFC 6587 octet counting (default) or LF\n"
		"      --syslog-facility F  local0 (default) .. local7, daemon, ... or 0..23\n"
		"      --syslog-hostname NAME  the HOSTNAME field (default: this machine's name)\n"
		"      --syslog-pen N    the private enterprise number in bollard@N (default 32473)\n"
		"      --syslog-queue MIB  messages waiting in memory per destination (default 16)\n"
		"      --syslog-spool DIR  beyond the queue, messages wait on disk in DIR (TCP, TLS, RELP);\n"
		"                        what is undelivered at the end waits there for the next run\n"
		"      --syslog-spool-max MIB  the spool's size per destination (default 1024); beyond\n"
		"                        it, messages are dropped, counted and reported (sensor.export_loss)\n"
		"      --syslog-rate N   send at most N alerts per second; the rest are summed up\n"
		"                        (sensor.export_rate) and are still in --events\n"
		"      --syslog-max-udp N  UDP datagram limit (default 2048); longer messages are cut, marked\n"
		"      --syslog-flush-timeout S  at the end, wait at most S seconds for a receiver (default 5)\n");
}
