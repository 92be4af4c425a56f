/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP stream reassembly, one direction of one connection at a time, bounded.
 *
 * A `struct bld_stream` is the small fixed part a dissector's per-flow state
 * embeds, one per direction.  The engine hands it every TCP segment seen in
 * that direction (sequence number, SYN and FIN, payload) and the peer's
 * acknowledgements; the parser reads the bytes that are contiguous and in
 * order, consumes what it can, and leaves a PDU that is not complete yet for
 * the next segment to extend.  Exported names use the prefix `bld_stream_`,
 * after what the module keeps.
 *
 * The parser's loop, after every bld_stream_segment() and bld_stream_flush():
 *
 *     for (;;) {
 *             uint32_t n;
 *             const uint8_t *p = bld_stream_ready(s, &n);
 *             ... parse whole PDUs from p, bld_stream_consume(s, used) ...
 *             if (!bld_stream_gap_ahead(s))
 *                     break;
 *             lost = bld_stream_skip_gap(s, counters);  // resynchronise
 *     }
 *
 * Policy, in short:
 *  - sequence numbers compare modulo 2^32 (RFC 9293 §3.4); SYN and FIN each
 *    occupy one sequence number (RFC 9293 §3.4), so data starts at ISN + 1;
 *  - a capture that starts mid-stream (no SYN seen) takes the first segment
 *    with data as the start (stream.midstream); zero-length segments never
 *    start a stream, since a keep-alive carries SND.NXT - 1 (RFC 9293 §3.8.4);
 *  - data ahead of the next expected byte is held out of order, up to
 *    max_segments segments and max_buffered bytes;
 *  - overlapping data: the first copy wins.  RFC 9293 §3.10.7.4 leaves the
 *    choice to the receiver and stacks differ, which is what an evasion
 *    exploits, so bytes that differ are counted (stream.overlap_conflict).
 *    Already-delivered bytes are compared while they are kept in the history
 *    (the last BLD_STREAM_HISTORY bytes consumed, released once the peer
 *    acknowledges them: the host has them then, and trims any later copy,
 *    RFC 9293 §3.10.7.4, so a different one can no longer fool it); beyond
 *    the history a retransmission cannot be checked and is counted plain;
 *  - reaching a cap gives up the oldest held data (stream.capacity): first
 *    the history, then the parser's unconsumed bytes, then what waits behind
 *    the first hole, in sequence order.  What is given up is a gap: the parser
 *    is told (bld_stream_gap_ahead) and resynchronises after it.  A hole
 *    with more than max_segments segments waiting behind it is itself
 *    given up;
 *  - data past the FIN, or more than 2^30 octets ahead (no window can reach
 *    that far, RFC 7323 §2.3), is dropped and counted.
 * Memory: nothing is allocated while nothing is held; the in-order bytes live
 * in one buffer (grown by doubling, up to max_buffered), each out-of-order
 * segment in its own allocation.
 */
#ifndef BLD_REASSEMBLY_H
#define BLD_REASSEMBLY_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Stream counters: one line each, name as shown to users.  ERR marks what a
 * SOC should see (evasion signatures, blind spots), INFO what is normal on a
 * busy network.  stream.bytes_lost counts bytes, the others segments or
 * events.
 */
#define BLD_FOREACH_STREAM_COUNTER(_)                                            \
	_(MIDSTREAM, "stream.midstream", INFO)                                   \
	_(OUT_OF_ORDER, "stream.out_of_order", INFO)                             \
	_(RETRANSMISSION, "stream.retransmission", INFO)                         \
	_(OVERLAP_CONFLICT, "stream.overlap_conflict", ERR)                      \
	_(DATA_AFTER_FIN, "stream.data_after_fin", ERR)                          \
	_(OUT_OF_WINDOW, "stream.out_of_window", ERR)                            \
	_(GAP, "stream.gap", ERR)                                                \
	_(BYTES_LOST, "stream.bytes_lost", INFO)                                 \
	_(CAPACITY, "stream.capacity", ERR)

enum bld_stream_counter {
#define BLD_X(id, name, kind) BLD_STREAM_##id,
	BLD_FOREACH_STREAM_COUNTER(BLD_X)
#undef BLD_X
	BLD_STREAM_COUNTER_MAX
};

extern const char *const bld_stream_counter_names[BLD_STREAM_COUNTER_MAX];
extern const bool bld_stream_counter_is_error[BLD_STREAM_COUNTER_MAX];

/* Defaults: a Modbus/TCP or IEC 104 PDU is at most 260 / 255 octets, an S7 or
 * OPC UA message a few KiB: 64 KiB covers a window's worth of them. */
#define BLD_STREAM_DEFAULT_MAX_BUFFERED (64u << 10)
#define BLD_STREAM_DEFAULT_MAX_SEGMENTS 32u
/*
 * Consumed bytes kept per direction to compare retransmissions with, until
 * the peer acknowledges them: a full-size Ethernet segment and some.  They
 * count as held (and go first at max_buffered).
 */
#define BLD_STREAM_HISTORY 2048u
/* Largest values accepted (larger ones are clamped): keep the arithmetic in 32 bits. */
#define BLD_STREAM_MAX_BUFFERED_LIMIT (1u << 30)
#define BLD_STREAM_MAX_SEGMENTS_LIMIT 1024u
/* RFC 7323 §2.3: a window is at most 65535 << 14 octets, just under 2^30. */
#define BLD_STREAM_MAX_WINDOW (1u << 30)

