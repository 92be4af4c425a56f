/* SPDX-License-Identifier: BSD-3-Clause */
/* IEC 60870-5-104: the events its dissector raises (joined in events.h). */
#ifndef BLD_IEC104_H
#define BLD_IEC104_H

#define BLD_FOREACH_IEC104_EVENT(_) \
	_(IEC104_BAD_START, "iec104.bad_start", "APDU does not start with 0x68 (framing lost)") \
	_(IEC104_BAD_LENGTH, "iec104.bad_length", "APDU length outside 4..253 (framing lost), an S or U format " \
	  "longer than 4, or an ASDU whose size contradicts its number of objects and their type") \
	_(IEC104_TRUNCATED, "iec104.truncated", "an I-format APDU too short for the 6-octet ASDU header") \
	_(IEC104_ILLEGAL_TYPE, "iec104.illegal_type", \
	  "an ASDU type identification IEC 60870-5-101/104 does not define") \
	_(IEC104_ILLEGAL_CAUSE, "iec104.illegal_cause", "a cause of transmission IEC 60870-5-101 does not define") \
	_(IEC104_BAD_CONTROL, "iec104.bad_control", "a control field with a spare bit or octet that is not 0") \
	_(IEC104_BAD_U_FUNCTION, "iec104.bad_u_function", "a U-format control field that is not exactly one function") \
	_(IEC104_I_BEFORE_STARTDT, "iec104.i_before_startdt", "an I-format APDU while data transfer is not started " \
	  "(before STARTDT con, or after STOPDT con)") \
	_(IEC104_SEQUENCE_ERROR, "iec104.sequence_error", "an I-format send sequence number that is not the " \
	  "previous one plus 1 (modulo 32768) in its direction") \
	_(IEC104_ACK_ERROR, "iec104.ack_error", "a receive sequence number acknowledging I-format APDUs the peer " \
	  "never sent, or going back behind an earlier acknowledgement") \
	_(IEC104_NEGATIVE_CONFIRM, "iec104.negative_confirm", \
	  "an ASDU with the P/N bit set (a negative confirmation)") \
	_(IEC104_RESPONSE_WITHOUT_REQUEST, "iec104.response_without_request", "an activation or deactivation " \
	  "confirmation, or a U-format con, with no outstanding act")

#endif /* BLD_IEC104_H */
