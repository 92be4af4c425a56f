/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the s7comm and s7comm-plus dissectors (dissectors/s7comm.c).
 *
 * Fixtures are TPKTs copied from public captures (the frame is named; the
 * expected values are tshark 4.0's decode of the same frame) or built by hand
 * after RFC 1006, ISO 8073 and the layouts in the dissector's header comment
 * (marked "built").  Captures, under /work/shared/pcaps:
 *   ndpi      ndpi/s7comm.pcap (S7-300; client 192.168.1.10:4185)
 *   plus      ndpi/s7comm-plus.pcap (S7-1200, S7comm-plus V1/V2)
 *   nodave    iti/s7/s7comm_varservice_libnodavedemo.pcap
 *   wincc     iti/s7/wincc_s300_setup-alarm-read-write.pcapng
 *   snap7     iti/s7/snap7_s300_everything.pcapng, snap7_s300_readVar.pcapng, snap7_s300_stop.pcapng
 *   step7     iti/s7/step7_s300_stop.pcapng
 *   status    iti/s7/s7comm_reading_plc_status.pcap
 */
#include "dsc_test.h"
#include "registry.h"
#include "txn.h"

#define C2S true   /* client (PG, HMI) -> server (PLC, port 102) */
#define S2C false
#define US 1000ull

/* ---- fixtures ------------------------------------------------------------------------------- */

/* ndpi frame 1: COTP connection request, TSAPs 0100 -> 0102 (PG, rack 0 slot 2). */
static const char CR[] =
	"03 00 0016"            /* TPKT v3, length 22 */
	"11 e0 0000 0007 00"    /* COTP LI 17, CR (credit 0), dst ref 0, src ref 7, class 0 */
	"c1 02 0100"            /* calling TSAP 0100 */
	"c2 02 0102"            /* called TSAP 0102: connection type 1 (PG), rack 0, slot 2 */
	"c0 01 0a";             /* TPDU size 2^10 */
/* ndpi frame 2: connection confirm. */
static const char CC[] =
	"03 00 0016"
	"11 d0 0007 0003 00"    /* CC, dst ref 7 (the CR's source), src ref 3, class 0 */
	"c0 01 0a c1 02 0100 c2 02 0102";

/* ndpi frame 3: setup communication job. */
static const char SETUP_JOB[] =
	"03 00 0019"            /* TPKT length 25 */
	"02 f0 80"              /* COTP DT, EOT */
	"32 01 0000 0200"       /* S7, ROSCTR 1 job, reserved, PDU ref 512 */
	"0008 0000"             /* param length 8, data length 0 */
	"f0 00 0001 0001 01e0"; /* setup communication: AmQ calling 1, called 1, PDU length 480 */
/* ndpi frame 4: its ack_data. */
static const char SETUP_ACK[] =
	"03 00 001b 02 f0 80"
	"32 03 0000 0200 0008 0000 00 00" /* ack_data, ref 512, error class 0 code 0 */
	"f0 00 0001 0001 00f0";           /* PDU length 240 */

/* nodave frames 11/12: read DB1.DBB0 BYTE 64, and the 64 bytes. */
static const char READ_JOB[] =
	"03 00 001f 02 f0 80"
	"32 01 0000 0000 000e 0000"       /* job, ref 0, param 14 */
	"04 01"                           /* read var, 1 item */
	"12 0a 10"                        /* var spec, length 10, syntax S7ANY */
	"02 0040 0001 84 000000";         /* BYTE, 64, DB 1, area DB, address 0.0 */
static const char READ_ACK[] =
	"03 00 0059 02 f0 80"
	"32 03 0000 0000 0002 0044 00 00" /* ack_data, param 2, data 68 */
	"04 01"                           /* read var, 1 item */
	"ff 04 0200"                      /* success, BYTE/WORD/DWORD, 512 bits */
	"0000000000000000 0000000000000000 0000000000000000 0000000000000000"
	"0000000000000000 0000000000000000 0000000000000000 0000000000000000";
#define ZERO32 "0000000000000000000000000000000000000000000000000000000000000000"
#define ZERO64 ZERO32 ZERO32 /* the 64 octets above, as hex */

/* nodave frames 15/16: write MB0 BYTE 4 := a9100001. */
static const char WRITE_JOB[] =
	"03 00 0027 02 f0 80"
	"32 01 0000 0002 000e 0008"       /* job, ref 2, param 14, data 8 */
	"05 01 12 0a 10 02 0004 0000 83 000000" /* write var, 1 item: BYTE 4, area M (0x83), 0.0 */
	"00 04 0020 a9100001";            /* reserved, BYTE/WORD/DWORD, 32 bits, value */
static const char WRITE_ACK[] =
	"03 00 0016 02 f0 80"
	"32 03 0000 0002 0002 0001 00 00"
	"05 01 ff";                       /* write var, 1 item: success */

/* wincc frames 6/9: eight items, bits, REAL, timer and counter; the answer with fill bytes. */
static const char READ8_JOB[] =
	"03 00 0073 02 f0 80"
	"32 01 0000 0002 0062 0000 04 08"
	"12 0a 10 01 0001 0001 84 000010"  /* BIT DB1.DBX2.0 */
	"12 0a 10 08 0001 0001 84 000040"  /* REAL DB1.DBD8 */
	"12 0a 10 06 0001 0001 84 000020"  /* DWORD DB1.DBD4 */
	"12 0a 10 04 0001 0001 84 000000"  /* WORD DB1.DBW0 */
	"12 0a 10 01 0001 0000 83 000008"  /* BIT M1.0 */
	"12 0a 10 01 0001 0000 83 000009"  /* BIT M1.1 */
	"12 0a 10 1d 0001 0000 1d 000000"  /* TIMER T0 */
	"12 0a 10 1c 0001 0000 1c 000000"; /* COUNTER C0 */
static const char READ8_ACK[] =
	"03 00 0049 02 f0 80"
	"32 03 0000 0002 0002 0034 00 00 04 08"
	"ff 03 0001 01 00"                 /* BIT, 1 bit, value 01, fill byte */
	"ff 07 0004 aabbccdd"              /* REAL, 4 octets */
	"ff 04 0020 feadbeef"              /* 32 bits */
	"ff 04 0010 babe"                  /* 16 bits */
	"ff 03 0001 01 00"
	"ff 03 0001 01 00"
	"ff 09 0002 2504"                  /* octet string (timer) */
	"ff 09 0002 0011";                 /* last item: no fill byte */

/* snap7 readVar frame 2: the item does not exist (DB1 absent). */
static const char READ_ACK_NO_OBJECT[] =
	"03 00 0019 02 f0 80"
	"32 03 0000 0000 0002 0004 00 00 04 01"
	"0a 00 0000";                      /* return code 0x0a object does not exist, NULL, 0 */

/* ndpi frames 5/6: an empty DT without EOT, then a read-SZL request (SZL 0x0132 index 4). */
static const char DT_EMPTY[] = "03 00 0007 02 f0 00"; /* DT, TPDU-NR 0, no EOT, no data */
static const char SZL_REQ[] =
	"03 00 0021 02 f0 80"
	"32 07 0000 0300 0008 0008"        /* userdata, ref 768, param 8, data 8 */
	"000112 04 11 44 01 00"            /* head, length 4, request, type 4 group 4 CPU, read SZL, seq 0 */
	"ff 09 0004 0132 0004";            /* success, octet string, 4: SZL id 0x0132, index 4 */
/* ndpi frame 7: the answer. */
static const char SZL_RES[] =
	"03 00 0051 02 f0 80"
	"32 07 0000 0300 000c 0034"        /* userdata, param 12, data 52 */
	"000112 08 12 84 01 01 00 00 0000" /* response, group 4, read SZL, seq 1, unit ref 0, last 0, error 0 */
	"ff 09 0030 0132 0004 0028 0001"   /* SZL 0x0132 index 4, 1 record of 40 octets */
	"0004 0001 0000 0001 0002 0000 0000 5656 bc04 a3d5 1400 0972 0200 0000"
	"0000 0000 0000 0000 0000 0000";

/* status frames 16/17/19/20: an SZL answer in two fragments. */
static const char SZL0_REQ[] =
	"03 00 0021 02 f0 80 32 07 0000 0400 0008 0008"
	"000112 04 11 44 01 00 ff 09 0004 0000 0000";       /* SZL 0x0000 index 0 */
static const char SZL0_RES1[] =
	"03 00 00f7 02 f0 80 32 07 0000 0400 000c 00da"
	"000112 08 12 84 01 01 05 01 0000"                  /* seq 1, unit ref 5, more follows */
	"ff 09 00d6 0000 0000 0002 0070"                    /* SZL 0x0000 index 0, 112 ids of 2 octets */
	"00000f000002001101110f11001201120f120013011300140f1400150115001701170f17"
	"001801180f1800190f19001a0f1a001b0f1b001c011c0f1c00210a210f21022200230f23002401240424052400250125"
	"02250f25013101320232003601360f36003701370f370038013802380f380139003a0f3a007401740f7405910a910c91"
	"0d910092029206920f92009401940294069407940f94009501950f9506960c960c970d97019a029a0f9a0c9b009c019c"
	"029c039c0f9c00a001a00fa000b100b200b300b401b502b503b5";   /* the first 107 ids; the rest follow */
static const char SZL0_REQ2[] =
	"03 00 0021 02 f0 80 32 07 0000 0500 000c 0004"
	"000112 08 12 44 01 01 00 00 0000"                  /* request (type 4) for the next unit */
	"0a 00 0000";
static const char SZL0_RES2[] =
	"03 00 0033 02 f0 80 32 07 0000 0500 000c 0016"
	"000112 08 12 84 01 01 05 00 0000"                  /* unit ref 5, last */
	"ff 09 0012 04b5 05b5 06b5 07b5 08b5 01b6 02b6 03b6 04b6";

/* ndpi frames 33/34: get block info DB1, answered with error 0xd209. */
static const char BLOCKINFO_REQ[] =
	"03 00 0025 02 f0 80 32 07 0000 0c00 0008 000c"
	"000112 04 11 43 03 00"            /* request, group 3 block functions, get block info */
	"ff 09 0008 3041 3030303031 42";   /* "0A" DB, "00001", file system B */
static const char BLOCKINFO_ERR[] =
	"03 00 0021 02 f0 80 32 07 0000 0c00 000c 0004"
	"000112 08 12 83 03 00 00 00 d209" /* response, error 0xd209 block not found */
	"0a 00 0000";

/* step7 frame 4: a mode-transition push (the CPU reports STOP); head and length differ from 00 01 12. */
static const char MODE_PUSH[] =
	"03 00 0019 02 f0 80 32 07 0000 0000 0008 0000"
	"010010 10 00 00 00 00";           /* head 010010, length 16, method 0, push group 0, mode 0 STOP */

/* ndpi frame 54/55: PI service _INSE DB1, and its ack_data. */
static const char PI_INSE[] =
	"03 00 002b 02 f0 80 32 01 0000 0f00 001a 0000"
	"28 000000000000fd"                /* PI service, 7 unknown octets */
	"000a 01 00 3041 3030303031 50"    /* parameter block 10: 1 block, "0A" "00001" "P" */
	"05 5f494e5345";                   /* "_INSE" */
static const char PI_ACK[] = "03 00 0014 02 f0 80 32 03 0000 0f00 0001 0000 00 00 28";

/* snap7 everything frame 63: PI service P_PROGRAM, argument "C " (cold restart). */
static const char PI_START[] =
	"03 00 0027 02 f0 80 32 01 0000 1f00 0016 0000"
	"28 000000000000fd 0002 4320 09 505f50524f4752414d";

/* snap7 stop frames 1/2: PLC stop. */
static const char STOP_JOB[] =
	"03 00 0021 02 f0 80 32 01 0000 0002 0010 0000"
	"29 0000000000 09 505f50524f4752414d"; /* PLC stop, 5 unknown octets, "P_PROGRAM" */
static const char STOP_ACK[] = "03 00 0014 02 f0 80 32 03 0000 0002 0001 0000 00 00 29";

/* ndpi frames 38/39/40: request download of DB1 (after an empty DT), and its ack_data. */
static const char DOWNLOAD_REQ[] =
	"03 00 0031 02 f0 80 32 01 0000 0e00 0020 0000"
	"1a 00 0100 00000000"              /* request download, status 0, unknown */
	"09 5f 3041 3030303031 50"         /* file name "_0A00001P" */
	"0d 31 303030353030 303030343030"; /* part 2: load memory 000500, MC7 000400 */
static const char DOWNLOAD_ACK[] = "03 00 0014 02 f0 80 32 03 0000 0e00 0001 0000 00 00 1a";

/* snap7 everything frames 43/44: start upload of OB0, refused with an ack carrying error 0xd2 0x0c. */
static const char UPLOAD_REQ[] =
	"03 00 0023 02 f0 80 32 01 0000 1500 0012 0000"
	"1d 00 0000 00000000 09 5f 3038 3030303030 41";  /* "_0800000A" */
static const char UPLOAD_NAK[] = "03 00 0013 02 f0 80 32 02 0000 1500 0000 0000 d2 0c";

/* plus frames 15/17: S7comm-plus V2 SetMultiVariables request and response. */
static const char PLUS_SET_REQ[] =
	"03 00 007a 02 f0 80"
	"72 02 006b"                       /* S7comm-plus, V2, data length 107 */
	"31 0000 0542 0000 0002"           /* request, SetMultiVariables, sequence 2 */
	"000003be 34"                      /* session id 958, transport flags 0x34 */
	"000003be010182320100170000013a823b00048200823c00048140823d00048480c040823e00048480c040823f00"
	"15008240001505323b3238388241000300030000000004e88969001200000000896a001300896b0004000000000000"
	"72 02 0000";                      /* trailer */
static const char PLUS_SET_RES[] =
	"03 00 001f 02 f0 80"
	"72 02 0010 32 0000 0542 0000 0002 34" /* response, SetMultiVariables, sequence 2, flags 0x34 */
	"00000000 0000"
	"72 02 0000";

/* ---- helpers -------------------------------------------------------------------------------- */

static struct dsc_run *run_new(void)
{
	return dsc_run_new(&bld_dsc_s7comm);
}

/* Feed one fixture at time t (µs); asserts every byte was parsed. */
static void feed(struct dsc_run *r, bool to_server, uint64_t t_us, const char *hex)
{
	uint32_t len;
	uint8_t *b = bld_test_hex(hex, &len);
	free(b);
	r->ts_ns = t_us * US;
	CU_ASSERT_EQUAL(dsc_feed_hex(r, to_server, hex), len);
}

/* Wrap S7 bytes (hex) into TPKT + COTP DT with EOT: built fixtures. */
static char *dt(const char *s7hex)
{
	uint32_t n;
	free(bld_test_hex(s7hex, &n));
	size_t sz = strlen(s7hex) + 32;
	char *out = malloc(sz);
	if (!out)
		abort();
	snprintf(out, sz, "03 00 %04x 02 f0 80 %s", (unsigned)(n + 7), s7hex);
	return out;
}

/* ---- COTP connection ------------------------------------------------------------------------ */

static void test_connect(void)
{
	struct dsc_run *r = run_new();
	feed(r, C2S, 1000, CR);
	feed(r, S2C, 4735, CC);
	CU_ASSERT_EQUAL(r->n_ops, 2);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=22 cotp_pdu_type=14 cotp_pdu=\"cr\" dst_ref=0 src_ref=7 "
					     "class=0 src_tsap=0100 dst_tsap=0102 connection_type=1 rack=0 slot=2 "
					     "tpdu_size=1024");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response tpkt_length=22 cotp_pdu_type=13 cotp_pdu=\"cc\" dst_ref=7 "
					     "src_ref=3 class=0 tpdu_size=1024 src_tsap=0100 dst_tsap=0102 "
					     "connection_type=1 rack=0 slot=2");
	CU_ASSERT_EQUAL(r->response_time[1], 3735 * US); /* CC answers the CR whose source it names */
	CU_ASSERT_EQUAL(r->n_events, 0);

	/* Built: DR, DC and ER are reported too (ISO 8073 §13.5, §13.6, §13.12). */
	dsc_clear(r);
	feed(r, C2S, 5000, "03 00 000b 06 80 0003 0007 80");      /* DR, reason 0x80 normal */
	feed(r, S2C, 5001, "03 00 000a 05 c0 0007 0003");         /* DC */
	feed(r, S2C, 5002, "03 00 0009 04 70 0007 02");           /* ER, reject cause 2 */
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=11 cotp_pdu_type=8 cotp_pdu=\"dr\" dst_ref=3 "
					     "src_ref=7 reason=128");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response tpkt_length=10 cotp_pdu_type=12 cotp_pdu=\"dc\" dst_ref=7 "
					     "src_ref=3");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 2), "response tpkt_length=9 cotp_pdu_type=7 cotp_pdu=\"er\" dst_ref=7 "
					     "reject_cause=2");
	CU_ASSERT_EQUAL(r->n_events, 0);

	/* S7-1200/1500 name their TSAPs in text: shown as hex, no rack/slot (plus frame 6, shortened). */
	dsc_clear(r);
	feed(r, C2S, 6000, "03 00 0024 1f e0 0000 0112 00 c1 02 0620"
			   "c2 10 53494d415449432d524f4f542d484d49" /* "SIMATIC-ROOT-HMI" */
			   "c0 01 0a");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=36 cotp_pdu_type=14 cotp_pdu=\"cr\" dst_ref=0 "
					     "src_ref=274 class=0 src_tsap=0620 "
					     "dst_tsap=53494d415449432d524f4f542d484d49 tpdu_size=1024");
	dsc_run_free(r);
}

