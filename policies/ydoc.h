/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A YAML document as a small tree with source positions: the first stage of
 * the policy loader.  libyaml parses; this module keeps what a policy needs
 * (scalars, sequences, mappings, each with its line and column) so that every
 * later check can say file:line:column.
 *
 * Deliberately refused, with a clear error: several documents in one file,
 * anchors and aliases (a policy is read by people: no hidden sharing, and no
 * "billion laughs"), tags, and a key repeated in one mapping (YAML 1.2
 * §3.2.1.1: keys are unique; libyaml does not check).  Hard caps: nesting
 * depth, node count, scalar length.
 */
#ifndef BLD_YDOC_H
#define BLD_YDOC_H

#include <stddef.h>
#include <stdint.h>

#define BLD_YDOC_MAX_DEPTH 32
#define BLD_YDOC_MAX_NODES (1u << 20)
#define BLD_YDOC_MAX_SCALAR (64u << 10)

enum bld_ynode_type {
	BLD_YNODE_SCALAR,
	BLD_YNODE_SEQ,
	BLD_YNODE_MAP,           /* children alternate key (a scalar), value */
};

struct bld_ynode {
	uint8_t type;            /* enum bld_ynode_type */
	uint8_t quoted;          /* a scalar written in quotes: never a number or a null */
	uint32_t line, col;      /* 1-based, where the node starts */
	uint32_t first, count;   /* children: node indexes first .. first + count - 1 (maps: 2 per pair) */
	const char *text;        /* scalars: NUL-terminated, in the document's arena */
	uint32_t len;
};

struct bld_ydoc {
	const char *name;        /* the file name errors begin with */
	struct bld_ynode *nodes; /* [0] is the root */
	uint32_t n_nodes;
	uint32_t *kids;          /* child node indexes, referenced by first/count */
	char *text;              /* scalar arena */
};

/*
 * Parse len bytes of YAML.  On error returns NULL and writes
 * "name:line:column: message" to err.  name is copied.
 */
struct bld_ydoc *bld_ydoc_parse(const char *name, const void *data, size_t len, char *err, size_t err_len);

/* Read and parse a file (same errors, and the file's own). */
struct bld_ydoc *bld_ydoc_load(const char *path, char *err, size_t err_len);

void bld_ydoc_free(struct bld_ydoc *d);

/* The i-th child of node n (maps: keys at even i, values at odd i). */
const struct bld_ynode *bld_ydoc_child(const struct bld_ydoc *d, const struct bld_ynode *n, uint32_t i);

/* The value of key in mapping n, or NULL (also when n is not a mapping). */
const struct bld_ynode *bld_ydoc_get(const struct bld_ydoc *d, const struct bld_ynode *n, const char *key);

#endif /* BLD_YDOC_H */
