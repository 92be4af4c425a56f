/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcap_floor: the floor of offline throughput, a bare libpcap read loop.
 *
 * It opens each capture given (pcap or pcapng) with pcap_open_offline, reads
 * every packet with pcap_next_ex and touches its first byte, so the packet
 * data is really read from the page cache, and counts packets and wire bytes.
 * No decode, no flow table, no classification: whatever a tool spends above
 * this is its own work.  scripts/bench-read compiles it on the fly with
 *
 *     cc -O2 -o pcap_floor scripts/bench/pcap_floor.c -lpcap
 *
 * Output, one line: "packets N bytes B checksum C" (the checksum only keeps
 * the compiler from dropping the reads).
 */
#include <inttypes.h>
#include <stdio.h>
#include <pcap/pcap.h>

int main(int argc, char **argv)
{
	uint64_t packets = 0, bytes = 0;
	unsigned checksum = 0;
	char err[PCAP_ERRBUF_SIZE];

	if (argc < 2) {
		fprintf(stderr, "usage: pcap_floor CAPTURE...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		pcap_t *p = pcap_open_offline(argv[i], err);
		if (!p) {
			fprintf(stderr, "pcap_floor: %s: %s\n", argv[i], err);
			return 2;
		}
		struct pcap_pkthdr *h;
		const u_char *data;
		int rc;
		while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
			packets++;
			bytes += h->len;
			if (h->caplen)
				checksum += data[0];
		}
		if (rc == PCAP_ERROR) {
			fprintf(stderr, "pcap_floor: %s: %s\n", argv[i], pcap_geterr(p));
			pcap_close(p);
			return 1;
		}
		pcap_close(p);
	}
	printf("packets %" PRIu64 " bytes %" PRIu64 " checksum %u\n", packets, bytes, checksum);
	return 0;
}
