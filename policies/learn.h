/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The learner: watch a baseline (flows, operations, protocol events, as the
 * engine reports them) and write a policy (docs/policy.md) that allows
 * exactly that, generalised the way a person reviewing it would:
 *
 *   hosts     every unicast address seen, named from what the traffic says
 *             (EtherNet/IP ListIdentity product name, Modbus device
 *             identification) or by address
 *   rules     one per (client, server, protocol), with the server ports
 *   operations  per rule, one entry per kind of request (function code,
 *             type id, service) and set of fields present: sets of numbers
 *             and names, address spans merged where adjacent or overlapping,
 *             values bounded with a margin, texts listed
 *   timing    on entries whose requests all repeat with a steady period,
 *             period and tolerance from the measured jitter
 *   rate      per rule, well above the busiest second seen
 *   expected_events  protocol events the baseline raised on the rule's flows
 *
 * Enforcing the written policy on the same baseline gives no alert
 * (tests/e2e prove it).  Output is deterministic: sorted, with comments
 * saying where each name and bound came from.
 */
#ifndef BLD_LEARN_H
#define BLD_LEARN_H

#include <stdint.h>
#include <stdio.h>

#include "op.h"
#include "policy.h"

struct bld_learn;

struct bld_learn *bld_learn_create(void);
void bld_learn_destroy(struct bld_learn *l);

/* A flow, when it ends (its app name is final then). */
void bld_learn_flow(struct bld_learn *l, const struct bld_policy_flow *f, uint64_t ts_first, uint64_t ts_last);
/* An operation of flow f. */
void bld_learn_op(struct bld_learn *l, const struct bld_policy_flow *f, const struct bld_op *op);
/* A protocol event (events.h) on flow f. */
void bld_learn_event(struct bld_learn *l, const struct bld_policy_flow *f, uint16_t event);

struct bld_learn_info {
	const char *const *inputs;   /* the captures, for the header comment */
	unsigned n_inputs;
	uint64_t packets, ts_first, ts_last;
	const char *site;            /* NULL: "learned" */
};

/* Write the policy as YAML.  Returns 0, -EIO, or -ENOMEM (a table filled up: the output would not be complete). */
int bld_learn_write(struct bld_learn *l, FILE *out, const struct bld_learn_info *info);

struct bld_learn_stats {
	uint64_t flows, ops, hosts, rules, entries;
	uint64_t dropped;            /* observations not kept: a cap was reached (-ENOMEM from write) */
};
void bld_learn_stats(const struct bld_learn *l, struct bld_learn_stats *s);

#endif /* BLD_LEARN_H */
