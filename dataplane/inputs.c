/* SPDX-License-Identifier: BSD-3-Clause */
#include "inputs.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "engine.h"
#include "flow_record.h"
#include "pcap_source.h"

int bld_inputs_check(const char *cmd, char *const *paths, int n, const char *filter, uint64_t *bytes)
{
	uint64_t total = 0;
	for (int i = 0; i < n; i++) {
		struct stat st;
		errno = 0;
		if (stat(paths[i], &st) != 0 || !S_ISREG(st.st_mode)) {
			fprintf(stderr, "bollard %s: %s: %s\n", cmd, paths[i], errno ? strerror(errno) : "not a regular file");
			return -1;
		}
		total += (uint64_t)st.st_size;
	}
	if (filter) {
		char err[512];
		if (bld_pcap_filter_check(filter, err, sizeof(err)) < 0) {
			fprintf(stderr, "bollard %s: %s\n", cmd, err);
			return -1;
		}
	}
	if (bytes)
		*bytes = total;
	return 0;
}

static void warn_out_of_order(const char *cmd, const char *path, uint64_t first, uint64_t last_before)
{
	char t1[40], t2[40];
	bld_format_time(first, t1, sizeof(t1));
	bld_format_time(last_before, t2, sizeof(t2));
	fprintf(stderr,
		"bollard %s: warning: %s starts at %s, before the previous input ended (%s); "
		"inputs are read in the order given, so give them in time order\n",
		cmd, path, t1, t2);
}

int bld_inputs_read(const char *cmd, struct bld_engine *const *engines, unsigned n_engines, const char *path,
		    const char *filter, bld_inputs_progress_fn progress, void *progress_ctx,
		    struct bld_inputs_result *r)
{
	memset(r, 0, sizeof(*r));
	struct bld_pcap_source *src = bld_pcap_source_open(path, filter, r->error, sizeof(r->error));
	if (!src) {
		fprintf(stderr, "bollard %s: %s\n", cmd, r->error);
		return -1;
	}
	struct bld_engine_stats before;
	bld_engine_stats(engines[0], &before);
	struct bld_pkt pkt;
	int n;
	while ((n = bld_pcap_source_next(src, &pkt, r->error, sizeof(r->error))) > 0) {
		if (r->packets == 0 && before.packets && pkt.ts_ns < before.ts_last)
			warn_out_of_order(cmd, path, pkt.ts_ns, before.ts_last);
		/* the packet is valid until the next read: every engine takes it now */
		for (unsigned i = 0; i < n_engines; i++)
			bld_engine_process_burst(engines[i], &pkt, 1);
		if ((++r->packets & 0x3fff) == 0 && progress) /* a clock check costs more than a packet */
			progress(progress_ctx, bld_pcap_source_offset(src));
	}
	if (n < 0)
		fprintf(stderr, "bollard %s: warning: %s; analysed the packets before it\n", cmd, r->error);
	else
		r->error[0] = 0;
	r->filtered = bld_pcap_source_filtered(src);
	bld_pcap_source_close(src);
	return n < 0 ? 1 : 0;
}

bool bld_out_is_stdout(const char *path)
{
	return path && strcmp(path, "-") == 0;
}

int bld_out_open(struct bld_out *o, const char *cmd, const char *option, const char *path)
{
	*o = (struct bld_out){ .cmd = cmd, .option = option, .path = path };
	if (!path)
		return 0;
	o->f = bld_out_is_stdout(path) ? stdout : fopen(path, "w");
	if (!o->f) {
		fprintf(stderr, "bollard %s: %s %s: %s\n", cmd, option, path, strerror(errno));
		return -1;
	}
	return 0;
}

bool bld_out_close(struct bld_out *o)
{
	if (!o->f)
		return true;
	if (o->f != stdout ? fclose(o->f) != 0 : fflush(stdout) != 0)
		if (!o->err)
			o->err = -errno;
	o->f = NULL;
	if (o->err) {
		fprintf(stderr, "bollard %s: %s %s: %s\n", o->cmd, o->option, o->path, strerror(-o->err));
		return false;
	}
	return true;
}
