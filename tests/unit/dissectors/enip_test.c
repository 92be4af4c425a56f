/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the EtherNet/IP + CIP dissector (dissectors/enip.c).
 *
 * Fixtures are real PDUs copied from the public captures in
 * /work/shared/pcaps (capture and frame named), except where marked
 * "constructed": those build what the captures lack (Logix tag paths with
 * array members, a Large Forward Open with an electronic key, caps).
 */
#include "dsc_test.h"
#include "registry.h"
#include "txn.h"

/* ---- fixtures ---- */

/* iti/EthernetIP/enip_test.pcap frame 6 */
#define LIST_IDENTITY_REQ                                                                          \
	"6300"             /* command ListIdentity */                                              \
	"0000"             /* length 0 */                                                          \
	"00000000"         /* session handle */                                                    \
	"00000000"         /* status */                                                            \
	"00000000c1debed1" /* sender context */                                                    \
	"00000000"         /* options */

/* iti/EthernetIP/enip_test.pcap frame 7 */
#define LIST_IDENTITY_RSP                                                                          \
	"6300 3300 00000000 00000000 00000000c1debed1 00000000" /* header, length 51 */            \
	"0100"                          /* item count 1 */                                         \
	"0c00 2d00"                     /* CIP Identity item, length 45 */                         \
	"0100"                          /* encapsulation version 1 */                              \
	"0002 af12 0a0101a4 0000000000000000" /* sockaddr (big-endian): AF_INET, 44818, 10.1.1.164 */ \
	"0100"                          /* vendor 1 (Rockwell) */                                  \
	"0c00"                          /* device type 12 (communications adapter) */              \
	"3a00"                          /* product code 58 */                                      \
	"04 03"                         /* revision 4.3 */                                         \
	"3000"                          /* status 0x0030 */                                        \
	"8e4d5200"                      /* serial 0x00524d8e */                                    \
	"0b 313735362d454e42542f41"     /* product name "1756-ENBT/A" */                           \
	"03"                            /* state 3 */

/* iti/openics/EIP-IPAddressChangeAttempt.pcap frame 3608 */
#define REGISTER_SESSION_REQ                                                                       \
	"6500 0400 00000000 00000000 0000000000000000 00000000" /* RegisterSession, length 4 */     \
	"0100"                          /* protocol version 1 */                                   \
	"0000"                          /* options */

/* iti/openics/EIP-IPAddressChangeAttempt.pcap frame 3609 */
#define REGISTER_SESSION_RSP                                                                       \
	"6500 0400"                                                                                \
	"00020212"                      /* session handle 0x12020200 */                            \
	"00000000 0000000000000000 00000000"                                                       \
	"0100 0000"

/* iti/openics/EIP-IPAddressChangeAttempt.pcap frame 3605 */
#define LIST_SERVICES_RSP                                                                          \
	"0400 1a00 00000000 00000000 0000000000000000 00000000" /* ListServices, length 26 */      \
	"0100"                          /* item count 1 */                                         \
	"0001 1400"                     /* item 0x0100, length 20 */                               \
	"0100"                          /* version 1 */                                            \
	"2001"                          /* capability flags 0x0120 */                              \
	"436f6d6d756e69636174696f6e730000" /* "Communications" NUL-padded to 16 */

/* iti/openics/EIP-IPAddressChangeAttempt.pcap frame 3607 */
#define LIST_INTERFACES_RSP                                                                        \
	"6400 0200 00000000 00000000 0000000000000000 00000000" /* ListInterfaces, length 2 */     \
	"0000"                          /* item count 0 */

/* iti/openics/EIP-IPAddressChangeAttempt.pcap frames 3600 and 3604: legacy command 0x0001 */
#define LEGACY_REQ "0100 0000 00000000 00000000 0000000000000000 00000000"
#define LEGACY_RSP                                                                                 \
	"0100 2a00 00000000 00000000 0000000000000000 00000000" /* command 1, length 42 */          \
	"0100 0100 2400 01000000 0002af12c0a80a78 0000000000000000 3139322e3136382e31302e3132300000"

/* iti/openics/EIP-ChangePortConfigurationAttempt.pcap frame 787 */
#define GET_ATTR_SINGLE_REQ                                                                        \
	"6f00 1c00"                     /* SendRRData, length 28 */                                \
	"00010212"                      /* session 0x12020100 */                                   \
	"00000000"                      /* status */                                               \
	"b06d8601701ee100"              /* sender context */                                       \
	"00000000"                      /* options */                                              \
	"00000000 0500"                 /* interface handle 0, timeout 5 */                        \
	"0200"                          /* item count 2 */                                         \
	"0000 0000"                     /* null address item */                                    \
	"b200 0c00"                     /* unconnected data item, length 12 */                     \
	"0e 05"                         /* Get_Attribute_Single, path 5 words */                   \
	"2100 3700"                     /* 16-bit class 0x0037 (File) */                           \
	"2500 c800"                     /* 16-bit instance 0x00c8 */                               \
	"3004"                          /* attribute 4 */

/* iti/openics/EIP-ChangePortConfigurationAttempt.pcap frame 789 */
#define GET_ATTR_SINGLE_RSP                                                                        \
	"6f00 2200 00010212 00000000 b06d8601701ee100 00000000"                                    \
	"00000000 0500 0200 0000 0000 b200 1200"                                                   \
	"8e 00 00 00"                   /* reply, reserved, general status 0, no additional status */ \
	"01656e67da0400064544532e677a"  /* attribute value, 14 bytes */

/* iti/openics/EIP-IPAddressChangeAttempt.pcap frames 3610 and 3611 */
#define GET_ATTRS_ALL_REQ                                                                          \
	"6f00 1600 00020212 00000000 a0823000b808e100 00000000"                                    \
	"00000000 0a00 0200 0000 0000 b200 0600"                                                   \
	"01 02 20f4 2400"               /* Get_Attributes_All, class 0xf4 (Port) instance 0 */
#define GET_ATTRS_ALL_RSP_ERROR                                                                    \
	"6f00 1600 00020212 00000000 a0823000b808e100 00000000"                                    \
	"00000000 0a00 0200 0000 0000 b200 0600"                                                   \
	"81 00 05 01 0000"              /* general status 5 (path destination unknown), 1 word */

/* iti/openics/EIP-IPAddressChangeAttempt.pcap frame 49 */
#define UNCONNECTED_SEND_REQ                                                                       \
	"6f00 2400 00010211 00000000 1681300018a7e100 00000000"                                    \
	"00000000 0a00 0200 0000 0000 b200 1400"                                                   \
	"52 02 2006 2401"               /* Unconnected_Send to the Connection Manager */           \
	"06 9a"                         /* priority/tick, timeout ticks */                         \
	"0600"                          /* embedded request size 6 */                              \
	"01 02 2001 2401"               /* Get_Attributes_All Identity instance 1 */               \
	"01 00"                         /* route path 1 word, reserved */                          \
	"01 04"                         /* port 1 (backplane), slot 4 */

/* iti/openics/EIP-IPAddressChangeAttempt.pcap frame 51 */
#define UNCONNECTED_SEND_RSP_ERROR                                                                 \
	"6f00 1800 00010211 00000000 1681300018a7e100 00000000"                                    \
	"00000000 0a00 0200 0000 0000 b200 0800"                                                   \
	"d2 00 01 01 0402"              /* general status 1, extended status 0x0204 (timeout) */   \
	"01 00"                         /* remaining path size 1, reserved */

