/* SPDX-License-Identifier: BSD-3-Clause */
/* RaSTA (and EULYNX SCI inside its Data messages): the events its dissector raises (joined in events.h). */
#ifndef BLD_RASTA_H
#define BLD_RASTA_H

#include <stdint.h>

#define BLD_FOREACH_RASTA_EVENT(_) \
	_(RASTA_BAD_LENGTH, "rasta.bad_length", "a RedL length outside 36..1109 or other than the datagram's, or a " \
	  "SafRetL length outside 28..1101 that leaves no 0, 2 or 4 byte check code (framing lost)") \
	_(RASTA_TRUNCATED, "rasta.truncated", "a datagram shorter than the RedL length it announces") \
	_(RASTA_RESERVED_NOT_ZERO, "rasta.reserved_not_zero", \
	  "the RedL reserve field, or the 8 reserve bytes of a ConnReq/ConnResp, not zero") \
	_(RASTA_BAD_CHECK_CODE, "rasta.bad_check_code", "a RedL check code that is wrong for the configured or " \
	  "detected option (A-E), of another width, or (auto) that none of options B-E produce") \
	_(RASTA_UNKNOWN_TYPE, "rasta.unknown_type", "a SafRetL message type DIN VDE V 0831-200 does not define") \
	_(RASTA_NONSTANDARD_TYPE, "rasta.nonstandard_type", \
	  "a librasta key exchange message (6250..6252): not part of the standard") \
	_(RASTA_BAD_TYPE_LENGTH, "rasta.bad_type_length", "a SafRetL length other than its message type's plus " \
	  "the safety code, or Data whose [length][message] list does not fill the data area exactly") \
	_(RASTA_BAD_SAFETY_CODE, "rasta.bad_safety_code", \
	  "an MD4 safety code that does not match the PDU with the configured initial values") \
	_(RASTA_BAD_VERSION, "rasta.bad_version", "a ConnReq/ConnResp protocol version that is not 4 ASCII digits") \
	_(RASTA_BAD_N_SENDMAX, "rasta.bad_n_sendmax", "a ConnReq/ConnResp N_SENDMAX of 0 or above n_sendmax_max") \
	_(RASTA_BAD_DISC_REASON, "rasta.bad_disc_reason", "a DiscReq reason the standard does not define (above 8)") \
	_(RASTA_DISCONNECT_ERROR, "rasta.disconnect_error", \
	  "a DiscReq for a reason other than user request: the peer closed the connection on an error") \
	_(RASTA_UNEXPECTED_TYPE, "rasta.unexpected_type", "a message type not allowed in the connection's state: " \
	  "ConnResp without ConnReq, HB/Data before ConnResp, RetrResp without RetrReq, RetrData outside a " \
	  "retransmission, anything but ConnReq after DiscReq") \
	_(RASTA_MID_CONNECTION, "rasta.mid_connection", "the first PDU of a flow is not a ConnReq: the capture " \
	  "joined a running connection, or a peer sends without having connected") \
	_(RASTA_SEQUENCE_ERROR, "rasta.sequence_error", \
	  "a SafRetL sequence number other than the previous one plus 1 in its direction (a gap, jump or step back)") \
	_(RASTA_RED_SEQUENCE_ERROR, "rasta.red_sequence_error", \
	  "a RedL sequence number other than the previous one plus 1 in its flow and direction") \
	_(RASTA_SN_REUSED, "rasta.sn_reused", "a PDU with the sequence number of the previous one in its " \
	  "direction but other content: one of the two is forged") \
	_(RASTA_DUPLICATE, "rasta.duplicate", "a byte-identical copy of a recent PDU on the same flow (a replay, " \
	  "or a capture that sees one packet twice)") \
	_(RASTA_CONFIRM_ERROR, "rasta.confirm_error", "a confirmed sequence number or timestamp (CS, CTS) the " \
	  "peer never sent, going back, or not the ConnReq's in a ConnResp (0 in a ConnReq)") \
	_(RASTA_TIMESTAMP_ERROR, "rasta.timestamp_error", "a timestamp going back in its direction") \
	_(RASTA_ID_MISMATCH, "rasta.id_mismatch", "sender or receiver id other than the connection's in that " \
	  "direction, or not the mirror of the other direction's") \
	_(RASTA_HEARTBEAT_TIMEOUT, "rasta.heartbeat_timeout", "more than t_max since the previous PDU in the same " \
	  "direction of an open connection (heartbeats missing), seen when the late PDU arrives") \
	_(RASTA_SCI_BAD_LENGTH, "rasta.sci_bad_length", \
	  "an SCI telegram shorter than its 43-byte header or not the length of its message type") \
	_(RASTA_SCI_UNKNOWN_PROTOCOL, "rasta.sci_unknown_protocol", \
	  "an application message with an SCI protocol type EULYNX does not define, on a flow that carries SCI") \
	_(RASTA_SCI_UNKNOWN_MESSAGE, "rasta.sci_unknown_message", \
	  "an SCI message type its protocol (SCI-P, -TDS, -LS, -LX, -IO or generic PDI) does not define") \
	_(RASTA_SCI_BAD_VALUE, "rasta.sci_bad_value", "an enumerated SCI payload value out of its range (e.g. a " \
	  "Move Point position other than right or left)") \
	_(RASTA_SCI_BAD_ID, "rasta.sci_bad_id", \
	  "an SCI sender or receiver identifier that is empty or holds bytes that are not printable") \
	_(RASTA_SCI_ID_MISMATCH, "rasta.sci_id_mismatch", "an SCI sender name the other direction of the flow " \
	  "never addressed (e.g. commands signed with another interlocking's name)")

/* Site settings (protocols: rasta: {...}), see docs/protocols/rasta.md. */
enum bld_rasta_check_code_setting {
	BLD_RASTA_CC_AUTO, BLD_RASTA_CC_NONE, BLD_RASTA_CC_A, BLD_RASTA_CC_B, BLD_RASTA_CC_C, BLD_RASTA_CC_D,
	BLD_RASTA_CC_E,
};
enum bld_rasta_safety_code_setting {
	BLD_RASTA_SC_AUTO, BLD_RASTA_SC_NONE, BLD_RASTA_SC_LOWER_MD4, BLD_RASTA_SC_FULL_MD4,
};
enum bld_rasta_byte_order_setting {
	BLD_RASTA_BO_AUTO, BLD_RASTA_BO_LITTLE, BLD_RASTA_BO_BIG,
};

struct bld_rasta_config {
	uint8_t check_code;          /* enum bld_rasta_check_code_setting */
	uint8_t safety_code;         /* enum bld_rasta_safety_code_setting */
	uint8_t sci_byte_order;      /* enum bld_rasta_byte_order_setting */
	uint32_t md4_a, md4_b, md4_c, md4_d;
	uint32_t n_sendmax_max;
	uint64_t t_max_ns;
};

#endif /* BLD_RASTA_H */
