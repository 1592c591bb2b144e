/*
 * oprec.h: operator statements, the records only operators (and, to enrol
 * the first operator, the mesh root) sign.  Each statement is a record of
 * its own, keyed by its version (unix ms), so none replaces another: the
 * mesh keeps the whole history, and every node derives the same policy
 * from it (node/core/policy.c).  An order (REC_ORDER) is not stored: it
 * travels to the one node it is for.
 */
#ifndef RPN_OPREC_H
#define RPN_OPREC_H

#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"
#include "proto/wire.h"

#define OPREC_MAX_OWNERS	16	/* nodes a grant names */
#define OPREC_MAX_LANS		64	/* prefixes one approval names */
#define OPREC_KEYLEN		8	/* the statement's key: its version */
#define OPREC_PUBKEY_B64	44	/* padded base64 of 32 bytes */

enum oprec_action {
	OP_ENROL	= 1,	/* REC_OPERATOR */
	OP_REMOVE	= 2,
	OP_ADD		= 1,	/* REC_ORDER: add a backend, as svc requests */
	OP_DEL		= 2,
};

/*
 * One statement; which fields count depends on kind:
 *   REC_OPERATOR  subject = operator key, name, action enrol|remove
 *   REC_GRANT     name = service, svc.proto/port/public/allow, owners,
 *                 withdrawn (the service is no longer governed by a grant)
 *   REC_REVOKE    subject = node, name = its name (for people)
 *   REC_APPROVE   subject = node, lans
 *   REC_ORDER     subject = node, name = service, action add|del, svc, force
 */
struct oprec {
	uint8_t		 kind;
	uint64_t	 version;	/* unix ms; also the key */
	uint8_t		 subject[WIRE_KEY];
	char		 name[WIRE_NAME_MAX + 1];
	uint8_t		 action;
	uint8_t		 force;
	uint8_t		 withdrawn;
	struct rec_service svc;
	uint8_t		 nowners;
	uint8_t		 owners[OPREC_MAX_OWNERS][WIRE_KEY];
	uint8_t		 nlans;
	struct wire_prefix lans[OPREC_MAX_LANS];
	uint8_t		 signer[WIRE_KEY];	/* not encoded: who signed it, if known */
};

int	oprec_kind(uint8_t kind);
void	oprec_key(uint8_t key[OPREC_KEYLEN], uint64_t version);
int	oprec_encode(struct buf *, const struct oprec *);
int	oprec_decode(const uint8_t *, size_t, struct oprec *);

/* An operator's public key as every command and document spells it. */
int	oprec_pubkey_fmt(char out[OPREC_PUBKEY_B64 + 1],
	    const uint8_t key[WIRE_KEY]);
int	oprec_pubkey_parse(const char *, uint8_t key[WIRE_KEY]);

#endif
