/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Alerts as syslog messages for a SOC's SIEM (docs/siem.md): RFC 5424 with
 * structured data, RFC 3164, CEF, or the --events JSON line, each with a
 * syslog header.  Formatting only: framing and transport are syslog_out.h.
 *
 * Severity mapping (RFC 5424 §6.2.1): info 6 informational, low 5 notice,
 * medium 4 warning, high 3 error, critical 2 critical.  The facility is the
 * site's choice (default local0, 16).  Time is the alert's last_seen, packet
 * time, so a replayed capture gives the messages the live sensor would.
 */
#ifndef BLD_SYSLOG_FORMAT_H
#define BLD_SYSLOG_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

enum bld_syslog_format {
	BLD_SYSLOG_RFC5424,      /* <PRI>1 TS HOST bollard PID MSGID [bollard@PEN k="v" ...] reason */
	BLD_SYSLOG_RFC3164,      /* <PRI>Mmm dd hh:mm:ss HOST bollard[PID]: event=... reason */
	BLD_SYSLOG_CEF,          /* RFC 3164 header, then CEF:0|Bollard|Bollard|VERSION|sig|name|sev|ext */
	BLD_SYSLOG_JSON,         /* RFC 5424 header without structured data, then the --events JSON line */
	BLD_SYSLOG_FORMAT_MAX
};

extern const char *const bld_syslog_format_names[BLD_SYSLOG_FORMAT_MAX];   /* "rfc5424", ... */

/* The private enterprise number in the SD-ID: 32473 is IANA's documentation PEN (RFC 5612); sites may set their own. */
#define BLD_SYSLOG_DEFAULT_PEN 32473
#define BLD_SYSLOG_DEFAULT_FACILITY 16   /* local0 */

struct bld_syslog_meta {
	const char *hostname;    /* HOSTNAME: the sensor's name (gethostname() by default); "-" when unknown */
	const char *app_name;    /* APP-NAME / TAG: "bollard" */
	uint32_t pid;            /* PROCID */
	uint8_t facility;        /* 0..23 */
	uint32_t pen;            /* SD-ID bollard@PEN */
};

/* "rfc5424" -> the format; -1 when the name is none of them. */
int bld_syslog_format_find(const char *name);

/* RFC 5424 severity (2..6) of an alert severity. */
unsigned bld_syslog_severity(enum bld_severity s);

/*
 * Format alert a into buf (cap bytes, NUL-terminated when cap > 0): one
 * message, no framing, no trailing newline.  Returns the message's full
 * length; when that is >= cap the message was cut to at most cap - 1 bytes,
 * never inside a UTF-8 character (the caller grows its buffer or, for UDP,
 * marks the cut: syslog_out.h).
 */
size_t bld_syslog_format(enum bld_syslog_format f, const struct bld_syslog_meta *m, const struct bld_alert *a,
			 char *buf, size_t cap);

#endif /* BLD_SYSLOG_FORMAT_H */
