/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A dissector is a descriptor (DESIGN.md): name, transports, default ports
 * (a hint for reports, never for detection), a content probe, and a parser
 * that turns each PDU into an operation record (op.h) and raises protocol
 * events (events.h).
 *
 * The parser contract, the same for streams (TCP, after reassembly) and
 * datagrams (UDP, L2):
 *
 *   parse(pc, data, len) looks at the bytes at the start of data, which
 *   always begin at a PDU boundary, and returns one of
 *     OK          a PDU of `consumed` bytes (>= 1, <= len) was parsed; an
 *                 op was emitted if the PDU is worth one.  A PDU that is
 *                 framed but wrong inside (bad CRC, illegal function) is OK
 *                 plus an event: its framing still holds.
 *     INCOMPLETE  the PDU continues beyond len; `needed` is its total size
 *                 when the header says so (0: unknown, just more).  On a
 *                 datagram this is a truncated PDU.
 *     ERROR       the framing is lost here (bad protocol id, impossible
 *                 length): the framework drops `consumed` bytes (at least
 *                 one) and resynchronises at the next offset whose bytes
 *                 the probe matches.  The parser raised the event saying why.
 *
 * The framework guards forward progress: an OK of 0 or more than len bytes,
 * or an INCOMPLETE that needs no more than it has, is treated as an ERROR
 * (app.parser_stuck), so a parser bug can never loop or overread.
 */
#ifndef BLD_DISSECTOR_H
#define BLD_DISSECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "settings.h"

enum bld_probe {
	BLD_PROBE_NO,            /* not this protocol */
	BLD_PROBE_NEED_MORE,     /* could be: show me the next payload */
	BLD_PROBE_MATCH,         /* this protocol, with confidence */
};

enum bld_transport {
	BLD_TRANSPORT_TCP = 1 << 0,
	BLD_TRANSPORT_UDP = 1 << 1,
	BLD_TRANSPORT_L2 = 1 << 2,   /* directly over an ethertype */
};

enum bld_parse_status {
	BLD_PARSE_OK,
	BLD_PARSE_INCOMPLETE,
	BLD_PARSE_ERROR,
};

struct bld_parse_result {
	enum bld_parse_status status;
	uint32_t consumed;       /* OK: the PDU's size; ERROR: bytes to drop before resynchronising */
	uint32_t needed;         /* INCOMPLETE: the PDU's total size when known, else 0 */
};

static inline struct bld_parse_result bld_parse_ok(uint32_t consumed)
{
	return (struct bld_parse_result){ .status = BLD_PARSE_OK, .consumed = consumed };
}

static inline struct bld_parse_result bld_parse_incomplete(uint32_t needed)
{
	return (struct bld_parse_result){ .status = BLD_PARSE_INCOMPLETE, .needed = needed };
}

static inline struct bld_parse_result bld_parse_error(uint32_t skip)
{
	return (struct bld_parse_result){ .status = BLD_PARSE_ERROR, .consumed = skip };
}

struct bld_parse_ctx;
struct bld_field_spec;

struct bld_dissector {
	const char *name;            /* Bollard's protocol name, used in flows, policies and events */
	const char *description;
	uint8_t transports;          /* enum bld_transport bits */
	uint16_t ports[4];           /* well-known ports, 0-terminated: a hint only */
	uint16_t ethertype;          /* for BLD_TRANSPORT_L2 */
	/*
	 * Look at the first payload of one direction (a TCP segment or UDP
	 * datagram, or the frame after the ethertype for L2) and say whether it
	 * is this protocol.  Reads only through the byte cursor.  Also used to
	 * find the next PDU boundary after a gap, on a window of a few hundred
	 * bytes.
	 */
	enum bld_probe (*probe)(const uint8_t *data, uint32_t len, bool to_server);
	/* Parse one PDU (see above); NULL for protocols that are only recognised so far. */
	struct bld_parse_result (*parse)(struct bld_parse_ctx *pc, const uint8_t *data, uint32_t len);
	/* Per-flow state handed to parse as pc->state: zeroed at the start, state_fini at the end. */
	uint32_t state_size;
	void (*state_fini)(void *state);   /* free what parse allocated; may be NULL */
	/*
	 * Bytes of direction to_server were lost before what parse sees next (a
	 * TCP gap): forget any PDU half assembled from earlier bytes.  May be NULL.
	 */
	void (*gap)(void *state, bool to_server);
	/* The fields policies may constrain (fields.h); n_fields 0: flow-level rules only. */
	const struct bld_field_spec *fields;
	uint32_t n_fields;
	/*
	 * Site settings (settings.h): parse finds them in pc->config, the
	 * policy's protocols.<name> over config_default (never NULL when
	 * config_size is not 0).  n_settings 0: none.
	 */
	const struct bld_setting_spec *settings;
	uint32_t n_settings;
	uint32_t config_size;
	const void *config_default;
};

#endif /* BLD_DISSECTOR_H */
