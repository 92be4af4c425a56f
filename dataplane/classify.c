/* SPDX-License-Identifier: BSD-3-Clause */
#include "classify.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "cursor.h"
#include "registry.h"

const char *const bld_app_source_names[] = {
	[BLD_APP_SOURCE_NONE] = "none",
	[BLD_APP_SOURCE_BOLLARD] = "bollard",
	[BLD_APP_SOURCE_NDPI] = "ndpi",
	[BLD_APP_SOURCE_ETHERTYPE] = "ethertype",
	[BLD_APP_SOURCE_LLC] = "llc",
};

struct bld_classifier {
	struct ndpi_detection_module_struct *ndpi;
};

/* Per-flow state while classifying: nDPI's flow struct follows it in the same block. */
struct classify_state {
	uint32_t candidates;     /* bit per enum bld_proto whose probe has not said no */
	uint32_t matched;        /* several probes matched the same bytes: the next payload decides */
	uint32_t ndpi_size;
	struct ndpi_flow_struct *ndpi_flow;
};

/* nDPI protocols Bollard dissects itself: named Bollard's way, and only if our probe agrees. */
static const struct {
	uint16_t ndpi_id;
	enum bld_proto proto;
} ndpi_to_bollard[] = {
	{ NDPI_PROTOCOL_MODBUS, BLD_PROTO_MODBUS },
	{ NDPI_PROTOCOL_DNP3, BLD_PROTO_DNP3 },
	{ NDPI_PROTOCOL_IEC60870, BLD_PROTO_IEC104 },
	{ NDPI_PROTOCOL_S7COMM, BLD_PROTO_S7COMM },
	{ NDPI_PROTOCOL_ETHERNET_IP, BLD_PROTO_ENIP },
};

/* Non-IP ethertypes worth a name in flow records (IEEE registry). */
static const struct {
	uint16_t ethertype;
	const char *name;
} ethertypes[] = {
	{ 0x0806, "arp" },     { 0x8035, "rarp" },   { 0x8892, "profinet" }, { 0x88A4, "ethercat" },
	{ 0x88B9, "gse" },     { 0x88BA, "sv" },     { 0x88CC, "lldp" },     { 0x88E3, "mrp" },
	{ 0x88F7, "ptp" },     { 0x88FB, "prp" },    { 0x892F, "hsr" },      { 0x8809, "slow" },
	{ 0x888E, "eapol" },   { 0x88E5, "macsec" }, { 0x8863, "pppoe-discovery" },
	{ 0x8864, "pppoe" },   { 0x8847, "mpls" },   { 0x9000, "loopback" },
};

struct bld_classifier *bld_classifier_create(void)
{
	struct bld_classifier *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (!c->ndpi) {
		free(c);
		return NULL;
	}
	NDPI_PROTOCOL_BITMASK all;
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(c->ndpi, &all);
	ndpi_finalize_initialization(c->ndpi);
	return c;
}

void bld_classifier_destroy(struct bld_classifier *c)
{
	if (!c)
		return;
	ndpi_exit_detection_module(c->ndpi);
	free(c);
}

static uint8_t transport_of(const struct bld_flow *f)
{
	if (f->key.ip_version == 0)
		return BLD_TRANSPORT_L2;
	if (f->key.l4 == 6)
		return BLD_TRANSPORT_TCP;
	if (f->key.l4 == 17)
		return BLD_TRANSPORT_UDP;
	return 0;
}

static struct classify_state *state_new(const struct bld_flow *f)
{
	size_t ndpi_size = f->key.ip_version ? SIZEOF_FLOW_STRUCT : 0;
	struct classify_state *s = calloc(1, sizeof(*s) + ndpi_size);
	if (!s)
		return NULL;
	uint8_t transport = transport_of(f);
	for (int p = 1; p < BLD_PROTO_MAX; p++) {
		const struct bld_dissector *d = bld_dissectors[p];
		if ((d->transports & transport) &&
		    (transport != BLD_TRANSPORT_L2 || d->ethertype == f->key.ethertype))
			s->candidates |= 1u << p;
	}
	if (ndpi_size)
		s->ndpi_flow = (struct ndpi_flow_struct *)(s + 1);
	return s;
}

static void state_free(struct bld_flow *f)
{
	struct classify_state *s = f->classify_state;
	if (!s)
		return;
	if (s->ndpi_flow)
		ndpi_free_flow_data(s->ndpi_flow); /* the struct itself lives in our block */
	free(s);
	f->classify_state = NULL;
}

