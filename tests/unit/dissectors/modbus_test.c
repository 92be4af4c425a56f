/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the Modbus/TCP dissector (dissectors/modbus.c).
 *
 * Fixtures are real PDUs copied from public captures (named with their frame
 * in ../shared/pcaps) or, for functions no capture answers, the examples of
 * the Modbus Application Protocol Specification V1.1b3 (named with their
 * clause).  Each literal is one field or a few; "|" separates MBAP and PDU.
 */
#include "dsc_test.h"
#include "registry.h"
#include "txn.h"

#define PAIR_OK(r) CU_ASSERT_EQUAL((r)->n_events, 0)

/* A fresh run fed one direction with one fixture; the caller frees it. */
static struct dsc_run *run1(bool to_server, const char *hex)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_modbus);
	dsc_feed_hex(r, to_server, hex);
	return r;
}

/* A PDU from a header and n bytes of `fill` (hex of exactly the PDU's size). */
static char *pdu_with_fill(const char *head, unsigned n, const char *fill)
{
	size_t len = strlen(head) + 2u * n + 1;
	char *s = malloc(len);
	CU_ASSERT_FATAL(s != NULL);
	strcpy(s, head);
	for (unsigned i = 0; i < n; i++)
		strcat(s, fill);
	return s;
}

/* ---- reads ---- */

/* ndpi/modbus.pcap frames 1 and 2, with their capture times. */
static const char fc3_req[] =
	"00d1 0000 0006"   /* MBAP: transaction 209, protocol 0, length 6 */
	"01 |"             /* unit 1 */
	"03 0001 0001";    /* read holding registers, address 1, quantity 1 */
static const char fc3_rsp[] =
	"00d1 0000 0005 01 |"
	"03 02 0000";      /* byte count 2, one register: 0 */

static void test_read_holding_registers(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_modbus);
	r->ts_ns = 1223541953927963000ull;
	CU_ASSERT_EQUAL(dsc_feed_hex(r, true, fc3_req), 12);
	CU_ASSERT_EQUAL(r->last.status, BLD_PARSE_OK);
	r->ts_ns = 1223541953929098000ull;
	CU_ASSERT_EQUAL(dsc_feed_hex(r, false, fc3_rsp), 11);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=209 unit=1 function=3 "
					     "function_name=\"read_holding_registers\" address=1 quantity=1");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=209 unit=1 function=3 "
					     "function_name=\"read_holding_registers\" address=1 quantity=1 "
					     "byte_count=2 values=[0]");
	CU_ASSERT_EQUAL(r->response_time[0], UINT64_MAX);
	CU_ASSERT_EQUAL(r->response_time[1], 1135000); /* tshark: Time from request 0.001135000 */
	PAIR_OK(r);
	dsc_run_free(r);
}

/* iti/bro/modbus/modbusSmall.pcap frames 14 and 16: three coils, padding bits dropped. */
static const char fc1_req[] = "0001 0000 0006 01 | 01 0000 0003";   /* read coils, address 0, quantity 3 */
static const char fc1_rsp[] = "0001 0000 0004 01 | 01 01 00";       /* byte count 1, coils 0 0 0 */
/* iti/ModbusTCP/modbus_test_data_part1.pcap frame 52, with a request asking for one coil at 2 */
static const char fc1_rsp_part1[] = "0001 0000 0004 0a | 01 01 01";

static void test_read_coils(void)
{
	struct dsc_run *r = run1(true, fc1_req);
	dsc_feed_hex(r, false, fc1_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=1 unit=1 function=1 function_name=\"read_coils\" "
					     "address=0 quantity=3");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=1 unit=1 function=1 function_name=\"read_coils\" "
					     "address=0 quantity=3 byte_count=1 values=[false false false]");
	PAIR_OK(r);
	dsc_run_free(r);

	r = run1(true, "0001 0000 0006 0a | 01 0002 0001");
	dsc_feed_hex(r, false, fc1_rsp_part1);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=1 unit=10 function=1 function_name=\"read_coils\" "
					     "address=2 quantity=1 byte_count=1 values=[true]");
	PAIR_OK(r);
	dsc_run_free(r);

	/* without its request the whole byte is listed (the quantity is unknown) */
	r = run1(false, fc1_rsp_part1);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "response transaction=1 unit=10 function=1 function_name=\"read_coils\" "
					     "byte_count=1 values=[true false false false false false false false]");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_RESPONSE_WITHOUT_REQUEST), 1);
	CU_ASSERT_EQUAL(r->response_time[0], UINT64_MAX);
	dsc_run_free(r);
}

/*
 * iti/ModbusTCP/ModbusTCP.pcap frame 4 (read 30 discrete inputs at 99) and
 * frame 5: one segment carrying two responses, the first (transaction 0)
 * answering a request from before the capture.
 */
static const char fc2_req[] = "0001 0000 0006 ff | 02 0063 001e";
static const char fc4_fc2_rsp[] =
	"0000 0000 0007 ff | 04 04 0000 0000"      /* read input registers: 2 registers */
	"0001 0000 0007 ff | 02 04 bd4f6739";      /* read discrete inputs: 4 bytes of bits */

