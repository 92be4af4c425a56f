/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RaSTA (DIN VDE V 0831-200) over UDP; no standard port, so detection is by
 * content only.  All integers little-endian (see shared/reference/rail-protocols.md §1):
 *
 *   RedL     length(2, whole PDU) reserve(2)=0 sequence(4) | SafRetL PDU | check code 0/2/4
 *   SafRetL  length(2) type(2) receiver(4) sender(4) SN(4) CS(4) TS(4) CTS(4) data | safety code 0/8/16
 *
 * Two nested exact length fields and a fixed length per message type leave
 * little room for accidents.
 */
#include "cursor.h"
#include "registry.h"

/* SafRetL length without safety code, or 0 for an unknown type; Data types have a minimum. */
static uint32_t base_length(uint16_t type, bool *at_least)
{
	*at_least = false;
	switch (type) {
	case 6200: case 6201: return 42;   /* ConnReq, ConnResp */
	case 6212: case 6213: return 28;   /* RetrReq, RetrResp */
	case 6216: return 32;              /* DiscReq */
	case 6220: return 28;              /* Heartbeat */
	case 6240: case 6241:              /* Data, RetrData */
		*at_least = true;
		return 30;
	default:
		return 0;
	}
}

static enum bld_probe rasta_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	struct bld_cur c = bld_cur_make(data, len);
	uint16_t red_len = bld_cur_le16(&c);
	uint16_t reserve = bld_cur_le16(&c);
	bld_cur_skip(&c, 4);
	uint16_t saf_len = bld_cur_le16(&c);
	uint16_t type = bld_cur_le16(&c);
	if (c.err || red_len != len || reserve != 0)
		return BLD_PROBE_NO;
	uint32_t check = red_len - 8u - saf_len;
	if (saf_len > red_len - 8u || (check != 0 && check != 2 && check != 4))
		return BLD_PROBE_NO;
	bool at_least;
	uint32_t base = base_length(type, &at_least);
	if (!base)
		return BLD_PROBE_NO;
	for (uint32_t k = 0; k <= 16; k += 8) /* safety code: none, lower-half MD4, full MD4 */
		if (at_least ? saf_len >= base + k : saf_len == base + k)
			return BLD_PROBE_MATCH;
	return BLD_PROBE_NO;
}

const struct bld_dissector bld_dsc_rasta = {
	.name = "rasta",
	.description = "RaSTA rail safe transport (DIN VDE V 0831-200)",
	.transports = BLD_TRANSPORT_UDP,
	.ports = { 0 },
	.probe = rasta_probe,
};