/* ---- S7comm jobs and acknowledgements ------------------------------------------------------- */

static void test_setup_communication(void)
{
	struct dsc_run *r = run_new();
	feed(r, C2S, 100, SETUP_JOB);
	feed(r, S2C, 3066, SETUP_ACK);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=25 cotp_pdu_type=15 protocol_id=50 rosctr=1 "
					     "rosctr_name=\"job\" pdu_ref=512 param_length=8 data_length=0 function=240 "
					     "function_name=\"setup_communication\" max_amq_calling=1 max_amq_called=1 "
					     "pdu_length=480");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response tpkt_length=27 cotp_pdu_type=15 protocol_id=50 rosctr=3 "
					     "rosctr_name=\"ack_data\" pdu_ref=512 param_length=8 data_length=0 "
					     "error_class=0 error_code=0 function=240 function_name=\"setup_communication\" "
					     "max_amq_calling=1 max_amq_called=1 pdu_length=240");
	CU_ASSERT_EQUAL(r->response_time[0], UINT64_MAX);
	CU_ASSERT_EQUAL(r->response_time[1], 2966 * US);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_read_var(void)
{
	struct dsc_run *r = run_new();
	feed(r, C2S, 0, READ_JOB);
	feed(r, S2C, 2589, READ_ACK);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=31 cotp_pdu_type=15 protocol_id=50 rosctr=1 "
					     "rosctr_name=\"job\" pdu_ref=0 param_length=14 data_length=0 function=4 "
					     "function_name=\"read_var\" item_count=1 items=[{syntax_id=16 "
					     "transport_size=2 length=64 db=1 area=132 address=0 byte_address=0 "
					     "bit_address=0}]");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response tpkt_length=89 cotp_pdu_type=15 protocol_id=50 rosctr=3 "
					     "rosctr_name=\"ack_data\" pdu_ref=0 param_length=2 data_length=68 "
					     "error_class=0 error_code=0 function=4 function_name=\"read_var\" "
					     "item_count=1 items=[{return_code=255 transport_size=4 length=64 "
					     "value=" ZERO64 "}]");
	CU_ASSERT_EQUAL(r->response_time[1], 2589 * US);
	CU_ASSERT_EQUAL(r->n_events, 0);

	/* snap7 readVar: the same job answered "object does not exist": an item error, not an error ack. */
	dsc_clear(r);
	feed(r, C2S, 10, READ_JOB);
	feed(r, S2C, 20, READ_ACK_NO_OBJECT);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response tpkt_length=25 cotp_pdu_type=15 protocol_id=50 rosctr=3 "
					     "rosctr_name=\"ack_data\" pdu_ref=0 param_length=2 data_length=4 "
					     "error_class=0 error_code=0 function=4 function_name=\"read_var\" "
					     "item_count=1 items=[{return_code=10 transport_size=0 length=0}]");
	CU_ASSERT_EQUAL(r->n_events, 0);

	/* Built: M5.6, BIT: the 24-bit address is byte << 3 | bit (tshark shows 46, byte 5, bit 6). */
	dsc_clear(r);
	char *job = dt("32 01 0000 0009 000e 0000 04 01 12 0a 10 01 0001 0000 83 00002e");
	feed(r, C2S, 30, job);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "items=[{syntax_id=16 transport_size=1 length=1 db=0 area=131 "
						    "address=46 byte_address=5 bit_address=6}]"));
	free(job);
	dsc_run_free(r);
}