struct bld_stream_config {
	uint32_t max_buffered;   /* bytes held per direction: history, ready, after a gap and
				  * out of order (0: default 64 KiB) */
	uint32_t max_segments;   /* out-of-order segments held (0: default 32); segments that
				  * overlap are merged and count as one */
};

struct bld_stream_seg;

/*
 * One direction.  All zero is the initial state (calloc'd flow state needs no
 * init call); 64 bytes on LP64.  Fields are private to reassembly.c.
 */
struct bld_stream {
	uint8_t *buf;                /* history | ready | after the gap; NULL when all empty */
	struct bld_stream_seg *ooo;  /* held out of order, lowest sequence first, disjoint */
	uint64_t lost;               /* bytes given up in the pending gap so far */
	uint32_t next;               /* sequence number of the next byte expected */
	uint32_t fin;                /* sequence number of the FIN, when known */
	uint32_t cap;                /* bytes buf can hold */
	uint32_t start;              /* offset in buf of the first history byte */
	uint32_t hist, ready, after; /* bytes of each part, one after the other from start */
	uint32_t ooo_bytes;
	uint16_t ooo_count;
	uint8_t flags;
};

/* What one stream holds now (bytes are payload bytes, what max_buffered bounds). */
struct bld_stream_usage {
	uint32_t held;           /* history + ready + after_gap + out_of_order */
	uint32_t history;        /* consumed bytes kept for comparison */
	uint32_t ready;          /* what bld_stream_ready() returns */
	uint32_t after_gap;      /* in order behind the pending gap */
	uint32_t out_of_order;   /* bytes in held segments */
	uint32_t segments;       /* segments held out of order */
	uint64_t allocated;      /* bytes of memory allocated (buffer, segments with headers) */
};

void bld_stream_init(struct bld_stream *s);

/* Free everything held; the stream is back in its initial state.  Nothing is counted. */
void bld_stream_fini(struct bld_stream *s);

/*
 * One segment seen on the wire in this direction: seq from the TCP header,
 * its SYN and FIN flags, len payload bytes at data (copied; nothing keeps
 * pointing into the packet).  cfg may be NULL (defaults); counters may be
 * NULL.
 */
void bld_stream_segment(struct bld_stream *s, const struct bld_stream_config *cfg, uint32_t seq, bool syn,
			bool fin, const uint8_t *data, uint32_t len,
			uint64_t counters[BLD_STREAM_COUNTER_MAX]);

/*
 * The peer acknowledged every byte before ack (RFC 9293 §3.4): kept history
 * below it is released.  Call it with the other direction's ACK field.
 */
void bld_stream_ack(struct bld_stream *s, uint32_t ack);

/*
 * Contiguous bytes ready for the parser (in order, not yet consumed, before
 * any gap), or NULL and *len = 0.  Valid until the next call that changes s.
 */
const uint8_t *bld_stream_ready(const struct bld_stream *s, uint32_t *len);

/* The parser used n of the ready bytes (n larger than what is ready consumes all of it). */
void bld_stream_consume(struct bld_stream *s, uint32_t n);

/*
 * A gap lies after the ready bytes: bytes that will never come, or that were
 * given up at a cap.  Once the parser has consumed what it can,
 * bld_stream_skip_gap() drops the rest of the ready bytes and moves to the
 * data after the gap, where the parser must resynchronise.  It returns the
 * bytes lost in this gap (the unconsumed ready bytes dropped, the hole, and
 * anything given up behind it), which stream.bytes_lost has counted; 0 when
 * no gap is ahead.  A parser that leaves a gap pending across segments may
 * see the ready bytes before it given up at a cap: it learns so from the gap.
 */
bool bld_stream_gap_ahead(const struct bld_stream *s);
uint64_t bld_stream_skip_gap(struct bld_stream *s, uint64_t counters[BLD_STREAM_COUNTER_MAX]);

/*
 * The peer acknowledged every byte before ack, and ack lies past the start of
 * the first segment held out of order: the host has the bytes of the hole
 * before it, which the capture lost (a SPAN port dropping, a capture started
 * late), and its sender will not send them again.  The hole is given up now
 * as a gap rather than at a limit or the flow's end, so what follows it is
 * parsed when it comes.  (An acknowledgement that merely overtakes its data
 * in the capture, as on a SPAN port merging two directions, leaves nothing
 * held and changes nothing.)
 */
void bld_stream_ack_hole(struct bld_stream *s, const struct bld_stream_config *cfg, uint32_t ack,
			 uint64_t counters[BLD_STREAM_COUNTER_MAX]);

/*
 * The flow ends or times out: nothing is waited for any more.  Whatever is
 * held out of order becomes ready behind gaps, one at a time through the
 * parser's loop (each skip makes the next one ahead).
 */
void bld_stream_flush(struct bld_stream *s, uint64_t counters[BLD_STREAM_COUNTER_MAX]);

/* The FIN has been reached in order: every byte before it has been made ready and no more will come. */
bool bld_stream_finished(const struct bld_stream *s);

void bld_stream_usage(const struct bld_stream *s, struct bld_stream_usage *u);

#endif /* BLD_REASSEMBLY_H */
