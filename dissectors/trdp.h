/* SPDX-License-Identifier: BSD-3-Clause */
/* TRDP: the events its dissector raises (joined in events.h). */
#ifndef BLD_TRDP_H
#define BLD_TRDP_H

#define BLD_FOREACH_TRDP_EVENT(_)

#endif /* BLD_TRDP_H */
