/* SPDX-License-Identifier: BSD-3-Clause */
#include "crc.h"

/*
 * CRCs computed bit by bit: probes call them on a few dozen bytes per flow,
 * parsers on headers and on PDUs of rail protocols that come a few times a
 * second per connection.
 */
static uint32_t crc_reflected(const uint8_t *p, size_t n, uint32_t poly, uint32_t crc)
{
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (poly & (0u - (crc & 1)));
	}
	return crc;
}

uint16_t bld_crc16_dnp(const uint8_t *p, size_t n)
{
	return (uint16_t)~crc_reflected(p, n, 0xA6BC, 0);
}

uint32_t bld_crc32_ieee(const uint8_t *p, size_t n)
{
	return ~crc_reflected(p, n, 0xEDB88320u, 0xFFFFFFFFu);
}

/* Not reflected: the register's top bit (of width) decides; poly and crc in the low `width` bits. */
static uint32_t crc_normal(const uint8_t *p, size_t n, unsigned width, uint32_t poly, uint32_t crc)
{
	uint32_t top = 1u << (width - 1), mask = width == 32 ? 0xFFFFFFFFu : (1u << width) - 1;
	for (size_t i = 0; i < n; i++) {
		crc ^= (uint32_t)p[i] << (width - 8);
		for (int b = 0; b < 8; b++)
			crc = (crc & top ? (crc << 1) ^ poly : crc << 1) & mask;
	}
	return crc;
}

uint32_t bld_crc32_rasta_b(const uint8_t *p, size_t n)
{
	return crc_normal(p, n, 32, 0xEE5B42FDu, 0);
}

uint32_t bld_crc32c(const uint8_t *p, size_t n)
{
	return ~crc_reflected(p, n, 0x82F63B78u, 0xFFFFFFFFu);
}

uint16_t bld_crc16_kermit(const uint8_t *p, size_t n)
{
	return (uint16_t)crc_reflected(p, n, 0x8408, 0);
}

uint16_t bld_crc16_arc(const uint8_t *p, size_t n)
{
	return (uint16_t)crc_reflected(p, n, 0xA001, 0);
}

uint16_t bld_crc16_ccitt_false(const uint8_t *p, size_t n)
{
	return (uint16_t)crc_normal(p, n, 16, 0x1021, 0xFFFF);
}