static void decide(struct bld_flow *f, enum bld_app_source src, uint8_t app)
{
	_Static_assert(BLD_APP_SOURCE_LLC < 16, "a flow's app source is a nibble (struct bld_flow)");
	f->app_source = src & 15;
	f->app = app;
	f->classified = true;
	state_free(f);
}

/*
 * Run the probes still in the running; true when exactly one matched.  When
 * several match the same bytes (a Modbus request with transaction id 0x680A
 * is also a valid IEC 104 frame), only they stay in the running and the next
 * payload decides.
 */
static bool run_probes(struct bld_flow *f, struct classify_state *s, const uint8_t *p, uint32_t len,
		       bool to_server)
{
	uint32_t matched = 0;
	for (int i = 1; i < BLD_PROTO_MAX; i++) {
		if (!(s->candidates & (1u << i)))
			continue;
		switch (bld_dissectors[i]->probe(p, len, to_server)) {
		case BLD_PROBE_MATCH:
			matched |= 1u << i;
			break;
		case BLD_PROBE_NO:
			s->candidates &= ~(1u << i);
			break;
		case BLD_PROBE_NEED_MORE:
			break;
		}
	}
	if (matched && (matched & (matched - 1)) == 0) {
		decide(f, BLD_APP_SOURCE_BOLLARD, (uint8_t)__builtin_ctz(matched));
		return true;
	}
	if (matched)
		s->candidates = s->matched = matched;
	else
		s->matched &= s->candidates;
	return false;
}

static int bollard_proto_of_ndpi(uint16_t id)
{
	for (size_t i = 0; i < sizeof(ndpi_to_bollard) / sizeof(ndpi_to_bollard[0]); i++)
		if (ndpi_to_bollard[i].ndpi_id == id)
			return ndpi_to_bollard[i].proto;
	return -1;
}

/*
 * Accept nDPI's verdict unless it names a protocol our own probe has ruled
 * out, or our probes already matched and only wait to break a tie: nDPI,
 * which trusts well-known ports for some protocols, must not break it.
 * Nor may it pick among our protocols while other probes of ours are still
 * waiting (nDPI names S7comm at the COTP connection request, before the
 * first data says S7comm, S7comm-plus or MMS), unless the flow is ending.
 */
static bool accept_ndpi(struct bld_flow *f, struct classify_state *s, ndpi_protocol r, bool final)
{
	if (r.app_protocol == NDPI_PROTOCOL_UNKNOWN && r.master_protocol == NDPI_PROTOCOL_UNKNOWN)
		return false;
	if (s->matched)
		return false;
	int mine = bollard_proto_of_ndpi(r.app_protocol);
	if (mine < 0)
		mine = bollard_proto_of_ndpi(r.master_protocol);
	if (mine >= 0) {
		if (!(s->candidates & (1u << mine)))
			return false;
		if (!final && (s->candidates & ~(1u << mine)))
			return false;
		decide(f, BLD_APP_SOURCE_BOLLARD, (uint8_t)mine);
		return true;
	}
	f->ndpi_master = r.master_protocol;
	f->ndpi_app = r.app_protocol;
	decide(f, BLD_APP_SOURCE_NDPI, 0);
	return true;
}

/* 802.3 frames: name the LLC service (IEEE 802.2 SAPs) rather than an ethertype. */
static const char *const llc_names[] = { "llc", "stp", "llc-snap" };

static uint8_t llc_kind(const struct bld_decoded *d)
{
	struct bld_cur c = bld_cur_make(d->payload, d->payload_len);
	uint8_t dsap = bld_cur_u8(&c), ssap = bld_cur_u8(&c);
	if (c.err)
		return 0;
	if (dsap == 0x42 && ssap == 0x42)
		return 1; /* spanning tree (IEEE 802.1D) */
	if (dsap == 0xAA && ssap == 0xAA)
		return 2; /* SNAP: CDP, DTP, VTP, ... */
	return 0;
}

static void classify_l2(struct bld_flow *f, struct classify_state *s, const struct bld_decoded *d)
{
	if (f->key.ethertype == 0) {
		decide(f, BLD_APP_SOURCE_LLC, llc_kind(d));
		return;
	}
	if (run_probes(f, s, d->payload, d->payload_len, true))
		return;
	for (size_t i = 0; i < sizeof(ethertypes) / sizeof(ethertypes[0]); i++)
		if (ethertypes[i].ethertype == f->key.ethertype) {
			decide(f, BLD_APP_SOURCE_ETHERTYPE, (uint8_t)i);
			return;
		}
	if (s->candidates == 0)
		decide(f, BLD_APP_SOURCE_NONE, 0);
}

