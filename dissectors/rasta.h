/* SPDX-License-Identifier: BSD-3-Clause */
/* RaSTA (and EULYNX SCI inside its Data messages): the events its dissector raises (joined in events.h). */
#ifndef BLD_RASTA_H
#define BLD_RASTA_H

#define BLD_FOREACH_RASTA_EVENT(_)

#endif /* BLD_RASTA_H */
