/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offline capture source: pcap and pcapng files, read in bursts.
 *
 * Classic pcap goes through libpcap.  pcapng goes through our own block
 * reader, because libpcap 1.10 refuses a pcapng whose interfaces have
 * different link types ("an interface has a type ... different from the type
 * of the first interface"), which is exactly what captures taken on "any" plus
 * loopback look like.  Both apply a BPF filter with libpcap's compiler, per
 * link type.
 *
 * One packet at a time, without a copy: libpcap (and our block reader) hold
 * one packet in their buffer, valid until the next read.  The engine takes
 * it as a burst of one; gathering bursts would need a copy of every packet
 * and buy nothing offline, where the engine works packet by packet anyway.
 */
#ifndef BLD_PCAP_SOURCE_H
#define BLD_PCAP_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "packet.h"

struct bld_pcap_source;

/* NULL with a message in err on failure. filter may be NULL. */
struct bld_pcap_source *bld_pcap_source_open(const char *path, const char *filter, char *err, size_t errlen);

/* Compile filter for Ethernet to catch syntax errors before any file is opened. */
int bld_pcap_filter_check(const char *filter, char *err, size_t errlen);

/* The same from an open stream (which the source then owns), e.g. fmemopen() in a fuzzer. */
struct bld_pcap_source *bld_pcap_source_fopen(FILE *f, const char *name, const char *filter, char *err,
					      size_t errlen);

/*
 * The next packet, valid until the next call.  Returns 1, 0 at the end of
 * the file, or -1 when the file is damaged (err says where; every packet
 * before the damage has been delivered, and -1 stays).
 */
int bld_pcap_source_next(struct bld_pcap_source *s, struct bld_pkt *pkt, char *err, size_t errlen);

/* Bytes of the file consumed so far (for progress). */
uint64_t bld_pcap_source_offset(const struct bld_pcap_source *s);

/* Packets the filter rejected. */
uint64_t bld_pcap_source_filtered(const struct bld_pcap_source *s);

void bld_pcap_source_close(struct bld_pcap_source *s);

#endif /* BLD_PCAP_SOURCE_H */
