/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * S7comm and S7comm-plus over ISO-on-TCP: the events their dissectors raise
 * (joined in events.h).  Both protocols share the TPKT/COTP layer and one
 * parser file, so they share these "s7comm.*" names: an event's flow says
 * which of the two it came from (docs/protocols/s7comm.md).
 */
#ifndef BLD_S7COMM_H
#define BLD_S7COMM_H

#define BLD_FOREACH_S7COMM_EVENT(_) \
	_(S7COMM_BAD_TPKT, "s7comm.bad_tpkt", "TPKT version is not 3 or its length is impossible (framing lost)") \
	_(S7COMM_BAD_COTP, "s7comm.bad_cotp", "COTP header length, PDU type or parameter is invalid") \
	_(S7COMM_BAD_PROTOCOL_ID, "s7comm.bad_protocol_id", "an S7 header whose protocol id is neither 0x32 nor 0x72") \
	_(S7COMM_BAD_LENGTH, "s7comm.bad_length", \
	  "S7 parameter and data lengths (or the S7comm-plus data length) contradict the TPKT length") \
	_(S7COMM_TRUNCATED, "s7comm.truncated", "a PDU ends before its fields do (header, items or values cut short)") \
	_(S7COMM_ILLEGAL_FUNCTION, "s7comm.illegal_function", \
	  "a ROSCTR, function, userdata function group, or S7comm-plus version or opcode that is not defined") \
	_(S7COMM_ERROR_RESPONSE, "s7comm.error_response", \
	  "an acknowledgement carrying an error class and code, or a userdata response with an error code") \
	_(S7COMM_PLC_STOP, "s7comm.plc_stop", "a PLC STOP request: the controller is asked to halt its program") \
	_(S7COMM_PLC_START, "s7comm.plc_start", \
	  "a PI service P_PROGRAM request: the controller is asked to start its program (warm or cold restart)") \
	_(S7COMM_RESPONSE_WITHOUT_REQUEST, "s7comm.response_without_request", \
	  "an acknowledgement whose PDU reference (S7comm-plus: sequence number) matches no outstanding request") \
	_(S7COMM_REASSEMBLY_OVERFLOW, "s7comm.reassembly_overflow", \
	  "the COTP segments of one S7 PDU exceed the reassembly buffer; the PDU was dropped")

#endif /* BLD_S7COMM_H */
