/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IEC 61850-8-1 GOOSE (Annex C), directly over ethertype 0x88B8:
 *
 *   APPID(2) length(2, from APPID on) reserved1(2) reserved2(2) | goosePdu [APPLICATION 1] = 0x61
 */
#include "cursor.h"
#include "registry.h"

static enum bld_probe goose_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	struct bld_cur c = bld_cur_make(data, len);
	bld_cur_skip(&c, 2);
	uint16_t length = bld_cur_be16(&c);
	bld_cur_skip(&c, 4);
	uint8_t tag = bld_cur_u8(&c);
	if (c.err || length < 9 || length > len || tag != 0x61)
		return BLD_PROBE_NO;
	return BLD_PROBE_MATCH;
}

const struct bld_dissector bld_dsc_goose = {
	.name = "goose",
	.description = "IEC 61850 GOOSE",
	.transports = BLD_TRANSPORT_L2,
	.ethertype = 0x88B8,
	.probe = goose_probe,
};
