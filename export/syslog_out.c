/* SPDX-License-Identifier: BSD-3-Clause */
#include "syslog_out.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define CONNECT_TIMEOUT_MS 3000
#define IO_TIMEOUT_MS 1000             /* a receiver that stops reading: the connection is dropped, not the worker */
#define TLS_PROBE_MS 200               /* after a handshake: time for a receiver to refuse us (TLS 1.3 alerts come late) */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 30000

enum transport { T_UDP, T_TCP, T_TLS, T_UNIX };
static const char *const transport_names[] = { "udp", "tcp", "tls", "unix" };

/* A queued message: the bytes as they go on the wire, without framing. */
struct msg {
	struct msg *next;
	size_t len;
	char data[];
};

struct dest {
	struct bld_syslog *owner;
	char url[300];
	enum transport t;
	char host[256], port[8], path[108];
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	/* the queue, shared with producers */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct msg *head, *tail;
	size_t bytes;
	bool stop;
	uint64_t deadline_ms;          /* when stopping: give up on a receiver that is down after this */
	pthread_t thread;
	bool started;
	/* the thread's own */
	uint32_t backoff_ms;
	bool failing;                  /* the last attempt failed (said once until it works again) */
	struct bld_syslog_stats st;
};

struct bld_syslog {
	struct bld_syslog_options o;
	char hostname[256];
	pthread_mutex_t fmt_lock;
	char fmt[BLD_SYSLOG_MAX_MESSAGE + 1];   /* the formatting buffer */
	struct dest d[BLD_SYSLOG_MAX_DESTS];
	unsigned n;
};

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* "udp://host:514", "tcp://[::1]:6514", "unix:/dev/log" */
static int parse_url(struct dest *d, const char *url, char *err, size_t err_len)
{
	snprintf(d->url, sizeof(d->url), "%s", url);
	if (strncmp(url, "unix:", 5) == 0) {
		d->t = T_UNIX;
		if (!url[5] || strlen(url + 5) >= sizeof(d->path)) {
			snprintf(err, err_len, "--syslog %s: expected unix:PATH (a socket path)", url);
			return -1;
		}
		snprintf(d->path, sizeof(d->path), "%s", url + 5);
		return 0;
	}
	const char *rest = NULL;
	for (unsigned i = 0; i < 3 && !rest; i++) {
		size_t n = strlen(transport_names[i]);
		if (strncmp(url, transport_names[i], n) == 0 && strncmp(url + n, "://", 3) == 0) {
			d->t = (enum transport)i;
			rest = url + n + 3;
		}
	}
	if (!rest) {
		snprintf(err, err_len, "--syslog %s: expected udp://HOST:PORT, tcp://HOST:PORT, tls://HOST:PORT or unix:PATH",
			 url);
		return -1;
	}
	const char *colon;
	if (*rest == '[') {   /* [IPv6]:port */
		const char *close = strchr(rest, ']');
		if (!close || close == rest + 1 || close[1] != ':' || (size_t)(close - rest - 1) >= sizeof(d->host))
			goto bad;
		memcpy(d->host, rest + 1, (size_t)(close - rest - 1));
		d->host[close - rest - 1] = 0;
		colon = close + 1;
	} else {
		colon = strrchr(rest, ':');
		if (!colon || colon == rest || (size_t)(colon - rest) >= sizeof(d->host) || memchr(rest, ':', (size_t)(colon - rest)))
			goto bad;
		memcpy(d->host, rest, (size_t)(colon - rest));
		d->host[colon - rest] = 0;
	}
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port == 0 || port > 65535)
		goto bad;
	snprintf(d->port, sizeof(d->port), "%lu", port);
	return 0;
bad:
	snprintf(err, err_len, "--syslog %s: expected %s://HOST:PORT (IPv6 as [addr]:PORT)", url, transport_names[d->t]);
	return -1;
}