static void test_write_var(void)
{
	struct dsc_run *r = run_new();
	feed(r, C2S, 0, WRITE_JOB);
	feed(r, S2C, 3890, WRITE_ACK);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=39 cotp_pdu_type=15 protocol_id=50 rosctr=1 "
					     "rosctr_name=\"job\" pdu_ref=2 param_length=14 data_length=8 function=5 "
					     "function_name=\"write_var\" item_count=1 items=[{syntax_id=16 "
					     "transport_size=2 length=4 db=0 area=131 address=0 byte_address=0 "
					     "bit_address=0 value_transport_size=4 value_length=4 value=a9100001}]");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response tpkt_length=22 cotp_pdu_type=15 protocol_id=50 rosctr=3 "
					     "rosctr_name=\"ack_data\" pdu_ref=2 param_length=2 data_length=1 "
					     "error_class=0 error_code=0 function=5 function_name=\"write_var\" "
					     "item_count=1 items=[{return_code=255}]");
	CU_ASSERT_EQUAL(r->response_time[1], 3890 * US);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

/* Bit addresses, timers and counters by number, fill bytes after odd values but the last. */
static void test_read_eight_items(void)
{
	struct dsc_run *r = run_new();
	feed(r, C2S, 0, READ8_JOB);
	feed(r, S2C, 1, READ8_ACK);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0),
			       "request tpkt_length=115 cotp_pdu_type=15 protocol_id=50 rosctr=1 rosctr_name=\"job\" "
			       "pdu_ref=2 param_length=98 data_length=0 function=4 function_name=\"read_var\" "
			       "item_count=8 items=["
			       "{syntax_id=16 transport_size=1 length=1 db=1 area=132 address=16 byte_address=2 "
			       "bit_address=0} "
			       "{syntax_id=16 transport_size=8 length=1 db=1 area=132 address=64 byte_address=8 "
			       "bit_address=0} "
			       "{syntax_id=16 transport_size=6 length=1 db=1 area=132 address=32 byte_address=4 "
			       "bit_address=0} "
			       "{syntax_id=16 transport_size=4 length=1 db=1 area=132 address=0 byte_address=0 "
			       "bit_address=0} "
			       "{syntax_id=16 transport_size=1 length=1 db=0 area=131 address=8 byte_address=1 "
			       "bit_address=0} "
			       "{syntax_id=16 transport_size=1 length=1 db=0 area=131 address=9 byte_address=1 "
			       "bit_address=1} "
			       "{syntax_id=16 transport_size=29 length=1 db=0 area=29 address=0 number=0} "
			       "{syntax_id=16 transport_size=28 length=1 db=0 area=28 address=0 number=0}]");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1),
			       "response tpkt_length=73 cotp_pdu_type=15 protocol_id=50 rosctr=3 "
			       "rosctr_name=\"ack_data\" pdu_ref=2 param_length=2 data_length=52 error_class=0 "
			       "error_code=0 function=4 function_name=\"read_var\" item_count=8 items=["
			       "{return_code=255 transport_size=3 length=1 value=01} "
			       "{return_code=255 transport_size=7 length=4 value=aabbccdd} "
			       "{return_code=255 transport_size=4 length=4 value=feadbeef} "
			       "{return_code=255 transport_size=4 length=2 value=babe} "
			       "{return_code=255 transport_size=3 length=1 value=01} "
			       "{return_code=255 transport_size=3 length=1 value=01} "
			       "{return_code=255 transport_size=9 length=2 value=2504} "
			       "{return_code=255 transport_size=9 length=2 value=0011}]");
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_pi_service(void)
{
	struct dsc_run *r = run_new();
	feed(r, C2S, 0, PI_INSE);
	feed(r, S2C, 12506, PI_ACK);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=43 cotp_pdu_type=15 protocol_id=50 rosctr=1 "
					     "rosctr_name=\"job\" pdu_ref=3840 param_length=26 data_length=0 function=40 "
					     "function_name=\"pi_service\" pi_service=\"_INSE\" block_count=1 "
					     "blocks=[{block_type=\"0A\" block_number=1 filesystem=\"P\"}]");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response tpkt_length=20 cotp_pdu_type=15 protocol_id=50 rosctr=3 "
					     "rosctr_name=\"ack_data\" pdu_ref=3840 param_length=1 data_length=0 "
					     "error_class=0 error_code=0 function=40 function_name=\"pi_service\"");
	CU_ASSERT_EQUAL(r->response_time[1], 12506 * US);
	CU_ASSERT_EQUAL(r->n_events, 0);

	/* P_PROGRAM asks the CPU to start: an event, whatever the argument ("C " cold restart). */
	dsc_clear(r);
	feed(r, C2S, 0, PI_START);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=39 cotp_pdu_type=15 protocol_id=50 rosctr=1 "
					     "rosctr_name=\"job\" pdu_ref=7936 param_length=22 data_length=0 function=40 "
					     "function_name=\"pi_service\" pi_service=\"P_PROGRAM\" pi_argument=\"C \"");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_PLC_START), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_PLC_STOP), 0);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
}

