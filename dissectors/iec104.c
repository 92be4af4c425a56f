/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IEC 60870-5-104 APCI (IEC 60870-5-104:2006 §5):
 *
 *   start 0x68 | APDU length(1) 4..253 | control field(4)
 *
 *   I format: ctrl1 bit0 = 0               (followed by an ASDU: type id, VSQ, COT, ...)
 *   S format: ctrl1 = 0x01, ctrl2 = 0      (length exactly 4)
 *   U format: ctrl1 = 0x03 | one of STARTDT/STOPDT/TESTFR act/con (length exactly 4)
 */
#include "cursor.h"
#include "registry.h"

/* Type identifications defined by IEC 60870-5-101/104 (§7.2.1.1 of -101, Table 8 of -104). */
static bool known_type(uint8_t t)
{
	return (t >= 1 && t <= 21) || (t >= 30 && t <= 40) || (t >= 45 && t <= 51) || (t >= 58 && t <= 64) ||
	       t == 70 || (t >= 100 && t <= 107) || (t >= 110 && t <= 113) || (t >= 120 && t <= 127);
}

/* Causes of transmission 1..13, 20..41, 44..47 (IEC 60870-5-101 §7.2.3); bits 7/6 are P/N and T. */
static bool known_cause(uint8_t cot)
{
	cot &= 0x3f;
	return (cot >= 1 && cot <= 13) || (cot >= 20 && cot <= 41) || (cot >= 44 && cot <= 47);
}

static bool valid_apdu(struct bld_cur *c)
{
	if (bld_cur_u8(c) != 0x68)
		return false;
	uint8_t len = bld_cur_u8(c);
	if (len < 4 || len > 253)
		return false;
	const uint8_t *ctl = bld_cur_bytes(c, 4);
	if (!ctl)
		return false;
	if ((ctl[0] & 1) == 0) {                     /* I format: an ASDU follows */
		if ((ctl[2] & 1) != 0 || len < 4 + 6)   /* receive sequence number's spare bit */
			return false;
		struct bld_cur asdu = bld_cur_take(c, len - 4u);
		uint8_t type = bld_cur_u8(&asdu);
		uint8_t vsq = bld_cur_u8(&asdu);
		uint8_t cot = bld_cur_u8(&asdu);
		return !asdu.err && known_type(type) && (vsq & 0x7f) != 0 && known_cause(cot);
	}
	if (len != 4)
		return false;
	if (ctl[0] == 0x01)                          /* S format */
		return ctl[1] == 0 && (ctl[2] & 1) == 0;
	switch (ctl[0]) {                            /* U format: exactly one function bit */
	case 0x07: case 0x0B: case 0x13: case 0x23: case 0x43: case 0x83:
		return ctl[1] == 0 && ctl[2] == 0 && ctl[3] == 0;
	default:
		return false;
	}
}

static enum bld_probe iec104_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	struct bld_cur c = bld_cur_make(data, len);
	if (len < 6)
		return len >= 1 && data[0] == 0x68 ? BLD_PROBE_NEED_MORE : BLD_PROBE_NO;
	/* Whole APDUs back to back, each valid; a partial last one must at least start like one. */
	int n = 0;
	while (bld_cur_left(&c) >= 6) {
		uint32_t need = 2u + data[c.off + 1];
		if (need > bld_cur_left(&c))
			break;
		if (!valid_apdu(&c))
			return BLD_PROBE_NO;
		n++;
	}
	if (bld_cur_left(&c) && data[c.off] != 0x68)
		return BLD_PROBE_NO;
	return n ? BLD_PROBE_MATCH : BLD_PROBE_NEED_MORE;
}

const struct bld_dissector bld_dsc_iec104 = {
	.name = "iec104",
	.description = "IEC 60870-5-104",
	.transports = BLD_TRANSPORT_TCP,
	.ports = { 2404 },
	.probe = iec104_probe,
};
