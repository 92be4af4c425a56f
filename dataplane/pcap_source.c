/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcapng layout (draft-ietf-opsawg-pcapng):
 *   every block  type(4) total length(4) body ... total length(4), 32-bit aligned
 *   SHB 0x0A0D0D0A  byte-order magic 0x1A2B3C4D (sets the section's byte order), version, section length
 *   IDB 1           link type(2) reserved(2) snaplen(4) options (if_tsresol = 9, if_tsoffset = 14)
 *   EPB 6           interface(4) ts high(4) ts low(4) captured len(4) original len(4) data, pad, options
 *   SPB 3           original len(4) data (interface 0, no timestamp)
 *   OPB 2           interface(2) drops(2) ts high(4) ts low(4) captured len(4) original len(4) data (obsolete)
 */
#include "pcap_source.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"

#define MAX_PACKET 262144u       /* libpcap's largest snaplen */
#define MAX_BLOCK (16u << 20)     /* larger is a damaged file, not a packet */
#define MAX_INTERFACES 256
#define NS_PER_S 1000000000ull

struct iface {
	uint16_t linktype;
	uint64_t units_per_s;         /* timestamp resolution */
	int64_t offset_s;             /* if_tsoffset */
	struct bpf_program filter;
	bool has_filter;
};

struct bld_pcap_source {
	char *path;
	char *filter_text;
	uint64_t filtered;
	/* classic pcap, through libpcap */
	pcap_t *pcap;
	uint16_t linktype;
	/* pcapng, our own reader */
	FILE *f;
	uint64_t offset;
	bool swap;                    /* section byte order differs from ours */
	struct iface ifaces[MAX_INTERFACES];
	unsigned n_ifaces;
	uint64_t last_ts;             /* for SPBs, which carry no timestamp */
	uint8_t *block;
	uint32_t block_cap;
	char errmsg[512];             /* damage found; reported once the packets before it are out */
};

/*
 * libpcap speaks DLT_* values, files carry LINKTYPE_* values; they differ for
 * raw IP only (LINKTYPE_RAW 101 is DLT_RAW, 12 on Linux, 14 on OpenBSD).
 */
static uint16_t dlt_to_linktype(int dlt)
{
	return dlt == DLT_RAW ? BLD_LINK_RAW : (uint16_t)dlt;
}

static int linktype_to_dlt(uint16_t linktype)
{
	return linktype == BLD_LINK_RAW ? DLT_RAW : linktype;
}

/* "path: what went wrong", the form of every message the source gives. */
static void set_err(char *err, size_t errlen, const char *path, const char *detail)
{
	snprintf(err, errlen, "%s: %s", path, detail);
}

static int open_pcap(struct bld_pcap_source *s, FILE *f, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	s->pcap = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!s->pcap) {
		fclose(f);
		set_err(err, errlen, s->path, perr);
		return -1;
	}
	s->linktype = dlt_to_linktype(pcap_datalink(s->pcap));
	if (s->filter_text) {
		struct bpf_program prog;
		if (pcap_compile(s->pcap, &prog, s->filter_text, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
		    pcap_setfilter(s->pcap, &prog) < 0) {
			snprintf(err, errlen, "%s: bad filter: %s", s->path, pcap_geterr(s->pcap));
			return -1;
		}
		pcap_freecode(&prog);
	}
	return 0;
}

struct bld_pcap_source *bld_pcap_source_fopen(FILE *f, const char *name, const char *filter, char *err,
					      size_t errlen)
{
	struct bld_pcap_source *s = calloc(1, sizeof(*s));
	if (!s)
		goto nomem;
	s->path = strdup(name);
	s->filter_text = filter ? strdup(filter) : NULL;
	if (!s->path || (filter && !s->filter_text))
		goto nomem;

	uint8_t magic[4];
	size_t got = fread(magic, 1, 4, f);
	rewind(f);
	if (got == 4 && magic[0] == 0x0A && magic[1] == 0x0D && magic[2] == 0x0D && magic[3] == 0x0A) {
		s->f = f;
		return s;
	}
	if (open_pcap(s, f, err, errlen) < 0) /* libpcap owns f from here */
		goto fail_closed;
	return s;

nomem:
	snprintf(err, errlen, "%s: out of memory", name);
	fclose(f);
fail_closed:
	bld_pcap_source_close(s);
	return NULL;
}

int bld_pcap_filter_check(const char *filter, char *err, size_t errlen)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, MAX_PACKET);
	if (!dead) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	struct bpf_program prog;
	int rc = pcap_compile(dead, &prog, filter, 1, PCAP_NETMASK_UNKNOWN);
	if (rc < 0)
		snprintf(err, errlen, "bad filter: %s", pcap_geterr(dead));
	else
		pcap_freecode(&prog);
	pcap_close(dead);
	return rc < 0 ? -EINVAL : 0;
}