/* iti/CIP/cip_only.pcap frame 475 */
#define FORWARD_OPEN_REQ                                                                           \
	"6f00 3e00 09a6183f 00000000 5936060038bc270c 00000000"                                    \
	"00000000 1400 0200 0000 0000 b200 2e00"                                                   \
	"54 02 2006 2401"               /* Forward_Open to the Connection Manager */               \
	"07 9b"                         /* priority/tick, timeout ticks */                         \
	"06000080"                      /* O->T connection id 0x80000006 */                        \
	"0500fe80"                      /* T->O connection id 0x80fe0005 */                        \
	"0600 4d00 e0312b3d"            /* serial 6, vendor 0x4d, originator serial */             \
	"02 3d0600"                     /* timeout multiplier, reserved */                         \
	"d0121300 1243"                 /* O->T RPI 1250000 us, parameters 0x4312 */               \
	"d0121300 1243"                 /* T->O RPI, parameters */                                 \
	"a3"                            /* transport: server, application trigger, class 3 */      \
	"02 2002 2401"                  /* connection path: Message Router instance 1 */

/* iti/CIP/cip_only.pcap frame 478 */
#define FORWARD_OPEN_RSP                                                                           \
	"6f00 2e00 09a6183f 00000000 5936060038bc270c 00000000"                                    \
	"00000000 0004 0200 0000 0000 b200 1e00"                                                   \
	"d4 00 00 00"                                                                              \
	"6ef3240a 0500fe80"             /* O->T id 0x0a24f36e, T->O id */                          \
	"0600 4d00 e0312b3d"                                                                       \
	"d0121300 d0121300"             /* O->T API, T->O API */                                   \
	"00 00"                         /* application reply size, reserved */

/* iti/CIP/cip_only.pcap frames 2884 and 2885 */
#define FORWARD_CLOSE_REQ                                                                          \
	"6f00 2600 09a6183f 00000000 cb46060038bc270c 00000000"                                    \
	"00000000 1400 0200 0000 0000 b200 1600"                                                   \
	"4e 02 2006 2401 07 9b"                                                                    \
	"0600 4d00 e0312b3d"            /* serial, vendor, originator serial */                    \
	"02 00 2002 2401"               /* connection path 2 words, reserved */
#define FORWARD_CLOSE_RSP                                                                          \
	"6f00 1e00 09a6183f 00000000 cb46060038bc270c 00000000"                                    \
	"00000000 0004 0200 0000 0000 b200 0e00"                                                   \
	"ce 00 00 00 0600 4d00 e0312b3d 00 00"

/* iti/EthernetIP/EthernetIP-CIP.pcap frame 37: connected MSP of four Read-Modify-Write tags */
#define MSP_TAGS_REQ                                                                               \
	"7000 aa00 00010210 00000000 a3a8930000000000 00000000"                                    \
	"00000000 0a00"                                                                            \
	"0200"                                                                                     \
	"a100 0400 01038b00"            /* connected address item: connection id 0x008b0301 */     \
	"b100 9600 71ec"                /* connected data item, 150 bytes; sequence 0xec71 */      \
	"0a 02 2002 2401"               /* Multiple_Service_Packet to the Message Router */        \
	"0400 0a00 2800 4600 6a00"      /* 4 services at offsets 10, 40, 70, 106 */                \
	"4e 0c 9116 4c4d535f44495341424c455f32445343414e4e455231 0100 01ff"                        \
	"4e 0c 9116 4c4d535f44495341424c455f32445343414e4e455232 0100 01ff"                        \
	"4e 0f 911b 4c4d535f44495341424c455f424152434f44455f5343414e4e4552 00 0100 00fe"         \
	"4e 0f 911b 4c4d535f534554504f494e544348414e47455f5245434549564544 00 0100 00fe"

/* iti/EthernetIP/EthernetIP-CIP.pcap frame 38 */
#define MSP_TAGS_RSP                                                                               \
	"7000 3400 00010210 00000000 0000000000000000 00000000"                                    \
	"00000000 0000 0200"                                                                       \
	"a100 0400 b5c70080"            /* T->O connection id */                                   \
	"b100 2000 71ec"                /* same sequence count as the request */                   \
	"8a 00 00 00"                                                                              \
	"0400 0a00 0e00 1200 1600"                                                                 \
	"ce000000 ce000000 ce000000 ce000000"

/* ndpi/cip_io.pcap frame 1: class 1 I/O on UDP 2222 */
#define IO_1                                                                                       \
	"0200"                          /* item count 2 */                                         \
	"0280 0800 787b3a00 e8cb5e04"   /* sequenced address: connection 0x003a7b78, seq 73321448 */ \
	"b100 0c00"                     /* connected data item, 12 bytes */                        \
	"0300"                          /* CIP sequence count 3 */                                 \
	"fdffffffffffffff0000"          /* I/O data */

/* constructed: Read Tag "Program:Main.Arr[3].Fld" over a class 3 connection */
#define READ_TAG_REQ                                                                               \
	"7000 3600 04030201 00000000 0000000000000000 00000000"                                    \
	"00000000 0000 0200 a100 0400 44332211 b100 2200 0500"                                     \
	"4c 0e"                         /* Read Tag, path 14 words */                              \
	"910c 50726f6772616d3a4d61696e" /* "Program:Main" */                                       \
	"9103 417272 00"                /* "Arr", pad */                                           \
	"28 03"                         /* member 3: element [3] */                                \
	"9103 466c64 00"                /* "Fld", pad */                                           \
	"0100"                          /* 1 element */
#define READ_TAG_RSP                                                                               \
	"7000 2000 04030201 00000000 0000000000000000 00000000"                                    \
	"00000000 0000 0200 a100 0400 88776655 b100 0c00 0500"                                     \
	"cc 00 00 00 c400 2a000000"     /* DINT 42 */

/* constructed: Large Forward Open, port segment with an IP link address, key, 32-bit instance */
#define LARGE_FORWARD_OPEN_REQ                                                                     \
	"6f00 5e00 04030201 00000000 0102030405060708 00000000"                                    \
	"00000000 0a00 0200 0000 0000 b200 4e00"                                                   \
	"5b 02 2006 2401 0a 0e"                                                                    \
	"00000000 11111111"             /* O->T id (target chooses), T->O id */                    \
	"0201 0100 eeffc000 01 000000"                                                             \
	"10270000 f4010042"             /* O->T RPI 10 ms, parameters: p2p, variable, 500 bytes */ \
	"10270000 f4010042"                                                                        \
	"01 10"                         /* class 1, path 16 words */                               \
	"1208 31302e302e302e35"         /* port 2, link address "10.0.0.5" */                      \
	"3404 0100 0e00 3700 20 0b"     /* electronic key: vendor 1, type 14, product 55, 32.11 */ \
	"2004"                          /* class 4 (Assembly) */                                   \
	"2600 78563412"                 /* 32-bit instance 0x12345678 */                           \
	"2c64 2c65"                     /* connection points 100, 101 */

/* ---- helpers ---- */

static struct dsc_run *run_new(void)
{
	return dsc_run_new(&bld_dsc_enip);
}

/* Feed one fixture as a stream; it must be consumed whole. */
static void feed(struct dsc_run *r, bool to_server, const char *hex)
{
	uint32_t len;
	uint8_t *b = bld_test_hex(hex, &len);
	uint32_t used = dsc_feed(r, to_server, b, len);
	CU_ASSERT_EQUAL(used, len);
	free(b);
}

/* Parse one fixture as one datagram. */
static struct bld_parse_result feed_datagram(struct dsc_run *r, bool to_server, const char *hex)
{
	uint32_t len;
	uint8_t *b = bld_test_hex(hex, &len);
	struct bld_parse_result res = dsc_parse(r, to_server, true, b, len);
	free(b);
	return res;
}

static unsigned enip_events(const struct dsc_run *r)
{
	unsigned n = 0;
	for (int e = BLD_EVENT_ENIP_BAD_LENGTH; e <= BLD_EVENT_ENIP_RESPONSE_WITHOUT_REQUEST; e++)
		n += r->events[e];
	return n;
}

#define EXPECT_OP(r, i, s)                                                                         \
	do {                                                                                       \
		if (strcmp(dsc_op(r, i), s) != 0)                                                  \
			fprintf(stderr, "\n    op %u: %s\n    want: %s\n", (unsigned)(i), dsc_op(r, i), s); \
		CU_ASSERT_STRING_EQUAL(dsc_op(r, i), s);                                           \
	} while (0)

