/* ct.h: deleting stale conntrack entries through ctnetlink (parent only). */
#ifndef RPN_CT_H
#define RPN_CT_H

#include <stdint.h>

#include "node/core/dataplane.h"

int	ct_flush(const struct dp_flush *, uint32_t n, uint32_t markbit);

#endif
