/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow classification: what application protocol a flow carries.
 *
 * Two judges look at the first packets of a flow: Bollard's own dissector
 * probes (dissectors/registry.h), exact for the industrial protocols, and
 * nDPI for everything else.  Ports are never evidence: Modbus on 5020 is
 * Modbus, and garbage on 502 is not.  Once a flow is classified (or the
 * classifier gives up) its per-flow state, about 700 bytes of nDPI's, is
 * released so that long-lived SCADA flows stay cheap.
 */
#ifndef BLD_CLASSIFY_H
#define BLD_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "flow.h"

enum bld_app_source {
	BLD_APP_SOURCE_NONE,      /* unknown */
	BLD_APP_SOURCE_BOLLARD,   /* a Bollard dissector probe matched */
	BLD_APP_SOURCE_NDPI,      /* nDPI detected it */
	BLD_APP_SOURCE_ETHERTYPE, /* a non-IP ethertype names the protocol */
	BLD_APP_SOURCE_LLC,       /* an 802.3 frame's LLC SAPs name it (stp, llc-snap, llc) */
};

extern const char *const bld_app_source_names[];

/* Packets a flow may take before the classifier gives up on it. */
#define BLD_CLASSIFY_MAX_PACKETS 32

struct bld_classifier;

struct bld_classifier *bld_classifier_create(void);
void bld_classifier_destroy(struct bld_classifier *c);

/*
 * Look at one packet of a flow that is not yet classified (f->classified
 * false).  The probes judge probe_data: the packet's payload, or for a TCP
 * flow whose stream is kept, the direction's bytes in order so far (a first
 * PDU split over segments is then judged whole).
 */
void bld_classify_packet(struct bld_classifier *c, struct bld_flow *f, const struct bld_decoded *d,
			 const uint8_t *probe_data, uint32_t probe_len, bool to_server, uint64_t ts_ns);

/*
 * The flow is not classified yet and one of Bollard's probes is still in
 * the running: its bytes are worth keeping for a dissector.
 */
bool bld_classify_bollard_pending(const struct bld_flow *f);

/* The flow ends: take nDPI's last word if it was still undecided, and free its state. */
void bld_classify_finish(struct bld_classifier *c, struct bld_flow *f);

/* The flow's application protocol name in lower case ("unknown" when none). */
const char *bld_classify_app_name(const struct bld_classifier *c, const struct bld_flow *f, char *buf,
				  size_t len);

/*
 * Whether a flow can be reported with app name `name` (Bollard's names,
 * ethertype names, nDPI's in lower case): how `bollard check` catches a
 * misspelt protocol.  ctx is a struct bld_classifier.
 */
bool bld_classify_known_app(void *ctx, const char *name);

#endif /* BLD_CLASSIFY_H */
