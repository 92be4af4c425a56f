/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The end-of-run report: protocol totals, industrial conversations, and the
 * findings' thresholds (off-port industrial protocols, port scans), read back
 * from the JSON summary with jansson and from the text summary.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bld_test.h"
#include "report.h"

static struct bld_flow_record tcp_rec(const char *client, const char *server, uint16_t dport, const char *app,
				      const char *state, uint64_t pkts_ts, uint64_t pkts_tc)
{
	struct bld_flow_record r = { 0 };
	snprintf(r.src, sizeof(r.src), "%s", client);
	snprintf(r.dst, sizeof(r.dst), "%s", server);
	snprintf(r.app, sizeof(r.app), "%s", app);
	snprintf(r.l4, sizeof(r.l4), "tcp");
	r.ip_version = 4;
	r.has_ports = 1;
	r.src_port = 40000;
	r.dst_port = dport;
	r.tcp_state = state;
	r.end_reason = "end_of_input";
	r.app_source = "bollard";
	r.pkts_toserver = pkts_ts;
	r.pkts_toclient = pkts_tc;
	r.bytes_toserver = pkts_ts * 60;
	r.bytes_toclient = pkts_tc * 60;
	return r;
}

/* The JSON summary of r, parsed. */
static json_t *summary_json(const struct bld_report *r)
{
	struct bld_engine_stats s = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(bld_report_print_json(r, &s, f), 0);
	fclose(f);
	json_error_t err;
	json_t *o = json_loads(buf, 0, &err);
	if (!o)
		fprintf(stderr, "\n    bad JSON: %s\n%s\n", err.text, buf);
	free(buf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	return o;
}

static char *summary_text(const struct bld_report *r)
{
	struct bld_engine_stats s = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	bld_report_print_text(r, &s, f);
	fclose(f);
	return buf;
}

static void test_protocols_and_conversations(void)
{
	struct bld_report *r = bld_report_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (int i = 0; i < 3; i++) { /* three flows of one conversation */
		struct bld_flow_record rec = tcp_rec("10.0.0.1", "10.0.1.1", 502, "modbus", "established", 10, 10);
		bld_report_flow(r, &rec);
	}
	struct bld_flow_record other = tcp_rec("10.0.0.2", "10.0.1.1", 502, "modbus", "established", 1, 1);
	bld_report_flow(r, &other);
	struct bld_flow_record web = tcp_rec("10.0.0.2", "10.0.9.9", 80, "http", "closed", 5, 4);
	bld_report_flow(r, &web);

	json_t *o = summary_json(r);
	json_t *modbus = json_object_get(json_object_get(o, "protocols"), "modbus");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(modbus, "flows")), 4);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(modbus, "packets")), 62);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(json_object_get(o, "protocols"), "http"),
							   "bytes")),
			9 * 60);
	/* http is not industrial: two conversations, both modbus, sorted by server then client */
	json_t *convs = json_object_get(o, "industrial_conversations");
	CU_ASSERT_EQUAL_FATAL(json_array_size(convs), 2);
	json_t *c0 = json_array_get(convs, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c0, "client")), "10.0.0.1");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(c0, "flows")), 3);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(c0, "packets")), 60);
	CU_ASSERT_TRUE(json_is_true(json_object_get(c0, "well_known_port")));
	json_decref(o);
	bld_report_destroy(r);
}

static void test_off_port_finding(void)
{
	struct bld_report *r = bld_report_create();
	struct bld_flow_record rec = tcp_rec("10.0.0.1", "10.0.1.2", 5020, "modbus", "established", 4, 4);
	bld_report_flow(r, &rec);
	struct bld_flow_record rasta = tcp_rec("10.20.0.1", "10.20.0.2", 9999, "rasta", NULL, 4, 4);
	bld_report_flow(r, &rasta); /* RaSTA has no well-known port: never off-port */
	json_t *o = summary_json(r);
	json_t *convs = json_object_get(o, "industrial_conversations");
	CU_ASSERT_EQUAL_FATAL(json_array_size(convs), 2);
	CU_ASSERT_TRUE(json_is_false(json_object_get(json_array_get(convs, 0), "well_known_port")));
	CU_ASSERT_TRUE(json_is_true(json_object_get(json_array_get(convs, 1), "well_known_port")));
	json_decref(o);
	char *text = summary_text(r);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "modbus on 10.0.1.2:5020, not a well-known port of modbus"));
	CU_ASSERT_PTR_NULL(strstr(text, "rasta on"));
	free(text);
	bld_report_destroy(r);
}

/* 15 refused ports are not a scan, 16 are; completed connections never count. */
static void test_port_scan_threshold(void)
{
	struct bld_report *r = bld_report_create();
	for (uint16_t p = 1; p <= 15; p++) {
		struct bld_flow_record rec = tcp_rec("10.0.0.66", "10.0.1.12", p, "unknown", "reset", 1, 1);
		bld_report_flow(r, &rec);
		struct bld_flow_record again = rec; /* the same port twice counts once */
		bld_report_flow(r, &again);
	}
	for (uint16_t p = 100; p < 140; p++) {
		struct bld_flow_record ok = tcp_rec("10.0.0.5", "10.0.1.12", p, "unknown", "closed", 5, 5);
		bld_report_flow(r, &ok);
	}
	json_t *o = summary_json(r);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(o, "port_scans")), 0);
	json_decref(o);

	struct bld_flow_record syn_only = tcp_rec("10.0.0.66", "10.0.1.12", 16, "unknown", "syn_sent", 1, 0);
	bld_report_flow(r, &syn_only);
	o = summary_json(r);
	json_t *scans = json_object_get(o, "port_scans");
	CU_ASSERT_EQUAL_FATAL(json_array_size(scans), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(scans, 0), "client")), "10.0.0.66");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(scans, 0), "ports")), 16);
	json_decref(o);
	char *text = summary_text(r);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "port scan: 10.0.0.66 tried 16 TCP ports of 10.0.1.12"));
	free(text);
	bld_report_destroy(r);
}

/* Many conversations: the table caps at its size and the hashed lookup keeps finding old rows. */
static void test_many_conversations(void)
{
	struct bld_report *r = bld_report_create();
	char ip[32];
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 5000; i++) {
			snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 250, i % 250);
			struct bld_flow_record rec = tcp_rec(ip, "10.0.1.1", 502, "modbus", "established", 1, 1);
			bld_report_flow(r, &rec);
		}
	json_t *o = summary_json(r);
	json_t *convs = json_object_get(o, "industrial_conversations");
	CU_ASSERT_EQUAL_FATAL(json_array_size(convs), 4096);
	for (size_t i = 0; i < json_array_size(convs); i++)
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(convs, i), "flows")), 2);
	json_decref(o);
	bld_report_destroy(r);
}

int main(void)
{
	static const struct bld_test_case tests[] = {
		{ "protocol totals and conversations", test_protocols_and_conversations },
		{ "industrial protocol away from its port", test_off_port_finding },
		{ "port scan threshold", test_port_scan_threshold },
		{ "conversation table cap and hashed lookup", test_many_conversations },
	};
	return bld_test_run("report", tests, sizeof(tests) / sizeof(tests[0]));
}
