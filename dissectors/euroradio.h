/* SPDX-License-Identifier: BSD-3-Clause */
/* EuroRadio (ALE and the Subset-098 safety layer): the events its dissector raises (joined in events.h). */
#ifndef BLD_EURORADIO_H
#define BLD_EURORADIO_H

#define BLD_FOREACH_EURORADIO_EVENT(_)

#endif /* BLD_EURORADIO_H */
