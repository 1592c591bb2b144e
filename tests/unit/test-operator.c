/* test-operator.c: the operator key file, and the spelling of an operator's public key. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "ctl/operator.h"
#include "proto/ctl.h"
#include "proto/envelope.h"
#include "tests/unit/test.h"

struct keydir {
	char	 dir[64];
	char	 path[128];
};

static void
keydir_init(struct keydir *kd)
{
	ASSERT(sodium_init() >= 0);
	strcpy(kd->dir, "/tmp/rpn-test-operator.XXXXXX");
	ASSERT(mkdtemp(kd->dir) != NULL);
	snprintf(kd->path, sizeof(kd->path), "%s/operator.key", kd->dir);
}

static void
keydir_release(struct keydir *kd)
{
	unlink(kd->path);
	ASSERT_EQ(rmdir(kd->dir), 0);
}

/* Replace the key file with text, mode 0600 unless said. */
static void
write_file(const char *path, const char *text, mode_t mode)
{
	int	 fd;

	unlink(path);
	ASSERT((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) != -1);
	ASSERT_EQ(write(fd, text, strlen(text)), (long long)strlen(text));
	ASSERT_EQ(fchmod(fd, mode), 0);
	ASSERT_EQ(close(fd), 0);
}

static void
read_file(const char *path, char *out, size_t cap)
{
	int	 fd;
	ssize_t	 n;

	ASSERT((fd = open(path, O_RDONLY)) != -1);
	ASSERT((n = read(fd, out, cap - 1)) >= 0);
	out[n] = '\0';
	close(fd);
}