static void test_plc_stop(void)
{
	struct dsc_run *r = run_new();
	feed(r, C2S, 0, STOP_JOB);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=33 cotp_pdu_type=15 protocol_id=50 rosctr=1 "
					     "rosctr_name=\"job\" pdu_ref=2 param_length=16 data_length=0 function=41 "
					     "function_name=\"plc_stop\" pi_service=\"P_PROGRAM\"");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_PLC_STOP), 1);
	feed(r, S2C, 40, STOP_ACK);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response tpkt_length=20 cotp_pdu_type=15 protocol_id=50 rosctr=3 "
					     "rosctr_name=\"ack_data\" pdu_ref=2 param_length=1 data_length=0 "
					     "error_class=0 error_code=0 function=41 function_name=\"plc_stop\"");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_PLC_STOP), 1); /* the ack is no second stop */
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
}

static void test_block_control(void)
{
	struct dsc_run *r = run_new();
	feed(r, C2S, 0, DT_EMPTY);
	CU_ASSERT_EQUAL(r->n_ops, 0); /* a fragment: no op until the EOT */
	feed(r, C2S, 1, DOWNLOAD_REQ);
	feed(r, S2C, 4585, DOWNLOAD_ACK);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=49 cotp_pdu_type=15 cotp_segments=2 protocol_id=50 "
					     "rosctr=1 rosctr_name=\"job\" pdu_ref=3584 param_length=32 data_length=0 "
					     "function=26 function_name=\"request_download\" function_status=0 "
					     "filename=\"_0A00001P\" block_type=\"0A\" block_number=1 filesystem=\"P\"");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response tpkt_length=20 cotp_pdu_type=15 protocol_id=50 rosctr=3 "
					     "rosctr_name=\"ack_data\" pdu_ref=3584 param_length=1 data_length=0 "
					     "error_class=0 error_code=0 function=26 function_name=\"request_download\"");
	CU_ASSERT_EQUAL(r->response_time[1], 4584 * US);
	CU_ASSERT_EQUAL(r->n_events, 0);

	/* An ack (ROSCTR 2) with an error and no parameter: the function is the job's. */
	dsc_clear(r);
	feed(r, C2S, 100, UPLOAD_REQ);
	feed(r, S2C, 110, UPLOAD_NAK);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=35 cotp_pdu_type=15 protocol_id=50 rosctr=1 "
					     "rosctr_name=\"job\" pdu_ref=5376 param_length=18 data_length=0 function=29 "
					     "function_name=\"start_upload\" function_status=0 filename=\"_0800000A\" "
					     "block_type=\"08\" block_number=0 filesystem=\"A\"");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response tpkt_length=19 cotp_pdu_type=15 protocol_id=50 rosctr=2 "
					     "rosctr_name=\"ack\" pdu_ref=5376 param_length=0 data_length=0 "
					     "error_class=210 error_code=12 function=29 function_name=\"start_upload\"");
	CU_ASSERT_EQUAL(r->response_time[1], 10 * US);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_ERROR_RESPONSE), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
}

/* ---- userdata ------------------------------------------------------------------------------- */

static void test_userdata_szl(void)
{
	struct dsc_run *r = run_new();
	feed(r, C2S, 0, DT_EMPTY);
	feed(r, C2S, 1, SZL_REQ);
	feed(r, S2C, 6827, SZL_RES);
	CU_ASSERT_EQUAL(r->n_ops, 2);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=33 cotp_pdu_type=15 cotp_segments=2 protocol_id=50 "
					     "rosctr=7 rosctr_name=\"userdata\" pdu_ref=768 param_length=8 data_length=8 "
					     "userdata_type=4 function_group=4 function_group_name=\"cpu_functions\" "
					     "subfunction=1 sequence_number=0 return_code=255 transport_size=9 "
					     "szl_id=306 szl_index=4");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response tpkt_length=81 cotp_pdu_type=15 protocol_id=50 rosctr=7 "
					     "rosctr_name=\"userdata\" pdu_ref=768 param_length=12 data_length=52 "
					     "userdata_type=8 function_group=4 function_group_name=\"cpu_functions\" "
					     "subfunction=1 sequence_number=1 data_unit_ref=0 last_data_unit=0 "
					     "param_error_code=0 return_code=255 transport_size=9 szl_id=306 szl_index=4");
	CU_ASSERT_EQUAL(r->response_time[1], 6826 * US);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