/* A little-endian packet builder for the caps tests. */
struct buf {
	uint8_t b[8192];
	uint32_t n;
};

static void put8(struct buf *b, uint8_t v)
{
	b->b[b->n++] = v;
}

static void put16(struct buf *b, uint16_t v)
{
	put8(b, (uint8_t)v);
	put8(b, (uint8_t)(v >> 8));
}

static void put32(struct buf *b, uint32_t v)
{
	put16(b, (uint16_t)v);
	put16(b, (uint16_t)(v >> 16));
}

static void set16(struct buf *b, uint32_t at, uint16_t v)
{
	b->b[at] = (uint8_t)v;
	b->b[at + 1] = (uint8_t)(v >> 8);
}

/* SendRRData header + fixed part + null address + unconnected data item; returns the data item's length offset. */
static uint32_t rr_start(struct buf *b, uint16_t item_count)
{
	b->n = 0;
	put16(b, 0x006F);
	put16(b, 0); /* length, set by rr_finish */
	put32(b, 0x01020304);
	put32(b, 0);
	put32(b, 0x11111111);
	put32(b, 0x22222222);
	put32(b, 0);
	put32(b, 0);
	put16(b, 10);
	put16(b, item_count);
	put16(b, 0x0000);
	put16(b, 0);
	put16(b, 0x00B2);
	uint32_t at = b->n;
	put16(b, 0);
	return at;
}

static void rr_finish(struct buf *b, uint32_t item_len_at)
{
	set16(b, 2, (uint16_t)(b->n - 24));
	set16(b, item_len_at, (uint16_t)(b->n - item_len_at - 2));
}

/* ---- tests ---- */

static void test_list_identity(void)
{
	struct dsc_run *r = run_new();
	r->ts_ns = 1000000000;
	feed(r, true, LIST_IDENTITY_REQ);
	r->ts_ns = 1039969000;
	feed(r, false, LIST_IDENTITY_RSP);
	CU_ASSERT_EQUAL_FATAL(r->n_ops, 2);
	EXPECT_OP(r, 0, "request command=99 command_name=\"list_identity\" length=0 session_handle=0 status=0 "
			"sender_context=00000000c1debed1");
	EXPECT_OP(r, 1, "response command=99 command_name=\"list_identity\" length=51 session_handle=0 status=0 "
			"sender_context=00000000c1debed1 item_count=1 items=[{type=12 length=45}] encap_version=1 "
			"socket_ip=\"10.1.1.164\" socket_port=44818 vendor_id=1 device_type=12 product_code=58 "
			"revision_major=4 revision_minor=3 device_status=48 serial_number=5393806 "
			"product_name=\"1756-ENBT/A\" state=3");
	CU_ASSERT_EQUAL(r->response_time[0], UINT64_MAX);
	CU_ASSERT_EQUAL(r->response_time[1], 39969000);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

/* UDP discovery: the request went to the broadcast address, so the reply's flow never saw it. */
static void test_list_identity_datagram(void)
{
	struct dsc_run *r = run_new();
	struct bld_parse_result res = feed_datagram(r, false, LIST_IDENTITY_RSP);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, 75);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	CU_ASSERT_EQUAL(r->n_events, 0);
	/* One message per datagram: trailing bytes are consumed and reported. */
	dsc_clear(r);
	res = feed_datagram(r, false, LIST_IDENTITY_RSP "00");
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, 76);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_BAD_LENGTH), 1);
	/* A datagram shorter than its length field says: truncated, no op. */
	dsc_clear(r);
	res = feed_datagram(r, false, "6300 3300 00000000 00000000 00000000c1debed1 00000000 0100 0c00");
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(r->n_ops, 0);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_TRUNCATED), 1);
	dsc_clear(r);
	res = feed_datagram(r, true, "6300 0000 00000000");
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_TRUNCATED), 1);
	dsc_run_free(r);
}

static void test_session_and_lists(void)
{
	struct dsc_run *r = run_new();
	feed(r, true, LEGACY_REQ);
	feed(r, false, LEGACY_RSP);
	feed(r, true, "0400 0000 00000000 00000000 0000000000000000 00000000"); /* ListServices, frame 3601 */
	feed(r, false, LIST_SERVICES_RSP);
	feed(r, true, "6400 0000 00000000 00000000 0000000000000000 00000000"); /* ListInterfaces, frame 3602 */
	feed(r, false, LIST_INTERFACES_RSP);
	feed(r, true, REGISTER_SESSION_REQ);
	feed(r, false, REGISTER_SESSION_RSP);
	CU_ASSERT_EQUAL_FATAL(r->n_ops, 8);
	/* Rockwell's legacy 0x0001 is framed (and answered) but not an ODVA command. */
	EXPECT_OP(r, 0, "request command=1 length=0 session_handle=0 status=0 sender_context=0000000000000000");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_ILLEGAL_COMMAND), 2);
	CU_ASSERT_NOT_EQUAL(r->response_time[1], UINT64_MAX);
	EXPECT_OP(r, 3, "response command=4 command_name=\"list_services\" length=26 session_handle=0 status=0 "
			"sender_context=0000000000000000 item_count=1 items=[{type=256 length=20}] "
			"services=[{version=1 capabilities=288 name=\"Communications\"}]");
	EXPECT_OP(r, 5, "response command=100 command_name=\"list_interfaces\" length=2 session_handle=0 status=0 "
			"sender_context=0000000000000000 item_count=0 items=[]");
	EXPECT_OP(r, 6, "request command=101 command_name=\"register_session\" length=4 session_handle=0 status=0 "
			"sender_context=0000000000000000 protocol_version=1 option_flags=0");
	EXPECT_OP(r, 7, "response command=101 command_name=\"register_session\" length=4 "
			"session_handle=302121472 status=0 sender_context=0000000000000000 protocol_version=1 "
			"option_flags=0");
	CU_ASSERT_NOT_EQUAL(r->response_time[7], UINT64_MAX);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_RESPONSE_WITHOUT_REQUEST), 0);
	CU_ASSERT_EQUAL(r->n_events, 2);

	/* The session is 0x12020200 now: frame 3610 carries it; the same request with another handle does not. */
	dsc_clear(r);
	feed(r, true, GET_ATTRS_ALL_REQ);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_SESSION_MISMATCH), 0);
	feed(r, true, GET_ATTR_SINGLE_REQ); /* another capture's session 0x12020100 */
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_SESSION_MISMATCH), 1);
	/* UnRegisterSession ends it: no handle is expected afterwards. */
	feed(r, true, "6600 0000 00020212 00000000 0000000000000000 00000000");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_SESSION_MISMATCH), 1);
	feed(r, true, GET_ATTR_SINGLE_REQ);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_SESSION_MISMATCH), 1);
	EXPECT_OP(r, 2, "request command=102 command_name=\"unregister_session\" length=0 session_handle=302121472 "
			"status=0 sender_context=0000000000000000");
	dsc_run_free(r);
}

