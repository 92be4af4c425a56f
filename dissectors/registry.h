/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dissector registry: every protocol Bollard understands itself, in the
 * order probes run.  Order matters where probes could overlap: strong checks
 * (CRCs, exact length relations) first, weaker ones last.
 */
#ifndef BLD_REGISTRY_H
#define BLD_REGISTRY_H

#include "dissector.h"

/* id, descriptor symbol */
#define BLD_FOREACH_PROTO(_)                                                      \
	_(DNP3, bld_dsc_dnp3)               /* header CRC: the strongest probe */ \
	_(RASTA, bld_dsc_rasta)             /* nested exact lengths, Data's list */ \
	_(TRDP, bld_dsc_trdp)               /* header FCS */                      \
	_(EURORADIO, bld_dsc_euroradio)     /* ALE header CRC-16 */               \
	_(OPCUA, bld_dsc_opcua)             /* ASCII message type + exact size */ \
	_(ENIP, bld_dsc_enip)                                                     \
	_(IEC104, bld_dsc_iec104)                                                 \
	_(S7COMM, bld_dsc_s7comm)                                                 \
	_(S7COMM_PLUS, bld_dsc_s7comm_plus)                                       \
	_(MODBUS, bld_dsc_modbus)           /* weakest header: protocol id 0 */   \
	_(GOOSE, bld_dsc_goose)             /* L2, by ethertype 0x88B8 */

enum bld_proto {
	BLD_PROTO_UNKNOWN,
#define BLD_X(id, sym) BLD_PROTO_##id,
	BLD_FOREACH_PROTO(BLD_X)
#undef BLD_X
	BLD_PROTO_MAX
};

#define BLD_X(id, sym) extern const struct bld_dissector sym;
BLD_FOREACH_PROTO(BLD_X)
#undef BLD_X

/* Indexed by enum bld_proto; [BLD_PROTO_UNKNOWN] is NULL. */
extern const struct bld_dissector *const bld_dissectors[BLD_PROTO_MAX];

/*
 * Whether port is a well-known server port of a registered protocol: a hint
 * for who is the server of a flow joined mid-stream, never for what it carries.
 */
bool bld_registry_service_port(uint16_t port);

/* The protocol named `name`, or BLD_PROTO_UNKNOWN. */
enum bld_proto bld_registry_find(const char *name);

/* The protocol whose descriptor dsc is, or BLD_PROTO_UNKNOWN. */
enum bld_proto bld_registry_index(const struct bld_dissector *dsc);

#endif /* BLD_REGISTRY_H */
