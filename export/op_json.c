/* SPDX-License-Identifier: BSD-3-Clause */
#include "op_json.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "flow_record.h"

/* Length of the valid UTF-8 sequence at p (RFC 3629 §4), or 0. */
static unsigned utf8_len(const uint8_t *p, uint32_t n)
{
	uint8_t c = p[0];
	unsigned len;
	uint32_t min;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	uint32_t cp = c & (0x7f >> len);
	for (unsigned i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void put_string(FILE *out, const void *s, uint32_t n)
{
	const uint8_t *p = s;
	fputc('"', out);
	for (uint32_t i = 0; i < n;) {
		uint8_t c = p[i];
		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
			i++;
		} else if (c >= 0x20 && c < 0x7f) {
			fputc(c, out);
			i++;
		} else if (c == '\n') {
			fputs("\\n", out);
			i++;
		} else if (c == '\t') {
			fputs("\\t", out);
			i++;
		} else {
			unsigned k = c >= 0x80 ? utf8_len(p + i, n - i) : 0;
			if (k) {
				fwrite(p + i, 1, k, out);
				i += k;
			} else {
				fprintf(out, "\\u%04x", c);
				i++;
			}
		}
	}
	fputc('"', out);
}

/* JSON has no NaN or infinity: those are null. */
static void put_real(FILE *out, const struct bld_op_field *f)
{
	char buf[40];
	bld_op_real_text(f, buf, sizeof(buf));
	fputs(buf[0] == 'n' || buf[0] == 'i' || buf[1] == 'i' ? "null" : buf, out);
}

static void put_envelope(FILE *out, const struct bld_endpoints *ep, uint64_t ts_ns, const char *proto)
{
	char ts[40];
	bld_format_time(ts_ns, ts, sizeof(ts));
	fprintf(out, "{\"ts\":\"%s\",\"flow_id\":%" PRIu64 ",", ts, ep->flow_id);
	const char *kind = ep->l2 ? "mac" : "ip";
	fprintf(out, "\"src_%s\":\"%s\",", kind, ep->src);
	if (ep->has_ports)
		fprintf(out, "\"src_port\":%u,", ep->src_port);
	fprintf(out, "\"dst_%s\":\"%s\",", kind, ep->dst);
	if (ep->has_ports)
		fprintf(out, "\"dst_port\":%u,", ep->dst_port);
	fputs("\"proto\":", out);
	put_string(out, proto, (uint32_t)strlen(proto));
}

int bld_op_write_json(FILE *out, const struct bld_endpoints *ep, const struct bld_op *op)
{
	put_envelope(out, ep, op->ts_ns, op->proto);
	fprintf(out, ",\"dir\":\"%s\"", bld_op_dir_names[op->dir & 1]);
	if (op->has_response_time)
		fprintf(out, ",\"response_time_us\":%" PRIu64, op->response_time_ns / 1000);
	if (op->overflow)
		fputs(",\"truncated\":true", out);
	fputc(',', out);
	put_string(out, op->proto, (uint32_t)strlen(op->proto));
	fputs(":{", out);
	bool first = true; /* no comma before the first member of a container */
	char closer[BLD_OP_MAX_DEPTH];
	unsigned depth = 0;
	for (uint32_t i = 0; i < op->n_fields; i++) {
		const struct bld_op_field *f = &op->f[i];
		if (f->type == BLD_OPF_END) {
			if (depth)
				fputc(closer[--depth], out);
			first = false;
			continue;
		}
		if (!first)
			fputc(',', out);
		first = false;
		if (f->name) {
			put_string(out, f->name, (uint32_t)strlen(f->name));
			fputc(':', out);
		}
		const uint8_t *t = (const uint8_t *)op->text + f->v.off;
		switch (f->type) {
		case BLD_OPF_UINT:
			fprintf(out, "%" PRIu64, f->v.u);
			break;
		case BLD_OPF_INT:
			fprintf(out, "%" PRId64, f->v.i);
			break;
		case BLD_OPF_BOOL:
			fputs(f->v.b ? "true" : "false", out);
			break;
		case BLD_OPF_REAL:
			put_real(out, f);
			break;
		case BLD_OPF_TEXT:
			put_string(out, t, f->len);
			break;
		case BLD_OPF_HEX:
			fputc('"', out);
			for (uint32_t k = 0; k < f->len; k++)
				fprintf(out, "%02x", t[k]);
			fputc('"', out);
			break;
		case BLD_OPF_LIST:
		case BLD_OPF_OBJECT:
			fputc(f->type == BLD_OPF_LIST ? '[' : '{', out);
			if (depth < BLD_OP_MAX_DEPTH)
				closer[depth++] = f->type == BLD_OPF_LIST ? ']' : '}';
			first = true;
			break;
		}
	}
	fputs("}}\n", out);
	return ferror(out) ? -EIO : 0;
}

int bld_event_write_json(FILE *out, const struct bld_endpoints *ep, const char *proto, enum bld_event ev,
			 uint64_t ts_ns)
{
	put_envelope(out, ep, ts_ns, proto);
	fprintf(out, ",\"event\":\"%s\",\"description\":", bld_event_names[ev]);
	put_string(out, bld_event_docs[ev], (uint32_t)strlen(bld_event_docs[ev]));
	fputs("}\n", out);
	return ferror(out) ? -EIO : 0;
}
