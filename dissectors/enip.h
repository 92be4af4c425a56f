/* SPDX-License-Identifier: BSD-3-Clause */
/* EtherNet/IP and CIP: the events its dissector raises (joined in events.h). */
#ifndef BLD_ENIP_H
#define BLD_ENIP_H

#define BLD_FOREACH_ENIP_EVENT(_) \
	_(ENIP_BAD_LENGTH, "enip.bad_length", "encapsulation length impossible (framing lost) or wrong for its " \
		"command, or Common Packet Format items inconsistent with it") \
	_(ENIP_TRUNCATED, "enip.truncated", "a datagram ends before its encapsulation header or data do") \
	_(ENIP_ILLEGAL_COMMAND, "enip.illegal_command", "an encapsulation command ODVA does not define " \
		"(or reserves for legacy use)") \
	_(ENIP_NONZERO_OPTIONS, "enip.nonzero_options", \
		"an encapsulation header with non-zero options, which a receiver must discard") \
	_(ENIP_ERROR_STATUS, "enip.error_status", "an encapsulation header with a non-zero status") \
	_(ENIP_BAD_CPF, "enip.bad_cpf", "Common Packet Format items missing or not the ones the command requires") \
	_(ENIP_SESSION_MISMATCH, "enip.session_mismatch", "a message with a session handle other than the one " \
		"RegisterSession established on this connection") \
	_(ENIP_CIP_BAD_PATH, "enip.cip_bad_path", "a CIP EPATH that cannot be parsed") \
	_(ENIP_CIP_MALFORMED, "enip.cip_malformed", "a CIP message shorter than its service requires, or with " \
		"offsets or sizes outside itself") \
	_(ENIP_CIP_ERROR_STATUS, "enip.cip_error_status", \
		"a CIP response with a general status other than success or partial transfer") \
	_(ENIP_RESPONSE_WITHOUT_REQUEST, "enip.response_without_request", \
		"a reply whose sender context (or connected sequence count) matches no outstanding request")

#endif /* BLD_ENIP_H */
