/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: TCP stream reassembly, both directions of a connection,
 * with a toy parser that consumes arbitrary amounts and skips gaps (or, at
 * times, leaves them pending as a lazy parser would).
 *
 * Input: a header, then records until the input ends.
 *   header   max_segments selector (1) | max_buffered selector (1, its top
 *            bit: end without a flush, fini frees what is held) |
 *            initial sequence number per direction (4 + 4, big-endian)
 *   record   op (1) | seq delta (2, signed big-endian) | length (2: low 12 bits
 *            length, high 4 bits how the parser consumes) | xor (1)
 *            [| absolute seq (4) when the op says so]
 *   op bits  0 direction, 1 SYN, 2 FIN, 3 an ACK from the other side instead
 *            of a segment, 4 flush first, 5 leave gaps pending this time,
 *            6-7 seq: after the last segment + delta, absolute, after the
 *            last, or the previous segment's start + delta
 * Payload bytes are a function of their sequence number, XORed with the
 * record's xor byte (0: a clean copy; anything else: a conflicting one), so
 * the harness knows what each delivered byte may be.
 *
 * Invariants (abort() when broken):
 *  - every byte delivered is one that was sent at the sequence number the
 *    parser believes it at (its start + bytes consumed + bytes lost in gaps);
 *    with only clean copies sent, exactly the clean byte and no conflict;
 *  - first copy wins: a delivered byte (every 16th, to stay fast) is the
 *    first copy received of it (segments cut at a FIN are left out, being
 *    partly refused; segments out of window are refused whole);
 *  - bytes delivered never exceed bytes sent;
 *  - held bytes never exceed max_buffered, held segments never exceed
 *    max_segments, memory stays within max_buffered plus the segments';
 *  - once the FIN is reached in order, nothing is held out of order;
 *  - at the end, after a flush and the parser's loop, nothing is left but
 *    history, and the peer's acknowledgement releases that too.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reassembly.h"

static uint8_t pattern(uint32_t seq)
{
	uint32_t x = seq * 2654435761u;
	return (uint8_t)(x >> 24 ^ x >> 13 ^ seq);
}

#define MAX_SENT 1024

struct sent {
	uint32_t seq, len;
	uint8_t xr;
	bool unsure; /* partly refused (data after the FIN): not a reference */
};

struct side {
	struct bld_stream s;
	struct sent sent_log[MAX_SENT];
	uint32_t n_sent;
	uint64_t ctr[BLD_STREAM_COUNTER_MAX];
	bool started;
	uint32_t pos;          /* sequence number of the next ready byte, as the parser tracks it */
	uint32_t last, last_end;
	uint64_t sent, delivered;
	uint8_t xors[32];      /* bit set of the xor bytes sent (bit 0: clean) */
};

static struct bld_stream_config cfg;

/* The first segment sent that covers seq decides its byte, or it is unknown (-1). */
static int first_copy(const struct side *d, uint32_t seq)
{
	for (uint32_t i = 0; i < d->n_sent; i++) {
		const struct sent *t = &d->sent_log[i];
		if (seq - t->seq < t->len)
			return t->unsure ? -1 : t->xr;
	}
	return -1;
}

static void check(struct side *d)
{
	struct bld_stream_usage u;
	bld_stream_usage(&d->s, &u);
	if (u.held > cfg.max_buffered || u.segments > cfg.max_segments ||
	    u.held != u.history + u.ready + u.after_gap + u.out_of_order)
		abort();
	if (u.allocated > (uint64_t)cfg.max_buffered + u.out_of_order + 64ull * u.segments)
		abort();
	if (d->delivered > d->sent)
		abort();
	if (bld_stream_finished(&d->s) && u.segments)
		abort();
}

/*
 * The toy parser: PDUs of `step` bytes (0: takes everything), consumed one at
 * a time; a partial PDU is left for later, and dropped at a gap.
 */
