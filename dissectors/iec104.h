/* SPDX-License-Identifier: BSD-3-Clause */
/* IEC 60870-5-104: the events its dissector raises (joined in events.h). */
#ifndef BLD_IEC104_H
#define BLD_IEC104_H

#define BLD_FOREACH_IEC104_EVENT(_) \
	_(IEC104_BAD_START, "iec104.bad_start", "APDU does not start with 0x68 (framing lost)") \
	_(IEC104_BAD_LENGTH, "iec104.bad_length", "APDU length outside 4..253, or an ASDU whose size contradicts its objects") \
	_(IEC104_TRUNCATED, "iec104.truncated", "an ASDU ends before its fields do") \
	_(IEC104_ILLEGAL_TYPE, "iec104.illegal_type", "an ASDU type identification IEC 60870-5-101/104 does not define") \
	_(IEC104_BAD_U_FUNCTION, "iec104.bad_u_function", "a U-format control field that is not exactly one function") \
	_(IEC104_I_BEFORE_STARTDT, "iec104.i_before_startdt", "an I-format APDU before data transfer was started (STARTDT con)") \
	_(IEC104_SEQUENCE_ERROR, "iec104.sequence_error", "an I-format send sequence number that is not the next expected one") \
	_(IEC104_ACK_ERROR, "iec104.ack_error", "a receive sequence number acknowledging frames never sent") \
	_(IEC104_NEGATIVE_CONFIRM, "iec104.negative_confirm", "a negative confirmation (P/N bit set)")

#endif /* BLD_IEC104_H */
