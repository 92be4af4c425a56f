/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 / IPv6 fragment reassembly (see ipfrag.h for the policy).
 *
 * Layout of what is reassembled:
 *
 *   IPv4 (RFC 791 §3.1)            IPv6 (RFC 8200 §4.5)
 *   +------------------+           +------------------------------+
 *   | header + options |           | IPv6 header + ext. headers   |  Unfragmentable Part
 *   +------------------+           +------------------------------+
 *   | fragment data    |           | Fragment header (8 octets)   |  dropped on output
 *   +------------------+           +------------------------------+
 *                                  | fragment data                |
 *                                  +------------------------------+
 *
 * Offsets count 8-octet units and every fragment but the last carries a
 * multiple of 8 octets, so the payload is tracked in 8-octet blocks: one bit
 * per block says "held".  A datagram keeps one buffer, payload first then its
 * block bitmap, grown (doubling, up to 64 KiB) as fragments reach further.
 * Only the last fragment can end inside a block, and any fragment reaching
 * past the last one's end abandons the datagram, so a set bit always means
 * every byte of the block below the datagram's end is present.  Inserting is
 * linear in the fragment's length whatever the arrival order, so tiny
 * fragments cannot make reassembly quadratic (the cost of a sorted list).
 *
 * Datagrams live in a fixed slot array, found through a hash table of chains
 * and kept on one age list (oldest first) that serves both the timeout and
 * the capacity eviction: packet time only moves forward, so creation order is
 * also expiry order.
 */
#include "ipfrag.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"

#define NIL UINT32_MAX
#define BLOCK 8u            /* RFC 791 §3.1, RFC 8200 §4.5: offsets in 8-octet units */
#define GRANULE 512u        /* buffer growth step: 64 blocks, a whole number of bitmap bytes */
#define MAX_PAYLOAD 65536u  /* the size checks keep every fragment's end below this */
#define IPV4_MAX_TOTAL 65535u
#define IPV6_MAX_PAYLOAD 65535u
#define IPV6_HDR 40u
#define IPV6_FRAG_HDR 8u
#define IPV6_NH_FRAGMENT 44
#define IPV6_MAX_EXT 16u    /* extension headers walked in the Unfragmentable Part */

struct dgram {
	/* key; proto is 0 for IPv6, whose key leaves it out (RFC 8200 §4.5) */
	struct bld_addr src, dst;
	uint32_t id;
	uint8_t version;
	uint8_t proto;

	bool have_last;
	uint8_t frag_nh;         /* IPv6: Next Header of the offset-zero Fragment header */
	uint32_t nh_pos;         /* IPv6: offset in hdr of the Next Header field naming Fragment */
	uint32_t total;          /* payload octets, once have_last */
	uint32_t max_end;        /* furthest payload octet seen + 1 */
	uint32_t covered;        /* blocks held */
	uint32_t cap;            /* payload octets buf can hold, a multiple of GRANULE (0: no buf) */
	uint8_t *buf;            /* cap payload octets, then cap / 64 bitmap octets */
	uint32_t hdr_len;        /* 0 until the offset-zero fragment arrives */
	uint8_t *hdr;            /* its Unfragmentable Part (IPv4 header with options) */
	uint32_t n_frames;
	uint64_t wire_bytes;
	uint64_t first_ns;       /* packet time of the first fragment */

	uint32_t bucket;
	uint32_t hnext;          /* hash chain, or free list */
	uint32_t older, newer;   /* age list */
};

struct bld_ipfrag {
	struct bld_ipfrag_config cfg;
	struct dgram *slots;
	uint32_t *buckets;
	uint32_t bucket_mask;
	uint32_t free_head;
	uint32_t oldest, newest;
	uint32_t n_active;
	uint64_t bytes;
	uint64_t now_ns;
	uint8_t *out;            /* BLD_IPFRAG_MAX_DATAGRAM_LEN: the datagram handed back */
};

static inline void count(uint64_t *counters, enum bld_decode_counter c)
{
	if (counters)
		counters[c]++;
}

static inline uint32_t round_up(uint32_t n, uint32_t to)
{
	return (n + to - 1) / to * to;
}

static inline uint64_t buf_size(uint32_t cap)
{
	return (uint64_t)cap + cap / 64;
}

static inline uint64_t charge(const struct dgram *d)
{
	return buf_size(d->cap) + d->hdr_len;
}

