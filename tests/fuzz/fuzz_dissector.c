/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for one dissector (built once per protocol with
 * -DBLD_FUZZ_PROTO=<id from registry.h>): the real session, TCP reassembly
 * and parser, fed alternating directions the way a connection delivers them.
 *
 * Input: records until the input ends.
 *   record   op (1) | length (2, big-endian, low 12 bits) | bytes
 *   op bits  0 direction (to the server when clear)
 *            1 a datagram instead of a TCP segment (for protocols with UDP;
 *              always for protocols without TCP: UDP-only, and L2 frames)
 *            2 skip 1..16 sequence numbers first (a gap: resynchronisation)
 *            3 send the previous segment of this direction again, its first
 *              byte changed (retransmission with a conflicting overlap)
 *            4 withhold this segment until the next record of this
 *              direction has been sent (out of order)
 * Every op goes through bld_op_format() and every event name is looked up,
 * so a malformed record (unbalanced, overflowing) is caught by the sanitizers.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "session.h"

#ifndef BLD_FUZZ_PROTO
#error "build with -DBLD_FUZZ_PROTO=<protocol id>"
#endif
#define PROTO_ID_(id) BLD_PROTO_##id
#define PROTO_ID(id) PROTO_ID_(id)

static struct bld_op op;
static char line[1 << 16];

static void on_op(void *ctx, const struct bld_op *o)
{
	(void)ctx;
	if (o->depth != 0)
		abort(); /* emitted with containers open */
	bld_op_format(o, line, sizeof(line));
}

static void on_event(void *ctx, enum bld_event ev, uint64_t ts_ns, bool to_server)
{
	(void)ctx, (void)ts_ns, (void)to_server;
	if ((unsigned)ev >= BLD_EVENT_MAX || !bld_event_names[ev])
		abort();
}

struct side {
	uint32_t seq;
	uint8_t *held;            /* withheld segment (out of order) */
	uint32_t held_seq, held_len;
	uint8_t last[4096];       /* the previous segment, for retransmission */
	uint32_t last_seq, last_len;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct bld_dissector *dsc = bld_dissectors[PROTO_ID(BLD_FUZZ_PROTO)];
	static const struct bld_sink sink = { .op = on_op, .event = on_event };
	uint64_t counters[BLD_STREAM_COUNTER_MAX] = { 0 };
	struct bld_stream_config cfg = { .max_buffered = 16384, .max_segments = 8 };
	struct bld_session_env env = { .sink = &sink, .op = &op, .stream_cfg = &cfg,
				       .stream_counters = counters, .ts_ns = 1 };
	struct bld_session *s = bld_session_create();
	if (!s)
		return 0;
	if (bld_session_set_dissector(s, &env, dsc) != 0) {
		bld_session_finish(s, &env);
		return 0;
	}
	struct side side[2] = { { .seq = 1000 }, { .seq = 5000000 } };
	size_t off = 0;
	while (off + 3 <= size) {
		uint8_t opb = data[off];
		uint32_t len = ((uint32_t)data[off + 1] << 8 | data[off + 2]) & 0xfff;
		off += 3;
		if (len > size - off)
			len = (uint32_t)(size - off);
		const uint8_t *p = data + off;
		off += len;
		bool to_server = !(opb & 1);
		struct side *sd = &side[opb & 1];
		env.ts_ns += 1000;
		/* a datagram (UDP, or a frame for L2 protocols) when asked, or when the protocol has no TCP */
		bool datagrams = dsc->transports & (BLD_TRANSPORT_UDP | BLD_TRANSPORT_L2);
		if (datagrams && ((opb & 2) || !(dsc->transports & BLD_TRANSPORT_TCP))) {
			bld_session_datagram(s, &env, to_server, p, len);
			continue;
		}
		if (!(dsc->transports & BLD_TRANSPORT_TCP))
			continue;
		if (opb & 4)
			sd->seq += 1 + (opb >> 4);
		if ((opb & 8) && sd->last_len) {
			sd->last[0] ^= 0x5a;
			bld_session_tcp(s, &env, to_server, sd->last_seq, false, false, false, 0, sd->last,
					sd->last_len);
		}
		uint32_t seq = sd->seq;
		sd->seq += len;
		if ((opb & 16) && !sd->held) {
			sd->held = malloc(len ? len : 1);
			if (sd->held) {
				memcpy(sd->held, p, len);
				sd->held_seq = seq;
				sd->held_len = len;
			}
			continue;
		}
		bld_session_tcp(s, &env, to_server, seq, false, false, true, side[!(opb & 1)].seq, p, len);
		if (sd->held) {
			bld_session_tcp(s, &env, to_server, sd->held_seq, false, false, false, 0, sd->held,
					sd->held_len);
			free(sd->held);
			sd->held = NULL;
		}
		uint32_t keep = len < sizeof(sd->last) ? len : sizeof(sd->last);
		memcpy(sd->last, p, keep);
		sd->last_seq = seq;
		sd->last_len = keep;
	}
	for (int i = 0; i < 2; i++)
		free(side[i].held);
	bld_session_finish(s, &env);
	return 0;
}
