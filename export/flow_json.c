/* SPDX-License-Identifier: BSD-3-Clause */
/* Flow records as JSON lines (--flows), field names after Suricata's flow event. */
#include <errno.h>
#include <jansson.h>
#include <time.h>

#include "flow_record.h"

void bld_format_time(uint64_t ts_ns, char *buf, size_t len)
{
	time_t s = (time_t)(ts_ns / 1000000000ull);
	struct tm tm;
	gmtime_r(&s, &tm);
	char day[32];
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06uZ", day, (unsigned)(ts_ns % 1000000000ull / 1000));
}

int bld_flow_record_write_json(FILE *out, const struct bld_flow_record *r)
{
	char first[40], last[40];
	bld_format_time(r->ts_first_ns, first, sizeof(first));
	bld_format_time(r->ts_last_ns, last, sizeof(last));

	json_t *o = json_object();
	if (!o)
		return -ENOMEM;
	json_object_set_new(o, "flow_id", json_integer((json_int_t)r->flow_id));
	if (r->port)
		json_object_set_new(o, "port", json_string(r->port));
	json_object_set_new(o, "ts_first", json_string(first));
	json_object_set_new(o, "ts_last", json_string(last));
	json_object_set_new(o, "l4", json_string(r->l4));
	if (r->ip_version)
		json_object_set_new(o, "ip_version", json_integer(r->ip_version));
	if (r->ip_version) {
		json_object_set_new(o, "src_ip", json_string(r->src));
		json_object_set_new(o, "dst_ip", json_string(r->dst));
	} else {
		json_object_set_new(o, "src_mac", json_string(r->src));
		json_object_set_new(o, "dst_mac", json_string(r->dst));
		if (r->ethertype) { /* 0: an 802.3 LLC frame, which has a length where the ethertype would be */
			char et[8];
			snprintf(et, sizeof(et), "0x%04x", r->ethertype);
			json_object_set_new(o, "ethertype", json_string(et));
		}
	}
	if (r->has_ports) {
		json_object_set_new(o, "src_port", json_integer(r->src_port));
		json_object_set_new(o, "dst_port", json_integer(r->dst_port));
	}
	if (r->n_vlan) {
		json_t *v = json_array();
		for (int i = 0; i < r->n_vlan; i++)
			json_array_append_new(v, json_integer(r->vlan[i]));
		json_object_set_new(o, "vlan", v);
	}
	json_object_set_new(o, "app", json_string(r->app));
	json_object_set_new(o, "app_source", json_string(r->app_source));
	json_object_set_new(o, "pkts_toserver", json_integer((json_int_t)r->pkts_toserver));
	json_object_set_new(o, "pkts_toclient", json_integer((json_int_t)r->pkts_toclient));
	json_object_set_new(o, "bytes_toserver", json_integer((json_int_t)r->bytes_toserver));
	json_object_set_new(o, "bytes_toclient", json_integer((json_int_t)r->bytes_toclient));
	if (r->tcp_state)
		json_object_set_new(o, "tcp_state", json_string(r->tcp_state));
	json_object_set_new(o, "end_reason", json_string(r->end_reason));

	int rc = json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER) < 0 || fputc('\n', out) == EOF ? -EIO : 0;
	json_decref(o);
	return rc;
}
