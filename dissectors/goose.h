/* SPDX-License-Identifier: BSD-3-Clause */
/* IEC 61850 GOOSE: the events its dissector raises (joined in events.h). */
#ifndef BLD_GOOSE_H
#define BLD_GOOSE_H

#define BLD_FOREACH_GOOSE_EVENT(_)

#endif /* BLD_GOOSE_H */
