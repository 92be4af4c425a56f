/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: packets through the whole engine (decode, reassembly,
 * flows, classification), the production path.
 *
 * Input: link-type selector (1 byte), then records of
 *   length (2, big-endian) | time step in ms (1) | frame bytes (length)
 * Each frame is copied into an exact-size buffer so that an over-read is
 * caught by ASan instead of reading the next frame (Suricata's trick).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "engine.h"

static const uint16_t links[] = { BLD_LINK_ETHERNET, BLD_LINK_RAW, BLD_LINK_LINUX_SLL, BLD_LINK_LINUX_SLL2,
				  BLD_LINK_NULL, BLD_LINK_LOOP, BLD_LINK_IPV4, BLD_LINK_IPV6 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bld_classifier *classifier;
	if (!classifier)
		classifier = bld_classifier_create(); /* ~35 ms: once per process */
	if (size < 1 || !classifier)
		return 0;

	struct bld_engine_config cfg;
	bld_engine_config_default(&cfg);
	cfg.flow.max_flows = 64; /* small, so eviction runs too */
	cfg.frag.max_datagrams = 8;
	cfg.frag.max_bytes = 256 << 10;
	cfg.classifier = classifier;
	struct bld_engine *e = bld_engine_create(&cfg);
	if (!e)
		return 0;

	uint16_t link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
	size_t off = 1;
	uint64_t ts = 1700000000ull * 1000000000ull;
	struct bld_pkt burst[BLD_BURST_MAX];
	uint8_t *copies[BLD_BURST_MAX];
	unsigned n = 0;
	while (off + 3 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		ts += (uint64_t)data[off + 2] * 1000000ull * 1000; /* up to 255 s: timeouts fire */
		off += 3;
		if (len > size - off)
			len = size - off;
		copies[n] = malloc(len ? len : 1);
		if (!copies[n])
			break;
		memcpy(copies[n], data + off, len);
		burst[n] = (struct bld_pkt){ .data = copies[n], .caplen = (uint32_t)len, .wirelen = (uint32_t)len,
					     .ts_ns = ts, .linktype = link };
		off += len;
		if (++n == BLD_BURST_MAX || off + 3 > size) {
			bld_engine_process_burst(e, burst, n);
			while (n)
				free(copies[--n]);
		}
	}
	if (n) {
		bld_engine_process_burst(e, burst, n);
		while (n)
			free(copies[--n]);
	}
	bld_engine_finish(e);
	bld_engine_destroy(e);
	return 0;
}