static void test_read_discrete_inputs_two_pdus_one_segment(void)
{
	struct dsc_run *r = run1(true, fc2_req);
	CU_ASSERT_EQUAL(dsc_feed_hex(r, false, fc4_fc2_rsp), 26);
	CU_ASSERT_EQUAL(r->n_ops, 3);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=0 unit=255 function=4 "
					     "function_name=\"read_input_registers\" byte_count=4 values=[0 0]");
	/* bd 4f 67 39, least significant bit first, 30 of the 32 bits */
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 2), "response transaction=1 unit=255 function=2 "
					     "function_name=\"read_discrete_inputs\" address=99 quantity=30 "
					     "byte_count=4 "
					     "values=[true false true true true true false true "
					     "true true true true false false true false "
					     "true true true false false true true false "
					     "true false false true true true]");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_RESPONSE_WITHOUT_REQUEST), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	CU_ASSERT_EQUAL(r->response_time[1], UINT64_MAX);
	CU_ASSERT_EQUAL(r->response_time[2], 0);
	dsc_run_free(r);
}

/* iti/ModbusTCP/ModbusTCP.pcap frame 14: three requests in one segment. */
static const char three_req[] =
	"2977 0000 0006 ff | 04 044c 0073"
	"2978 0000 0006 ff | 04 0514 0004"
	"2979 0000 0006 ff | 02 00cb 001e";

static void test_three_requests_one_segment(void)
{
	struct dsc_run *r = run1(true, three_req);
	CU_ASSERT_EQUAL(r->n_ops, 3);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=10615 unit=255 function=4 "
					     "function_name=\"read_input_registers\" address=1100 quantity=115");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "request transaction=10616 unit=255 function=4 "
					     "function_name=\"read_input_registers\" address=1300 quantity=4");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 2), "request transaction=10617 unit=255 function=2 "
					     "function_name=\"read_discrete_inputs\" address=203 quantity=30");
	PAIR_OK(r);
	/* answered out of order: each finds its own request (key: transaction and unit) */
	dsc_feed_hex(r, false, "2978 0000 000b ff | 04 08 0001 0002 0003 0004");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 3), "response transaction=10616 unit=255 function=4 "
					     "function_name=\"read_input_registers\" address=1300 quantity=4 "
					     "byte_count=8 values=[1 2 3 4]");
	PAIR_OK(r);
	dsc_run_free(r);
}

/* ---- writes ---- */

/* iti/bro/modbus/modbusBig.pcap frames 5 and 7. */
static const char fc5_req[] = "c24b 0000 0006 ff | 05 0001 ff00";   /* write single coil 1 ON */
static const char fc5_rsp[] = "c24b 0000 0006 ff | 05 0001 ff00";   /* the echo */

static void test_write_single_coil(void)
{
	struct dsc_run *r = run1(true, fc5_req);
	dsc_feed_hex(r, false, fc5_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=49739 unit=255 function=5 "
					     "function_name=\"write_single_coil\" address=1 value=true");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=49739 unit=255 function=5 "
					     "function_name=\"write_single_coil\" address=1 value=true");
	PAIR_OK(r);
	dsc_run_free(r);

	/* §6.5: only 0xFF00 and 0x0000 are coil values */
	r = run1(true, "c24b 0000 0006 ff | 05 0001 1234");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=49739 unit=255 function=5 "
					     "function_name=\"write_single_coil\" address=1 raw_value=4660");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_VALUE), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
}

/* iti/ModbusTCP/modbus_test_data_part1.pcap frames 66 and 67. */
static const char fc6_req[] = "0001 0000 0006 0a | 06 0005 000b";   /* write register 5 = 11 */
static const char fc6_rsp[] = "0001 0000 0006 0a | 06 0005 000b";

static void test_write_single_register(void)
{
	struct dsc_run *r = run1(true, fc6_req);
	dsc_feed_hex(r, false, fc6_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=1 unit=10 function=6 "
					     "function_name=\"write_single_register\" address=5 value=11");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=1 unit=10 function=6 "
					     "function_name=\"write_single_register\" address=5 value=11");
	PAIR_OK(r);
	dsc_run_free(r);
}

/* iti/bro/modbus/modbusSmall.pcap frames 24 and 26. */
static const char fc15_req[] =
	"0001 0000 0008 01 |"
	"0f 0000 0003"     /* write multiple coils at 0, quantity 3 */
	"01 04";           /* byte count 1, coils 0 0 1 (bit 2) */
static const char fc15_rsp[] = "0001 0000 0006 01 | 0f 0000 0003";

static void test_write_multiple_coils(void)
{
	struct dsc_run *r = run1(true, fc15_req);
	dsc_feed_hex(r, false, fc15_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=1 unit=1 function=15 "
					     "function_name=\"write_multiple_coils\" address=0 quantity=3 byte_count=1 "
					     "values=[false false true]");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=1 unit=1 function=15 "
					     "function_name=\"write_multiple_coils\" address=0 quantity=3");
	PAIR_OK(r);
	dsc_run_free(r);

	/* §6.11: byte count must be ceil(3 / 8) = 1 */
	r = run1(true, "0001 0000 0009 01 | 0f 0000 0003 02 0400");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
	/* §6.11: at most 0x07B0 coils */
	r = run1(true, "0001 0000 0008 01 | 0f 0000 07b1 01 04");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_VALUE), 1);
	dsc_run_free(r);
}

/* tests/fixtures/scenario/port-scada-attacks.pcap frames 2821 and 2822. */
static const char fc16_req[] =
	"0002 0000 000f 01 |"
	"10 0014 0004"     /* write multiple registers at 20, quantity 4 */
	"08"               /* byte count 8 */
	"0000 0960 0708 ffff";
