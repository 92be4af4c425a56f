/* SPDX-License-Identifier: BSD-3-Clause */
/* OPC UA binary (OPC 10000-6): the events its dissector raises (joined in events.h). */
#ifndef BLD_OPCUA_H
#define BLD_OPCUA_H

#define BLD_FOREACH_OPCUA_EVENT(_) \
	_(OPCUA_BAD_TYPE, "opcua.bad_type", "a message type other than HEL, ACK, OPN, MSG, CLO, ERR, RHE (framing lost)") \
	_(OPCUA_BAD_LENGTH, "opcua.bad_length", \
	  "a message size below its header or above 16 MiB (framing lost), or above the receive buffer the peer " \
	  "announced in HEL/ACK") \
	_(OPCUA_BAD_CHUNK, "opcua.bad_chunk", \
	  "a chunk type other than F, C, A, or other than F on a HEL, ACK, ERR or RHE") \
	_(OPCUA_TRUNCATED, "opcua.truncated", "a message ends before its fields do") \
	_(OPCUA_MALFORMED, "opcua.malformed", \
	  "a field is wrongly encoded: unknown NodeId or Variant encoding, negative length, nesting too deep") \
	_(OPCUA_UNEXPECTED_MESSAGE, "opcua.unexpected_message", \
	  "a connection message out of order: a second HEL, an ACK without a HEL, an ACK from the HEL's sender") \
	_(OPCUA_ERROR_MESSAGE, "opcua.error_message", "an ERR message: the peer closes the connection with an error") \
	_(OPCUA_ABORT, "opcua.abort", "a message aborted by its sender (chunk type A) with an error code") \
	_(OPCUA_BAD_STATUS, "opcua.bad_status", "a service response with a Bad service result (ServiceFault included)") \
	_(OPCUA_SECURITY_NONE, "opcua.security_none", \
	  "a secure channel opened with SecurityPolicy None or MessageSecurityMode None: no signing, no encryption") \
	_(OPCUA_CLEARTEXT_PASSWORD, "opcua.cleartext_password", \
	  "ActivateSession carries a user name and password readable on the wire (no encryption algorithm, plain " \
	  "channel)") \
	_(OPCUA_RESPONSE_WITHOUT_REQUEST, "opcua.response_without_request", \
	  "a response whose request handle matches no outstanding request")

#endif /* BLD_OPCUA_H */