static void test_get_attribute_single(void)
{
	struct dsc_run *r = run_new();
	r->ts_ns = 5000;
	feed(r, true, GET_ATTR_SINGLE_REQ);
	r->ts_ns = 9000;
	feed(r, false, GET_ATTR_SINGLE_RSP);
	CU_ASSERT_EQUAL_FATAL(r->n_ops, 2);
	EXPECT_OP(r, 0, "request command=111 command_name=\"send_rr_data\" length=28 session_handle=302121216 "
			"status=0 sender_context=b06d8601701ee100 interface_handle=0 timeout=5 item_count=2 "
			"items=[{type=0 length=0} {type=178 length=12}] cip_service=14 cip_response=false "
			"cip_service_name=\"get_attribute_single\" class=55 instance=200 attribute=4 data_length=0");
	EXPECT_OP(r, 1, "response command=111 command_name=\"send_rr_data\" length=34 session_handle=302121216 "
			"status=0 sender_context=b06d8601701ee100 interface_handle=0 timeout=5 item_count=2 "
			"items=[{type=0 length=0} {type=178 length=18}] cip_service=14 cip_response=true "
			"cip_service_name=\"get_attribute_single\" general_status=0 data_length=14");
	CU_ASSERT_EQUAL(r->response_time[1], 4000);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_cip_error_status(void)
{
	struct dsc_run *r = run_new();
	feed(r, true, GET_ATTRS_ALL_REQ);
	feed(r, false, GET_ATTRS_ALL_RSP_ERROR);
	EXPECT_OP(r, 1, "response command=111 command_name=\"send_rr_data\" length=22 session_handle=302121472 "
			"status=0 sender_context=a0823000b808e100 interface_handle=0 timeout=10 item_count=2 "
			"items=[{type=0 length=0} {type=178 length=6}] cip_service=1 cip_response=true "
			"cip_service_name=\"get_attributes_all\" general_status=5 additional_status_size=1 "
			"additional_status=[0] data_length=0");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_CIP_ERROR_STATUS), 1);
	CU_ASSERT_EQUAL(r->n_events, 1);
	dsc_run_free(r);
}

static void test_unconnected_send(void)
{
	struct dsc_run *r = run_new();
	feed(r, true, UNCONNECTED_SEND_REQ);
	feed(r, false, UNCONNECTED_SEND_RSP_ERROR);
	CU_ASSERT_EQUAL_FATAL(r->n_ops, 2);
	EXPECT_OP(r, 0, "request command=111 command_name=\"send_rr_data\" length=36 session_handle=285344000 "
			"status=0 sender_context=1681300018a7e100 interface_handle=0 timeout=10 item_count=2 "
			"items=[{type=0 length=0} {type=178 length=20}] cip_service=82 cip_response=false "
			"cip_service_name=\"unconnected_send\" class=6 instance=1 data_length=14 "
			"embedded={service=1 service_name=\"get_attributes_all\" class=1 instance=1 data_length=0} "
			"route_path=[{port=1 link=4}]");
	/* A router's failure answers with the Unconnected Send's own code and the remaining path size. */
	EXPECT_OP(r, 1, "response command=111 command_name=\"send_rr_data\" length=24 session_handle=285344000 "
			"status=0 sender_context=1681300018a7e100 interface_handle=0 timeout=10 item_count=2 "
			"items=[{type=0 length=0} {type=178 length=8}] cip_service=82 cip_response=true "
			"cip_service_name=\"unconnected_send\" general_status=1 additional_status_size=1 "
			"additional_status=[516] data_length=2 remaining_path_size=1");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_CIP_ERROR_STATUS), 1);

	/*
	 * Success: the target answers with the embedded service's reply
	 * (EthernetIP-CIP.pcap frames 29 and 31: Get_Attributes_All on class 0xac).
	 */
	dsc_clear(r);
	feed(r, true, "6f00 2600 00050213 00000000 6ac0be0000000000 00000000 00000000 1400 0200 0000 0000 b200 1600"
		      "52 02 2006 2401 07 e9 0800 01 02 20ac 2401 0100 01 00 01 00");
	feed(r, false, "6f00 3400 00050213 00000000 6ac0be0000000000 00000000 00000000 1400 0200 0000 0000 b200 2400"
		       "81 00 00 00 e8000100e302b2a4c1d1afa40000e803020000009453d33d01000100e2fc2030");
	EXPECT_OP(r, 0, "request command=111 command_name=\"send_rr_data\" length=38 session_handle=318899456 "
			"status=0 sender_context=6ac0be0000000000 interface_handle=0 timeout=20 item_count=2 "
			"items=[{type=0 length=0} {type=178 length=22}] cip_service=82 cip_response=false "
			"cip_service_name=\"unconnected_send\" class=6 instance=1 data_length=16 "
			"embedded={service=1 service_name=\"get_attributes_all\" class=172 instance=1 data_length=2} "
			"route_path=[{port=1 link=0}]");
	EXPECT_OP(r, 1, "response command=111 command_name=\"send_rr_data\" length=52 session_handle=318899456 "
			"status=0 sender_context=6ac0be0000000000 interface_handle=0 timeout=20 item_count=2 "
			"items=[{type=0 length=0} {type=178 length=36}] cip_service=1 cip_response=true "
			"cip_service_name=\"get_attributes_all\" general_status=0 data_length=32");
	CU_ASSERT_NOT_EQUAL(r->response_time[1], UINT64_MAX);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_forward_open_close(void)
{
	struct dsc_run *r = run_new();
	feed(r, true, FORWARD_OPEN_REQ);
	feed(r, false, FORWARD_OPEN_RSP);
	feed(r, true, FORWARD_CLOSE_REQ);
	feed(r, false, FORWARD_CLOSE_RSP);
	CU_ASSERT_EQUAL_FATAL(r->n_ops, 4);
	EXPECT_OP(r, 0, "request command=111 command_name=\"send_rr_data\" length=62 session_handle=1058579977 "
			"status=0 sender_context=5936060038bc270c interface_handle=0 timeout=20 item_count=2 "
			"items=[{type=0 length=0} {type=178 length=46}] cip_service=84 cip_response=false "
			"cip_service_name=\"forward_open\" class=6 instance=1 data_length=40 "
			"ot_connection_id=2147483654 to_connection_id=2164129797 connection_serial=6 "
			"originator_vendor=77 originator_serial=1026240992 timeout_multiplier=2 ot_rpi=1250000 "
			"ot_connection_params=17170 ot_connection_size=274 to_rpi=1250000 to_connection_params=17170 "
			"to_connection_size=274 transport_trigger=163 transport_class=3 "
			"connection_path={class=2 instance=1}");
	EXPECT_OP(r, 1, "response command=111 command_name=\"send_rr_data\" length=46 session_handle=1058579977 "
			"status=0 sender_context=5936060038bc270c interface_handle=0 timeout=1024 item_count=2 "
			"items=[{type=0 length=0} {type=178 length=30}] cip_service=84 cip_response=true "
			"cip_service_name=\"forward_open\" general_status=0 data_length=26 ot_connection_id=170193774 "
			"to_connection_id=2164129797 connection_serial=6 originator_vendor=77 "
			"originator_serial=1026240992 ot_api=1250000 to_api=1250000 application_reply_size=0");
	EXPECT_OP(r, 2, "request command=111 command_name=\"send_rr_data\" length=38 session_handle=1058579977 "
			"status=0 sender_context=cb46060038bc270c interface_handle=0 timeout=20 item_count=2 "
			"items=[{type=0 length=0} {type=178 length=22}] cip_service=78 cip_response=false "
			"cip_service_name=\"forward_close\" class=6 instance=1 data_length=16 connection_serial=6 "
			"originator_vendor=77 originator_serial=1026240992 connection_path={class=2 instance=1}");
	EXPECT_OP(r, 3, "response command=111 command_name=\"send_rr_data\" length=30 session_handle=1058579977 "
			"status=0 sender_context=cb46060038bc270c interface_handle=0 timeout=1024 item_count=2 "
			"items=[{type=0 length=0} {type=178 length=14}] cip_service=78 cip_response=true "
			"cip_service_name=\"forward_close\" general_status=0 data_length=10 connection_serial=6 "
			"originator_vendor=77 originator_serial=1026240992 application_reply_size=0");
	CU_ASSERT_EQUAL(r->n_events, 0);

	/* An unpaired 0xCE is not read as a Forward Close: its class is unknown. */
	dsc_run_free(r);
	r = run_new();
	feed(r, false, FORWARD_CLOSE_RSP);
	CU_ASSERT_PTR_NULL(strstr(dsc_op(r, 0), "connection_serial"));
	CU_ASSERT_PTR_NULL(strstr(dsc_op(r, 0), "forward_close"));
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_RESPONSE_WITHOUT_REQUEST), 1);
	/* ... but an unpaired Forward Open reply is (0x54 has no other meaning in practice). */
	feed(r, false, FORWARD_OPEN_RSP);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 1), "cip_service_name=\"forward_open\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 1), "ot_connection_id=170193774"));
	dsc_run_free(r);
}