static const char fc16_rsp[] = "0002 0000 0006 01 | 10 0014 0004";

static void test_write_multiple_registers(void)
{
	struct dsc_run *r = run1(true, fc16_req);
	dsc_feed_hex(r, false, fc16_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=2 unit=1 function=16 "
					     "function_name=\"write_multiple_registers\" address=20 quantity=4 "
					     "byte_count=8 values=[0 2400 1800 65535]");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=2 unit=1 function=16 "
					     "function_name=\"write_multiple_registers\" address=20 quantity=4");
	PAIR_OK(r);
	dsc_run_free(r);

	/* §6.12: byte count 7 for 4 registers; the values still listed as far as they go */
	r = run1(true, "0002 0000 000e 01 | 10 0014 0004 07 0000 0960 0708 ff");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=2 unit=1 function=16 "
					     "function_name=\"write_multiple_registers\" address=20 quantity=4 "
					     "byte_count=7 values=[0 2400 1800]");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
	/* byte count 8 but the MBAP length stops 2 bytes short */
	r = run1(true, "0002 0000 000d 01 | 10 0014 0004 08 0000 0960 0708");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_TRUNCATED), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	dsc_run_free(r);
	/* §6.12: at most 0x7B registers */
	r = run1(true, "0002 0000 0009 01 | 10 0014 007c 02 0000");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_VALUE), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_LENGTH), 1);
	dsc_run_free(r);
}

/* §6.16 example. */
static const char fc22_req[] = "0001 0000 0008 01 | 16 0004 00f2 0025";  /* address 4, AND 0x00F2, OR 0x0025 */
static const char fc22_rsp[] = "0001 0000 0008 01 | 16 0004 00f2 0025";

static void test_mask_write_register(void)
{
	struct dsc_run *r = run1(true, fc22_req);
	dsc_feed_hex(r, false, fc22_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=1 unit=1 function=22 "
					     "function_name=\"mask_write_register\" address=4 and_mask=242 or_mask=37");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=1 unit=1 function=22 "
					     "function_name=\"mask_write_register\" address=4 and_mask=242 or_mask=37");
	PAIR_OK(r);
	/* a response with another OR mask than the request's */
	dsc_clear(r);
	dsc_feed_hex(r, true, fc22_req);
	dsc_feed_hex(r, false, "0001 0000 0008 01 | 16 0004 00f2 0026");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_ECHO_MISMATCH), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
}

/* §6.17 example. */
static const char fc23_req[] =
	"0001 0000 0011 01 |"
	"17 0003 0006"     /* read 6 registers at 3 */
	"000e 0003"        /* write 3 registers at 14 */
	"06 00ff 00ff 00ff";
static const char fc23_rsp[] =
	"0001 0000 000f 01 |"
	"17 0c 00fe 0acd 0001 0003 000d 00ff";

static void test_read_write_multiple_registers(void)
{
	struct dsc_run *r = run1(true, fc23_req);
	dsc_feed_hex(r, false, fc23_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=1 unit=1 function=23 "
					     "function_name=\"read_write_multiple_registers\" read_address=3 "
					     "read_quantity=6 write_address=14 write_quantity=3 byte_count=6 "
					     "values=[255 255 255]");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=1 unit=1 function=23 "
					     "function_name=\"read_write_multiple_registers\" read_address=3 "
					     "read_quantity=6 byte_count=12 values=[254 2765 1 3 13 255]");
	PAIR_OK(r);
	dsc_run_free(r);

	/* §6.17: at most 0x79 registers written */
	r = run1(true, "0001 0000 000d 01 | 17 0003 0006 000e 007a 02 00ff");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_VALUE), 1);
	dsc_run_free(r);
	/* a response with 5 registers for a request of 6 */
	r = run1(true, fc23_req);
	dsc_feed_hex(r, false, "0001 0000 000d 01 | 17 0a 00fe 0acd 0001 0003 000d");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
}

/* ---- diagnostics, serial-line and file functions ---- */

/* tests/fixtures/scenario/port-scada-attacks.pcap frames 3682 and 3683. */
static const char fc8_req[] = "0010 0000 0006 01 | 08 0000 a537";   /* return query data a537 */
static const char fc8_rsp[] = "0010 0000 0006 01 | 08 0000 a537";
/* iti/ModbusTCP/modbus_test_data_part1.pcap frames 8 and 9: force listen only mode, then exception 11 */
static const char fc8_listen_req[] = "0000 0000 0006 0a | 08 0004 0000";
static const char fc8_listen_rsp[] = "0000 0000 0003 0a | 88 0b";

static void test_diagnostics(void)
{
	struct dsc_run *r = run1(true, fc8_req);
	dsc_feed_hex(r, false, fc8_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=16 unit=1 function=8 function_name=\"diagnostics\" "
					     "sub_function=0 sub_function_name=\"return_query_data\" data=a537");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=16 unit=1 function=8 function_name=\"diagnostics\" "
					     "sub_function=0 sub_function_name=\"return_query_data\" data=a537");
	PAIR_OK(r);
	dsc_run_free(r);

	r = run1(true, fc8_listen_req);
	dsc_feed_hex(r, false, fc8_listen_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=0 unit=10 function=8 function_name=\"diagnostics\" "
					     "sub_function=4 sub_function_name=\"force_listen_only_mode\" data=0000");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=0 unit=10 function=8 function_name=\"diagnostics\" "
					     "exception=11 exception_name=\"gateway_target_device_failed_to_respond\" "
					     "sub_function=4");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_EXCEPTION), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);

	/* §6.8.1: sub-function 4 carries one word of data */
	r = run1(true, "0000 0000 0008 0a | 08 0004 0000 0000");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_LENGTH), 1);
	dsc_run_free(r);
	/* a response answering another sub-function */
	r = run1(true, fc8_listen_req);
	dsc_feed_hex(r, false, "0000 0000 0006 0a | 08 0001 0000");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_ECHO_MISMATCH), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
}

