/* SPDX-License-Identifier: BSD-3-Clause */
#include "crc.h"

/* Reflected CRCs computed bit by bit: probes call them on a few dozen bytes per flow. */
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
