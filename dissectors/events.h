/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Protocol events: one X-macro per dissector (in its own header), joined
 * here into one enum and one name table, so the numbers, the names policies
 * and syslog use, and the counters cannot drift apart (VPP foreach_*_error).
 *
 * Each line: _(ID, "proto.name", "what it means, for docs and --help").
 * Names are stable: they are the interface to policies and SOC rules.
 */
#ifndef BLD_EVENTS_H
#define BLD_EVENTS_H

#include "dnp3.h"
#include "enip.h"
#include "euroradio.h"
#include "goose.h"
#include "iec104.h"
#include "modbus.h"
#include "opcua.h"
#include "rasta.h"
#include "s7comm.h"
#include "trdp.h"

/* Raised by the framework (session.c, op.c, txn.c) and the reassembler. */
#define BLD_FOREACH_FRAMEWORK_EVENT(_)                                                            \
	_(STREAM_GAP, "stream.gap", "bytes of a TCP stream never arrived or were given up; the parser "   \
				    "resynchronised at the next PDU")                                     \
	_(STREAM_OVERLAP_CONFLICT, "stream.overlap_conflict",                                            \
	  "a retransmitted TCP segment carried different bytes than the first copy (evasion attempt)")   \
	_(STREAM_DATA_AFTER_FIN, "stream.data_after_fin", "TCP data beyond the sender's FIN")             \
	_(STREAM_OUT_OF_WINDOW, "stream.out_of_window", "TCP data too far ahead of the stream to be real") \
	_(STREAM_CAPACITY, "stream.capacity", "the bytes buffered for one TCP direction reached the cap") \
	_(APP_RESYNC, "app.resync", "bytes that were not a PDU were skipped to find the next PDU boundary") \
	_(APP_PDU_TOO_LARGE, "app.pdu_too_large", "a PDU announces a size larger than a stream may buffer") \
	_(APP_PARSER_STUCK, "app.parser_stuck", "a parser made no progress (a Bollard bug, contained)")   \
	_(APP_UNEXPECTED_PORT, "app.unexpected_port",                                                    \
	  "an industrial protocol on a server port that is not its well-known port")                     \
	_(APP_OTHER_ON_PORT, "app.other_on_port",                                                        \
	  "something other than the expected protocol on an industrial protocol's well-known port")      \
	_(APP_OP_CAPACITY, "app.op_capacity", "a PDU had more fields than an operation record holds; the " \
					      "rest were left out")                                       \
	_(APP_ITEMS_CAPACITY, "app.items_capacity",                                                      \
	  "a PDU carried more objects or items than an operation lists; the rest were counted, not listed") \
	_(APP_TXN_CAPACITY, "app.txn_capacity",                                                          \
	  "more requests outstanding than a flow tracks; the oldest was forgotten")

#define BLD_FOREACH_EVENT(_)                                                                     \
	BLD_FOREACH_FRAMEWORK_EVENT(_)                                                           \
	BLD_FOREACH_MODBUS_EVENT(_)                                                              \
	BLD_FOREACH_DNP3_EVENT(_)                                                                \
	BLD_FOREACH_IEC104_EVENT(_)                                                              \
	BLD_FOREACH_S7COMM_EVENT(_)                                                              \
	BLD_FOREACH_ENIP_EVENT(_)                                                                \
	BLD_FOREACH_OPCUA_EVENT(_)                                                               \
	BLD_FOREACH_RASTA_EVENT(_)                                                               \
	BLD_FOREACH_TRDP_EVENT(_)                                                                \
	BLD_FOREACH_EURORADIO_EVENT(_)                                                           \
	BLD_FOREACH_GOOSE_EVENT(_)

enum bld_event {
#define BLD_X(id, name, doc) BLD_EVENT_##id,
	BLD_FOREACH_EVENT(BLD_X)
#undef BLD_X
	BLD_EVENT_MAX
};

extern const char *const bld_event_names[BLD_EVENT_MAX];
extern const char *const bld_event_docs[BLD_EVENT_MAX];

/* The event named `name`, or BLD_EVENT_MAX. */
enum bld_event bld_event_find(const char *name);

#endif /* BLD_EVENTS_H */
