/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for --ops and --events lines (export/op_json.c): exact output,
 * escaping of whatever bytes a device sent, and validity as JSON (jansson
 * parses every line back); alert lines of alerts that concern no flow.
 */
#include <jansson.h>

#include "bld_test.h"
#include "op_json.h"
#include "syslog_format.h"

static struct bld_op op;

static struct bld_op *begin(enum bld_op_dir dir)
{
	static const struct bld_dissector dsc = { .name = "modbus" };
	static struct bld_parse_ctx pc;
	pc = (struct bld_parse_ctx){ .dsc = &dsc, .ts_ns = 1715666400123456789ull, .to_server = true, .op = &op };
	return bld_op_begin(&pc, dir);
}

static const struct bld_endpoints ep = {
	.flow_id = 7, .src = "10.10.0.11", .dst = "10.10.1.12", .src_port = 50432, .dst_port = 502, .has_ports = true,
};

/* The op's line (static buffer), checked to parse as one JSON object. */
static const char *line(void)
{
	static char buf[1 << 18];
	FILE *m = fmemopen(buf, sizeof(buf), "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(bld_op_write_json(m, &ep, &op), 0);
	fclose(m);
	json_error_t err;
	json_t *j = json_loads(buf, JSON_DECODE_INT_AS_REAL, &err); /* jansson's integers stop at INT64_MAX */
	if (!j)
		fprintf(stderr, "\n    not JSON (%s): %.300s", err.text, buf);
	CU_ASSERT_PTR_NOT_NULL(j);
	json_decref(j);
	return buf;
}

static void test_exact_line(void)
{
	struct bld_op *o = begin(BLD_OP_RESPONSE);
	op.has_response_time = true;
	op.response_time_ns = 2114999;
	bld_op_uint(o, "transaction", 41);
	bld_op_int(o, "delta", -5);
	bld_op_bool(o, "more", true);
	bld_op_list(o, "values");
	bld_op_uint(o, NULL, 1200);
	bld_op_uint(o, NULL, 0);
	bld_op_end(o);
	bld_op_list(o, "objects");
	bld_op_object(o, NULL);
	bld_op_hex(o, "raw", "\x0a\xff", 2);
	bld_op_end(o);
	bld_op_end(o);
	bld_op_real32(o, "value", 0.1f);
	CU_ASSERT_STRING_EQUAL(line(),
			       "{\"ts\":\"2024-05-14T06:00:00.123456Z\",\"flow_id\":7,\"src_ip\":\"10.10.0.11\","
			       "\"src_port\":50432,\"dst_ip\":\"10.10.1.12\",\"dst_port\":502,\"proto\":\"modbus\","
			       "\"dir\":\"response\",\"response_time_us\":2114,\"modbus\":{\"transaction\":41,"
			       "\"delta\":-5,\"more\":true,\"values\":[1200,0],\"objects\":[{\"raw\":\"0aff\"}],"
			       "\"value\":0.1}}\n");
}

static void test_escaping(void)
{
	struct bld_op *o = begin(BLD_OP_REQUEST);
	/* quote, backslash, newline, tab, a control byte, valid UTF-8 (é, €), invalid (lone 0xff, cut 0xe2 0x82) */
	static const char name[] = "a\"b\\c\nd\te\x01 \xc3\xa9 \xe2\x82\xac \xff \xe2\x82";
	bld_op_text(o, "product_name", name, sizeof(name) - 1);
	bld_op_real(o, "nan", 0.0 / 0.0);
	bld_op_int(o, "min", INT64_MIN);
	bld_op_uint(o, "max", UINT64_MAX);
	const char *l = line();
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"product_name\":\"a\\\"b\\\\c\\nd\\te\\u0001 \xc3\xa9 \xe2\x82\xac \\u00ff "
					"\\u00e2\\u0082\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"nan\":null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"min\":-9223372036854775808"));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"max\":18446744073709551615"));
}

static void test_full_record_fits(void)
{
	struct bld_op *o = begin(BLD_OP_REQUEST);
	static char junk[BLD_OP_MAX_TEXT];
	memset(junk, 0x01, sizeof(junk)); /* every byte escaped: six bytes each */
	bld_op_text(o, "junk", junk, sizeof(junk));
	bld_op_list(o, "values");
	for (int i = 0; i < 2 * BLD_OP_MAX_FIELDS; i++)
		bld_op_uint(o, NULL, UINT64_MAX);
	bld_op_end(o);
	const char *l = line();
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"truncated\":true"));
	CU_ASSERT_PTR_NULL(strstr(l, "\"cut\""));
}

