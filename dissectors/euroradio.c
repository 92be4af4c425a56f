/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EuroRadio over TCP (UNISIG Subset-037 OBU-RBC, Subset-098 RBC-RBC): ALE
 * packets carrying safety-layer SaPDUs (rail-protocols.md §4).  Big-endian:
 *
 *   ALE  length(2, what follows it) version(1) appType(1) T-seq(2) N/R(1) type(1) CRC(2) | user data
 *
 * The checksum is CRC-16/CCITT-FALSE over the 8 bytes before it.
 */
#include "crc.h"
#include "cursor.h"
#include "registry.h"

#define ALE_HEADER 10u

static bool ale_type(uint8_t t)
{
	return (t >= 1 && t <= 4) || t >= 251;   /* AU1 AU2 DT DI; Class A switch-over and keep-alive */
}

static enum bld_probe euroradio_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	struct bld_cur c = bld_cur_make(data, len);
	uint16_t length = bld_cur_be16(&c);
	bld_cur_skip(&c, 5);
	uint8_t type = bld_cur_u8(&c);
	uint16_t crc = bld_cur_be16(&c);
	if (c.err || length < ALE_HEADER - 2 || !ale_type(type))
		return BLD_PROBE_NO;
	return bld_crc16_ccitt_false(data, 8) == crc ? BLD_PROBE_MATCH : BLD_PROBE_NO;
}

const struct bld_dissector bld_dsc_euroradio = {
	.name = "euroradio",
	.description = "EuroRadio ALE and safety layer (UNISIG Subset-037/098)",
	.transports = BLD_TRANSPORT_TCP,
	.ports = { 7911 },
	.probe = euroradio_probe,
};