static inline bool block_held(const struct dgram *d, uint32_t b)
{
	return b < d->cap / BLOCK && (d->buf[d->cap + b / 8] >> (b % 8) & 1);
}

/* ---- hash ---------------------------------------------------------------- */

/* splitmix64's finaliser: cheap and mixes every input bit into every output bit. */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint32_t key_hash(const struct bld_ipfrag *f, uint8_t version, const struct bld_addr *src,
			 const struct bld_addr *dst, uint32_t id, uint8_t proto)
{
	uint64_t w[4];
	memcpy(&w[0], src->b, 16);
	memcpy(&w[2], dst->b, 16);
	uint64_t h = mix64(f->cfg.hash_seed ^ ((uint64_t)version << 40 | (uint64_t)proto << 32 | id));
	for (int i = 0; i < 4; i++)
		h = mix64(h ^ w[i]);
	return (uint32_t)h & f->bucket_mask;
}

static uint32_t lookup(const struct bld_ipfrag *f, uint32_t bucket, uint8_t version,
		       const struct bld_addr *src, const struct bld_addr *dst, uint32_t id,
		       uint8_t proto)
{
	for (uint32_t i = f->buckets[bucket]; i != NIL; i = f->slots[i].hnext) {
		const struct dgram *d = &f->slots[i];
		if (d->id == id && d->version == version && d->proto == proto &&
		    memcmp(d->src.b, src->b, 16) == 0 && memcmp(d->dst.b, dst->b, 16) == 0)
			return i;
	}
	return NIL;
}

/* ---- slots ----------------------------------------------------------------- */

static void dgram_drop(struct bld_ipfrag *f, uint32_t i)
{
	struct dgram *d = &f->slots[i];

	uint32_t *pp = &f->buckets[d->bucket];
	while (*pp != i)
		pp = &f->slots[*pp].hnext;
	*pp = d->hnext;

	if (d->older != NIL)
		f->slots[d->older].newer = d->newer;
	else
		f->oldest = d->newer;
	if (d->newer != NIL)
		f->slots[d->newer].older = d->older;
	else
		f->newest = d->older;

	f->bytes -= charge(d);
	free(d->buf);
	free(d->hdr);
	memset(d, 0, sizeof(*d));
	d->hnext = f->free_head;
	f->free_head = i;
	f->n_active--;
}

/* Oldest first: the one least likely to still complete (and first to time out anyway). */
static uint32_t dgram_new(struct bld_ipfrag *f, uint32_t bucket, uint8_t version,
			  const struct bld_addr *src, const struct bld_addr *dst, uint32_t id,
			  uint8_t proto, uint64_t *counters)
{
	if (f->n_active >= f->cfg.max_datagrams) {
		dgram_drop(f, f->oldest);
		count(counters, BLD_DECODE_FRAG_CAPACITY);
	}
	uint32_t i = f->free_head;
	struct dgram *d = &f->slots[i];
	f->free_head = d->hnext;

	memset(d, 0, sizeof(*d));
	d->src = *src;
	d->dst = *dst;
	d->id = id;
	d->version = version;
	d->proto = proto;
	d->first_ns = f->now_ns;

	d->bucket = bucket;
	d->hnext = f->buckets[bucket];
	f->buckets[bucket] = i;

	d->older = f->newest;
	d->newer = NIL;
	if (f->newest != NIL)
		f->slots[f->newest].newer = i;
	else
		f->oldest = i;
	f->newest = i;
	f->n_active++;
	return i;
}

static uint32_t expire(struct bld_ipfrag *f, uint64_t *counters)
{
	uint32_t n = 0;
	while (f->oldest != NIL && f->now_ns - f->slots[f->oldest].first_ns >= f->cfg.timeout_ns) {
		dgram_drop(f, f->oldest);
		count(counters, BLD_DECODE_FRAG_TIMEOUT);
		n++;
	}
	return n;
}

/* ---- headers --------------------------------------------------------------- */

/*
 * Find, in the Unfragmentable Part (RFC 8200 §4.5), the Next Header field that
 * names the Fragment header: the IPv6 header's own (offset 6) or the first
 * octet of the last extension header before it.  Extension headers measure
 * (Hdr Ext Len + 1) * 8 octets (RFC 8200 §4.3-4.6, RFC 6275 §6.1.1 Mobility,
 * RFC 7401 HIP, RFC 5533 shim6), AH (Payload Len + 2) * 4 (RFC 4302 §2.2).
 */
