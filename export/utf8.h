/* SPDX-License-Identifier: BSD-3-Clause */
/* Text from devices is bytes: every writer that must emit valid UTF-8 asks this one function. */
#ifndef BLD_UTF8_H
#define BLD_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the valid UTF-8 sequence at p, at most n bytes (RFC 3629 §4:
 * no overlong forms, no surrogates, nothing above U+10FFFF): 1 for ASCII,
 * 2..4, or 0 when the bytes are not UTF-8.  Reading stops at the first byte
 * that is not a continuation, so a NUL-terminated string may pass SIZE_MAX.
 */
static inline unsigned bld_utf8_len(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	unsigned len;
	uint32_t min;
	if (c < 0x80)
		return n ? 1 : 0;
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

#endif /* BLD_UTF8_H */
