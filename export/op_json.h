/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Operations (--ops) and protocol events (--events) as JSON lines.
 *
 *   {"ts":"...","flow_id":7,"src_ip":"10.1.1.5","src_port":50123,"dst_ip":"10.1.1.20",
 *    "dst_port":502,"proto":"modbus","dir":"request","modbus":{"transaction":1,...}}
 *   {"ts":"...","flow_id":7,...,"proto":"modbus","event":"modbus.exception",
 *    "description":"an exception response (function code with bit 7 set)"}
 *
 * src and dst are the PDU's sender and receiver.  The writer is our own, not
 * jansson: one line per PDU is the hot path of --ops, and text fields carry
 * whatever bytes a device sent, which must come out as valid JSON (invalid
 * UTF-8 is escaped byte by byte as \u00XX).
 */
#ifndef BLD_OP_JSON_H
#define BLD_OP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "events.h"
#include "op.h"
#include "policy.h"

/*
 * Who sent a PDU or an event, to whom, on which flow.  no_flow: the line
 * concerns no flow (the sensor's own alerts, sensor.export_loss and
 * sensor.export_rate, whose bld_alert has flow == NULL); every other member
 * is then zero or empty, and the envelope is "ts" alone: no flow_id, no
 * src/dst, no ports, no "proto".
 */
struct bld_endpoints {
	uint64_t flow_id;
	const char *port;        /* the capture port's name (live), or NULL: then no "port" member */
	char src[64], dst[64];   /* IP addresses, or MACs for L2 flows */
	uint16_t src_port, dst_port;
	bool has_ports;
	bool l2;                 /* src and dst are MACs */
	bool no_flow;
};

/* One line each.  Return 0 or -EIO. */
int bld_op_write_json(FILE *out, const struct bld_endpoints *ep, const struct bld_op *op);
int bld_event_write_json(FILE *out, const struct bld_endpoints *ep, const char *proto, enum bld_event ev,
			 uint64_t ts_ns);

/*
 * A policy alert (policy.h) as one line: the envelope above, then
 *   "event":"op.not_allowed","severity":"high","action":"alert","rule":"r1"|null,
 *   "reason":"...","src_host":"scada-srv","dst_host":"plc-1","count":3,
 *   "first_seen":"...","last_seen":"...","detail":"function=8","op":{"dir":"request","modbus":{...}}
 * ts is last_seen; src is the sender (the client for flow.not_allowed and asset.new).
 * An alert without a flow (a->flow == NULL) has the envelope "ts" only:
 *   {"ts":"...","event":"sensor.export_loss","severity":"high","action":"alert","rule":null,
 *    "reason":"...","count":12,"first_seen":"...","last_seen":"...","detail":"..."}
 */
int bld_alert_write_json(FILE *out, const struct bld_alert *a);

/*
 * The same line into buf (cap bytes, NUL-terminated when cap > 0) without
 * the newline, cut at cap - 1 bytes as snprintf would; returns the line's
 * full length (0 only when the writer's buffer could not be allocated).
 * Both come from one builder, so the syslog export's JSON (syslog_format.h)
 * is byte for byte the --events line.
 */
size_t bld_alert_json(const struct bld_alert *a, char *buf, size_t cap);

/* The alert's "op" member alone, {"dir":"request","modbus":{...}}: same conventions. */
size_t bld_op_json(const struct bld_op *op, char *buf, size_t cap);

/*
 * The alert's src and dst as its line names them (the sender first), with
 * their host names or NULL.  An alert without a flow gives ep->no_flow, the
 * rest of ep zero, and NULL host names (host names belong to a flow's sides).
 */
void bld_alert_endpoints(const struct bld_alert *a, struct bld_endpoints *ep, const char **src_host,
			 const char **dst_host);

/* "op.not_allowed", or the protocol event's own name ("modbus.exception"). */
const char *bld_alert_event_name(const struct bld_alert *a);

#endif /* BLD_OP_JSON_H */
