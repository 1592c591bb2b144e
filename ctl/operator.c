/*
 * operator.c: an operator's key file, and the statements signed with it.
 *
 * The key file is text: a first line "rpn-operator-key 1", then the
 * Ed25519 seed as standard padded base64 (the spelling of a public key,
 * proto/oprec.h).  It is the user's alone, like an ssh key: mode 0600 and
 * owned by the user who loads it, or it is not used.  The secret stays in
 * this process: only envelopes signed with it go to rpnd.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "ctl/operator.h"
#include "ctl/output.h"
#include "proto/compat.h"
#include "proto/ctl.h"
#include "proto/envelope.h"
#include "proto/parse.h"

/* The whole file: the first line, the seed's line, their newlines. */
#define OPKEY_TEXT	(sizeof(OPKEY_MAGIC) + OPREC_PUBKEY_B64 + 1)

/*
 * opkey_path - $RPN_OPERATOR_KEY, else ~/.config/rpn/operator.key, with
 * the home directory from $HOME or, without it, the password file.
 */
int
opkey_path(char *out, size_t cap, int *is_default, char *err, size_t errlen)
{
	const char	*env = getenv(OPKEY_ENV), *home = getenv("HOME");
	struct passwd	*pw;

	*is_default = 0;
	if (env != NULL && env[0] != '\0') {
		if (strlcpy(out, env, cap) >= cap) {
			snprintf(err, errlen, "%s is too long", OPKEY_ENV);
			return -1;
		}
		return 0;
	}
	if (home == NULL || home[0] != '/') {
		if ((pw = getpwuid(getuid())) == NULL || pw->pw_dir == NULL ||
		    pw->pw_dir[0] != '/') {
			snprintf(err, errlen, "no home directory to keep the "
			    "operator key in: set HOME or %s", OPKEY_ENV);
			return -1;
		}
		home = pw->pw_dir;
	}
	if (snprintf(out, cap, "%s/%s", home, OPKEY_DEFAULT) >= (int)cap) {
		snprintf(err, errlen, "the home directory's path is too long");
		return -1;
	}
	*is_default = 1;
	return 0;
}

/* Every missing directory on the way to path, 0700: the key's alone. */
static int
make_dirs(const char *path, char *err, size_t errlen)
{
	char		 dir[OPKEY_PATH_MAX];
	struct stat	 st;

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	for (char *p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		/* Not EEXIST from a directory we may not write to: EACCES. */
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			int	 saved = errno;

			if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
				snprintf(err, errlen, "cannot make %s: %s", dir,
				    strerror(saved));
				return -1;
			}
		}
		*p = '/';
	}
	return 0;
}

/*
 * opkey_create - a new key pair, written to path (never over a file that
 * is there).  make_dir: make the directories on the way first.
 */
