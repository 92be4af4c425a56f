/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP stream reassembly per direction (see reassembly.h for the policy).
 *
 * Where the bytes of one direction are, in sequence order:
 *
 *   buf:  start
 *         | history | ready  |#gap#| after  |     (the part left of next)
 *                             <lost>         ^ next
 *   ooo:                                        [seg]   [seg]    [seg]  ...
 *                                            <hole>
 *
 *  - history: bytes the parser consumed, kept to compare retransmissions
 *    with (only while no gap is pending: across a gap their sequence
 *    numbers are not known any more);
 *  - ready: what the parser reads;
 *  - gap: only when the GAP flag is set; `lost` bytes were given up there;
 *  - after: in-order bytes behind the gap, ready once the parser skips it;
 *  - ooo: segments that arrived ahead of next, sorted, disjoint, each its own
 *    allocation (a segment that overlaps held ones is merged with them into
 *    one allocation, so the list stays disjoint).
 *
 * Positions inside the function bodies are offsets from next (seq - next,
 * modulo 2^32, RFC 9293 §3.4): held data lies ahead by less than 2^31, since
 * nothing further than BLD_STREAM_MAX_WINDOW ahead is taken and next only
 * moves forward towards it.  Only one gap can be pending: giving up another
 * hole while one is (a parser that does not skip) merges them, and the bytes
 * between are lost with them.
 */
#include "reassembly.h"

#include <stdlib.h>
#include <string.h>

#include "counters.h"

const char *const bld_stream_counter_names[BLD_STREAM_COUNTER_MAX] = {
	BLD_FOREACH_STREAM_COUNTER(BLD_COUNTER_NAME)
};
const bool bld_stream_counter_is_error[BLD_STREAM_COUNTER_MAX] = {
	BLD_FOREACH_STREAM_COUNTER(BLD_COUNTER_IS_ERROR)
};

#define F_STARTED 0x01  /* next is known */
#define F_GAP 0x02      /* a gap lies after the ready bytes */
#define F_FIN 0x04      /* fin is known */
#define F_FLUSHED 0x08  /* nothing is waited for: every hole becomes a gap at once */

#define MIN_CAP 256u    /* first buffer: a few SCADA PDUs; doubling from there */
#define HALF (1u << 31) /* offsets at or past this are behind next */

struct bld_stream_seg {
	struct bld_stream_seg *next;
	uint32_t seq;
	uint32_t len;
	uint8_t data[];
};

struct limits {
	uint32_t max_buffered, max_segments;
};

_Static_assert(sizeof(struct bld_stream) <= 64, "the fixed part is embedded in every TCP flow's state");

static inline void count(uint64_t *counters, enum bld_stream_counter c, uint64_t n)
{
	if (counters)
		counters[c] += n;
}

static inline uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static struct limits limits_of(const struct bld_stream_config *cfg)
{
	struct limits l = { BLD_STREAM_DEFAULT_MAX_BUFFERED, BLD_STREAM_DEFAULT_MAX_SEGMENTS };
	if (cfg && cfg->max_buffered)
		l.max_buffered = min32(cfg->max_buffered, BLD_STREAM_MAX_BUFFERED_LIMIT);
	if (cfg && cfg->max_segments)
		l.max_segments = min32(cfg->max_segments, BLD_STREAM_MAX_SEGMENTS_LIMIT);
	return l;
}

static inline uint32_t live(const struct bld_stream *s)
{
	return s->hist + s->ready + s->after;
}

static inline uint64_t held(const struct bld_stream *s)
{
	return (uint64_t)live(s) + s->ooo_bytes;
}

/* Offset of seq from next: ahead when below HALF. */
static inline uint32_t off(const struct bld_stream *s, uint32_t seq)
{
	return seq - s->next;
}

/* ---- the in-order buffer ----------------------------------------------------- */

/* Give the buffer back once it holds nothing, so idle flows cost no memory. */
static void buf_release_if_empty(struct bld_stream *s)
{
	if (live(s) == 0 && s->buf) {
		free(s->buf);
		s->buf = NULL;
		s->cap = 0;
		s->start = 0;
	}
}

/*
 * Shrink a buffer left four times too big (after a burst was consumed), so a
 * long-lived flow does not keep its peak.  A failed realloc keeps the old one.
 */