/* A long SZL answer in two data units: the second continues data, so it names no SZL id. */
static void test_userdata_fragments(void)
{
	struct dsc_run *r = run_new();
	feed(r, C2S, 0, SZL0_REQ);
	feed(r, S2C, 1, SZL0_RES1);
	feed(r, C2S, 2, SZL0_REQ2);
	feed(r, S2C, 3, SZL0_RES2);
	CU_ASSERT_EQUAL(r->n_ops, 4);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response tpkt_length=247 cotp_pdu_type=15 protocol_id=50 rosctr=7 "
					     "rosctr_name=\"userdata\" pdu_ref=1024 param_length=12 data_length=218 "
					     "userdata_type=8 function_group=4 function_group_name=\"cpu_functions\" "
					     "subfunction=1 sequence_number=1 data_unit_ref=5 last_data_unit=1 "
					     "param_error_code=0 return_code=255 transport_size=9 szl_id=0 szl_index=0");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 2), "request tpkt_length=33 cotp_pdu_type=15 protocol_id=50 rosctr=7 "
					     "rosctr_name=\"userdata\" pdu_ref=1280 param_length=12 data_length=4 "
					     "userdata_type=4 function_group=4 function_group_name=\"cpu_functions\" "
					     "subfunction=1 sequence_number=1 data_unit_ref=0 last_data_unit=0 "
					     "param_error_code=0 return_code=10 transport_size=0");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 3), "response tpkt_length=51 cotp_pdu_type=15 protocol_id=50 rosctr=7 "
					     "rosctr_name=\"userdata\" pdu_ref=1280 param_length=12 data_length=22 "
					     "userdata_type=8 function_group=4 function_group_name=\"cpu_functions\" "
					     "subfunction=1 sequence_number=1 data_unit_ref=5 last_data_unit=0 "
					     "param_error_code=0 return_code=255 transport_size=9");
	CU_ASSERT_EQUAL(r->response_time[1], 1 * US);
	CU_ASSERT_EQUAL(r->response_time[3], 1 * US);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_userdata_block_info_error(void)
{
	struct dsc_run *r = run_new();
	feed(r, C2S, 0, BLOCKINFO_REQ);
	feed(r, S2C, 4624, BLOCKINFO_ERR);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=37 cotp_pdu_type=15 protocol_id=50 rosctr=7 "
					     "rosctr_name=\"userdata\" pdu_ref=3072 param_length=8 data_length=12 "
					     "userdata_type=4 function_group=3 function_group_name=\"block_functions\" "
					     "subfunction=3 sequence_number=0 return_code=255 transport_size=9 "
					     "block_type=\"0A\" block_number=1 filesystem=\"B\"");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response tpkt_length=33 cotp_pdu_type=15 protocol_id=50 rosctr=7 "
					     "rosctr_name=\"userdata\" pdu_ref=3072 param_length=12 data_length=4 "
					     "userdata_type=8 function_group=3 function_group_name=\"block_functions\" "
					     "subfunction=3 sequence_number=0 data_unit_ref=0 last_data_unit=0 "
					     "param_error_code=53769 return_code=10 transport_size=0");
	CU_ASSERT_EQUAL(r->response_time[1], 4624 * US);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_ERROR_RESPONSE), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);

	/* The CPU's own pushes (mode transition to STOP) answer nothing and are not malformed. */
	dsc_clear(r);
	feed(r, S2C, 10, MODE_PUSH);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=25 cotp_pdu_type=15 protocol_id=50 rosctr=7 "
					     "rosctr_name=\"userdata\" pdu_ref=0 param_length=8 data_length=0 "
					     "userdata_type=0 function_group=0 function_group_name=\"mode_transition\" "
					     "subfunction=0 sequence_number=0");
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

/* ---- pairing -------------------------------------------------------------------------------- */

static void test_pairing(void)
{
	struct dsc_run *r = run_new();
	/* An acknowledgement nobody asked for. */
	feed(r, S2C, 0, SETUP_ACK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_RESPONSE_WITHOUT_REQUEST), 1);
	CU_ASSERT_EQUAL(r->response_time[0], UINT64_MAX);

	/* The PLC issues jobs too (download block goes PLC -> PG): the PG's ack pairs with it. */
	dsc_clear(r);
	feed(r, S2C, 100, SETUP_JOB);
	feed(r, C2S, 150, SETUP_ACK);
	CU_ASSERT_EQUAL(r->response_time[1], 50 * US);
	CU_ASSERT_EQUAL(r->n_events, 0);

	/* A job's reference is not answered by an ack from the same side. */
	dsc_clear(r);
	feed(r, C2S, 200, SETUP_JOB);
	feed(r, C2S, 210, SETUP_ACK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_RESPONSE_WITHOUT_REQUEST), 1);
	feed(r, S2C, 220, SETUP_ACK);
	CU_ASSERT_EQUAL(r->response_time[2], 20 * US);

	/* A userdata response pairs with the userdata request only, not with a job of the same reference. */
	dsc_clear(r);
	char *job = dt("32 01 0000 0300 0008 0000 f0 00 0001 0001 01e0"); /* built: a job with ref 768 */
	feed(r, C2S, 300, job);
	feed(r, S2C, 310, SZL_RES);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_RESPONSE_WITHOUT_REQUEST), 1);
	free(job);
	dsc_run_free(r);
}

/* More requests outstanding than the table holds: their late answers are not "without request". */
static void test_pipelined_requests(void)
{
	struct dsc_run *r = run_new();
	char hex[256];
	for (unsigned seq = 1; seq <= BLD_TXN_MAX + 2; seq++) { /* built S7comm-plus GetMultiVariables */
		snprintf(hex, sizeof(hex), "03 00 001d 02 f0 80 72 02 000e 31 0000 054c 0000 %04x 00000120 34 72 02 0000",
			 seq);
		feed(r, C2S, seq, hex);
	}
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_TXN_CAPACITY), 2);
	for (unsigned seq = 1; seq <= BLD_TXN_MAX + 2; seq++) {
		snprintf(hex, sizeof(hex), "03 00 0019 02 f0 80 72 02 000a 32 0000 054c 0000 %04x 34 72 02 0000", seq);
		feed(r, S2C, 100 + seq, hex);
	}
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_RESPONSE_WITHOUT_REQUEST), 0);
	CU_ASSERT_EQUAL(r->response_time[BLD_TXN_MAX + 2], UINT64_MAX); /* seq 1 was forgotten */
	CU_ASSERT_EQUAL(r->response_time[BLD_TXN_MAX + 4], 100 * US);    /* seq 3 was not */
	/* Once the forgotten ones are accounted for, an unknown sequence number is reported again. */
	feed(r, S2C, 500, "03 00 0019 02 f0 80 72 02 000a 32 0000 054c 0000 0999 34 72 02 0000");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_RESPONSE_WITHOUT_REQUEST), 1);
	dsc_run_free(r);
}

/* ---- S7comm-plus ---------------------------------------------------------------------------- */