static void test_event_line(void)
{
	static char buf[4096];
	FILE *m = fmemopen(buf, sizeof(buf), "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(bld_event_write_json(m, &ep, "modbus", BLD_EVENT_MODBUS_EXCEPTION, 1715666400000000000ull), 0);
	fclose(m);
	CU_ASSERT_STRING_EQUAL(buf, "{\"ts\":\"2024-05-14T06:00:00.000000Z\",\"flow_id\":7,\"src_ip\":\"10.10.0.11\","
				    "\"src_port\":50432,\"dst_ip\":\"10.10.1.12\",\"dst_port\":502,\"proto\":\"modbus\","
				    "\"event\":\"modbus.exception\",\"description\":\"an exception response (function "
				    "code with bit 7 set)\"}\n");
}

/* The sensor's own alerts have no flow: the line's envelope is "ts" alone, the other members as ever. */
static const struct {
	struct bld_alert a;
	const char *line;
} flowless[] = {
	{ { .kind = BLD_ALERT_SENSOR_EXPORT_LOSS, .severity = BLD_SEV_HIGH, .action = BLD_ACTION_ALERT,
	    .reason = "alerts for \"siem-a\" lost:\tspool full", .detail = "destination=siem-a path=C:\\spool\n",
	    .count = 12, .first_ns = 1715666400000001000ull, .last_ns = 1715666402123456789ull },
	  "{\"ts\":\"2024-05-14T06:00:02.123456Z\",\"event\":\"sensor.export_loss\",\"severity\":\"high\","
	  "\"action\":\"alert\",\"rule\":null,\"reason\":\"alerts for \\\"siem-a\\\" lost:\\tspool full\",\"count\":12,"
	  "\"first_seen\":\"2024-05-14T06:00:00.000001Z\",\"last_seen\":\"2024-05-14T06:00:02.123456Z\","
	  "\"detail\":\"destination=siem-a path=C:\\\\spool\\n\"}\n" },
	{ { .kind = BLD_ALERT_SENSOR_EXPORT_RATE, .severity = BLD_SEV_MEDIUM, .action = BLD_ACTION_ALERT,
	    .reason = "1234 alerts over the --syslog-rate cap were not sent",
	    .detail = "suppressed=1234 cap=100 op.not_allowed=1200 flow.not_allowed=34", .count = 1234,
	    .first_ns = 1715666400000000000ull, .last_ns = 1715666400999999000ull },
	  "{\"ts\":\"2024-05-14T06:00:00.999999Z\",\"event\":\"sensor.export_rate\",\"severity\":\"medium\","
	  "\"action\":\"alert\",\"rule\":null,\"reason\":\"1234 alerts over the --syslog-rate cap were not sent\","
	  "\"count\":1234,\"first_seen\":\"2024-05-14T06:00:00.000000Z\",\"last_seen\":\"2024-05-14T06:00:00.999999Z\","
	  "\"detail\":\"suppressed=1234 cap=100 op.not_allowed=1200 flow.not_allowed=34\"}\n" },
	/* no detail: no "detail" member, as for any alert */
	{ { .kind = BLD_ALERT_SENSOR_EXPORT_RATE, .severity = BLD_SEV_LOW, .action = BLD_ACTION_ALERT,
	    .reason = "", .detail = "", .count = 0, .first_ns = 0, .last_ns = 0 },
	  "{\"ts\":\"1970-01-01T00:00:00.000000Z\",\"event\":\"sensor.export_rate\",\"severity\":\"low\","
	  "\"action\":\"alert\",\"rule\":null,\"reason\":\"\",\"count\":0,\"first_seen\":\"1970-01-01T00:00:00.000000Z\","
	  "\"last_seen\":\"1970-01-01T00:00:00.000000Z\"}\n" },
};

static void test_flowless_alert(void)
{
	static const char *const flow_keys[] = { "flow_id", "src_ip", "dst_ip", "src_mac", "dst_mac", "src_port",
						 "dst_port", "proto", "src_host", "dst_host", "op" };
	for (size_t i = 0; i < BLD_TEST_COUNT(flowless); i++) {
		static char buf[4096], one[4096];
		const struct bld_alert *a = &flowless[i].a;
		FILE *m = fmemopen(buf, sizeof(buf), "w");
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_EQUAL(bld_alert_write_json(m, a), 0);
		fclose(m);
		CU_ASSERT_STRING_EQUAL(buf, flowless[i].line);
		if (strcmp(buf, flowless[i].line) != 0)
			fprintf(stderr, "\n    got  %s    want %s", buf, flowless[i].line);
		/* bld_alert_json: the same line without its newline, snprintf's contract */
		size_t n = strlen(flowless[i].line) - 1;
		CU_ASSERT_EQUAL(bld_alert_json(a, one, sizeof(one)), n);
		CU_ASSERT(strlen(one) == n && memcmp(one, flowless[i].line, n) == 0);
		CU_ASSERT_EQUAL(bld_alert_json(a, NULL, 0), n);
		json_error_t err;
		json_t *j = json_loads(buf, 0, &err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(j);
		for (size_t k = 0; k < BLD_TEST_COUNT(flow_keys); k++)
			CU_ASSERT_PTR_NULL(json_object_get(j, flow_keys[k]));
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "event")), bld_alert_kind_names[a->kind]);
		CU_ASSERT(json_is_null(json_object_get(j, "rule")));
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "reason")), a->reason);
		CU_ASSERT_EQUAL((uint64_t)json_integer_value(json_object_get(j, "count")), a->count);
		if (a->detail[0]) {
			CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "detail")), a->detail);
		} else {
			CU_ASSERT_PTR_NULL(json_object_get(j, "detail"));
		}
		json_decref(j);
	}
	/* the endpoints of an alert without a flow: none, and no host names even if the alert has some */
	struct bld_alert a = flowless[0].a;
	a.client_host = "hmi";
	a.server_host = "plc";
	a.to_server = true;
	struct bld_endpoints e;
	memset(&e, 0xa5, sizeof(e));
	const char *sh = "x", *dh = "x";
	bld_alert_endpoints(&a, &e, &sh, &dh);
	CU_ASSERT(e.no_flow && !e.l2 && !e.has_ports && e.flow_id == 0 && e.src_port == 0 && e.dst_port == 0);
	CU_ASSERT(e.src[0] == 0 && e.dst[0] == 0);
	CU_ASSERT_PTR_NULL(sh);
	CU_ASSERT_PTR_NULL(dh);
	/* with a flow: not no_flow */
	const struct bld_policy_flow f = { .flow_id = 5, .family = 4, .client_ip = { 10, 0, 0, 1 },
					   .server_ip = { 10, 0, 0, 2 }, .app = "modbus" };
	a.flow = &f;
	bld_alert_endpoints(&a, &e, &sh, &dh);
	CU_ASSERT(!e.no_flow && e.flow_id == 5);
	CU_ASSERT_STRING_EQUAL(e.src, "10.0.0.1");
	CU_ASSERT_STRING_EQUAL(sh, "hmi");
	/* an event line given no_flow endpoints: the envelope is "ts" alone there too */
	static char buf[1024];
	FILE *m = fmemopen(buf, sizeof(buf), "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	const struct bld_endpoints none = { .no_flow = true };
	CU_ASSERT_EQUAL(bld_event_write_json(m, &none, "modbus", BLD_EVENT_MODBUS_EXCEPTION, 1715666400000000000ull), 0);
	fclose(m);
	CU_ASSERT_STRING_EQUAL(buf, "{\"ts\":\"2024-05-14T06:00:00.000000Z\",\"event\":\"modbus.exception\","
				    "\"description\":\"an exception response (function code with bit 7 set)\"}\n");
}