TEST(opkey_write_load_round_trip)
{
	struct keydir	 kd;
	struct opkey	 k, k2;
	struct stat	 st;
	char		 err[256], text[256], pub[OPREC_PUBKEY_B64 + 1];
	uint8_t		 pk[WIRE_KEY];

	keydir_init(&kd);
	ASSERT_EQ(opkey_create(kd.path, 0, &k, err, sizeof(err)), 0);
	ASSERT_EQ(stat(kd.path, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0600);
	read_file(kd.path, text, sizeof(text));
	ASSERT_EQ(strncmp(text, "rpn-operator-key 1\n", 19), 0);
	ASSERT_EQ(strlen(text), 19 + OPREC_PUBKEY_B64 + 1);
	ASSERT_EQ(text[strlen(text) - 1], '\n');
	/* The file holds the seed, never the public half. */
	oprec_pubkey_fmt(pub, k.pk);
	ASSERT(strstr(text, pub) == NULL);

	memset(&k2, 0, sizeof(k2));
	ASSERT_EQ(opkey_load(kd.path, &k2, err, sizeof(err)), 0);
	ASSERT_MEM_EQ(k.sk, k2.sk, sizeof(k.sk));
	ASSERT_MEM_EQ(k.pk, k2.pk, sizeof(k.pk));
	ASSERT_MEM_EQ(k.sk + 32, k.pk, WIRE_KEY);	/* seed || pk */
	ASSERT_EQ(crypto_sign_ed25519_sk_to_pk(pk, k2.sk), 0);
	ASSERT_MEM_EQ(pk, k.pk, WIRE_KEY);

	/* A second create is refused, and the key stays as it was. */
	ASSERT_EQ(opkey_create(kd.path, 0, &k2, err, sizeof(err)), -1);
	ASSERT(strstr(err, "exists already") != NULL);
	ASSERT_EQ(opkey_load(kd.path, &k2, err, sizeof(err)), 0);
	ASSERT_MEM_EQ(k.sk, k2.sk, sizeof(k.sk));

	opkey_clear(&k2);
	for (size_t i = 0; i < sizeof(k2); i++)
		ASSERT_EQ(((uint8_t *)&k2)[i], 0);
	keydir_release(&kd);
}

TEST(opkey_refuses_a_file_others_can_read)
{
	struct keydir	 kd;
	struct opkey	 k;
	char		 err[256];

	keydir_init(&kd);
	ASSERT_EQ(opkey_create(kd.path, 0, &k, err, sizeof(err)), 0);
	ASSERT_EQ(opkey_load(kd.path, &k, err, sizeof(err)), 0);
	ASSERT_EQ(chmod(kd.path, 0644), 0);
	ASSERT_EQ(opkey_load(kd.path, &k, err, sizeof(err)), -1);
	ASSERT(strstr(err, kd.path) != NULL);
	ASSERT(strstr(err, "mode 644 lets other users read") != NULL);
	ASSERT_EQ(chmod(kd.path, 0640), 0);
	ASSERT_EQ(opkey_load(kd.path, &k, err, sizeof(err)), -1);
	ASSERT_EQ(chmod(kd.path, 0602), 0);
	ASSERT_EQ(opkey_load(kd.path, &k, err, sizeof(err)), -1);
	ASSERT_EQ(chmod(kd.path, 0600), 0);
	ASSERT_EQ(opkey_load(kd.path, &k, err, sizeof(err)), 0);

	/* Only root can give a file away. */
	if (geteuid() == 0) {
		ASSERT_EQ(chown(kd.path, 12345, 12345), 0);
		ASSERT_EQ(opkey_load(kd.path, &k, err, sizeof(err)), -1);
		ASSERT(strstr(err, "owned by uid 12345") != NULL);
	} else
		fprintf(stderr, "(not root: the owner check is not tried)\n");
	opkey_clear(&k);
	keydir_release(&kd);
}

TEST(opkey_refuses_malformed_files)
{
	/* Each file: head, the first n characters of the seed's line, tail. */
	static const struct {
		const char	*head;
		int		 n;
		const char	*tail;
		const char	*why;
	} bad[] = {
		{ "rpn-operator-key 2\n", 44, "\n", "first line" },
		{ "rpn-operator-key 1 \n", 44, "\n", "first line" },
		{ "RPN-OPERATOR-KEY 1\n", 44, "\n", "first line" },
		{ "rpn-operator-key 1\r\n", 44, "\n", "first line" },
		{ "", 44, "\n", "first line" },
		{ "", 0, "", "first line" },
		{ "rpn-operator-key 1\n", 0, "", "second line" },
		{ "rpn-operator-key 1\n", 43, "\n", "second line" },	/* truncated */
		{ "rpn-operator-key 1\n", 40, "", "second line" },
		{ "rpn-operator-key 1\n", 42, "==\n", "second line" },	/* 31 bytes */
		{ "rpn-operator-key 1\n ", 43, "\n", "second line" },
		{ "rpn-operator-key 1\n", 44, "\n\n", "too long" },
		{ "rpn-operator-key 1\n", 44, "\nmore\n", "too long" },
	};
	struct keydir	 kd;
	struct opkey	 k, k2;
	char		 err[256], good[256], seed[OPREC_PUBKEY_B64 + 1],
			 text[256];

	keydir_init(&kd);
	ASSERT_EQ(opkey_create(kd.path, 0, &k, err, sizeof(err)), 0);
	read_file(kd.path, good, sizeof(good));
	memcpy(seed, good + 19, OPREC_PUBKEY_B64);
	seed[OPREC_PUBKEY_B64] = '\0';

	/* The file as written, and without its last newline, load. */
	snprintf(text, sizeof(text), "rpn-operator-key 1\n%s\n", seed);
	ASSERT_STR_EQ(text, good);
	write_file(kd.path, text, 0600);
	ASSERT_EQ(opkey_load(kd.path, &k2, err, sizeof(err)), 0);
	ASSERT_MEM_EQ(k.sk, k2.sk, sizeof(k.sk));
	snprintf(text, sizeof(text), "rpn-operator-key 1\n%s", seed);
	write_file(kd.path, text, 0600);
	ASSERT_EQ(opkey_load(kd.path, &k2, err, sizeof(err)), 0);
	ASSERT_MEM_EQ(k.sk, k2.sk, sizeof(k.sk));

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%.*s%s", bad[i].head, bad[i].n,
		    seed, bad[i].tail);
		write_file(kd.path, text, 0600);
		if (opkey_load(kd.path, &k2, err, sizeof(err)) != -1)
			TEST_FAIL("bad[%zu] loaded: \"%s\"", i, text);
		if (strstr(err, bad[i].why) == NULL ||
		    strstr(err, kd.path) == NULL)
			TEST_FAIL("bad[%zu]: \"%s\"", i, err);
	}

	/* A missing file says so in errno, for "this needs an operator key". */
	ASSERT_EQ(unlink(kd.path), 0);
	errno = 0;
	ASSERT_EQ(opkey_load(kd.path, &k2, err, sizeof(err)), -1);
	ASSERT_EQ(errno, ENOENT);
	opkey_clear(&k);
	opkey_clear(&k2);
	keydir_release(&kd);
}