struct bld_pcap_source *bld_pcap_source_open(const char *path, const char *filter, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		set_err(err, errlen, path, strerror(errno));
		return NULL;
	}
	return bld_pcap_source_fopen(f, path, filter, err, errlen);
}

/* ---- classic pcap ---- */

static int next_pcap(struct bld_pcap_source *s, struct bld_pkt *pkt, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(s->pcap, &h, &data);
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc < 0) {
		set_err(err, errlen, s->path, pcap_geterr(s->pcap));
		return -1;
	}
	if (h->caplen > MAX_PACKET) { /* libpcap rejects these itself; be sure */
		set_err(err, errlen, s->path, "packet larger than 256 KiB");
		return -1;
	}
	*pkt = (struct bld_pkt){
		.data = data,
		.caplen = h->caplen,
		.wirelen = h->len,
		.ts_ns = (uint64_t)h->ts.tv_sec * NS_PER_S + (uint64_t)h->ts.tv_usec,
		.linktype = s->linktype,
		.port = 0,
	};
	return 1;
}

/* ---- pcapng ---- */

static uint16_t rd16(const struct bld_pcap_source *s, struct bld_cur *c)
{
	return s->swap ? bld_cur_be16(c) : bld_cur_le16(c);
}

static uint32_t rd32(const struct bld_pcap_source *s, struct bld_cur *c)
{
	return s->swap ? bld_cur_be32(c) : bld_cur_le32(c);
}

static void free_filters(struct bld_pcap_source *s)
{
	for (unsigned i = 0; i < s->n_ifaces; i++)
		if (s->ifaces[i].has_filter)
			pcap_freecode(&s->ifaces[i].filter);
	s->n_ifaces = 0;
}

static int add_iface(struct bld_pcap_source *s, struct bld_cur *body, char *err, size_t errlen)
{
	if (s->n_ifaces == MAX_INTERFACES) {
		set_err(err, errlen, s->path, "more than 256 interfaces in one section");
		return -1;
	}
	struct iface *ifc = &s->ifaces[s->n_ifaces];
	memset(ifc, 0, sizeof(*ifc));
	ifc->linktype = rd16(s, body);
	bld_cur_skip(body, 2);
	uint32_t snaplen = rd32(s, body);
	ifc->units_per_s = 1000000; /* default resolution: microseconds */
	while (bld_cur_left(body) >= 4) {
		uint16_t code = rd16(s, body);
		uint16_t len = rd16(s, body);
		struct bld_cur v = bld_cur_take(body, len);
		bld_cur_skip(body, (4 - len % 4) % 4);
		if (code == 0)
			break;
		if (code == 9 && len >= 1) { /* if_tsresol */
			uint8_t r = bld_cur_u8(&v);
			uint64_t u = 1;
			if (r & 0x80) {
				if ((r & 0x7f) > 63)
					goto bad;
				u <<= (r & 0x7f);
			} else {
				if (r > 19)
					goto bad;
				for (int i = 0; i < r; i++)
					u *= 10;
			}
			ifc->units_per_s = u;
		} else if (code == 14 && len >= 8) { /* if_tsoffset, seconds */
			uint64_t lo = rd32(s, &v), hi = rd32(s, &v);
			ifc->offset_s = (int64_t)(s->swap ? (lo << 32 | hi) : (hi << 32 | lo));
		}
	}
	if (body->err)
		goto bad;
	if (s->filter_text) {
		pcap_t *dead = pcap_open_dead(linktype_to_dlt(ifc->linktype), snaplen ? (int)snaplen : 262144);
		if (!dead)
			goto bad;
		int rc = pcap_compile(dead, &ifc->filter, s->filter_text, 1, PCAP_NETMASK_UNKNOWN);
		if (rc < 0)
			snprintf(err, errlen, "%s: bad filter: %s", s->path, pcap_geterr(dead));
		pcap_close(dead);
		if (rc < 0)
			return -1;
		ifc->has_filter = true;
	}
	s->n_ifaces++;
	return 0;
bad:
	set_err(err, errlen, s->path, "malformed interface description block");
	return -1;
}

