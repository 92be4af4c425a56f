/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TRDP (IEC 61375-2-3).  Big-endian headers, except the header FCS, which
 * is CRC-32/IEEE stored little-endian (rail-protocols.md §3.4):
 *
 *   PD (40 bytes)   seq(4) version(2)=0x01xx type(2) comId(4) etbTopo(4) opTrnTopo(4)
 *                   datasetLength(4) reserved(4) replyComId(4) replyIp(4) FCS(4)
 *   MD (116 bytes)  seq(4) version(2) type(2) comId(4) etbTopo(4) opTrnTopo(4)
 *                   datasetLength(4) replyStatus(4) sessionId(16) replyTimeout(4)
 *                   sourceURI(32) destURI(32) FCS(4)
 */
#include "crc.h"
#include "cursor.h"
#include "registry.h"

#define PD_HEADER 40u
#define MD_HEADER 116u

static bool pd_type(uint16_t t)
{
	return t == 0x5064 /* Pd */ || t == 0x5070 /* Pp */ || t == 0x5072 /* Pr */ || t == 0x5065 /* Pe */;
}

static bool md_type(uint16_t t)
{
	return t == 0x4D6E || t == 0x4D72 || t == 0x4D70 || t == 0x4D71 || t == 0x4D63 || t == 0x4D65;
}

static bool fcs_ok(const uint8_t *h, uint32_t hlen)
{
	struct bld_cur c = bld_cur_make(h + hlen - 4, 4);
	return bld_crc32_ieee(h, hlen - 4) == bld_cur_le32(&c);
}

static enum bld_probe trdp_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	struct bld_cur c = bld_cur_make(data, len);
	bld_cur_skip(&c, 4);
	uint16_t version = bld_cur_be16(&c);
	uint16_t type = bld_cur_be16(&c);
	bld_cur_skip(&c, 12);
	uint32_t dataset = bld_cur_be32(&c);
	if (c.err || (version & 0xFF00) != 0x0100)
		return BLD_PROBE_NO;
	if (pd_type(type) && len >= PD_HEADER && PD_HEADER + (uint64_t)dataset <= len)
		return fcs_ok(data, PD_HEADER) ? BLD_PROBE_MATCH : BLD_PROBE_NO;
	if (md_type(type) && len >= MD_HEADER)
		return fcs_ok(data, MD_HEADER) ? BLD_PROBE_MATCH : BLD_PROBE_NO;
	return BLD_PROBE_NO;
}

const struct bld_dissector bld_dsc_trdp = {
	.name = "trdp",
	.description = "TRDP train real-time data (IEC 61375-2-3)",
	.transports = BLD_TRANSPORT_UDP | BLD_TRANSPORT_TCP,
	.ports = { 17224, 17225 },
	.probe = trdp_probe,
};