static void buf_tidy(struct bld_stream *s)
{
	buf_release_if_empty(s);
	uint32_t n = live(s);
	if (!s->buf || s->cap <= 2 * MIN_CAP || (uint64_t)n * 4 > s->cap)
		return;
	uint32_t newcap = n * 2 > MIN_CAP ? n * 2 : MIN_CAP;
	memmove(s->buf, s->buf + s->start, n);
	s->start = 0;
	uint8_t *nb = realloc(s->buf, newcap);
	if (nb) {
		s->buf = nb;
		s->cap = newcap;
	}
}

/*
 * Room for add more bytes at the end of the live ones, growing by doubling up
 * to bound (what the buffer may come to hold: max_buffered, or all that is
 * held when no config is at hand).  The callers keep live + add within
 * max_buffered, so the buffer never grows past it.
 */
static int buf_reserve(struct bld_stream *s, uint32_t bound, uint32_t add)
{
	uint32_t n = live(s);
	if ((uint64_t)s->start + n + add <= s->cap)
		return 0;
	if ((uint64_t)n + add <= s->cap) {
		memmove(s->buf, s->buf + s->start, n);
		s->start = 0;
		return 0;
	}
	uint32_t want = s->cap ? s->cap : MIN_CAP;
	while (want < n + add && want < bound)
		want *= 2;
	if (want > bound)
		want = bound;
	if (want < n + add)
		want = n + add;
	uint8_t *nb = malloc(want);
	if (!nb)
		return -1;
	if (n)
		memcpy(nb, s->buf + s->start, n);
	free(s->buf);
	s->buf = nb;
	s->cap = want;
	s->start = 0;
	return 0;
}

/* Append in-order bytes (to ready, or after the gap when one is pending). */
static void buf_append(struct bld_stream *s, const uint8_t *p, uint32_t n)
{
	memcpy(s->buf + s->start + live(s), p, n);
	if (s->flags & F_GAP)
		s->after += n;
	else
		s->ready += n;
	s->next += n;
}

static void drop_history(struct bld_stream *s, uint32_t n)
{
	s->start += n;
	s->hist -= n;
}

/* ---- gaps ---------------------------------------------------------------------- */

/* Bytes given up: part of the pending gap. */
static void lose(struct bld_stream *s, uint64_t n, uint64_t *counters)
{
	s->lost += n;
	count(counters, BLD_STREAM_BYTES_LOST, n);
}

/* A gap opens after the ready bytes; the history before it loses its sequence numbers. */
static void open_gap(struct bld_stream *s, uint64_t *counters)
{
	if (s->flags & F_GAP)
		return;
	s->flags |= F_GAP;
	s->lost = 0;
	drop_history(s, s->hist);
	count(counters, BLD_STREAM_GAP, 1);
}

/*
 * len in-order bytes at next are lost after all (kept nowhere): the pending
 * gap grows over them, or one opens after the ready bytes.  Bytes after a
 * pending gap would now sit between two gaps: they go with it.
 */
static void lose_in_order(struct bld_stream *s, uint32_t len, uint64_t *counters)
{
	if (s->flags & F_GAP) {
		lose(s, s->after, counters);
		s->after = 0;
	} else {
		open_gap(s, counters);
	}
	lose(s, len, counters);
	s->next += len;
}

static void unlink_first(struct bld_stream *s)
{
	struct bld_stream_seg *g = s->ooo;
	s->ooo = g->next;
	s->ooo_bytes -= g->len;
	s->ooo_count--;
	free(g);
}

static void give_up_hole(struct bld_stream *s, uint32_t bound, uint64_t *counters);

/*
 * Move the held segments that continue the in-order bytes into the buffer.
 * After a flush, the hole before the next one is given up at once.  A
 * segment that cannot be moved (allocation failed) is lost, counted, so that
 * every call makes progress.
 */
static void pull(struct bld_stream *s, uint32_t bound, uint64_t *counters)
{
	for (;;) {
		struct bld_stream_seg *g = s->ooo;
		if (!g)
			return;
		if (off(s, g->seq) != 0) {
			if (!(s->flags & F_FLUSHED) || (s->flags & F_GAP))
				return;
			give_up_hole(s, bound, counters); /* pulls again */
			return;
		}
		if (buf_reserve(s, bound, g->len) < 0) {
			count(counters, BLD_STREAM_CAPACITY, 1);
			lose_in_order(s, g->len, counters);
		} else {
			buf_append(s, g->data, g->len);
		}
		unlink_first(s);
	}
}

/*
 * Stop waiting for the hole before the first held segment: it becomes the
 * gap (or joins the pending one, with the bytes after that gap).
 */
