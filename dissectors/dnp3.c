/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNP3 (IEEE 1815-2012) over TCP or UDP 20000.  Link-layer header (§9.2.4):
 *
 *   start 0x05 0x64 | length(1) | control(1) | destination(2 LE) | source(2 LE) | CRC(2 LE)
 *
 * length counts control, addresses and user data (not CRCs): at least 5.
 * The header CRC (CRC-16/DNP over the first 8 bytes) makes the probe exact.
 */
#include "crc.h"
#include "cursor.h"
#include "registry.h"

static enum bld_probe dnp3_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	struct bld_cur c = bld_cur_make(data, len);
	const uint8_t *h = bld_cur_bytes(&c, 10);
	if (!h)
		return len >= 2 && data[0] == 0x05 && data[1] == 0x64 ? BLD_PROBE_NEED_MORE : BLD_PROBE_NO;
	if (h[0] != 0x05 || h[1] != 0x64 || h[2] < 5)
		return BLD_PROBE_NO;
	/*
	 * A bad CRC after valid start octets and length is undecided, not "no":
	 * a flow that opens with corrupted frames (a conformance test, or an
	 * attacker) is decided by the first frame whose CRC holds.
	 */
	uint16_t crc = (uint16_t)(h[9] << 8 | h[8]);
	return bld_crc16_dnp(h, 8) == crc ? BLD_PROBE_MATCH : BLD_PROBE_NEED_MORE;
}

const struct bld_dissector bld_dsc_dnp3 = {
	.name = "dnp3",
	.description = "DNP3 (IEEE 1815)",
	.transports = BLD_TRANSPORT_TCP | BLD_TRANSPORT_UDP,
	.ports = { 20000 },
	.probe = dnp3_probe,
};
