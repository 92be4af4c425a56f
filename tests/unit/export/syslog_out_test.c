/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the syslog transports (export/syslog_out.c): URL and TLS
 * option checking; what a receiver gets over TCP (RFC 6587 octet counting
 * and LF framing), UDP (RFC 5426, cut and marked at max_udp), a unix
 * datagram socket and TLS (RFC 5425: CA, name check, mutual TLS); and what
 * the queue promises when the receiver is late, absent, slow or drops the
 * connection: the counts in bld_syslog_stats and close's -EIO.  RELP with
 * a receiver of the test's own (answers, serverclose, out-of-order answers,
 * refusals); the disk spool through an outage and across runs; the
 * sensor.export_loss and sensor.export_rate alerts (MSGID and count="N").
 *
 * Every receiver is the test's own: sockets bound to 127.0.0.1 on ports
 * the kernel picks, or unix sockets in $TMPDIR.  A receiver that must be
 * "down" is a TCP socket bound but not listening, so the port is ours and
 * a connection to it is refused.  Each message received is compared byte
 * for byte with bld_syslog_format() of its alert under the same meta.
 *
 * The TLS certificates (two CAs, a server certificate for IP 127.0.0.1,
 * one naming another host, a client certificate) are made at run time
 * with libcrypto, so the test needs no openssl program and no fixture that
 * expires.
 *
 * Tests that a crash would end (a SIGPIPE from a TLS write) run in a child
 * process, so the rest of the suite still runs and the crash is reported
 * as a failure with its signal.
 */
#define _GNU_SOURCE   /* memmem, strsignal */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "bld_test.h"
#include "relp.h"
#include "syslog_out.h"

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, the mark of a cut datagram */

/* ---- time, files ---- */

static uint64_t ms_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

static char tmp_dir[256];

/* A private directory under $TMPDIR for sockets, certificates and captured stderr (removed at the end). */
static const char *tmp_path(const char *name)
{
	static char paths[16][300];
	static unsigned next;
	if (!tmp_dir[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(tmp_dir, sizeof(tmp_dir), "%s/bld-so-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmp_dir)) {
			perror("mkdtemp");
			abort();
		}
	}
	char *p = paths[next++ % 16];
	snprintf(p, sizeof(paths[0]), "%s/%s", tmp_dir, name);
	return p;
}

static void tmp_cleanup(void)
{
	if (!tmp_dir[0])
		return;
	DIR *d = opendir(tmp_dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				char p[600];
				snprintf(p, sizeof(p), "%s/%s", tmp_dir, e->d_name);
				unlink(p);
			}
		}
		closedir(d);
	}
	rmdir(tmp_dir);
}

/* stderr, captured at the descriptor (the module writes from its threads), then echoed for the log. */
struct errcap {
	int saved, fd;
};

static void errcap_start(struct errcap *c)
{
	char p[300];
	snprintf(p, sizeof(p), "%s", tmp_path("stderr-XXXXXX"));
	fflush(stderr);
	c->fd = mkstemp(p);
	CU_ASSERT_FATAL(c->fd >= 0);
	unlink(p);
	c->saved = dup(2);
	dup2(c->fd, 2);
}

static char *errcap_end(struct errcap *c)
{
	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	off_t n = lseek(c->fd, 0, SEEK_END);
	char *s = calloc(1, (size_t)n + 1);
	if (!s)
		abort();
	if (n > 0 && pread(c->fd, s, (size_t)n, 0) != n)
		s[0] = 0;
	close(c->fd);
	fprintf(stderr, "%s", s);
	return s;
}

/* ---- alerts ---- */

static const struct bld_syslog_meta meta = {
	.hostname = "sensor-t", .app_name = "bollard", .pid = 4242, .facility = 16, .pen = 32473,
};

#define NMAX 1200
static struct bld_policy_flow flows[NMAX];
static char reasons[NMAX][96];
static struct bld_alert alerts[NMAX];

/* Alert i: a flow.not_allowed with its own flow id, client, time and reason ("alert #00042 ..."). */
static void init_alerts(void)
{
	for (unsigned i = 0; i < NMAX; i++) {
		flows[i] = (struct bld_policy_flow){
			.flow_id = 1000 + i, .family = 4, .client_ip = { 10, 10, 0, (uint8_t)(1 + i % 250) },
			.server_ip = { 10, 10, 1, 12 }, .client_port = (uint16_t)(40000 + i), .server_port = 502,
			.has_ports = true, .l4 = 6, .app = "modbus",
		};
		snprintf(reasons[i], sizeof(reasons[i]), "alert #%05u: no rule allows hmi-%u -> rtg01-plc modbus/502", i,
			 i % 250);
		alerts[i] = (struct bld_alert){
			.kind = BLD_ALERT_FLOW_NOT_ALLOWED, .severity = (enum bld_severity)(i % BLD_SEV_MAX),
			.action = BLD_ACTION_ALERT, .reason = reasons[i], .flow = &flows[i], .to_server = true,
			.server_host = "rtg01-plc", .detail = "", .first_ns = 1715666436011097000ull + i * 1000000ull,
			.last_ns = 1715666436011097000ull + i * 1000000ull, .count = 1,
		};
	}
}

/* The message the module should send for alert a (malloc'd, NUL-terminated). */
static char *expected(enum bld_syslog_format f, const struct bld_alert *a, size_t *len)
{
	size_t n = bld_syslog_format(f, &meta, a, NULL, 0);
	char *b = malloc(n + 1);
	if (!b)
		abort();
	CU_ASSERT_EQUAL(bld_syslog_format(f, &meta, a, b, n + 1), n);
	if (len)
		*len = n;
	return b;
}

static struct bld_syslog_options opts(const char *url, enum bld_syslog_format f)
{
	struct bld_syslog_options o = { .n_urls = 1, .format = f, .meta = meta, .cmd = "test" };
	o.urls[0] = url;
	return o;
}

/* ---- received messages ---- */

#define MSGS_MAX 4096
struct msgs {
	unsigned n;
	bool bad;       /* a frame that is not "LEN SP MSG" (or an empty LF line) */
	size_t tail;    /* bytes of an incomplete last frame */
	char *m[MSGS_MAX];
	size_t len[MSGS_MAX];
};

static void msgs_add(struct msgs *ms, const char *p, size_t n)
{
	if (ms->n < MSGS_MAX) {
		ms->m[ms->n] = malloc(n + 1);
		if (!ms->m[ms->n])
			abort();
		memcpy(ms->m[ms->n], p, n);
		ms->m[ms->n][n] = 0;
		ms->len[ms->n] = n;
	}
	ms->n++;
}

static void msgs_free(struct msgs *ms)
{
	for (unsigned i = 0; i < ms->n && i < MSGS_MAX; i++)
		free(ms->m[i]);
	memset(ms, 0, sizeof(*ms));
}

/*
 * RFC 6587 §3.4.1 octet counting, strictly: MSG-LEN = NONZERO-DIGIT 0*DIGIT,
 * one SP, then exactly MSG-LEN octets.  Returns the complete frames.
 */
static unsigned octet_split(const char *b, size_t n, struct msgs *ms)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i, len = 0;
		if (b[j] < '1' || b[j] > '9') {
			ms->bad = true;
			return ms->n;
		}
		while (j < n && b[j] >= '0' && b[j] <= '9' && j - i < 10)
			len = len * 10 + (size_t)(b[j++] - '0');
		if (j == n) {
			ms->tail = n - i;
			return ms->n;
		}
		if (b[j] != ' ') {
			ms->bad = true;
			return ms->n;
		}
		j++;
		if (n - j < len) {
			ms->tail = n - i;
			return ms->n;
		}
		msgs_add(ms, b + j, len);
		i = j + len;
	}
	return ms->n;
}

/* RFC 6587 §3.4.2 non-transparent framing with LF as the trailer. */
static void lf_split(const char *b, size_t n, struct msgs *ms)
{
	size_t i = 0;
	while (i < n) {
		const char *lf = memchr(b + i, '\n', n - i);
		if (!lf) {
			ms->tail = n - i;
			return;
		}
		size_t len = (size_t)(lf - (b + i));
		if (!len)
			ms->bad = true;
		msgs_add(ms, b + i, len);
		i += len + 1;
	}
}

/* The alert a message came from: "alert #NNNNN" in its reason; -1 when none. */
static int msg_index(const char *p, size_t n)
{
	const char *k = memmem(p, n, "alert #", 7);
	if (!k || (size_t)(p + n - k) < 12)
		return -1;
	int v = 0;
	for (int i = 7; i < 12; i++) {
		if (k[i] < '0' || k[i] > '9')
			return -1;
		v = v * 10 + (k[i] - '0');
	}
	return v;
}

/* Messages first .. first+n-1 in order, each exactly bld_syslog_format() of its alert. */
static void check_msgs(const struct msgs *ms, enum bld_syslog_format f, unsigned first, unsigned n)
{
	CU_ASSERT_FALSE(ms->bad);
	CU_ASSERT_EQUAL(ms->tail, 0);
	CU_ASSERT_EQUAL(ms->n, n);
	unsigned wrong = 0;
	for (unsigned i = 0; i < ms->n && i < n && i < MSGS_MAX; i++) {
		size_t len;
		char *e = expected(f, &alerts[first + i], &len);
		if (ms->len[i] != len || memcmp(ms->m[i], e, len) != 0) {
			if (!wrong)
				fprintf(stderr, "\n  message %u: expected\n    %s\n  got (%zu bytes)\n    %.*s\n", i, e, ms->len[i],
					(int)ms->len[i], ms->m[i]);
			wrong++;
		}
		free(e);
	}
	CU_ASSERT_EQUAL(wrong, 0);
}

/* ---- a TCP or TLS receiver in a thread ---- */

#define RX_CONNS 8
struct rx {
	int lfd;
	uint16_t port;
	SSL_CTX *ctx;               /* NULL: plain TCP */
	unsigned listen_delay_ms;   /* bound at once, listening only after this: connections are refused until then */
	unsigned close_after;       /* > 0: close the first connection once it brought this many octet-counted frames */
	unsigned hold_ms;           /* > 0: accept, then neither read nor write for this long, then close (a stuck receiver) */
	unsigned read_delay_ms;     /* > 0: accept, then read nothing for this long (the sender blocks), then read all */
	int rcvbuf;                 /* > 0: SO_RCVBUF of the listening socket (and so of the connections) */
	bool fin_after;             /* close_after ends with a FIN, then the rest of what comes is read to its end */
	bool manual_listen;         /* bound at once, listening only after rx_listen() */
	atomic_bool stop, first_closed, listening;
	atomic_ulong got;           /* bytes read, all connections */
	atomic_uint tls_failed;     /* handshakes SSL_accept refused */
	struct {
		char *b;
		size_t n, cap;
	} c[RX_CONNS];
	unsigned nconn;             /* connections that got past the handshake (read after rx_stop) */
	pthread_t th;
};

static void rx_append(struct rx *r, unsigned k, const char *p, size_t n)
{
	if (r->c[k].n + n > r->c[k].cap) {
		size_t cap = (r->c[k].n + n) * 2;
		char *b = realloc(r->c[k].b, cap);
		if (!b)
			abort();
		r->c[k].b = b;
		r->c[k].cap = cap;
	}
	memcpy(r->c[k].b + r->c[k].n, p, n);
	r->c[k].n += n;
}