static uint64_t to_ns(const struct iface *ifc, uint64_t ts)
{
	uint64_t u = ifc->units_per_s;
	uint64_t ns = ts / u * NS_PER_S + (uint64_t)((unsigned __int128)(ts % u) * NS_PER_S / u);
	return ns + (uint64_t)ifc->offset_s * NS_PER_S;
}

/* Read one block body into s->block; returns its type, 0 at clean EOF, -1 on damage. */
static int64_t read_block(struct bld_pcap_source *s, uint32_t *body_len, char *err, size_t errlen)
{
	uint8_t hdr[8];
	size_t got = fread(hdr, 1, 8, s->f);
	if (got == 0 && feof(s->f))
		return 0;
	if (got != 8)
		goto truncated;
	struct bld_cur c = bld_cur_make(hdr, 8);
	uint32_t type = bld_cur_le32(&c);
	if (type == 0x0A0D0D0A) {
		/* A new section: its byte-order magic says how to read everything after it. */
		uint8_t bom[4];
		if (fread(bom, 1, 4, s->f) != 4)
			goto truncated;
		if (bom[0] == 0x4D && bom[1] == 0x3C && bom[2] == 0x2B && bom[3] == 0x1A)
			s->swap = false;
		else if (bom[0] == 0x1A && bom[1] == 0x2B && bom[2] == 0x3C && bom[3] == 0x4D)
			s->swap = true;
		else {
			set_err(err, errlen, s->path, "bad pcapng byte-order magic");
			return -1;
		}
		if (fseek(s->f, -4, SEEK_CUR) != 0)
			goto truncated;
		free_filters(s);
	} else {
		c = bld_cur_make(hdr, 4);
		type = rd32(s, &c);
	}
	c = bld_cur_make(hdr + 4, 4);
	uint32_t total = rd32(s, &c);
	if (total < 12 || total % 4 || total > MAX_BLOCK) {
		set_err(err, errlen, s->path, "bad pcapng block length");
		return -1;
	}
	uint32_t len = total - 8; /* body + trailing length */
	if (len > s->block_cap) {
		uint8_t *b = realloc(s->block, len);
		if (!b) {
			set_err(err, errlen, s->path, "out of memory");
			return -1;
		}
		s->block = b;
		s->block_cap = len;
	}
	if (fread(s->block, 1, len, s->f) != len)
		goto truncated;
	c = bld_cur_make(s->block + len - 4, 4);
	if (rd32(s, &c) != total) {
		/* both ends of a block carry its length; a mismatch means we lost our place */
		set_err(err, errlen, s->path, "pcapng block lengths disagree (damaged file)");
		return -1;
	}
	s->offset += total;
	*body_len = len - 4;
	return type ? type : 0x7fffffff; /* a type-0 block is reserved: skip it like any unknown one */

truncated:
	set_err(err, errlen, s->path, "file ends in the middle of a block (truncated capture)");
	return -1;
}

