/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Alerts to SIEMs over syslog: several destinations at once, each
 *
 *   udp://host:port    RFC 5426: one message per datagram, cut at max_udp
 *                      bytes with the cut marked
 *   tcp://host:port    RFC 6587 octet counting ("LEN SP MSG"), or LF framing
 *   tls://host:port    RFC 5425: TLS (OpenSSL) with the server's certificate
 *                      verified against a CA file (or the system's) and its
 *                      name or address checked; optional client certificate
 *   relp://host:port   RELP (relp.h): every message acknowledged by the
 *   relp+tls://h:port  receiver itself; over TLS as tls:// is
 *   unix:PATH          a local datagram socket such as /dev/log
 *
 * Export runs off the worker path: bld_syslog_send() formats the alert once
 * per destination and copies the bytes into that destination's bounded
 * queue (and, when that is full, its disk spool); a thread per destination
 * connects, sends, and reconnects with backoff (0.1 s doubling to 30 s)
 * while messages wait.  A worker never waits on the network.
 *
 * A message leaves its queue when the receiver has confirmed it: for RELP
 * its answer, for TCP and TLS its kernel's acknowledgement of the last byte,
 * for datagrams the local kernel taking it.  What a broken connection had
 * not confirmed is sent again on the next (at least once; over TCP and TLS
 * a receiver that dies with unread bytes in its socket loses them unseen,
 * which RELP closes).  A message with no room anywhere is dropped and
 * counted, and a sensor.export_loss alert says so once the destination has
 * room again.  A rate cap (alerts per second of packet time) holds back the
 * excess and sums it up in a sensor.export_rate alert.  Closing flushes
 * within a bounded time and says what could not be sent.
 */
#ifndef BLD_SYSLOG_OUT_H
#define BLD_SYSLOG_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "syslog_format.h"

#define BLD_SYSLOG_MAX_DESTS 8
#define BLD_SYSLOG_DEFAULT_QUEUE (16u << 20)   /* bytes per destination */
#define BLD_SYSLOG_DEFAULT_MAX_UDP 2048        /* RFC 5426 §3.2: receivers SHOULD take 2048 */
#define BLD_SYSLOG_MAX_MESSAGE (64u << 10)     /* TCP/TLS: a message larger than this is cut */
#define BLD_SYSLOG_DEFAULT_SPOOL_MAX (1024ull << 20)   /* bytes per destination */

struct bld_syslog_options {
	const char *urls[BLD_SYSLOG_MAX_DESTS];
	unsigned n_urls;
	enum bld_syslog_format format;
	struct bld_syslog_meta meta;   /* hostname NULL: gethostname() */
	const char *ca_file, *cert_file, *key_file;   /* TLS */
	bool lf_framing;               /* TCP/TLS: LF instead of octet counting */
	size_t queue_bytes;            /* 0: BLD_SYSLOG_DEFAULT_QUEUE */
	size_t max_udp;                /* 0: BLD_SYSLOG_DEFAULT_MAX_UDP */
	unsigned rate;                 /* alerts per second to send, 0: no cap */
	const char *spool_dir;         /* a directory for the disk spools of TCP, TLS and RELP destinations, or NULL */
	uint64_t spool_max_bytes;      /* per destination; 0: BLD_SYSLOG_DEFAULT_SPOOL_MAX */
	const char *cmd;               /* "read", "test": messages on stderr say "bollard CMD: ..." */
};

struct bld_syslog_stats {
	uint64_t queued;         /* messages offered (alerts, loss reports, rate summaries, an earlier run's spool) */
	uint64_t sent;           /* confirmed by the receiver (datagrams: taken by the kernel) */
	uint64_t dropped;        /* no room in the queue (nor the spool) */
	uint64_t lost;           /* refused by the receiver, or still waiting when closing gave up */
	uint64_t kept;           /* left in the spool at close, for the next run */
	uint64_t cut;            /* longer than the transport allows: cut, marked */
	uint64_t resent;         /* written again after a connection broke before confirming them */
	uint64_t spooled;        /* went through the disk spool */
	uint64_t reports;        /* sensor.export_loss alerts queued */
	uint64_t suppressed;     /* held back by the rate cap (summed up in sensor.export_rate alerts) */
	uint64_t retries;        /* connection attempts that failed */
	uint64_t reconnects;     /* connections made after the first (the receiver went away and came back) */
};

struct bld_syslog;

/*
 * Check every URL and TLS file, then start one thread per destination.
 * Connections are made by the threads (a receiver that is down at start is
 * retried while messages wait).  NULL with a message in err.
 */
struct bld_syslog *bld_syslog_open(const struct bld_syslog_options *o, char *err, size_t err_len);

/* Queue alert a for every destination.  Never blocks on the network. */
void bld_syslog_send(struct bld_syslog *s, const struct bld_alert *a);

/*
 * Stop: sum up what the rate cap held back and report losses, send what is
 * queued, waiting at most timeout_ms for receivers that are down or confirm
 * nothing, then close; with a spool, what is still undelivered is kept in
 * it for the next run.  Prints a line per destination that did not get
 * everything.  Returns 0 when everything queued was confirmed, -EIO
 * otherwise.  st (may be
 * NULL) gets the totals over all destinations.
 */
int bld_syslog_close(struct bld_syslog *s, uint64_t timeout_ms, struct bld_syslog_stats *st);

#endif /* BLD_SYSLOG_OUT_H */