TEST(opkey_path_and_its_directories)
{
	struct keydir	 kd;
	struct opkey	 k;
	struct stat	 st;
	char		 path[OPKEY_PATH_MAX], want[256], err[256];
	int		 is_default;

	keydir_init(&kd);
	ASSERT_EQ(setenv("RPN_OPERATOR_KEY", kd.path, 1), 0);
	ASSERT_EQ(opkey_path(path, sizeof(path), &is_default, err,
	    sizeof(err)), 0);
	ASSERT_STR_EQ(path, kd.path);
	ASSERT_EQ(is_default, 0);

	ASSERT_EQ(setenv("RPN_OPERATOR_KEY", "", 1), 0);
	ASSERT_EQ(setenv("HOME", kd.dir, 1), 0);
	ASSERT_EQ(opkey_path(path, sizeof(path), &is_default, err,
	    sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/.config/rpn/operator.key", kd.dir);
	ASSERT_STR_EQ(path, want);
	ASSERT_EQ(is_default, 1);

	ASSERT_EQ(opkey_create(path, 1, &k, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/.config/rpn", kd.dir);
	ASSERT_EQ(stat(want, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0700);
	ASSERT_EQ(opkey_load(path, &k, err, sizeof(err)), 0);
	ASSERT_EQ(unlink(path), 0);
	ASSERT_EQ(rmdir(want), 0);
	snprintf(want, sizeof(want), "%s/.config", kd.dir);
	ASSERT_EQ(rmdir(want), 0);
	opkey_clear(&k);
	keydir_release(&kd);
}

TEST(oprec_pubkey_fmt_parse)
{
	uint8_t	 key[WIRE_KEY], back[WIRE_KEY];
	char	 s[OPREC_PUBKEY_B64 + 1], t[OPREC_PUBKEY_B64 + 8];

	/* 0xfb 0xff... spells '+' and '/' in standard base64. */
	memset(key, 0xff, sizeof(key));
	key[0] = 0xfb;
	ASSERT_EQ(oprec_pubkey_fmt(s, key), 0);
	ASSERT_EQ(strlen(s), OPREC_PUBKEY_B64);
	ASSERT_EQ(s[OPREC_PUBKEY_B64 - 1], '=');
	ASSERT(strchr(s, '+') != NULL && strchr(s, '/') != NULL);
	ASSERT_EQ(oprec_pubkey_parse(s, back), 0);
	ASSERT_MEM_EQ(key, back, WIRE_KEY);
	for (int i = 0; i < 50; i++) {
		randombytes_buf(key, sizeof(key));
		oprec_pubkey_fmt(s, key);
		ASSERT_EQ(oprec_pubkey_parse(s, back), 0);
		ASSERT_MEM_EQ(key, back, WIRE_KEY);
	}

	memset(key, 0xff, sizeof(key));
	key[0] = 0xfb;
	oprec_pubkey_fmt(s, key);
	/* 43 characters: unpadded, or cut short. */
	snprintf(t, sizeof(t), "%.43s", s);
	ASSERT_EQ(oprec_pubkey_parse(t, back), -1);
	/* 45: one more '=', or a newline. */
	snprintf(t, sizeof(t), "%s=", s);
	ASSERT_EQ(oprec_pubkey_parse(t, back), -1);
	snprintf(t, sizeof(t), "%s\n", s);
	ASSERT_EQ(oprec_pubkey_parse(t, back), -1);
	snprintf(t, sizeof(t), " %s", s);
	ASSERT_EQ(oprec_pubkey_parse(t, back), -1);
	/* URL-safe base64, padded or not. */
	strcpy(t, s);
	for (char *p = t; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	ASSERT(strcmp(t, s) != 0);
	ASSERT_EQ(oprec_pubkey_parse(t, back), -1);
	t[OPREC_PUBKEY_B64 - 1] = '\0';
	ASSERT_EQ(oprec_pubkey_parse(t, back), -1);
	/* 44 characters that are not 32 bytes: "==" makes it 31. */
	snprintf(t, sizeof(t), "%.42s==", s);
	ASSERT_EQ(oprec_pubkey_parse(t, back), -1);
	ASSERT_EQ(oprec_pubkey_parse("", back), -1);
	/* And the unchanged key still parses. */
	ASSERT_EQ(oprec_pubkey_parse(s, back), 0);
}

TEST(op_seal_signs_what_rpnd_opens)
{
	struct keydir	 kd;
	struct opkey	 k;
	struct oprec	 o, d;
	uint8_t		 mesh[WIRE_MESH_ID], out[CTL_MAX_SIGNED];
	const uint8_t	*author, *body;
	size_t		 bodylen;
	uint32_t	 len = 0;
	uint64_t	 v1;
	char		 err[256], name[WIRE_NAME_MAX + 1];

	keydir_init(&kd);
	ASSERT_EQ(opkey_create(kd.path, 0, &k, err, sizeof(err)), 0);
	memset(mesh, 7, sizeof(mesh));
	memset(&o, 0, sizeof(o));
	o.kind = REC_REVOKE;
	memset(o.subject, 0xcc, WIRE_KEY);
	strcpy(o.name, "siteb");
	ASSERT_EQ(op_seal(&k, mesh, &o, out, sizeof(out), &len), 0);
	ASSERT_EQ(env_open(out, len, mesh, &author, &body, &bodylen), 0);
	ASSERT_MEM_EQ(author, k.pk, WIRE_KEY);
	ASSERT_EQ(oprec_decode(body, bodylen, &d), 0);
	ASSERT_EQ(d.kind, REC_REVOKE);
	ASSERT_STR_EQ(d.name, "siteb");
	ASSERT_UEQ(d.version, o.version);
	v1 = o.version;
	/* Another mesh does not take it. */
	mesh[0] ^= 1;
	ASSERT_EQ(env_open(out, len, mesh, &author, &body, &bodylen), -1);

	/* Two statements of one run never share a version (their key). */
	ASSERT_EQ(op_seal(&k, mesh, &o, out, sizeof(out), &len), 0);
	ASSERT(o.version > v1);
	op_version_after(o.version + 100000);
	ASSERT_EQ(op_seal(&k, mesh, &o, out, sizeof(out), &len), 0);
	ASSERT(o.version > v1 + 100000);

	/* A buffer too small is refused, not overrun. */
	ASSERT_EQ(op_seal(&k, mesh, &o, out, 20, &len), -1);

	op_login_name(name);
	ASSERT(wire_name_ok(name));
	opkey_clear(&k);
	keydir_release(&kd);
}

/*
 * A statement has one spelling: the same fields with a number in a wider
 * msgpack width than oprec_encode() uses (port 144 as cd 00 90, not cc 90)
 * are refused.  fuzz-wire found the wider one decoding (its input is
 * tests/fuzz/corpus/fuzz-wire/4735e7d40c62b38218ee28d531532a7d67f94bad).
 */
TEST(oprec_decode_refuses_a_second_spelling)
{
	struct oprec	 o, d;
	struct buf	 b, w;
	size_t		 at = 0;

	memset(&o, 0, sizeof(o));
	o.kind = REC_GRANT;
	o.version = 1800000000000ULL;
	strcpy(o.name, "web");
	o.svc.proto = SVC_TCP;
	o.svc.port = 144;
	o.nowners = 1;
	memset(o.owners[0], 0x11, WIRE_KEY);
	buf_init(&b, WIRE_MAX_RECORD);
	buf_init(&w, WIRE_MAX_RECORD);
	ASSERT_EQ(oprec_encode(&b, &o), 0);
	ASSERT_EQ(oprec_decode(b.p, b.len, &d), 0);
	ASSERT_UEQ(d.svc.port, 144);
	for (size_t i = 0; i + 1 < b.len; i++)
		if (b.p[i] == 0xcc && b.p[i + 1] == 0x90)
			at = i;
	ASSERT(at > 0);
	buf_put(&w, b.p, at);
	buf_put(&w, "\xcd\x00\x90", 3);
	buf_put(&w, b.p + at + 2, b.len - at - 2);
	ASSERT_EQ(oprec_decode(w.p, w.len, &d), -1);
	buf_release(&b);
	buf_release(&w);
}
