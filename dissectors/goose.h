/* SPDX-License-Identifier: BSD-3-Clause */
/* IEC 61850 GOOSE: the events its dissector raises (joined in events.h). */
#ifndef BLD_GOOSE_H
#define BLD_GOOSE_H

#define BLD_FOREACH_GOOSE_EVENT(_) \
	_(GOOSE_TRUNCATED, "goose.truncated", "a frame shorter than its APPID length field says (cut on the " \
	  "wire or by the capture's snap length); nothing of it is reported") \
	_(GOOSE_BAD_LENGTH, "goose.bad_length", "an APPID length below 8 (the header alone), or a goosePdu " \
	  "whose BER length runs past the APPID length") \
	_(GOOSE_UNKNOWN_PDU, "goose.unknown_pdu", "the APDU after the 8-octet header is not a goosePdu " \
	  "([APPLICATION 1], 0x61): a GSE management PDU on the GOOSE ethertype, or something else") \
	_(GOOSE_BAD_BER, "goose.bad_ber", "a BER encoding GOOSE does not allow: an indefinite length or one " \
	  "of more than 4 octets, a multi-octet tag, or a length running past its container; the rest of " \
	  "the container is skipped") \
	_(GOOSE_BAD_FIELD, "goose.bad_field", "a field of the wrong size or value: an INT32U outside " \
	  "0..4294967295, a BOOLEAN not 1 octet, a UtcTime not 8 octets, a VisibleString with a byte outside " \
	  "0x20..0x7E, a bit-string whose unused-bit count is over 7, a floating-point that is not 5 or 9 " \
	  "octets with exponent width 8 or 11, a data value of a type GOOSE does not define") \
	_(GOOSE_FIELD_ORDER, "goose.field_order", "goosePdu fields out of their SEQUENCE order, repeated " \
	  "(only the first is used), or with a tag IECGoosePdu does not define") \
	_(GOOSE_MISSING_FIELD, "goose.missing_field", "a goosePdu without one of its mandatory fields " \
	  "(gocbRef, timeAllowedtoLive, datSet, t, stNum, sqNum, confRev, numDatSetEntries, allData)") \
	_(GOOSE_ENTRIES_MISMATCH, "goose.entries_mismatch", "numDatSetEntries differs from the number of " \
	  "allData entries") \
	_(GOOSE_SIM_MISMATCH, "goose.sim_mismatch", "the header's S (simulate) bit is set but the simulation " \
	  "field is FALSE: receivers must reject the message (IEC 61850-8-1 Ed. 2)") \
	_(GOOSE_NDS_COM, "goose.nds_com", "ndsCom TRUE: the publisher says its control block needs " \
	  "commissioning (data set too large or not configured)") \
	_(GOOSE_ST_NUM_JUMP, "goose.st_num_jump", "stNum increased by more than 1 since the publisher's " \
	  "previous message: state changes missed, or an injected message with a high stNum taking over " \
	  "the subscribers") \
	_(GOOSE_ST_NUM_BACK, "goose.st_num_back", "stNum went back (not a restart at 1): a replayed " \
	  "message, or a second publisher of the same control block") \
	_(GOOSE_SQ_NUM_NOT_RESET, "goose.sq_num_not_reset", "a new stNum whose sqNum is not 0 (a state " \
	  "change starts its retransmissions at 0)") \
	_(GOOSE_SQ_NUM_JUMP, "goose.sq_num_jump", "sqNum increased by more than 1 within a state: " \
	  "retransmissions were lost") \
	_(GOOSE_SQ_NUM_BACK, "goose.sq_num_back", "sqNum went back within a state (not a restart): a " \
	  "replayed message, or a second publisher of the same control block") \
	_(GOOSE_DUPLICATE, "goose.duplicate", "the same stNum and sqNum as the publisher's previous message: " \
	  "a duplicated or replayed frame") \
	_(GOOSE_RESTART, "goose.restart", "stNum back at 1 with sqNum 0 or 1 after a later state: the " \
	  "publisher restarted (or a forged restart)") \
	_(GOOSE_DATA_CHANGE, "goose.data_change", "the allData values changed while stNum stayed: a " \
	  "retransmission carrying other values, e.g. values injected without a state change") \
	_(GOOSE_CONF_REV_CHANGE, "goose.conf_rev_change", "confRev differs from the publisher's previous " \
	  "message: its data set was reconfigured") \
	_(GOOSE_TTL_EXPIRED, "goose.ttl_expired", "a message arrived later after the publisher's previous " \
	  "one than that one's timeAllowedtoLive: subscribers took the publisher for lost in between") \
	_(GOOSE_PUBLISHER_CAPACITY, "goose.publisher_capacity", "more publishers (APPID and gocbRef) on one " \
	  "flow than are tracked; the least recently seen was forgotten")

#endif /* BLD_GOOSE_H */