static void *rx_thread(void *arg)
{
	struct rx *r = arg;
	/* the test's own writes (TLS handshakes) must not kill it; the module's threads keep the default */
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	if (r->listen_delay_ms) {
		sleep_ms(r->listen_delay_ms);
		listen(r->lfd, 16);
	}
	while (r->manual_listen && !atomic_load(&r->listening) && !atomic_load(&r->stop))
		sleep_ms(5);
	while (!atomic_load(&r->stop)) {
		struct pollfd p = { .fd = r->lfd, .events = POLLIN };
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(r->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		struct timeval tv = { .tv_sec = 8 };   /* a safety net: a test never waits forever */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (r->hold_ms) {
			sleep_ms(r->hold_ms);
			close(fd);
			continue;
		}
		SSL *ssl = NULL;
		if (r->ctx) {
			ssl = SSL_new(r->ctx);
			SSL_set_fd(ssl, fd);
			if (SSL_accept(ssl) != 1) {
				atomic_fetch_add(&r->tls_failed, 1);
				ERR_clear_error();
				SSL_free(ssl);
				close(fd);
				continue;
			}
		}
		if (r->nconn == RX_CONNS) {
			SSL_free(ssl);
			close(fd);
			continue;
		}
		unsigned k = r->nconn++;
		if (r->read_delay_ms)
			sleep_ms(r->read_delay_ms);
		bool fin_sent = false;
		for (;;) {
			char buf[16384];
			int n = ssl ? SSL_read(ssl, buf, sizeof(buf)) : (int)recv(fd, buf, sizeof(buf), 0);
			if (n < 0 && !ssl && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			rx_append(r, k, buf, (size_t)n);
			atomic_fetch_add(&r->got, (unsigned long)n);
			if (r->close_after && k == 0 && !fin_sent) {
				struct msgs ms = { 0 };
				unsigned frames = octet_split(r->c[0].b, r->c[0].n, &ms);
				msgs_free(&ms);
				if (frames >= r->close_after && !r->fin_after)
					break;
				if (frames >= r->close_after) {
					shutdown(fd, SHUT_WR);
					fin_sent = true;
				}
			}
		}
		ERR_clear_error();
		SSL_free(ssl);   /* no close_notify: the peer may be gone already */
		close(fd);
		if (k == 0)
			atomic_store(&r->first_closed, true);
	}
	return NULL;
}

/* Bind (and listen, unless later) on 127.0.0.1, then start the thread.  Aborts when the system will not: not a test result. */
static void rx_start(struct rx *r)
{
	r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (r->rcvbuf)
		setsockopt(r->lfd, SOL_SOCKET, SO_RCVBUF, &r->rcvbuf, sizeof(r->rcvbuf));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(sa);
	if (r->lfd < 0 || bind(r->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(r->lfd, (struct sockaddr *)&sa, &l) != 0 ||
	    (!r->listen_delay_ms && !r->manual_listen && listen(r->lfd, 16) != 0) ||
	    pthread_create(&r->th, NULL, rx_thread, r) != 0) {
		perror("rx_start");
		abort();
	}
	r->port = ntohs(sa.sin_port);
}

/* manual_listen: the receiver comes up now (until then a connection to its port is refused). */
static void rx_listen(struct rx *r)
{
	if (listen(r->lfd, 16) != 0) {
		perror("rx_listen");
		abort();
	}
	atomic_store(&r->listening, true);
}

/* Stop after the module closed its connections (the thread reads each to its end first). */
static void rx_stop(struct rx *r)
{
	atomic_store(&r->stop, true);
	pthread_join(r->th, NULL);
	close(r->lfd);
}

static void rx_free(struct rx *r)
{
	for (unsigned i = 0; i < RX_CONNS; i++)
		free(r->c[i].b);
}

/* A TCP port of ours that refuses connections: bound, never listening.  Close the fd at the end. */
static int refusing_port(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(sa);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &l) != 0) {
		perror("refusing_port");
		abort();
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A UDP socket on 127.0.0.1, port picked by the kernel. */
static int udp_rx(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(sa);
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &l) != 0) {
		perror("udp_rx");
		abort();
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Every datagram waiting on fd (the sender is done: close returned). */
static void drain_dgrams(int fd, struct msgs *ms)
{
	static char buf[70000];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		msgs_add(ms, buf, (size_t)n);
	}
}

/* ---- TLS fixtures, made with libcrypto ---- */

static struct {
	bool tried, ok;
	const char *ca, *ca2, *srv_crt, *srv_key, *other_crt, *other_key, *cli_crt, *cli_key;
} tf;

static bool add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, v3, nid, value);
	if (!e)
		return false;
	bool ok = X509_add_ext(x, e, -1) == 1;
	X509_EXTENSION_free(e);
	return ok;
}

/* A certificate for key k: a CA when issuer is NULL (self-signed), else signed by issuer/ikey. */
static X509 *make_cert(EVP_PKEY *k, const char *cn, X509 *issuer, EVP_PKEY *ikey, const char *san, long serial)
{
	X509 *x = X509_new();
	if (!x)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 7 * 86400);
	X509_set_pubkey(x, k);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Bollard tests", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	bool ok = issuer ? add_ext(x, &v3, NID_basic_constraints, "critical,CA:FALSE") &&
				   add_ext(x, &v3, NID_key_usage, "critical,digitalSignature") &&
				   add_ext(x, &v3, NID_ext_key_usage, "serverAuth,clientAuth") &&
				   add_ext(x, &v3, NID_subject_alt_name, san)
			 : add_ext(x, &v3, NID_basic_constraints, "critical,CA:TRUE") &&
				   add_ext(x, &v3, NID_key_usage, "critical,keyCertSign,cRLSign");
	ok = ok && add_ext(x, &v3, NID_subject_key_identifier, "hash");
	if (!ok || !X509_sign(x, issuer ? ikey : k, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static bool write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	bool ok = x ? PEM_write_X509(f, x) == 1 : PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1;
	return fclose(f) == 0 && ok;
}

/* Two CAs; a server certificate for IP 127.0.0.1, one for other.example / 10.9.9.9, a client's; all from CA 1. */
static bool tls_fixtures(void)
{
	if (tf.tried)
		return tf.ok;
	tf.tried = true;
	EVP_PKEY *kca = EVP_EC_gen("P-256"), *kca2 = EVP_EC_gen("P-256"), *ksrv = EVP_EC_gen("P-256"),
		 *koth = EVP_EC_gen("P-256"), *kcli = EVP_EC_gen("P-256");
	X509 *ca = kca ? make_cert(kca, "Bollard test CA", NULL, NULL, NULL, 1) : NULL;
	X509 *ca2 = kca2 ? make_cert(kca2, "Another CA", NULL, NULL, NULL, 2) : NULL;
	X509 *srv = ca && ksrv ? make_cert(ksrv, "127.0.0.1", ca, kca, "IP:127.0.0.1", 3) : NULL;
	X509 *oth = ca && koth ? make_cert(koth, "other.example", ca, kca, "DNS:other.example,IP:10.9.9.9", 4) : NULL;
	X509 *cli = ca && kcli ? make_cert(kcli, "sensor-t", ca, kca, "DNS:sensor-t", 5) : NULL;
	tf.ca = strdup(tmp_path("ca.pem"));
	tf.ca2 = strdup(tmp_path("ca2.pem"));
	tf.srv_crt = strdup(tmp_path("server.pem"));
	tf.srv_key = strdup(tmp_path("server.key"));
	tf.other_crt = strdup(tmp_path("other.pem"));
	tf.other_key = strdup(tmp_path("other.key"));
	tf.cli_crt = strdup(tmp_path("client.pem"));
	tf.cli_key = strdup(tmp_path("client.key"));
	tf.ok = ca && ca2 && srv && oth && cli && write_pem(tf.ca, ca, NULL) && write_pem(tf.ca2, ca2, NULL) &&
		write_pem(tf.srv_crt, srv, NULL) && write_pem(tf.srv_key, NULL, ksrv) && write_pem(tf.other_crt, oth, NULL) &&
		write_pem(tf.other_key, NULL, koth) && write_pem(tf.cli_crt, cli, NULL) && write_pem(tf.cli_key, NULL, kcli);
	if (!tf.ok)
		ERR_print_errors_fp(stderr);
	X509_free(ca);
	X509_free(ca2);
	X509_free(srv);
	X509_free(oth);
	X509_free(cli);
	EVP_PKEY_free(kca);
	EVP_PKEY_free(kca2);
	EVP_PKEY_free(ksrv);
	EVP_PKEY_free(koth);
	EVP_PKEY_free(kcli);
	return tf.ok;
}

static void tls_fixtures_free(void)
{
	free((void *)tf.ca);
	free((void *)tf.ca2);
	free((void *)tf.srv_crt);
	free((void *)tf.srv_key);
	free((void *)tf.other_crt);
	free((void *)tf.other_key);
	free((void *)tf.cli_crt);
	free((void *)tf.cli_key);
}

/* The receiver's TLS context; client_ca: mutual TLS, a client certificate from that CA is required. */
static SSL_CTX *server_ctx(const char *crt, const char *key, const char *client_ca)
{
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());
	if (!c || SSL_CTX_use_certificate_chain_file(c, crt) != 1 ||
	    SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		SSL_CTX_free(c);
		return NULL;
	}
	SSL_CTX_set_num_tickets(c, 0);   /* nothing written after the handshake */
	if (client_ca) {
		SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		if (SSL_CTX_load_verify_locations(c, client_ca, NULL) != 1) {
			SSL_CTX_free(c);
			return NULL;
		}
	}
	return c;
}

#define NEED_TLS()                                                                                          \
	do {                                                                                                    \
		if (!tls_fixtures()) {                                                                          \
			CU_FAIL("could not make the TLS certificates with libcrypto: the TLS test did not run"); \
			return;                                                                                 \
		}                                                                                               \
	} while (0)

/* ---- child processes: a test a signal would end ---- */

static void run_in_child(const char *what, int (*fn)(void))
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		alarm(15);
		_exit(fn());
	}
	int st = 0;
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		fprintf(stderr, "\n  %s: the process was killed by signal %d (%s)\n", what, WTERMSIG(st),
			strsignal(WTERMSIG(st)));
	else if (WEXITSTATUS(st))
		fprintf(stderr, "\n  %s: check %d failed in the child\n", what, WEXITSTATUS(st));
	CU_ASSERT_FALSE(WIFSIGNALED(st));
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- URL and option checking ---- */

static void expect_open_error(const struct bld_syslog_options *o, const char *want1, const char *want2)
{
	char err[512] = "";
	struct bld_syslog *s = bld_syslog_open(o, err, sizeof(err));
	CU_ASSERT_PTR_NULL(s);
	bool ok = strstr(err, want1) && (!want2 || strstr(err, want2));
	if (!s && !ok)
		fprintf(stderr, "\n  %s: message '%s' does not say '%s' %s\n", o->urls[o->n_urls - 1], err, want1,
			want2 ? want2 : "");
	if (s) {
		fprintf(stderr, "\n  accepted, should not be: %s\n", o->urls[o->n_urls - 1]);
		bld_syslog_close(s, 0, NULL);
	}
	CU_ASSERT(ok);
}

static void test_url_errors(void)
{
	static const struct {
		const char *url, *want;
	} bad[] = {
		{ "ftp://127.0.0.1:514", "expected udp://HOST:PORT, tcp://HOST:PORT, tls://HOST:PORT, relp://HOST:PORT, relp+tls://HOST:PORT or unix:PATH" },
		{ "", "expected udp://HOST:PORT" },
		{ "tcp:/127.0.0.1:514", "expected udp://HOST:PORT" },
		{ "TCP://127.0.0.1:514", "expected udp://HOST:PORT" },
		{ "unix", "expected udp://HOST:PORT" },
		{ "tcp://127.0.0.1", "expected tcp://HOST:PORT" },        /* no port */
		{ "tcp://127.0.0.1:", "expected tcp://HOST:PORT" },       /* empty port */
		{ "udp://127.0.0.1:0", "expected udp://HOST:PORT" },      /* port 0 */
		{ "udp://127.0.0.1:70000", "expected udp://HOST:PORT" },  /* past 65535 */
		{ "udp://127.0.0.1:65536", "expected udp://HOST:PORT" },
		{ "tcp://127.0.0.1:51x", "expected tcp://HOST:PORT" },
		{ "tcp://127.0.0.1:-1", "expected tcp://HOST:PORT" },
		{ "tcp://127.0.0.1:99999999999999999999999", "expected tcp://HOST:PORT" },
		{ "tcp://:514", "expected tcp://HOST:PORT" },             /* no host */
		{ "tls://[::1:6514", "expected tls://HOST:PORT (IPv6 as [addr]:PORT)" },   /* no ] */
		{ "tcp://[::1]6514", "IPv6 as [addr]:PORT" },             /* no : after ] */
		{ "tcp://[::1]:", "IPv6 as [addr]:PORT" },
		{ "tcp://::1:514", "IPv6 as [addr]:PORT" },               /* IPv6 without brackets */
		{ "tcp://[]:514", "IPv6 as [addr]:PORT" },                /* brackets with nothing in them */
		{ "unix:", "expected unix:PATH" },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(bad); i++) {
		struct bld_syslog_options o = opts(bad[i].url, BLD_SYSLOG_RFC5424);
		char name[300];
		snprintf(name, sizeof(name), "--syslog %s:", bad[i].url);   /* the option and the URL, as given */
		expect_open_error(&o, name, bad[i].want);
	}
	/* a path longer than sun_path */
	char longpath[200] = "unix:/";
	memset(longpath + 6, 'p', 150);
	longpath[156] = 0;
	struct bld_syslog_options o = opts(longpath, BLD_SYSLOG_RFC5424);
	expect_open_error(&o, "expected unix:PATH", NULL);
	/* the wrong one second among several: the first one's thread is stopped, nothing leaks (ASan) */
	o = opts("udp://127.0.0.1:514", BLD_SYSLOG_RFC5424);
	o.urls[1] = "tcp://127.0.0.1:601";
	o.urls[2] = "sctp://127.0.0.1:601";
	o.n_urls = 3;
	expect_open_error(&o, "--syslog sctp://127.0.0.1:601:", NULL);
}