static void test_large_forward_open(void)
{
	struct dsc_run *r = run_new();
	feed(r, true, LARGE_FORWARD_OPEN_REQ);
	EXPECT_OP(r, 0, "request command=111 command_name=\"send_rr_data\" length=94 session_handle=16909060 "
			"status=0 sender_context=0102030405060708 interface_handle=0 timeout=10 item_count=2 "
			"items=[{type=0 length=0} {type=178 length=78}] cip_service=91 cip_response=false "
			"cip_service_name=\"large_forward_open\" class=6 instance=1 data_length=72 ot_connection_id=0 "
			"to_connection_id=286331153 connection_serial=258 originator_vendor=1 "
			"originator_serial=12648430 timeout_multiplier=1 ot_rpi=10000 ot_connection_params=1107296756 "
			"ot_connection_size=500 "
			"to_rpi=10000 to_connection_params=1107296756 to_connection_size=500 transport_trigger=1 "
			"transport_class=1 connection_path={ports=[{port=2 link_address=\"10.0.0.5\"}] class=4 "
			"instance=305419896 connection_points=[100 101] key={vendor_id=1 device_type=14 "
			"product_code=55 compatibility=false major_revision=32 minor_revision=11}}");
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_msp_tags(void)
{
	struct dsc_run *r = run_new();
	r->ts_ns = 100;
	feed(r, true, MSP_TAGS_REQ);
	r->ts_ns = 350;
	feed(r, false, MSP_TAGS_RSP);
	CU_ASSERT_EQUAL_FATAL(r->n_ops, 2);
	EXPECT_OP(r, 0, "request command=112 command_name=\"send_unit_data\" length=170 session_handle=268566784 "
			"status=0 sender_context=a3a8930000000000 interface_handle=0 timeout=10 item_count=2 "
			"items=[{type=161 length=4} {type=177 length=150}] connection_id=9110273 cip_sequence=60529 "
			"cip_service=10 cip_response=false cip_service_name=\"multiple_service_packet\" class=2 "
			"instance=1 data_length=142 service_count=4 services=["
			"{service=78 service_name=\"read_modify_write_tag\" tag=\"LMS_DISABLE_2DSCANNER1\" "
			"data_length=4} "
			"{service=78 service_name=\"read_modify_write_tag\" tag=\"LMS_DISABLE_2DSCANNER2\" "
			"data_length=4} "
			"{service=78 service_name=\"read_modify_write_tag\" tag=\"LMS_DISABLE_BARCODE_SCANNER\" "
			"data_length=4} "
			"{service=78 service_name=\"read_modify_write_tag\" tag=\"LMS_SETPOINTCHANGE_RECEIVED\" "
			"data_length=4}]");
	EXPECT_OP(r, 1, "response command=112 command_name=\"send_unit_data\" length=52 session_handle=268566784 "
			"status=0 sender_context=0000000000000000 interface_handle=0 timeout=0 item_count=2 "
			"items=[{type=161 length=4} {type=177 length=32}] connection_id=2147534773 cip_sequence=60529 "
			"cip_service=10 cip_response=true cip_service_name=\"multiple_service_packet\" "
			"general_status=0 data_length=26 service_count=4 services=["
			"{service=78 general_status=0 data_length=0} {service=78 general_status=0 data_length=0} "
			"{service=78 general_status=0 data_length=0} {service=78 general_status=0 data_length=0}]");
	/* Connected messages pair by the CIP sequence count: the sender context is 0 both ways. */
	CU_ASSERT_EQUAL(r->response_time[1], 250);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_read_write_tag(void)
{
	struct dsc_run *r = run_new();
	feed(r, true, READ_TAG_REQ);
	feed(r, false, READ_TAG_RSP);
	EXPECT_OP(r, 0, "request command=112 command_name=\"send_unit_data\" length=54 session_handle=16909060 "
			"status=0 sender_context=0000000000000000 interface_handle=0 timeout=0 item_count=2 "
			"items=[{type=161 length=4} {type=177 length=34}] connection_id=287454020 cip_sequence=5 "
			"cip_service=76 cip_response=false cip_service_name=\"read_tag\" "
			"tag=\"Program:Main.Arr[3].Fld\" data_length=2 elements=1");
	/* The reply is named after its request's target (a tag) and says the data type. */
	EXPECT_OP(r, 1, "response command=112 command_name=\"send_unit_data\" length=32 session_handle=16909060 "
			"status=0 sender_context=0000000000000000 interface_handle=0 timeout=0 item_count=2 "
			"items=[{type=161 length=4} {type=177 length=12}] connection_id=1432778632 cip_sequence=5 "
			"cip_service=76 cip_response=true cip_service_name=\"read_tag\" general_status=0 "
			"data_length=6 data_type=196");
	CU_ASSERT_EQUAL(r->n_events, 0);

	/* constructed: Write Tag of a structure, and multi-dimensional elements "M[1,2]" */
	dsc_clear(r);
	feed(r, true, "7000 2a00 04030201 00000000 0000000000000000 00000000"
		      "00000000 0000 0200 a100 0400 44332211 b100 1600 0600"
		      "4d 04 9101 4d 00 2801 2802 a002 3412 0100 deadbeef");
	EXPECT_OP(r, 0, "request command=112 command_name=\"send_unit_data\" length=42 session_handle=16909060 "
			"status=0 sender_context=0000000000000000 interface_handle=0 timeout=0 item_count=2 "
			"items=[{type=161 length=4} {type=177 length=22}] connection_id=287454020 cip_sequence=6 "
			"cip_service=77 cip_response=false cip_service_name=\"write_tag\" tag=\"M[1,2]\" "
			"data_length=10 data_type=672 structure_handle=4660 elements=1");
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_io(void)
{
	struct dsc_run *r = run_new();
	struct bld_parse_result res = feed_datagram(r, true, IO_1);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, 30);
	/* ndpi/cip_io.pcap frame 2, the other direction: a producer too, so a request. */
	res = feed_datagram(r, false, "0200 0280 0800 ebb49176 54cc5e04 b100 1000 c6e4 01000000fdffffffffffffff0000");
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	EXPECT_OP(r, 0, "request io=true item_count=2 items=[{type=32770 length=8} {type=177 length=12}] "
			"connection_id=3832696 encap_sequence=73321448 cip_sequence=3 data_length=10");
	EXPECT_OP(r, 1, "request io=true item_count=2 items=[{type=32770 length=8} {type=177 length=16}] "
			"connection_id=1989260523 encap_sequence=73321556 cip_sequence=58566 data_length=14");
	CU_ASSERT_EQUAL(r->n_events, 0);
	CU_ASSERT_EQUAL(r->response_time[0], UINT64_MAX);
	/* The probe agrees (tests/unit/dissectors/probes_test.c has the corruptions). */
	uint32_t len;
	uint8_t *b = bld_test_hex(IO_1, &len);
	CU_ASSERT_EQUAL(bld_dsc_enip.probe(b, len, true), BLD_PROBE_MATCH);

	/* Every cut of the datagram: an op with the damage reported, never a read past the end. */
	for (uint32_t k = 4; k < len; k++) {
		dsc_clear(r);
		res = dsc_parse(r, true, true, b, k);
		CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
		CU_ASSERT_EQUAL(res.consumed, k);
		CU_ASSERT_EQUAL(r->n_ops, 1);
		CU_ASSERT(dsc_events(r, BLD_EVENT_ENIP_BAD_LENGTH) + dsc_events(r, BLD_EVENT_ENIP_BAD_CPF) >= 1);
	}
	free(b);

	/* A data item without room for the sequence count; a missing address item. */
	dsc_clear(r);
	feed_datagram(r, true, "0200 0280 0800 787b3a00 e8cb5e04 b100 0100 03");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_BAD_LENGTH), 1);
	dsc_clear(r);
	feed_datagram(r, true, "0200 0280 0400 787b3a00 b100 0200 0300");
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_BAD_CPF), 1);
	EXPECT_OP(r, 0, "request io=true item_count=2 items=[{type=32770 length=4} {type=177 length=2}] "
			"cip_sequence=3 data_length=0");
	dsc_run_free(r);
}