static int next_pcapng(struct bld_pcap_source *s, struct bld_pkt *pkt, char *err, size_t errlen)
{
	for (;;) {
		uint32_t len;
		int64_t type = read_block(s, &len, err, errlen);
		if (type <= 0)
			return (int)type;
		struct bld_cur b = bld_cur_make(s->block, len);
		uint32_t iface = 0, caplen, wirelen;
		uint64_t ts;
		bool has_ts = true;
		switch (type) {
		case 0x0A0D0D0A:
			continue;
		case 1:
			if (add_iface(s, &b, err, errlen) < 0)
				return -1;
			continue;
		case 6: { /* EPB */
			iface = rd32(s, &b);
			uint64_t hi = rd32(s, &b), lo = rd32(s, &b);
			ts = hi << 32 | lo;
			caplen = rd32(s, &b);
			wirelen = rd32(s, &b);
			break;
		}
		case 2: { /* OPB */
			iface = rd16(s, &b);
			bld_cur_skip(&b, 2);
			uint64_t hi = rd32(s, &b), lo = rd32(s, &b);
			ts = hi << 32 | lo;
			caplen = rd32(s, &b);
			wirelen = rd32(s, &b);
			break;
		}
		case 3: /* SPB */
			wirelen = rd32(s, &b);
			caplen = wirelen < bld_cur_left(&b) ? wirelen : bld_cur_left(&b);
			ts = 0;
			has_ts = false;
			break;
		default:
			continue; /* statistics, name resolution, custom blocks: not packets */
		}
		const uint8_t *data = bld_cur_bytes(&b, caplen);
		if (caplen > MAX_PACKET) {
			set_err(err, errlen, s->path, "packet larger than 256 KiB");
			return -1;
		}
		if (b.err || iface >= s->n_ifaces) {
			set_err(err, errlen, s->path,
				iface >= s->n_ifaces ? "packet on an undeclared interface" : "packet block too short");
			return -1;
		}
		const struct iface *ifc = &s->ifaces[iface];
		uint64_t ts_ns = has_ts ? to_ns(ifc, ts) : s->last_ts;
		s->last_ts = ts_ns;
		if (ifc->has_filter) {
			struct pcap_pkthdr h = { .caplen = caplen, .len = wirelen };
			if (!pcap_offline_filter(&ifc->filter, &h, data)) {
				s->filtered++;
				continue;
			}
		}
		*pkt = (struct bld_pkt){
			.data = data,
			.caplen = caplen,
			.wirelen = wirelen < caplen ? caplen : wirelen,
			.ts_ns = ts_ns,
			.linktype = ifc->linktype,
			.port = (uint16_t)iface,
		};
		return 1;
	}
}


int bld_pcap_source_next(struct bld_pcap_source *s, struct bld_pkt *pkt, char *err, size_t errlen)
{
	if (!s->errmsg[0]) {
		int n = s->pcap ? next_pcap(s, pkt, s->errmsg, sizeof(s->errmsg))
				: next_pcapng(s, pkt, s->errmsg, sizeof(s->errmsg));
		if (n >= 0)
			return n;
	}
	snprintf(err, errlen, "%s", s->errmsg);
	return -1;
}

uint64_t bld_pcap_source_offset(const struct bld_pcap_source *s)
{
	if (s->pcap) {
		FILE *f = pcap_file(s->pcap);
		long off = f ? ftell(f) : -1;
		return off > 0 ? (uint64_t)off : 0;
	}
	return s->offset;
}

uint64_t bld_pcap_source_filtered(const struct bld_pcap_source *s)
{
	return s->filtered;
}

void bld_pcap_source_close(struct bld_pcap_source *s)
{
	if (!s)
		return;
	if (s->pcap)
		pcap_close(s->pcap);
	if (s->f)
		fclose(s->f);
	free_filters(s);
	free(s->block);
	free(s->filter_text);
	free(s->path);
	free(s);
}