/* iti/ModbusTCP/modbus_test_data_part2.pcap frames 25 and 27. */
static const char fc7_req[] = "0000 0000 0002 01 | 07";
static const char fc7_rsp[] = "0000 0000 0003 01 | 07 15";

/* §6.9 and §6.10 examples. */
static const char fc11_rsp[] = "0001 0000 0006 01 | 0b ffff 0108";
static const char fc12_rsp[] =
	"0001 0000 000b 01 |"
	"0c 08"            /* byte count 8 */
	"0000 0108 0121"   /* status, event count 264, message count 289 */
	"20 00";           /* two events */

/* iti/ModbusTCP/modbus_test_data_part1.pcap frames 40 and 41. */
static const char fc17_req[] = "0000 0000 0002 0a | 11";
static const char fc17_rsp[] =
	"0000 0000 0015 0a |"
	"11 12"                                  /* byte count 18 */
	"00 ff 57696e6770617468204c696d69746564"; /* server id 0, run indicator ON, "Wingpath Limited" */

static void test_serial_line_functions(void)
{
	struct dsc_run *r = run1(true, fc7_req);
	dsc_feed_hex(r, false, fc7_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=0 unit=1 function=7 "
					     "function_name=\"read_exception_status\"");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=0 unit=1 function=7 "
					     "function_name=\"read_exception_status\" status=21");
	PAIR_OK(r);
	dsc_run_free(r);

	r = run1(true, "0001 0000 0002 01 | 0b");
	dsc_feed_hex(r, false, fc11_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=1 unit=1 function=11 "
					     "function_name=\"get_comm_event_counter\" status=65535 event_count=264");
	PAIR_OK(r);
	dsc_run_free(r);

	r = run1(true, "0001 0000 0002 01 | 0c");
	dsc_feed_hex(r, false, fc12_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=1 unit=1 function=12 "
					     "function_name=\"get_comm_event_log\" byte_count=8 status=0 "
					     "event_count=264 message_count=289 events=2000");
	PAIR_OK(r);
	dsc_run_free(r);

	r = run1(true, fc17_req);
	dsc_feed_hex(r, false, fc17_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=0 unit=10 function=17 "
					     "function_name=\"report_server_id\" byte_count=18 "
					     "data=00ff57696e6770617468204c696d69746564");
	PAIR_OK(r);
	dsc_run_free(r);

	/* iti/ModbusTCP/modbus_test_data_part2.pcap frame 50: the function code alone is the request */
	r = run1(true, "0000 0000 0006 01 | 11 0000 0000");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
}

/* §6.14 example. */
static const char fc20_req[] =
	"0001 0000 0011 01 |"
	"14 0e"              /* byte count 14: two sub-requests */
	"06 0004 0001 0002"  /* reference type 6, file 4, record 1, 2 registers */
	"06 0003 0009 0002"; /* file 3, record 9, 2 registers */
static const char fc20_rsp[] =
	"0001 0000 000f 01 |"
	"14 0c"              /* byte count 12 */
	"05 06 0dfe 0020"    /* 5 bytes follow: reference type, 2 registers */
	"05 06 33cd 0040";

/* §6.15 example. */
static const char fc21_req[] =
	"0001 0000 0010 01 |"
	"15 0d"              /* byte count 13 */
	"06 0004 0007 0003"  /* file 4, record 7, 3 registers */
	"06af 04be 100d";
static const char fc21_rsp[] = "0001 0000 0010 01 | 15 0d 06 0004 0007 0003 06af 04be 100d";

/* §6.18 example. */
static const char fc24_req[] = "0001 0000 0004 01 | 18 04de";   /* FIFO pointer address 1246 */
static const char fc24_rsp[] =
	"0001 0000 000a 01 |"
	"18 0006 0002"       /* byte count 6, FIFO count 2 */
	"01b8 1284";

static void test_file_and_fifo(void)
{
	struct dsc_run *r = run1(true, fc20_req);
	dsc_feed_hex(r, false, fc20_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=1 unit=1 function=20 "
					     "function_name=\"read_file_record\" byte_count=14 "
					     "records=[{file=4 record=1 length=2} {file=3 record=9 length=2}]");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=1 unit=1 function=20 "
					     "function_name=\"read_file_record\" byte_count=12 "
					     "records=[{data=0dfe0020} {data=33cd0040}]");
	PAIR_OK(r);
	dsc_run_free(r);

	r = run1(true, fc21_req);
	dsc_feed_hex(r, false, fc21_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=1 unit=1 function=21 "
					     "function_name=\"write_file_record\" byte_count=13 "
					     "records=[{file=4 record=7 length=3 data=06af04be100d}]");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=1 unit=1 function=21 "
					     "function_name=\"write_file_record\" byte_count=13 "
					     "records=[{file=4 record=7 length=3 data=06af04be100d}]");
	PAIR_OK(r);
	dsc_run_free(r);

	/* reference type 7 and a record number past 0x270F */
	r = run1(true, "0001 0000 000a 01 | 14 07 07 0004 2710 0002");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_VALUE), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
	/* a byte count that ends inside a sub-request */
	r = run1(true, "0001 0000 000b 01 | 14 08 06 0004 0001 0002 06");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_LENGTH), 1);
	dsc_run_free(r);

	r = run1(true, fc24_req);
	dsc_feed_hex(r, false, fc24_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=1 unit=1 function=24 "
					     "function_name=\"read_fifo_queue\" address=1246");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=1 unit=1 function=24 "
					     "function_name=\"read_fifo_queue\" address=1246 byte_count=6 fifo_count=2 "
					     "values=[440 4740]");
	PAIR_OK(r);
	dsc_run_free(r);
	/* §6.18: at most 31 registers queued */
	r = run1(false, "0001 0000 0008 01 | 18 0042 0020 0000");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_VALUE), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_TRUNCATED), 1);
	dsc_run_free(r);
}