/* Several messages in one segment (EthernetIP-CIP.pcap frame 3 style), and one split across two. */
static void test_stream(void)
{
	struct dsc_run *r = run_new();
	feed(r, true, GET_ATTR_SINGLE_REQ FORWARD_OPEN_REQ UNCONNECTED_SEND_REQ);
	CU_ASSERT_EQUAL(r->n_ops, 3);
	uint32_t len;
	uint8_t *b = bld_test_hex(FORWARD_OPEN_RSP, &len);
	struct bld_parse_result res = dsc_parse(r, false, false, b, 30);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_INCOMPLETE);
	CU_ASSERT_EQUAL(res.needed, len);
	res = dsc_parse(r, false, false, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(res.consumed, len);
	free(b);
	CU_ASSERT_EQUAL(r->n_ops, 4);
	CU_ASSERT_NOT_EQUAL(r->response_time[3], UINT64_MAX);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
}

static void test_truncations(void)
{
	static const char *const fixtures[] = {
		LIST_IDENTITY_REQ, LIST_IDENTITY_RSP, REGISTER_SESSION_REQ, REGISTER_SESSION_RSP,
		LIST_SERVICES_RSP, LIST_INTERFACES_RSP, LEGACY_RSP, GET_ATTR_SINGLE_REQ, GET_ATTR_SINGLE_RSP,
		GET_ATTRS_ALL_RSP_ERROR, UNCONNECTED_SEND_REQ, UNCONNECTED_SEND_RSP_ERROR, FORWARD_OPEN_REQ,
		FORWARD_OPEN_RSP, FORWARD_CLOSE_REQ, FORWARD_CLOSE_RSP, MSP_TAGS_REQ, MSP_TAGS_RSP, READ_TAG_REQ,
		READ_TAG_RSP, LARGE_FORWARD_OPEN_REQ,
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(fixtures); i++) {
		dsc_truncation_sweep(&bld_dsc_enip, true, fixtures[i]);
		dsc_truncation_sweep(&bld_dsc_enip, false, fixtures[i]);
	}
}

/* Lost framing: ERROR (the framework resynchronises with the probe) and the event saying why. */
static void test_framing_errors(void)
{
	struct dsc_run *r = run_new();
	uint32_t len;
	uint8_t *b = bld_test_hex(GET_ATTR_SINGLE_REQ, &len);
	b[2] = 0xe8, b[3] = 0xff; /* length 65512 > 65511 (Vol 2 §2-3.2) */
	struct bld_parse_result res = dsc_parse(r, true, false, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(res.consumed, 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_BAD_LENGTH), 1);
	CU_ASSERT_EQUAL(r->n_ops, 0);
	/* A datagram's framing is the datagram: all of it goes. */
	res = dsc_parse(r, true, true, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(res.consumed, len);
	free(b);

	/* An undefined command with non-zero options: not a header at all. */
	dsc_clear(r);
	b = bld_test_hex(GET_ATTR_SINGLE_REQ, &len);
	b[0] = 0x61, b[20] = 0x01;
	res = dsc_parse(r, true, false, b, len);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_ERROR);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_ILLEGAL_COMMAND), 1);
	CU_ASSERT_EQUAL(r->n_ops, 0);
	free(b);
	dsc_run_free(r);
}

/* Framed but wrong: OK, the op with what was decoded, and the event. */
static void test_corruptions(void)
{
	static const struct {
		const char *why;
		const char *hex;
		enum bld_event ev;
	} cases[] = {
		{ "undefined command 0x0061, options 0",
		  "6100 0000 00000000 00000000 0000000000000000 00000000", BLD_EVENT_ENIP_ILLEGAL_COMMAND },
		{ "options not 0",
		  "6300 0000 00000000 00000000 0000000000000000 01000000", BLD_EVENT_ENIP_NONZERO_OPTIONS },
		{ "status 0x64 invalid session handle",
		  "6f00 0000 00010212 64000000 b06d8601701ee100 00000000", BLD_EVENT_ENIP_ERROR_STATUS },
		{ "ListIdentity request with data",
		  "6300 0200 00000000 00000000 0000000000000000 00000000 0000", BLD_EVENT_ENIP_BAD_LENGTH },
		{ "RegisterSession with 2 bytes of data",
		  "6500 0200 00000000 00000000 0000000000000000 00000000 0100", BLD_EVENT_ENIP_BAD_LENGTH },
		{ "SendRRData without its fixed part",
		  "6f00 0400 00010212 00000000 b06d8601701ee100 00000000 00000000", BLD_EVENT_ENIP_BAD_LENGTH },
		{ "CPF data item longer than the message",
		  "6f00 1200 00010212 00000000 b06d8601701ee100 00000000 00000000 0500 0200 0000 0000 b200 0c00 0e05",
		  BLD_EVENT_ENIP_BAD_LENGTH },
		{ "CPF items followed by stray bytes",
		  "6f00 1600 00010212 00000000 b06d8601701ee100 00000000 00000000 0500 0200 0000 0000 b200 0400"
		  "0e01 2001 ffff", BLD_EVENT_ENIP_BAD_LENGTH },
		{ "SendRRData with a connected data item",
		  "6f00 1600 00010212 00000000 b06d8601701ee100 00000000 00000000 0500 0200 0000 0000 b100 0600"
		  "0100 0e01 2001", BLD_EVENT_ENIP_BAD_CPF },
		{ "SendRRData without a data item",
		  "6f00 0c00 00010212 00000000 b06d8601701ee100 00000000 00000000 0500 0100 0000 0000",
		  BLD_EVENT_ENIP_BAD_CPF },
		{ "request path size beyond the message",
		  "6f00 1400 00010212 00000000 b06d8601701ee100 00000000 00000000 0500 0200 0000 0000 b200 0400"
		  "0e05 2001", BLD_EVENT_ENIP_CIP_MALFORMED },
		{ "reserved segment type 0xe0 in the path",
		  "6f00 1600 00010212 00000000 b06d8601701ee100 00000000 00000000 0500 0200 0000 0000 b200 0600"
		  "0e02 2001 e000", BLD_EVENT_ENIP_CIP_BAD_PATH },
		{ "16-bit class without its value",
		  "6f00 1400 00010212 00000000 b06d8601701ee100 00000000 00000000 0500 0200 0000 0000 b200 0400"
		  "0e01 2100", BLD_EVENT_ENIP_CIP_BAD_PATH },
		{ "MSP offset beyond the message",
		  "6f00 1a00 00010212 00000000 b06d8601701ee100 00000000 00000000 0500 0200 0000 0000 b200 0a00"
		  "0a02 2002 2401 0100 4000", BLD_EVENT_ENIP_CIP_MALFORMED },
		{ "MSP count beyond the message",
		  "6f00 1a00 00010212 00000000 b06d8601701ee100 00000000 00000000 0500 0200 0000 0000 b200 0a00"
		  "0a02 2002 2401 0900 0400", BLD_EVENT_ENIP_CIP_MALFORMED },
		{ "Forward Open cut short",
		  "6f00 1800 00010212 00000000 b06d8601701ee100 00000000 00000000 0500 0200 0000 0000 b200 0800"
		  "5402 2006 2401 079b", BLD_EVENT_ENIP_CIP_MALFORMED },
		{ "Unconnected Send request size beyond the message",
		  "6f00 1c00 00010212 00000000 b06d8601701ee100 00000000 00000000 0500 0200 0000 0000 b200 0c00"
		  "5202 2006 2401 069a 2000 0102", BLD_EVENT_ENIP_CIP_MALFORMED },
		{ "response with additional status beyond the message",
		  "6f00 1400 00010212 00000000 b06d8601701ee100 00000000 00000000 0500 0200 0000 0000 b200 0400"
		  "8e00 0802", BLD_EVENT_ENIP_CIP_MALFORMED },
		{ "Read Tag without its element count",
		  "6f00 1600 00010212 00000000 b06d8601701ee100 00000000 00000000 0500 0200 0000 0000 b200 0600"
		  "4c02 9101 4100", BLD_EVENT_ENIP_CIP_MALFORMED },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(cases); i++) {
		struct dsc_run *r = run_new();
		uint32_t len;
		uint8_t *b = bld_test_hex(cases[i].hex, &len);
		struct bld_parse_result res = dsc_parse(r, true, false, b, len);
		if (res.status != BLD_PARSE_OK || r->n_ops != 1 || dsc_events(r, cases[i].ev) != 1)
			fprintf(stderr, "\n    %s: status %d, %u ops, event %s x%u: %s\n", cases[i].why, res.status,
				r->n_ops, bld_event_names[cases[i].ev], dsc_events(r, cases[i].ev), dsc_op(r, 0));
		CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
		CU_ASSERT_EQUAL(res.consumed, len);
		CU_ASSERT_EQUAL(r->n_ops, 1);
		CU_ASSERT_EQUAL(dsc_events(r, cases[i].ev), 1);
		free(b);
		dsc_run_free(r);
	}
	/* The path before a bad segment is still reported. */
	struct dsc_run *r = run_new();
	feed(r, true, cases[11].hex);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "cip_service=14 cip_response=false "
						  "cip_service_name=\"get_attribute_single\" class=1 data_length=0"));
	dsc_run_free(r);
}

