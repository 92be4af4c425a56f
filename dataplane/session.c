/* SPDX-License-Identifier: BSD-3-Clause */
#include "session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "registry.h"

/*
 * Before the verdict, when each run of stream bytes arrived: so that PDUs
 * parsed at the verdict carry their own packet's time, not the verdict's.
 */
#define MARKS_MAX 32

struct mark {
	uint32_t end;            /* ready bytes up to here arrived ... */
	uint64_t ts_ns;          /* ... at this packet time */
};

struct bld_session {
	struct bld_stream stream[2];     /* by direction: BLD_DIR_TO_SERVER, BLD_DIR_TO_CLIENT */
	const struct bld_dissector *dsc; /* NULL until the flow is classified */
	void *state;                     /* dsc->state_size bytes */
	uint32_t needed[2];              /* a PDU of this size is pending: wait until it is all here */
	bool resync[2];                  /* framing lost: look for the next PDU boundary */
	bool started[2];                 /* a TCP segment has been seen in this direction */
	struct mark *marks[2];           /* until the verdict (MARKS_MAX each), else NULL */
	uint8_t n_marks[2];
	uint8_t proto;                   /* enum bld_proto of dsc: where env->configs keeps its settings */
};

/* Remember when the ready bytes of a direction grew, while no dissector reads them. */
static void mark(struct bld_session *s, int dir, uint64_t ts)
{
	uint32_t n;
	bld_stream_ready(&s->stream[dir], &n);
	uint8_t k = s->n_marks[dir];
	if (k && s->marks[dir][k - 1].end >= n)
		return;
	if (!s->marks[dir]) {
		s->marks[dir] = calloc(MARKS_MAX, sizeof(struct mark));
		if (!s->marks[dir])
			return; /* out of memory: the verdict's time is used */
	}
	if (k == MARKS_MAX)
		k--; /* a long wait: later bytes share the last mark's time */
	s->marks[dir][k] = (struct mark){ .end = n, .ts_ns = ts };
	s->n_marks[dir] = (uint8_t)(k + 1);
}

static void marks_free(struct bld_session *s)
{
	for (int dir = 0; dir < 2; dir++) {
		free(s->marks[dir]);
		s->marks[dir] = NULL;
		s->n_marks[dir] = 0;
	}
}


struct bld_session *bld_session_create(void)
{
	return calloc(1, sizeof(struct bld_session));
}

const struct bld_dissector *bld_session_dissector(const struct bld_session *s)
{
	return s->dsc;
}

static int dir_of(bool to_server)
{
	return to_server ? BLD_DIR_TO_SERVER : BLD_DIR_TO_CLIENT;
}

static void raise_event(const struct bld_session_env *env, enum bld_event ev, bool to_server)
{
	if (env->sink && env->sink->event)
		env->sink->event(env->sink->ctx, ev, env->ts_ns, to_server);
}

/*
 * The offset of the next plausible PDU start: the first where the probe
 * matches.  *wait when the probe could match at an offset near the end but
 * must see more bytes to say so: keep them for the next segment.  Further
 * back, a "need more" (a DNP3 header whose CRC fails) is not a boundary to
 * wait at, or one bad header would stall the good PDUs behind it.
 */
static uint32_t resync_offset(const struct bld_dissector *dsc, const uint8_t *p, uint32_t n, bool to_server,
			      bool *wait)
{
	*wait = false;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t w = n - i < BLD_SESSION_RESYNC_WINDOW ? n - i : BLD_SESSION_RESYNC_WINDOW;
		enum bld_probe r = dsc->probe(p + i, w, to_server);
		if (r == BLD_PROBE_MATCH)
			return i;
		if (r == BLD_PROBE_NEED_MORE && n - i < BLD_SESSION_RESYNC_TAIL) {
			*wait = true;
			return i;
		}
	}
	return n;
}

/*
 * Parse whole PDUs from p; returns the bytes used (parsed or skipped).  A
 * stream keeps the rest for the next segment; a datagram's rest is dropped.
 */
