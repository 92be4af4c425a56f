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

/*
 * RaSTA's redundancy-layer check codes, DIN VDE V 0831-200 §6.3.6 options
 * B-E (rail-protocols.md §1.2; check("123456789") in the comments).
 */
uint32_t bld_crc32_rasta_b(const uint8_t *p, size_t n);   /* poly 0xEE5B42FD, init 0, not reflected: 0x0E7C650A */
uint32_t bld_crc32c(const uint8_t *p, size_t n);          /* option C, CRC-32C (Castagnoli): 0xE3069283 */
uint16_t bld_crc16_kermit(const uint8_t *p, size_t n);    /* option D, poly 0x1021 reflected, init 0: 0x2189 */
uint16_t bld_crc16_arc(const uint8_t *p, size_t n);       /* option E, poly 0x8005 reflected, init 0: 0xBB3D */

/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, not reflected): EuroRadio's ALE header checksum: 0x29B1. */
uint16_t bld_crc16_ccitt_false(const uint8_t *p, size_t n);

#endif