static void give_up_hole(struct bld_stream *s, uint32_t bound, uint64_t *counters)
{
	uint32_t hole = off(s, s->ooo->seq);
	lose_in_order(s, hole, counters);
	pull(s, bound, counters);
}

/* ---- caps ---------------------------------------------------------------------- */

/*
 * Over max_buffered: give up the oldest bytes, in sequence order, until the
 * rest fits.  History goes silently (it is a courtesy, not data); the ready
 * bytes go whole, since the parser cannot be told that their front is gone;
 * after the gap and in held segments, only as much as needed.
 */
static bool enforce_bytes(struct bld_stream *s, const struct limits *l, uint64_t *counters)
{
	if (held(s) <= l->max_buffered)
		return false;
	uint64_t x = held(s) - l->max_buffered;
	uint32_t d = (uint32_t)(x < s->hist ? x : s->hist);
	drop_history(s, d);
	x -= d;
	if (!x)
		return false;

	if (s->ready) {
		open_gap(s, counters);
		d = s->ready;
		s->start += d;
		s->ready = 0;
		lose(s, d, counters);
		x = x > d ? x - d : 0;
	}
	if (x && s->after) {
		d = (uint32_t)(x < s->after ? x : s->after);
		s->start += d;
		s->after -= d;
		lose(s, d, counters);
		x -= d;
	}
	while (x) {
		/* hist, ready and after are empty now: held bytes are all out of order */
		struct bld_stream_seg *g = s->ooo;
		open_gap(s, counters);
		lose(s, off(s, g->seq), counters);
		d = (uint32_t)(x < g->len ? x : g->len);
		lose(s, d, counters);
		s->next = g->seq + d;
		x -= d;
		if (d == g->len) {
			unlink_first(s);
			continue;
		}
		s->ooo_bytes -= d;
		g->seq += d;
		g->len -= d;
		memmove(g->data, g->data + d, g->len);
		struct bld_stream_seg *ng = realloc(g, sizeof(*g) + g->len);
		if (ng)
			s->ooo = ng;
	}
	buf_release_if_empty(s);
	return true;
}

/* Too many segments waiting: give up holes, oldest first, until they fit. */
static bool enforce_segments(struct bld_stream *s, const struct limits *l, uint64_t *counters)
{
	bool hit = false;
	while (s->ooo_count > l->max_segments) {
		hit = true;
		give_up_hole(s, l->max_buffered, counters);
	}
	return hit;
}

/* ---- out-of-order segments ----------------------------------------------------- */

/*
 * Hold [o0, o0 + len) (offsets from next) out of order.  Bytes already held
 * win and are compared (*known, *conflict); a segment overlapping held ones is
 * merged with them.  Returns the new bytes held, or -1 when allocation failed
 * (the segment is then as good as never seen: its bytes will be a hole).
 */
static int64_t hold(struct bld_stream *s, uint32_t o0, const uint8_t *data, uint32_t len, uint32_t *known,
		    bool *conflict)
{
	uint32_t o1 = o0 + len;
	struct bld_stream_seg **pp = &s->ooo;
	while (*pp && off(s, (*pp)->seq) + (*pp)->len <= o0)
		pp = &(*pp)->next;

	uint32_t lo = o0, hi = o1, n_over = 0, k = 0;
	struct bld_stream_seg *g = *pp, *last = NULL;
	for (; g && off(s, g->seq) < o1; g = g->next) {
		uint32_t g0 = off(s, g->seq), g1 = g0 + g->len;
		uint32_t v0 = g0 > o0 ? g0 : o0, v1 = g1 < o1 ? g1 : o1;
		k += v1 - v0;
		if (memcmp(g->data + (v0 - g0), data + (v0 - o0), v1 - v0) != 0)
			*conflict = true;
		if (g0 < lo)
			lo = g0;
		if (g1 > hi)
			hi = g1;
		last = g;
		n_over++;
	}
	*known += k;
	if (k == len)
		return 0;

	struct bld_stream_seg *ng = malloc(sizeof(*ng) + (hi - lo));
	if (!ng)
		return -1;
	ng->seq = s->next + lo;
	ng->len = hi - lo;
	memcpy(ng->data + (o0 - lo), data, len);
	if (n_over) {
		/* first copy wins: the held bytes go over the new ones */
		struct bld_stream_seg *end = last->next;
		for (g = *pp; g != end;) {
			struct bld_stream_seg *gn = g->next;
			memcpy(ng->data + (off(s, g->seq) - lo), g->data, g->len);
			s->ooo_bytes -= g->len;
			free(g);
			g = gn;
		}
		ng->next = end;
	} else {
		ng->next = *pp;
	}
	*pp = ng;
	s->ooo_bytes += ng->len;
	s->ooo_count = (uint16_t)(s->ooo_count + 1 - n_over);
	return len - k;
}