static void test_plus(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_s7comm_plus);
	feed(r, C2S, 0, PLUS_SET_REQ);
	feed(r, S2C, 4440, PLUS_SET_RES);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=122 cotp_pdu_type=15 protocol_id=114 "
					     "protocol_version=2 data_length=107 opcode=49 opcode_name=\"request\" "
					     "function=1346 function_name=\"set_multi_variables\" sequence_number=2 "
					     "session_id=958 transport_flags=52");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response tpkt_length=31 cotp_pdu_type=15 protocol_id=114 "
					     "protocol_version=2 data_length=16 opcode=50 opcode_name=\"response\" "
					     "function=1346 function_name=\"set_multi_variables\" sequence_number=2 "
					     "transport_flags=52");
	CU_ASSERT_EQUAL(r->response_time[1], 4440 * US);
	CU_ASSERT_EQUAL(r->n_events, 0);

	/* Built: a message in two PDUs, the first without trailer; the second is not decoded as a head. */
	dsc_clear(r);
	feed(r, C2S, 10, "03 00 001b 02 f0 80 72 02 0010 31 0000 0586 0000 0007 00000120 34 0102");
	feed(r, C2S, 11, "03 00 0013 02 f0 80 72 02 0004 31000099 72 02 0000");
	feed(r, C2S, 12, "03 00 001d 02 f0 80 72 02 000e 31 0000 054c 0000 0008 00000120 34 72 02 0000");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=27 cotp_pdu_type=15 protocol_id=114 "
					     "protocol_version=2 data_length=16 fragment=true opcode=49 "
					     "opcode_name=\"request\" function=1414 function_name=\"get_var_sub_streamed\" "
					     "sequence_number=7 session_id=288 transport_flags=52");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "request tpkt_length=19 cotp_pdu_type=15 protocol_id=114 "
					     "protocol_version=2 data_length=4 fragment=true");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 2), "request tpkt_length=29 cotp_pdu_type=15 protocol_id=114 "
					     "protocol_version=2 data_length=14 opcode=49 opcode_name=\"request\" "
					     "function=1356 function_name=\"get_multi_variables\" sequence_number=8 "
					     "session_id=288 transport_flags=52");
	CU_ASSERT_EQUAL(r->n_events, 0);

	/* Built: V3 with its integrity part (digest length 32), keep-alive, notification. */
	dsc_clear(r);
	feed(r, C2S, 20, "03 00 003e 02 f0 80 72 03 002f 20"
			 "0011223344556677 8899aabbccddeeff 0011223344556677 8899aabbccddeeff"
			 "31 0000 054c 0000 0009 00000120 34 72 03 0000");
	feed(r, S2C, 21, "03 00 000b 02 f0 80 72 ff 05 00");
	feed(r, S2C, 22, "03 00 001a 02 f0 80 72 02 000b 33 00010203 0405060708 09 72 02 0000");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=62 cotp_pdu_type=15 protocol_id=114 "
					     "protocol_version=3 data_length=47 opcode=49 opcode_name=\"request\" "
					     "function=1356 function_name=\"get_multi_variables\" sequence_number=9 "
					     "session_id=288 transport_flags=52");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response tpkt_length=11 cotp_pdu_type=15 protocol_id=114 "
					     "protocol_version=255 keepalive_sequence=5");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 2), "request tpkt_length=26 cotp_pdu_type=15 protocol_id=114 "
					     "protocol_version=2 data_length=11 opcode=51 opcode_name=\"notification\"");
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_plus_malformed(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_s7comm_plus);
	/* Built: an opcode S7comm-plus does not define. */
	feed(r, C2S, 0, "03 00 0013 02 f0 80 72 02 0004 44 000000 72 02 0000");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_ILLEGAL_FUNCTION), 1);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=19 cotp_pdu_type=15 protocol_id=114 "
					     "protocol_version=2 data_length=4 opcode=68");
	/* A trailer that is not 72 <version> 0000. */
	dsc_clear(r);
	feed(r, S2C, 1, "03 00 0019 02 f0 80 72 02 000a 32 0000 054c 0000 0001 34 72 02 0001");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_BAD_LENGTH), 1);
	/* A data length beyond the TPKT. */
	dsc_clear(r);
	feed(r, S2C, 2, "03 00 0019 02 f0 80 72 02 0040 32 0000 054c 0000 0001 34 72 02 0000");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_BAD_LENGTH), 1);
	/* An unknown protocol version. */
	dsc_clear(r);
	feed(r, S2C, 3, "03 00 0019 02 f0 80 72 07 000a 32 0000 054c 0000 0001 34 72 07 0000");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_ILLEGAL_FUNCTION), 1);
	/* Header cut short. */
	dsc_clear(r);
	feed(r, S2C, 4, "03 00 000a 02 f0 80 72 02 00");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "response tpkt_length=10 cotp_pdu_type=15 protocol_id=114 "
					     "protocol_version=2");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_TRUNCATED), 1);
	dsc_run_free(r);
}

/* The flow's name comes from its first PDUs; each PDU is decoded by its own protocol id. */
static void test_either_descriptor(void)
{
	struct dsc_run *r = dsc_run_new(&bld_dsc_s7comm_plus);
	feed(r, C2S, 0, SETUP_JOB);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=25 cotp_pdu_type=15 protocol_id=50 rosctr=1 "
					     "rosctr_name=\"job\" pdu_ref=512 param_length=8 data_length=0 function=240 "
					     "function_name=\"setup_communication\" max_amq_calling=1 max_amq_called=1 "
					     "pdu_length=480");
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
	r = run_new();
	feed(r, S2C, 0, PLUS_SET_RES);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_BAD_PROTOCOL_ID), 0);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_RESPONSE_WITHOUT_REQUEST), 1);
	dsc_run_free(r);
}

/* ---- COTP reassembly ------------------------------------------------------------------------ */

static void test_reassembly(void)
{
	struct dsc_run *r = run_new();
	/* Built: ndpi frame 3 split over two DTs, the first without EOT. */
	feed(r, C2S, 0, "03 00 0011 02 f0 00 32 01 0000 0200 0008 0000");
	CU_ASSERT_EQUAL(r->n_ops, 0);
	feed(r, C2S, 1, "03 00 000f 02 f0 80 f0 00 0001 0001 01e0");
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), "request tpkt_length=15 cotp_pdu_type=15 cotp_segments=2 protocol_id=50 "
					     "rosctr=1 rosctr_name=\"job\" pdu_ref=512 param_length=8 data_length=0 "
					     "function=240 function_name=\"setup_communication\" max_amq_calling=1 "
					     "max_amq_called=1 pdu_length=480");
	CU_ASSERT_EQUAL(r->n_events, 0);

	/* Each direction reassembles on its own: a fragment of the answer does not join the next job. */
	dsc_clear(r);
	feed(r, S2C, 2, "03 00 0011 02 f0 00 32 03 0000 0200 0008 0000");
	feed(r, C2S, 3, SETUP_JOB);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	CU_ASSERT_EQUAL(r->n_events, 0);
	feed(r, S2C, 4, "03 00 0011 02 f0 80 00 00 f0 00 0001 0001 00f0");
	CU_ASSERT_EQUAL(r->n_ops, 2);
	CU_ASSERT_EQUAL(r->response_time[1], 1 * US);

	/* More than the 8 KiB buffer: one event, the PDU dropped, the next PDU parsed afresh. */
	dsc_clear(r);
	static char big[2 * 1008 + 64];
	strcpy(big, "03 00 03f7 02 f0 00 "); /* 1015 octets: DT without EOT, 1008 octets of data */
	size_t at = strlen(big);
	for (int i = 0; i < 1008; i++, at += 2)
		memcpy(big + at, "5a", 2);
	big[at] = '\0';
	for (int i = 0; i < 9; i++)
		feed(r, C2S, 10 + (uint64_t)i, big);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_REASSEMBLY_OVERFLOW), 1);
	feed(r, C2S, 20, big);
	feed(r, C2S, 21, "03 00 000f 02 f0 80 f0 00 0001 0001 01e0"); /* the EOT of the dropped PDU */
	CU_ASSERT_EQUAL(r->n_ops, 0);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_REASSEMBLY_OVERFLOW), 1);
	feed(r, C2S, 22, SETUP_JOB);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "tpkt_length=25 cotp_pdu_type=15 protocol_id=50"));
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
}

/* ---- malformed ------------------------------------------------------------------------------ */

