/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Modbus/TCP (Modbus Messaging on TCP/IP Implementation Guide V1.0b §3.1.3).
 *
 *   MBAP  transaction id(2) protocol id(2)=0 length(2) unit id(1)   big-endian
 *   PDU   function code(1) data(length-2)
 *
 * length counts unit id + PDU: 2..254 (a PDU is at most 253 bytes).
 */
#include "cursor.h"
#include "registry.h"

static bool known_function(uint8_t fc)
{
	fc &= 0x7f; /* exception responses set bit 7 */
	switch (fc) {
	case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8:
	case 11: case 12: case 15: case 16: case 17: case 20: case 21:
	case 22: case 23: case 24: case 43:
	case 90: /* Schneider UMAS, carried as a Modbus function */
		return true;
	default:
		return false;
	}
}

static enum bld_probe modbus_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	if (len == 0)
		return BLD_PROBE_NEED_MORE; /* nothing to judge yet */
	struct bld_cur c = bld_cur_make(data, len);
	/*
	 * Every PDU in the segment must be well-framed: one stray header is not
	 * enough.  An undefined function code in exact framing is not a "no":
	 * someone fuzzing a PLC with illegal functions is still talking Modbus
	 * (and must not escape Modbus rules by starting with one); such a flow
	 * waits for a PDU with a defined function.
	 */
	int n = 0, defined = 0;
	while (bld_cur_left(&c) > 0) {
		if (bld_cur_left(&c) < 8)
			break;
		bld_cur_skip(&c, 2);
		uint16_t proto = bld_cur_be16(&c);
		uint16_t length = bld_cur_be16(&c);
		if (proto != 0 || length < 2 || length > 254)
			return BLD_PROBE_NO;
		struct bld_cur pdu = bld_cur_take(&c, length);
		bld_cur_skip(&pdu, 1); /* unit id */
		if (c.err)             /* PDU continues in the next segment */
			return defined ? BLD_PROBE_MATCH : BLD_PROBE_NEED_MORE;
		defined += known_function(bld_cur_u8(&pdu));
		n++;
	}
	if (!n)
		return BLD_PROBE_NO;
	return defined ? BLD_PROBE_MATCH : BLD_PROBE_NEED_MORE;
}

const struct bld_dissector bld_dsc_modbus = {
	.name = "modbus",
	.description = "Modbus/TCP",
	.transports = BLD_TRANSPORT_TCP,
	.ports = { 502 },
	.probe = modbus_probe,
};
