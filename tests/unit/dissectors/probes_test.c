/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the dissector probes (dissectors/<proto>.c), the registry
 * and the CRCs.
 *
 * Each protocol has real PDUs, copied byte for byte from public captures in
 * shared/pcaps (the capture and frame are named on each fixture) or from the
 * standard layouts and the test vectors in shared/reference/rail-protocols.md.
 * Every fixture is probed:
 *   - whole: its own probe says MATCH, and no other probe of the same transport does;
 *   - cut at every length, in a heap block of exactly that length (so a read
 *     past the end is an AddressSanitizer report): no MATCH below the length
 *     the protocol needs to be sure (`min_match`), MATCH from there on (TCP
 *     protocols match on their header because a segment may end anywhere);
 *     every probe runs on every cut, whatever it answers, for the bounds;
 *   - corrupted field by field (CRC, lengths, ids, types): NO.
 */
#include "bld_test.h"

#include "crc.h"
#include "registry.h"

struct fixture {
	const char *name;
	enum bld_proto proto;
	const char *hex;
	uint32_t min_match; /* shortest prefix that may (and must) MATCH */
};

/* ---- fixtures -------------------------------------------------------------- */

static const struct fixture fixtures[] = {
	{ "modbus read holding registers request (ndpi/modbus.pcap frame 1)", BLD_PROTO_MODBUS,
	  "00d1"       /* MBAP transaction id */
	  "0000"       /* protocol id: Modbus */
	  "0006"       /* length: unit id + PDU = 6 */
	  "01"         /* unit id */
	  "03"         /* fc 3 read holding registers */
	  "0001 0001", /* start address 1, quantity 1 */
	  12 },
	{ "modbus read holding registers response (ndpi/modbus.pcap frame 2)", BLD_PROTO_MODBUS,
	  "00d1 0000 0005 01" /* MBAP, length 5 */
	  "03 02 0000",       /* fc 3, byte count 2, register value 0 */
	  11 },
	{ "dnp3 response header + 1 data block (ndpi/dnp3.pcap frame 10)", BLD_PROTO_DNP3,
	  "0564"         /* start */
	  "0a"           /* length: ctrl + addresses + 5 user data octets */
	  "44"           /* control: DIR=0 PRM=1 unconfirmed user data */
	  "0300"         /* destination 3 (LE) */
	  "0400"         /* source 4 (LE) */
	  "7cae"         /* header CRC-16/DNP 0xAE7C (LE) */
	  "e6 f7 8210 00" /* transport FIR FIN seq 38 | app ctrl | fc 0x82 unsolicited | IIN */
	  "4fbd",        /* block CRC 0xBD4F */
	  10 },
	{ "iec104 S-format (ndpi/IEC104.pcap frame 3)", BLD_PROTO_IEC104,
	  "68 04"       /* start, APDU length 4 */
	  "01 00 42b9", /* S format, receive sequence number 0x5CA1 << 1 */
	  6 },
	{ "iec104 U-format STARTDT act (IEC 60870-5-104 §5.3)", BLD_PROTO_IEC104,
	  "68 04 07 00 00 00", 6 },
	{ "iec104 I-format M_ME_TF_1 (ndpi/IEC104.pcap frame 7)", BLD_PROTO_IEC104,
	  "68 19"                     /* start, APDU length 25 */
	  "2c7e 42b9"                 /* I format: send seq, receive seq */
	  "24 01 0300 1429"           /* ASDU type 36 M_ME_TF_1, VSQ 1, COT 3 spontaneous, CA 0x2914 */
	  "cbb202 cdcc2c3e 00"        /* IOA, short float 0.1687, QDS */
	  "94dc028a230a0b",           /* CP56Time2a */
	  27 },
	{ "s7comm setup communication (ndpi/s7comm.pcap frame 3)", BLD_PROTO_S7COMM,
	  "03 00 0019"                /* TPKT v3, length 25 */
	  "02 f0 80"                  /* COTP LI 2, DT, EOT */
	  "32 01 0000 0200 0008 0000" /* S7 protocol id 0x32, job, reserved, PDU ref, param len 8, data len 0 */
	  "f0 00 0001 0001 01e0",     /* setup communication, AmQ 1/1, PDU length 480 */
	  8 },
	{ "s7comm-plus response (ndpi/s7comm-plus.pcap frame 17)", BLD_PROTO_S7COMM_PLUS,
	  "03 00 001f"                /* TPKT v3, length 31 */
	  "02 f0 80"                  /* COTP DT */
	  "72 02 0010"                /* S7comm-plus protocol id 0x72, version 2, data length 16 */
	  "32 0000 0542 0000 0002 34 00000000 0000" /* response, function 0x0542, seq 2 ... */
	  "72 02 0000",               /* trailer */
	  8 },
	{ "enip ListIdentity request (iti/EthernetIP/enip_test.pcap frame 6)", BLD_PROTO_ENIP,
	  "6300"             /* command ListIdentity (LE) */
	  "0000"             /* length 0 */
	  "00000000"         /* session handle */
	  "00000000"         /* status */
	  "c1debed100000000" /* sender context */
	  "00000000",        /* options */
	  24 },
	{ "enip class 1 I/O, UDP 2222 CPF (ndpi/cip_io.pcap frame 1)", BLD_PROTO_ENIP,
	  "0200"                      /* item count 2 */
	  "0280 0800 787b3a00 e8cb5e04" /* sequenced address item 0x8002, len 8: connection id, sequence */
	  "b100 0c00"                 /* connected data item 0x00B1, len 12 */
	  "0300 fdffffffffffffff0000", /* CIP sequence count 3, I/O data */
	  30 },
	{ "opcua HEL (ndpi/opc-ua.pcap frame 5)", BLD_PROTO_OPCUA,
	  "48454c 46"          /* "HEL" "F" */
	  "38000000"           /* message size 56 (LE) */
	  "00000000"           /* protocol version 0 */
	  "00000200 00000200"  /* receive / send buffer size 131072 */
	  "00000040 00800000"  /* max message size, max chunk count */
	  "18000000"           /* endpoint URL length 24 */
	  "6f70632e7463703a2f2f6c6f63616c686f73743a34383430", /* "opc.tcp://localhost:4840" */
	  8 },
	{ "rasta heartbeat, no safety code (railway-ccs/dumps/rasta_from_standard.pcapng frame 1)", BLD_PROTO_RASTA,
	  "2400 0000 01000000" /* RedL: length 36, reserve 0, sequence 1 */
	  "1c00 4c18"          /* SafRetL: length 28, type 6220 heartbeat */
	  "3fb49600 ceca2300"  /* receiver, sender */
	  "56443322 66554433"  /* SN, CS */
	  "57010000 cb000000", /* TS, CTS */
	  36 },
	{ "rasta heartbeat, lower-half MD4 (railway-ccs/dumps/rasta_from_standard.pcapng frame 2)", BLD_PROTO_RASTA,
	  "2c00 0000 01000000" /* RedL: length 44 */
	  "2400 4c18"          /* SafRetL: length 36 = 28 + 8 */
	  "3fb49600 ceca2300 56443322 66554433 57010000 cb000000"
	  "83f0d052406bf492",  /* safety code */
	  44 },
	{ "rasta heartbeat, full MD4 (railway-ccs/dumps/rasta_from_standard.pcapng frame 3)", BLD_PROTO_RASTA,
	  "3400 0000 01000000" /* RedL: length 52 */
	  "2c00 4c18"          /* SafRetL: length 44 = 28 + 16 */
	  "3fb49600 ceca2300 56443322 66554433 57010000 cb000000"
	  "92305fd7d0611261be7b28a80760c61f",
	  52 },
	{ "rasta heartbeat + CRC option B (rail-protocols.md §1.9)", BLD_PROTO_RASTA,
	  "3000 0000 07000000" /* RedL: length 48, reserve 0, sequence 7 */
	  "2400 4c18 60000000 61000000 01000000 00000000 e8030000 00000000" /* SafRetL HB 36 */
	  "a2a36df716b9a308"   /* lower-half MD4 */
	  "8ef06e3b",          /* RedL check code, CRC option B, LE */
	  48 },
	{ "trdp PD test vector (rail-protocols.md §3.4)", BLD_PROTO_TRDP,
	  "00000001"         /* sequence counter */
	  "0100"             /* protocol version 1.0 */
	  "5064"             /* 'Pd' */
	  "000003e8"         /* comId 1000 */
	  "00000000 00000000" /* etbTopoCnt, opTrnTopoCnt */
	  "00000004"         /* datasetLength 4 */
	  "00000000"         /* reserved */
	  "00000000 00000000" /* replyComId, replyIpAddress */
	  "c55d408a"         /* header FCS 0x8A405DC5, little-endian */
	  "deadbeef",
	  44 },
	{ "trdp PD 'Hello World' (ndpi/trdp.pcapng frame 13)", BLD_PROTO_TRDP,
	  "00000000 0100 5064 00000000 00000000 00000000"
	  "00000018"         /* datasetLength 24 */
	  "00000000 00000000 00000000"
	  "ce487aea"         /* header FCS */
	  "48656c6c6f20576f726c6400000000000000000000000000",
	  64 },
	{ "trdp MD reply 'Mp' (ndpi/trdp.pcapng frame 12)", BLD_PROTO_TRDP,
	  "00000000 0100 4d70" /* seq, version, 'Mp' */
	  "000003e9 00000000 00000000"
	  "00000011"           /* datasetLength 17 */
	  "00000000"           /* replyStatus */
	  "51d8f2e65bc811ef98daf02f74ad43f5" /* sessionId */
	  "00000000"           /* replyTimeout */
	  "746573745f6d6453696e676c6500000000000000000000000000000000000000" /* sourceURI "test_mdSingle" */
	  "0000000000000000000000000000000000000000000000000000000000000000"   /* destinationURI */
	  "ce14dcc3"           /* header FCS */
	  "49276d2066696e652c207468616e782100000000", /* "I'm fine, thanx!" + padding */
	  116 },
	{ "euroradio ALE AU1 (Subset-098 Table 14 header, its CRC; user data built to §6.2.5)", BLD_PROTO_EURORADIO,
	  "001e"        /* length 30: what follows these 2 bytes */
	  "01 1a"       /* version 1, application type 0x1A */
	  "0000"        /* T-sequence 0 (AU1) */
	  "01 01"       /* N/R normal, packet type 1 AU1 */
	  "1089"        /* CRC-16/CCITT-FALSE of the 8 bytes before */
	  "02 000001"   /* calling ETCS-ID: type 2 engine, id 1 */
	  "01 000002"   /* called ETCS-ID: type 1 RBC, id 2 */
	  "01"          /* class of service */
	  "42 000001 01 0102030405060708", /* AU1 SaPDU: ETY engine MTI 1 DF 0, SA, SaF 1, R_B */
	  10 },
	{ "goose (iti/IEC61850/GOOSE/GOOSE_DEMO.pcap, after ethertype 0x88B8)", BLD_PROTO_GOOSE,
	  "2000"           /* APPID */
	  "006c"           /* length 108, from APPID on */
	  "0000 0000"      /* reserved 1, reserved 2 */
	  "61 62"          /* goosePdu [APPLICATION 1], length 98 */
	  "80 03 313131"   /* gocbRef "111" */
	  "81 05 0000002710" /* timeAllowedtoLive 10000 */
	  "82 03 323232"   /* datSet "222" */
	  "83 03 333333"   /* goID "333" */
	  "84 08 4ddda51adbe76d00" /* t */
	  "85 05 0000000001" /* stNum 1 */
	  "86 05 0000000001" /* sqNum 1 */
	  "87 01 00"       /* simulation false */
	  "88 05 0000000001" /* confRev 1 */
	  "89 01 00"       /* ndsCom false */
	  "8a 05 000000000a" /* numDatSetEntries 10 */
	  "ab 1e 830100 830100 830100 830100 830100 830100 830100 830100 830100 830100", /* allData: 10 x false */
	  108 },
};

