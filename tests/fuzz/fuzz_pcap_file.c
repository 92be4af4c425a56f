/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: a whole capture file (pcap or pcapng) through the reader and the engine. */
#include <stdint.h>
#include <stdio.h>

#include "classify.h"
#include "engine.h"
#include "pcap_source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bld_classifier *classifier;
	if (!classifier)
		classifier = bld_classifier_create();
	if (!classifier || size == 0)
		return 0;
	FILE *f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	char err[600];
	struct bld_pcap_source *src = bld_pcap_source_fopen(f, "fuzz", NULL, err, sizeof(err));
	if (!src)
		return 0;
	struct bld_engine_config cfg;
	bld_engine_config_default(&cfg);
	cfg.flow.max_flows = 64;
	cfg.classifier = classifier;
	struct bld_engine *e = bld_engine_create(&cfg);
	struct bld_pkt pkt;
	while (e && bld_pcap_source_next(src, &pkt, err, sizeof(err)) > 0)
		bld_engine_process_burst(e, &pkt, 1);
	if (e) {
		bld_engine_finish(e);
		bld_engine_destroy(e);
	}
	bld_pcap_source_close(src);
	return 0;
}