/* ---- encapsulated interface: device identification ---- */

/* §6.21 example (the specification's object length 0x0D for "Product code XX" corrected to 0x0F). */
static const char fc43_req[] = "0001 0000 0005 01 | 2b 0e 01 00";   /* MEI 14, basic, from object 0 */
static const char fc43_rsp[] =
	"0001 0000 0038 01 |"
	"2b 0e 01"           /* MEI 14, read device id code 1 */
	"01 00 00 03"        /* conformity level 1, more follows no, next object 0, 3 objects */
	"00 16 436f6d70616e79206964656e74696669636174696f6e" /* 0 "Company identification" */
	"01 0f 50726f6475637420636f6465205858"               /* 1 "Product code XX" */
	"02 05 56322e3131";                                  /* 2 "V2.11" */
/* iti/ModbusTCP/modbus_test_data_part1.pcap frame 32: MEI 14 code 3 from object 1, and one byte too many */
static const char fc43_req_part1[] = "0001 0000 0006 0a | 2b 0e 03 01 00";

static void test_device_identification(void)
{
	struct dsc_run *r = run1(true, fc43_req);
	dsc_feed_hex(r, false, fc43_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=1 unit=1 function=43 "
					     "function_name=\"encapsulated_interface_transport\" mei_type=14 "
					     "read_device_id=1 object_id=0");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=1 unit=1 function=43 "
					     "function_name=\"encapsulated_interface_transport\" mei_type=14 "
					     "read_device_id=1 conformity_level=1 more_follows=false next_object_id=0 "
					     "number_of_objects=3 objects=[{id=0 value=\"Company identification\"} "
					     "{id=1 value=\"Product code XX\"} {id=2 value=\"V2.11\"}]");
	PAIR_OK(r);
	dsc_run_free(r);

	r = run1(true, fc43_req_part1);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=1 unit=10 function=43 "
					     "function_name=\"encapsulated_interface_transport\" mei_type=14 "
					     "read_device_id=3 object_id=1");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);

	/* a fourth object announced but not there; more follows 0x01; read device id code 5 */
	r = run1(false, "0001 0000 000d 01 | 2b 0e 05 01 01 00 02 00 03 414243");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "response transaction=1 unit=1 function=43 "
					     "function_name=\"encapsulated_interface_transport\" mei_type=14 "
					     "read_device_id=5 conformity_level=1 more_follows=true next_object_id=0 "
					     "number_of_objects=2 objects=[{id=0 value=\"ABC\"}]");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_TRUNCATED), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_VALUE), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_RESPONSE_WITHOUT_REQUEST), 1);
	CU_ASSERT_EQUAL(r->n_events, 3);
	dsc_run_free(r);

	/* MEI 13 (CANopen) is carried opaque; MEI 15 is not defined */
	r = run1(true, "0001 0000 0005 01 | 2b 0d 0102");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=1 unit=1 function=43 "
					     "function_name=\"encapsulated_interface_transport\" mei_type=13 "
					     "data=0102");
	PAIR_OK(r);
	dsc_feed_hex(r, true, "0002 0000 0005 01 | 2b 0f 0102");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_VALUE), 1);
	dsc_run_free(r);
}

/* ---- exceptions, undefined functions, UMAS ---- */

/* iti/ModbusTCP/modbus_test_data_part2.pcap frames 11 and 13: read 0 coils, exception 3. */
static const char fc1_zero_req[] = "0000 0000 0006 01 | 01 0000 0000";
static const char fc1_exc_rsp[] = "0000 0000 0003 01 | 81 03";
/* iti/ModbusTCP/modbus_test_data_part1.pcap frame 91: exception 6 and one byte too many */
static const char exc_long[] = "0001 0000 0004 0a | 81 06 00";
/* iti/ModbusTCP/modbus_test_data_part2.pcap frames 6 and 9: function 0, exception 1 */
static const char fc0_req[] = "0000 0000 0006 01 | 00 0000 0000";
static const char fc0_rsp[] = "0000 0000 0003 01 | 80 01";