/* ---- helpers ------------------------------------------------------------------ */

static enum bld_probe probe(enum bld_proto p, const uint8_t *data, uint32_t len, bool to_server)
{
	return bld_dissectors[p]->probe(data, len, to_server);
}

/* Probe a copy of the first len bytes in a block of exactly len bytes. */
static enum bld_probe probe_exact(enum bld_proto p, const uint8_t *data, uint32_t len)
{
	uint8_t *b = bld_test_dup(data, len);
	enum bld_probe r = probe(p, b, len, true);
	enum bld_probe r2 = probe(p, b, len, false);
	free(b);
	CU_ASSERT_EQUAL(r, r2); /* no probe here depends on the direction */
	return r;
}

static const char *probe_name(enum bld_probe r)
{
	return r == BLD_PROBE_MATCH ? "MATCH" : r == BLD_PROBE_NEED_MORE ? "NEED_MORE" : r == BLD_PROBE_NO ? "NO" : "?";
}

#define EXPECT_PROBE(p, data, len, want)                                                                     \
	do {                                                                                                 \
		enum bld_probe got_ = probe_exact((p), (data), (len));                                        \
		if (got_ != (want))                                                                           \
			fprintf(stderr, "\n    %s:%d: %s probe on %u bytes: %s, want %s\n", __FILE__, __LINE__, \
				bld_dissectors[p]->name, (unsigned)(len), probe_name(got_), probe_name(want)); \
		CU_ASSERT_EQUAL(got_, (want));                                                                \
	} while (0)

