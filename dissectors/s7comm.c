/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * S7comm and S7comm-plus over ISO-on-TCP (RFC 1006 TPKT + ISO 8073 COTP).
 *
 *   TPKT  version 3 | reserved 0 | length(2 BE, whole TPKT)      RFC 1006 §6
 *   COTP  length indicator(1) | PDU type(1) ...                   ISO 8073 §13
 *         DT (0xF0): LI = 2, TPDU-NR/EOT(1), then user data
 *   S7    protocol id 0x32 (S7comm) or 0x72 (S7comm-plus)
 *
 * The same TPKT/COTP framing carries MMS (IEC 61850) and RDP, so connection
 * requests alone decide nothing: the probe waits for the first data TPDU.
 */
#include "cursor.h"
#include "registry.h"

#define COTP_CR 0xE0
#define COTP_CC 0xD0
#define COTP_DT 0xF0

#define NOT_ISO_ON_TCP (-1)
#define UNDECIDED (-2)

/* The protocol id byte after TPKT/COTP DT, UNDECIDED, or NOT_ISO_ON_TCP. */
static int s7_protocol_id(const uint8_t *data, uint32_t len)
{
	struct bld_cur c = bld_cur_make(data, len);
	if (bld_cur_u8(&c) != 3 || bld_cur_u8(&c) != 0)
		return NOT_ISO_ON_TCP;
	uint16_t tpkt_len = bld_cur_be16(&c);
	if (c.err)
		return UNDECIDED;
	if (tpkt_len < 7)
		return NOT_ISO_ON_TCP;
	uint8_t li = bld_cur_u8(&c);
	uint8_t type = bld_cur_u8(&c);
	if (c.err)
		return UNDECIDED;
	if (li == 0 || li + 5u > tpkt_len)
		return NOT_ISO_ON_TCP;
	if ((type & 0xF0) == COTP_CR || (type & 0xF0) == COTP_CC)
		return UNDECIDED; /* connection set-up: decide on the first DT */
	if (type != COTP_DT || li != 2)
		return NOT_ISO_ON_TCP;
	bld_cur_skip(&c, 1);
	uint8_t id = bld_cur_u8(&c);
	if (c.err)
		return UNDECIDED;
	return id;
}

static enum bld_probe s7comm_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	int id = s7_protocol_id(data, len);
	return id == 0x32 ? BLD_PROBE_MATCH : id == UNDECIDED ? BLD_PROBE_NEED_MORE : BLD_PROBE_NO;
}

static enum bld_probe s7comm_plus_probe(const uint8_t *data, uint32_t len, bool to_server)
{
	(void)to_server;
	int id = s7_protocol_id(data, len);
	return id == 0x72 ? BLD_PROBE_MATCH : id == UNDECIDED ? BLD_PROBE_NEED_MORE : BLD_PROBE_NO;
}

const struct bld_dissector bld_dsc_s7comm = {
	.name = "s7comm",
	.description = "Siemens S7comm (ISO-on-TCP)",
	.transports = BLD_TRANSPORT_TCP,
	.ports = { 102 },
	.probe = s7comm_probe,
};

const struct bld_dissector bld_dsc_s7comm_plus = {
	.name = "s7comm-plus",
	.description = "Siemens S7comm-plus (ISO-on-TCP)",
	.transports = BLD_TRANSPORT_TCP,
	.ports = { 102 },
	.probe = s7comm_plus_probe,
};
