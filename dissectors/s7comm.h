/* SPDX-License-Identifier: BSD-3-Clause */
/* S7comm and S7comm-plus over ISO-on-TCP: the events its dissector raises (joined in events.h). */
#ifndef BLD_S7COMM_H
#define BLD_S7COMM_H

#define BLD_FOREACH_S7COMM_EVENT(_) \
	_(S7COMM_BAD_TPKT, "s7comm.bad_tpkt", "TPKT version is not 3 or its length is impossible (framing lost)") \
	_(S7COMM_BAD_COTP, "s7comm.bad_cotp", "COTP header length or PDU type is invalid") \
	_(S7COMM_BAD_PROTOCOL_ID, "s7comm.bad_protocol_id", "an S7 header whose protocol id is neither 0x32 nor 0x72") \
	_(S7COMM_BAD_LENGTH, "s7comm.bad_length", "S7 parameter or data lengths contradict the TPKT length") \
	_(S7COMM_TRUNCATED, "s7comm.truncated", "a PDU ends before its fields do") \
	_(S7COMM_ILLEGAL_FUNCTION, "s7comm.illegal_function", "a ROSCTR or function code S7comm does not define") \
	_(S7COMM_ERROR_RESPONSE, "s7comm.error_response", "an acknowledgement carrying an error class and code") \
	_(S7COMM_PLC_STOP, "s7comm.plc_stop", "a PLC STOP request: the controller is asked to halt its program") \
	_(S7COMM_RESPONSE_WITHOUT_REQUEST, "s7comm.response_without_request", "an acknowledgement whose PDU reference matches no outstanding job")

#endif /* BLD_S7COMM_H */