static int v6_frag_nh_pos(const uint8_t *l3, uint32_t unfrag_len, uint32_t *nh_pos)
{
	struct bld_cur c = bld_cur_make(l3, unfrag_len);
	bld_cur_skip(&c, 6);
	uint32_t pos = 6;
	uint8_t nh = bld_cur_u8(&c);
	bld_cur_skip(&c, IPV6_HDR - 7);

	for (uint32_t n = 0; !c.err && bld_cur_left(&c) > 0; n++) {
		if (n == IPV6_MAX_EXT)
			return -EINVAL;
		uint8_t type = nh;
		pos = c.off;
		nh = bld_cur_u8(&c);
		uint32_t hl = bld_cur_u8(&c);
		uint32_t len;
		switch (type) {
		case 0:   /* Hop-by-Hop Options */
		case 43:  /* Routing */
		case 60:  /* Destination Options */
		case 135: /* Mobility */
		case 139: /* HIP */
		case 140: /* shim6 */
			len = (hl + 1) * 8;
			break;
		case 51:  /* AH */
			len = (hl + 2) * 4;
			break;
		default:  /* an upper layer before the Fragment header: not an Unfragmentable Part */
			return -EINVAL;
		}
		bld_cur_skip(&c, len - 2);
	}
	if (c.err || nh != IPV6_NH_FRAGMENT)
		return -EINVAL;
	*nh_pos = pos;
	return 0;
}