static uint32_t parse_bytes(struct bld_session *s, const struct bld_session_env *env, bool to_server,
			    const uint8_t *p, uint32_t n, bool datagram)
{
	int dir = dir_of(to_server);
	const void *config = env->configs ? env->configs[s->proto] : NULL;
	struct bld_parse_ctx pc = {
		.dsc = s->dsc, .state = s->state, .ts_ns = env->ts_ns, .to_server = to_server,
		.datagram = datagram, .op = env->op, .sink = env->sink,
		.config = config ? config : s->dsc->config_default,
	};
	uint32_t max_pdu = env->stream_cfg && env->stream_cfg->max_buffered ? env->stream_cfg->max_buffered
									     : BLD_STREAM_DEFAULT_MAX_BUFFERED;
	uint32_t off = 0;
	while (off < n) {
		if (s->resync[dir]) {
			bool wait;
			uint32_t k = resync_offset(s->dsc, p + off, n - off, to_server, &wait);
			if (k) {
				raise_event(env, BLD_EVENT_APP_RESYNC, to_server);
				off += k;
			}
			if (wait && !datagram)
				break;
			if (off >= n)
				break;
			s->resync[dir] = false;
		}
		uint32_t left = n - off;
		if (!datagram && s->needed[dir] > left)
			break; /* the rest of a known-size PDU is still on its way */
		struct bld_parse_result r = s->dsc->parse(&pc, p + off, left);
		bool stuck = false;
		switch (r.status) {
		case BLD_PARSE_OK:
			if (r.consumed == 0 || r.consumed > left) {
				stuck = true;
				break;
			}
			off += r.consumed;
			s->needed[dir] = 0;
			continue;
		case BLD_PARSE_INCOMPLETE:
			if (r.needed && r.needed <= left) {
				stuck = true;
				break;
			}
			if (datagram)
				return n; /* the parser raised its truncation event */
			if (r.needed > max_pdu) {
				raise_event(env, BLD_EVENT_APP_PDU_TOO_LARGE, to_server);
				s->needed[dir] = 0;
				s->resync[dir] = true;
				off++;
				continue;
			}
			s->needed[dir] = r.needed;
			return off;
		case BLD_PARSE_ERROR:
			off += r.consumed == 0 ? 1 : r.consumed < left ? r.consumed : left;
			s->needed[dir] = 0;
			s->resync[dir] = true;
			continue;
		}
		if (stuck) {
			raise_event(env, BLD_EVENT_APP_PARSER_STUCK, to_server);
			off++;
			s->needed[dir] = 0;
			s->resync[dir] = true;
		}
	}
	return off;
}

/* Add a call's stream counters to the engine's and raise the ones a SOC should see. */
static void account_stream(const struct bld_session_env *env, const uint64_t *delta, bool to_server)
{
	/* 0 (stream.gap, raised by drain() when the parser skips it) stands for "no event" here. */
	static const enum bld_event as_event[BLD_STREAM_COUNTER_MAX] = {
		[BLD_STREAM_OVERLAP_CONFLICT] = BLD_EVENT_STREAM_OVERLAP_CONFLICT,
		[BLD_STREAM_DATA_AFTER_FIN] = BLD_EVENT_STREAM_DATA_AFTER_FIN,
		[BLD_STREAM_OUT_OF_WINDOW] = BLD_EVENT_STREAM_OUT_OF_WINDOW,
		[BLD_STREAM_CAPACITY] = BLD_EVENT_STREAM_CAPACITY,
	};
	for (int i = 0; i < BLD_STREAM_COUNTER_MAX; i++) {
		if (!delta[i])
			continue;
		if (env->stream_counters)
			env->stream_counters[i] += delta[i];
		if (as_event[i])
			raise_event(env, as_event[i], to_server);
	}
}

/* Parse what one direction holds; across gaps, resynchronising after each. */
static void drain(struct bld_session *s, const struct bld_session_env *env, bool to_server)
{
	if (!s->dsc || !s->dsc->parse)
		return;
	int dir = dir_of(to_server);
	struct bld_stream *st = &s->stream[dir];
	for (;;) {
		uint32_t n;
		const uint8_t *p = bld_stream_ready(st, &n);
		if (n)
			bld_stream_consume(st, parse_bytes(s, env, to_server, p, n, false));
		if (!bld_stream_gap_ahead(st))
			break;
		uint64_t delta[BLD_STREAM_COUNTER_MAX] = { 0 };
		bld_stream_skip_gap(st, delta);
		account_stream(env, delta, to_server);
		raise_event(env, BLD_EVENT_STREAM_GAP, to_server);
		if (s->dsc->gap)
			s->dsc->gap(s->state, to_server);
		s->needed[dir] = 0;
		s->resync[dir] = true;
	}
}

/*
 * Parse the bytes kept before the verdict as if they were arriving: in
 * packet-time order across both directions, each run of bytes up to where it
 * ended, at its own packet's time.  So a PDU is reported at the segment that
 * completed it and response times are the wire's, however long the verdict
 * took.
 */