/* ---- public -------------------------------------------------------------------- */

void bld_stream_init(struct bld_stream *s)
{
	memset(s, 0, sizeof(*s));
}

void bld_stream_fini(struct bld_stream *s)
{
	free(s->buf);
	for (struct bld_stream_seg *g = s->ooo, *gn; g; g = gn) {
		gn = g->next;
		free(g);
	}
	memset(s, 0, sizeof(*s));
}

/*
 * Compare the part of a segment before next, [next - b, next - b + n), with
 * the contiguous bytes kept just before next (history and ready, or after the
 * gap).  Bytes further back are not kept: they count as seen, unchecked.
 */
static void compare_behind(const struct bld_stream *s, uint32_t b, const uint8_t *data, uint32_t n,
			   bool *conflict)
{
	uint32_t k = (s->flags & F_GAP) ? s->after : s->hist + s->ready;
	const uint8_t *kept_end = s->buf ? s->buf + s->start + live(s) : NULL; /* byte at next */
	if (b > k) {
		uint32_t skip = b - k;
		if (skip >= n)
			return;
		data += skip;
		n -= skip;
		b = k;
	}
	if (n && memcmp(kept_end - b, data, n) != 0)
		*conflict = true;
}

/* Record the FIN at fseq, if it is to be believed. */
static void take_fin(struct bld_stream *s, uint32_t fseq, bool *after_fin)
{
	if (s->flags & F_FIN) {
		if (fseq != s->fin)
			*after_fin = true; /* the first FIN stays */
		return;
	}
	/* the end of what is held: the last segment's, the list being sorted */
	uint32_t held_end = 0;
	for (const struct bld_stream_seg *g = s->ooo; g; g = g->next)
		held_end = off(s, g->seq) + g->len;
	uint32_t fo = off(s, fseq);
	if (fo >= HALF || fo < held_end)
		*after_fin = true; /* it would cut off data already received */
	else {
		s->flags |= F_FIN;
		s->fin = fseq;
	}
}

void bld_stream_segment(struct bld_stream *s, const struct bld_stream_config *cfg, uint32_t seq, bool syn,
			bool fin, const uint8_t *data, uint32_t len,
			uint64_t counters[BLD_STREAM_COUNTER_MAX])
{
	struct limits l = limits_of(cfg);

	/* RFC 9293 §3.4: the SYN occupies the sequence number before the first data octet */
	if (syn)
		seq++;
	if (!(s->flags & F_STARTED)) {
		if (!syn && len == 0)
			return; /* a pure ACK or a keep-alive (SND.NXT - 1) says nothing reliable */
		if (!syn)
			count(counters, BLD_STREAM_MIDSTREAM, 1);
		s->flags |= F_STARTED;
		s->next = seq;
	}
	if (len == 0 && !fin)
		return; /* pure ACKs and keep-alives carry nothing to place */

	uint32_t o = off(s, seq);
	uint32_t fseq = seq + len;
	if (len > BLD_STREAM_MAX_WINDOW || (o < HALF && o > BLD_STREAM_MAX_WINDOW)) {
		count(counters, BLD_STREAM_OUT_OF_WINDOW, 1);
		return;
	}

	bool conflict = false, after_fin = false, capacity = false;
	uint32_t seen = 0; /* bytes received before: behind next, or held */

	/* RFC 9293 §3.10.7.4: of a segment straddling old and new, only the new part is processed */
	if (o >= HALF && len) {
		uint32_t b = -o;
		uint32_t n = len < b ? len : b;
		compare_behind(s, b, data, n, &conflict);
		seen += n;
		data += n;
		len -= n;
		o = 0;
	}

	/* RFC 9293 §3.4: the FIN occupies the sequence number after the last data octet */
	if (fin)
		take_fin(s, fseq, &after_fin);
	if ((s->flags & F_FIN) && len) {
		uint32_t fo = off(s, s->fin);
		if (o >= fo) {
			len = 0;
			after_fin = true;
		} else if (len > fo - o) {
			len = fo - o;
			after_fin = true;
		}
	}

	if (len && o == 0 && !s->ooo) {
		/* the common case, in order with nothing waiting: make room from the history */
		if (held(s) + len > l.max_buffered && s->hist) {
			uint64_t x = held(s) + len - l.max_buffered;
			drop_history(s, (uint32_t)(x < s->hist ? x : s->hist));
		}
		if (held(s) + len <= l.max_buffered) {
			if (buf_reserve(s, l.max_buffered, len) == 0) {
				buf_append(s, data, len);
			} else {
				capacity = true;
				lose_in_order(s, len, counters);
			}
			len = 0;
		}
	}
	if (len) {
		int64_t added = hold(s, o, data, len, &seen, &conflict);
		if (added < 0)
			capacity = true; /* not held: a hole, as if never seen */
		else if (added > 0 && o > 0)
			count(counters, BLD_STREAM_OUT_OF_ORDER, 1);
		capacity |= enforce_bytes(s, &l, counters);
		pull(s, l.max_buffered, counters);
		capacity |= enforce_segments(s, &l, counters);
		buf_release_if_empty(s);
	}

	if (after_fin)
		count(counters, BLD_STREAM_DATA_AFTER_FIN, 1);
	if (conflict)
		count(counters, BLD_STREAM_OVERLAP_CONFLICT, 1);
	else if (seen)
		count(counters, BLD_STREAM_RETRANSMISSION, 1);
	if (capacity)
		count(counters, BLD_STREAM_CAPACITY, 1);
}