static void expect_error(const char *hex, enum bld_event ev)
{
	struct dsc_run *r = run_new();
	uint32_t len;
	uint8_t *b = bld_test_hex(hex, &len);
	struct bld_parse_result res = dsc_parse(r, C2S, false, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(res.consumed, 1);
	CU_ASSERT_EQUAL(dsc_events(r, ev), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	CU_ASSERT_EQUAL(r->n_ops, 0);
	free(b);
	dsc_run_free(r);
}

/* A framed TPKT that is wrong inside: OK, one op with what was decoded, exactly one event. */
static void expect_event(const char *hex, enum bld_event ev, const char *op)
{
	struct dsc_run *r = run_new();
	feed(r, C2S, 0, hex);
	if (dsc_events(r, ev) != 1 || r->n_events != 1)
		fprintf(stderr, "\n    %s: %u events\n", hex, r->n_events);
	CU_ASSERT_EQUAL(dsc_events(r, ev), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	if (op)
		CU_ASSERT_STRING_EQUAL(dsc_op(r, 0), op);
	dsc_run_free(r);
}

static void test_framing_lost(void)
{
	expect_error("04 00 0019 02 f0 80 32 01", BLD_EVENT_S7COMM_BAD_TPKT);      /* version 4 */
	expect_error("03 01 0019 02 f0 80 32 01", BLD_EVENT_S7COMM_BAD_TPKT);      /* reserved 1 */
	expect_error("03 00 0006 02 f0 80", BLD_EVENT_S7COMM_BAD_TPKT);            /* length 6: no room for a TPDU */
	expect_error("04", BLD_EVENT_S7COMM_BAD_TPKT);                             /* judged at the first octet */

	/* A prefix of a good TPKT waits for the rest, saying how much. */
	struct dsc_run *r = run_new();
	uint32_t len;
	uint8_t *b = bld_test_hex(SETUP_JOB, &len);
	struct bld_parse_result res = dsc_parse(r, C2S, false, b, 10);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(res.needed, 25);
	res = dsc_parse(r, C2S, false, b, 3);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(res.needed, 0);
	/* Two TPKTs back to back: one per call. */
	uint8_t two[50];
	memcpy(two, b, 25);
	memcpy(two + 25, b, 25);
	res = dsc_parse(r, C2S, false, two, 50);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, 25);
	free(b);
	dsc_run_free(r);
}

static void test_bad_cotp(void)
{
	expect_event("03 00 0007 09 f0 80", BLD_EVENT_S7COMM_BAD_COTP, "request tpkt_length=7");   /* LI 9 > 3 */
	expect_event("03 00 0007 ff f0 80", BLD_EVENT_S7COMM_BAD_COTP, "request tpkt_length=7");   /* LI 255 reserved */
	expect_event("03 00 0007 02 30 80", BLD_EVENT_S7COMM_BAD_COTP,
		     "request tpkt_length=7 cotp_pdu_type=3");                                    /* no TPDU 3 */
	expect_event("03 00 0007 01 f0 32", BLD_EVENT_S7COMM_BAD_COTP,
		     "request tpkt_length=7 cotp_pdu_type=15");                                   /* DT without NR */
	/* CR parameters: a length past the header; a TPDU size outside 2^7..2^13. */
	expect_event("03 00 0010 0b e0 0000 0007 00 c1 05 0100 c2", BLD_EVENT_S7COMM_BAD_COTP, NULL);
	expect_event("03 00 000e 09 e0 0000 0007 00 c0 01 05", BLD_EVENT_S7COMM_BAD_COTP, NULL);
	expect_event("03 00 0009 04 e0 0000 00", BLD_EVENT_S7COMM_BAD_COTP,
		     "request tpkt_length=9 cotp_pdu_type=14 cotp_pdu=\"cr\"");                   /* CR too short */
}

static void test_bad_s7(void)
{
	/* Protocol id neither 0x32 nor 0x72. */
	expect_event("03 00 0019 02 f0 80 33 01 0000 0200 0008 0000 f0 00 0001 0001 01e0",
		     BLD_EVENT_S7COMM_BAD_PROTOCOL_ID, "request tpkt_length=25 cotp_pdu_type=15 protocol_id=51");
	/* Parameter length 9: header + 9 + 0 is more than the PDU. */
	expect_event("03 00 0019 02 f0 80 32 01 0000 0200 0009 0000 f0 00 0001 0001 01e0",
		     BLD_EVENT_S7COMM_BAD_LENGTH, NULL);
	/* One octet after the data. */
	expect_event("03 00 001a 02 f0 80 32 01 0000 0200 0008 0000 f0 00 0001 0001 01e0 00",
		     BLD_EVENT_S7COMM_BAD_LENGTH, NULL);
	/* ROSCTR 5 does not exist. */
	expect_event("03 00 0019 02 f0 80 32 05 0000 0200 0008 0000 f0 00 0001 0001 01e0",
		     BLD_EVENT_S7COMM_ILLEGAL_FUNCTION,
		     "request tpkt_length=25 cotp_pdu_type=15 protocol_id=50 rosctr=5 pdu_ref=512 param_length=8 "
		     "data_length=0");
	/* Function 0x77 does not exist. */
	expect_event("03 00 0012 02 f0 80 32 01 0000 0201 0001 0000 77", BLD_EVENT_S7COMM_ILLEGAL_FUNCTION,
		     "request tpkt_length=18 cotp_pdu_type=15 protocol_id=50 rosctr=1 rosctr_name=\"job\" pdu_ref=513 "
		     "param_length=1 data_length=0 function=119");
	/* Userdata function group 9 does not exist. */
	expect_event("03 00 0021 02 f0 80 32 07 0000 0300 0008 0008 000112 04 11 49 01 00 ff 09 0004 0132 0004",
		     BLD_EVENT_S7COMM_ILLEGAL_FUNCTION, NULL);
	/* The header ends early. */
	expect_event("03 00 000c 02 f0 80 32 01 0000 02", BLD_EVENT_S7COMM_TRUNCATED,
		     "request tpkt_length=12 cotp_pdu_type=15 protocol_id=50 rosctr=1 rosctr_name=\"job\"");
	/* An empty TSDU. */
	expect_event("03 00 0007 02 f0 80", BLD_EVENT_S7COMM_TRUNCATED, "request tpkt_length=7 cotp_pdu_type=15");
	/* Two items announced, one there (nodave frame 11 altered), consistent lengths. */
	expect_event("03 00 001f 02 f0 80 32 01 0000 0000 000e 0000 04 02 12 0a 10 02 0040 0001 84 000000",
		     BLD_EVENT_S7COMM_TRUNCATED, NULL);
	/* A write with its value cut short (nodave frame 15 with data length 6, value 2 octets). */
	expect_event("03 00 0025 02 f0 80 32 01 0000 0002 000e 0006 05 01 12 0a 10 02 0004 0000 83 000000"
		     "00 04 0020 a910",
		     BLD_EVENT_S7COMM_TRUNCATED, NULL);
	/* A refused read: error in the header, the items announced but not sent (built): no truncation. */
	struct dsc_run *r = run_new();
	feed(r, C2S, 0, READ_JOB);
	feed(r, S2C, 1, "03 00 0015 02 f0 80 32 03 0000 0000 0002 0000 85 00 04 01");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_S7COMM_ERROR_RESPONSE), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	CU_ASSERT_STRING_EQUAL(dsc_op(r, 1), "response tpkt_length=21 cotp_pdu_type=15 protocol_id=50 rosctr=3 "
					     "rosctr_name=\"ack_data\" pdu_ref=0 param_length=2 data_length=0 "
					     "error_class=133 error_code=0 function=4 function_name=\"read_var\" "
					     "item_count=1 items=[]");
	dsc_run_free(r);
	/* A setup communication without its parameters. */
	expect_event("03 00 0014 02 f0 80 32 01 0000 0200 0003 0000 f0 00 00", BLD_EVENT_S7COMM_TRUNCATED, NULL);
}

/* ---- caps ----------------------------------------------------------------------------------- */

static void test_items_cap(void)
{
	/* Built: a read of 40 items (DB1.DBB0..39), more than the 32 an op lists. */
	enum { N = 40 };
	size_t sz = 64 + N * 40;
	char *hex = malloc(sz);
	if (!hex)
		abort();
	int n = snprintf(hex, sz, "03 00 %04x 02 f0 80 32 01 0000 0001 %04x 0000 04 %02x", 4 + 3 + 10 + 2 + N * 12,
			 2 + N * 12, N);
	for (int i = 0; i < N; i++)
		n += snprintf(hex + n, sz - (size_t)n, " 12 0a 10 02 0001 0001 84 %06x", i * 8);
	struct dsc_run *r = run_new();
	feed(r, C2S, 0, hex);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_ITEMS_CAPACITY), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_OP_CAPACITY), 0);
	CU_ASSERT_EQUAL(r->n_events, 1);
	const struct bld_op_field *f = bld_op_get(&r->op, "items_count");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->v.u, N);
	f = bld_op_get(&r->op, "item_count");
	CU_ASSERT_EQUAL(f->v.u, N);
	f = bld_op_get(&r->op, "items");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	unsigned objects = 0;
	for (uint32_t i = 1; i <= f->len; i++) /* the list's direct elements */
		if (f[i].type == BLD_OPF_OBJECT) {
			objects++;
			i += f[i].len;
		}
	CU_ASSERT_EQUAL(objects, 32);
	CU_ASSERT_FALSE(r->op.overflow);
	free(hex);
	dsc_run_free(r);

	/* Built: a write of 32 items of 200 octets each: values are cut to 64 octets, the op fits. */
	enum { W = 32, V = 200 };
	sz = 128 + W * (40 + 16 + 2 * V + 4);
	hex = malloc(sz);
	if (!hex)
		abort();
	unsigned plen = 2 + W * 12, dlen = W * (4 + V);
	n = snprintf(hex, sz, "03 00 %04x 02 f0 80 32 01 0000 0002 %04x %04x 05 %02x", 4 + 3 + 10 + plen + dlen, plen,
		     dlen, W);
	for (int i = 0; i < W; i++)
		n += snprintf(hex + n, sz - (size_t)n, " 12 0a 10 02 00c8 0001 84 %06x", i * 8 * V);
	for (int i = 0; i < W; i++) {
		n += snprintf(hex + n, sz - (size_t)n, " 00 09 00c8 ");
		for (int k = 0; k < V; k++)
			n += snprintf(hex + n, sz - (size_t)n, "%02x", k & 0xff);
	}
	r = run_new();
	feed(r, C2S, 0, hex);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	CU_ASSERT_EQUAL(r->n_events, 0);
	CU_ASSERT_FALSE(r->op.overflow);
	f = bld_op_get(&r->op, "items");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	const struct bld_op_field *v = NULL;
	for (uint32_t i = 1; i <= f->len && !v; i++)
		if (f[i].name && strcmp(f[i].name, "value") == 0)
			v = &f[i];
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(v->len, 64);
	free(hex);
	dsc_run_free(r);
}