/* RFC 1071 Internet checksum, over an IPv4 header (RFC 791 §3.1 Header Checksum). */
static uint16_t ipv4_cksum(const uint8_t *p, uint32_t len)
{
	uint32_t sum = 0;
	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Write the reassembled datagram to f->out: the first fragment's header with
 * the fragmentation undone, then the payload.  Sizes were checked by the
 * caller against IPV4_MAX_TOTAL / IPV6_MAX_PAYLOAD.
 */
static uint32_t build(struct bld_ipfrag *f, uint8_t version, const uint8_t *hdr, uint32_t hdr_len,
		      uint32_t nh_pos, uint8_t frag_nh, const uint8_t *payload, uint32_t total)
{
	uint8_t *o = f->out;
	uint32_t len = hdr_len + total;

	memcpy(o, hdr, hdr_len);
	if (total)
		memcpy(o + hdr_len, payload, total);
	if (version == 4) {
		/* RFC 791 §3.1: Total Length; flags keep DF (and the reserved bit), MF and offset cleared */
		o[2] = (uint8_t)(len >> 8);
		o[3] = (uint8_t)len;
		o[6] &= 0xc0;
		o[7] = 0;
		o[10] = o[11] = 0;
		uint16_t ck = ipv4_cksum(o, hdr_len);
		o[10] = (uint8_t)(ck >> 8);
		o[11] = (uint8_t)ck;
	} else {
		/* RFC 8200 §4.5: Payload Length recomputed, Fragment header gone from the chain */
		uint32_t plen = len - IPV6_HDR;
		o[4] = (uint8_t)(plen >> 8);
		o[5] = (uint8_t)plen;
		o[nh_pos] = frag_nh;
	}
	return len;
}

/* ---- public ---------------------------------------------------------------- */

struct bld_ipfrag *bld_ipfrag_create(const struct bld_ipfrag_config *cfg)
{
	struct bld_ipfrag_config c = cfg ? *cfg : (struct bld_ipfrag_config){ 0 };
	if (!c.max_datagrams)
		c.max_datagrams = BLD_IPFRAG_DEFAULT_MAX_DATAGRAMS;
	if (!c.max_bytes)
		c.max_bytes = BLD_IPFRAG_DEFAULT_MAX_BYTES;
	if (!c.timeout_ns)
		c.timeout_ns = BLD_IPFRAG_DEFAULT_TIMEOUT_NS;
	if (c.max_datagrams > BLD_IPFRAG_MAX_DATAGRAMS_LIMIT) {
		errno = EINVAL;
		return NULL;
	}

	/* twice as many buckets as slots: chains stay about one long */
	uint32_t n_buckets = 16;
	while (n_buckets < 2 * c.max_datagrams)
		n_buckets *= 2;

	struct bld_ipfrag *f = calloc(1, sizeof(*f));
	if (!f)
		goto err;
	f->cfg = c;
	f->slots = calloc(c.max_datagrams, sizeof(*f->slots));
	if (!f->slots)
		goto err_free_f;
	f->buckets = malloc(n_buckets * sizeof(*f->buckets));
	if (!f->buckets)
		goto err_free_slots;
	f->out = malloc(BLD_IPFRAG_MAX_DATAGRAM_LEN);
	if (!f->out)
		goto err_free_buckets;

	for (uint32_t i = 0; i < n_buckets; i++)
		f->buckets[i] = NIL;
	f->bucket_mask = n_buckets - 1;
	for (uint32_t i = 0; i < c.max_datagrams; i++)
		f->slots[i].hnext = i + 1 < c.max_datagrams ? i + 1 : NIL;
	f->free_head = 0;
	f->oldest = f->newest = NIL;
	return f;

err_free_buckets:
	free(f->buckets);
err_free_slots:
	free(f->slots);
err_free_f:
	free(f);
err:
	errno = ENOMEM;
	return NULL;
}

void bld_ipfrag_destroy(struct bld_ipfrag *f)
{
	if (!f)
		return;
	while (f->oldest != NIL)
		dgram_drop(f, f->oldest);
	free(f->out);
	free(f->buckets);
	free(f->slots);
	free(f);
}

uint32_t bld_ipfrag_expire(struct bld_ipfrag *f, uint64_t now_ns,
			   uint64_t counters[BLD_DECODE_COUNTER_MAX])
{
	if (now_ns > f->now_ns)
		f->now_ns = now_ns;
	return expire(f, counters);
}

void bld_ipfrag_usage(const struct bld_ipfrag *f, uint32_t *datagrams, uint64_t *bytes)
{
	if (datagrams)
		*datagrams = f->n_active;
	if (bytes)
		*bytes = f->bytes;
}

/* Make room for `add` more bytes for datagram i by evicting the oldest others. */
static void make_room(struct bld_ipfrag *f, uint32_t i, uint64_t add, uint64_t *counters)
{
	while (f->bytes + add > f->cfg.max_bytes) {
		uint32_t v = f->oldest == i ? f->slots[i].newer : f->oldest;
		/* cannot be NIL: the caller checked that i alone fits */
		dgram_drop(f, v);
		count(counters, BLD_DECODE_FRAG_CAPACITY);
	}
}

/* Grow d's buffer to newcap payload octets, keeping the bitmap after the payload. */
static int grow(struct dgram *d, uint32_t newcap)
{
	uint32_t oldcap = d->cap;
	uint8_t *nb = realloc(d->buf, buf_size(newcap));
	if (!nb)
		return -ENOMEM;
	memmove(nb + newcap, nb + oldcap, oldcap / 64);
	memset(nb + newcap + oldcap / 64, 0, (newcap - oldcap) / 64);
	d->buf = nb;
	d->cap = newcap;
	return 0;
}

/* A fragment that contradicts its own headers: dropped and counted. */
static int malformed(uint64_t counters[BLD_DECODE_COUNTER_MAX])
{
	counters[BLD_DECODE_FRAG_MALFORMED]++;
	return -EINVAL;
}

int bld_ipfrag_add(struct bld_ipfrag *f, const struct bld_frag *frag, uint8_t ip_version,
		   const struct bld_addr *src, const struct bld_addr *dst, uint32_t wirelen,
		   uint64_t now_ns, struct bld_ipfrag_done *done,
		   uint64_t counters[BLD_DECODE_COUNTER_MAX])
{
	if (now_ns > f->now_ns)
		f->now_ns = now_ns;
	expire(f, counters);

	/*
	 * What decode promised, checked again: the data follows the header at
	 * once (IPv4 IHL is 5..15 words, RFC 791 §3.1; IPv6 has only the 8-octet
	 * Fragment header between the Unfragmentable Part and the data, whose
	 * offsets count from there, RFC 8200 §4.5), offsets in 8-octet units,
	 * and every fragment but the last a multiple of 8 octets long (RFC 8200
	 * §4.5 says discard; RFC 791 §3.2 builds no other kind).
	 */
	bool v4 = ip_version == 4;
	if (ip_version != 4 && ip_version != 6)
		return malformed(counters);
	if (v4 ? frag->unfrag_len < 20 || frag->unfrag_len > 60 || frag->data_off != frag->unfrag_len
	       : frag->unfrag_len < IPV6_HDR || frag->unfrag_len > UINT32_MAX - IPV6_FRAG_HDR ||
			 frag->data_off != frag->unfrag_len + IPV6_FRAG_HDR)
		return malformed(counters);
	if (frag->offset % BLOCK || (frag->more && frag->data_len % BLOCK))
		return malformed(counters);

	struct bld_cur c = bld_cur_make(frag->l3, frag->data_off + frag->data_len);
	if (c.len < frag->data_off) /* the sum wrapped */
		return malformed(counters);
	uint32_t nh_pos = 0;
	uint8_t frag_nh = 0;
	if (frag->offset == 0 && !v4) {
		if (v6_frag_nh_pos(frag->l3, frag->unfrag_len, &nh_pos) < 0)
			return malformed(counters);
		struct bld_cur fh = bld_cur_make(frag->l3, frag->data_off);
		bld_cur_skip(&fh, frag->unfrag_len);
		frag_nh = bld_cur_u8(&fh);
	}
	/*
	 * The fragment must be whole: its own Total Length (RFC 791 §3.1) or
	 * Payload Length (RFC 8200 §3) says how much data it carries, and a
	 * snaplen-cut last fragment would otherwise set a wrong datagram end.
	 */
	struct bld_cur lc = bld_cur_make(frag->l3, frag->unfrag_len);
	bld_cur_skip(&lc, v4 ? 2 : 4);
	uint32_t l3_len = bld_cur_be16(&lc) + (v4 ? 0 : IPV6_HDR);
	if (lc.err || l3_len != c.len)
		return malformed(counters);

	bld_cur_skip(&c, frag->data_off);
	const uint8_t *data = bld_cur_bytes(&c, frag->data_len);
	if (!data)
		return malformed(counters);

	/*
	 * RFC 791 §3.1 Total Length and RFC 8200 §4.5 Payload Length are 16 bits:
	 * a fragment reaching past them is the ping of death; the datagram it
	 * belongs to is abandoned with it.
	 */
	uint64_t end64 = (uint64_t)frag->offset + frag->data_len;
	bool too_big = v4 ? end64 + frag->unfrag_len > IPV4_MAX_TOTAL
			  : end64 + (frag->unfrag_len - IPV6_HDR) > IPV6_MAX_PAYLOAD;
	uint32_t end = (uint32_t)end64;

	/* RFC 6946 §4: an atomic fragment is a whole datagram, apart from any reassembly */
	if (!too_big && frag->offset == 0 && !frag->more) {
		done->len = build(f, ip_version, frag->l3, frag->unfrag_len, nh_pos, frag_nh, data,
				  frag->data_len);
		done->l3 = f->out;
		done->n_frames = 1;
		done->wire_bytes = wirelen;
		count(counters, BLD_DECODE_FRAG_REASSEMBLED);
		return 1;
	}

	uint8_t proto = v4 ? frag->next_proto : 0;
	uint32_t bucket = key_hash(f, ip_version, src, dst, frag->id, proto);
	uint32_t i = lookup(f, bucket, ip_version, src, dst, frag->id, proto);
	if (too_big) {
		if (i != NIL)
			dgram_drop(f, i);
		count(counters, BLD_DECODE_FRAG_TOO_BIG);
		return -EMSGSIZE;
	}
	if (i == NIL)
		i = dgram_new(f, bucket, ip_version, src, dst, frag->id, proto, counters);
	struct dgram *d = &f->slots[i];

	/*
	 * RFC 791 §3.2 / RFC 8200 §4.5: the fragment with MF / M clear fixes the
	 * length.  A second, different end or data past it means the fragments
	 * contradict each other, and which to believe is what an evasion needs
	 * the monitor and the host to disagree on: abandon.
	 */
	if (frag->more ? d->have_last && end > d->total
		       : (d->have_last && end != d->total) || end < d->max_end) {
		dgram_drop(f, i);
		count(counters, BLD_DECODE_FRAG_OVERLAP);
		return -EINVAL;
	}

	/* Which blocks are already held, and do they say the same thing? */
	uint32_t b0 = frag->offset / BLOCK, b1 = (end + BLOCK - 1) / BLOCK;
	uint32_t n_held = 0;
	bool differs = false;
	for (uint32_t b = b0; b < b1; b++) {
		if (!block_held(d, b))
			continue;
		uint32_t lo = b * BLOCK, hi = lo + BLOCK < end ? lo + BLOCK : end;
		n_held++;
		if (memcmp(d->buf + lo, data + (lo - frag->offset), hi - lo) != 0)
			differs = true;
	}
	if (n_held && !v4 && (differs || n_held != b1 - b0)) {
		/*
		 * RFC 5722 §4 / RFC 8200 §4.5: an overlap abandons the datagram;
		 * an exact duplicate may be dropped alone.
		 */
		dgram_drop(f, i);
		count(counters, BLD_DECODE_FRAG_OVERLAP);
		return -EINVAL;
	}
	if (differs) /* IPv4: first copy wins, but the disagreement is an attack signature */
		count(counters, BLD_DECODE_FRAG_OVERLAP);

	/* Memory: buffer growth and the first header, against the caps. */
	bool take_hdr = frag->offset == 0 && d->hdr_len == 0;
	uint32_t newcap = d->cap;
	if (end > d->cap) {
		/* doubling bounds the copies; never past the known end, or 64 KiB */
		bool last_known = d->have_last || !frag->more;
		uint32_t limit = last_known ? round_up(frag->more ? d->total : end, GRANULE) : MAX_PAYLOAD;
		uint32_t need = round_up(end, GRANULE);
		uint32_t dbl = d->cap * 2 < limit ? d->cap * 2 : limit;
		newcap = need > dbl ? need : dbl;
	}
	uint64_t add = buf_size(newcap) - buf_size(d->cap) + (take_hdr ? frag->unfrag_len : 0);
	if (add) {
		if (charge(d) + add > f->cfg.max_bytes) {
			dgram_drop(f, i);
			count(counters, BLD_DECODE_FRAG_CAPACITY);
			return -ENOBUFS;
		}
		make_room(f, i, add, counters);
		uint8_t *h = NULL;
		if (take_hdr && !(h = malloc(frag->unfrag_len)))
			goto err_nomem;
		if (newcap != d->cap && grow(d, newcap) < 0) {
			free(h);
			goto err_nomem;
		}
		if (take_hdr) {
			memcpy(h, frag->l3, frag->unfrag_len);
			d->hdr = h;
			d->hdr_len = frag->unfrag_len;
			d->nh_pos = nh_pos;
			d->frag_nh = frag_nh;
		}
		f->bytes += add;
	}

	/* Commit: the blocks not yet held, first copy wins. */
	if (!frag->more) {
		d->have_last = true;
		d->total = end;
	}
	if (end > d->max_end)
		d->max_end = end;
	for (uint32_t b = b0; b < b1; b++) {
		if (block_held(d, b))
			continue;
		uint32_t lo = b * BLOCK, hi = lo + BLOCK < end ? lo + BLOCK : end;
		memcpy(d->buf + lo, data + (lo - frag->offset), hi - lo);
		d->buf[d->cap + b / 8] |= (uint8_t)(1u << (b % 8));
		d->covered++;
	}
	d->n_frames++;
	d->wire_bytes += wirelen;

	if (!d->have_last || !d->hdr_len || d->covered != (d->total + BLOCK - 1) / BLOCK)
		return 0;

	/* Complete.  Later fragments may carry fewer IPv4 options than the first. */
	if (v4 ? d->hdr_len + d->total > IPV4_MAX_TOTAL
	       : d->hdr_len - IPV6_HDR + d->total > IPV6_MAX_PAYLOAD) {
		dgram_drop(f, i);
		count(counters, BLD_DECODE_FRAG_TOO_BIG);
		return -EMSGSIZE;
	}
	done->len = build(f, ip_version, d->hdr, d->hdr_len, d->nh_pos, d->frag_nh, d->buf, d->total);
	done->l3 = f->out;
	done->n_frames = d->n_frames;
	done->wire_bytes = d->wire_bytes;
	dgram_drop(f, i);
	count(counters, BLD_DECODE_FRAG_REASSEMBLED);
	return 1;

err_nomem:
	count(counters, BLD_DECODE_FRAG_CAPACITY);
	return -ENOMEM;
}
