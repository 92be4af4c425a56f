/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OPC UA binary (OPC 10000-6 §7.1.2): every message starts with
 *
 *   message type(3 ASCII: HEL ACK OPN MSG CLO ERR RHE) | chunk type(1: F C A) | message size(4 LE)
 *
 * message size counts the whole chunk, header included.
 */
#include <string.h>

#include "cursor.h"
#include "registry.h"

static enum bld_probe opcua_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	static const char types[][4] = { "HEL", "ACK", "OPN", "MSG", "CLO", "ERR", "RHE" };
	struct bld_cur c = bld_cur_make(data, len);
	const uint8_t *h = bld_cur_bytes(&c, 8);
	if (!h)
		return BLD_PROBE_NO;
	bool known = false;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		known |= memcmp(h, types[i], 3) == 0;
	if (!known || (h[3] != 'F' && h[3] != 'C' && h[3] != 'A'))
		return BLD_PROBE_NO;
	uint32_t size = (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 24;
	/* HEL is at least 32 bytes; any chunk is at least its 8-byte header. */
	if (size < 8 || size > (1u << 24))
		return BLD_PROBE_NO;
	return BLD_PROBE_MATCH;
}

const struct bld_dissector bld_dsc_opcua = {
	.name = "opcua",
	.description = "OPC UA binary (UA TCP)",
	.transports = BLD_TRANSPORT_TCP,
	.ports = { 4840 },
	.probe = opcua_probe,
};
