/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 and IPv6 fragment reassembly, bounded.
 *
 * One reassembler per worker: no locks, no global state.  The decoder hands
 * over each fragment as a `struct bld_frag`; when a fragment completes its
 * datagram the caller gets back one contiguous IP datagram, header included,
 * that it can decode again with bld_decode_ip().
 *
 * Policy, in short:
 *  - key (version, src, dst, id, protocol) for IPv4 (RFC 791 §3.2), and
 *    (src, dst, id) for IPv6 (RFC 8200 §4.5: the Next Header of the Fragment
 *    headers may differ between fragments; the offset-zero one is used);
 *  - overlapping data: the first copy wins; IPv4 counts FRAG_OVERLAP when the
 *    overlapping bytes differ and keeps the datagram; IPv6 abandons the whole
 *    datagram on any overlap (RFC 5722, RFC 8200 §4.5) except an exact
 *    duplicate (a fragment whose bytes are all already held, unchanged);
 *  - fragments that disagree about the datagram's end (two different last
 *    fragments, data past the last fragment) abandon the datagram, counted as
 *    FRAG_OVERLAP too: they are the same attack, contradicting fragments;
 *  - a datagram that would exceed 65535 octets (IPv4 total length, IPv6
 *    payload length) is abandoned, FRAG_TOO_BIG;
 *  - atomic fragments (offset 0, M clear) are returned at once and never
 *    touch a datagram in progress (RFC 6946 §4);
 *  - max_datagrams / max_bytes are hard caps: reaching one evicts the oldest
 *    datagram in progress (FRAG_CAPACITY); a datagram incomplete timeout_ns
 *    after its first fragment is dropped (FRAG_TIMEOUT), the clock being the
 *    packets' (like Linux ipfrag_time, measured from the first fragment).
 */
#ifndef BLD_IPFRAG_H
#define BLD_IPFRAG_H

#include <stdint.h>

#include "decode.h"

#define BLD_IPFRAG_DEFAULT_MAX_DATAGRAMS 1024u
#define BLD_IPFRAG_DEFAULT_MAX_BYTES (8u << 20)
/*
 * RFC 791 §3.2 suggests 15 s, RFC 8200 §4.5 allows 60 s; Linux ipfrag_time
 * is 30 s.  One value for both versions keeps the caps simple.
 */
#define BLD_IPFRAG_DEFAULT_TIMEOUT_NS (30ull * 1000000000ull)
/* Largest max_datagrams accepted: keeps the slot and bucket arrays' sizes sane. */
#define BLD_IPFRAG_MAX_DATAGRAMS_LIMIT (1u << 20)
/* Largest reassembled datagram: IPv6 header + 65535 octets of payload. */
#define BLD_IPFRAG_MAX_DATAGRAM_LEN (40u + 65535u)

struct bld_ipfrag_config {
	uint32_t max_datagrams;   /* in-progress datagrams held at once (0: default 1024) */
	uint32_t max_bytes;       /* bytes buffered over all datagrams (0: default 8 MiB);
				   * counts allocated buffer, hole bitmap and first header, so
				   * keep it >= 80 KiB or the largest datagrams cannot complete */
	uint64_t timeout_ns;      /* a datagram incomplete this long (packet time) is dropped
				   * (0: default 30 s) */
	uint64_t hash_seed;       /* mixed into the lookup hash so senders cannot aim for one
				   * bucket; results never depend on it */
};

struct bld_ipfrag;

/* NULL with errno ENOMEM, or EINVAL when max_datagrams exceeds the limit.  cfg may be NULL. */
struct bld_ipfrag *bld_ipfrag_create(const struct bld_ipfrag_config *cfg);
void bld_ipfrag_destroy(struct bld_ipfrag *f);

struct bld_ipfrag_done {
	const uint8_t *l3;        /* the reassembled IP datagram: valid until the next call
				   * into the reassembler */
	uint32_t len;
	uint32_t n_frames;        /* fragment frames that made it (duplicates included) */
	uint64_t wire_bytes;      /* sum of their wire lengths */
};

/*
 * Add one fragment seen at packet time now_ns (which only moves forward; an
 * earlier time is taken as the latest seen).  The fragment's bytes are read
 * from frag->l3 up to data_off + data_len and copied: nothing is kept pointing
 * into the packet.  data_off must be unfrag_len (IPv4) or unfrag_len + 8
 * (IPv6: the Fragment header, RFC 8200 §4.5), as decode sets them.  Returns
 *   1  with *done filled: this fragment completed its datagram;
 *   0  held (a duplicate that is absorbed counts as held);
 *  <0  the fragment was dropped (and with it, for the reasons marked *, the
 *      datagram in progress):
 *      -EINVAL   malformed, not counted (header lengths that disagree with
 *                the description, a fragment cut short by the snaplen, M set
 *                on a length that is not a multiple of 8 octets as RFC 8200
 *                §4.5 forbids, an IPv6 offset-zero fragment whose
 *                Unfragmentable Part does not end in a Fragment header),
 *                or * overlap (IPv6) or a contradicting end (FRAG_OVERLAP);
 *      -EMSGSIZE * datagram over 65535 octets (FRAG_TOO_BIG);
 *      -ENOBUFS  * the datagram alone would exceed max_bytes (FRAG_CAPACITY);
 *      -ENOMEM   allocation failed, the datagram is kept (FRAG_CAPACITY).
 * Datagrams timed out by now_ns are expired first.  counters is the decoder's
 * counter array (may be NULL); only FRAG_* entries are touched.
 */
int bld_ipfrag_add(struct bld_ipfrag *f, const struct bld_frag *frag, uint8_t ip_version,
		   const struct bld_addr *src, const struct bld_addr *dst, uint32_t wirelen,
		   uint64_t now_ns, struct bld_ipfrag_done *done,
		   uint64_t counters[BLD_DECODE_COUNTER_MAX]);

/*
 * Drop datagrams incomplete for timeout_ns at now_ns (FRAG_TIMEOUT); returns
 * how many.  Workers call it on idle bursts; at the end of a capture,
 * now_ns = UINT64_MAX counts every leftover (and pins the clock there).
 */
uint32_t bld_ipfrag_expire(struct bld_ipfrag *f, uint64_t now_ns,
			   uint64_t counters[BLD_DECODE_COUNTER_MAX]);

/* What is held now: datagrams in progress and bytes charged against max_bytes. */
void bld_ipfrag_usage(const struct bld_ipfrag *f, uint32_t *datagrams, uint64_t *bytes);

#endif /* BLD_IPFRAG_H */
