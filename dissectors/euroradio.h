/* SPDX-License-Identifier: BSD-3-Clause */
/* EuroRadio (ALE and the Subset-098 safety layer): the events its dissector raises (joined in events.h). */
#ifndef BLD_EURORADIO_H
#define BLD_EURORADIO_H

#include <stdint.h>

#define BLD_FOREACH_EURORADIO_EVENT(_) \
	_(EURORADIO_BAD_LENGTH, "euroradio.bad_length", "an ALE packet length below 8, too short for its own " \
	  "header (framing lost)") \
	_(EURORADIO_BAD_CRC, "euroradio.bad_crc", "an ALE header whose CRC-16/CCITT-FALSE does not match: its " \
	  "length cannot be trusted (framing lost)") \
	_(EURORADIO_UNKNOWN_PACKET_TYPE, "euroradio.unknown_packet_type", "an ALE packet type other than AU1, " \
	  "AU2, DT, DI (1..4), the vendor type 6 and the Class A types 251, 253, 254, 255") \
	_(EURORADIO_VENDOR_PACKET_TYPE, "euroradio.vendor_packet_type", "the vendor ALE packet type 6 (DT data " \
	  "or retransmission) on this connection (raised once per connection)") \
	_(EURORADIO_TSEQ_ERROR, "euroradio.tseq_error", "an ALE T-sequence number that is not the previous one " \
	  "plus 1 in its direction, or not 0 in an AU1 or AU2 packet") \
	_(EURORADIO_UNKNOWN_SAPDU, "euroradio.unknown_sapdu", "a safety-layer message type (MTI) Subset-098 " \
	  "does not define") \
	_(EURORADIO_TYPE_MISMATCH, "euroradio.type_mismatch", "an SaPDU whose message type does not belong in " \
	  "its ALE packet type (AU1 in AU1, AU2 in AU2, AU3/AR/DT in DT, DI in DI)") \
	_(EURORADIO_BAD_SIZE, "euroradio.bad_size", "an SaPDU (or the ETCS identities before it) whose size is " \
	  "not the exact size its type has, or an empty DT") \
	_(EURORADIO_DF_MISMATCH, "euroradio.df_mismatch", "a direction flag that contradicts the TCP direction " \
	  "(0 from the initiator, the TCP client): a reflected SaPDU") \
	_(EURORADIO_WRONG_ROLE, "euroradio.wrong_role", "an SaPDU only the initiator sends (AU1, AU3) from the " \
	  "TCP server, or one only the responder sends (AU2, AR) from the TCP client") \
	_(EURORADIO_BAD_ETY, "euroradio.bad_ety", "an ETCS-ID type Subset-098 does not define, or an ETY other " \
	  "than 0 in an AU3, AR, DT or DI") \
	_(EURORADIO_BAD_SAF, "euroradio.bad_saf", "a safety feature other than 0x01 in an AU1 or AU2") \
	_(EURORADIO_ID_MISMATCH, "euroradio.id_mismatch", "the ETCS-ID in the ALE header differs from the one " \
	  "in the SaPDU, or the AU2 responder is not the identity the AU1 called") \
	_(EURORADIO_OUT_OF_ORDER, "euroradio.out_of_order", "an SaPDU out of the AU1, AU2, AU3, AR, DT order " \
	  "(e.g. DT before AR, AU3 before AU2), or after a DI") \
	_(EURORADIO_REPLAY, "euroradio.replay", "an authentication SaPDU (AU1, AU2, AU3, AR) after the safe " \
	  "connection was set up: a replay") \
	_(EURORADIO_SECURITY_DISCONNECT, "euroradio.security_disconnect", "a DI whose reason says the peer " \
	  "found an authentication failure: invalid MAC (4), sequence error (5), direction flag (6)") \
	_(EURORADIO_REPEATED_MAC, "euroradio.repeated_mac", "a DT whose MAC equals one of the last 16 of its " \
	  "direction: the same SaPDU again, a replay the ALE T-sequence does not protect against") \
	_(EURORADIO_BAD_MESSAGE_LENGTH, "euroradio.bad_message_length", "an ETCS message whose L_MESSAGE is " \
	  "not the size of the DT user data, or shorter than its own header") \
	_(EURORADIO_UNKNOWN_MESSAGE, "euroradio.unknown_message", "an ETCS message NID_MESSAGE that Subset-026 " \
	  "ch. 8 does not define") \
	_(EURORADIO_MESSAGE_DIRECTION, "euroradio.message_direction", "a track-to-train ETCS message sent by " \
	  "the engine, or a train-to-track one sent by the trackside end (RBC, RIU)") \
	_(EURORADIO_ENGINE_MISMATCH, "euroradio.engine_mismatch", "a train-to-track message whose NID_ENGINE " \
	  "is not the ETCS-ID of the engine that set the session up")

/*
 * Site settings (protocols: {euroradio: {...}}): what the DT user data
 * carries.  Subset-037 (OBU-RBC, OBU-RIU) puts one Subset-026 ETCS message
 * in each DT; Subset-098 (RBC-RBC) and RSSP-II put a SAI layer first.
 */
enum bld_euroradio_dt_content {
	BLD_EURORADIO_DT_AUTO,    /* ETCS when an engine is an end of the session, else by L_MESSAGE */
	BLD_EURORADIO_DT_ETCS,    /* always an ETCS message */
	BLD_EURORADIO_DT_OPAQUE,  /* never decoded */
};

struct bld_euroradio_config {
	uint8_t dt_content;       /* enum bld_euroradio_dt_content */
};

#endif /* BLD_EURORADIO_H */
