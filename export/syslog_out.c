/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE   /* POLLRDHUP */
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
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "relp.h"
#include "spool.h"

#define CONNECT_TIMEOUT_MS 3000
#define IO_TIMEOUT_MS 1000             /* a send without progress for this long: checked against the stop deadline */
#define USER_TIMEOUT_MS 30000          /* TCP_USER_TIMEOUT: a receiver whose kernel acknowledges nothing for this long is gone */
#define TLS_PROBE_MS 200               /* after a handshake: time for a receiver to refuse us (TLS 1.3 alerts come late) */
#define ACK_POLL_MS 10                 /* waiting for acknowledgements: how often to look */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 30000
#define RELP_WINDOW 128                /* messages sent, unanswered (librelp's default window) */

enum transport { T_UDP, T_TCP, T_TLS, T_RELP, T_RELP_TLS, T_UNIX };
static const char *const transport_names[] = { "udp", "tcp", "tls", "relp", "relp+tls", "unix" };
#define N_URL_TRANSPORTS 5             /* the ones written SCHEME://HOST:PORT */

static bool datagram(enum transport t)
{
	return t == T_UDP || t == T_UNIX;
}

static bool relp(enum transport t)
{
	return t == T_RELP || t == T_RELP_TLS;
}

/* A queued message: the bytes as they go on the wire, without framing. */
struct msg {
	struct msg *next;
	uint64_t ts_ns;                /* the alert's time (0: from the spool): a loss report says when */
	uint64_t mark;                 /* once written: TCP, TLS the connection's bytes up to its end; RELP its txnr */
	bool written;                  /* written on some connection: writing it again is a resend */
	bool answered;                 /* RELP: the receiver's answer came */
	bool report;                   /* a sensor.export_loss report */
	uint32_t len;
	char data[];
};

/* Losses not reported yet: a sensor.export_loss alert says them once the destination has room again. */
struct gap {
	uint64_t dropped, lost, first_ns, last_ns;
};

struct dest {
	struct bld_syslog *owner;
	char url[300];
	enum transport t;
	char host[256], port[8], path[108];
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	/* shared with producers, under lock */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct msg *head, *unsent, *tail;   /* head..unsent: written on this connection, not yet confirmed */
	size_t bytes;
	struct bld_spool spool;             /* fd -1: no spool */
	struct gap gap;
	bool stop;
	uint64_t deadline_ms;          /* when stopping: give up on a receiver that is down after this */
	pthread_t thread;
	bool started;
	struct bld_syslog_stats st;
	/* the thread's own */
	uint32_t backoff_ms;
	bool failing;                  /* the last attempt failed (said once until it works again) */
	bool refusal_said;             /* a RELP receiver refused a message (said once) */
	uint64_t wire;                 /* TCP: bytes written on this connection */
	unsigned inflight;             /* messages written on this connection, not yet confirmed */
	uint32_t txnr;                 /* RELP: the next transaction number */
	uint32_t close_txnr;           /* RELP: the close command's, once sent */
	size_t rx_len;
	char rx[2048];                 /* RELP: what the receiver sent, not yet parsed */
	char *spool_buf;               /* a record read back from the spool */
	char *tx;                      /* stream transports: a message with its framing */
};

struct bld_syslog {
	struct bld_syslog_options o;
	char hostname[256];
	pthread_mutex_t fmt_lock;      /* producers: the buffers and the rate cap below */
	char fmt[BLD_SYSLOG_MAX_MESSAGE + 1];   /* the formatting buffer */
	char side[8192];               /* the sensor's own alerts (loss reports, rate summaries) */
	/* the rate cap: alerts per second of packet time */
	uint64_t rate_sec, rate_used;
	uint64_t suppressed, supp_first_ns, supp_last_ns, supp_kind[BLD_ALERT_KIND_MAX];
	struct dest d[BLD_SYSLOG_MAX_DESTS];
	unsigned n;
};

