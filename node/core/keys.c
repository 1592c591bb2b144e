/* keys.c: load, create and protect key files; the file holds the 32-byte seed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "node/core/keys.h"

#define KEY_MAGIC	"rpn-ed25519-seed-v1\n"
#define KEY_LEN		(sizeof(KEY_MAGIC) - 1 + crypto_sign_SEEDBYTES)

int
keys_load(int dirfd, const char *file, uint8_t sk[SECRET_KEY], char *err,
    size_t errlen)
{
	uint8_t		 raw[KEY_LEN + 1], pk[WIRE_KEY];
	struct stat	 st;
	ssize_t		 n;
	int		 fd, rc = -1;

	if ((fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", file);
		goto out;
	}
	if (st.st_mode & 077) {
		/* Like ssh: a key others can read is not used until fixed. */
		snprintf(err, errlen, "%s: mode %03o lets others read the key; "
		    "chmod 600 it", file, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (st.st_uid != geteuid()) {
		/*
		 * A key is the engine's alone: one owned by another user was not
		 * made by this engine, and that user can read or replace it.
		 */
		snprintf(err, errlen, "%s: owned by uid %u, not by this process's "
		    "user (uid %u); chown it", file, (unsigned)st.st_uid,
		    (unsigned)geteuid());
		goto out;
	}
	n = read(fd, raw, sizeof(raw));
	if (n != (ssize_t)KEY_LEN ||
	    memcmp(raw, KEY_MAGIC, sizeof(KEY_MAGIC) - 1) != 0) {
		snprintf(err, errlen, "%s: not an rpn key file", file);
		goto out;
	}
	crypto_sign_seed_keypair(pk, sk, raw + sizeof(KEY_MAGIC) - 1);
	rc = 0;
out:
	sodium_memzero(raw, sizeof(raw));
	close(fd);
	return rc;
}

int
keys_create(int dirfd, const char *file, uint8_t sk[SECRET_KEY], char *err,
    size_t errlen)
{
	uint8_t	 raw[KEY_LEN], pk[WIRE_KEY];
	int	 fd, rc = -1;

	memcpy(raw, KEY_MAGIC, sizeof(KEY_MAGIC) - 1);
	randombytes_buf(raw + sizeof(KEY_MAGIC) - 1, crypto_sign_SEEDBYTES);
	fd = openat(dirfd, file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		goto out;
	}
	if (write(fd, raw, sizeof(raw)) != (ssize_t)sizeof(raw) ||
	    fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		close(fd);
		unlinkat(dirfd, file, 0);
		goto out;
	}
	close(fd);
	crypto_sign_seed_keypair(pk, sk, raw + sizeof(KEY_MAGIC) - 1);
	rc = 0;
out:
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

int
keys_load_or_create(int dirfd, const char *file, uint8_t sk[SECRET_KEY],
    int *created, char *err, size_t errlen)
{
	*created = 0;
	if (faccessat(dirfd, file, F_OK, AT_SYMLINK_NOFOLLOW) == -1 &&
	    errno == ENOENT) {
		*created = 1;
		return keys_create(dirfd, file, sk, err, errlen);
	}
	return keys_load(dirfd, file, sk, err, errlen);
}
