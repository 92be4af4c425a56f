/* SPDX-License-Identifier: BSD-3-Clause */
/* Modbus/TCP: the events its dissector raises (joined in events.h). */
#ifndef BLD_MODBUS_H
#define BLD_MODBUS_H

#define BLD_FOREACH_MODBUS_EVENT(_) \
	_(MODBUS_BAD_PROTOCOL_ID, "modbus.bad_protocol_id", "MBAP protocol identifier is not 0 (framing lost)") \
	_(MODBUS_BAD_LENGTH, "modbus.bad_length", "MBAP length outside 2..254 (framing lost under 2 " \
		"or over 260), or a PDU whose size or byte count contradicts its function or its request's quantity") \
	_(MODBUS_TRUNCATED, "modbus.truncated", "a PDU ends before its fields do") \
	_(MODBUS_ILLEGAL_FUNCTION, "modbus.illegal_function", "a function code the specification does not define") \
	_(MODBUS_BAD_VALUE, "modbus.bad_value", "a field outside the values the specification allows " \
		"(quantity limits, coil value other than 0x0000/0xFF00, MEI and device identification codes, " \
		"file reference type)") \
	_(MODBUS_EXCEPTION, "modbus.exception", "an exception response (function code with bit 7 set)") \
	_(MODBUS_RESPONSE_WITHOUT_REQUEST, "modbus.response_without_request", \
		"a response whose transaction and unit id match no outstanding request") \
	_(MODBUS_FUNCTION_MISMATCH, "modbus.function_mismatch", "a response whose function code is not its request's") \
	_(MODBUS_ECHO_MISMATCH, "modbus.echo_mismatch", "a write or diagnostics response that does not echo its " \
		"request (address, quantity, value, masks or sub-function differ)")

#endif /* BLD_MODBUS_H */
