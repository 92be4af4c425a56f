/* SPDX-License-Identifier: BSD-3-Clause */
/* DNP3 (IEEE 1815): the events its dissector raises (joined in events.h). */
#ifndef BLD_DNP3_H
#define BLD_DNP3_H

#define BLD_FOREACH_DNP3_EVENT(_)                                                                     \
	_(DNP3_BAD_START, "dnp3.bad_start", "link frame does not start with 0x05 0x64 (framing lost)")   \
	_(DNP3_BAD_LENGTH, "dnp3.bad_length",                                                         \
	  "link length below 5 (framing lost), or a USER_DATA frame without a transport header")       \
	_(DNP3_BAD_CRC, "dnp3.bad_crc",                                                               \
	  "a link header CRC (framing lost) or a data block CRC (the frame's data is dropped) does "    \
	  "not match")                                                                                 \
	_(DNP3_TRUNCATED, "dnp3.truncated", "a frame, fragment or object ends before its fields do")     \
	_(DNP3_BAD_QUALIFIER, "dnp3.bad_qualifier",                                                   \
	  "an object header with a reserved qualifier or range code, or a stop index below its start") \
	_(DNP3_ILLEGAL_FUNCTION, "dnp3.illegal_function",                                             \
	  "a link or application function code IEEE 1815 does not define")                             \
	_(DNP3_TRANSPORT_SEQUENCE, "dnp3.transport_sequence",                                         \
	  "a transport segment out of sequence: part of a fragment was lost")                          \
	_(DNP3_FRAGMENT_TOO_LARGE, "dnp3.fragment_too_large",                                         \
	  "an application fragment grew past the reassembly cap (2048 octets)")                        \
	_(DNP3_UNSOLICITED_WHILE_DISABLED, "dnp3.unsolicited_while_disabled",                         \
	  "an unsolicited response with data after the master disabled unsolicited responses for all " \
	  "classes")                                                                                   \
	_(DNP3_RESPONSE_WITHOUT_REQUEST, "dnp3.response_without_request",                             \
	  "a solicited response whose sequence matches no outstanding request")                        \
	_(DNP3_ERROR_RESPONSE, "dnp3.error_response",                                                 \
	  "a response whose IIN2 says the request was rejected (function not supported, object "       \
	  "unknown or parameter error)")

#endif /* BLD_DNP3_H */
