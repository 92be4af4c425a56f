/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The operation fields a dissector exposes to policies (DESIGN.md: a
 * dissector is a descriptor ... "the operation fields it exposes to
 * policies").  Each row names a constraint key a policy rule may use under
 * `operations:` and says where its values are in an operation record (op.h)
 * and how they are judged.  The policy compiler rejects keys a protocol does
 * not list (file:line:column), resolves names through `name`, and the
 * evaluator walks `path` in each op.
 *
 * A path is dot-separated field names: "function" is a top-level field;
 * "items.area" is field area of every element of list items (and
 * "a.b" descends into object a).  Every value found must satisfy the
 * constraint; several rows may share a key (e.g. Modbus `value` from the
 * scalar `value` of FC 5/6 and the list `values` of FC 15/16): values are
 * collected from all of them.
 *
 * Row 0 is the operation's kind (function code, type id, service): when its
 * path is a top-level field the evaluator indexes rule entries by it.
 */
#ifndef BLD_FIELDS_H
#define BLD_FIELDS_H

#include <stdbool.h>
#include <stdint.h>

enum bld_field_kind {
	/*
	 * A number in a set of numbers and ranges ("3", "0-99", a name from
	 * `name`).  Absent from the op: the entry does not match.
	 */
	BLD_FIELD_SET,
	/*
	 * An address span inside one range: [path, path + path2 - 1] when
	 * path2 is a count (Modbus address + quantity), [path, path2] when
	 * span_last (DNP3 start/stop).  Without path2 (or when the op lacks it)
	 * the span is the single number at path.  Absent: no match.
	 */
	BLD_FIELD_SPAN,
	/*
	 * Values carried (written set points, commanded values): every number
	 * (uint, int, real, bool as 0/1) inside the ranges.  Absent: passes
	 * (a read carries none).  Outside: value.out_of_range, not op.not_allowed.
	 */
	BLD_FIELD_VALUE,
	/* A text in a set of strings ("name", or "prefix*"); absent: no match. */
	BLD_FIELD_TEXT,
	/*
	 * An ordered level, given by name or number: the op's value must be at
	 * least it (OPC UA security mode).  Absent: passes.
	 */
	BLD_FIELD_MIN,
};

struct bld_field_spec {
	const char *key;                 /* the constraint key in the policy, e.g. "function" */
	uint8_t kind;                    /* enum bld_field_kind */
	const char *path;                /* where the values are in the op */
	const char *path2;               /* SPAN only: the count field, or the last address when span_last */
	bool span_last;
	uint64_t max;                    /* SET, SPAN, MIN: the largest meaningful number (names are looked up in 0..max) */
	const char *(*name)(uint64_t v); /* SET, MIN: the name of a number as the op's *_name field shows it, or NULL */
	const char *doc;                 /* one line for docs and `bollard check` messages */
};

#endif /* BLD_FIELDS_H */
