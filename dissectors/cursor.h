/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bounds-checked byte cursor: the only way Bollard code reads packet bytes.
 *
 * A cursor is a view (p, len) and a read offset.  Every reader checks the
 * bound; a read past the end sets the sticky error flag and returns 0, so a
 * parser can read a whole header and check `err` once at the end (as with
 * nom's `?` or binpac's &length).  Values are assembled from bytes, never by
 * casting pointers, so alignment and byte order never matter.
 * Models: kernel skb_header_pointer, DPDK rte_pktmbuf_read, Suricata take().
 */
#ifndef BLD_CURSOR_H
#define BLD_CURSOR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct bld_cur {
	const uint8_t *p;
	uint32_t len;
	uint32_t off;
	bool err;
};

static inline struct bld_cur bld_cur_make(const uint8_t *p, uint32_t len)
{
	return (struct bld_cur){ .p = p, .len = len, .off = 0, .err = false };
}

static inline uint32_t bld_cur_left(const struct bld_cur *c)
{
	return c->err ? 0 : c->len - c->off;
}

/* Pointer to the next n bytes and advance, or NULL (and err) if short. */
__attribute__((warn_unused_result))
static inline const uint8_t *bld_cur_bytes(struct bld_cur *c, uint32_t n)
{
	if (c->err || n > c->len - c->off) {
		c->err = true;
		return NULL;
	}
	const uint8_t *q = c->p + c->off;
	c->off += n;
	return q;
}

/* Pointer to the next n bytes without advancing, or NULL (no error set). */
static inline const uint8_t *bld_cur_peek(const struct bld_cur *c, uint32_t n)
{
	if (c->err || n > c->len - c->off)
		return NULL;
	return c->p + c->off;
}

static inline void bld_cur_skip(struct bld_cur *c, uint32_t n)
{
	if (c->err || n > c->len - c->off)
		c->err = true;
	else
		c->off += n;
}

static inline uint8_t bld_cur_u8(struct bld_cur *c)
{
	const uint8_t *q = bld_cur_bytes(c, 1);
	return q ? q[0] : 0;
}

static inline uint16_t bld_cur_be16(struct bld_cur *c)
{
	const uint8_t *q = bld_cur_bytes(c, 2);
	return q ? (uint16_t)(q[0] << 8 | q[1]) : 0;
}

static inline uint16_t bld_cur_le16(struct bld_cur *c)
{
	const uint8_t *q = bld_cur_bytes(c, 2);
	return q ? (uint16_t)(q[1] << 8 | q[0]) : 0;
}

static inline uint32_t bld_cur_be32(struct bld_cur *c)
{
	const uint8_t *q = bld_cur_bytes(c, 4);
	return q ? (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
			   (uint32_t)q[2] << 8 | q[3]
		 : 0;
}

static inline uint32_t bld_cur_le32(struct bld_cur *c)
{
	const uint8_t *q = bld_cur_bytes(c, 4);
	return q ? (uint32_t)q[3] << 24 | (uint32_t)q[2] << 16 |
			   (uint32_t)q[1] << 8 | q[0]
		 : 0;
}

/* Copy n bytes out (zero-filled and err on a short read). */
static inline void bld_cur_copy(struct bld_cur *c, void *dst, uint32_t n)
{
	const uint8_t *q = bld_cur_bytes(c, n);
	if (q)
		memcpy(dst, q, n);
	else
		memset(dst, 0, n);
}

/*
 * Cut the next n bytes off as a sub-cursor bounded by a length field.  On a
 * short parent the child is empty and both carry the error.
 */
__attribute__((warn_unused_result))
static inline struct bld_cur bld_cur_take(struct bld_cur *c, uint32_t n)
{
	const uint8_t *q = bld_cur_bytes(c, n);
	if (!q)
		return (struct bld_cur){ .p = NULL, .len = 0, .off = 0, .err = true };
	return bld_cur_make(q, n);
}

/* The rest of the cursor as a sub-cursor; the parent is left at its end. */
static inline struct bld_cur bld_cur_rest(struct bld_cur *c)
{
	return bld_cur_take(c, bld_cur_left(c));
}

#endif /* BLD_CURSOR_H */
