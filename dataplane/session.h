/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The application layer of one flow: TCP reassembly per direction under the
 * flow's dissector, or datagrams straight to it.
 *
 * A TCP flow gets a session at its first payload while one of Bollard's
 * probes is still in the running, so the bytes that classification looks at
 * are kept and parsed once the verdict names a Bollard protocol
 * (bld_session_set_dissector).  UDP and L2 flows get one at the verdict:
 * each datagram stands alone.  The session drives the parser loop of
 * dissector.h: whole PDUs in, ops and events out, gaps and lost framing
 * resynchronised at the next offset the dissector's probe matches.
 */
#ifndef BLD_SESSION_H
#define BLD_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "dissector.h"
#include "op.h"
#include "reassembly.h"

/* Bytes a probe sees when looking for the next PDU boundary after lost framing. */
#define BLD_SESSION_RESYNC_WINDOW 512u
/* Within this many bytes of the end, a probe that needs more is waited for (longer than any PDU header). */
#define BLD_SESSION_RESYNC_TAIL 32u

/* What every call needs besides the session: owned by the engine (or a test, or a fuzzer). */
struct bld_session_env {
	const struct bld_sink *sink;
	struct bld_op *op;                          /* scratch record */
	const struct bld_stream_config *stream_cfg; /* NULL: defaults */
	uint64_t *stream_counters;                  /* [BLD_STREAM_COUNTER_MAX], added to */
	uint64_t ts_ns;                             /* the current packet's time */
	const void *const *configs;                 /* by enum bld_proto: site settings (NULL: the defaults) */
};

struct bld_session;

struct bld_session *bld_session_create(void);

/*
 * The flow carries this protocol: allocate its state and parse what the
 * streams hold so far (client's bytes first).  -ENOMEM, or 0.
 */
int bld_session_set_dissector(struct bld_session *s, const struct bld_session_env *env,
			      const struct bld_dissector *dsc);

const struct bld_dissector *bld_session_dissector(const struct bld_session *s);

/*
 * One TCP segment in direction to_server (seq, SYN, FIN and payload), with
 * the segment's ACK when has_ack (it releases the other direction's history).
 */
void bld_session_tcp(struct bld_session *s, const struct bld_session_env *env, bool to_server, uint32_t seq,
		     bool syn, bool fin, bool has_ack, uint32_t ack, const uint8_t *data, uint32_t len);

/* The bytes of direction to_server kept in order and not parsed yet (before the verdict: all of them). */
const uint8_t *bld_session_ready(const struct bld_session *s, bool to_server, uint32_t *len);

/* Whether direction to_server has been handed a TCP segment yet (its stream has begun). */
bool bld_session_tcp_started(const struct bld_session *s, bool to_server);

/* One datagram (UDP payload, or an L2 frame's payload). */
void bld_session_datagram(struct bld_session *s, const struct bld_session_env *env, bool to_server,
			  const uint8_t *data, uint32_t len);

/* The flow ends: parse whatever is held (gaps reported), free everything. */
void bld_session_finish(struct bld_session *s, const struct bld_session_env *env);

/* Bytes of memory the session holds (state and stream buffers). */
uint64_t bld_session_memory(const struct bld_session *s);

#endif /* BLD_SESSION_H */