void bld_classify_packet(struct bld_classifier *c, struct bld_flow *f, const struct bld_decoded *d,
			 const uint8_t *probe_data, uint32_t probe_len, bool to_server, uint64_t ts_ns)
{
	struct classify_state *s = f->classify_state;
	/*
	 * A TCP handshake says nothing about the application: state (nDPI's
	 * ~700 bytes) waits for the first payload, so scans and SYN floods cost
	 * no classifier memory.
	 */
	if (!s && f->key.l4 == IPPROTO_TCP && d->payload_len == 0) {
		if (++f->classify_pkts >= BLD_CLASSIFY_MAX_PACKETS)
			bld_classify_finish(c, f);
		return;
	}
	if (!s) {
		s = f->classify_state = state_new(f);
		if (!s) {
			/* Out of memory: the flow stays unclassified rather than the packet being lost. */
			f->classified = true;
			return;
		}
	}
	f->classify_pkts++;

	if (f->key.ip_version == 0) {
		classify_l2(f, s, d);
	} else {
		if (probe_len && s->candidates && run_probes(f, s, probe_data, probe_len, to_server))
			return;
		uint16_t n = d->l3_len > 0xffff ? 0xffff : (uint16_t)d->l3_len;
		ndpi_protocol r = ndpi_detection_process_packet(c->ndpi, s->ndpi_flow, d->l3, n, ts_ns / 1000000);
		if (accept_ndpi(f, s, r, false))
			return;
	}
	if (!f->classified && f->classify_pkts >= BLD_CLASSIFY_MAX_PACKETS)
		bld_classify_finish(c, f);
}

bool bld_classify_bollard_pending(const struct bld_flow *f)
{
	const struct classify_state *s = f->classify_state;
	return !f->classified && s && s->candidates != 0;
}

void bld_classify_finish(struct bld_classifier *c, struct bld_flow *f)
{
	struct classify_state *s = f->classify_state;
	if (f->classified)
		return;
	if (s && s->matched) { /* still ambiguous at the end: the registry's order breaks the tie */
		decide(f, BLD_APP_SOURCE_BOLLARD, (uint8_t)__builtin_ctz(s->matched));
		return;
	}
	if (s && s->ndpi_flow) {
		uint8_t guessed = 0;
		/* No port guessing: a port is a hint, not evidence. */
		ndpi_protocol r = ndpi_detection_giveup(c->ndpi, s->ndpi_flow, 0, &guessed);
		if (accept_ndpi(f, s, r, true))
			return;
	}
	decide(f, BLD_APP_SOURCE_NONE, 0);
}

const char *bld_classify_app_name(const struct bld_classifier *c, const struct bld_flow *f, char *buf, size_t len)
{
	switch (f->app_source) {
	case BLD_APP_SOURCE_BOLLARD:
		return bld_dissectors[f->app]->name;
	case BLD_APP_SOURCE_ETHERTYPE:
		return ethertypes[f->app].name;
	case BLD_APP_SOURCE_LLC:
		return llc_names[f->app];
	case BLD_APP_SOURCE_NDPI: {
		ndpi_protocol p = { .master_protocol = f->ndpi_master, .app_protocol = f->ndpi_app };
		ndpi_protocol2name(c->ndpi, p, buf, (u_int)len);
		for (char *q = buf; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		return buf;
	}
	default:
		return "unknown";
	}
}

bool bld_classify_known_app(void *ctx, const char *name)
{
	const struct bld_classifier *c = ctx;
	if (strcmp(name, "unknown") == 0 || bld_registry_find(name) != BLD_PROTO_UNKNOWN)
		return true;
	for (size_t i = 0; i < sizeof(ethertypes) / sizeof(ethertypes[0]); i++)
		if (strcmp(ethertypes[i].name, name) == 0)
			return true;
	for (size_t i = 0; i < sizeof(llc_names) / sizeof(llc_names[0]); i++)
		if (strcmp(llc_names[i], name) == 0)
			return true;
	/* nDPI's names, lower case as flows show them: "dns", or "master.app" like "tls.google" */
	for (const char *c0 = name; *c0; c0++)
		if (isupper((unsigned char)*c0))
			return false;
	char part[64];
	const char *s = name;
	while (*s) {
		size_t n = strcspn(s, ".");
		if (n == 0 || n >= sizeof(part))
			return false;
		memcpy(part, s, n);
		part[n] = 0;
		if (ndpi_get_proto_by_name(c->ndpi, part) == NDPI_PROTOCOL_UNKNOWN)
			return false;
		s += n + (s[n] == '.');
	}
	return true;
}