/* Good URLs open; no message is queued, so nothing is sent anywhere. */
static void test_url_accepted(void)
{
	static const char *const good[] = {
		"udp://127.0.0.1:514", "udp://127.0.0.1:1", "tcp://127.0.0.1:65535", "tcp://[::1]:601",
		"tcp://[2001:db8::5]:601", "udp://siem.example:514", "unix:/dev/log", "tcp://siem-1.example.org:6514",
	};
	struct bld_syslog_options o = opts(good[0], BLD_SYSLOG_RFC5424);
	for (size_t i = 0; i < BLD_TEST_COUNT(good); i++) {
		o.urls[i] = good[i];
		char err[256] = "";
		struct bld_syslog_options one = opts(good[i], BLD_SYSLOG_RFC5424);
		struct bld_syslog *s = bld_syslog_open(&one, err, sizeof(err));
		if (!s)
			fprintf(stderr, "\n  %s refused: %s\n", good[i], err);
		CU_ASSERT_PTR_NOT_NULL(s);
		struct bld_syslog_stats st;
		memset(&st, 0xff, sizeof(st));
		CU_ASSERT_EQUAL(bld_syslog_close(s, 0, &st), 0);
		CU_ASSERT(st.queued == 0 && st.sent == 0 && st.dropped == 0 && st.lost == 0 && st.cut == 0);
	}
	/* all eight at once */
	o.n_urls = BLD_SYSLOG_MAX_DESTS;
	char err[256] = "";
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	CU_ASSERT_EQUAL(bld_syslog_close(s, 0, NULL), 0);
	CU_ASSERT_EQUAL(bld_syslog_close(NULL, 0, NULL), 0);
}

static void test_tls_option_errors(void)
{
	NEED_TLS();
	struct bld_syslog_options o = opts("tls://127.0.0.1:6514", BLD_SYSLOG_RFC5424);
	o.ca_file = tf.ca;
	o.cert_file = tf.cli_crt;   /* a certificate without its key */
	expect_open_error(&o, "--syslog-cert and --syslog-key go together", NULL);
	o.cert_file = NULL;
	o.key_file = tf.cli_key;   /* a key without its certificate */
	expect_open_error(&o, "--syslog-cert and --syslog-key go together", NULL);
	o.cert_file = tf.cli_crt;
	o.key_file = tf.srv_key;   /* a key that is not the certificate's */
	expect_open_error(&o, "--syslog-key ", tf.srv_key);
	o.key_file = tf.cli_key;
	o.cert_file = tmp_path("no-such-cert.pem");
	expect_open_error(&o, "--syslog-cert ", "no-such-cert.pem");
	o.cert_file = o.key_file = NULL;
	o.ca_file = tmp_path("no-such-ca.pem");
	expect_open_error(&o, "--syslog-ca ", "no-such-ca.pem");
	/* and the right ones open */
	o.ca_file = tf.ca;
	o.cert_file = tf.cli_crt;
	o.key_file = tf.cli_key;
	char err[256] = "";
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	CU_ASSERT_EQUAL(bld_syslog_close(s, 0, NULL), 0);
}

/* ---- TCP ---- */

static void test_tcp_octet_counting(void)
{
	enum { N = 300 };
	struct rx r = { 0 };
	rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	char err[256];
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (unsigned i = 0; i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	struct bld_syslog_stats st;
	CU_ASSERT_EQUAL(bld_syslog_close(s, 5000, &st), 0);
	rx_stop(&r);
	CU_ASSERT_EQUAL(r.nconn, 1);
	struct msgs ms = { 0 };
	octet_split(r.c[0].b, r.c[0].n, &ms);
	check_msgs(&ms, BLD_SYSLOG_RFC5424, 0, N);
	CU_ASSERT_EQUAL(st.queued, N);
	CU_ASSERT_EQUAL(st.sent, N);
	CU_ASSERT(st.dropped == 0 && st.lost == 0 && st.cut == 0 && st.reconnects == 0);
	msgs_free(&ms);
	rx_free(&r);
}

static void test_tcp_lf_framing(void)
{
	enum { N = 120 };
	struct rx r = { 0 };
	rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", r.port);
	for (int f = 0; f < BLD_SYSLOG_FORMAT_MAX; f++) {   /* no format puts a LF inside a message */
		struct bld_syslog_options o = opts(url, (enum bld_syslog_format)f);
		o.lf_framing = true;
		char err[256];
		struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		for (unsigned i = 0; i < N; i++)
			bld_syslog_send(s, &alerts[i]);
		struct bld_syslog_stats st;
		CU_ASSERT_EQUAL(bld_syslog_close(s, 5000, &st), 0);
		CU_ASSERT_EQUAL(st.sent, N);
	}
	rx_stop(&r);
	CU_ASSERT_EQUAL_FATAL(r.nconn, BLD_SYSLOG_FORMAT_MAX);
	for (int f = 0; f < BLD_SYSLOG_FORMAT_MAX; f++) {
		CU_ASSERT(r.c[f].n > 0 && r.c[f].b[r.c[f].n - 1] == '\n');
		struct msgs ms = { 0 };
		lf_split(r.c[f].b, r.c[f].n, &ms);
		check_msgs(&ms, (enum bld_syslog_format)f, 0, N);
		msgs_free(&ms);
	}
	rx_free(&r);
}

/*
 * A message longer than BLD_SYSLOG_MAX_MESSAGE over TCP is cut (syslog_out.h).
 * The frame must still be a message: a prefix of the whole one (perhaps
 * marked with "…"), no NUL and no bytes from anywhere else.  The reason is
 * made of 3-byte characters and padded so that the formatter's cut at 64 KiB
 * falls inside one (it then stops one or two bytes short).
 */
static void test_tcp_long_message_cut(void)
{
	enum { CHARS = 30000 };
	char *reason = malloc(2 + 16 + CHARS * 3 + 1);
	CU_ASSERT_FATAL(reason != NULL);
	struct bld_alert a = alerts[7];
	char *full = NULL;
	size_t full_len = 0;
	static char probe[BLD_SYSLOG_MAX_MESSAGE + 1];
	bool inside = false;
	for (int pad = 0; pad < 3 && !inside; pad++) {
		size_t k = (size_t)sprintf(reason, "%.*salert #00007 ", pad, "xx");
		for (int i = 0; i < CHARS; i++, k += 3)
			memcpy(reason + k, "\xe2\x82\xac", 3);   /* U+20AC */
		reason[k] = 0;
		a.reason = reason;
		bld_syslog_format(BLD_SYSLOG_RFC5424, &meta, &a, probe, sizeof(probe));
		inside = strlen(probe) < BLD_SYSLOG_MAX_MESSAGE;
	}
	CU_ASSERT_FATAL(inside);
	full = expected(BLD_SYSLOG_RFC5424, &a, &full_len);
	CU_ASSERT(full_len > BLD_SYSLOG_MAX_MESSAGE);

	struct rx r = { 0 };
	rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	char err[256];
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	bld_syslog_send(s, &alerts[0]);
	bld_syslog_send(s, &a);
	bld_syslog_send(s, &alerts[1]);
	struct bld_syslog_stats st;
	CU_ASSERT_EQUAL(bld_syslog_close(s, 5000, &st), 0);
	rx_stop(&r);
	CU_ASSERT(st.sent == 3 && st.cut == 1);
	struct msgs ms = { 0 };
	octet_split(r.c[0].b, r.c[0].n, &ms);
	CU_ASSERT_FALSE(ms.bad);
	CU_ASSERT_EQUAL_FATAL(ms.n, 3);
	const char *m = ms.m[1];
	size_t n = ms.len[1];
	CU_ASSERT(n <= BLD_SYSLOG_MAX_MESSAGE && n + 6 >= BLD_SYSLOG_MAX_MESSAGE);
	const char *nul = memchr(m, 0, n);
	if (nul)
		fprintf(stderr, "\n  the cut frame (%zu bytes) holds a NUL at byte %zu, then %zu more bytes\n", n,
			(size_t)(nul - m), n - (size_t)(nul - m) - 1);
	CU_ASSERT_PTR_NULL(nul);
	size_t plen = n >= 3 && memcmp(m + n - 3, ELLIPSIS, 3) == 0 ? n - 3 : n;
	CU_ASSERT(memcmp(m, full, plen) == 0);                  /* a prefix of the whole message */
	CU_ASSERT(plen == full_len || ((uint8_t)full[plen] & 0xc0) != 0x80);   /* not inside a character */
	/* the neighbours are untouched */
	size_t l0, l1;
	char *e0 = expected(BLD_SYSLOG_RFC5424, &alerts[0], &l0), *e1 = expected(BLD_SYSLOG_RFC5424, &alerts[1], &l1);
	CU_ASSERT(ms.len[0] == l0 && memcmp(ms.m[0], e0, l0) == 0);
	CU_ASSERT(ms.len[2] == l1 && memcmp(ms.m[2], e1, l1) == 0);
	free(e0);
	free(e1);
	free(full);
	free(reason);
	msgs_free(&ms);
	rx_free(&r);
}

/* Down at start: the listener comes up after 300 ms; everything arrives within the flush timeout. */
static void test_tcp_receiver_late(void)
{
	enum { N = 40 };
	struct rx r = { .listen_delay_ms = 300 };
	rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_JSON);
	char err[256];
	struct errcap ec;
	errcap_start(&ec);
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	uint64_t t0 = ms_now();
	for (unsigned i = 0; s && i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	struct bld_syslog_stats st = { 0 };
	int rc = s ? bld_syslog_close(s, 5000, &st) : -1;
	uint64_t took = ms_now() - t0;
	char *text = errcap_end(&ec);
	rx_stop(&r);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(took >= 250 && took < 3000);
	CU_ASSERT_EQUAL(r.nconn, 1);
	struct msgs ms = { 0 };
	octet_split(r.c[0].b, r.c[0].n, &ms);
	check_msgs(&ms, BLD_SYSLOG_JSON, 0, N);
	CU_ASSERT(st.queued == N && st.sent == N && st.lost == 0 && st.dropped == 0);
	CU_ASSERT(st.retries > 0);
	/* the failure said once, and the return */
	char said[128];
	snprintf(said, sizeof(said), "bollard test: syslog %s: Connection refused", url);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, said));
	CU_ASSERT_PTR_NULL(strstr(strstr(text, said) ? strstr(text, said) + 1 : text, said));
	snprintf(said, sizeof(said), "bollard test: syslog %s: sending again", url);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, said));
	free(text);
	msgs_free(&ms);
	rx_free(&r);
}

/* Never there: close gives up at its timeout, says so, and counts every message lost. */
static void test_tcp_receiver_absent(void)
{
	enum { N = 25 };
	uint16_t port;
	int fd = refusing_port(&port);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	char err[256];
	struct errcap ec;
	errcap_start(&ec);
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	for (unsigned i = 0; s && i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	struct bld_syslog_stats st = { 0 };
	uint64_t t0 = ms_now();
	int rc = s ? bld_syslog_close(s, 500, &st) : 0;
	uint64_t took = ms_now() - t0;
	char *text = errcap_end(&ec);
	close(fd);
	CU_ASSERT_EQUAL(rc, -EIO);
	CU_ASSERT(took >= 400 && took < 1500);
	CU_ASSERT(st.queued == N && st.sent == 0 && st.dropped == 0 && st.lost == N);
	CU_ASSERT(st.retries > 0);
	char said[200];
	snprintf(said, sizeof(said),
		 "bollard test: syslog %s: %u of %u messages not delivered (0 dropped, queue full; %u lost, receiver unreachable or refusing)",
		 url, N, N, N);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, said));
	free(text);
}

/* A 1 KiB queue and no receiver: what does not fit is dropped, counted exactly; the rest is lost at close. */
static void test_queue_full(void)
{
	enum { N = 30 };
	uint16_t port;
	int fd = refusing_port(&port);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	o.queue_bytes = 1024;
	/* the module's own rule: a message is queued when the queued bytes plus its own fit */
	size_t bytes = 0;
	unsigned fit = 0;
	for (unsigned i = 0; i < N; i++) {
		size_t len = bld_syslog_format(o.format, &meta, &alerts[i], NULL, 0);
		if (bytes + len <= o.queue_bytes) {
			bytes += len;
			fit++;
		}
	}
	CU_ASSERT(fit > 0 && fit < N);
	char err[256];
	struct errcap ec;
	errcap_start(&ec);
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	for (unsigned i = 0; s && i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	struct bld_syslog_stats st = { 0 };
	int rc = s ? bld_syslog_close(s, 0, &st) : 0;
	char *text = errcap_end(&ec);
	close(fd);
	CU_ASSERT_EQUAL(rc, -EIO);
	CU_ASSERT_EQUAL(st.queued, N);
	CU_ASSERT_EQUAL(st.dropped, N - fit);
	CU_ASSERT_EQUAL(st.lost, fit);
	CU_ASSERT_EQUAL(st.sent, 0);
	CU_ASSERT_EQUAL(st.queued, st.dropped + st.lost + st.sent);
	char said[200];
	snprintf(said, sizeof(said), "%u of %u messages not delivered (%u dropped, queue full; %u lost", N, N, N - fit, fit);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, said));
	free(text);
}

