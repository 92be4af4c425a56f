/* SPDX-License-Identifier: BSD-3-Clause */
/* DNP3 (IEEE 1815): the events its dissector raises (joined in events.h). */
#ifndef BLD_DNP3_H
#define BLD_DNP3_H

#define BLD_FOREACH_DNP3_EVENT(_) \
	_(DNP3_BAD_START, "dnp3.bad_start", "link frame does not start with 0x05 0x64 (framing lost)") \
	_(DNP3_BAD_LENGTH, "dnp3.bad_length", "link length below 5, or an application fragment inconsistent with its headers") \
	_(DNP3_BAD_CRC, "dnp3.bad_crc", "a link header or data block CRC does not match") \
	_(DNP3_TRUNCATED, "dnp3.truncated", "a frame, fragment or object ends before its fields do") \
	_(DNP3_ILLEGAL_FUNCTION, "dnp3.illegal_function", "a link or application function code IEEE 1815 does not define") \
	_(DNP3_TRANSPORT_SEQUENCE, "dnp3.transport_sequence", "a transport segment out of sequence: part of a fragment was lost") \
	_(DNP3_FRAGMENT_TOO_LARGE, "dnp3.fragment_too_large", "an application fragment grew past the reassembly cap") \
	_(DNP3_UNSOLICITED_WHILE_DISABLED, "dnp3.unsolicited_while_disabled", "an unsolicited response after the master disabled unsolicited responses") \
	_(DNP3_RESPONSE_WITHOUT_REQUEST, "dnp3.response_without_request", "a solicited response whose sequence matches no outstanding request")

#endif /* BLD_DNP3_H */
