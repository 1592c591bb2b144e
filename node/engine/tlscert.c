/*
 * tlscert.c: the HTTPS listener's certificate.  Made once, on the first
 * start with https-listen, with GnuTLS: an ECDSA P-256 key and a
 * self-signed certificate for "localhost" and the listen address, valid
 * for ten years.  Nobody can vouch for it, so rpnctl status prints its
 * SHA-256 fingerprint for an operator to compare with what the browser
 * shows (docs/http.md, "Listeners and TLS"); it is kept across restarts
 * so that comparison is done once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>

#include "node/engine/tlscert.h"

#define PEM_MAX		(64 * 1024)
#define CERT_YEARS	10

/* read_file - a whole small file from dirfd, NUL-terminated; 1 if absent. */
static int
read_file(int dirfd, const char *name, char **out, char *err, size_t errlen)
{
	int		 fd;
	char		*p;
	size_t		 len = 0;
	ssize_t		 n;

	*out = NULL;
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	if ((p = malloc(PEM_MAX + 1)) == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (len < PEM_MAX && (n = read(fd, p + len, PEM_MAX - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", name, strerror(errno));
			free(p);
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len == PEM_MAX || memchr(p, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: not a PEM file", name);
		free(p);
		return -1;
	}
	p[len] = '\0';
	*out = p;
	return 0;
}

/* write_file - name in dirfd, 0600, through a temporary file and a rename. */
static int
write_file(int dirfd, const char *name, const void *data, size_t len,
    char *err, size_t errlen)
{
	char		 tmp[64];
	int		 fd;
	const uint8_t	*p = data;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	(void)unlinkat(dirfd, tmp, 0);
	if ((fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	while (len > 0) {
		ssize_t	 n = write(fd, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
			close(fd);
			(void)unlinkat(dirfd, tmp, 0);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1 ||
	    renameat(dirfd, tmp, dirfd, name) == -1) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		(void)unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return 0;
}

#define GT(call) do {							\
	if ((rc = (call)) < 0) {					\
		snprintf(err, errlen, "%s: %s", #call, gnutls_strerror(rc)); \
		goto out;						\
	}								\
} while (0)

/* make_cert - a new key and self-signed certificate, as PEM. */
static int
make_cert(const struct wire_addr *addr, const char *cn, gnutls_datum_t *crt_pem,
    gnutls_datum_t *key_pem, char *err, size_t errlen)
{
	gnutls_x509_privkey_t	 key = NULL;
	gnutls_x509_crt_t	 crt = NULL;
	uint8_t			 serial[16], kid[64];
	size_t			 kidlen = sizeof(kid);
	time_t			 now = time(NULL);
	int			 rc, ret = -1;
	static const uint8_t	 zero[16];

	crt_pem->data = key_pem->data = NULL;
	GT(gnutls_x509_privkey_init(&key));
	GT(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
	GT(gnutls_x509_crt_init(&crt));
	GT(gnutls_x509_crt_set_version(crt, 3));
	randombytes_buf(serial, sizeof(serial));
	serial[0] &= 0x7f;	/* a positive number */
	serial[0] |= 0x01;
	GT(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)));
	GT(gnutls_x509_crt_set_activation_time(crt, now - 3600));
	GT(gnutls_x509_crt_set_expiration_time(crt, now +
	    (time_t)CERT_YEARS * 365 * 86400));
	GT(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	    cn, (unsigned)strlen(cn)));
	GT(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
	    "localhost", 9, GNUTLS_FSAN_APPEND));
	if (addr->family == 4 && memcmp(addr->ip, zero, 4) != 0)
		GT(gnutls_x509_crt_set_subject_alt_name(crt,
		    GNUTLS_SAN_IPADDRESS, addr->ip, 4, GNUTLS_FSAN_APPEND));
	else if (addr->family == 6 && memcmp(addr->ip, zero, 16) != 0)
		GT(gnutls_x509_crt_set_subject_alt_name(crt,
		    GNUTLS_SAN_IPADDRESS, addr->ip, 16, GNUTLS_FSAN_APPEND));
	GT(gnutls_x509_crt_set_basic_constraints(crt, 0, -1));
	GT(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE));
	GT(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER,
	    0));
	GT(gnutls_x509_crt_set_key(crt, key));
	GT(gnutls_x509_crt_get_key_id(crt, 0, kid, &kidlen));
	GT(gnutls_x509_crt_set_subject_key_id(crt, kid, kidlen));
	GT(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0));
	GT(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, crt_pem));
	GT(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, key_pem));
	ret = 0;
out:
	if (ret == -1) {
		gnutls_free(crt_pem->data);
		gnutls_free(key_pem->data);
		crt_pem->data = key_pem->data = NULL;
	}
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return ret;
}

/* fingerprint - SHA-256 of the certificate's DER, "AB:CD:…". */
static int
fingerprint(const char *pem, char fpr[TLS_FPR_LEN], char *err, size_t errlen)
{
	gnutls_x509_crt_t	 crt = NULL;
	gnutls_datum_t		 d = { (unsigned char *)(uintptr_t)pem,
	    (unsigned)strlen(pem) };
	uint8_t			 h[32];
	size_t			 hlen = sizeof(h);
	int			 rc, ret = -1;

	GT(gnutls_x509_crt_init(&crt));
	GT(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM));
	GT(gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, h, &hlen));
	if (hlen != sizeof(h)) {
		snprintf(err, errlen, "unexpected fingerprint length");
		goto out;
	}
	for (size_t i = 0; i < hlen; i++)
		snprintf(fpr + 3 * i, TLS_FPR_LEN - 3 * i, "%02X%s", h[i],
		    i + 1 < hlen ? ":" : "");
	ret = 0;
out:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return ret;
}

int
tlscert_load_or_create(int dirfd, const struct wire_addr *addr,
    const char *cn, char **cert_pem, char **key_pem, char fpr[TLS_FPR_LEN],
    int *created, char *err, size_t errlen)
{
	gnutls_datum_t	 c, k;
	int		 rc_c, rc_k;

	*cert_pem = *key_pem = NULL;
	*created = 0;
	rc_c = read_file(dirfd, TLS_CERT_FILE, cert_pem, err, errlen);
	if (rc_c == -1)
		return -1;
	rc_k = read_file(dirfd, TLS_KEY_FILE, key_pem, err, errlen);
	if (rc_k == -1)
		goto fail;
	if (rc_c == 1 || rc_k == 1) {
		/* Both or neither: a lone half is replaced with a new pair. */
		free(*cert_pem);
		free(*key_pem);
		*cert_pem = *key_pem = NULL;
		if (make_cert(addr, cn, &c, &k, err, errlen) == -1)
			return -1;
		*cert_pem = strndup((const char *)c.data, c.size);
		*key_pem = strndup((const char *)k.data, k.size);
		rc_k = write_file(dirfd, TLS_KEY_FILE, k.data, k.size, err,
		    errlen);
		if (rc_k == 0)
			rc_k = write_file(dirfd, TLS_CERT_FILE, c.data, c.size,
			    err, errlen);
		sodium_memzero(k.data, k.size);
		gnutls_free(k.data);
		gnutls_free(c.data);
		if (rc_k == -1)
			goto fail;
		if (*cert_pem == NULL || *key_pem == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		*created = 1;
	}
	if (fingerprint(*cert_pem, fpr, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	free(*cert_pem);
	if (*key_pem != NULL)
		sodium_memzero(*key_pem, strlen(*key_pem));
	free(*key_pem);
	*cert_pem = *key_pem = NULL;
	return -1;
}