static const char *tls_error(void)
{
	static __thread char buf[256];
	unsigned long e = ERR_get_error();
	if (!e)
		return errno ? strerror(errno) : "TLS connection closed by the receiver";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

static int tls_setup(struct dest *d, const struct bld_syslog_options *o, char *err, size_t err_len)
{
	d->ctx = SSL_CTX_new(TLS_client_method());
	if (!d->ctx) {
		snprintf(err, err_len, "--syslog %s: %s", d->url, tls_error());
		return -1;
	}
	SSL_CTX_set_min_proto_version(d->ctx, TLS1_2_VERSION);   /* RFC 5425 as updated by RFC 9662 */
	SSL_CTX_set_verify(d->ctx, SSL_VERIFY_PEER, NULL);
	int ok = o->ca_file ? SSL_CTX_load_verify_locations(d->ctx, o->ca_file, NULL)
			    : SSL_CTX_set_default_verify_paths(d->ctx);
	if (ok != 1) {
		snprintf(err, err_len, "--syslog-ca %s: %s", o->ca_file ? o->ca_file : "(system)", tls_error());
		return -1;
	}
	if (o->cert_file || o->key_file) {
		if (!o->cert_file || !o->key_file) {
			snprintf(err, err_len, "--syslog-cert and --syslog-key go together");
			return -1;
		}
		if (SSL_CTX_use_certificate_chain_file(d->ctx, o->cert_file) != 1) {
			snprintf(err, err_len, "--syslog-cert %s: %s", o->cert_file, tls_error());
			return -1;
		}
		if (SSL_CTX_use_PrivateKey_file(d->ctx, o->key_file, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(d->ctx) != 1) {
			snprintf(err, err_len, "--syslog-key %s: %s", o->key_file, tls_error());
			return -1;
		}
	}
	return 0;
}

/*
 * The end of a run: close as RFC 5425 §4.4 asks, close_notify first, then
 * our half of the TCP connection, then read what the receiver still sends
 * (TLS 1.3 session tickets) until it closes too.  Closing a socket with
 * unread bytes makes the kernel reset it, and a receiver that reads slowly
 * would lose what it had not read yet.
 */
static void disconnect_gently(struct dest *d)
{
	if (d->fd < 0)
		return;
	if (d->ssl)
		SSL_shutdown(d->ssl);
	shutdown(d->fd, SHUT_WR);
	uint64_t until = now_ms() + IO_TIMEOUT_MS;
	char sink[4096];
	for (uint64_t now = now_ms(); now < until; now = now_ms()) {
		struct pollfd p = { .fd = d->fd, .events = POLLIN };
		if (poll(&p, 1, (int)(until - now)) <= 0 || read(d->fd, sink, sizeof(sink)) <= 0)
			break;
	}
}

static void disconnect(struct dest *d)
{
	if (d->ssl) {
		SSL_shutdown(d->ssl);
		SSL_free(d->ssl);
		d->ssl = NULL;
	}
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

/* Say a failure once per run of failures; the thread keeps retrying. */
static void fail(struct dest *d, const char *what)
{
	if (!d->failing)
		fprintf(stderr, "bollard %s: syslog %s: %s; messages wait and the connection is retried\n",
			d->owner->o.cmd ? d->owner->o.cmd : "read", d->url, what);
	d->failing = true;
	disconnect(d);
}

static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t len)
{
	int flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	int rc = connect(fd, sa, len);
	if (rc < 0 && errno == EINPROGRESS) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		rc = poll(&p, 1, CONNECT_TIMEOUT_MS);
		if (rc == 0) {
			errno = ETIMEDOUT;
			rc = -1;
		} else if (rc > 0) {
			int e = 0;
			socklen_t l = sizeof(e);
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
			errno = e;
			rc = e ? -1 : 0;
		}
	}
	fcntl(fd, F_SETFL, flags);
	return rc;
}

static void io_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_MS / 1000, .tv_usec = IO_TIMEOUT_MS % 1000 * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/*
 * A TLS 1.3 receiver refuses a client (a missing or unknown client
 * certificate) after the client's handshake is done: listen briefly for
 * that refusal, so it is seen now and not as lost messages later.  Session
 * tickets the receiver sends are read and ignored.  False: refused.
 */
static bool tls_accepted(struct dest *d, char *what, size_t len)
{
	int flags = fcntl(d->fd, F_GETFL);
	fcntl(d->fd, F_SETFL, flags | O_NONBLOCK);
	uint64_t until = now_ms() + TLS_PROBE_MS;
	bool ok = true;
	for (uint64_t now = now_ms(); ok && now < until; now = now_ms()) {
		struct pollfd p = { .fd = d->fd, .events = POLLIN };
		if (poll(&p, 1, (int)(until - now)) <= 0)
			break;
		char byte;
		int r = SSL_read(d->ssl, &byte, 1);
		int e = SSL_get_error(d->ssl, r);
		if (r <= 0 && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			snprintf(what, len, "the receiver refused the connection: %s", tls_error());
			ok = false;
		}
	}
	fcntl(d->fd, F_SETFL, flags);
	return ok;
}

static int dest_connect(struct dest *d)
{
	char what[400];
	if (d->t == T_UNIX) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->path);
		d->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (d->fd < 0 || connect(d->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			snprintf(what, sizeof(what), "%s", strerror(errno));
			fail(d, what);
			return -1;
		}
		io_timeouts(d->fd);
		return 0;
	}
	struct addrinfo hints = { .ai_socktype = d->t == T_UDP ? SOCK_DGRAM : SOCK_STREAM }, *ai = NULL;
	int g = getaddrinfo(d->host, d->port, &hints, &ai);
	if (g) {
		snprintf(what, sizeof(what), "%s", gai_strerror(g));
		fail(d, what);
		return -1;
	}
	int saved = 0;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		d->fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (d->fd < 0)
			continue;
		if (connect_timeout(d->fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		saved = errno;
		close(d->fd);
		d->fd = -1;
	}
	freeaddrinfo(ai);
	if (d->fd < 0) {
		snprintf(what, sizeof(what), "%s", strerror(saved ? saved : EHOSTUNREACH));
		fail(d, what);
		return -1;
	}
	io_timeouts(d->fd);
	if (d->t != T_TLS)
		return 0;
	d->ssl = SSL_new(d->ctx);
	if (!d->ssl) {
		fail(d, tls_error());
		return -1;
	}
	/* the name the certificate must carry: the URL's host, as an address or a DNS name (RFC 5425 §5.2) */
	unsigned char buf[16];
	X509_VERIFY_PARAM *vp = SSL_get0_param(d->ssl);
	if (inet_pton(AF_INET, d->host, buf) == 1 || inet_pton(AF_INET6, d->host, buf) == 1) {
		X509_VERIFY_PARAM_set1_ip_asc(vp, d->host);
	} else {
		SSL_set_tlsext_host_name(d->ssl, d->host);
		SSL_set1_host(d->ssl, d->host);
	}
	SSL_set_fd(d->ssl, d->fd);
	if (SSL_connect(d->ssl) != 1) {
		long v = SSL_get_verify_result(d->ssl);
		if (v != X509_V_OK)
			snprintf(what, sizeof(what), "certificate verify failed: %s", X509_verify_cert_error_string(v));
		else
			snprintf(what, sizeof(what), "TLS handshake failed: %s", tls_error());
		fail(d, what);
		return -1;
	}
	if (!tls_accepted(d, what, sizeof(what))) {
		fail(d, what);
		return -1;
	}
	return 0;
}

static int write_all(struct dest *d, const char *p, size_t n)
{
	while (n) {
		ssize_t k;
		if (d->ssl) {
			int w = SSL_write(d->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
			k = w > 0 ? w : -1;
		} else {
			k = send(d->fd, p, n, MSG_NOSIGNAL);
		}
		if (k < 0) {
			if (!d->ssl && errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* One message, framed for its transport. */
static int send_msg(struct dest *d, const struct msg *m)
{
	if (d->t == T_UDP || d->t == T_UNIX)
		return send(d->fd, m->data, m->len, MSG_NOSIGNAL) == (ssize_t)m->len ? 0 : -1;
	char head[24];
	if (d->owner->o.lf_framing)   /* RFC 6587 §3.4.2: the message, then LF (our messages hold no LF) */
		return write_all(d, m->data, m->len) || write_all(d, "\n", 1) ? -1 : 0;
	int h = snprintf(head, sizeof(head), "%zu ", m->len);   /* RFC 6587 §3.4.1, RFC 5425 §4.3 */
	return write_all(d, head, (size_t)h) || write_all(d, m->data, m->len) ? -1 : 0;
}

/* Wait ms before the next attempt; woken early by a stop, but then still pausing up to the deadline. */
static void nap(struct dest *d, uint32_t ms)
{
	pthread_mutex_lock(&d->lock);
	bool stopping = d->stop;
	uint64_t deadline = d->deadline_ms;
	pthread_mutex_unlock(&d->lock);
	if (stopping) {
		uint64_t now = now_ms();
		uint64_t left = deadline > now ? deadline - now : 0;
		poll(NULL, 0, (int)(ms < left ? ms : left));
		return;
	}
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->lock);
	if (!d->stop)
		pthread_cond_timedwait(&d->wake, &d->lock, &t);
	pthread_mutex_unlock(&d->lock);
}

static void *dest_thread(void *arg)
{
	struct dest *d = arg;
	/* a write to a receiver that closed must fail with EPIPE here, not kill the process (OpenSSL writes plainly) */
	sigset_t pipe;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	bool connected_once = false;
	for (;;) {
		pthread_mutex_lock(&d->lock);
		while (!d->head && !d->stop)
			pthread_cond_wait(&d->wake, &d->lock);
		struct msg *m = d->head;
		bool stopping = d->stop;
		uint64_t deadline = d->deadline_ms;
		pthread_mutex_unlock(&d->lock);
		if (!m)
			break;   /* stopping, and everything was sent */
		/* at the deadline a receiver that is down is given up (what waits is lost, counted at close);
		 * one that takes the messages gets the rest: each send is bounded by IO_TIMEOUT_MS */
		if (stopping && now_ms() >= deadline && (d->fd < 0 || d->failing))
			break;
		if (d->fd < 0) {
			if (dest_connect(d) < 0) {
				d->st.retries++;
				nap(d, d->backoff_ms);
				d->backoff_ms = d->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : d->backoff_ms * 2;
				continue;
			}
			d->st.reconnects += connected_once;
			connected_once = true;
		}
		if (send_msg(d, m) < 0) {
			char what[300];
			snprintf(what, sizeof(what), "%s", d->ssl ? tls_error() : strerror(errno));
			if (d->t == T_UDP) {   /* a datagram is not retried: a refused one is lost, counted */
				pthread_mutex_lock(&d->lock);
				d->head = m->next;
				if (!d->head)
					d->tail = NULL;
				d->bytes -= m->len;
				d->st.lost++;
				pthread_mutex_unlock(&d->lock);
				free(m);
				continue;
			}
			fail(d, what);
			continue;
		}
		if (d->failing)
			fprintf(stderr, "bollard %s: syslog %s: sending again\n", d->owner->o.cmd ? d->owner->o.cmd : "read",
				d->url);
		d->failing = false;
		d->backoff_ms = BACKOFF_MIN_MS;
		pthread_mutex_lock(&d->lock);
		d->head = m->next;
		if (!d->head)
			d->tail = NULL;
		d->bytes -= m->len;
		d->st.sent++;
		pthread_mutex_unlock(&d->lock);
		free(m);
	}
	disconnect_gently(d);
	disconnect(d);
	return NULL;
}

static void dest_free(struct dest *d)
{
	struct msg *m = d->head;
	while (m) {
		struct msg *n = m->next;
		free(m);
		m = n;
	}
	d->head = d->tail = NULL;
	disconnect(d);
	if (d->ctx)
		SSL_CTX_free(d->ctx);
	d->ctx = NULL;
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->wake);
}

struct bld_syslog *bld_syslog_open(const struct bld_syslog_options *o, char *err, size_t err_len)
{
	struct bld_syslog *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	s->o = *o;
	pthread_mutex_init(&s->fmt_lock, NULL);
	if (!s->o.queue_bytes)
		s->o.queue_bytes = BLD_SYSLOG_DEFAULT_QUEUE;
	if (!s->o.max_udp)
		s->o.max_udp = BLD_SYSLOG_DEFAULT_MAX_UDP;
	if (!s->o.meta.hostname) {
		if (gethostname(s->hostname, sizeof(s->hostname) - 1) != 0 || !s->hostname[0])
			snprintf(s->hostname, sizeof(s->hostname), "-");
		s->o.meta.hostname = s->hostname;
	}
	for (unsigned i = 0; i < o->n_urls && i < BLD_SYSLOG_MAX_DESTS; i++) {
		struct dest *d = &s->d[s->n];
		d->owner = s;
		d->fd = -1;
		d->backoff_ms = BACKOFF_MIN_MS;
		pthread_mutex_init(&d->lock, NULL);
		pthread_cond_init(&d->wake, NULL);
		s->n++;
		if (parse_url(d, o->urls[i], err, err_len) < 0 || (d->t == T_TLS && tls_setup(d, o, err, err_len) < 0))
			goto fail;
	}
	for (unsigned i = 0; i < s->n; i++) {
		if (pthread_create(&s->d[i].thread, NULL, dest_thread, &s->d[i]) != 0) {
			snprintf(err, err_len, "cannot start the syslog thread for %s", s->d[i].url);
			goto fail;
		}
		s->d[i].started = true;
	}
	return s;
fail:
	bld_syslog_close(s, 0, NULL);
	return NULL;
}

/* The bytes of a message of len that fit n with room for the cut mark, ending at a UTF-8 boundary. */
static size_t cut_point(const char *buf, size_t len, size_t n)
{
	size_t k = (len < n ? len : n) - 3;
	while (k > 0 && ((unsigned char)buf[k] & 0xc0) == 0x80)
		k--;
	return k;
}

static const char cut_mark[3] = { '\xe2', '\x80', '\xa6' };   /* "…" (U+2026): a reader sees the message was cut */

void bld_syslog_send(struct bld_syslog *s, const struct bld_alert *a)
{
	/* one formatting buffer, shared by the producers (alerts are rare next to packets) */
	pthread_mutex_lock(&s->fmt_lock);
	const char *buf = s->fmt;
	size_t full = bld_syslog_format(s->o.format, &s->o.meta, a, s->fmt, BLD_SYSLOG_MAX_MESSAGE + 1);
	size_t have = full > BLD_SYSLOG_MAX_MESSAGE ? strlen(buf) : full;   /* the formatter cut at a character */
	for (unsigned i = 0; i < s->n; i++) {
		struct dest *d = &s->d[i];
		size_t cap = d->t == T_UDP || d->t == T_UNIX ? s->o.max_udp : BLD_SYSLOG_MAX_MESSAGE;
		bool cut = full > cap;
		size_t keep = cut ? cut_point(buf, have, cap) : have;
		size_t len = keep + (cut ? sizeof(cut_mark) : 0);
		struct msg *m = malloc(sizeof(*m) + len);
		if (m) {
			m->next = NULL;
			m->len = len;
			memcpy(m->data, buf, keep);
			if (cut)
				memcpy(m->data + keep, cut_mark, sizeof(cut_mark));
		}
		pthread_mutex_lock(&d->lock);
		d->st.queued++;
		d->st.cut += cut;
		if (!m || d->bytes + len > s->o.queue_bytes) {
			d->st.dropped++;   /* the queue is full: this one is lost, counted */
			pthread_mutex_unlock(&d->lock);
			free(m);
			continue;
		}
		if (d->tail)
			d->tail->next = m;
		else
			d->head = m;
		d->tail = m;
		d->bytes += len;
		pthread_cond_signal(&d->wake);
		pthread_mutex_unlock(&d->lock);
	}
	pthread_mutex_unlock(&s->fmt_lock);
}

int bld_syslog_close(struct bld_syslog *s, uint64_t timeout_ms, struct bld_syslog_stats *st)
{
	if (!s)
		return 0;
	struct bld_syslog_stats total = { 0 };
	uint64_t deadline = now_ms() + timeout_ms;
	for (unsigned i = 0; i < s->n; i++) {
		struct dest *d = &s->d[i];
		pthread_mutex_lock(&d->lock);
		d->stop = true;
		d->deadline_ms = deadline;
		pthread_cond_signal(&d->wake);
		pthread_mutex_unlock(&d->lock);
	}
	int rc = 0;
	for (unsigned i = 0; i < s->n; i++) {
		struct dest *d = &s->d[i];
		if (d->started)
			pthread_join(d->thread, NULL);
		for (struct msg *m = d->head; m; m = m->next)
			d->st.lost++;   /* still queued when time ran out */
		if (d->st.lost || d->st.dropped) {
			fprintf(stderr, "bollard %s: syslog %s: %llu of %llu messages not delivered (%llu dropped, queue full; "
					"%llu lost, receiver unreachable)\n",
				s->o.cmd ? s->o.cmd : "read", d->url,
				(unsigned long long)(d->st.lost + d->st.dropped), (unsigned long long)d->st.queued,
				(unsigned long long)d->st.dropped, (unsigned long long)d->st.lost);
			rc = -EIO;
		}
		total.queued += d->st.queued;
		total.sent += d->st.sent;
		total.dropped += d->st.dropped;
		total.lost += d->st.lost;
		total.cut += d->st.cut;
		total.reconnects += d->st.reconnects;
		total.retries += d->st.retries;
		dest_free(d);
	}
	if (st)
		*st = total;
	pthread_mutex_destroy(&s->fmt_lock);
	free(s);
	return rc;
}