/* ---- truncation, probe ---------------------------------------------------------------------- */

static void test_truncation(void)
{
	static const char *const fixtures[] = {
		CR, CC, SETUP_JOB, SETUP_ACK, READ_JOB, READ_ACK, WRITE_JOB, WRITE_ACK, READ8_JOB, READ8_ACK,
		READ_ACK_NO_OBJECT, DT_EMPTY, SZL_REQ, SZL_RES, SZL0_REQ, SZL0_RES1, SZL0_REQ2, SZL0_RES2,
		BLOCKINFO_REQ, BLOCKINFO_ERR, MODE_PUSH, PI_INSE, PI_ACK, PI_START, STOP_JOB, STOP_ACK,
		DOWNLOAD_REQ, DOWNLOAD_ACK, UPLOAD_REQ, UPLOAD_NAK, PLUS_SET_REQ, PLUS_SET_RES,
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(fixtures); i++) {
		dsc_truncation_sweep(&bld_dsc_s7comm, C2S, fixtures[i]);
		dsc_truncation_sweep(&bld_dsc_s7comm, S2C, fixtures[i]);
		dsc_truncation_sweep(&bld_dsc_s7comm_plus, C2S, fixtures[i]);
	}
}

/* Every fixture of a data TPDU is one the probes classify as its protocol. */
static void test_probe_agrees(void)
{
	static const char *const s7[] = { SETUP_JOB, READ_ACK, SZL_RES, STOP_JOB };
	uint32_t len;
	for (size_t i = 0; i < BLD_TEST_COUNT(s7); i++) {
		uint8_t *b = bld_test_hex(s7[i], &len);
		CU_ASSERT_EQUAL(bld_dsc_s7comm.probe(b, len, true), BLD_PROBE_MATCH);
		CU_ASSERT_EQUAL(bld_dsc_s7comm_plus.probe(b, len, true), BLD_PROBE_NO);
		free(b);
	}
	uint8_t *b = bld_test_hex(PLUS_SET_REQ, &len);
	CU_ASSERT_EQUAL(bld_dsc_s7comm_plus.probe(b, len, true), BLD_PROBE_MATCH);
	CU_ASSERT_EQUAL(bld_dsc_s7comm.probe(b, len, true), BLD_PROBE_NO);
	free(b);
	b = bld_test_hex(CR, &len);
	CU_ASSERT_EQUAL(bld_dsc_s7comm.probe(b, len, true), BLD_PROBE_NEED_MORE);
	free(b);
	CU_ASSERT_EQUAL(bld_dsc_s7comm.state_size, bld_dsc_s7comm_plus.state_size);
	CU_ASSERT_PTR_NOT_NULL(bld_dsc_s7comm.state_fini);
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "COTP CR/CC/DR/DC/ER, TSAP rack and slot, CC paired", test_connect },
		{ "setup communication job and ack_data (ndpi 3/4)", test_setup_communication },
		{ "read var, and an item that does not exist (nodave 11/12, snap7)", test_read_var },
		{ "write var (nodave 15/16)", test_write_var },
		{ "read of 8 items: bits, timers, counters, fill bytes (wincc 6/9)", test_read_eight_items },
		{ "PI service _INSE and P_PROGRAM (plc_start)", test_pi_service },
		{ "PLC stop raises plc_stop (snap7)", test_plc_stop },
		{ "block control: request download, start upload refused by an ack", test_block_control },
		{ "userdata read SZL after an empty DT (ndpi 5/6/7)", test_userdata_szl },
		{ "userdata answer in two data units (status 16..20)", test_userdata_fragments },
		{ "userdata error code, mode-transition push", test_userdata_block_info_error },
		{ "pairing by PDU reference and direction", test_pairing },
		{ "pipelined requests beyond the transaction table", test_pipelined_requests },
		{ "S7comm-plus V1..V3, fragments, keep-alive, notification", test_plus },
		{ "S7comm-plus malformed", test_plus_malformed },
		{ "either descriptor decodes either protocol id", test_either_descriptor },
		{ "COTP reassembly per direction, bounded", test_reassembly },
		{ "bad TPKT: ERROR, one octet skipped", test_framing_lost },
		{ "bad COTP: OK + s7comm.bad_cotp", test_bad_cotp },
		{ "bad S7 header, lengths, ROSCTR, function, truncation", test_bad_s7 },
		{ "items and value caps", test_items_cap },
		{ "truncation sweep of every fixture", test_truncation },
		{ "probes agree with the fixtures", test_probe_agrees },
	};
	return bld_test_run("s7comm", tests, BLD_TEST_COUNT(tests));
}
