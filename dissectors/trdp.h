/* SPDX-License-Identifier: BSD-3-Clause */
/* TRDP: the events its dissector raises (joined in events.h) and its site settings. */
#ifndef BLD_TRDP_H
#define BLD_TRDP_H

#include <stdbool.h>

#include "settings.h"

#define BLD_FOREACH_TRDP_EVENT(_) \
	_(TRDP_BAD_FCS, "trdp.bad_fcs", "a header FCS (CRC-32 over the header, stored little-endian) that does " \
	  "not match: the header is corrupt or forged; the PDU is still reported, its counters not followed") \
	_(TRDP_BAD_VERSION, "trdp.bad_version", "a protocol version whose major number is not 1 (IEC 61375-2-3 " \
	  "defines 1.x); decoded with the 1.x layout") \
	_(TRDP_BAD_MSG_TYPE, "trdp.bad_msg_type", "a message type TRDP does not define (framing lost on TCP), " \
	  "or a process data type ('Pd', 'Pp', 'Pr', 'Pe') on TCP, which carries message data only") \
	_(TRDP_BAD_LENGTH, "trdp.bad_length", "a datasetLength beyond the maximum (1432 for process data, " \
	  "65388 for message data; framing lost on TCP), or a PD datagram longer than 1472 bytes") \
	_(TRDP_TRUNCATED, "trdp.truncated", "a datagram shorter than its header, or than the header and the " \
	  "datasetLength it announces") \
	_(TRDP_BAD_PADDING, "trdp.bad_padding", "bytes after the dataset (its padding) that are not zero") \
	_(TRDP_RESERVED_NOT_ZERO, "trdp.reserved_not_zero", "the reserved field of a process data header is not 0") \
	_(TRDP_BAD_REPLY, "trdp.bad_reply", "a 'Pr' pull request whose reply address cannot receive (0.x.x.x, " \
	  "127.x.x.x, 255.255.255.255, 240.0.0.0/4), or a 'Pd', 'Pp' or 'Pe' with a reply comId or address set") \
	_(TRDP_BAD_URI, "trdp.bad_uri", "a message data source or destination URI with a control character or " \
	  "a NUL inside it (bytes hidden behind the terminator)") \
	_(TRDP_REPLY_ERROR, "trdp.reply_error", "a message data reply or error ('Mp', 'Mq', 'Me') with a " \
	  "negative replyStatus (session abort, no replier, no memory, no reply, not all replies, no confirm, " \
	  "sending failed), or any 'Me'") \
	_(TRDP_SEQUENCE_GAP, "trdp.sequence_gap", "a 'Pd' whose sequence counter jumped forward: telegrams of " \
	  "its publisher and comId were lost, or another sender uses the same comId") \
	_(TRDP_SEQUENCE_BACKWARDS, "trdp.sequence_backwards", "a 'Pd' or 'Pp' whose sequence counter went back " \
	  "(not to 0): a replayed telegram, or a second publisher of the comId") \
	_(TRDP_DUPLICATE, "trdp.duplicate", "a 'Pd' or 'Pp' repeating the sequence counter of the previous one " \
	  "of its publisher and comId: a duplicated or replayed telegram") \
	_(TRDP_SEQUENCE_RESTART, "trdp.sequence_restart", "a 'Pd' or 'Pp' sequence counter back at 0: the " \
	  "publisher restarted (or a new sender took over the comId)") \
	_(TRDP_TOPOLOGY_CHANGE, "trdp.topology_change", "the ETB or operational train topology counter of a " \
	  "publisher's comId changed: a train inauguration, or a forged topology") \
	_(TRDP_UNEXPECTED_COMID, "trdp.unexpected_comid", "a comId (or a pull request's reply comId) outside " \
	  "the site's protocols.trdp.comids") \
	_(TRDP_TELEGRAM_CAPACITY, "trdp.telegram_capacity", "more publishers' comIds on one flow than it " \
	  "follows (64): the least recently seen is forgotten (raised once per flow)")

/* protocols: {trdp: {...}} (settings.h) */
struct bld_trdp_config {
	struct bld_setting_list comids;   /* the comIds the site expects; n 0: any */
};

#endif /* BLD_TRDP_H */