static uint8_t *fixture_bytes(const char *name_prefix, uint32_t *len)
{
	for (size_t i = 0; i < BLD_TEST_COUNT(fixtures); i++)
		if (strncmp(fixtures[i].name, name_prefix, strlen(name_prefix)) == 0)
			return bld_test_hex(fixtures[i].hex, len);
	fprintf(stderr, "no fixture '%s'\n", name_prefix);
	abort();
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* ---- tests --------------------------------------------------------------------- */

static void test_crc(void)
{
	static const uint8_t check[] = "123456789";
	CU_ASSERT_EQUAL(bld_crc16_dnp(check, 9), 0xEA82);          /* CRC-16/DNP check value */
	CU_ASSERT_EQUAL(bld_crc32_ieee(check, 9), 0xCBF43926u);    /* CRC-32 check value */
	CU_ASSERT_EQUAL(bld_crc16_dnp(check, 0), 0xFFFF);          /* init 0, xorout 0xFFFF */
	CU_ASSERT_EQUAL(bld_crc32_ieee(check, 0), 0);
	/* RaSTA's check code options B-E and EuroRadio's ALE CRC (rail-protocols.md §1.2, §4.2) */
	CU_ASSERT_EQUAL(bld_crc32_rasta_b(check, 9), 0x0E7C650Au);
	CU_ASSERT_EQUAL(bld_crc32c(check, 9), 0xE3069283u);
	CU_ASSERT_EQUAL(bld_crc16_kermit(check, 9), 0x2189);
	CU_ASSERT_EQUAL(bld_crc16_arc(check, 9), 0xBB3D);
	CU_ASSERT_EQUAL(bld_crc16_ccitt_false(check, 9), 0x29B1);
	/* the five ALE header vectors of Subset-098 Table 14 */
	static const struct {
		uint8_t h[8];
		uint16_t crc;
	} ale[] = {
		{ { 0x00, 0x1E, 0x01, 0x1A, 0x00, 0x00, 0x01, 0x01 }, 0x1089 },
		{ { 0x00, 0x21, 0x01, 0x1A, 0x00, 0x00, 0x01, 0x02 }, 0xF38E },
		{ { 0x00, 0x11, 0x01, 0x1A, 0x00, 0x01, 0x01, 0x03 }, 0x8D12 },
		{ { 0x00, 0x2A, 0x01, 0x1A, 0x00, 0x02, 0x01, 0x03 }, 0xC6E0 },
		{ { 0x00, 0x0B, 0x01, 0x1A, 0x00, 0x03, 0x01, 0x04 }, 0x57A0 },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(ale); i++)
		CU_ASSERT_EQUAL(bld_crc16_ccitt_false(ale[i].h, 8), ale[i].crc);

	/* The CRCs carried by the fixtures above. */
	uint32_t len;
	uint8_t *b = fixture_bytes("dnp3", &len);
	CU_ASSERT_EQUAL(bld_crc16_dnp(b, 8), 0xAE7C);
	CU_ASSERT_EQUAL(bld_crc16_dnp(b + 10, 5), 0xBD4F);
	free(b);
	b = fixture_bytes("trdp PD test vector", &len);
	CU_ASSERT_EQUAL(bld_crc32_ieee(b, 36), 0x8A405DC5u);
	free(b);
}

static void test_registry(void)
{
	static const char *const order[] = { NULL, "dnp3", "rasta", "trdp", "euroradio", "opcua", "enip", "iec104",
					     "s7comm", "s7comm-plus", "modbus", "goose" };
	CU_ASSERT_EQUAL_FATAL(BLD_PROTO_MAX, BLD_TEST_COUNT(order));
	CU_ASSERT_PTR_NULL(bld_dissectors[BLD_PROTO_UNKNOWN]);
	for (int p = 1; p < BLD_PROTO_MAX; p++) {
		const struct bld_dissector *d = bld_dissectors[p];
		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		CU_ASSERT_STRING_EQUAL(d->name, order[p]);
		CU_ASSERT_PTR_NOT_NULL(d->description);
		CU_ASSERT_PTR_NOT_NULL(d->probe);
		CU_ASSERT(d->transports != 0);
		CU_ASSERT_EQUAL((int)bld_registry_find(d->name), p);
		CU_ASSERT_EQUAL((d->transports & BLD_TRANSPORT_L2) != 0, d->ethertype != 0);
	}
	CU_ASSERT_EQUAL(bld_registry_find("modbus"), BLD_PROTO_MODBUS);
	CU_ASSERT_EQUAL(bld_registry_find("s7comm-plus"), BLD_PROTO_S7COMM_PLUS);
	CU_ASSERT_EQUAL(bld_registry_find("Modbus"), BLD_PROTO_UNKNOWN);
	CU_ASSERT_EQUAL(bld_registry_find(""), BLD_PROTO_UNKNOWN);
	CU_ASSERT_EQUAL(bld_registry_find("s7comm-"), BLD_PROTO_UNKNOWN);
	CU_ASSERT_EQUAL(bld_dsc_goose.ethertype, 0x88B8);
	CU_ASSERT_EQUAL(bld_dsc_modbus.ports[0], 502);
	CU_ASSERT_EQUAL(bld_dsc_dnp3.ports[0], 20000);
}

/* Each fixture matches its own probe and no other probe of a transport it shares. */
static void test_fixtures_match(void)
{
	for (size_t i = 0; i < BLD_TEST_COUNT(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];
		uint32_t len;
		uint8_t *b = bld_test_hex(fx->hex, &len);
		enum bld_probe r = probe_exact(fx->proto, b, len);
		if (r != BLD_PROBE_MATCH)
			fprintf(stderr, "\n    %s: %s\n", fx->name, probe_name(r));
		CU_ASSERT_EQUAL(r, BLD_PROBE_MATCH);
		for (int p = 1; p < BLD_PROTO_MAX; p++) {
			if (p == (int)fx->proto || !(bld_dissectors[p]->transports & bld_dissectors[fx->proto]->transports))
				continue;
			r = probe_exact((enum bld_proto)p, b, len);
			if (r == BLD_PROBE_MATCH)
				fprintf(stderr, "\n    %s also matches %s\n", fx->name, bld_dissectors[p]->name);
			CU_ASSERT_NOT_EQUAL(r, BLD_PROBE_MATCH);
		}
		free(b);
	}
}

/* Every cut of every fixture: no MATCH below min_match, MATCH from there; every probe in bounds. */
static void test_truncations(void)
{
	for (size_t i = 0; i < BLD_TEST_COUNT(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];
		uint32_t len;
		uint8_t *b = bld_test_hex(fx->hex, &len);
		CU_ASSERT_FATAL(fx->min_match <= len);
		for (uint32_t n = 0; n <= len; n++) {
			enum bld_probe r = probe_exact(fx->proto, b, n);
			CU_ASSERT(r == BLD_PROBE_NO || r == BLD_PROBE_NEED_MORE || r == BLD_PROBE_MATCH);
			enum bld_probe want = n >= fx->min_match ? BLD_PROBE_MATCH : r == BLD_PROBE_MATCH ? BLD_PROBE_NO : r;
			if (r != want)
				fprintf(stderr, "\n    %s cut to %u bytes: %s\n", fx->name, n, probe_name(r));
			CU_ASSERT_EQUAL(r, want);
			/* Every other probe on the same cut: any answer, but within bounds (ASan). */
			for (int p = 1; p < BLD_PROTO_MAX; p++)
				(void)probe_exact((enum bld_proto)p, b, n);
		}
		free(b);
	}
}

/* Nothing is no protocol: an empty payload (a pure ACK, an empty datagram) never matches. */
static void test_empty(void)
{
	uint8_t *b = malloc(1);
	for (int p = 1; p < BLD_PROTO_MAX; p++) {
		enum bld_probe r = probe((enum bld_proto)p, b, 0, true);
		if (r == BLD_PROBE_MATCH)
			fprintf(stderr, "\n    %s matches an empty payload\n", bld_dissectors[p]->name);
		CU_ASSERT_NOT_EQUAL(r, BLD_PROBE_MATCH);
		CU_ASSERT_NOT_EQUAL(probe((enum bld_proto)p, NULL, 0, false), BLD_PROBE_MATCH);
	}
	free(b);
}

/* Where a cut says "could be", it must say NEED_MORE, so the flow keeps its candidate. */
static void test_need_more(void)
{
	uint32_t len;
	uint8_t *b = fixture_bytes("dnp3", &len);
	EXPECT_PROBE(BLD_PROTO_DNP3, b, 0, BLD_PROBE_NO);
	EXPECT_PROBE(BLD_PROTO_DNP3, b, 1, BLD_PROBE_NO);
	for (uint32_t n = 2; n < 10; n++)
		EXPECT_PROBE(BLD_PROTO_DNP3, b, n, BLD_PROBE_NEED_MORE); /* start octets seen, header CRC not yet */
	free(b);

	b = fixture_bytes("modbus read holding registers request", &len);
	for (uint32_t n = 8; n < 12; n++)
		EXPECT_PROBE(BLD_PROTO_MODBUS, b, n, BLD_PROBE_NEED_MORE); /* MBAP seen, PDU continues */
	free(b);

	b = fixture_bytes("iec104 I-format", &len);
	for (uint32_t n = 1; n < len; n++)
		EXPECT_PROBE(BLD_PROTO_IEC104, b, n, BLD_PROBE_NEED_MORE);
	free(b);

	b = fixture_bytes("s7comm setup", &len);
	for (uint32_t n = 1; n < 8; n++)
		EXPECT_PROBE(BLD_PROTO_S7COMM, b, n, BLD_PROBE_NEED_MORE);
	free(b);

	b = fixture_bytes("enip ListIdentity", &len);
	for (uint32_t n = 0; n < 24; n++)
		EXPECT_PROBE(BLD_PROTO_ENIP, b, n, BLD_PROBE_NEED_MORE);
	free(b);

	/* COTP connection request / confirm: S7 or MMS or RDP, decided on the first DT. */
	b = bld_test_hex("03 00 0016"  /* TPKT length 22 (ndpi/s7comm.pcap frame 1) */
			 "11 e0"       /* COTP LI 17, CR */
			 "0000 0007 00" /* dst ref, src ref, class 0 */
			 "c1 02 0100 c2 02 0102 c0 01 0a", /* TSAPs, TPDU size */
			 &len);
	EXPECT_PROBE(BLD_PROTO_S7COMM, b, len, BLD_PROBE_NEED_MORE);
	EXPECT_PROBE(BLD_PROTO_S7COMM_PLUS, b, len, BLD_PROBE_NEED_MORE);
	b[5] = 0xd0; /* CC */
	EXPECT_PROBE(BLD_PROTO_S7COMM, b, len, BLD_PROBE_NEED_MORE);
	free(b);
}

static void test_modbus_corrupt(void)
{
	uint32_t len;
	uint8_t *b = fixture_bytes("modbus read holding registers request", &len);
	uint8_t *c = bld_test_dup(b, len);

	c[3] = 0x01; /* protocol id 1 */
	EXPECT_PROBE(BLD_PROTO_MODBUS, c, len, BLD_PROBE_NO);
	memcpy(c, b, len);
	c[2] = 0x80; /* protocol id 0x8000 */
	EXPECT_PROBE(BLD_PROTO_MODBUS, c, len, BLD_PROBE_NO);
	memcpy(c, b, len);
	c[5] = 1;    /* length 1: no room for a function code */
	EXPECT_PROBE(BLD_PROTO_MODBUS, c, len, BLD_PROBE_NO);
	c[5] = 0;
	EXPECT_PROBE(BLD_PROTO_MODBUS, c, len, BLD_PROBE_NO);
	c[4] = 0x01, c[5] = 0xff; /* length 511 */
	EXPECT_PROBE(BLD_PROTO_MODBUS, c, len, BLD_PROBE_NO);
	memcpy(c, b, len);
	/* undefined functions in exact framing: still undecided (a fuzzer talking Modbus), never a match */
	c[7] = 0x00; /* function code 0 */
	EXPECT_PROBE(BLD_PROTO_MODBUS, c, len, BLD_PROBE_NEED_MORE);
	c[7] = 0x29; /* 41: not a Modbus function */
	EXPECT_PROBE(BLD_PROTO_MODBUS, c, len, BLD_PROBE_NEED_MORE);
	c[7] = 0x83; /* exception response to fc 3 */
	EXPECT_PROBE(BLD_PROTO_MODBUS, c, len, BLD_PROBE_MATCH);
	c[7] = 0x5a; /* 90: Schneider UMAS */
	EXPECT_PROBE(BLD_PROTO_MODBUS, c, len, BLD_PROBE_MATCH);
	free(c);
	free(b);

	/* Length bounds: 255 is one too many even with the bytes present; 254 is fine. */
	uint8_t big[6 + 255];
	memset(big, 0, sizeof(big));
	big[5] = 255, big[6] = 1, big[7] = 16;
	EXPECT_PROBE(BLD_PROTO_MODBUS, big, sizeof(big), BLD_PROBE_NO);
	big[5] = 254;
	EXPECT_PROBE(BLD_PROTO_MODBUS, big, 6 + 254, BLD_PROBE_MATCH);
	/* the smallest PDU: unit id + function code */
	b = bld_test_hex("0001 0000 0002 ff 07", &len); /* fc 7 read exception status */
	EXPECT_PROBE(BLD_PROTO_MODBUS, b, len, BLD_PROBE_MATCH);
	free(b);

	/* A wrong length field that frames the rest of the segment as garbage. */
	static const char wmr[] =
		"0001 0000 000f 01"  /* MBAP, length 15 */
		"10 0064 0004 08"    /* fc 16 write multiple registers, address 100, 4 registers, 8 bytes */
		"0001 0002 0003 0004";
	b = bld_test_hex(wmr, &len);
	EXPECT_PROBE(BLD_PROTO_MODBUS, b, len, BLD_PROBE_MATCH);
	b[5] = 0x07; /* length 7: the next "header" would start in the register values */
	EXPECT_PROBE(BLD_PROTO_MODBUS, b, len, BLD_PROBE_NO);
	free(b);

	/* Pipelined PDUs: every one is checked. */
	b = bld_test_hex("00d1 0000 0006 01 03 0001 0001"
			 "00d2 0000 0006 01 04 0001 0002", &len);
	EXPECT_PROBE(BLD_PROTO_MODBUS, b, len, BLD_PROBE_MATCH);
	EXPECT_PROBE(BLD_PROTO_MODBUS, b, 17, BLD_PROBE_MATCH); /* second one cut by the segment end */
	b[15] = 1; /* second protocol id */
	EXPECT_PROBE(BLD_PROTO_MODBUS, b, len, BLD_PROBE_NO);
	b[15] = 0;
	b[19] = 0x64; /* second function code 100: framing exact, the first function defined */
	EXPECT_PROBE(BLD_PROTO_MODBUS, b, len, BLD_PROBE_MATCH);
	b[7] = 0x64; /* both undefined */
	EXPECT_PROBE(BLD_PROTO_MODBUS, b, len, BLD_PROBE_NEED_MORE);
	free(b);
}

static void test_dnp3_corrupt(void)
{
	uint32_t len;
	uint8_t *b = fixture_bytes("dnp3", &len);
	uint8_t *c = bld_test_dup(b, len);

	/* a bad header CRC after valid start octets and length: undecided, the next frame decides */
	c[8] ^= 0x01; /* header CRC */
	EXPECT_PROBE(BLD_PROTO_DNP3, c, len, BLD_PROBE_NEED_MORE);
	memcpy(c, b, len);
	c[5] ^= 0x80; /* a flipped address bit: the CRC no longer matches */
	EXPECT_PROBE(BLD_PROTO_DNP3, c, len, BLD_PROBE_NEED_MORE);
	memcpy(c, b, len);
	c[1] = 0x65; /* start octets */
	EXPECT_PROBE(BLD_PROTO_DNP3, c, len, BLD_PROBE_NO);
	EXPECT_PROBE(BLD_PROTO_DNP3, c, 2, BLD_PROBE_NO);
	memcpy(c, b, len);
	c[2] = 4; /* length below 5, CRC made right again: still not DNP3 (IEEE 1815 §9.2.4.1.2) */
	uint16_t crc = bld_crc16_dnp(c, 8);
	c[8] = (uint8_t)crc, c[9] = (uint8_t)(crc >> 8);
	EXPECT_PROBE(BLD_PROTO_DNP3, c, len, BLD_PROBE_NO);
	c[2] = 5; /* length 5: a header with no user data is fine */
	crc = bld_crc16_dnp(c, 8);
	c[8] = (uint8_t)crc, c[9] = (uint8_t)(crc >> 8);
	EXPECT_PROBE(BLD_PROTO_DNP3, c, 10, BLD_PROBE_MATCH);
	/* CRC stored big-endian by mistake: not a match (undecided, like any bad CRC) */
	c[8] = (uint8_t)(crc >> 8), c[9] = (uint8_t)crc;
	if (c[8] != c[9])
		EXPECT_PROBE(BLD_PROTO_DNP3, c, 10, BLD_PROBE_NEED_MORE);
	free(c);
	free(b);
}

static void test_iec104_corrupt(void)
{
	uint32_t len;
	uint8_t *b;
	static const struct {
		const char *hex;
		enum bld_probe want;
		const char *why;
	} cases[] = {
		{ "67 04 01 00 42 b9", BLD_PROBE_NO, "start octet" },
		{ "68 03 01 00 42 b9", BLD_PROBE_NO, "APDU length 3 < 4" },
		{ "68 05 01 00 42 b9 00", BLD_PROBE_NO, "S format with length 5" },
		{ "68 04 01 01 42 b9", BLD_PROBE_NO, "S format, second control octet not 0" },
		{ "68 04 01 00 43 b9", BLD_PROBE_NO, "S format, receive sequence bit 0 set" },
		{ "68 04 0f 00 00 00", BLD_PROBE_NO, "U format with two functions" },
		{ "68 04 03 00 00 00", BLD_PROBE_NO, "U format with no function" },
		{ "68 04 07 00 01 00", BLD_PROBE_NO, "U format, third octet not 0" },
		{ "68 04 83 00 00 00", BLD_PROBE_MATCH, "U format TESTFR con" },
		{ "68 08 00 00 00 00 01 01 03 00", BLD_PROBE_NO, "I format shorter than an ASDU header" },
		{ "68 04 01 00 42 b9 | 68 04 43 00 00 00", BLD_PROBE_MATCH, "S + U TESTFR act back to back" },
		{ "68 04 01 00 42 b9 | 68 04 0f 00 00 00", BLD_PROBE_NO, "second APDU bad" },
		{ "68 04 01 00 42 b9 | 68 04 07", BLD_PROBE_MATCH, "second APDU cut by the segment end" },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(cases); i++) {
		b = bld_test_hex(cases[i].hex, &len);
		enum bld_probe r = probe_exact(BLD_PROTO_IEC104, b, len);
		if (r != cases[i].want)
			fprintf(stderr, "\n    iec104 %s: %s\n", cases[i].why, probe_name(r));
		CU_ASSERT_EQUAL(r, cases[i].want);
		free(b);
	}
	/*
	 * Text that happens to start with 'h' (0x68), a byte 10..253 and an even
	 * byte reads as start, APDU length and I-format control field.  One such
	 * "APDU" followed by bytes too few for the length they claim is all the
	 * I-format branch asks for: nothing of the ASDU (type id, COT) is looked at.
	 */
	char text[111];
	snprintf(text, sizeof(text), "%-110s", "hello from the maintenance laptop, this is not IEC 104 at all");
	/* 'h' start, 'e' = 101 octets, 'l' even: an "I-format APDU" of 103 bytes, then 7 bytes of text */
	EXPECT_PROBE(BLD_PROTO_IEC104, (const uint8_t *)text, 110, BLD_PROBE_NO);

	/* APDU length 254 > 253 with too few bytes to check it: anything but MATCH. */
	b = bld_test_hex("68 fe 01 00 42 b9", &len);
	CU_ASSERT_NOT_EQUAL(probe_exact(BLD_PROTO_IEC104, b, len), BLD_PROBE_MATCH);
	free(b);
}

static void test_s7_corrupt(void)
{
	uint32_t len;
	uint8_t *b = fixture_bytes("s7comm setup", &len);
	uint8_t *c = bld_test_dup(b, len);

	/* one fixture, the other probe */
	EXPECT_PROBE(BLD_PROTO_S7COMM_PLUS, b, len, BLD_PROBE_NO);
	uint32_t plen;
	uint8_t *plus = fixture_bytes("s7comm-plus", &plen);
	EXPECT_PROBE(BLD_PROTO_S7COMM, plus, plen, BLD_PROBE_NO);
	free(plus);

	static const struct {
		uint32_t at;
		uint8_t v;
		const char *why;
	} cases[] = {
		{ 0, 0x02, "TPKT version 2" },
		{ 1, 0x01, "TPKT reserved not 0" },
		{ 3, 0x06, "TPKT length 6 < 7" },
		{ 4, 0x00, "COTP length indicator 0" },
		{ 4, 0x03, "COTP DT with LI 3" },
		{ 4, 0x15, "COTP LI past the TPKT length" },
		{ 5, 0x80, "COTP type not DT/CR/CC" },
		{ 5, 0xf1, "COTP DT with a stray low bit" },
		{ 7, 0x31, "protocol id 0x31" },
		{ 7, 0x00, "protocol id 0" },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(cases); i++) {
		memcpy(c, b, len);
		c[cases[i].at] = cases[i].v;
		enum bld_probe r = probe_exact(BLD_PROTO_S7COMM, c, len);
		enum bld_probe r2 = probe_exact(BLD_PROTO_S7COMM_PLUS, c, len);
		if (r != BLD_PROBE_NO || r2 != BLD_PROBE_NO)
			fprintf(stderr, "\n    s7 %s: %s / %s\n", cases[i].why, probe_name(r), probe_name(r2));
		CU_ASSERT_EQUAL(r, BLD_PROBE_NO);
		CU_ASSERT_EQUAL(r2, BLD_PROBE_NO);
	}
	free(c);
	free(b);
}

static void test_enip_corrupt(void)
{
	uint32_t len;
	uint8_t *b = fixture_bytes("enip ListIdentity", &len);
	uint8_t *c = bld_test_dup(b, len);
	c[0] = 0x61; /* command 0x0061: not an encapsulation command */
	EXPECT_PROBE(BLD_PROTO_ENIP, c, len, BLD_PROBE_NO);
	memcpy(c, b, len);
	c[1] = 0x01; /* command 0x0163 */
	EXPECT_PROBE(BLD_PROTO_ENIP, c, len, BLD_PROBE_NO);
	memcpy(c, b, len);
	c[20] = 0x01; /* options not 0 */
	EXPECT_PROBE(BLD_PROTO_ENIP, c, len, BLD_PROBE_NO);
	memcpy(c, b, len);
	c[0] = 0x65, c[2] = 0x04; /* RegisterSession with length 4, data in the next segment */
	EXPECT_PROBE(BLD_PROTO_ENIP, c, len, BLD_PROBE_MATCH);
	free(c);
	free(b);

	b = fixture_bytes("enip class 1 I/O", &len);
	c = bld_test_dup(b, len);
	static const struct {
		uint32_t at;
		uint8_t v;
		const char *why;
	} cases[] = {
		{ 0, 0x01, "item count 1" },
		{ 0, 0x00, "item count 0" },
		{ 2, 0x01, "first item 0x8001" },
		{ 4, 0x04, "address item length 4" },
		{ 14, 0xb2, "second item 0x00B2" },
		{ 16, 0x0d, "data item longer than the datagram" },
		{ 17, 0x01, "data item length 0x010c" },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(cases); i++) {
		memcpy(c, b, len);
		c[cases[i].at] = cases[i].v;
		enum bld_probe r = probe_exact(BLD_PROTO_ENIP, c, len);
		if (r != BLD_PROBE_NO)
			fprintf(stderr, "\n    enip I/O %s: %s\n", cases[i].why, probe_name(r));
		CU_ASSERT_EQUAL(r, BLD_PROBE_NO);
	}
	memcpy(c, b, len);
	c[16] = 0x0b; /* data item shorter than what follows: trailing bytes tolerated */
	EXPECT_PROBE(BLD_PROTO_ENIP, c, len, BLD_PROBE_MATCH);
	free(c);
	free(b);
}

static void test_opcua_corrupt(void)
{
	uint32_t len;
	uint8_t *b = fixture_bytes("opcua HEL", &len);
	uint8_t *c = bld_test_dup(b, len);
	static const struct {
		uint32_t at;
		uint8_t v;
		const char *why;
	} cases[] = {
		{ 0, 'h', "lower-case message type" },
		{ 2, 'X', "message type HEX" },
		{ 3, 'Z', "chunk type Z" },
		{ 3, 0, "chunk type NUL" },
		{ 4, 0x07, "message size 7" },
		{ 7, 0x01, "message size 0x01000038 > 16 MiB" },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(cases); i++) {
		memcpy(c, b, len);
		c[cases[i].at] = cases[i].v;
		enum bld_probe r = probe_exact(BLD_PROTO_OPCUA, c, len);
		if (r != BLD_PROBE_NO)
			fprintf(stderr, "\n    opcua %s: %s\n", cases[i].why, probe_name(r));
		CU_ASSERT_EQUAL(r, BLD_PROBE_NO);
	}
	memcpy(c, b, len);
	c[4] = 8, c[5] = 0, c[6] = 0, c[7] = 0; /* 8: the smallest chunk */
	EXPECT_PROBE(BLD_PROTO_OPCUA, c, len, BLD_PROBE_MATCH);
	c[4] = 0, c[5] = 0, c[6] = 0, c[7] = 1; /* exactly 16 MiB */
	EXPECT_PROBE(BLD_PROTO_OPCUA, c, len, BLD_PROBE_MATCH);
	/* every message type OPC 10000-6 §7.1.2.2 lists */
	static const char *const types[] = { "HEL", "ACK", "OPN", "MSG", "CLO", "ERR", "RHE" };
	memcpy(c, b, len);
	for (size_t i = 0; i < BLD_TEST_COUNT(types); i++) {
		memcpy(c, types[i], 3);
		EXPECT_PROBE(BLD_PROTO_OPCUA, c, len, BLD_PROBE_MATCH);
	}
	free(c);
	free(b);
}

static void test_rasta_corrupt(void)
{
	uint32_t len;
	uint8_t *b = fixture_bytes("rasta heartbeat, lower-half", &len);
	uint8_t *c = bld_test_dup(b, len);

	c[0] = 43; /* RedL length one short of the datagram */
	EXPECT_PROBE(BLD_PROTO_RASTA, c, len, BLD_PROBE_NO);
	c[0] = 45; /* one too long */
	EXPECT_PROBE(BLD_PROTO_RASTA, c, len, BLD_PROBE_NO);
	memcpy(c, b, len);
	c[2] = 1;  /* reserve */
	EXPECT_PROBE(BLD_PROTO_RASTA, c, len, BLD_PROBE_NO);
	memcpy(c, b, len);
	c[10] = 0x4d; /* type 6221: unknown */
	EXPECT_PROBE(BLD_PROTO_RASTA, c, len, BLD_PROBE_NO);
	memcpy(c, b, len);
	c[8] = 35; /* SafRetL length 35: leaves a 1-byte check code, and 28+k never makes 35 */
	EXPECT_PROBE(BLD_PROTO_RASTA, c, len, BLD_PROBE_NO);
	c[8] = 34; /* 34: a 2-byte check code would fit, but a heartbeat is 28, 36 or 44 */
	EXPECT_PROBE(BLD_PROTO_RASTA, c, len, BLD_PROBE_NO);
	c[8] = 40; /* longer than RedL allows */
	EXPECT_PROBE(BLD_PROTO_RASTA, c, len, BLD_PROBE_NO);
	c[8] = 0xff, c[9] = 0xff;
	EXPECT_PROBE(BLD_PROTO_RASTA, c, len, BLD_PROBE_NO);
	memcpy(c, b, len);
	c[10] = 0x60; /* type 6240 Data, 36 bytes: a Data PDU with no safety code and a 6-byte message */
	c[36] = 6, c[37] = 0;   /* its [length][message] list: one 6-byte message */
	EXPECT_PROBE(BLD_PROTO_RASTA, c, len, BLD_PROBE_MATCH);
	c[36] = 7;              /* a length running past the data area */
	EXPECT_PROBE(BLD_PROTO_RASTA, c, len, BLD_PROBE_NO);
	free(c);
	free(b);
	b = fixture_bytes("rasta heartbeat, no safety", &len);
	b[10] = 0x60; /* type 6240 Data in 28 bytes: no room for the message length (30 at least) */
	EXPECT_PROBE(BLD_PROTO_RASTA, b, len, BLD_PROBE_NO);
	free(b);

	/* A 1- or 3-byte check code does not exist (options A-E: 0, 2, 4 bytes). */
	uint8_t *hb = fixture_bytes("rasta heartbeat, no safety", &len);
	for (uint32_t extra = 1; extra <= 5; extra++) {
		c = malloc(len + extra);
		memcpy(c, hb, len);
		memset(c + len, 0x5a, extra);
		c[0] = (uint8_t)(len + extra);
		enum bld_probe want = extra == 2 || extra == 4 ? BLD_PROBE_MATCH : BLD_PROBE_NO;
		EXPECT_PROBE(BLD_PROTO_RASTA, c, len + extra, want);
		free(c);
	}
	free(hb);

	/* Data (6240): 28-byte header + one [len][payload] message, no safety code; and a ConnReq. */
	b = bld_test_hex("2800 0000 02000000"     /* RedL length 40 */
			 "2000 6018"              /* SafRetL length 32, type 6240 Data */
			 "60000000 61000000 02000000 01000000 f0030000 e8030000"
			 "0200 abcd",             /* message length 2, payload */
			 &len);
	EXPECT_PROBE(BLD_PROTO_RASTA, b, len, BLD_PROBE_MATCH);
	free(b);
	b = bld_test_hex("3200 0000 00000000"     /* RedL length 50 */
			 "2a00 3818"              /* SafRetL length 42, type 6200 ConnReq */
			 "60000000 61000000 01000000 00000000 e8030000 00000000"
			 "30333033"               /* version "0303" */
			 "1400"                   /* N_SENDMAX 20 */
			 "0000000000000000",      /* reserve */
			 &len);
	EXPECT_PROBE(BLD_PROTO_RASTA, b, len, BLD_PROBE_MATCH);
	b[8] = 43; /* ConnReq lengths are exact */
	b[0] = 51;
	c = malloc(51);
	memcpy(c, b, 50);
	c[50] = 0;
	EXPECT_PROBE(BLD_PROTO_RASTA, c, 51, BLD_PROBE_NO);
	free(c);
	free(b);
}

/* Set the TRDP header FCS of a PD (40) or MD (116) header again after a change. */
static void trdp_seal(uint8_t *p, uint32_t hlen)
{
	put_le32(p + hlen - 4, bld_crc32_ieee(p, hlen - 4));
}

static void test_trdp_corrupt(void)
{
	uint32_t len;
	uint8_t *b = fixture_bytes("trdp PD test vector", &len);
	uint8_t *c = bld_test_dup(b, len);

	c[36] ^= 0x01; /* FCS */
	EXPECT_PROBE(BLD_PROTO_TRDP, c, len, BLD_PROBE_NO);
	memcpy(c, b, len);
	c[39] = 0xc5, c[36] = 0x8a; /* FCS stored big-endian (the trap of rail-protocols.md §3.4) */
	c[37] = 0x40, c[38] = 0x5d;
	EXPECT_PROBE(BLD_PROTO_TRDP, c, len, BLD_PROBE_NO);
	memcpy(c, b, len);
	c[3] = 2;      /* sequence counter changed, FCS not updated */
	EXPECT_PROBE(BLD_PROTO_TRDP, c, len, BLD_PROBE_NO);
	trdp_seal(c, 40); /* ... and updated */
	EXPECT_PROBE(BLD_PROTO_TRDP, c, len, BLD_PROBE_MATCH);

	static const struct {
		uint32_t at;
		uint8_t v;
		const char *why;
	} cases[] = {
		{ 4, 0x02, "protocol version 2.0" },
		{ 4, 0x00, "protocol version 0.x" },
		{ 6, 0x51, "message type 'Qd'" },
		{ 7, 0x66, "message type 'Pf'" },
		{ 6, 0x4d, "message type 'Md' (not an MD type)" },
		{ 23, 0x05, "datasetLength 5, 4 bytes present" },
		{ 20, 0x80, "datasetLength 0x80000004" },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(cases); i++) {
		memcpy(c, b, len);
		c[cases[i].at] = cases[i].v;
		trdp_seal(c, 40);
		enum bld_probe r = probe_exact(BLD_PROTO_TRDP, c, len);
		if (r != BLD_PROBE_NO)
			fprintf(stderr, "\n    trdp %s: %s\n", cases[i].why, probe_name(r));
		CU_ASSERT_EQUAL(r, BLD_PROBE_NO);
	}
	/* the other PD types */
	static const uint8_t pd_types[] = { 0x64, 0x70, 0x72, 0x65 };
	for (size_t i = 0; i < sizeof(pd_types); i++) {
		memcpy(c, b, len);
		c[7] = pd_types[i];
		trdp_seal(c, 40);
		EXPECT_PROBE(BLD_PROTO_TRDP, c, len, BLD_PROBE_MATCH);
	}
	free(c);
	free(b);

	b = fixture_bytes("trdp MD", &len);
	c = bld_test_dup(b, len);
	c[112] ^= 0x80;
	EXPECT_PROBE(BLD_PROTO_TRDP, c, len, BLD_PROBE_NO);
	memcpy(c, b, len);
	c[40] = 'X'; /* sessionId changed: covered by the header FCS */
	EXPECT_PROBE(BLD_PROTO_TRDP, c, len, BLD_PROBE_NO);
	free(c);
	free(b);
}

static void test_goose_corrupt(void)
{
	uint32_t len;
	uint8_t *b = fixture_bytes("goose", &len);
	uint8_t *c = bld_test_dup(b, len);
	c[8] = 0x62; /* not goosePdu */
	EXPECT_PROBE(BLD_PROTO_GOOSE, c, len, BLD_PROBE_NO);
	memcpy(c, b, len);
	c[3] = 8;    /* length 8: no room for the PDU tag */
	EXPECT_PROBE(BLD_PROTO_GOOSE, c, len, BLD_PROBE_NO);
	c[3] = 0x6d; /* longer than the frame */
	EXPECT_PROBE(BLD_PROTO_GOOSE, c, len, BLD_PROBE_NO);
	c[2] = 0x80, c[3] = 0x6c;
	EXPECT_PROBE(BLD_PROTO_GOOSE, c, len, BLD_PROBE_NO);
	free(c);
	/* Ethernet padding after the APPID length is allowed */
	c = malloc(len + 6);
	memcpy(c, b, len);
	memset(c + len, 0, 6);
	EXPECT_PROBE(BLD_PROTO_GOOSE, c, len + 6, BLD_PROBE_MATCH);
	free(c);
	free(b);
}

/* Deterministic pseudo-random garbage (fixed seed): nothing may claim it. */
static void test_garbage(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned matches[BLD_PROTO_MAX] = { 0 };
	for (int round = 0; round < 4000; round++) {
		uint32_t n = 1 + (uint32_t)(round % 160); /* the empty payload has a test of its own */
		uint8_t *b = malloc(n ? n : 1);
		for (uint32_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
			b[i] = (uint8_t)(x >> 24);
		}
		for (int p = 1; p < BLD_PROTO_MAX; p++) {
			if (probe((enum bld_proto)p, b, n, true) != BLD_PROBE_MATCH)
				continue;
			if (!matches[p]++) { /* show the first one */
				fprintf(stderr, "\n    %s matches %u random bytes:", bld_dissectors[p]->name, n);
				for (uint32_t i = 0; i < n && i < 16; i++)
					fprintf(stderr, " %02x", b[i]);
				fprintf(stderr, "%s", n > 16 ? " ..." : "");
			}
		}
		free(b);
	}
	for (int p = 1; p < BLD_PROTO_MAX; p++) {
		if (matches[p])
			fprintf(stderr, "\n    %s matched %u random payloads\n", bld_dissectors[p]->name, matches[p]);
		CU_ASSERT_EQUAL(matches[p], 0);
	}

	/* Constant fills. */
	for (uint32_t n = 1; n <= 64; n++) {
		uint8_t *ff = malloc(n ? n : 1);
		memset(ff, 0xff, n);
		for (int p = 1; p < BLD_PROTO_MAX; p++)
			CU_ASSERT_NOT_EQUAL(probe((enum bld_proto)p, ff, n, true), BLD_PROBE_MATCH);
		free(ff);
	}
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "crc check values", test_crc },
		{ "registry", test_registry },
		{ "fixtures match their own probe only", test_fixtures_match },
		{ "every truncation, every probe in bounds", test_truncations },
		{ "empty payload", test_empty },
		{ "need more on a partial header", test_need_more },
		{ "modbus corruptions", test_modbus_corrupt },
		{ "dnp3 corruptions", test_dnp3_corrupt },
		{ "iec104 corruptions", test_iec104_corrupt },
		{ "s7comm / s7comm-plus corruptions", test_s7_corrupt },
		{ "enip corruptions (TCP and UDP I/O)", test_enip_corrupt },
		{ "opcua corruptions", test_opcua_corrupt },
		{ "rasta corruptions", test_rasta_corrupt },
		{ "trdp corruptions", test_trdp_corrupt },
		{ "goose corruptions", test_goose_corrupt },
		{ "random garbage", test_garbage },
	};
	return bld_test_run("dissectors/probes", tests, BLD_TEST_COUNT(tests));
}
