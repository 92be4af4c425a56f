/* SPDX-License-Identifier: BSD-3-Clause */
/* CRCs the industrial protocols put on the wire. */
#ifndef BLD_CRC_H
#define BLD_CRC_H

#include <stddef.h>
#include <stdint.h>

/* CRC-16/DNP: poly 0x3D65 reflected (0xA6BC), init 0, xorout 0xFFFF (IEEE 1815-2012 §9.2.4.2). */
uint16_t bld_crc16_dnp(const uint8_t *p, size_t n);

/* CRC-32/IEEE 802.3 (zlib's crc32): TRDP header FCS (IEC 61375-2-3). */
uint32_t bld_crc32_ieee(const uint8_t *p, size_t n);

#endif