void bld_stream_ack(struct bld_stream *s, uint32_t ack)
{
	if (!(s->flags & F_STARTED) || (s->flags & F_GAP) || !s->hist)
		return;
	uint32_t hist_seq = s->next - s->ready - s->hist;
	uint32_t d = ack - hist_seq;
	if (d >= HALF)
		return; /* acknowledges nothing kept */
	drop_history(s, min32(d, s->hist));
	buf_tidy(s);
}

const uint8_t *bld_stream_ready(const struct bld_stream *s, uint32_t *len)
{
	*len = s->ready;
	return s->ready ? s->buf + s->start + s->hist : NULL;
}

void bld_stream_consume(struct bld_stream *s, uint32_t n)
{
	if (n > s->ready)
		n = s->ready;
	s->ready -= n;
	if (s->flags & F_GAP) {
		s->start += n; /* history is not kept across a gap */
	} else {
		s->hist += n;
		if (s->hist > BLD_STREAM_HISTORY)
			drop_history(s, s->hist - BLD_STREAM_HISTORY);
	}
	buf_tidy(s);
}

bool bld_stream_gap_ahead(const struct bld_stream *s)
{
	return s->flags & F_GAP;
}

uint64_t bld_stream_skip_gap(struct bld_stream *s, uint64_t counters[BLD_STREAM_COUNTER_MAX])
{
	if (!(s->flags & F_GAP))
		return 0;
	lose(s, s->ready, counters);
	uint64_t lost = s->lost;
	s->start += s->ready;
	s->ready = s->after;
	s->after = 0;
	s->lost = 0;
	s->flags &= (uint8_t)~F_GAP;
	/* after a flush nothing is waited for: the next hole is ahead at once */
	pull(s, (uint32_t)held(s), counters);
	buf_tidy(s);
	return lost;
}

void bld_stream_ack_hole(struct bld_stream *s, const struct bld_stream_config *cfg, uint32_t ack,
			 uint64_t counters[BLD_STREAM_COUNTER_MAX])
{
	if (!(s->flags & F_STARTED) || !s->ooo)
		return;
	uint32_t past = ack - s->ooo->seq;
	if (past == 0 || past >= HALF)
		return; /* the host has not confirmed the data after the hole yet */
	struct limits l = limits_of(cfg);
	give_up_hole(s, l.max_buffered, counters);
}

void bld_stream_flush(struct bld_stream *s, uint64_t counters[BLD_STREAM_COUNTER_MAX])
{
	s->flags |= F_FLUSHED;
	pull(s, (uint32_t)held(s), counters);
	buf_release_if_empty(s);
}

bool bld_stream_finished(const struct bld_stream *s)
{
	return (s->flags & F_FIN) && s->next == s->fin;
}

void bld_stream_usage(const struct bld_stream *s, struct bld_stream_usage *u)
{
	u->history = s->hist;
	u->ready = s->ready;
	u->after_gap = s->after;
	u->out_of_order = s->ooo_bytes;
	u->segments = s->ooo_count;
	u->held = (uint32_t)held(s);
	u->allocated = s->cap + (uint64_t)s->ooo_count * sizeof(struct bld_stream_seg) + s->ooo_bytes;
}
