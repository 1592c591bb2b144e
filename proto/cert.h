/* cert.h: admission links and chains, from a mesh's root to a member. */
#ifndef RPN_CERT_H
#define RPN_CERT_H

#include <stdint.h>

#include "proto/wire.h"

void	cert_sign(struct wire_cert *, const uint8_t issuer_sk[SECRET_KEY],
	    const uint8_t mesh_id[WIRE_MESH_ID], const uint8_t subject[WIRE_KEY],
	    uint64_t issued);
int	cert_verify(const struct wire_cert *, const uint8_t issuer[WIRE_KEY],
	    const uint8_t mesh_id[WIRE_MESH_ID]);
int	cert_chain_verify(const struct wire_cert *, uint8_t n,
	    const uint8_t root[WIRE_KEY], const uint8_t mesh_id[WIRE_MESH_ID],
	    const uint8_t subject[WIRE_KEY]);

#endif
