/* SPDX-License-Identifier: BSD-3-Clause */
/* EtherNet/IP and CIP: the events its dissector raises (joined in events.h). */
#ifndef BLD_ENIP_H
#define BLD_ENIP_H

#define BLD_FOREACH_ENIP_EVENT(_) \
	_(ENIP_BAD_LENGTH, "enip.bad_length", "encapsulation length impossible, or CPF items inconsistent with it") \
	_(ENIP_TRUNCATED, "enip.truncated", "a PDU ends before its fields do") \
	_(ENIP_ILLEGAL_COMMAND, "enip.illegal_command", "an encapsulation command ODVA does not define") \
	_(ENIP_ERROR_STATUS, "enip.error_status", "an encapsulation header with a non-zero status") \
	_(ENIP_CIP_BAD_PATH, "enip.cip_bad_path", "a CIP EPATH that cannot be parsed") \
	_(ENIP_CIP_ERROR_STATUS, "enip.cip_error_status", "a CIP response with a non-zero general status") \
	_(ENIP_RESPONSE_WITHOUT_REQUEST, "enip.response_without_request", "a reply whose sender context matches no outstanding request")

#endif /* BLD_ENIP_H */