static void test_pairing(void)
{
	struct dsc_run *r = run_new();
	/* A reply nobody asked for. */
	feed(r, false, GET_ATTR_SINGLE_RSP);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_RESPONSE_WITHOUT_REQUEST), 1);
	CU_ASSERT_EQUAL(r->response_time[0], UINT64_MAX);
	feed(r, false, MSP_TAGS_RSP);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_RESPONSE_WITHOUT_REQUEST), 2);

	/* Two requests outstanding, answered out of order: each reply finds its own by sender context. */
	dsc_clear(r);
	r->ts_ns = 1000;
	feed(r, true, GET_ATTR_SINGLE_REQ);
	r->ts_ns = 2000;
	feed(r, true, FORWARD_OPEN_REQ);
	r->ts_ns = 2500;
	feed(r, false, FORWARD_OPEN_RSP);
	r->ts_ns = 4000;
	feed(r, false, GET_ATTR_SINGLE_RSP);
	CU_ASSERT_EQUAL(r->response_time[2], 500);
	CU_ASSERT_EQUAL(r->response_time[3], 3000);
	CU_ASSERT_EQUAL(r->n_events, 0);
	/* The same context answered twice: the second has no request left. */
	feed(r, false, GET_ATTR_SINGLE_RSP);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_RESPONSE_WITHOUT_REQUEST), 1);
	/* A reply to another command with the same context does not pair. */
	dsc_clear(r);
	feed(r, true, "6300 0000 00010212 00000000 b06d8601701ee100 00000000");
	feed(r, false, GET_ATTR_SINGLE_RSP);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_RESPONSE_WITHOUT_REQUEST), 1);
	/* NOP and UnRegisterSession are never answered, so never outstanding. */
	dsc_clear(r);
	feed(r, true, "0000 0400 00000000 00000000 0000000000000000 00000000 deadbeef");
	EXPECT_OP(r, 0, "request command=0 command_name=\"nop\" length=4 session_handle=0 status=0 "
			"sender_context=0000000000000000");
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);

	/* More requests outstanding than a flow tracks: the oldest is forgotten, once per extra. */
	r = run_new();
	uint32_t len;
	uint8_t *b = bld_test_hex(GET_ATTR_SINGLE_REQ, &len);
	for (int i = 0; i < BLD_TXN_MAX + 1; i++) {
		b[12] = (uint8_t)i; /* sender context */
		dsc_parse(r, true, false, b, len);
	}
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_TXN_CAPACITY), 1);
	free(b);
	dsc_run_free(r);
}

/* Caps: lists stop at their #define, the true count is kept, app.items_capacity once per PDU. */
static void test_caps(void)
{
	struct buf *b = calloc(1, sizeof(*b));
	/* Multiple Service Packet of 40 Get_Attribute_Single (constructed). */
	uint32_t at = rr_start(b, 2);
	put8(b, 0x0A), put8(b, 2), put8(b, 0x20), put8(b, 0x02), put8(b, 0x24), put8(b, 0x01);
	uint32_t base = b->n;
	put16(b, 40);
	for (int i = 0; i < 40; i++)
		put16(b, (uint16_t)(2 + 80 + 4 * i));
	/* Service 0x32 (object-specific, unnamed) to instance i: short entries, so the whole op fits a test line. */
	for (int i = 0; i < 40; i++)
		put8(b, 0x32), put8(b, 1), put8(b, 0x24), put8(b, (uint8_t)i);
	CU_ASSERT_EQUAL(b->n - base, 2 + 80 + 160);
	rr_finish(b, at);
	struct dsc_run *r = run_new();
	struct bld_parse_result res = dsc_parse(r, true, false, b->b, b->n);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_ITEMS_CAPACITY), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_OP_CAPACITY), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "service_count=40 services=[{service=50 instance=0 "
						    "data_length=0} "));
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "{service=50 instance=31 data_length=0}]"));
	CU_ASSERT_PTR_NULL(strstr(dsc_op(r, 0), "instance=32 "));
	CU_ASSERT_EQUAL(enip_events(r), 0);
	dsc_run_free(r);

	/* 32 services: at the cap, not past it. */
	at = rr_start(b, 2);
	put8(b, 0x0A), put8(b, 2), put8(b, 0x20), put8(b, 0x02), put8(b, 0x24), put8(b, 0x01);
	put16(b, 32);
	for (int i = 0; i < 32; i++)
		put16(b, (uint16_t)(2 + 64 + 4 * i));
	for (int i = 0; i < 32; i++)
		put8(b, 0x32), put8(b, 1), put8(b, 0x24), put8(b, (uint8_t)i);
	rr_finish(b, at);
	r = run_new();
	dsc_parse(r, true, false, b->b, b->n);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_ITEMS_CAPACITY), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "{service=50 instance=31 data_length=0}]"));
	CU_ASSERT_EQUAL(enip_events(r), 0);
	dsc_run_free(r);

	/* A CPF of 10 items: 8 listed, item_count says 10. */
	at = rr_start(b, 10);
	put8(b, 0x0E), put8(b, 2), put8(b, 0x20), put8(b, 0x01), put8(b, 0x24), put8(b, 0x01);
	uint16_t item_len = (uint16_t)(b->n - at - 2);
	set16(b, at, item_len);
	for (int i = 0; i < 8; i++)
		put16(b, 0x8000 + (i & 1)), put16(b, 16), put32(b, 0x12AF0200), put32(b, 0x0100000A), put32(b, 0),
			put32(b, 0);
	set16(b, 2, (uint16_t)(b->n - 24));
	r = run_new();
	res = dsc_parse(r, true, false, b->b, b->n);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_ITEMS_CAPACITY), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "item_count=10 items=[{type=0 length=0} {type=178 length=6} "
						    "{type=32768 length=16 ip=\"10.0.0.1\" port=44818}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "cip_service=14"));
	CU_ASSERT_EQUAL(enip_events(r), 0);
	dsc_run_free(r);

	/* Get_Attribute_List of 40 ids: 32 listed. */
	at = rr_start(b, 2);
	put8(b, 0x03), put8(b, 2), put8(b, 0x20), put8(b, 0x01), put8(b, 0x24), put8(b, 0x01);
	put16(b, 40);
	for (int i = 0; i < 40; i++)
		put16(b, (uint16_t)(i + 1));
	rr_finish(b, at);
	r = run_new();
	dsc_parse(r, true, false, b->b, b->n);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_ITEMS_CAPACITY), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "attribute_count=40 attributes=[1 2 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), " 31 32]"));
	dsc_run_free(r);

	/* A reply with 5 words of additional status: 4 listed, the size says 5. */
	at = rr_start(b, 2);
	put8(b, 0x8E), put8(b, 0), put8(b, 0x01), put8(b, 5);
	for (int i = 0; i < 5; i++)
		put16(b, (uint16_t)(0x100 + i));
	rr_finish(b, at);
	r = run_new();
	dsc_parse(r, false, false, b->b, b->n);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_ITEMS_CAPACITY), 1);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_ENIP_CIP_ERROR_STATUS), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "general_status=1 additional_status_size=5 "
						    "additional_status=[256 257 258 259] data_length=0"));
	dsc_run_free(r);

	/* A route of 6 hops and 5 connection points: 4 of each listed; a tag of 200 characters cut at 128. */
	at = rr_start(b, 2);
	put8(b, 0x0E);
	uint32_t words_at = b->n;
	put8(b, 0);
	uint32_t path = b->n;
	for (int i = 0; i < 6; i++)
		put8(b, 0x01), put8(b, (uint8_t)i);
	for (int i = 0; i < 5; i++)
		put8(b, 0x2C), put8(b, (uint8_t)(100 + i));
	put8(b, 0x91), put8(b, 200);
	for (int i = 0; i < 200; i++)
		put8(b, 'a' + i % 26);
	b->b[words_at] = (uint8_t)((b->n - path) / 2);
	rr_finish(b, at);
	r = run_new();
	dsc_parse(r, true, false, b->b, b->n);
	CU_ASSERT_EQUAL(dsc_events(r, BLD_EVENT_APP_ITEMS_CAPACITY), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(dsc_op(r, 0), "ports=[{port=1 link=0} {port=1 link=1} {port=1 link=2} "
						    "{port=1 link=3}] connection_points=[100 101 102 103] tag=\"abc"));
	const char *tag = strstr(dsc_op(r, 0), "tag=\"");
	CU_ASSERT_PTR_NOT_NULL_FATAL(tag);
	CU_ASSERT_EQUAL(strchr(tag + 5, '"') - (tag + 5), 128);
	CU_ASSERT_EQUAL(enip_events(r), 0);
	dsc_run_free(r);
	free(b);
}

