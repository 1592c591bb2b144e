/* keys.h: Ed25519 key files in the state directory (0600, never printed). */
#ifndef RPN_KEYS_H
#define RPN_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"

#define NODE_KEY_FILE	"node.key"
#define ROOT_KEY_FILE	"root.key"

int	keys_load(int dirfd, const char *file, uint8_t sk[SECRET_KEY],
	    char *err, size_t errlen);
int	keys_create(int dirfd, const char *file, uint8_t sk[SECRET_KEY],
	    char *err, size_t errlen);
int	keys_load_or_create(int dirfd, const char *file, uint8_t sk[SECRET_KEY],
	    int *created, char *err, size_t errlen);

#endif
