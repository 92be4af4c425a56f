/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A dissector is a descriptor (DESIGN.md): name, transports, default ports
 * (a hint for reports, never for detection) and a content probe.  The
 * per-direction parser, state and events join the descriptor as each
 * dissector learns to parse its protocol.
 */
#ifndef BLD_DISSECTOR_H
#define BLD_DISSECTOR_H

#include <stdbool.h>
#include <stdint.h>

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

struct bld_dissector {
	const char *name;            /* Bollard's protocol name, used in flows, policies and events */
	const char *description;
	uint8_t transports;          /* enum bld_transport bits */
	uint16_t ports[4];           /* well-known ports, 0-terminated: a hint only */
	uint16_t ethertype;          /* for BLD_TRANSPORT_L2 */
	/*
	 * Look at the first payload of one direction (a TCP segment or UDP
	 * datagram, or the frame after the ethertype for L2) and say whether it
	 * is this protocol.  Reads only through the byte cursor.
	 */
	enum bld_probe (*probe)(const uint8_t *data, uint32_t len, bool to_server);
};

#endif /* BLD_DISSECTOR_H */