/* Unconnected Send inside Unconnected Send inside ...: decoded to a fixed depth, never unbounded. */
static void test_nesting(void)
{
	struct buf *b = calloc(1, sizeof(*b));
	/* Innermost: Get_Attribute_Single Identity 1/7; wrap it 6 times. */
	uint8_t msg[256], tmp[256];
	uint32_t n = 0;
	msg[n++] = 0x0E, msg[n++] = 3, msg[n++] = 0x20, msg[n++] = 0x01, msg[n++] = 0x24, msg[n++] = 0x01;
	msg[n++] = 0x30, msg[n++] = 0x07;
	for (int k = 0; k < 6; k++) {
		uint32_t m = 0;
		tmp[m++] = 0x52, tmp[m++] = 2, tmp[m++] = 0x20, tmp[m++] = 0x06, tmp[m++] = 0x24, tmp[m++] = 0x01;
		tmp[m++] = 0x06, tmp[m++] = 0x9a, tmp[m++] = (uint8_t)n, tmp[m++] = 0;
		memcpy(tmp + m, msg, n);
		m += n;
		tmp[m++] = 1, tmp[m++] = 0, tmp[m++] = 0x01, tmp[m++] = (uint8_t)k;
		memcpy(msg, tmp, m);
		n = m;
	}
	uint32_t at = rr_start(b, 2);
	memcpy(b->b + b->n, msg, n);
	b->n += n;
	rr_finish(b, at);
	struct dsc_run *r = run_new();
	struct bld_parse_result res = dsc_parse(r, true, false, b->b, b->n);
	CU_ASSERT_EQUAL(res.status, BLD_PARSE_OK);
	CU_ASSERT_EQUAL(r->n_ops, 1);
	/* Two levels of embedded requests are decoded; the third is named, not opened. */
	unsigned embedded = 0;
	for (const char *p = dsc_op(r, 0); (p = strstr(p, "embedded=")) != NULL; p++)
		embedded++;
	CU_ASSERT_EQUAL(embedded, 2);
	CU_ASSERT_EQUAL(r->n_events, 0);
	dsc_run_free(r);
	free(b);
}

/* The probe: what this file changed (probes_test.c holds the rest). */
static void test_probe(void)
{
	static const struct {
		const char *why;
		const char *hex;
		enum bld_probe want;
	} cases[] = {
		{ "a ListIdentity header's first octets", "6300 0000 0000", BLD_PROBE_NEED_MORE },
		{ "one octet", "63", BLD_PROBE_NEED_MORE },
		{ "14 octets of junk (engine_test.c)", "1337 c0de 9942 7e01 f388 5da0 216b", BLD_PROBE_NO },
		{ "a legacy command alone", LEGACY_REQ, BLD_PROBE_NEED_MORE },
		{ "a legacy command's first octets", "0100 0000", BLD_PROBE_NEED_MORE },
		{ "a legacy command then ListServices (EIP-FirmwareChange.pcap frames 10672-10673)",
		  LEGACY_REQ "0400 0000 00000000 00000000 0000000000000000 00000000", BLD_PROBE_MATCH },
		{ "command 0x0061", "6100 0000 00000000 00000000 0000000000000000 00000000", BLD_PROBE_NO },
		{ "class 1 I/O", IO_1, BLD_PROBE_MATCH },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(cases); i++) {
		uint32_t len;
		uint8_t *b = bld_test_hex(cases[i].hex, &len);
		enum bld_probe r = bld_dsc_enip.probe(b, len, true);
		if (r != cases[i].want)
			fprintf(stderr, "\n    %s: %d, want %d\n", cases[i].why, r, cases[i].want);
		CU_ASSERT_EQUAL(r, cases[i].want);
		free(b);
	}
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "ListIdentity request and reply, paired by sender context", test_list_identity },
		{ "ListIdentity over UDP: broadcast replies, trailing bytes, truncation", test_list_identity_datagram },
		{ "legacy command, ListServices, ListInterfaces, session handle checks", test_session_and_lists },
		{ "SendRRData Get_Attribute_Single with 16-bit class and instance", test_get_attribute_single },
		{ "CIP error status", test_cip_error_status },
		{ "Unconnected Send: embedded request, route, router failure", test_unconnected_send },
		{ "Forward Open and Forward Close", test_forward_open_close },
		{ "Large Forward Open: port link address, electronic key, 32-bit instance", test_large_forward_open },
		{ "connected Multiple Service Packet of tags, paired by sequence count", test_msp_tags },
		{ "Read Tag and Write Tag with array members", test_read_write_tag },
		{ "class 1 I/O on UDP 2222", test_io },
		{ "several messages per segment, one split across two", test_stream },
		{ "every prefix of every fixture is incomplete", test_truncations },
		{ "lost framing: impossible length, garbage header", test_framing_errors },
		{ "framed but wrong: each corruption and its event", test_corruptions },
		{ "pairing: unmatched, out of order, wrong command, capacity", test_pairing },
		{ "caps: services, items, attributes, route, tag", test_caps },
		{ "nested Unconnected Send is bounded", test_nesting },
		{ "probe: short payloads, legacy commands", test_probe },
	};
	return bld_test_run("enip", tests, BLD_TEST_COUNT(tests));
}
