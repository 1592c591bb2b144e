/* tlscert.h: the HTTPS listener's self-signed certificate (tlscert.c), kept in the state directory. */
#ifndef RPN_ENGINE_TLSCERT_H
#define RPN_ENGINE_TLSCERT_H

#include <stddef.h>

#include "proto/wire.h"

#define TLS_CERT_FILE	"https.crt"
#define TLS_KEY_FILE	"https.key"
#define TLS_FPR_LEN	(32 * 3)	/* "AB:CD:…", with the NUL */

/*
 * tlscert_load_or_create - the certificate and key (PEM, NUL-terminated,
 * the caller frees both) from dirfd; made on first use: ECDSA P-256,
 * self-signed, subject alternative names "localhost" and addr's IP (unless
 * unspecified), written 0600.  fpr gets the SHA-256 fingerprint of the
 * certificate in colon hex.  *created says whether it was made now.
 */
int	tlscert_load_or_create(int dirfd, const struct wire_addr *addr,
	    const char *cn, char **cert_pem, char **key_pem,
	    char fpr[TLS_FPR_LEN], int *created, char *err, size_t errlen);

#endif