static void test_exceptions(void)
{
	struct dsc_run *r = run1(true, fc1_zero_req);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_VALUE), 1); /* §6.1: quantity 1..2000 */
	dsc_feed_hex(r, false, fc1_exc_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=0 unit=1 function=1 function_name=\"read_coils\" "
					     "exception=3 exception_name=\"illegal_data_value\" address=0 quantity=0");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_EXCEPTION), 1);
	CU_ASSERT_EQUAL(r->n_events, 2);
	CU_ASSERT_NOT_EQUAL(r->response_time[1], UINT64_MAX);
	dsc_run_free(r);

	r = run1(false, exc_long);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "response transaction=1 unit=10 function=1 function_name=\"read_coils\" "
					     "exception=6 exception_name=\"server_device_busy\"");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_EXCEPTION), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_RESPONSE_WITHOUT_REQUEST), 1);
	CU_ASSERT_EQUAL(r->n_events, 3);
	dsc_run_free(r);

	r = run1(true, fc0_req);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=0 unit=1 function=0 data_length=4 data=00000000");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_ILLEGAL_FUNCTION), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_clear(r);
	/* the server's "illegal function" answer is an exception, not another illegal function */
	dsc_feed_hex(r, false, fc0_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "response transaction=0 unit=1 function=0 exception=1 "
					     "exception_name=\"illegal_function\"");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_EXCEPTION), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);

	/* an undefined exception code 7; an exception response without its code */
	r = run1(false, "0000 0000 0003 01 | 83 07");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_VALUE), 1);
	dsc_run_free(r);
	r = run1(false, "0000 0000 0002 01 | 83");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "response transaction=0 unit=1 function=3 "
					     "function_name=\"read_holding_registers\"");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_TRUNCATED), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_EXCEPTION), 1);
	dsc_run_free(r);
	/*
	 * iti/ModbusTCP/modbus_test_data_part1.pcap frame 91: the device opened
	 * the connection from port 502, so its exception travels "to the
	 * server"; bit 7 still makes it a response.
	 */
	r = run1(true, exc_long);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "response transaction=1 unit=10 function=1 function_name=\"read_coils\" "
					     "exception=6 exception_name=\"server_device_busy\"");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_ILLEGAL_FUNCTION), 0);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_EXCEPTION), 1);
	dsc_run_free(r);
	/* ... while other functions follow the TCP client */
	r = run1(false, fc3_req);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_RESPONSE_WITHOUT_REQUEST), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "response "));
	dsc_run_free(r);
}

/* ndpi/umas.pcap frames 7 and 8. */
static const char umas_req[] =
	"0001 0000 0005 00 |"
	"5a 00 01 00";       /* UMAS, session 0, function 0x01 (read PLC info), data 00 */
static const char umas_rsp[] =
	"0001 0000 0011 00 |"
	"5a 00 fe"           /* session 0, status 0xFE (ok) */
	"fd000104000032000000000000";

static void test_umas(void)
{
	struct dsc_run *r = run1(true, umas_req);
	dsc_feed_hex(r, false, umas_rsp);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=1 unit=0 function=90 function_name=\"umas\" "
					     "data_length=3 umas_session=0 umas_function=1 data=000100");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=1 unit=0 function=90 function_name=\"umas\" "
					     "data_length=15 umas_session=0 umas_status=254 "
					     "data=00fefd000104000032000000000000");
	PAIR_OK(r);
	dsc_run_free(r);
}

/* ---- framing ---- */

static void test_mbap_framing(void)
{
	/* protocol id 1: not an MBAP header, framing lost (Implementation Guide §3.1.3) */
	struct dsc_run *r = run1(true, "0001 0001 0006 01 | 03 0000 0001");
	CU_ASSERT_EQUAL(r->last.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(r->last.consumed, 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_PROTOCOL_ID), 1);
	CU_ASSERT_EQUAL(r->n_ops, 0);
	dsc_run_free(r);
	/* judged as soon as the protocol id is in */
	r = run1(true, "0001 0001");
	CU_ASSERT_EQUAL(r->last.status, BLD_PARSE_ERROR);
	dsc_run_free(r);

	/* lengths 0, 1 (no function code) and 261 (past what any stack takes): framing lost */
	static const char *bad[] = { "0001 0000 0000 01 03", "0001 0000 0001 01 03", "0001 0000 0105 01 03" };
	for (unsigned i = 0; i < 3; i++) {
		r = run1(true, bad[i]);
		CU_ASSERT_EQUAL(r->last.status, BLD_PARSE_ERROR);
		CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_LENGTH), 1);
		CU_ASSERT_EQUAL(r->n_ops, 0);
		dsc_run_free(r);
	}
	/* length 254, the largest: a PDU of 253 bytes, waited for in full */
	r = run1(true, "0001 0000 00fe 01 5a");
	CU_ASSERT_EQUAL(r->last.status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(r->last.needed, 260);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
	/* length 255: one byte past the specification, parsed as a Schneider PLC does (ndpi/umas.pcap frame 19) */
	char *big = pdu_with_fill("000a 0000 00ff 00 | 5a 00 0a", 251, "54");
	r = run1(true, big);
	free(big);
	CU_ASSERT_EQUAL(r->last.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(r->last.consumed, 261);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "function=90 function_name=\"umas\" data_length=253 umas_session=0 "
						 "umas_function=10 data=000a5454"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
	/* length 2: the function code alone */
	r = run1(true, "0001 0000 0002 01 07");
	CU_ASSERT_EQUAL(r->last.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(r->last.consumed, 8);
	dsc_run_free(r);

	/* a read request whose MBAP length leaves out the quantity */
	r = run1(true, "0001 0000 0004 01 | 03 0000");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request transaction=1 unit=1 function=3 "
					     "function_name=\"read_holding_registers\" address=0");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_TRUNCATED), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
	/* ... and one that goes on past it */
	r = run1(true, "0001 0000 0007 01 | 03 0000 0001 00");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);

	/* a datagram cut short says so */
	r = dsc_run_new(&bld_dsc_modbus);
	uint8_t b[] = { 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03 };
	dsc_parse(r, true, true, b, sizeof(b));
	CU_ASSERT_EQUAL(r->last.status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_TRUNCATED), 1);
	dsc_run_free(r);
}