static const char *cmd_name(const struct bld_syslog *s)
{
	return s->o.cmd ? s->o.cmd : "read";
}

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
	for (unsigned i = 0; i < N_URL_TRANSPORTS && !rest; i++) {
		size_t n = strlen(transport_names[i]);
		if (strncmp(url, transport_names[i], n) == 0 && strncmp(url + n, "://", 3) == 0) {
			d->t = (enum transport)i;
			rest = url + n + 3;
		}
	}
	if (!rest) {
		snprintf(err, err_len,
			 "--syslog %s: expected udp://HOST:PORT, tcp://HOST:PORT, tls://HOST:PORT, relp://HOST:PORT, "
			 "relp+tls://HOST:PORT or unix:PATH",
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

/*
 * A broken connection: closed at once, with a reset.  What it had not
 * delivered is sent again on the next one, so the kernel must not go on
 * delivering it in the background (a plain close would): that would make
 * duplicates.
 */
static void disconnect(struct dest *d)
{
	if (d->ssl) {
		SSL_free(d->ssl);
		d->ssl = NULL;
	}
	if (d->fd >= 0) {
		struct linger abort_now = { .l_onoff = 1, .l_linger = 0 };
		if (!datagram(d->t))
			setsockopt(d->fd, SOL_SOCKET, SO_LINGER, &abort_now, sizeof(abort_now));
		close(d->fd);
	}
	d->fd = -1;
}

/* Say a failure once per run of failures; the thread keeps retrying. */
static void fail(struct dest *d, const char *what)
{
	if (!d->failing)
		fprintf(stderr, "bollard %s: syslog %s: %s; messages wait and the connection is retried\n",
			cmd_name(d->owner), d->url, what);
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

/* Stopping and past the deadline: a send that makes no progress gives up. */
static bool giving_up(struct dest *d)
{
	pthread_mutex_lock(&d->lock);
	bool late = d->stop && now_ms() >= d->deadline_ms;
	pthread_mutex_unlock(&d->lock);
	return late;
}

/*
 * All n bytes, or -1.  A receiver that reads slowly is waited for (the
 * socket's send timeout only lets the stop deadline be checked); one that is
 * gone is found by the kernel (TCP_USER_TIMEOUT) or by a reset.
 */
static int write_all(struct dest *d, const char *p, size_t n)
{
	while (n) {
		ssize_t k;
		bool again;
		if (d->ssl) {
			int w = SSL_write(d->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
			int e = w > 0 ? SSL_ERROR_NONE : SSL_get_error(d->ssl, w);
			k = w > 0 ? w : -1;
			again = e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ;
		} else {
			k = send(d->fd, p, n, MSG_NOSIGNAL);
			again = k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
		}
		if (k < 0) {
			if (again && !giving_up(d))
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
		d->wire += (uint64_t)k;
	}
	return 0;
}

/* Read what the receiver sent into d->rx, waiting up to wait_ms; the bytes read, 0 none yet, -1 closed or broken. */
static int receive(struct dest *d, int wait_ms)
{
	if (!(d->ssl && SSL_pending(d->ssl))) {
		struct pollfd p = { .fd = d->fd, .events = POLLIN | POLLRDHUP };
		int r = poll(&p, 1, wait_ms);
		if (r <= 0)
			return 0;
		if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
			return -1;
	}
	size_t room = sizeof(d->rx) - d->rx_len;
	if (!room)
		return -1;   /* a frame longer than any answer: not a RELP receiver */
	if (d->ssl) {
		int r = SSL_read(d->ssl, d->rx + d->rx_len, (int)room);
		if (r > 0) {
			d->rx_len += (size_t)r;
			return r;
		}
		int e = SSL_get_error(d->ssl, r);
		return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
	}
	ssize_t r = recv(d->fd, d->rx + d->rx_len, room, MSG_DONTWAIT);
	if (r > 0) {
		d->rx_len += (size_t)r;
		return (int)r;
	}
	return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
}

/* RELP: offer the session and take the receiver's answer. */
static int relp_open(struct dest *d, char *what, size_t len)
{
	static const char offers[] = "relp_version=0\nrelp_software=bollard," BLD_VERSION "\ncommands=syslog";
	char head[BLD_RELP_HEADER_MAX];
	size_t h = bld_relp_header(head, 1, "open", sizeof(offers) - 1);
	d->rx_len = 0;
	if (write_all(d, head, h) || write_all(d, offers, sizeof(offers) - 1) || write_all(d, "\n", 1)) {
		snprintf(what, len, "RELP open: %s", d->ssl ? tls_error() : strerror(errno));
		return -1;
	}
	uint64_t until = now_ms() + CONNECT_TIMEOUT_MS;
	for (;;) {
		struct bld_relp_frame f;
		long used = bld_relp_parse(d->rx, d->rx_len, &f);
		if (used > 0) {
			if (f.txnr != 1 || strcmp(f.cmd, "rsp") || bld_relp_status(&f) != 200) {
				snprintf(what, len, "the RELP receiver refused the session: %.*s", (int)(f.datalen < 200 ? f.datalen : 200),
					 f.data);
				return -1;
			}
			memmove(d->rx, d->rx + used, d->rx_len - (size_t)used);
			d->rx_len -= (size_t)used;
			d->txnr = 2;
			d->close_txnr = 0;
			return 0;
		}
		uint64_t now = now_ms();
		int wait = until > now ? (int)(until - now) : 0;
		/* in slices, so that a stop past its deadline ends the wait too */
		if (used < 0 || now >= until || giving_up(d) || receive(d, wait < 100 ? wait : 100) < 0) {
			snprintf(what, len, used < 0 ? "not a RELP receiver (it answered something else)"
						     : "no answer to RELP open");
			return -1;
		}
	}
}

static int dest_connect(struct dest *d)
{
	char what[400];
	d->wire = 0;
	d->inflight = 0;
	d->rx_len = 0;
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
	if (d->t == T_UDP)
		return 0;
	unsigned user_timeout = USER_TIMEOUT_MS;
	setsockopt(d->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof(user_timeout));
	if (d->t == T_TLS || d->t == T_RELP_TLS) {
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
				snprintf(what, sizeof(what), "certificate verify failed: %s",
					 X509_verify_cert_error_string(v));
			else
				snprintf(what, sizeof(what), "TLS handshake failed: %s", tls_error());
			fail(d, what);
			return -1;
		}
		if (!tls_accepted(d, what, sizeof(what))) {
			fail(d, what);
			return -1;
		}
	}
	if (relp(d->t) && relp_open(d, what, sizeof(what)) < 0) {
		fail(d, what);
		return -1;
	}
	return 0;
}

/*
 * One message, framed for its transport, in one write: several small writes
 * per message meet Nagle's algorithm and the receiver's delayed ACK, and a
 * RELP sender then waits 40 ms for each answer.  Its mark set once written.
 */
static int send_msg(struct dest *d, struct msg *m)
{
	if (datagram(d->t))
		return send(d->fd, m->data, m->len, MSG_NOSIGNAL) == (ssize_t)m->len ? 0 : -1;
	char *b = d->tx;
	size_t h;
	if (relp(d->t)) {
		h = bld_relp_header(b, d->txnr, "syslog", m->len);
		m->mark = d->txnr;
		m->answered = false;   /* an answer on an earlier connection counts for nothing now */
		d->txnr = bld_relp_next(d->txnr);
	} else if (d->owner->o.lf_framing) {   /* RFC 6587 §3.4.2: the message, then LF (our messages hold no LF) */
		h = 0;
	} else {
		h = (size_t)snprintf(b, 24, "%u ", m->len);   /* RFC 6587 §3.4.1, RFC 5425 §4.3 */
	}
	memcpy(b + h, m->data, m->len);
	size_t n = h + m->len;
	if (relp(d->t) || d->owner->o.lf_framing)
		b[n++] = '\n';
	int rc = write_all(d, b, n);
	if (!relp(d->t))   /* TLS: the socket's byte count, records and handshake included */
		m->mark = d->ssl ? BIO_number_written(SSL_get_wbio(d->ssl)) : d->wire;
	return rc;
}

/* Unlink the head, confirmed (or lost); the caller holds the lock and frees it. */
static struct msg *pop_locked(struct dest *d)
{
	struct msg *m = d->head;
	d->head = m->next;
	if (d->unsent == m)
		d->unsent = m->next;
	if (!d->head)
		d->tail = NULL;
	d->bytes -= m->len;
	return m;
}

static void note_loss_locked(struct dest *d, uint64_t ts_ns, bool report)
{
	d->st.lost++;
	if (report)
		return;   /* a lost loss report is counted, not reported again: that would never end */
	d->gap.lost++;
	if (ts_ns) {
		if (!d->gap.first_ns || ts_ns < d->gap.first_ns)
			d->gap.first_ns = ts_ns;
		if (ts_ns > d->gap.last_ns)
			d->gap.last_ns = ts_ns;
	}
}

/*
 * Pop the messages the receiver has confirmed: for TCP and TLS those whose
 * last byte its kernel acknowledged (the send queue's unacknowledged bytes,
 * SIOCOUTQ, are the end of what we wrote); for RELP those it answered.
 */
static void pop_confirmed(struct dest *d, uint64_t acked_bytes)
{
	struct msg *done = NULL, **tail = &done;
	pthread_mutex_lock(&d->lock);
	while (d->head && d->head != d->unsent &&
	       (relp(d->t) ? d->head->answered : d->head->mark <= acked_bytes)) {
		struct msg *m = pop_locked(d);
		d->st.sent++;
		d->inflight--;
		*tail = m;
		tail = &m->next;
	}
	pthread_mutex_unlock(&d->lock);
	*tail = NULL;
	while (done) {
		struct msg *n = done->next;
		free(done);
		done = n;
	}
}

/* TCP, TLS: what the receiver's kernel acknowledged; -1 when the connection is gone. */
static int confirm_stream(struct dest *d)
{
	int outq = 0;
	if (ioctl(d->fd, SIOCOUTQ, &outq) < 0)
		return -1;
	uint64_t written = d->ssl ? BIO_number_written(SSL_get_wbio(d->ssl)) : d->wire;
	pop_confirmed(d, written - (uint64_t)outq);
	return 0;
}

/* RELP: the answer to txnr; false when no message waits for it. */
static bool relp_answer(struct dest *d, const struct bld_relp_frame *f)
{
	unsigned status = bld_relp_status(f);
	pthread_mutex_lock(&d->lock);
	struct msg *m = d->head;
	while (m && m != d->unsent && (m->mark != f->txnr || m->answered))
		m = m->next;
	bool found = m && m != d->unsent;
	if (found) {
		m->answered = true;
		if (status != 200) {   /* refused: not sent again (it would be refused again), counted as lost */
			note_loss_locked(d, m->ts_ns, m->report);
			d->st.sent--;   /* pop_confirmed counts it as sent */
		}
	}
	pthread_mutex_unlock(&d->lock);
	if (found && status != 200 && !d->refusal_said) {
		fprintf(stderr, "bollard %s: syslog %s: the receiver refused a message: %.*s\n", cmd_name(d->owner), d->url,
			(int)(f->datalen < 200 ? f->datalen : 200), f->data);
		d->refusal_said = true;
	}
	return found;
}

/*
 * Take what the receiver said, waiting up to wait_ms.  TCP and TLS: a
 * syslog receiver says nothing, so a readable socket is one it closed (or
 * TLS session tickets).  RELP: its answers; "serverclose" or a frame we
 * cannot read breaks the session.  -1: the connection is gone.
 */
static int confirm(struct dest *d, int wait_ms)
{
	if (!relp(d->t)) {
		int r = 0;
		if (d->ssl) {
			r = receive(d, wait_ms);   /* session tickets: read and forgotten */
			d->rx_len = 0;
		} else {
			struct pollfd p = { .fd = d->fd, .events = POLLIN | POLLRDHUP };
			if (poll(&p, 1, wait_ms) > 0)
				r = -1;   /* the receiver closed (a syslog receiver never writes) */
		}
		int c = confirm_stream(d);   /* also on the way out: what was acknowledged is not sent again */
		return r < 0 || c < 0 ? -1 : 0;
	}
	if (receive(d, wait_ms) < 0)
		return -1;
	size_t at = 0;
	int rc = 0;
	for (;;) {
		struct bld_relp_frame f;
		long used = bld_relp_parse(d->rx + at, d->rx_len - at, &f);
		if (used == 0)
			break;
		if (used < 0) {
			rc = -1;
			break;
		}
		at += (size_t)used;
		if (strcmp(f.cmd, "rsp") == 0 && d->close_txnr && f.txnr == d->close_txnr)
			d->close_txnr = 0;   /* our close, answered */
		else if (strcmp(f.cmd, "rsp") != 0 || !relp_answer(d, &f)) {
			rc = -1;   /* serverclose (it is going down), or an answer to nothing */
			break;
		}
	}
	memmove(d->rx, d->rx + at, d->rx_len - at);
	d->rx_len -= at;
	pop_confirmed(d, 0);
	return rc;
}

/* A broken connection: what it had not confirmed is sent again on the next. */
static void broken(struct dest *d, const char *what)
{
	pthread_mutex_lock(&d->lock);
	d->unsent = d->head;
	pthread_mutex_unlock(&d->lock);
	d->inflight = 0;
	fail(d, what);
}

/* RELP at the end: close the session and wait for its answer. */
static void relp_close(struct dest *d)
{
	char head[BLD_RELP_HEADER_MAX];
	d->close_txnr = d->txnr;
	size_t h = bld_relp_header(head, d->txnr, "close", 0);
	if (write_all(d, head, h) || write_all(d, "\n", 1))
		return;
	uint64_t until = now_ms() + IO_TIMEOUT_MS;
	while (d->close_txnr && now_ms() < until)
		if (confirm(d, ACK_POLL_MS) < 0)
			break;
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
	pthread_mutex_lock(&d->lock);   /* new messages signal too: only a stop or the time ends the nap */
	while (!d->stop && pthread_cond_timedwait(&d->wake, &d->lock, &t) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&d->lock);
}

/* Append m to the memory queue; the caller holds the lock. */
static void append_locked(struct dest *d, struct msg *m)
{
	m->next = NULL;
	if (d->tail)
		d->tail->next = m;
	else
		d->head = m;
	d->tail = m;
	if (!d->unsent)
		d->unsent = m;
	d->bytes += m->len;
}

/*
 * Spooled messages back into memory while it has room (half the queue, so
 * that new alerts still find room): they are newer than everything in
 * memory, and new alerts go to the spool while it holds any, so the order
 * stays.  The caller holds the lock.
 */
static void refill_locked(struct dest *d)
{
	size_t room = d->owner->o.queue_bytes / 2;
	while (d->spool.msgs && d->bytes < room) {
		uint64_t waiting = d->spool.msgs;
		long n = bld_spool_next(&d->spool, d->spool_buf, BLD_SPOOL_RECORD_MAX);
		if (n < 0) {
			fprintf(stderr, "bollard %s: syslog %s: spool %s: %s: %llu spooled messages lost\n",
				cmd_name(d->owner), d->url, d->spool.path, strerror((int)-n), (unsigned long long)waiting);
			for (uint64_t i = 0; i < waiting; i++)
				note_loss_locked(d, 0, false);
			return;
		}
		if (n == 0)
			return;
		struct msg *m = malloc(sizeof(*m) + (size_t)n);
		if (!m) {
			note_loss_locked(d, 0, false);
			continue;
		}
		*m = (struct msg){ .len = (uint32_t)n };
		memcpy(m->data, d->spool_buf, (size_t)n);
		append_locked(d, m);
	}
}

static void report_gap_locked(struct bld_syslog *s, struct dest *d);

/* Losses not reported yet, and room for the report again: queue it (the producers would only at their next alert). */
static void report_gap(struct dest *d)
{
	struct bld_syslog *s = d->owner;
	pthread_mutex_lock(&d->lock);
	bool due = (d->gap.dropped || d->gap.lost) && d->bytes + sizeof(s->side) <= s->o.queue_bytes;
	pthread_mutex_unlock(&d->lock);
	if (!due)
		return;
	pthread_mutex_lock(&s->fmt_lock);   /* the producers' order: fmt_lock, then the destination's */
	pthread_mutex_lock(&d->lock);
	report_gap_locked(s, d);
	pthread_mutex_unlock(&d->lock);
	pthread_mutex_unlock(&s->fmt_lock);
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
	unsigned since_confirm = 0;
	uint64_t progress_ms = now_ms();   /* the last message written or confirmed */
	for (;;) {
		report_gap(d);
		pthread_mutex_lock(&d->lock);
		if (d->spool.fd >= 0)
			refill_locked(d);
		while (!d->head && !d->stop)
			pthread_cond_wait(&d->wake, &d->lock);
		struct msg *m = d->unsent;
		bool pending = d->head != NULL;
		bool stopping = d->stop;
		uint64_t deadline = d->deadline_ms;
		pthread_mutex_unlock(&d->lock);
		if (!pending)
			break;   /* stopping, and everything was confirmed */
		/* at the deadline a receiver that is down, or that confirms nothing, is given up (what waits is lost
		 * or kept, counted at close); one that takes the messages gets the rest */
		uint64_t now = now_ms();
		if (stopping && now >= deadline && (d->fd < 0 || d->failing || now - progress_ms >= IO_TIMEOUT_MS))
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
			progress_ms = now_ms();
			pthread_mutex_lock(&d->lock);
			m = d->unsent = d->head;
			pthread_mutex_unlock(&d->lock);
		}
		bool window = !relp(d->t) || d->inflight < RELP_WINDOW;
		if (m && window) {
			if (send_msg(d, m) < 0) {
				char what[300];
				snprintf(what, sizeof(what), "%s", d->ssl ? tls_error() : strerror(errno));
				if (d->t == T_UDP) {   /* a datagram is not retried: a refused one is lost, counted */
					pthread_mutex_lock(&d->lock);
					pop_locked(d);
					note_loss_locked(d, m->ts_ns, m->report);
					pthread_mutex_unlock(&d->lock);
					free(m);
					continue;
				}
				if (!datagram(d->t))
					confirm(d, 0);   /* what arrived before the break is not sent again */
				broken(d, what);
				continue;
			}
			if (d->failing)
				fprintf(stderr, "bollard %s: syslog %s: sending again\n", cmd_name(d->owner), d->url);
			d->failing = false;
			d->backoff_ms = BACKOFF_MIN_MS;
			progress_ms = now_ms();
			pthread_mutex_lock(&d->lock);
			d->st.resent += m->written;
			m->written = true;
			d->unsent = m->next;
			if (datagram(d->t)) {   /* a datagram is done once the kernel took it */
				pop_locked(d);
				d->st.sent++;
				pthread_mutex_unlock(&d->lock);
				free(m);
				continue;
			}
			d->inflight++;
			bool more = d->unsent != NULL;
			pthread_mutex_unlock(&d->lock);
			/* confirmations are cheap to look for, but not free: every 32 messages and when nothing else waits */
			if (more && ++since_confirm < 32)
				continue;
			since_confirm = 0;
			if (confirm(d, 0) < 0)
				broken(d, "the receiver closed the connection");
			continue;
		}
		/* everything is written (or the RELP window is full): wait for confirmations */
		unsigned before = d->inflight;
		if (confirm(d, ACK_POLL_MS) < 0) {
			broken(d, "the receiver closed the connection");
			continue;
		}
		if (d->inflight != before)
			progress_ms = now_ms();
	}
	if (d->fd >= 0 && !d->failing && !datagram(d->t)) {   /* a datagram socket has no end to wait for */
		if (relp(d->t))
			relp_close(d);
		disconnect_gently(d);
	}
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
	d->head = d->unsent = d->tail = NULL;
	disconnect(d);
	bld_spool_close(&d->spool);
	free(d->spool_buf);
	free(d->tx);
	d->spool_buf = d->tx = NULL;
	if (d->ctx)
		SSL_CTX_free(d->ctx);
	d->ctx = NULL;
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->wake);
}

/* The spool file's name: the URL with everything but letters, digits, '.' and '-' as '_'. */
static void spool_name(const char *url, char *name, size_t cap)
{
	size_t i = 0;
	for (; url[i] && i + 1 < cap; i++) {
		char c = url[i];
		name[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'
				  ? c
				  : '_';
	}
	name[i] = 0;
}

static int spool_open(struct dest *d, const struct bld_syslog_options *o, char *err, size_t err_len)
{
	char name[300], warn[600];
	spool_name(d->url, name, sizeof(name));
	uint64_t max = o->spool_max_bytes ? o->spool_max_bytes : BLD_SYSLOG_DEFAULT_SPOOL_MAX;
	if (bld_spool_open(&d->spool, o->spool_dir, name, max, warn, sizeof(warn), err, err_len) < 0)
		return -1;
	if (warn[0])
		fprintf(stderr, "bollard %s: syslog %s: spool %s\n", cmd_name(d->owner), d->url, warn);
	if (!(d->spool_buf = malloc(BLD_SPOOL_RECORD_MAX))) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	if (d->spool.msgs) {
		fprintf(stderr, "bollard %s: syslog %s: %llu messages of an earlier run wait in %s: they go first\n",
			cmd_name(d->owner), d->url, (unsigned long long)d->spool.msgs, d->spool.path);
		d->st.queued += d->spool.msgs;
	}
	return 0;
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
		d->spool.fd = -1;
		d->backoff_ms = BACKOFF_MIN_MS;
		pthread_mutex_init(&d->lock, NULL);
		pthread_cond_init(&d->wake, NULL);
		s->n++;
		if (parse_url(d, o->urls[i], err, err_len) < 0 ||
		    ((d->t == T_TLS || d->t == T_RELP_TLS) && tls_setup(d, o, err, err_len) < 0))
			goto fail;
		for (unsigned j = 0; j + 1 < s->n; j++)
			if (strcmp(s->d[j].url, d->url) == 0) {
				snprintf(err, err_len, "--syslog %s: given twice", d->url);
				goto fail;
			}
		if (o->spool_dir && !datagram(d->t) && spool_open(d, o, err, err_len) < 0)
			goto fail;
		if (!datagram(d->t) && !(d->tx = malloc(BLD_RELP_HEADER_MAX + BLD_SYSLOG_MAX_MESSAGE + 1))) {
			snprintf(err, err_len, "out of memory");
			goto fail;
		}
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

/*
 * A formatted message (full bytes long, have of them in buf: the formatter
 * cuts at BLD_SYSLOG_MAX_MESSAGE) for d, cut to d's limit with the cut
 * marked.  NULL: out of memory.
 */
static struct msg *make_msg(struct dest *d, const char *buf, size_t full, size_t have, uint64_t ts_ns)
{
	size_t cap = datagram(d->t) ? d->owner->o.max_udp : BLD_SYSLOG_MAX_MESSAGE;
	bool cut = full > cap;
	size_t keep = cut ? cut_point(buf, have, cap) : have;
	size_t len = keep + (cut ? sizeof(cut_mark) : 0);
	struct msg *m = malloc(sizeof(*m) + len);
	if (!m)
		return NULL;
	*m = (struct msg){ .ts_ns = ts_ns, .len = (uint32_t)len };
	memcpy(m->data, buf, keep);
	if (cut)
		memcpy(m->data + keep, cut_mark, sizeof(cut_mark));
	d->st.cut += cut;   /* under d->lock: the callers hold it */
	return m;
}

/*
 * Queue m (which this takes) for d: to memory, or to the spool when memory
 * is full or the spool already holds messages (they are older).  False when
 * neither has room.  The caller holds d->lock.
 */
static bool enqueue_locked(struct dest *d, struct msg *m)
{
	size_t limit = d->owner->o.queue_bytes;
	if (d->spool.fd >= 0 && (d->spool.msgs || d->bytes + m->len > limit)) {
		int rc = bld_spool_append(&d->spool, m->data, m->len);
		free(m);
		if (rc == 0) {
			d->st.spooled++;
			pthread_cond_signal(&d->wake);
			return true;
		}
		if (rc != -ENOSPC)
			fprintf(stderr, "bollard %s: syslog %s: spool %s: %s\n", cmd_name(d->owner), d->url, d->spool.path,
				strerror(-rc));
		return false;
	}
	if (d->bytes + m->len > limit) {
		free(m);
		return false;
	}
	append_locked(d, m);
	pthread_cond_signal(&d->wake);
	return true;
}

/*
 * The losses since the last report, as a sensor.export_loss alert for d
 * itself, queued ahead of the next message once there is room for it (the
 * receiver is back): the SIEM learns of the gap where it is.  The caller
 * holds fmt_lock and d->lock.
 */
static void report_gap_locked(struct bld_syslog *s, struct dest *d)
{
	struct gap g = d->gap;
	if (!g.dropped && !g.lost)
		return;
	char reason[512], detail[160];
	snprintf(reason, sizeof(reason), "%llu alerts for %s were lost: %llu dropped (%s full), %llu refused or undeliverable",
		 (unsigned long long)(g.dropped + g.lost), d->url, (unsigned long long)g.dropped,
		 d->spool.fd >= 0 ? "queue and spool" : "queue", (unsigned long long)g.lost);
	snprintf(detail, sizeof(detail), "destination=%s dropped=%llu lost=%llu", d->url, (unsigned long long)g.dropped,
		 (unsigned long long)g.lost);
	struct bld_alert a = { .kind = BLD_ALERT_SENSOR_EXPORT_LOSS, .severity = BLD_SEV_HIGH, .action = BLD_ACTION_ALERT,
			       .reason = reason, .detail = detail, .first_ns = g.first_ns, .last_ns = g.last_ns,
			       .count = g.dropped + g.lost };
	size_t full = bld_syslog_format(s->o.format, &s->o.meta, &a, s->side, sizeof(s->side));
	size_t have = full >= sizeof(s->side) ? strlen(s->side) : full;
	struct msg *m = make_msg(d, s->side, full, have, g.last_ns);
	if (m)
		m->report = true;
	if (m && enqueue_locked(d, m)) {
		d->st.queued++;
		d->st.reports++;
		memset(&d->gap, 0, sizeof(d->gap));
	}
}

/* The formatted alert in s->fmt to every destination.  The caller holds fmt_lock. */
static void fan_out(struct bld_syslog *s, const struct bld_alert *a)
{
	const char *buf = s->fmt;
	size_t full = bld_syslog_format(s->o.format, &s->o.meta, a, s->fmt, BLD_SYSLOG_MAX_MESSAGE + 1);
	size_t have = full > BLD_SYSLOG_MAX_MESSAGE ? strlen(buf) : full;   /* the formatter cut at a character */
	for (unsigned i = 0; i < s->n; i++) {
		struct dest *d = &s->d[i];
		pthread_mutex_lock(&d->lock);
		report_gap_locked(s, d);
		d->st.queued++;
		struct msg *m = make_msg(d, buf, full, have, a->last_ns);
		if (!m || !enqueue_locked(d, m)) {   /* no room: this one is lost, counted and reported later */
			d->st.dropped++;
			d->gap.dropped++;
			if (!d->gap.first_ns || a->last_ns < d->gap.first_ns)
				d->gap.first_ns = a->last_ns;
			if (a->last_ns > d->gap.last_ns)
				d->gap.last_ns = a->last_ns;
		}
		pthread_mutex_unlock(&d->lock);
	}
}

/* The alerts the rate cap held back since the last summary, as one sensor.export_rate alert.  Under fmt_lock. */
static void rate_summary(struct bld_syslog *s)
{
	if (!s->suppressed)
		return;
	char reason[512], detail[512];
	int r = snprintf(reason, sizeof(reason), "%llu alerts over the --syslog-rate cap of %u per second were not sent (",
			 (unsigned long long)s->suppressed, s->o.rate);
	int n = snprintf(detail, sizeof(detail), "suppressed=%llu cap=%u", (unsigned long long)s->suppressed, s->o.rate);
	const char *sep = "";
	for (int k = 0; k < BLD_ALERT_KIND_MAX; k++) {
		if (!s->supp_kind[k])
			continue;
		if (r > 0 && (size_t)r < sizeof(reason))
			r += snprintf(reason + r, sizeof(reason) - (size_t)r, "%s%s %llu", sep, bld_alert_kind_names[k],
				      (unsigned long long)s->supp_kind[k]);
		if (n > 0 && (size_t)n < sizeof(detail))
			n += snprintf(detail + n, sizeof(detail) - (size_t)n, " %s=%llu", bld_alert_kind_names[k],
				      (unsigned long long)s->supp_kind[k]);
		sep = ", ";
	}
	if (r > 0 && (size_t)r < sizeof(reason))
		snprintf(reason + r, sizeof(reason) - (size_t)r, "); every one is in --events");
	struct bld_alert a = { .kind = BLD_ALERT_SENSOR_EXPORT_RATE, .severity = BLD_SEV_MEDIUM, .action = BLD_ACTION_ALERT,
			       .reason = reason, .detail = detail, .first_ns = s->supp_first_ns,
			       .last_ns = s->supp_last_ns, .count = s->suppressed };
	for (unsigned i = 0; i < s->n; i++)
		s->d[i].st.suppressed += s->suppressed;
	s->suppressed = 0;
	memset(s->supp_kind, 0, sizeof(s->supp_kind));
	fan_out(s, &a);
}

/*
 * The rate cap, on packet time (so a replayed capture is held back as the
 * live sensor would be): at most rate alerts in each second; the rest are
 * counted and summed up once a later second begins (or at the end).
 * True: send a.  Under fmt_lock.
 */
static bool within_rate(struct bld_syslog *s, const struct bld_alert *a)
{
	if (!s->o.rate)
		return true;
	uint64_t sec = a->last_ns / 1000000000u;
	if (sec > s->rate_sec) {
		rate_summary(s);
		s->rate_sec = sec;
		s->rate_used = 0;
	}
	if (s->rate_used < s->o.rate) {
		s->rate_used++;
		return true;
	}
	if (!s->suppressed || a->last_ns < s->supp_first_ns)
		s->supp_first_ns = a->last_ns;
	if (a->last_ns > s->supp_last_ns || !s->suppressed)
		s->supp_last_ns = a->last_ns;
	s->suppressed++;
	s->supp_kind[(unsigned)a->kind < BLD_ALERT_KIND_MAX ? a->kind : BLD_ALERT_PROTOCOL]++;
	return false;
}

void bld_syslog_send(struct bld_syslog *s, const struct bld_alert *a)
{
	/* one formatting buffer, shared by the producers (alerts are rare next to packets) */
	pthread_mutex_lock(&s->fmt_lock);
	if (within_rate(s, a))
		fan_out(s, a);
	pthread_mutex_unlock(&s->fmt_lock);
}

/* At close: what is still in memory goes back to the front of the spool, for the next run. */
static uint64_t keep_in_spool(struct dest *d)
{
	size_t n = 0;
	for (struct msg *m = d->head; m; m = m->next)
		n++;
	const void **data = n ? malloc(n * sizeof(*data)) : NULL;
	uint32_t *len = n ? malloc(n * sizeof(*len)) : NULL;
	int rc = n && (!data || !len) ? -ENOMEM : 0;
	size_t i = 0;
	for (struct msg *m = d->head; !rc && m; m = m->next, i++) {
		data[i] = m->data;
		len[i] = m->len;
	}
	if (!rc && n)
		rc = bld_spool_prepend(&d->spool, data, len, n);
	free(data);
	free(len);
	if (rc) {
		fprintf(stderr, "bollard %s: syslog %s: spool %s: %s: %zu messages could not be kept\n",
			cmd_name(d->owner), d->url, d->spool.path, strerror(-rc), n);
		d->st.lost += n;
	}
	return d->spool.msgs;
}

int bld_syslog_close(struct bld_syslog *s, uint64_t timeout_ms, struct bld_syslog_stats *st)
{
	if (!s)
		return 0;
	/* the last word: what the rate cap held back, and losses not reported yet */
	pthread_mutex_lock(&s->fmt_lock);
	rate_summary(s);
	for (unsigned i = 0; i < s->n; i++) {
		pthread_mutex_lock(&s->d[i].lock);
		report_gap_locked(s, &s->d[i]);
		pthread_mutex_unlock(&s->d[i].lock);
	}
	pthread_mutex_unlock(&s->fmt_lock);
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
		if (d->spool.fd >= 0) {
			d->st.kept = keep_in_spool(d);
		} else {
			for (struct msg *m = d->head; m; m = m->next)
				d->st.lost++;   /* still queued when time ran out */
		}
		if (d->st.lost || d->st.dropped || d->st.kept) {
			char kept[600] = "";
			if (d->st.kept)
				snprintf(kept, sizeof(kept), "; %llu kept in %s for the next run", (unsigned long long)d->st.kept,
					 d->spool.path);
			fprintf(stderr, "bollard %s: syslog %s: %llu of %llu messages not delivered (%llu dropped, queue full; "
					"%llu lost, receiver unreachable or refusing%s)\n",
				cmd_name(s), d->url, (unsigned long long)(d->st.lost + d->st.dropped + d->st.kept),
				(unsigned long long)d->st.queued, (unsigned long long)d->st.dropped,
				(unsigned long long)d->st.lost, kept);
			rc = -EIO;
		}
		total.queued += d->st.queued;
		total.sent += d->st.sent;
		total.dropped += d->st.dropped;
		total.lost += d->st.lost;
		total.cut += d->st.cut;
		total.reconnects += d->st.reconnects;
		total.retries += d->st.retries;
		total.resent += d->st.resent;
		total.spooled += d->st.spooled;
		total.kept += d->st.kept;
		total.reports += d->st.reports;
		total.suppressed += d->st.suppressed;
		dest_free(d);
	}
	if (st)
		*st = total;
	pthread_mutex_destroy(&s->fmt_lock);
	free(s);
	return rc;
}