static void replay(struct bld_session *s, const struct bld_session_env *env)
{
	unsigned next[2] = { 0, 0 };
	uint32_t done[2] = { 0, 0 }; /* bytes consumed per direction so far */
	for (;;) {
		int dir = -1;
		for (int d = 0; d < 2; d++)
			if (next[d] < s->n_marks[d] &&
			    (dir < 0 || s->marks[d][next[d]].ts_ns < s->marks[dir][next[dir]].ts_ns))
				dir = d;
		if (dir < 0)
			break;
		struct mark m = s->marks[dir][next[dir]++];
		uint32_t n;
		const uint8_t *p = bld_stream_ready(&s->stream[dir], &n);
		uint32_t upto = m.end - done[dir];
		if (upto > n)
			upto = n;
		struct bld_session_env at = *env;
		at.ts_ns = m.ts_ns;
		uint32_t used = parse_bytes(s, &at, dir == BLD_DIR_TO_SERVER, p, upto, false);
		bld_stream_consume(&s->stream[dir], used);
		done[dir] += used;
	}
	marks_free(s); /* from now on bytes are parsed as they arrive */
}

int bld_session_set_dissector(struct bld_session *s, const struct bld_session_env *env,
			      const struct bld_dissector *dsc)
{
	if (s->dsc)
		return 0;
	if (dsc->state_size) {
		s->state = calloc(1, dsc->state_size);
		if (!s->state)
			return -ENOMEM;
	}
	s->dsc = dsc;
	s->proto = (uint8_t)bld_registry_index(dsc);
	replay(s, env);
	drain(s, env, true);
	drain(s, env, false);
	return 0;
}

void bld_session_tcp(struct bld_session *s, const struct bld_session_env *env, bool to_server, uint32_t seq,
		     bool syn, bool fin, bool has_ack, uint32_t ack, const uint8_t *data, uint32_t len)
{
	int dir = dir_of(to_server);
	uint64_t delta[BLD_STREAM_COUNTER_MAX] = { 0 };
	s->started[dir] = true;
	bld_stream_segment(&s->stream[dir], env->stream_cfg, seq, syn, fin, data, len, delta);
	account_stream(env, delta, to_server);
	if (has_ack) {
		/* The other direction: history the host has, and a hole it has that the capture lost. */
		uint64_t peer[BLD_STREAM_COUNTER_MAX] = { 0 };
		bld_stream_ack(&s->stream[!dir], ack);
		bld_stream_ack_hole(&s->stream[!dir], env->stream_cfg, ack, peer);
		account_stream(env, peer, !to_server);
		if (s->dsc && bld_stream_gap_ahead(&s->stream[!dir]))
			drain(s, env, !to_server);
	}
	if (!s->dsc && len)
		mark(s, dir, env->ts_ns);
	drain(s, env, to_server);
}

const uint8_t *bld_session_ready(const struct bld_session *s, bool to_server, uint32_t *len)
{
	return bld_stream_ready(&s->stream[dir_of(to_server)], len);
}

bool bld_session_tcp_started(const struct bld_session *s, bool to_server)
{
	return s->started[dir_of(to_server)];
}

void bld_session_datagram(struct bld_session *s, const struct bld_session_env *env, bool to_server,
			  const uint8_t *data, uint32_t len)
{
	if (!s->dsc || !s->dsc->parse || len == 0)
		return;
	/* Each datagram stands alone: framing lost in one says nothing of the next. */
	s->resync[dir_of(to_server)] = false;
	parse_bytes(s, env, to_server, data, len, true);
}

void bld_session_finish(struct bld_session *s, const struct bld_session_env *env)
{
	for (int dir = 0; dir < 2; dir++) {
		bool to_server = dir == BLD_DIR_TO_SERVER;
		uint64_t delta[BLD_STREAM_COUNTER_MAX] = { 0 };
		bld_stream_flush(&s->stream[dir], delta);
		account_stream(env, delta, to_server);
		drain(s, env, to_server);
		bld_stream_fini(&s->stream[dir]);
	}
	if (s->state && s->dsc->state_fini)
		s->dsc->state_fini(s->state);
	free(s->state);
	marks_free(s);
	free(s);
}

uint64_t bld_session_memory(const struct bld_session *s)
{
	uint64_t m = sizeof(*s) + (s->dsc ? s->dsc->state_size : 0);
	for (int dir = 0; dir < 2; dir++)
		m += s->marks[dir] ? MARKS_MAX * sizeof(struct mark) : 0;
	for (int dir = 0; dir < 2; dir++) {
		struct bld_stream_usage u;
		bld_stream_usage(&s->stream[dir], &u);
		m += u.allocated;
	}
	return m;
}