static void test_quantity_limits(void)
{
	static const struct {
		const char *hex;
		unsigned bad;
	} cases[] = {
		{ "0001 0000 0006 01 | 01 0000 07d0", 0 }, /* 2000 coils */
		{ "0001 0000 0006 01 | 01 0000 07d1", 1 },
		{ "0001 0000 0006 01 | 02 0000 07d1", 1 },
		{ "0001 0000 0006 01 | 03 0000 007d", 0 }, /* 125 registers */
		{ "0001 0000 0006 01 | 03 0000 007e", 1 },
		{ "0001 0000 0006 01 | 04 0000 0000", 1 },
		{ "0001 0000 0006 01 | 04 ffff 0001", 0 }, /* any address */
	};
	for (unsigned i = 0; i < BLD_TEST_COUNT(cases); i++) {
		struct dsc_run *r = run1(true, cases[i].hex);
		CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_VALUE), cases[i].bad);
		CU_ASSERT_EQUAL(r->n_events, cases[i].bad);
		dsc_run_free(r);
	}
}

/* ---- pairing ---- */

static void test_pairing_violations(void)
{
	/* a response to a request of 1 register carrying 2 */
	struct dsc_run *r = run1(true, fc3_req);
	dsc_feed_hex(r, false, "00d1 0000 0007 01 | 03 04 0000 0001");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
	/* an odd byte count */
	r = run1(false, "00d1 0000 0006 01 | 03 03 000000");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_LENGTH), 1);
	dsc_run_free(r);
	/* coils: 2 bytes for a request of 3 coils */
	r = run1(true, fc1_req);
	dsc_feed_hex(r, false, "0001 0000 0005 01 | 01 02 0000");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);

	/* the same transaction from another unit is another transaction */
	r = run1(true, fc3_req);
	dsc_feed_hex(r, false, "00d1 0000 0005 02 | 03 02 0000");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_RESPONSE_WITHOUT_REQUEST), 1);
	/* the request is still outstanding, and answered once */
	dsc_feed_hex(r, false, fc3_rsp);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_RESPONSE_WITHOUT_REQUEST), 1);
	dsc_feed_hex(r, false, fc3_rsp);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_RESPONSE_WITHOUT_REQUEST), 2);
	dsc_run_free(r);

	/* a read answered as a write: decoded as what it says it is */
	r = run1(true, fc3_req);
	dsc_feed_hex(r, false, "00d1 0000 0006 01 | 06 0001 0005");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response transaction=209 unit=1 function=6 "
					     "function_name=\"write_single_register\" address=1 value=5");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_FUNCTION_MISMATCH), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
	/* an exception for another function than the request's */
	r = run1(true, fc3_req);
	dsc_feed_hex(r, false, "00d1 0000 0003 01 | 84 02");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_FUNCTION_MISMATCH), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_EXCEPTION), 1);
	CU_ASSERT_EQUAL(r->n_events, 2);
	dsc_run_free(r);

	/* echoes that differ: coil, register value, multiple-write quantity */
	static const char *const echo[][2] = {
		{ fc5_req, "c24b 0000 0006 ff | 05 0001 0000" },
		{ fc6_req, "0001 0000 0006 0a | 06 0005 000c" },
		{ fc6_req, "0001 0000 0006 0a | 06 0006 000b" },
		{ fc16_req, "0002 0000 0006 01 | 10 0014 0005" },
		{ fc15_req, "0001 0000 0006 01 | 0f 0001 0003" },
	};
	for (unsigned i = 0; i < BLD_TEST_COUNT(echo); i++) {
		r = run1(true, echo[i][0]);
		dsc_feed_hex(r, false, echo[i][1]);
		CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_ECHO_MISMATCH), 1);
		CU_ASSERT_EQUAL(r->n_events, 1);
		dsc_run_free(r);
	}
}

static void test_txn_capacity(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_modbus);
	char hex[64];
	for (unsigned t = 0; t <= BLD_TXN_MAX; t++) {
		snprintf(hex, sizeof(hex), "%04x 0000 0006 01 | 03 0000 0001", t);
		dsc_feed_hex(r, true, hex);
	}
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_TXN_CAPACITY), 1);
	/* the oldest (transaction 0) was forgotten, the newest is still paired */
	dsc_feed_hex(r, false, "0000 0000 0005 01 | 03 02 0000");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_RESPONSE_WITHOUT_REQUEST), 1);
	snprintf(hex, sizeof(hex), "%04x 0000 0005 01 | 03 02 0000", BLD_TXN_MAX);
	dsc_feed_hex(r, false, hex);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_MODBUS_RESPONSE_WITHOUT_REQUEST), 1);
	CU_ASSERT_NOT_EQUAL(r->response_time[BLD_TXN_MAX + 2], UINT64_MAX);
	dsc_run_free(r);
}

/* ---- caps ---- */

