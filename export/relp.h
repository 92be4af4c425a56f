/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RELP, the Reliable Event Logging Protocol of rsyslog (librelp's
 * doc/relp.html): syslog over TCP where the receiver acknowledges every
 * message, so a sender knows what arrived and sends again what did not.
 *
 *   frame  = TXNR SP COMMAND SP DATALEN [SP DATA] LF
 *   TXNR   = 1..999999999, one per command, wrapping to 1 (0: the server's own)
 *   COMMAND= 1*32 ALPHA: open, syslog, close, rsp, serverclose
 *   DATALEN= decimal length of DATA (0: no SP, no DATA)
 *
 * A client opens with "1 open LEN relp_version=0 LF relp_software=... LF
 * commands=syslog", the server answers "1 rsp LEN 200 OK ...", each
 * "N syslog LEN MSG" gets "N rsp 6 200 OK" (or a 500 with a reason), and
 * "N close 0" ends the session.  A server going down sends "0 serverclose 0".
 * Plain framing only: the transport (TCP, TLS) is syslog_out.c's.
 */
#ifndef BLD_RELP_H
#define BLD_RELP_H

#include <stddef.h>
#include <stdint.h>

#define BLD_RELP_TXNR_MAX 999999999u
#define BLD_RELP_CMD_MAX 32
#define BLD_RELP_HEADER_MAX 64   /* "TXNR SP COMMAND SP DATALEN SP": 9 + 1 + 32 + 1 + 9 + 1 */

struct bld_relp_frame {
	uint32_t txnr;
	char cmd[BLD_RELP_CMD_MAX + 1];
	size_t datalen;
	const char *data;        /* into the parsed buffer; datalen bytes, not NUL-terminated */
};

/*
 * One frame from the start of buf: the bytes it took (> 0), 0 when buf
 * holds only part of a frame, -1 when buf does not start with a frame
 * (the session is broken: RELP has no way to find the next one).
 */
long bld_relp_parse(const char *buf, size_t len, struct bld_relp_frame *f);

/* The header "TXNR COMMAND DATALEN" and the SP before DATA when datalen > 0, into buf (>= BLD_RELP_HEADER_MAX); its length. */
size_t bld_relp_header(char *buf, uint32_t txnr, const char *cmd, size_t datalen);

/* The transaction number after txnr. */
static inline uint32_t bld_relp_next(uint32_t txnr)
{
	return txnr >= BLD_RELP_TXNR_MAX ? 1 : txnr + 1;
}

/* A response's status, the number DATA starts with ("200 OK": 200); 0 when it has none. */
unsigned bld_relp_status(const struct bld_relp_frame *f);

#endif /* BLD_RELP_H */
