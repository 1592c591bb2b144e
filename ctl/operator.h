/* operator.h: an operator's key file, and the statements signed with it. */
#ifndef RPN_OPERATOR_H
#define RPN_OPERATOR_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#include "proto/oprec.h"
#include "proto/opview.h"
#include "proto/wire.h"

#define OPKEY_MAGIC	"rpn-operator-key 1"
#define OPKEY_ENV	"RPN_OPERATOR_KEY"
#define OPKEY_DEFAULT	".config/rpn/operator.key"	/* under $HOME */
#define OPKEY_PATH_MAX	4096
#define OPKEY_NONE	"this needs an operator key: set RPN_OPERATOR_KEY or " \
			"run rpn operator keygen"

/* A loaded key pair; opkey_clear() wipes it. */
struct opkey {
	uint8_t		 sk[SECRET_KEY];	/* seed || pk, as libsodium has it */
	uint8_t		 pk[WIRE_KEY];
};

int	opkey_path(char *, size_t, int *is_default, char *err, size_t errlen);
int	opkey_create(const char *path, int make_dir, struct opkey *,
	    char *err, size_t errlen);
int	opkey_load(const char *path, struct opkey *, char *err, size_t errlen);
void	opkey_clear(struct opkey *);

void	op_login_name(char out[WIRE_NAME_MAX + 1]);
uint64_t op_version_next(void);
void	op_version_after(uint64_t);
int	op_seal(const struct opkey *, const uint8_t mesh_id[WIRE_MESH_ID],
	    struct oprec *, uint8_t *out, size_t cap, uint32_t *len);

#endif