static void parse(struct side *d, uint32_t step, bool lazy)
{
	for (;;) {
		uint32_t len;
		const uint8_t *p = bld_stream_ready(&d->s, &len);
		if ((len == 0) != (p == NULL))
			abort();
		uint32_t take = step ? len / step * step : len;
		for (uint32_t i = 0; i < take; i++) {
			uint8_t x = p[i] ^ pattern(d->pos + i);
			if (!(d->xors[x / 8] >> (x % 8) & 1))
				abort();
			int want = i % 16 == 0 ? first_copy(d, d->pos + i) : -1;
			if (want >= 0 && x != want)
				abort();
		}
		for (uint32_t done = 0; done < take;) {
			uint32_t n = step ? step : take;
			bld_stream_consume(&d->s, n);
			done += n;
		}
		d->pos += take;
		d->delivered += take;
		if (!bld_stream_gap_ahead(&d->s) || lazy)
			break;
		uint64_t before = d->ctr[BLD_STREAM_BYTES_LOST];
		uint64_t lost = bld_stream_skip_gap(&d->s, d->ctr);
		if (lost > d->ctr[BLD_STREAM_BYTES_LOST] || d->ctr[BLD_STREAM_BYTES_LOST] < before)
			abort();
		d->pos += (uint32_t)lost;
	}
	check(d);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 10)
		return 0;
	static const uint32_t bufs[] = { 0, 1, 16, 100, 256, 1000, 1500, 4096, 9000, 65536 };
	cfg.max_segments = data[0] % 40;  /* 0: the default */
	cfg.max_buffered = bufs[(data[1] & 0x7f) % (sizeof(bufs) / sizeof(bufs[0]))];
	bool no_flush = data[1] & 0x80;
	/* what the module takes 0 to mean, for the checks */
	if (!cfg.max_segments)
		cfg.max_segments = BLD_STREAM_DEFAULT_MAX_SEGMENTS;
	if (!cfg.max_buffered)
		cfg.max_buffered = BLD_STREAM_DEFAULT_MAX_BUFFERED;

	struct side side[2];
	memset(side, 0, sizeof(side));
	for (int i = 0; i < 2; i++) {
		bld_stream_init(&side[i].s);
		side[i].last = side[i].last_end = be32(data + 2 + 4 * i);
	}
	size_t off = 10;
	while (off + 6 <= size) {
		const uint8_t *r = data + off;
		off += 6;
		uint8_t op = r[0];
		struct side *d = &side[op & 1];
		int16_t delta = (int16_t)(r[1] << 8 | r[2]);
		uint32_t len = (uint32_t)(r[3] & 0x0f) << 8 | r[4];
		uint32_t step = r[3] >> 4;
		uint8_t xr = r[5];
		bool syn = op & 2, fin = op & 4, lazy = op & 32;

		if (op & 16) {
			bld_stream_flush(&d->s, d->ctr);
			check(d);
		}
		if (op & 8) {
			/* an ACK from the other side, around where this side's parser is; it may confirm a hole */
			bld_stream_ack(&d->s, d->pos + (uint32_t)(int32_t)delta);
			check(d);
			bld_stream_ack_hole(&d->s, &cfg, d->pos + (uint32_t)(int32_t)delta, d->ctr);
			check(d);
			continue;
		}

		uint32_t seq;
		switch (op >> 6) {
		case 0:
			seq = d->last_end + (uint32_t)(int32_t)delta;
			break;
		case 1:
			if (off + 4 > size)
				goto end;
			seq = be32(data + off);
			off += 4;
			break;
		case 2:
			seq = d->last_end;
			break;
		default:
			seq = d->last + (uint32_t)(int32_t)delta;
			break;
		}

		/* where the stream starts, as the module decides it */
		uint32_t first = seq + (syn ? 1 : 0);
		if (!d->started && (syn || len)) {
			d->started = true;
			d->pos = first;
		}
		uint8_t *payload = malloc(len ? len : 1);
		if (!payload)
			break;
		for (uint32_t i = 0; i < len; i++)
			payload[i] = pattern(first + i) ^ xr;
		if (len)
			d->xors[xr / 8] |= (uint8_t)(1u << (xr % 8));
		d->sent += len;
		uint64_t conflicts = d->ctr[BLD_STREAM_OVERLAP_CONFLICT];
		uint64_t after_fin = d->ctr[BLD_STREAM_DATA_AFTER_FIN];
		uint64_t refused = d->ctr[BLD_STREAM_OUT_OF_WINDOW];
		bld_stream_segment(&d->s, &cfg, seq, syn, fin, payload, len, d->ctr);
		free(payload);
		if (len && d->n_sent < MAX_SENT && d->ctr[BLD_STREAM_OUT_OF_WINDOW] == refused)
			d->sent_log[d->n_sent++] = (struct sent){ first, len, xr,
								 d->ctr[BLD_STREAM_DATA_AFTER_FIN] != after_fin };
		/* only the clean byte was ever sent: nothing can conflict */
		if (d->xors[0] == 1 && !memcmp(d->xors + 1, (uint8_t[31]){ 0 }, 31) &&
		    d->ctr[BLD_STREAM_OVERLAP_CONFLICT] != conflicts)
			abort();
		d->last = seq;
		d->last_end = first + len;
		check(d);
		parse(d, step * step * 7, lazy); /* PDUs of 0 (all) to 1575 bytes */
	}
end:
	for (int i = 0; i < 2; i++) {
		struct side *d = &side[i];
		if (no_flush) {
			bld_stream_fini(&d->s); /* LeakSanitizer checks it freed everything */
			continue;
		}
		bld_stream_flush(&d->s, d->ctr);
		parse(d, 0, false);
		struct bld_stream_usage u;
		bld_stream_usage(&d->s, &u);
		if (u.held != u.history || u.segments || bld_stream_gap_ahead(&d->s))
			abort();
		bld_stream_ack(&d->s, d->pos);
		bld_stream_usage(&d->s, &u);
		if (u.held || u.allocated)
			abort();
		bld_stream_fini(&d->s);
	}
	return 0;
}