/* A live capture port: named right after flow_id in the --events line and in every syslog format. */
static void test_capture_port(void)
{
	struct bld_policy_flow f = { .flow_id = 9, .port = "net_pcap0", .family = 4, .client_ip = { 10, 10, 0, 66 },
				     .server_ip = { 10, 10, 1, 12 }, .client_port = 41038, .server_port = 502,
				     .has_ports = true, .l4 = 6, .app = "modbus" };
	struct bld_alert a = { .kind = BLD_ALERT_FLOW_NOT_ALLOWED, .severity = BLD_SEV_HIGH, .reason = "r", .flow = &f,
			       .to_server = true, .first_ns = 1715666400000000000ull, .last_ns = 1715666400000000000ull,
			       .count = 1 };
	char buf[4096];
	bld_alert_json(&a, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"flow_id\":9,\"port\":\"net_pcap0\",\"src_ip\""));
	static const struct {
		enum bld_syslog_format f;
		const char *want;
	} formats[] = {
		{ BLD_SYSLOG_RFC5424, " flow_id=\"9\" port=\"net_pcap0\" src_ip=" },
		{ BLD_SYSLOG_RFC3164, " proto=modbus port=net_pcap0 count=" },
		{ BLD_SYSLOG_CEF, " cn1=9 deviceInboundInterface=net_pcap0" },
		{ BLD_SYSLOG_JSON, "\"flow_id\":9,\"port\":\"net_pcap0\"," },
	};
	for (size_t i = 0; i < BLD_TEST_COUNT(formats); i++) {
		bld_syslog_format(formats[i].f, NULL, &a, buf, sizeof(buf));
		if (!strstr(buf, formats[i].want))
			fprintf(stderr, "\n    %s: no '%s' in %s", bld_syslog_format_names[formats[i].f], formats[i].want, buf);
		CU_ASSERT_PTR_NOT_NULL(strstr(buf, formats[i].want));
	}
	f.port = NULL;   /* bollard read: no port named anywhere */
	bld_alert_json(&a, buf, sizeof(buf));
	CU_ASSERT_PTR_NULL(strstr(buf, "\"port\""));
	bld_syslog_format(BLD_SYSLOG_CEF, NULL, &a, buf, sizeof(buf));
	CU_ASSERT_PTR_NULL(strstr(buf, "deviceInboundInterface"));
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "an exact line", test_exact_line },
		{ "escaping device bytes; nan, extremes", test_escaping },
		{ "the largest record fits", test_full_record_fits },
		{ "an event line", test_event_line },
		{ "alert lines without a flow (sensor.export_*)", test_flowless_alert },
		{ "the capture port in every format", test_capture_port },
	};
	return bld_test_run("export/op_json", tests, BLD_TEST_COUNT(tests));
}