/*
 * The receiver reads the first 10 messages, closes the connection, and
 * accepts again; then 200 more are sent.
 *
 * What TCP cannot promise: send() succeeding means the kernel took the
 * bytes, not that the receiver read them.  The first write after the
 * receiver closed succeeds (the peer answers it with a RST) and that
 * message is gone although counted sent; only the next write fails.  So
 * the second connection starts somewhere after message 9, perhaps with a
 * gap.  What the module promises, and what is checked: a message leaves the
 * queue only once written whole, so the message whose write failed and all
 * after it come on the new connection, in order, each once, to the last;
 * no complete message comes twice; nothing is counted lost or dropped.
 */
static void test_tcp_receiver_drops_connection(void)
{
	enum { N1 = 10, N = 210 };
	struct rx r = { .close_after = N1 };
	rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	char err[256];
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (unsigned i = 0; i < N1; i++)
		bld_syslog_send(s, &alerts[i]);
	uint64_t t0 = ms_now();
	while (!atomic_load(&r.first_closed) && ms_now() - t0 < 5000)
		sleep_ms(5);
	CU_ASSERT(atomic_load(&r.first_closed));
	for (unsigned i = N1; i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	struct bld_syslog_stats st = { 0 };
	CU_ASSERT_EQUAL(bld_syslog_close(s, 5000, &st), 0);
	rx_stop(&r);
	CU_ASSERT_EQUAL_FATAL(r.nconn, 2);
	struct msgs first = { 0 }, second = { 0 };
	octet_split(r.c[0].b, r.c[0].n, &first);
	check_msgs(&first, BLD_SYSLOG_RFC5424, 0, N1);
	octet_split(r.c[1].b, r.c[1].n, &second);
	CU_ASSERT_FALSE(second.bad);
	CU_ASSERT_EQUAL(second.tail, 0);   /* a new connection starts with a whole frame */
	CU_ASSERT_FATAL(second.n > 0);
	int start = msg_index(second.m[0], second.len[0]);
	CU_ASSERT_EQUAL(start, N1);   /* what went to the closed connection was never acknowledged: sent again */
	unsigned wrong = 0;
	for (unsigned i = 0; i < second.n; i++) {
		int k = msg_index(second.m[i], second.len[i]);
		size_t len;
		char *e = k >= 0 && k < N ? expected(BLD_SYSLOG_RFC5424, &alerts[k], &len) : NULL;
		if (k != start + (int)i || !e || len != second.len[i] || memcmp(e, second.m[i], len) != 0)
			wrong++;
		free(e);
	}
	CU_ASSERT_EQUAL(wrong, 0);   /* contiguous, in order, each once, byte for byte */
	CU_ASSERT_EQUAL(start + (int)second.n, N);   /* to the last one */
	CU_ASSERT(st.queued == N && st.sent == N && st.lost == 0 && st.dropped == 0);
	msgs_free(&first);
	msgs_free(&second);
	rx_free(&r);
}

/* Four threads send at once (the workers): every message arrives once, each thread's in its order. */
struct producer {
	struct bld_syslog *s;
	unsigned first, n;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	for (unsigned i = 0; i < p->n; i++)
		bld_syslog_send(p->s, &alerts[p->first + i]);
	return NULL;
}

static void test_tcp_concurrent_senders(void)
{
	enum { P = 4, PER = 250, N = P * PER };
	struct rx r = { 0 };
	rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_CEF);
	char err[256];
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	struct producer pr[P];
	pthread_t th[P];
	for (unsigned i = 0; i < P; i++) {
		pr[i] = (struct producer){ .s = s, .first = i * PER, .n = PER };
		CU_ASSERT_FATAL(pthread_create(&th[i], NULL, produce, &pr[i]) == 0);
	}
	for (unsigned i = 0; i < P; i++)
		pthread_join(th[i], NULL);
	struct bld_syslog_stats st = { 0 };
	CU_ASSERT_EQUAL(bld_syslog_close(s, 5000, &st), 0);
	rx_stop(&r);
	CU_ASSERT(st.queued == N && st.sent == N && st.lost == 0 && st.dropped == 0);
	struct msgs ms = { 0 };
	octet_split(r.c[0].b, r.c[0].n, &ms);
	CU_ASSERT_FALSE(ms.bad);
	CU_ASSERT_EQUAL(ms.n, N);
	static bool seen[N];
	memset(seen, 0, sizeof(seen));
	int last[P] = { -1, -1, -1, -1 };
	unsigned wrong = 0;
	for (unsigned i = 0; i < ms.n && i < MSGS_MAX; i++) {
		int k = msg_index(ms.m[i], ms.len[i]);
		if (k < 0 || k >= N || seen[k] || k <= last[k / PER]) {
			wrong++;
			continue;
		}
		seen[k] = true;
		last[k / PER] = k;
		size_t len;
		char *e = expected(BLD_SYSLOG_CEF, &alerts[k], &len);
		wrong += len != ms.len[i] || memcmp(e, ms.m[i], len) != 0;
		free(e);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	msgs_free(&ms);
	rx_free(&r);
}

/* ---- UDP and unix datagrams ---- */

/* An alert whose op has 512 fields: an RFC 5424 message of tens of KiB. */
static struct bld_op big_op;

static struct bld_alert long_alert(unsigned i)
{
	static struct bld_dissector dsc = { .name = "modbus" };
	static struct bld_parse_ctx pc;
	pc = (struct bld_parse_ctx){ .dsc = &dsc, .ts_ns = 1715666436011097000ull, .to_server = false, .op = &big_op };
	struct bld_op *op = bld_op_begin(&pc, BLD_OP_RESPONSE);
	bld_op_uint(op, "function", 3);
	bld_op_list(op, "values");
	for (int k = 0; k < BLD_OP_MAX_FIELDS; k++)
		bld_op_uint(op, NULL, UINT64_MAX - (uint64_t)k);
	bld_op_end(op);
	struct bld_alert a = alerts[i];
	a.kind = BLD_ALERT_OP_NOT_ALLOWED;
	a.op = &big_op;
	a.detail = "function=3 \xc3\xa9\xe2\x82\xac\xf0\x9f\x9a\x86";
	return a;
}

/* A datagram cut at max: at most max bytes, a prefix of the whole message not inside a character, then "…". */
static void check_cut(const char *m, size_t n, const char *full, size_t full_len, size_t max)
{
	CU_ASSERT(n <= max && n + 3 >= max - 3);
	CU_ASSERT(n >= 3 && memcmp(m + n - 3, ELLIPSIS, 3) == 0);
	CU_ASSERT(n - 3 < full_len && memcmp(m, full, n - 3) == 0);
	CU_ASSERT(((uint8_t)full[n - 3] & 0xc0) != 0x80);
}

static void test_udp(void)
{
	enum { N = 60, MAX = 600 };
	uint16_t port;
	int fd = udp_rx(&port);
	char url[64];
	snprintf(url, sizeof(url), "udp://127.0.0.1:%u", port);
	for (int f = 0; f < BLD_SYSLOG_FORMAT_MAX; f++) {
		struct bld_syslog_options o = opts(url, (enum bld_syslog_format)f);
		o.max_udp = MAX;
		char err[256];
		struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		struct bld_alert big = long_alert(N);
		/* RFC 3164 and CEF leave the op out: a long reason makes those long */
		char reason[1500];
		int k = snprintf(reason, sizeof(reason), "alert #%05u ", N);
		while (k < 1400)
			k += snprintf(reason + k, sizeof(reason) - (size_t)k, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x9a\x86 ");
		big.reason = reason;
		size_t full_len;
		char *full = expected((enum bld_syslog_format)f, &big, &full_len);
		CU_ASSERT(full_len > MAX);
		for (unsigned i = 0; i < N; i++)
			bld_syslog_send(s, &alerts[i]);
		bld_syslog_send(s, &big);
		bld_syslog_send(s, &alerts[N + 1]);
		struct bld_syslog_stats st = { 0 };
		CU_ASSERT_EQUAL(bld_syslog_close(s, 2000, &st), 0);
		CU_ASSERT(st.queued == N + 2 && st.sent == N + 2 && st.cut == 1 && st.lost == 0);
		struct msgs ms = { 0 };
		drain_dgrams(fd, &ms);
		CU_ASSERT_EQUAL_FATAL(ms.n, N + 2);
		struct msgs head = ms;   /* the first N, compared whole */
		head.n = N;
		check_msgs(&head, (enum bld_syslog_format)f, 0, N);
		check_cut(ms.m[N], ms.len[N], full, full_len, MAX);
		size_t l;
		char *e = expected((enum bld_syslog_format)f, &alerts[N + 1], &l);
		CU_ASSERT(ms.len[N + 1] == l && memcmp(ms.m[N + 1], e, l) == 0);
		free(e);
		free(full);
		msgs_free(&ms);
	}
	close(fd);
}

/* The default max_udp is 2048 (RFC 5426 §3.2). */
static void test_udp_default_max(void)
{
	uint16_t port;
	int fd = udp_rx(&port);
	char url[64];
	snprintf(url, sizeof(url), "udp://127.0.0.1:%u", port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	char err[256];
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	struct bld_alert big = long_alert(3);
	enum { REASON = 80000 };
	char *reason = malloc(REASON + 8);
	CU_ASSERT_FATAL(reason != NULL);
	size_t k = (size_t)sprintf(reason, "alert #00003 ");
	while (k < REASON)
		k += (size_t)sprintf(reason + k, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x9a\x86 ");
	big.reason = reason;
	size_t full_len;
	char *full = expected(BLD_SYSLOG_RFC5424, &big, &full_len);
	CU_ASSERT(full_len > BLD_SYSLOG_MAX_MESSAGE);   /* past the 64 KiB the formatter is given, too */
	bld_syslog_send(s, &big);
	struct bld_syslog_stats st = { 0 };
	CU_ASSERT_EQUAL(bld_syslog_close(s, 2000, &st), 0);
	CU_ASSERT(st.sent == 1 && st.cut == 1);
	struct msgs ms = { 0 };
	drain_dgrams(fd, &ms);
	CU_ASSERT_EQUAL_FATAL(ms.n, 1);
	check_cut(ms.m[0], ms.len[0], full, full_len, BLD_SYSLOG_DEFAULT_MAX_UDP);
	free(full);
	free(reason);
	msgs_free(&ms);
	close(fd);
}

/* No UDP socket on the port: the kernel refuses datagrams (ICMP port unreachable); those are lost, counted. */
static void test_udp_refused(void)
{
	enum { N = 20 };
	uint16_t port;
	int fd = udp_rx(&port);
	close(fd);   /* the port is free now: nothing listens there */
	char url[64];
	snprintf(url, sizeof(url), "udp://127.0.0.1:%u", port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	char err[256];
	struct errcap ec;
	errcap_start(&ec);
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	for (unsigned i = 0; s && i < N; i++) {
		bld_syslog_send(s, &alerts[i]);
		sleep_ms(2);   /* each datagram's ICMP comes back before the next is sent */
	}
	struct bld_syslog_stats st = { 0 };
	int rc = s ? bld_syslog_close(s, 1000, &st) : 0;
	free(errcap_end(&ec));
	CU_ASSERT_EQUAL(rc, -EIO);
	CU_ASSERT(st.lost > 0);
	CU_ASSERT_EQUAL(st.queued, st.sent + st.lost + st.dropped);
}

static int unix_rx(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	CU_ASSERT_FATAL(strlen(path) < sizeof(sa.sun_path));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	CU_ASSERT_FATAL(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	return fd;
}

/* The receiver reads while the module sends (a unix datagram socket holds only a few datagrams). */
struct dgram_reader {
	int fd;
	unsigned start_ms;   /* read nothing for this long first (a stuck receiver) */
	atomic_bool stop;
	struct msgs ms;
	pthread_t th;
};

static void *dgram_read(void *arg)
{
	struct dgram_reader *d = arg;
	static char buf[70000];
	if (d->start_ms)
		sleep_ms(d->start_ms);
	for (;;) {
		struct pollfd p = { .fd = d->fd, .events = POLLIN };
		if (poll(&p, 1, 20) <= 0) {
			if (atomic_load(&d->stop))
				break;
			continue;
		}
		ssize_t n = recv(d->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n >= 0)
			msgs_add(&d->ms, buf, (size_t)n);
	}
	return NULL;
}

static void test_unix_dgram(void)
{
	enum { N = 200, MAX = 480 };
	const char *path = tmp_path("syslog.sock");
	struct dgram_reader d = { .fd = unix_rx(path) };
	CU_ASSERT_FATAL(pthread_create(&d.th, NULL, dgram_read, &d) == 0);
	char url[200];
	snprintf(url, sizeof(url), "unix:%s", path);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC3164);
	o.max_udp = MAX;
	char err[256];
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	struct bld_alert big = alerts[N];
	char reason[1200];
	int k = snprintf(reason, sizeof(reason), "alert #%05u ", N);
	while (k < 1100)
		k += snprintf(reason + k, sizeof(reason) - (size_t)k, "\xf0\x9f\x9a\x86\xc3\xa9");
	big.reason = reason;
	size_t full_len;
	char *full = expected(BLD_SYSLOG_RFC3164, &big, &full_len);
	for (unsigned i = 0; i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	bld_syslog_send(s, &big);
	struct bld_syslog_stats st = { 0 };
	CU_ASSERT_EQUAL(bld_syslog_close(s, 5000, &st), 0);
	atomic_store(&d.stop, true);
	pthread_join(d.th, NULL);
	close(d.fd);
	unlink(path);
	CU_ASSERT(st.queued == N + 1 && st.sent == N + 1 && st.cut == 1 && st.lost == 0);
	CU_ASSERT_EQUAL_FATAL(d.ms.n, N + 1);
	struct msgs head = d.ms;
	head.n = N;
	check_msgs(&head, BLD_SYSLOG_RFC3164, 0, N);
	check_cut(d.ms.m[N], d.ms.len[N], full, full_len, MAX);
	free(full);
	msgs_free(&d.ms);
}

static void test_unix_absent(void)
{
	enum { N = 5 };
	char url[200];
	snprintf(url, sizeof(url), "unix:%s", tmp_path("nobody-here.sock"));
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	char err[256];
	struct errcap ec;
	errcap_start(&ec);
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	for (unsigned i = 0; s && i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	struct bld_syslog_stats st = { 0 };
	uint64_t t0 = ms_now();
	int rc = s ? bld_syslog_close(s, 300, &st) : 0;
	uint64_t took = ms_now() - t0;
	char *text = errcap_end(&ec);
	CU_ASSERT_EQUAL(rc, -EIO);
	CU_ASSERT(took < 1300);
	CU_ASSERT(st.lost == N && st.sent == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "No such file or directory"));
	free(text);
}

/*
 * A unix receiver that stops reading (a stuck journald behind /dev/log):
 * its queue fills (net.unix.max_dgram_qlen datagrams) and the sender's
 * send() blocks.  Closing with a 500 ms timeout must still return in about
 * that time, with what was not sent counted lost.  The reader here wakes
 * after 2.5 s, so a close that waits for it ends then, not never.
 */
static void test_unix_stuck_receiver(void)
{
	enum { N = 300 };
	const char *path = tmp_path("stuck.sock");
	struct dgram_reader d = { .fd = unix_rx(path), .start_ms = 2500 };
	CU_ASSERT_FATAL(pthread_create(&d.th, NULL, dgram_read, &d) == 0);
	char url[200];
	snprintf(url, sizeof(url), "unix:%s", path);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	char err[256];
	struct errcap ec;
	errcap_start(&ec);
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	for (unsigned i = 0; s && i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	sleep_ms(100);   /* the thread is sending, and blocked */
	struct bld_syslog_stats st = { 0 };
	uint64_t t0 = ms_now();
	int rc = s ? bld_syslog_close(s, 500, &st) : 0;
	uint64_t took = ms_now() - t0;
	free(errcap_end(&ec));
	atomic_store(&d.stop, true);
	pthread_join(d.th, NULL);
	close(d.fd);
	unlink(path);
	if (took >= 1500)
		fprintf(stderr, "\n  close(500 ms) took %llu ms: it waited for the receiver to read\n",
			(unsigned long long)took);
	CU_ASSERT(took < 1500);
	CU_ASSERT_EQUAL(rc, -EIO);
	CU_ASSERT(st.lost > 0);
	CU_ASSERT_EQUAL(st.queued, st.sent + st.lost + st.dropped);
	msgs_free(&d.ms);
}

/* ---- two destinations: each its own framing and cut ---- */

static void test_two_destinations(void)
{
	enum { N = 30 };
	uint16_t uport;
	int ufd = udp_rx(&uport);
	struct rx r = { 0 };
	rx_start(&r);
	char u1[64], u2[64];
	snprintf(u1, sizeof(u1), "udp://127.0.0.1:%u", uport);
	snprintf(u2, sizeof(u2), "tcp://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(u1, BLD_SYSLOG_RFC5424);
	o.urls[1] = u2;
	o.n_urls = 2;
	o.max_udp = 512;
	char err[256];
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	struct bld_alert big = long_alert(N);
	size_t full_len;
	char *full = expected(BLD_SYSLOG_RFC5424, &big, &full_len);
	CU_ASSERT(full_len > 512 && full_len < BLD_SYSLOG_MAX_MESSAGE);
	for (unsigned i = 0; i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	bld_syslog_send(s, &big);   /* cut for UDP, whole over TCP */
	struct bld_syslog_stats st = { 0 };
	CU_ASSERT_EQUAL(bld_syslog_close(s, 5000, &st), 0);
	rx_stop(&r);
	CU_ASSERT(st.queued == 2 * (N + 1) && st.sent == 2 * (N + 1) && st.cut == 1);
	struct msgs um = { 0 }, tm = { 0 };
	drain_dgrams(ufd, &um);
	octet_split(r.c[0].b, r.c[0].n, &tm);
	CU_ASSERT_EQUAL_FATAL(um.n, N + 1);
	CU_ASSERT_EQUAL_FATAL(tm.n, N + 1);
	um.n = tm.n = N;
	check_msgs(&um, BLD_SYSLOG_RFC5424, 0, N);
	check_msgs(&tm, BLD_SYSLOG_RFC5424, 0, N);
	um.n = tm.n = N + 1;
	check_cut(um.m[N], um.len[N], full, full_len, 512);
	CU_ASSERT(tm.len[N] == full_len && memcmp(tm.m[N], full, full_len) == 0);
	free(full);
	msgs_free(&um);
	msgs_free(&tm);
	rx_free(&r);
	close(ufd);
}

/* ---- TLS ---- */

static void test_tls_delivery(void)
{
	enum { N = 150 };
	NEED_TLS();
	struct rx r = { .ctx = server_ctx(tf.srv_crt, tf.srv_key, NULL) };
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.ctx);
	rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "tls://127.0.0.1:%u", r.port);
	for (int lf = 0; lf < 2; lf++) {
		struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
		o.ca_file = tf.ca;
		o.lf_framing = lf;
		char err[256];
		struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		for (unsigned i = 0; i < N; i++)
			bld_syslog_send(s, &alerts[i]);
		struct bld_syslog_stats st = { 0 };
		CU_ASSERT_EQUAL(bld_syslog_close(s, 5000, &st), 0);
		CU_ASSERT(st.queued == N && st.sent == N && st.lost == 0);
	}
	rx_stop(&r);
	CU_ASSERT_EQUAL(atomic_load(&r.tls_failed), 0);
	CU_ASSERT_EQUAL_FATAL(r.nconn, 2);
	struct msgs ms = { 0 };
	octet_split(r.c[0].b, r.c[0].n, &ms);
	check_msgs(&ms, BLD_SYSLOG_RFC5424, 0, N);
	msgs_free(&ms);
	lf_split(r.c[1].b, r.c[1].n, &ms);
	check_msgs(&ms, BLD_SYSLOG_RFC5424, 0, N);
	msgs_free(&ms);
	SSL_CTX_free(r.ctx);
	rx_free(&r);
}

/* A certificate the client must refuse: nothing delivered, -EIO, "certificate verify failed: why" on stderr. */
static void tls_refused(const char *crt, const char *key, const char *ca, const char *why)
{
	enum { N = 8 };
	struct rx r = { .ctx = server_ctx(crt, key, NULL) };
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.ctx);
	rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "tls://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	o.ca_file = ca;
	char err[256];
	struct errcap ec;
	errcap_start(&ec);
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	for (unsigned i = 0; s && i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	struct bld_syslog_stats st = { 0 };
	uint64_t t0 = ms_now();
	int rc = s ? bld_syslog_close(s, 700, &st) : 0;
	uint64_t took = ms_now() - t0;
	char *text = errcap_end(&ec);
	rx_stop(&r);
	CU_ASSERT_EQUAL(rc, -EIO);
	CU_ASSERT(took < 2000);
	CU_ASSERT(st.sent == 0 && st.lost == N);
	CU_ASSERT_EQUAL(r.nconn, 0);   /* no handshake completed: not a byte of a message delivered */
	CU_ASSERT(atomic_load(&r.tls_failed) > 0);
	char said[200];
	snprintf(said, sizeof(said), "bollard test: syslog %s: certificate verify failed: %s", url, why);
	if (!strstr(text, said))
		fprintf(stderr, "\n  expected on stderr: %s\n", said);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, said));
	free(text);
	SSL_CTX_free(r.ctx);
	rx_free(&r);
}

static void test_tls_wrong_ca(void)
{
	NEED_TLS();
	tls_refused(tf.srv_crt, tf.srv_key, tf.ca2, "unable to get local issuer certificate");
}

static void test_tls_wrong_name(void)
{
	NEED_TLS();
	tls_refused(tf.other_crt, tf.other_key, tf.ca, "IP address mismatch");
}

static void test_tls_mutual(void)
{
	enum { N = 50 };
	NEED_TLS();
	struct rx r = { .ctx = server_ctx(tf.srv_crt, tf.srv_key, tf.ca) };
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.ctx);
	rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "tls://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_CEF);
	o.ca_file = tf.ca;
	o.cert_file = tf.cli_crt;
	o.key_file = tf.cli_key;
	char err[256];
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (unsigned i = 0; i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	struct bld_syslog_stats st = { 0 };
	CU_ASSERT_EQUAL(bld_syslog_close(s, 5000, &st), 0);
	rx_stop(&r);
	CU_ASSERT(st.sent == N && st.lost == 0);
	CU_ASSERT_EQUAL(atomic_load(&r.tls_failed), 0);
	CU_ASSERT_EQUAL_FATAL(r.nconn, 1);
	struct msgs ms = { 0 };
	octet_split(r.c[0].b, r.c[0].n, &ms);
	check_msgs(&ms, BLD_SYSLOG_CEF, 0, N);
	msgs_free(&ms);
	SSL_CTX_free(r.ctx);
	rx_free(&r);
}

/*
 * A TLS receiver that accepts the TCP connection but never answers the
 * handshake: close(500 ms) must still return in about that time.  The
 * receiver hangs up after 2.5 s, so a close that waits for it ends then.
 */
static void test_tls_stuck_handshake(void)
{
	enum { N = 3 };
	NEED_TLS();
	struct rx r = { .hold_ms = 2500 };
	rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "tls://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	o.ca_file = tf.ca;
	char err[256];
	struct errcap ec;
	errcap_start(&ec);
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	for (unsigned i = 0; s && i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	sleep_ms(100);   /* connected, waiting for the ServerHello */
	struct bld_syslog_stats st = { 0 };
	uint64_t t0 = ms_now();
	int rc = s ? bld_syslog_close(s, 500, &st) : 0;
	uint64_t took = ms_now() - t0;
	free(errcap_end(&ec));
	rx_stop(&r);
	if (took >= 1500)
		fprintf(stderr, "\n  close(500 ms) took %llu ms: it waited in the TLS handshake\n", (unsigned long long)took);
	CU_ASSERT(took < 1500);
	CU_ASSERT_EQUAL(rc, -EIO);
	CU_ASSERT(st.lost == N && st.sent == 0);
	rx_free(&r);
}

/*
 * In a child: the TLS receiver reads 10 messages and closes the connection,
 * then 50 more are sent.  The write that finds the connection closed must
 * fail and be retried on a new connection; it must not raise SIGPIPE (which
 * ends the process: bollard does not ignore SIGPIPE, and a library must not
 * rely on its caller doing so).  What TCP cannot promise is as for TCP above.
 */
static int child_tls_receiver_drops_connection(void)
{
	enum { N1 = 10, N = 60 };
	struct rx r = { .close_after = N1, .ctx = server_ctx(tf.srv_crt, tf.srv_key, NULL) };
	if (!r.ctx)
		return 1;
	rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "tls://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	o.ca_file = tf.ca;
	char err[256];
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	if (!s)
		return 2;
	for (unsigned i = 0; i < N1; i++)
		bld_syslog_send(s, &alerts[i]);
	uint64_t t0 = ms_now();
	while (!atomic_load(&r.first_closed) && ms_now() - t0 < 5000)
		sleep_ms(5);
	if (!atomic_load(&r.first_closed))
		return 3;
	sleep_ms(50);   /* the FIN has arrived */
	for (unsigned i = N1; i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	struct bld_syslog_stats st = { 0 };
	int rc = bld_syslog_close(s, 3000, &st);
	rx_stop(&r);
	if (rc != 0 || st.sent != N || st.lost != 0)
		return 4;
	if (r.nconn != 2)
		return 5;
	struct msgs ms = { 0 };
	octet_split(r.c[1].b, r.c[1].n, &ms);
	int ok = !ms.bad && ms.n > 0 && msg_index(ms.m[ms.n - 1], ms.len[ms.n - 1]) == N - 1 &&
		 msg_index(ms.m[0], ms.len[0]) + (int)ms.n == N;
	msgs_free(&ms);
	return ok ? 0 : 6;
}

static void test_tls_receiver_drops_connection(void)
{
	NEED_TLS();
	run_in_child("TLS receiver closes the connection", child_tls_receiver_drops_connection);
}

/*
 * In a child: the receiver requires a client certificate and the sensor has
 * none.  With TLS 1.3 the client's handshake completes before the server
 * judges its certificate, so the refusal (an alert, then the connection
 * closed) shows only on the next write or read.  Nothing is delivered.  A
 * TLS send is complete when the kernel took the bytes (docs/siem.md), so a
 * message written just before the alert arrives may be counted sent; but
 * every connection here is refused, the module sees each one fail, and not
 * one message reaches the receiver: closing must not report success (0).
 * The process must survive too (no SIGPIPE).
 */
static int child_tls_client_cert_missing(void)
{
	enum { N = 20 };
	struct rx r = { .ctx = server_ctx(tf.srv_crt, tf.srv_key, tf.ca) };
	if (!r.ctx)
		return 1;
	rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "tls://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	o.ca_file = tf.ca;
	char err[256];
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	if (!s)
		return 2;
	for (unsigned i = 0; i < N; i++) {
		bld_syslog_send(s, &alerts[i]);
		sleep_ms(10);
	}
	struct bld_syslog_stats st = { 0 };
	int rc = bld_syslog_close(s, 1000, &st);
	rx_stop(&r);
	fprintf(stderr, "[close %d; queued %llu sent %llu lost %llu, none delivered] ", rc,
		(unsigned long long)st.queued, (unsigned long long)st.sent, (unsigned long long)st.lost);
	if (r.nconn != 0 || atomic_load(&r.tls_failed) == 0)
		return 3;
	if (st.queued != N || st.sent + st.lost + st.dropped != N)
		return 4;
	if (rc != -EIO)
		return 5;
	return 0;
}

static void test_tls_client_cert_missing(void)
{
	NEED_TLS();
	run_in_child("mutual TLS without a client certificate", child_tls_client_cert_missing);
}

/* ---- the sensor's own alerts in RFC 5424: MSGID and count ---- */

/* The MSGID of RFC 5424 message m (its header's sixth field), into id. */
static void msgid_of(const char *m, size_t n, char *id, size_t cap)
{
	size_t i = 0, k = 0;
	for (unsigned sp = 0; i < n && sp < 5; i++)
		sp += m[i] == ' ';
	for (; i < n && m[i] != ' ' && k + 1 < cap; i++)
		id[k++] = m[i];
	id[k] = 0;
}

static bool msgid_is(const char *m, size_t n, const char *want)
{
	char id[64];
	msgid_of(m, n, id, sizeof(id));
	return strcmp(id, want) == 0;
}

/* Its SD-PARAM count="N" (RFC 5424 §6.3.3); -1 when it has none. */
static long long sd_count(const char *m, size_t n)
{
	const char *k = memmem(m, n, " count=\"", 8), *end = m + n;
	if (!k)
		return -1;
	long long v = 0;
	int digits = 0;
	for (k += 8; k < end && *k >= '0' && *k <= '9'; k++, digits++)
		v = v * 10 + (*k - '0');
	return digits && k < end && *k == '"' ? v : -1;
}

/* A view of messages first .. first+n-1 of ms (the pointers shared: not to be freed). */
static struct msgs *msgs_view(const struct msgs *ms, unsigned first, unsigned n)
{
	static struct msgs v;
	memset(&v, 0, sizeof(v));
	for (unsigned i = 0; i < n && first + i < ms->n && first + i < MSGS_MAX; i++) {
		v.m[i] = ms->m[first + i];
		v.len[i] = ms->len[first + i];
		v.n++;
	}
	return &v;
}

/* Message i of ms is exactly alert k's. */
static bool msg_is(const struct msgs *ms, unsigned i, enum bld_syslog_format f, const struct bld_alert *a)
{
	if (i >= ms->n || i >= MSGS_MAX)
		return false;
	size_t len;
	char *e = expected(f, a, &len);
	bool ok = ms->len[i] == len && memcmp(ms->m[i], e, len) == 0;
	free(e);
	return ok;
}

/* ---- a RELP receiver in a thread ---- */

#define RELP_CONNS 4
enum relp_open { RELP_OPEN_OK, RELP_OPEN_SILENT, RELP_OPEN_REFUSE };

struct relp_rx {
	int lfd;
	uint16_t port;
	enum relp_open open;        /* the answer to "open": 200 with the offers, none, or "500 nope" */
	unsigned serverclose_after; /* > 0: on the first connection, after answering this many messages: "0 serverclose 0", FIN, then read what still comes (unanswered) */
	bool second_first;          /* on the first connection: the second message answered, not the first (RELP lets a server answer in any order), then serverclose as above */
	bool refuse_one;            /* the message of alert #refuse is answered "500 error" */
	int refuse;
	atomic_bool stop, refused;  /* refused: that answer was written */
	struct msgs ms;             /* every syslog message, in arrival order, all connections */
	unsigned conn_start[RELP_CONNS + 1];   /* where each connection's messages start in ms */
	unsigned nconn, opens, closes, bad;    /* read after relp_rx_stop */
	char bad_what[200];
	pthread_t th;
};

static void relp_bad(struct relp_rx *r, const char *what, unsigned a, unsigned b)
{
	if (!r->bad++)
		snprintf(r->bad_what, sizeof(r->bad_what), "%s (%u, %u)", what, a, b);
}

/* "TXNR rsp LEN DATA LF", or "TXNR rsp 0 LF" for no DATA. */
static void relp_rsp(int fd, uint32_t txnr, const char *data)
{
	char b[256];
	size_t n = strlen(data);
	int k = n ? snprintf(b, sizeof(b), "%u rsp %zu %s\n", txnr, n, data) : snprintf(b, sizeof(b), "%u rsp 0\n", txnr);
	if (send(fd, b, (size_t)k, MSG_NOSIGNAL) != k)
		return;   /* the sender is gone: it sends again what was not answered */
}

/* One connection: frames read with bld_relp_parse (the code under test, checked by relp_test), TXNR in sequence. */
static void relp_conn(struct relp_rx *r, int fd, unsigned k)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	if (!buf)
		abort();
	uint32_t want = 1;
	bool answering = true;
	unsigned answered = 0;
	for (;;) {
		if (cap - len < 4096) {
			cap *= 2;
			if (!(buf = realloc(buf, cap)))
				abort();
		}
		ssize_t n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		size_t at = 0;
		for (;;) {
			struct bld_relp_frame f;
			long u = bld_relp_parse(buf + at, len - at, &f);
			if (u == 0)
				break;
			if (u < 0) {
				relp_bad(r, "not a RELP frame at byte", (unsigned)at, (unsigned)len);
				goto done;
			}
			at += (size_t)u;
			if (f.txnr != want)
				relp_bad(r, "TXNR, want", f.txnr, want);
			want = bld_relp_next(f.txnr);
			if (strcmp(f.cmd, "open") == 0) {
				r->opens++;
				if (f.txnr != 1 || !memmem(f.data, f.datalen, "relp_version=0", 14) ||
				    !memmem(f.data, f.datalen, "commands=syslog", 15))
					relp_bad(r, "open offer", f.txnr, (unsigned)f.datalen);
				if (r->open == RELP_OPEN_OK)
					relp_rsp(fd, f.txnr, "200 OK\nrelp_version=0\ncommands=syslog");
				else if (r->open == RELP_OPEN_REFUSE)
					relp_rsp(fd, f.txnr, "500 nope");
			} else if (strcmp(f.cmd, "syslog") == 0) {
				msgs_add(&r->ms, f.data, f.datalen);
				if (!answering)
					continue;
				if (k == 0 && r->second_first && r->ms.n - r->conn_start[0] == 1)
					continue;   /* the first waits */
				bool no = r->refuse_one && msg_index(f.data, f.datalen) == r->refuse;
				relp_rsp(fd, f.txnr, no ? "500 error" : "200 OK");
				if (no)
					atomic_store(&r->refused, true);
				if (k == 0 && (r->second_first || r->serverclose_after) &&
				    (r->second_first || ++answered == r->serverclose_after)) {
					static const char sc[] = "0 serverclose 0\n";
					if (send(fd, sc, sizeof(sc) - 1, MSG_NOSIGNAL) < 0)
						break;
					shutdown(fd, SHUT_WR);
					answering = false;
				}
			} else if (strcmp(f.cmd, "close") == 0) {
				r->closes++;
				if (answering)
					relp_rsp(fd, f.txnr, "");
			} else {
				relp_bad(r, "unknown command of TXNR, length", f.txnr, (unsigned)strlen(f.cmd));
			}
		}
		memmove(buf, buf + at, len - at);
		len -= at;
	}
done:
	free(buf);
}

static void *relp_thread(void *arg)
{
	struct relp_rx *r = arg;
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	while (!atomic_load(&r->stop)) {
		struct pollfd p = { .fd = r->lfd, .events = POLLIN };
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(r->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		struct timeval tv = { .tv_sec = 8 };   /* a safety net: a test never waits forever */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (r->nconn < RELP_CONNS) {
			unsigned k = r->nconn++;
			r->conn_start[k] = r->ms.n;
			relp_conn(r, fd, k);
			r->conn_start[k + 1] = r->ms.n;
		}
		close(fd);
	}
	return NULL;
}

static void relp_rx_start(struct relp_rx *r)
{
	r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(sa);
	if (r->lfd < 0 || bind(r->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(r->lfd, (struct sockaddr *)&sa, &l) != 0 || listen(r->lfd, 16) != 0 ||
	    pthread_create(&r->th, NULL, relp_thread, r) != 0) {
		perror("relp_rx_start");
		abort();
	}
	r->port = ntohs(sa.sin_port);
}

static void relp_rx_stop(struct relp_rx *r)
{
	atomic_store(&r->stop, true);
	pthread_join(r->th, NULL);
	close(r->lfd);
	if (r->bad)
		fprintf(stderr, "\n  the RELP receiver saw %u protocol errors, the first: %s\n", r->bad, r->bad_what);
}

/* Messages on connection k. */
static unsigned relp_conn_msgs(const struct relp_rx *r, unsigned k)
{
	return k < r->nconn ? r->conn_start[k + 1] - r->conn_start[k] : 0;
}

/* Wait (at most ms) for flag. */
static bool wait_flag(atomic_bool *flag, unsigned ms)
{
	uint64_t t0 = ms_now();
	while (!atomic_load(flag) && ms_now() - t0 < ms)
		sleep_ms(5);
	return atomic_load(flag);
}

/* ---- RELP ---- */

/* Every message answered "200 OK": each arrives once, in order, byte for byte; the session opened and closed. */
static void test_relp_delivery(void)
{
	enum { N = 300 };
	static struct relp_rx r;
	memset(&r, 0, sizeof(r));
	relp_rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "relp://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	char err[256];
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (unsigned i = 0; i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	struct bld_syslog_stats st = { 0 };
	CU_ASSERT_EQUAL(bld_syslog_close(s, 5000, &st), 0);
	relp_rx_stop(&r);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT(r.nconn == 1 && r.opens == 1 && r.closes == 1);
	check_msgs(&r.ms, BLD_SYSLOG_RFC5424, 0, N);
	CU_ASSERT(st.queued == N && st.sent == N);
	CU_ASSERT(st.lost == 0 && st.dropped == 0 && st.resent == 0 && st.reconnects == 0 && st.retries == 0);
	msgs_free(&r.ms);
}

/*
 * The receiver answers the first K messages, then says "0 serverclose 0"
 * and hangs up (reading, unanswered, what was already on its way); the
 * next connection answers everything.  The K answered are not sent again;
 * every one after them is, on the new connection, in order, to the last:
 * so nothing is missing, and what came twice is what came unanswered on the
 * first connection, no more than what the module counts as resent.
 */
static void test_relp_serverclose(void)
{
	enum { K = 50, N = 300 };
	static struct relp_rx r;
	memset(&r, 0, sizeof(r));
	r.serverclose_after = K;
	relp_rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "relp://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	char err[256];
	struct errcap ec;
	errcap_start(&ec);
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	for (unsigned i = 0; s && i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	struct bld_syslog_stats st = { 0 };
	int rc = s ? bld_syslog_close(s, 5000, &st) : -1;
	free(errcap_end(&ec));
	relp_rx_stop(&r);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT_EQUAL_FATAL(r.nconn, 2);
	unsigned a = relp_conn_msgs(&r, 0), b = relp_conn_msgs(&r, 1);
	CU_ASSERT(a >= K);
	check_msgs(msgs_view(&r.ms, 0, a), BLD_SYSLOG_RFC5424, 0, a);
	/* the second connection: from the first unanswered one to the last, each once */
	CU_ASSERT_EQUAL(b, N - K);
	check_msgs(msgs_view(&r.ms, a, b), BLD_SYSLOG_RFC5424, K, N - K);
	CU_ASSERT(st.queued == N && st.sent == N && st.lost == 0 && st.dropped == 0);
	CU_ASSERT_EQUAL(st.reconnects, 1);
	/* written on the first connection and unanswered: sent again; the receiver saw a - K of them there */
	CU_ASSERT(st.resent >= a - K && st.resent <= N - K);
	CU_ASSERT(r.opens == 2 && r.closes == 1);
	msgs_free(&r.ms);
}

/*
 * RELP lets a server answer in any order (librelp's doc/relp.html: "The
 * server may reply in any order").  The receiver answers the second message
 * and not the first, then goes down (serverclose).  Both are sent again on
 * the next connection, which answers everything in order: that must be
 * the only break (one reconnect, two connections), every message delivered.
 */
static void test_relp_out_of_order_then_serverclose(void)
{
	enum { N = 20 };
	static struct relp_rx r;
	memset(&r, 0, sizeof(r));
	r.second_first = true;
	relp_rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "relp://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	char err[256];
	struct errcap ec;
	errcap_start(&ec);
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	for (unsigned i = 0; s && i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	struct bld_syslog_stats st = { 0 };
	int rc = s ? bld_syslog_close(s, 5000, &st) : -1;
	free(errcap_end(&ec));
	relp_rx_stop(&r);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT(st.queued == N && st.sent == N && st.lost == 0);
	/* every message at least once */
	static bool seen[N];
	memset(seen, 0, sizeof(seen));
	for (unsigned i = 0; i < r.ms.n && i < MSGS_MAX; i++) {
		int k = msg_index(r.ms.m[i], r.ms.len[i]);
		if (k >= 0 && k < N)
			seen[k] = true;
	}
	unsigned missing = 0;
	for (unsigned i = 0; i < N; i++)
		missing += !seen[i];
	CU_ASSERT_EQUAL(missing, 0);
	if (r.nconn != 2)
		fprintf(stderr, "\n  %u connections, %llu reconnects: the answer to the resent second message broke the "
				"next connection too\n",
			r.nconn, (unsigned long long)st.reconnects);
	CU_ASSERT_EQUAL(r.nconn, 2);
	CU_ASSERT_EQUAL(st.reconnects, 1);
	msgs_free(&r.ms);
}

/*
 * The receiver refuses one message ("500 error"): it is not sent again,
 * counted lost; close says -EIO.  The refusal is known before the next
 * message is offered, so a sensor.export_loss alert with count 1 comes
 * right before that next message; the rest arrive in order.
 */
static void test_relp_refused_message(void)
{
	enum { R = 20, N = 60 };
	static struct relp_rx r;
	memset(&r, 0, sizeof(r));
	r.refuse_one = true;
	r.refuse = R;
	relp_rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "relp://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	char err[256];
	struct errcap ec;
	errcap_start(&ec);
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	for (unsigned i = 0; s && i <= R; i++)
		bld_syslog_send(s, &alerts[i]);
	bool refused = wait_flag(&r.refused, 5000);
	sleep_ms(200);   /* the answer has reached the module (it looks every 10 ms) */
	for (unsigned i = R + 1; s && i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	struct bld_syslog_stats st = { 0 };
	int rc = s ? bld_syslog_close(s, 5000, &st) : 0;
	char *text = errcap_end(&ec);
	relp_rx_stop(&r);
	CU_ASSERT(refused);
	CU_ASSERT_EQUAL(rc, -EIO);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT_EQUAL(r.nconn, 1);
	CU_ASSERT_EQUAL(st.lost, 1);
	CU_ASSERT_EQUAL(st.reports, 1);
	CU_ASSERT(st.queued == N + 1 && st.sent == N && st.dropped == 0 && st.resent == 0);
	/* 0 .. R (R refused, but it came), the report, R+1 .. N-1 */
	CU_ASSERT_EQUAL_FATAL(r.ms.n, N + 1);
	check_msgs(msgs_view(&r.ms, 0, R + 1), BLD_SYSLOG_RFC5424, 0, R + 1);
	CU_ASSERT(msgid_is(r.ms.m[R + 1], r.ms.len[R + 1], "sensor.export_loss"));
	CU_ASSERT_EQUAL(sd_count(r.ms.m[R + 1], r.ms.len[R + 1]), 1);
	check_msgs(msgs_view(&r.ms, R + 2, N - R - 1), BLD_SYSLOG_RFC5424, R + 1, N - R - 1);
	char said[300];
	snprintf(said, sizeof(said), "bollard test: syslog %s: the receiver refused a message: 500 error", url);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, said));
	snprintf(said, sizeof(said), "bollard test: syslog %s: 1 of %u messages not delivered (0 dropped, queue full; 1 lost",
		 url, N + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, said));
	free(text);
	msgs_free(&r.ms);
}

/* A receiver that refuses the session ("500 nope"): nothing sent, -EIO at the timeout, the refusal on stderr. */
static void test_relp_open_refused(void)
{
	enum { N = 5 };
	static struct relp_rx r;
	memset(&r, 0, sizeof(r));
	r.open = RELP_OPEN_REFUSE;
	relp_rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "relp://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	char err[256];
	struct errcap ec;
	errcap_start(&ec);
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	for (unsigned i = 0; s && i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	struct bld_syslog_stats st = { 0 };
	uint64_t t0 = ms_now();
	int rc = s ? bld_syslog_close(s, 700, &st) : 0;
	uint64_t took = ms_now() - t0;
	char *text = errcap_end(&ec);
	relp_rx_stop(&r);
	CU_ASSERT_EQUAL(rc, -EIO);
	CU_ASSERT(took >= 600 && took < 2000);
	CU_ASSERT(st.lost == N && st.sent == 0 && st.resent == 0);
	CU_ASSERT(r.opens >= 1 && r.ms.n == 0);
	CU_ASSERT_EQUAL(r.bad, 0);
	char said[300];
	snprintf(said, sizeof(said), "bollard test: syslog %s: the RELP receiver refused the session: 500 nope", url);
	if (!strstr(text, said))
		fprintf(stderr, "\n  expected on stderr: %s\n", said);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, said));
	free(text);
	msgs_free(&r.ms);
}

/*
 * A receiver that accepts the connection and never answers "open": close
 * with a 500 ms timeout must return in about that time (as it does for a
 * TLS handshake never answered), with every message lost and the reason on
 * stderr.
 */
static void test_relp_open_unanswered(void)
{
	enum { N = 5 };
	static struct relp_rx r;
	memset(&r, 0, sizeof(r));
	r.open = RELP_OPEN_SILENT;
	relp_rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "relp://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	char err[256];
	struct errcap ec;
	errcap_start(&ec);
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	for (unsigned i = 0; s && i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	sleep_ms(100);   /* connected, the offer sent, waiting for the answer */
	struct bld_syslog_stats st = { 0 };
	uint64_t t0 = ms_now();
	int rc = s ? bld_syslog_close(s, 500, &st) : 0;
	uint64_t took = ms_now() - t0;
	char *text = errcap_end(&ec);
	relp_rx_stop(&r);
	if (took >= 1500)
		fprintf(stderr, "\n  close(500 ms) took %llu ms: it waited for the answer to RELP open\n",
			(unsigned long long)took);
	CU_ASSERT(took < 1500);
	CU_ASSERT_EQUAL(rc, -EIO);
	CU_ASSERT(st.lost == N && st.sent == 0);
	CU_ASSERT(r.opens >= 1 && r.ms.n == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "no answer to RELP open"));
	free(text);
	msgs_free(&r.ms);
}

/* ---- losses reported: sensor.export_loss ---- */

/*
 * A TCP receiver that reads nothing for 400 ms (its receive buffer small,
 * so the sender blocks at once) and a 20 KiB queue: of N alerts offered in
 * a burst most are dropped.  Once the receiver has read everything, one
 * more alert is offered: the loss report goes before it.  Exact accounting:
 * what arrived plus what was dropped is what was offered; the counts in the
 * sensor.export_loss alerts add up to the drops; each report counts the
 * alerts missing before it and none missing after the next alert that
 * arrived.
 */
static void test_tcp_loss_reports(void)
{
	enum { N = 1000 };
	struct rx r = { .read_delay_ms = 400, .rcvbuf = 4096 };
	rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	o.queue_bytes = 20 << 10;
	char err[256];
	struct errcap ec;
	errcap_start(&ec);
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	for (unsigned i = 0; s && i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	/* the receiver wakes and reads all: wait until nothing has come for 300 ms */
	uint64_t t0 = ms_now();
	unsigned long last = 0;
	unsigned quiet = 0;
	while (ms_now() - t0 < 10000 && quiet < 6) {
		sleep_ms(50);
		unsigned long got = atomic_load(&r.got);
		quiet = got && got == last ? quiet + 1 : 0;
		last = got;
	}
	if (s)
		bld_syslog_send(s, &alerts[N]);   /* the queue has room: the report, then this one */
	struct bld_syslog_stats st = { 0 };
	int rc = s ? bld_syslog_close(s, 5000, &st) : 0;
	free(errcap_end(&ec));
	rx_stop(&r);
	CU_ASSERT_EQUAL(rc, -EIO);
	CU_ASSERT_EQUAL_FATAL(r.nconn, 1);
	struct msgs ms = { 0 };
	octet_split(r.c[0].b, r.c[0].n, &ms);
	CU_ASSERT(!ms.bad && ms.tail == 0);
	CU_ASSERT(st.dropped > 0 && st.lost == 0 && st.resent == 0);
	unsigned regular = 0, reports = 0, wrong = 0;
	unsigned long long reported = 0;
	int prev = -1;
	for (unsigned i = 0; i < ms.n && i < MSGS_MAX; i++) {
		int k = msg_index(ms.m[i], ms.len[i]);
		if (k < 0) {
			long long c = sd_count(ms.m[i], ms.len[i]);
			if (!msgid_is(ms.m[i], ms.len[i], "sensor.export_loss") || c <= 0) {
				wrong++;
				continue;
			}
			reports++;
			reported += (unsigned long long)c;
			/* missing so far: below the previous one that came, all counted; below the next one, no more */
			int next = -1;
			for (unsigned j = i + 1; j < ms.n && next < 0; j++)
				next = msg_index(ms.m[j], ms.len[j]);
			unsigned long long lo = (unsigned long long)(prev + 1) - regular;
			unsigned long long hi = next >= 0 ? (unsigned long long)next - regular : (unsigned long long)N + 1 - regular;
			if (reported < lo || reported > hi) {
				fprintf(stderr, "\n  report %u (count %lld) after alert %d, before %d: %llu reported, missing %llu .. %llu\n",
					reports, c, prev, next, reported, lo, hi);
				wrong++;
			}
			continue;
		}
		if (k <= prev || k > N || !msg_is(&ms, i, BLD_SYSLOG_RFC5424, &alerts[k]))
			wrong++;
		prev = k;
		regular++;
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(prev, N);   /* the last one offered came last */
	CU_ASSERT_EQUAL(regular + st.dropped, N + 1);
	CU_ASSERT(reports >= 1 && reports == st.reports);
	CU_ASSERT_EQUAL(reported, st.dropped);
	CU_ASSERT(st.sent == ms.n && st.queued == N + 1 + st.reports);
	msgs_free(&ms);
	rx_free(&r);
}

/* ---- the disk spool ---- */

/* A fresh directory for spools in the private directory (remove it with rmdir: it must be empty by then). */
static const char *spool_dir(const char *name)
{
	const char *p = tmp_path(name);
	CU_ASSERT_FATAL(mkdir(p, 0700) == 0);
	return p;
}

/* DIR/NAME.spool for url: the URL with everything but letters, digits, '.' and '-' as '_'. */
static const char *spool_file(const char *dir, const char *url)
{
	static char p[600];
	int n = snprintf(p, sizeof(p), "%s/", dir);
	for (const char *c = url; *c && n < (int)sizeof(p) - 8; c++)
		p[n++] = (char)((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
						*c == '.' || *c == '-'
					? *c
					: '_');
	snprintf(p + n, sizeof(p) - (size_t)n, ".spool");
	return p;
}

static bool file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/*
 * The receiver is down at start, the queue holds 2 KiB: most alerts go to
 * the spool.  Once the receiver is up every one arrives, in order; none is
 * dropped; the spool file is gone at close.
 */
static void test_spool_outage(void)
{
	enum { N = 300 };
	struct rx r = { .listen_delay_ms = 150 };
	rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", r.port);
	const char *dir = spool_dir("spool-outage");
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	o.queue_bytes = 2048;
	o.spool_dir = dir;
	char err[256];
	struct errcap ec;
	errcap_start(&ec);
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	CU_ASSERT(file_exists(spool_file(dir, url)));
	for (unsigned i = 0; s && i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	struct bld_syslog_stats st = { 0 };
	int rc = s ? bld_syslog_close(s, 5000, &st) : -1;
	free(errcap_end(&ec));
	rx_stop(&r);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(r.nconn, 1);
	struct msgs ms = { 0 };
	octet_split(r.c[0].b, r.c[0].n, &ms);
	check_msgs(&ms, BLD_SYSLOG_RFC5424, 0, N);
	CU_ASSERT(st.spooled > 0 && st.spooled < N);
	CU_ASSERT(st.queued == N && st.sent == N && st.dropped == 0 && st.lost == 0 && st.kept == 0);
	CU_ASSERT_FALSE(file_exists(spool_file(dir, url)));
	CU_ASSERT_EQUAL(rmdir(dir), 0);   /* nothing else left in it */
	msgs_free(&ms);
	rx_free(&r);
}

/*
 * No receiver for a whole run: close gives up, -EIO, every message kept in
 * the spool.  The next run, with the receiver up, delivers those first,
 * then its own, in order, and removes the file.
 */
static void test_spool_across_runs(void)
{
	enum { N = 50, M = 30 };
	struct rx r = { .manual_listen = true };
	rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", r.port);
	const char *dir = spool_dir("spool-runs");
	char file[600];
	snprintf(file, sizeof(file), "%s", spool_file(dir, url));
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	o.spool_dir = dir;
	char err[256];
	struct errcap ec;
	errcap_start(&ec);
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	for (unsigned i = 0; s && i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	struct bld_syslog_stats st = { 0 };
	int rc = s ? bld_syslog_close(s, 300, &st) : 0;
	char *text = errcap_end(&ec);
	CU_ASSERT_EQUAL(rc, -EIO);
	CU_ASSERT(st.queued == N && st.kept == N && st.sent == 0 && st.lost == 0 && st.dropped == 0);
	CU_ASSERT(file_exists(file));
	char said[900];
	snprintf(said, sizeof(said), "%u kept in %s for the next run", N, file);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, said));
	free(text);

	rx_listen(&r);
	errcap_start(&ec);
	s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	for (unsigned i = N; s && i < N + M; i++)
		bld_syslog_send(s, &alerts[i]);
	memset(&st, 0, sizeof(st));
	rc = s ? bld_syslog_close(s, 5000, &st) : -1;
	text = errcap_end(&ec);
	rx_stop(&r);
	CU_ASSERT_EQUAL(rc, 0);
	snprintf(said, sizeof(said), "%u messages of an earlier run wait in %s: they go first", N, file);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, said));
	free(text);
	CU_ASSERT(st.queued == N + M && st.sent == N + M && st.lost == 0 && st.dropped == 0 && st.kept == 0);
	CU_ASSERT_EQUAL(r.nconn, 1);
	struct msgs ms = { 0 };
	octet_split(r.c[0].b, r.c[0].n, &ms);
	check_msgs(&ms, BLD_SYSLOG_RFC5424, 0, N + M);
	CU_ASSERT_FALSE(file_exists(file));
	CU_ASSERT_EQUAL(rmdir(dir), 0);
	msgs_free(&ms);
	rx_free(&r);
}

/* ---- the rate cap: sensor.export_rate ---- */

/*
 * rate 5: 12 alerts in one second of packet time, 3 in the next, 8 in the
 * one after.  5, 3 and 5 are sent; the 7 held back are summed up when the
 * next second begins (before its first alert), the last 3 at close.
 */
static void test_rate_cap(void)
{
	enum { N = 23 };
	static const unsigned sec_of[N] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2 };
	struct bld_alert a[N];
	const uint64_t base = 1715666436000000000ull;
	for (unsigned i = 0; i < N; i++) {
		a[i] = alerts[i];
		a[i].first_ns = a[i].last_ns = base + sec_of[i] * 1000000000ull + i * 1000000ull;
	}
	struct rx r = { 0 };
	rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	o.rate = 5;
	char err[256];
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (unsigned i = 0; i < N; i++)
		bld_syslog_send(s, &a[i]);
	struct bld_syslog_stats st = { 0 };
	CU_ASSERT_EQUAL(bld_syslog_close(s, 5000, &st), 0);
	rx_stop(&r);
	/* what must arrive: alert index, or -(count) for a summary */
	static const int want[] = { 0, 1, 2, 3, 4, -7, 12, 13, 14, 15, 16, 17, 18, 19, -3 };
	struct msgs ms = { 0 };
	octet_split(r.c[0].b, r.c[0].n, &ms);
	CU_ASSERT_EQUAL_FATAL(ms.n, BLD_TEST_COUNT(want));
	unsigned wrong = 0;
	for (unsigned i = 0; i < ms.n; i++) {
		bool ok = want[i] >= 0 ? msg_is(&ms, i, BLD_SYSLOG_RFC5424, &a[want[i]])
				       : msgid_is(ms.m[i], ms.len[i], "sensor.export_rate") &&
						 sd_count(ms.m[i], ms.len[i]) == -want[i];
		if (!ok) {
			if (!wrong)
				fprintf(stderr, "\n  message %u, want %d: %.*s\n", i, want[i], (int)ms.len[i], ms.m[i]);
			wrong++;
		}
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(st.suppressed, 10);
	CU_ASSERT(st.queued == 15 && st.sent == 15 && st.dropped == 0 && st.lost == 0 && st.reports == 0);
	msgs_free(&ms);
	rx_free(&r);
}

/* ---- a TCP receiver gone mid-stream, everything offered at once ---- */

/*
 * The receiver reads 100 frames while 1000 are on their way, then closes
 * its side (FIN) and reads what still comes to its end.  The module sees
 * the close and sends again, on a new connection, every message whose last
 * byte the receiver's kernel had not acknowledged (when it had all of them
 * already, there is no second connection).  Nothing is missing; a message
 * may come twice (written before the module saw the close, read by the
 * receiver, not yet acknowledged), and then it is counted resent.
 *
 * (A receiver that close()s with bytes unread resets the connection and
 * loses those bytes unseen, although its kernel acknowledged them: that
 * TCP cannot tell, syslog_out.h says so, and it is not tested here.)
 */
static void test_tcp_receiver_closes_mid_stream(void)
{
	enum { M = 100, N = 1000 };
	struct rx r = { .close_after = M, .fin_after = true };
	rx_start(&r);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", r.port);
	struct bld_syslog_options o = opts(url, BLD_SYSLOG_RFC5424);
	char err[256];
	struct errcap ec;
	errcap_start(&ec);
	struct bld_syslog *s = bld_syslog_open(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s);
	for (unsigned i = 0; s && i < N; i++)
		bld_syslog_send(s, &alerts[i]);
	struct bld_syslog_stats st = { 0 };
	int rc = s ? bld_syslog_close(s, 5000, &st) : -1;
	free(errcap_end(&ec));
	rx_stop(&r);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(st.queued == N && st.sent == N && st.lost == 0 && st.dropped == 0);
	CU_ASSERT_FATAL(r.nconn == 1 || r.nconn == 2);
	CU_ASSERT_EQUAL(st.reconnects, r.nconn - 1);
	struct msgs first = { 0 }, second = { 0 };
	octet_split(r.c[0].b, r.c[0].n, &first);
	CU_ASSERT(first.n >= M);
	first.tail = 0;   /* the module's reset may cut the last frame written on the first connection */
	check_msgs(&first, BLD_SYSLOG_RFC5424, 0, first.n);
	if (r.nconn == 1) {   /* the receiver had everything before the module saw its close */
		CU_ASSERT_EQUAL(first.n, N);
		CU_ASSERT_EQUAL(st.resent, 0);
	} else {
		octet_split(r.c[1].b, r.c[1].n, &second);
		CU_ASSERT(!second.bad && second.tail == 0);
		CU_ASSERT_FATAL(second.n > 0);
		int start = msg_index(second.m[0], second.len[0]);
		CU_ASSERT(start >= 0 && (unsigned)start <= first.n);   /* no gap */
		if (start >= 0 && (unsigned)start <= first.n) {
			check_msgs(&second, BLD_SYSLOG_RFC5424, (unsigned)start, N - (unsigned)start);   /* to the last, once */
			unsigned twice = first.n - (unsigned)start;
			CU_ASSERT(st.resent >= twice && st.resent <= N - (unsigned)start);
			fprintf(stderr, "[first connection %u, second from %d: %u came twice, %llu resent] ", first.n, start,
				twice, (unsigned long long)st.resent);
		}
	}
	msgs_free(&first);
	msgs_free(&second);
	rx_free(&r);
}

int main(void)
{
	init_alerts();
	static const struct bld_test_case tests[] = {
		{ "URL errors name --syslog and the URL", test_url_errors },
		{ "good URLs open, close without traffic", test_url_accepted },
		{ "TLS option errors name the option", test_tls_option_errors },
		{ "TCP: octet counting, order, exact messages", test_tcp_octet_counting },
		{ "TCP: LF framing, every format", test_tcp_lf_framing },
		{ "TCP: a message over 64 KiB is cut cleanly", test_tcp_long_message_cut },
		{ "TCP: receiver down at start, up after 300 ms", test_tcp_receiver_late },
		{ "TCP: receiver never there: -EIO at the timeout", test_tcp_receiver_absent },
		{ "queue full: dropped counted exactly", test_queue_full },
		{ "TCP: receiver drops the connection mid-stream", test_tcp_receiver_drops_connection },
		{ "TCP: four threads sending at once", test_tcp_concurrent_senders },
		{ "UDP: datagrams, cut at max_udp with U+2026", test_udp },
		{ "UDP: default max 2048, message past 64 KiB", test_udp_default_max },
		{ "UDP: refused datagrams counted lost", test_udp_refused },
		{ "unix datagram socket in $TMPDIR", test_unix_dgram },
		{ "unix socket absent: -EIO at the timeout", test_unix_absent },
		{ "unix receiver stuck: close keeps its timeout", test_unix_stuck_receiver },
		{ "two destinations: own framing and cut each", test_two_destinations },
		{ "TLS: delivery with the right CA, octet and LF", test_tls_delivery },
		{ "TLS: certificate from another CA refused", test_tls_wrong_ca },
		{ "TLS: certificate naming another host refused", test_tls_wrong_name },
		{ "TLS: mutual TLS, client certificate required", test_tls_mutual },
		{ "TLS: handshake never answered: close keeps its timeout", test_tls_stuck_handshake },
		{ "TLS: receiver drops the connection (no SIGPIPE)", test_tls_receiver_drops_connection },
		{ "TLS: client certificate required, none given", test_tls_client_cert_missing },
		{ "RELP: every message answered, once, in order", test_relp_delivery },
		{ "RELP: serverclose mid-stream: the unanswered sent again", test_relp_serverclose },
		{ "RELP: answers out of order, then serverclose", test_relp_out_of_order_then_serverclose },
		{ "RELP: a refused message is lost and reported", test_relp_refused_message },
		{ "RELP: session refused: -EIO at the timeout", test_relp_open_refused },
		{ "RELP: open never answered: close keeps its timeout", test_relp_open_unanswered },
		{ "TCP: slow receiver, small queue: losses reported exactly", test_tcp_loss_reports },
		{ "spool: receiver down, queue tiny: all delivered in order", test_spool_outage },
		{ "spool: kept across runs, delivered first next run", test_spool_across_runs },
		{ "rate cap: 5 per second, summaries count the rest", test_rate_cap },
		{ "TCP: receiver closes mid-stream: nothing missing", test_tcp_receiver_closes_mid_stream },
	};
	int rc = bld_test_run("export/syslog_out", tests, BLD_TEST_COUNT(tests));
	tls_fixtures_free();
	tmp_cleanup();
	return rc;
}
