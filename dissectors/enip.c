/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EtherNet/IP (ODVA CIP Vol. 2).  Encapsulation header, little-endian (§2-3):
 *
 *   command(2) length(2) session handle(4) status(4) sender context(8) options(4)
 *
 * length counts the data after the 24-byte header; options are 0.
 * Class 0/1 connected I/O on UDP 2222 uses a Common Packet Format without
 * that header (§2-6): item count(2), then items type(2) length(2) data.
 */
#include "cursor.h"
#include "registry.h"

static bool known_command(uint16_t cmd)
{
	switch (cmd) {
	case 0x0000: /* NOP */
	case 0x0004: /* ListServices */
	case 0x0063: /* ListIdentity */
	case 0x0064: /* ListInterfaces */
	case 0x0065: /* RegisterSession */
	case 0x0066: /* UnRegisterSession */
	case 0x006F: /* SendRRData */
	case 0x0070: /* SendUnitData */
	case 0x0072: /* IndicateStatus */
	case 0x0073: /* Cancel */
		return true;
	default:
		return false;
	}
}

static enum bld_probe encapsulation_probe(struct bld_cur *c)
{
	uint16_t cmd = bld_cur_le16(c);
	uint16_t len = bld_cur_le16(c);
	bld_cur_skip(c, 16);
	uint32_t options = bld_cur_le32(c);
	if (c->err)
		return BLD_PROBE_NEED_MORE;
	if (!known_command(cmd) || options != 0)
		return BLD_PROBE_NO;
	if (cmd == 0x0000) /* NOP: 24 zero bytes would pass; wait for a real command */
		return BLD_PROBE_NEED_MORE;
	/* The data may continue in the next segment; if more follows, it must be another header. */
	bld_cur_skip(c, len);
	if (!c->err && bld_cur_left(c) >= 24)
		return encapsulation_probe(c);
	return BLD_PROBE_MATCH;
}

/* CPF for connected I/O: sequenced address item (0x8002, 8 bytes) + connected data (0x00B1). */
static enum bld_probe io_probe(struct bld_cur *c)
{
	uint16_t items = bld_cur_le16(c);
	uint16_t t1 = bld_cur_le16(c), l1 = bld_cur_le16(c);
	bld_cur_skip(c, l1);
	uint16_t t2 = bld_cur_le16(c), l2 = bld_cur_le16(c);
	if (c->err || items < 2 || t1 != 0x8002 || l1 != 8 || t2 != 0x00B1)
		return BLD_PROBE_NO;
	return l2 <= bld_cur_left(c) ? BLD_PROBE_MATCH : BLD_PROBE_NO;
}

static enum bld_probe enip_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	struct bld_cur c = bld_cur_make(data, len);
	if (len >= 24) {
		enum bld_probe r = encapsulation_probe(&c);
		if (r != BLD_PROBE_NO)
			return r;
	}
	c = bld_cur_make(data, len);
	enum bld_probe r = io_probe(&c);
	return r == BLD_PROBE_MATCH || len >= 24 ? r : BLD_PROBE_NEED_MORE;
}

const struct bld_dissector bld_dsc_enip = {
	.name = "enip",
	.description = "EtherNet/IP + CIP",
	.transports = BLD_TRANSPORT_TCP | BLD_TRANSPORT_UDP,
	.ports = { 44818, 2222 },
	.probe = enip_probe,
};