static void test_values_cap(void)
{
	/* read 2000 coils, answered with 250 bytes of 0xff: 256 listed, 2000 counted */
	struct dsc_run *r = run1(true, "0001 0000 0006 01 | 01 0000 07d0");
	char *rsp = pdu_with_fill("0001 0000 00fd 01 | 01 fa", 250, "ff");
	dsc_feed_hex(r, false, rsp);
	free(rsp);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_ITEMS_CAPACITY), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 1), "] values_count=2000"));
	CU_ASSERT_PTR_NULL(strstr(dsc_op(r, 1), "(overflow)"));
	unsigned n = 0;
	for (const char *p = dsc_op(r, 1); (p = strstr(p, "true")) != NULL; p++)
		n++;
	CU_ASSERT_EQUAL(n, 256);
	dsc_run_free(r);

	/* write 1968 coils (the most, 246 bytes): listed up to the cap, counted past it */
	char *req = pdu_with_fill("0001 0000 00fd 01 | 0f 0000 07b0 f6", 246, "00");
	r = run1(true, req);
	free(req);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_ITEMS_CAPACITY), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "] values_count=1968"));
	dsc_run_free(r);

	/* 125 registers: all listed, no count */
	req = pdu_with_fill("0001 0000 00fd 01 | 03 fa", 250, "01");
	r = run1(false, req);
	free(req);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_ITEMS_CAPACITY), 0);
	CU_ASSERT_PTR_NULL(strstr(dsc_op(r, 0), "values_count"));
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "257 257]"));
	dsc_run_free(r);
}

/* ---- every fixture, cut at every length ---- */

static void test_truncation_sweeps(void)
{
	static const char *const to_server[] = {
		fc3_req, fc1_req, fc2_req, "2977 0000 0006 ff | 04 044c 0073", fc5_req, fc6_req, fc15_req, fc16_req,
		fc22_req, fc23_req, fc8_req, fc8_listen_req, fc7_req, fc17_req, fc20_req, fc21_req, fc24_req, fc43_req,
		fc43_req_part1, fc1_zero_req, fc0_req, umas_req,
	};
	static const char *const to_client[] = {
		fc3_rsp, fc1_rsp, fc1_rsp_part1, "0000 0000 0007 ff | 04 04 0000 0000",
		"0001 0000 0007 ff | 02 04 bd4f6739", fc5_rsp, fc6_rsp, fc15_rsp, fc16_rsp, fc22_rsp,
		fc23_rsp, fc8_rsp, fc8_listen_rsp, fc7_rsp, fc11_rsp, fc12_rsp, fc17_rsp, fc20_rsp, fc21_rsp,
		fc24_rsp, fc43_rsp, fc1_exc_rsp, exc_long, fc0_rsp, umas_rsp,
	};
	for (unsigned i = 0; i < BLD_TEST_COUNT(to_server); i++)
		dsc_truncation_sweep(&bld_dsc_modbus, true, to_server[i]);
	for (unsigned i = 0; i < BLD_TEST_COUNT(to_client); i++)
		dsc_truncation_sweep(&bld_dsc_modbus, false, to_client[i]);
}

/* Every fixture in its own direction parses in full and emits one op per PDU. */
static void test_fixtures_parse_whole(void)
{
	static const struct {
		const char *hex;
		bool to_server;
		unsigned ops;
	} f[] = {
		{ fc3_req, true, 1 }, { fc3_rsp, false, 1 }, { three_req, true, 3 }, { fc4_fc2_rsp, false, 2 },
		{ fc43_rsp, false, 1 }, { fc21_req, true, 1 }, { fc20_rsp, false, 1 }, { umas_rsp, false, 1 },
	};
	for (unsigned i = 0; i < BLD_TEST_COUNT(f); i++) {
		uint32_t len;
		free(bld_test_hex(f[i].hex, &len));
		struct dsc_run *r = dsc_run_new(&bld_dsc_modbus);
		CU_ASSERT_EQUAL(dsc_feed_hex(r, f[i].to_server, f[i].hex), len);
		CU_ASSERT_EQUAL(r->n_ops, f[i].ops);
		dsc_run_free(r);
	}
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "read holding registers, paired with response time", test_read_holding_registers },
		{ "read coils: padding bits follow the request's quantity", test_read_coils },
		{ "two responses in one segment", test_read_discrete_inputs_two_pdus_one_segment },
		{ "three requests in one segment, answered out of order", test_three_requests_one_segment },
		{ "write single coil and its value rule", test_write_single_coil },
		{ "write single register", test_write_single_register },
		{ "write multiple coils: byte count and limit", test_write_multiple_coils },
		{ "write multiple registers: byte count, truncation, limit", test_write_multiple_registers },
		{ "mask write register and its echo", test_mask_write_register },
		{ "read/write multiple registers", test_read_write_multiple_registers },
		{ "diagnostics", test_diagnostics },
		{ "serial-line functions 7, 11, 12, 17", test_serial_line_functions },
		{ "file records and FIFO queue", test_file_and_fifo },
		{ "device identification", test_device_identification },
		{ "exceptions and undefined functions", test_exceptions },
		{ "UMAS on function 90", test_umas },
		{ "MBAP framing", test_mbap_framing },
		{ "quantity limits", test_quantity_limits },
		{ "pairing violations", test_pairing_violations },
		{ "outstanding requests cap", test_txn_capacity },
		{ "values list cap", test_values_cap },
		{ "truncation sweeps", test_truncation_sweeps },
		{ "fixtures parse whole", test_fixtures_parse_whole },
	};
	return bld_test_run("modbus", tests, BLD_TEST_COUNT(tests));
}