int
opkey_create(const char *path, int make_dir, struct opkey *k, char *err,
    size_t errlen)
{
	uint8_t	 seed[crypto_sign_SEEDBYTES];
	char	 b64[OPREC_PUBKEY_B64 + 1], text[OPKEY_TEXT + 1];
	int	 fd, len, rc = -1;

	if (make_dir && make_dirs(path, err, errlen) == -1)
		return -1;
	randombytes_buf(seed, sizeof(seed));
	oprec_pubkey_fmt(b64, seed);
	len = snprintf(text, sizeof(text), "%s\n%s\n", OPKEY_MAGIC, b64);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1) {
		if (errno == EEXIST)
			snprintf(err, errlen, "%s exists already: an operator "
			    "key is never overwritten", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* Exactly 0600, whatever the umask took away. */
	if (fchmod(fd, 0600) == -1 || write(fd, text, (size_t)len) != len ||
	    fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		goto out;
	}
	if (close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	rc = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(b64, sizeof(b64));
	sodium_memzero(text, sizeof(text));
	return rc;
}

/*
 * The seed in a key file's text: its two lines and nothing more.  n is
 * what was read, at most one byte more than a key file holds.
 */
static int
opkey_parse(const char *path, char *text, size_t n,
    uint8_t seed[crypto_sign_SEEDBYTES], char *err, size_t errlen)
{
	const size_t	 head = sizeof(OPKEY_MAGIC);	/* with its newline */
	char		*line;

	if (n < head || memcmp(text, OPKEY_MAGIC "\n", head) != 0) {
		snprintf(err, errlen, "%s: not an rpn operator key (its first "
		    "line is not \"%s\")", path, OPKEY_MAGIC);
		return -1;
	}
	if (n > OPKEY_TEXT) {
		snprintf(err, errlen, "%s: not an rpn operator key (too long)",
		    path);
		return -1;
	}
	line = text + head;
	n -= head;
	if (n == OPREC_PUBKEY_B64 + 1 && line[OPREC_PUBKEY_B64] == '\n')
		n--;
	line[n] = '\0';
	if (n != OPREC_PUBKEY_B64 || oprec_pubkey_parse(line, seed) == -1) {
		snprintf(err, errlen, "%s: its second line is not the key "
		    "(%d characters of base64)", path, OPREC_PUBKEY_B64);
		return -1;
	}
	return 0;
}

/*
 * opkey_load - the key pair in path.  A file other users can read or
 * change, or one another user owns, is refused, as ssh refuses such a key:
 * it may be known to someone else.  On a missing file, errno is ENOENT.
 */
int
opkey_load(const char *path, struct opkey *k, char *err, size_t errlen)
{
	uint8_t		 seed[crypto_sign_SEEDBYTES];
	char		 text[OPKEY_TEXT + 2];
	struct stat	 st;
	ssize_t		 n;
	int		 fd, saved, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		saved = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s: mode %03o lets other users read or "
		    "change the operator key; chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %u, not by this user "
		    "(uid %u): another user's key is not used", path,
		    (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	/* One byte more than a key file holds shows a longer file. */
	if ((n = read(fd, text, sizeof(text) - 1)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (opkey_parse(path, text, (size_t)n, seed, err, errlen) == -1)
		goto out;
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	rc = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(text, sizeof(text));
	close(fd);
	return rc;
}

void
opkey_clear(struct opkey *k)
{
	sodium_memzero(k, sizeof(*k));
}

/*
 * op_login_name - the name of the user running this, made a wire name
 * (letters, digits, '.', '_', '-', starting with a letter or digit), for
 * an operator enrolled without one.
 */
void
op_login_name(char out[WIRE_NAME_MAX + 1])
{
	struct passwd	*pw = getpwuid(getuid());
	const char	*s = pw != NULL ? pw->pw_name : NULL;
	size_t		 n = 0;

	for (; s != NULL && *s != '\0' && n < WIRE_NAME_MAX; s++) {
		char	 c = *s;
		int	 alnum = (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (alnum)
			out[n++] = c;
		else if (n > 0)
			out[n++] = c == '.' || c == '_' ? c : '-';
	}
	out[n] = '\0';
	if (n == 0)
		strlcpy(out, "operator", WIRE_NAME_MAX + 1);
}

/*
 * A statement's version is its signer's unix ms and also its key, so two
 * statements of one run must not share one: each is at least one more
 * than the last, and than any version op_version_after() was told of.
 */
static uint64_t	 op_last_version;

uint64_t
op_version_next(void)
{
	struct timespec	 ts;
	uint64_t	 now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	op_last_version = now > op_last_version ? now : op_last_version + 1;
	return op_last_version;
}

void
op_version_after(uint64_t v)
{
	if (v > op_last_version)
		op_last_version = v;
}

/* op_seal - give o the next version, encode it and sign it into out. */
int
op_seal(const struct opkey *k, const uint8_t mesh_id[WIRE_MESH_ID],
    struct oprec *o, uint8_t *out, size_t cap, uint32_t *len)
{
	struct buf	 body, env;
	int		 rc = -1;

	o->version = op_version_next();
	buf_init(&body, WIRE_MAX_RECORD);
	buf_init_fixed(&env, out, cap);
	if (oprec_encode(&body, o) == 0 &&
	    env_seal(&env, k->sk, mesh_id, body.p, body.len) == 0) {
		*len = (uint32_t)env.len;
		rc = 0;
	}
	buf_release(&body);
	return rc;
}
